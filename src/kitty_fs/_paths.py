"""Confinement of relative paths to a root, in the manner of cap-std.

A context only ever takes paths relative to its root. ``confine`` turns such a
path into an absolute one and refuses anything that would leave the root:
absolute paths, ``..`` walks above the root, and symlinks (of the file or of any
directory on the way) whose target lies outside.

What this does not do: hold the directories open while the caller uses the
result. A process that swaps a directory for a symlink between ``confine`` and
the ``open`` can still redirect it; the threat here is a mistaken path or a
stray link in a repository, not a hostile local process racing us.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path, PurePath

from kitty_fs._errors import PathEscapeError

__all__ = ["RelPath", "confine"]

RelPath = str | PurePath

_HINT = "pass a path relative to the context root that stays inside it"


def _resolve(path: Path, text: str) -> Path:
    """``realpath`` that refuses symlink loops instead of guessing past them.

    Non-strict ``realpath`` stops resolving at a loop and, depending on the
    Python version, either returns the rest unresolved or applies a later
    ``..`` lexically: neither is what the kernel does (it fails with ELOOP).
    The strict pass finds loops; the lenient one handles paths that do not
    exist yet (a file about to be written).
    """
    try:
        return Path(os.path.realpath(path, strict=True))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathEscapeError(
                f"path {text!r} runs into a symlink loop", path=path, hint=_HINT
            ) from exc
    resolved = Path(os.path.realpath(path))
    if ".." in resolved.parts:  # a loop behind a missing component, on older Pythons
        raise PathEscapeError(f"path {text!r} runs into a symlink loop", path=path, hint=_HINT)
    return resolved


def confine(root: Path, rel: RelPath, *, follow_symlinks: bool = True) -> Path:
    """Return the absolute, symlink-resolved path of ``rel`` below ``root``.

    ``root`` must already be absolute and resolved (contexts guarantee it).
    The result is resolved so that later operations act on what the path
    really names, never on a link that could be swapped to point elsewhere.

    With ``follow_symlinks=False`` the last component is kept as it is (its
    directory is still resolved and checked): that is what ``remove`` needs, so
    removing a link removes the link and never the file it points to.
    """
    text = os.fspath(rel)
    if not isinstance(text, str):
        raise TypeError(f"a context path must be str or PurePath, not {type(text).__name__}")
    if "\x00" in text:
        raise PathEscapeError(f"path {text!r} contains a NUL byte", path=None, hint=_HINT)
    pure = PurePath(text)
    if pure.is_absolute():
        raise PathEscapeError(f"absolute path {text!r} refused below {root}", path=text, hint=_HINT)
    candidate = root.joinpath(pure)
    if not follow_symlinks and pure.name not in ("", ".", ".."):
        # PurePath drops "." parts and a trailing slash, so .name is the real last component.
        resolved = _resolve(candidate.parent, text) / pure.name
    else:
        resolved = _resolve(candidate, text)
    if resolved != root and not resolved.is_relative_to(root):
        raise PathEscapeError(
            f"path {text!r} resolves to {resolved}, outside the root {root}",
            path=resolved,
            hint=_HINT,
        )
    return resolved
