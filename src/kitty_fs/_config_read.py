"""Reading a config file: one small regular file, its bytes and its identity, or a clear error.

A save must replace only the file it read. Other programs (an editor, ``git
checkout``, ``git show HEAD:f > f``) write the config without our lock, so a
save keeps the ``Snapshot`` it decided on (the bytes, and the inode with its
size and timestamps) and, once the new bytes are ready in the temp file,
checks with ``Snapshot.still_current`` that the file is still exactly that
before renaming over it. The bytes are compared too: timestamps come from a
coarse clock, so an in-place rewrite of the same size can keep them.

An empty document is what a rewrite in progress looks like (``git`` and a
shell redirection create or truncate the file, then write it), so a save
takes an empty file for "no config yet" only once it has stayed unchanged
for ``SETTLE_S`` (see ``settled``).

The limits a hostile file meets, and the parse error that names the file and
line, live here too: both parsers (``_config_yaml`` with ruamel, and
``_config_json``) use them, and a reader that loads a JSON config or a YAML
one in the fast subset (``_yaml_subset``) must not import ruamel to get them.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path
from typing import Final

import attrs

from kitty_fs._atomic import temp_prefix_for
from kitty_fs._errors import ConfigFileError, ConfigParseError

__all__ = [
    "BOM",
    "MAX_CONFIG_BYTES",
    "MAX_EXPANDED_NODES",
    "MAX_NESTING",
    "SETTLE_S",
    "Snapshot",
    "file_error",
    "is_json",
    "parse_error",
    "read_snapshot",
]

MAX_CONFIG_BYTES: Final = 1024 * 1024
# A document expanding to more nodes than this through aliases is an alias bomb.
MAX_EXPANDED_NODES: Final = 100_000
# ruamel composes and constructs recursively; far below the interpreter's limit.
MAX_NESTING: Final = 50
BOM: Final = "\ufeff"
_PARSE_HINT: Final = (
    "fix the file by hand (nothing was written), or restore it with `git checkout -- {rel}`"
)
# How long an empty config must stay untouched before a save believes it is empty.
SETTLE_S: Final = 1.0


@attrs.frozen(slots=True)
class Snapshot:
    """The config as one read saw it."""

    raw: bytes | None  # None: the file does not exist
    # (st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns) of the file read, None when absent.
    identity: tuple[int, int, int, int, int] | None = attrs.field(eq=True)
    mtime_ns: int = attrs.field(eq=False)

    def still_current(self, path: Path, rel: str) -> bool:
        """Is ``path`` still this very file, with these very bytes (or still absent)?"""
        try:
            return read_snapshot(path, rel) == self
        except ConfigFileError:
            return False

    def settled(self) -> bool:
        """Has the file gone unmodified for ``SETTLE_S`` (by its mtime, against the clock)?"""
        age_s = (time.time_ns() - self.mtime_ns) / 1e9
        return age_s >= SETTLE_S


def is_json(path: Path) -> bool:
    """Configs are JSON by their name (``.json``), YAML otherwise."""
    return path.suffix.lower() == ".json"


def parse_error(path: Path, rel: str, problem: str, line: int | None) -> ConfigParseError:
    """A file that does not parse: the error names the file and line, and how to recover."""
    where = f"{path}:{line}" if line else str(path)
    return ConfigParseError(
        f"{where}: {problem}", path=path, line=line, hint=_PARSE_HINT.format(rel=rel)
    )


def file_error(action: str, path: Path, exc: OSError) -> ConfigFileError:
    """An ``OSError`` as a one-line error naming the config (and the other file, if any)."""
    detail = exc.strerror or str(exc)
    # A failed rename names our temp file first and the config second: the config
    # is the one that matters. A temp file of ours is gone: name its directory.
    other = exc.filename2 if exc.filename2 is not None else exc.filename
    if other is not None:
        shown = Path(os.fsdecode(other))
        if shown.name.startswith(temp_prefix_for(path)):
            shown = shown.parent
        if shown != path:
            detail = f"{detail}: {shown}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        hint = "make the file and its directory writable (or readable); nothing was changed"
    elif exc.errno == errno.EROFS:
        hint = "the filesystem is mounted read-only; nothing was changed"
    elif exc.errno == errno.ENOSPC:
        hint = "free some disk space; nothing was changed"
    elif exc.errno == errno.ENOTDIR:
        blocker = next((p for p in reversed(path.parents) if not p.is_dir()), path.parent)
        hint = f"{blocker} is a file where a directory belongs: move it aside; nothing was changed"
    else:
        hint = "fix the cause and retry; nothing was changed"
    return ConfigFileError(f"cannot {action} {path}: {detail}", path=path, hint=hint)


def read_snapshot(path: Path, rel: str) -> Snapshot:
    """The file's bytes and identity (``raw=None``: absent); refuses anything but a small file."""
    hint = f"replace {rel} with a regular file (nothing was written)"
    try:
        # O_NONBLOCK: a FIFO must not hang us; O_NOFOLLOW: ``path`` is resolved, so
        # a link here appeared since (or is a loop) and is not followed.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return Snapshot(raw=None, identity=None, mtime_ns=0)
    except OSError as exc:
        raise file_error("read", path, exc) from exc
    try:
        info = os.fstat(fd)
        kind = stat.S_IFMT(info.st_mode)
        if kind == stat.S_IFDIR:
            raise ConfigFileError(f"{path} is a directory, not a config file", path=path, hint=hint)
        if kind != stat.S_IFREG:
            raise ConfigFileError(f"{path} is not a regular file", path=path, hint=hint)
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise file_error("read", path, exc) from exc
    finally:
        os.close(fd)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigFileError(
            f"{path} is over the {MAX_CONFIG_BYTES}-byte limit for a config file",
            path=path,
            hint="a config file is a few KiB; check what wrote there (nothing was written)",
        )
    identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    return Snapshot(raw=raw, identity=identity, mtime_ns=info.st_mtime_ns)
