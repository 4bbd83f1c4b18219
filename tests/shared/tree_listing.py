"""The tests' one whole-tree state: every entry below a directory, git or not.

``kitty_fs.testing.TreeState`` is INV-1's evidence for a git worktree (porcelain
with ignored files, tracked-file hashes, the listing) and is what the contract
and CLI tests use. Two test directories need more than a worktree: the hostile
catalog watches the whole case directory (a symlink's target outside the
repository, a directory that is not a repository at all) and the stateful test
compares every file's bytes and mode, untracked ones included. Both take this
listing; it needs no git.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

__all__ = ["tree_state"]


def tree_state(root: Path, skip: Sequence[Path] = ()) -> dict[str, tuple[object, ...]]:
    """Every entry below ``root`` (``.git`` and ``skip`` aside): kind, mode and content.

    Files carry sha256 and ``mtime_ns``; links their target; directories their mode
    only (a temp file made and removed changes a directory's mtime, not its bytes).
    """
    state: dict[str, tuple[object, ...]] = {}
    skipped = {os.path.realpath(p) for p in skip}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            d
            for d in dirs
            if d != ".git" and os.path.realpath(os.path.join(folder, d)) not in skipped
        ]
        for name in (*dirs, *files):
            path = os.path.join(folder, name)
            info = os.lstat(path)
            rel = os.path.relpath(path, root)
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                state[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                state[rel] = ("dir", mode)
            elif stat.S_ISREG(info.st_mode):
                state[rel] = ("file", mode, info.st_mtime_ns, _sha256(path, info.st_mode))
            else:
                state[rel] = ("other", mode, info.st_mtime_ns)
    return state


def _sha256(path: str, mode: int) -> str:
    if not mode & stat.S_IRUSR:
        return "unreadable"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
