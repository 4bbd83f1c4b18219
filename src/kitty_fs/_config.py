"""The config store: a read-only view for everyone, a section-scoped save for writers.

``load_config`` accepts any context and returns a deeply immutable view.
``save_config`` takes a ``WriteContext`` (so a read path cannot even call it
under mypy) and changes one top-level section. Both take the config's path
relative to the context's root: the store has no default file. A ``.json``
file is read and written as JSON (``_config_json``), anything else as YAML.

A load imports only what it needs: a YAML config in the plain subset that
``_yaml_subset`` reads (nested ``key: value`` lines) is read without ruamel,
and a JSON config never needs it; ruamel parses every other YAML text, and a
save imports its machinery (``_config_splice``, filelock) on first use. So a
read command's cold start does not pay for the save path.

How a save works (docs/config-store.md tells it with an example):

* under the file's lock it re-reads the file and applies only its own keys, so
  two kitty-fs writers of different keys or sections never lose each other's
  update;
* it splices the new text of that one section into the original text, so every
  other section keeps its exact bytes (``_config_splice``), and checks that the
  result parses back to exactly the intended document; otherwise it writes
  nothing;
* the new bytes go to a temp file, and just before the rename the target must
  still be the very file that was read (same inode, same bytes): programs that
  do not take the lock (an editor, ``git checkout``) are detected, and the save
  reads again and decides again, up to ``_ATTEMPTS`` times, then fails with
  ``ConfigBusyError`` having written nothing (``_config_read``);
* an empty document is taken for "no config" only once the file has stayed
  unchanged for a moment: ``git`` and shell redirections create or truncate a
  file before they write it;
* an unchanged section writes nothing (the mtime stays);
* a file that does not parse is never overwritten; the error names file and line.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from kitty_fs._atomic import locked, replace_checked
from kitty_fs._config_read import (
    MAX_CONFIG_BYTES,
    MAX_EXPANDED_NODES,
    MAX_NESTING,
    Snapshot,
    file_error,
    is_json,
    read_snapshot,
)
from kitty_fs._config_values import ConfigView, Decide, Plan, check_value, freeze
from kitty_fs._context import ReadContext, WriteContext
from kitty_fs._errors import (
    ConfigBusyError,
    ConfigFileError,
    KittyFsError,
    PathEscapeError,
    WriteViolation,
)
from kitty_fs._intent import write_intent
from kitty_fs._paths import RelPath
from kitty_fs._yaml_subset import parse_subset

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_EXPANDED_NODES",
    "MAX_NESTING",
    "ConfigView",
    "load_config",
    "save_config",
    "update_config",
]

# Reads and decisions one save may make before it gives up on a file that keeps changing.
_ATTEMPTS: Final = 20
# Between two reads of an empty file that was just modified (see Snapshot.settled).
_SETTLE_POLL_S: Final = 0.01
# An empty file still being touched after this long is a program rewriting it in a loop.
_SETTLE_LIMIT_S: Final = 5.0

# The last view of each config, keyed by its bytes: a command reads one config several
# times (identity, tracker, emitter) and the parse is the expensive part. Views are
# immutable, and equal bytes parse to an equal view, so sharing one is safe.
_LAST_VIEW: dict[Path, tuple[bytes, ConfigView]] = {}


def _config_path(ctx: ReadContext, rel: RelPath) -> Path:
    lexical = ctx.root / os.fspath(rel)
    try:
        path = ctx.path(rel)
    except PathEscapeError as exc:
        if Path(os.path.realpath(lexical)).is_relative_to(ctx.root):
            raise  # not a link out (a symlink loop...): the error says what it is
        # The user passed no path: the config (or a directory above it) is a link out.
        raise PathEscapeError(
            exc.message,
            path=exc.path,
            hint=f"{rel} (or a directory above it) is a symlink out of {ctx.root}: replace the "
            "link with a regular file inside the repository (nothing was read or written)",
        ) from None
    if lexical.is_symlink() and not path.exists():
        raise ConfigFileError(
            f"{lexical} is a dangling or looping symlink (to {lexical.readlink()})",
            path=lexical,
            hint=f"remove the link or point it at a real file inside {ctx.root}",
        )
    return path


def load_config(ctx: ReadContext, rel: RelPath) -> ConfigView:
    """Read the config at ``rel`` below ``ctx.root``; a missing file is an empty view
    (``exists=False``)."""
    path = _config_path(ctx, rel)
    raw = read_snapshot(path, os.fspath(rel)).raw
    if raw is None:
        return ConfigView(path=path, exists=False, data=MappingProxyType({}))
    last = _LAST_VIEW.get(path)
    if last is not None and last[0] == raw:
        return last[1]
    view = ConfigView(path=path, exists=True, data=_parse(path, os.fspath(rel), raw))
    _LAST_VIEW[path] = (raw, view)
    return view


def _parse(path: Path, rel: str, raw: bytes) -> Mapping[str, object]:
    """The frozen document: JSON, the plain YAML subset, or (for any other YAML) ruamel's."""
    if is_json(path):
        from kitty_fs._config_json import load_json  # json only when needed

        return load_json(path, rel, raw)
    try:
        fast = parse_subset(raw.decode("utf-8"), max_depth=MAX_NESTING)
    except UnicodeDecodeError:
        fast = None  # ruamel's path names the byte and the line
    if fast is not None:
        return fast
    from kitty_fs._config_yaml import parse_yaml  # ruamel only when needed

    frozen = freeze(parse_yaml(path, rel, raw).doc)
    assert isinstance(frozen, Mapping)
    return frozen


def save_config(
    ctx: WriteContext,
    section: str,
    changes: Mapping[str, object],
    *,
    rel: RelPath,
    remove: Collection[str] = (),
) -> bool:
    """Set ``changes`` and delete ``remove`` in the top-level ``section`` of the config at
    ``rel``; True if the file changed.

    Keys of ``section`` not named are left as they are on disk *at the time of
    the save* (re-read under the lock), so concurrent writers of different keys
    compose. A nested mapping value replaces the nested mapping, keeping the
    comments of the keys that stay. Values must be str, int, float, bool, None,
    dates, lists or str-keyed mappings of those (``TypeError`` otherwise; a
    JSON config takes no dates and no NaN or infinity).

    Raises ``ConfigParseError`` / ``ConfigSchemaError`` when the file on disk is
    not a usable config, ``ConfigFileError`` when it cannot be read or replaced,
    ``ConfigBusyError`` when another program kept rewriting it; in every case
    the file is left as it was.
    """
    check_value(dict(changes), section)
    return _save(ctx, section, lambda _current: (changes, remove), rel)


def update_config(
    ctx: WriteContext,
    section: str,
    compute: Callable[[Mapping[str, object]], Mapping[str, object]],
    *,
    rel: RelPath,
) -> bool:
    """Read-modify-write of one section that no other writer can interleave with.

    ``compute`` is called under the write lock with the section as it is on
    disk at that moment (a read-only mapping, empty when absent) and returns the
    keys to set, as for ``save_config`` (an empty mapping writes nothing). Use
    it when the new values depend on the stored ones: "mint a uuid unless one is
    stored" decided outside the lock lets two writers each mint one and the last
    save win. ``compute`` may be called more than once when a program that does
    not take the lock rewrites the file meanwhile: only its last answer counts.
    True if the file changed.
    """

    def decide(current: Mapping[str, object]) -> tuple[Mapping[str, object], Collection[str]]:
        changes = compute(current)
        check_value(dict(changes), section)
        return changes, ()

    return _save(ctx, section, decide, rel)


def _plan(path: Path, rel: str, snapshot: Snapshot, section: str, decide: Decide) -> Plan:
    # Imported here: a process that only reads never loads the save machinery (nor ruamel).
    if is_json(path):
        from kitty_fs._config_json import json_plan as planner
    else:
        from kitty_fs._config_splice import yaml_plan as planner
    return planner(path, rel, snapshot.raw or b"", section, decide)


def _unchanged(path: Path, rel: str, snapshot: Snapshot) -> Callable[[], bool]:
    return lambda: snapshot.still_current(path, rel)


def _save(ctx: WriteContext, section: str, decide: Decide, rel: RelPath) -> bool:
    path = _config_path(ctx, rel)
    rel_text = os.fspath(rel)
    try:
        # The audit hook names the config, not the lock or temp file this save touches.
        with write_intent(path), locked(path):
            attempts = 0
            settle_until = time.monotonic() + _SETTLE_LIMIT_S
            while attempts < _ATTEMPTS:
                snapshot = read_snapshot(path, rel_text)
                plan = _plan(path, rel_text, snapshot, section, decide)
                if snapshot.raw is not None and plan.empty and not snapshot.settled():
                    # Empty, and just modified: most likely a rewrite in progress (git and
                    # shell redirections create or truncate first, then write). Never
                    # decide on it; once it has stayed empty for a moment, it is empty.
                    # (A file that does not parse is refused at once: that loses nothing.)
                    if time.monotonic() > settle_until:
                        break
                    time.sleep(_SETTLE_POLL_S)
                    continue
                if plan.data is None:
                    return False
                if snapshot.raw is None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                if replace_checked(path, plan.data, _unchanged(path, rel_text, snapshot)):
                    return True
                # Someone rewrote the file since it was read: read it again, decide again.
                attempts += 1
                import random  # only a save that lost a race needs it

                time.sleep(random.uniform(0, 0.002 * attempts))  # noqa: S311 (jitter)
    except WriteViolation as exc:
        # The guard names the first file the save touched (its lock or temp file, in the
        # scratch directory); the user asked to write the config, so say that first.
        raise WriteViolation(
            f"saving {rel_text}: {exc.message}",
            operation=exc.operation,
            path=path,
            reason=exc.reason,
            hint=exc.hint,
        ) from exc
    except KittyFsError:
        raise
    except OSError as exc:
        raise file_error("write", path, exc) from exc
    raise ConfigBusyError(
        f"another program kept rewriting {path} while it was being saved "
        f"(the file changed between each read and the replace that was to follow)",
        path=path,
        hint="nothing was written; let the program that rewrites it (an editor, a git "
        "checkout, a script in a loop) finish, then retry",
    )
