"""Confinement of relative paths to a root, in the manner of cap-std.

A context only ever takes paths relative to its root. ``confine`` turns such a
path into an absolute one and refuses anything that would leave the root:
absolute paths, ``..`` walks above the root, and symlinks (of the file or of any
directory on the way) whose target lies outside.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from kitty_fs._errors import PathEscapeError

__all__ = ["RelPath", "confine"]

RelPath = str | PurePath

_HINT = "pass a path relative to the context root that stays inside it"


def confine(root: Path, rel: RelPath) -> Path:
    """Return the absolute, symlink-resolved path of ``rel`` below ``root``.

    ``root`` must already be absolute and resolved (contexts guarantee it).
    The result is resolved so that later operations act on what the path
    really names, never on a link that could be swapped to point elsewhere.
    """
    text = os.fspath(rel)
    if "\x00" in text:
        raise PathEscapeError(f"path {text!r} contains a NUL byte", path=None, hint=_HINT)
    pure = PurePath(text)
    if pure.is_absolute():
        raise PathEscapeError(
            f"absolute path {text!r} refused below {root}", path=text, hint=_HINT
        )
    candidate = root.joinpath(pure)
    resolved = Path(os.path.realpath(candidate))
    if resolved != root and not resolved.is_relative_to(root):
        raise PathEscapeError(
            f"path {text!r} resolves to {resolved}, outside the root {root}",
            path=resolved,
            hint=_HINT,
        )
    return resolved
