"""Read ``remote.origin.url`` from the git config files, without running git.

Why not ``git config --get``: a subprocess costs tens of milliseconds on every
read command, and read commands run under a guard that vets subprocesses. The
files are plain text (the git directory is found as the config store finds it,
``kitty_fs._scratch.git_dir_above``): ``.git/config`` in a normal clone; in a linked worktree
``.git`` is a file naming the worktree's git dir, whose ``commondir`` names the
shared one holding ``config``; in a submodule the named git dir holds ``config``
itself. Everything is read through ``ReadContext`` objects; nothing is written.

The parser covers what git writes for remotes (sections, quoted subsections,
quoted values, escapes, comments, continuation lines). ``[include]`` files and
``url.<base>.insteadOf`` rewrites are not followed: the result only seeds a
slug, and a wrong guess there is harmless (the directory name is the fallback).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from kitty_fs import KittyFsError, ReadContext, read_context
from kitty_fs._scratch import git_dir_above

__all__ = ["origin_url", "parse_git_config_value"]

_ESCAPES = {"n": "\n", "t": "\t", "b": "\b", '"': '"', "\\": "\\"}


def _read(folder: Path, name: str, reason: str) -> str | None:
    with contextlib.suppress(OSError, UnicodeDecodeError, KittyFsError):
        return read_context(folder, reason=reason).read_text(name)
    return None


def _config_dir(git_dir: Path, reason: str) -> Path:
    common = _read(git_dir, "commondir", reason) if (git_dir / "commondir").is_file() else None
    if common is None or not common.strip():
        return git_dir
    target = Path(common.strip())
    return target if target.is_absolute() else (git_dir / target)


def parse_git_config_value(raw: str) -> str:
    """A git config value as git reads it: quotes removed, escapes applied, comments cut."""
    out: list[str] = []
    quoted = False
    chars = iter(raw.strip())
    for ch in chars:
        if ch == '"':
            quoted = not quoted
        elif ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, nxt))
        elif ch in "#;" and not quoted:
            break
        else:
            out.append(ch)
    return "".join(out).strip()


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1]
            continue
        lines.append(pending + line)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _section_name(header: str) -> str:
    """``remote "origin"`` -> ``remote.origin``; legacy ``remote.origin`` is lower-cased whole."""
    name, _, sub = header.partition(" ")
    sub = sub.strip()
    if sub.startswith('"') and sub.endswith('"') and len(sub) >= 2:
        return f"{name.lower()}.{sub[1:-1]}"
    return header.strip().lower()


def _first_origin_url(text: str) -> str | None:
    section = ""
    for line in _logical_lines(text):
        stripped = line.strip()
        if stripped.startswith("["):
            header, _, rest = stripped[1:].partition("]")
            section = _section_name(header)
            stripped = rest.strip()
        if not stripped or stripped[0] in "#;" or section != "remote.origin":
            continue
        key, sep, value = stripped.partition("=")
        if sep and key.strip().lower() == "url":
            return parse_git_config_value(value) or None
    return None


def origin_url(ctx: ReadContext) -> str | None:
    """The first ``remote.origin.url`` of the repository holding ``ctx.root``, if any."""
    git_dir = git_dir_above(ctx.root)
    if git_dir is None:
        return None
    config_dir = _config_dir(git_dir, ctx.reason)
    text = _read(config_dir, "config", ctx.reason) if (config_dir / "config").is_file() else None
    return _first_origin_url(text) if text is not None else None
