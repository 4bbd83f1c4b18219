"""Where a writer's lock and temp files go: never where ``git status`` would show them.

A killed writer cannot clean up after itself, so whatever it leaves must lie
where git never looks. The rules, for a target inside a git worktree:

* the lock goes to ``<git-dir>/kitty-fs/`` (any filesystem will do for a lock);
* the temp file must be on the target's filesystem (``rename(2)`` cannot cross
  one), so it goes to ``<git-dir>/kitty-fs/`` when the git directory is on it;
* otherwise (a linked worktree on tmpfs whose repository is on disk) it goes
  to ``.kitty-fs-scratch/`` in the nearest directory above the worktree that is
  on the target's filesystem and in no git worktree itself; when there is none
  (the worktree is the mount point), the write is refused before anything is
  created: a temp file inside the worktree would show in ``git status``.

The git directory is found as git finds it: ``GIT_DIR`` (with ``GIT_WORK_TREE``,
or the current directory, as the worktree) when set and the target is in that
worktree, else the nearest ``.git`` directory or ``gitdir:`` file above the
target. A target in no repository at all has no ``git status`` to spoil: its
temp file goes next to it and its lock to the system temp directory.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Final, NamedTuple

from kitty_fs._digest import sha256
from kitty_fs._errors import KittyFsError

__all__ = [
    "find_git_dir",
    "git_dir_above",
    "git_scratch_dir",
    "lock_path_for",
    "scratch_dir_for",
    "temp_dir_for",
    "temp_prefix_for",
    "worktree_of",
]

_SCRATCH: Final = "kitty-fs"
_OUTSIDE: Final = ".kitty-fs-scratch"


# A NamedTuple, not attrs: it is built on every cold start (docs/commands.md, "Cold start").
class _Repo(NamedTuple):
    git_dir: Path
    worktree: Path


def _from_dot_git(start: Path) -> _Repo | None:
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        try:
            mode = dot_git.stat().st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            return _Repo(dot_git, folder)
        if stat.S_ISREG(mode):
            with contextlib.suppress(OSError, UnicodeDecodeError, IndexError):
                first = dot_git.read_text(encoding="utf-8").splitlines()[0]
                if first.startswith("gitdir:"):
                    target = Path(first.partition(":")[2].strip())
                    git_dir = target if target.is_absolute() else (folder / target).resolve()
                    return _Repo(git_dir, folder)
        return None
    return None


def _from_environment(start: Path) -> _Repo | None:
    git_dir = os.environ.get("GIT_DIR")
    if not git_dir:
        return None
    worktree = Path(os.environ.get("GIT_WORK_TREE") or Path.cwd()).resolve()
    if not start.resolve().is_relative_to(worktree):
        return None
    return _Repo(Path(git_dir).resolve(), worktree)


def _repo_of(start: Path) -> _Repo | None:
    return _from_environment(start) or _from_dot_git(start)


def git_dir_above(start: Path) -> Path | None:
    """The git directory the nearest ``.git`` at or above ``start`` names, ``GIT_DIR`` aside.

    A ``.git`` directory is itself the git directory; a ``.git`` file (linked
    worktree, submodule) names it as ``gitdir: <path>``. Read-only and without
    running git, so a read command may call it under the guard.
    """
    repo = _from_dot_git(start)
    return repo.git_dir if repo is not None else None


def worktree_of(start: Path) -> Path | None:
    """The top of the git worktree holding ``start`` (``GIT_DIR``/``GIT_WORK_TREE`` honoured)."""
    repo = _repo_of(start)
    return repo.worktree if repo is not None else None


def git_scratch_dir(start: Path) -> Path | None:
    """``<git-dir>/kitty-fs`` of the repository holding ``start``, created; ``None`` if none."""
    repo = _repo_of(start)
    return _git_scratch(repo.git_dir) if repo is not None else None


def find_git_dir(start: Path) -> Path | None:
    """The git directory of the repository containing ``start``, without running git.

    Handles linked worktrees and submodules, where ``.git`` is a file holding
    ``gitdir: <path>``, and ``GIT_DIR``-driven worktrees.
    """
    repo = _repo_of(start)
    return repo.git_dir if repo is not None else None


def _key(target: Path) -> str:
    return sha256(os.fsencode(target)).hexdigest()[:16]


def temp_prefix_for(target: Path) -> str:
    """The name prefix of ``target``'s temp files (a killed writer's leftovers carry it)."""
    return f".{target.name}.{_key(target)}.tmp"


def _git_scratch(git_dir: Path) -> Path | None:
    scratch = git_dir / _SCRATCH
    try:
        scratch.mkdir(exist_ok=True)
    except OSError:
        return None
    return scratch


def scratch_dir_for(target: Path) -> Path | None:
    """``<git-dir>/kitty-fs`` for ``target`` when usable for its renames, else ``None``."""
    repo = _repo_of(target.parent)
    if repo is None:
        return None
    scratch = _git_scratch(repo.git_dir)
    try:
        if scratch is None or scratch.stat().st_dev != target.parent.stat().st_dev:
            return None
    except OSError:
        return None
    return scratch


def _outside_worktree(worktree: Path, device: int) -> Path | None:
    """``.kitty-fs-scratch`` in the nearest directory above ``worktree`` on ``device`` that
    lies in no git worktree; ``None`` when there is none (or it cannot be created)."""
    for folder in worktree.parents:
        try:
            if folder.stat().st_dev != device:
                return None  # above the target's mount point: no directory left on it
        except OSError:
            return None
        if _from_dot_git(folder) is not None:
            continue
        scratch = folder / _OUTSIDE
        try:
            scratch.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            return None
        return scratch
    return None


def temp_dir_for(target: Path) -> Path:
    """Where ``target``'s temp file goes: on its filesystem, never inside its worktree.

    An ``OSError`` creating ``<git-dir>/kitty-fs`` (permissions, a read-only
    filesystem) propagates: the caller reports it for the file being written.
    """
    repo = _repo_of(target.parent)
    if repo is None:
        return target.parent
    scratch = repo.git_dir / _SCRATCH
    try:
        scratch.mkdir(exist_ok=True)
    except OSError as exc:
        if not os.access(target.parent, os.W_OK):
            # As unwritable as the git dir (a read-only mount, permissions): name the
            # directory the user knows, the one they asked to write in.
            raise OSError(exc.errno, exc.strerror, os.fspath(target.parent)) from exc
        raise
    device = target.parent.stat().st_dev
    if scratch.stat().st_dev == device:
        return scratch
    outside = _outside_worktree(repo.worktree.resolve(), device)
    if outside is not None:
        return outside
    raise KittyFsError(
        f"cannot write {target} safely: its git directory {repo.git_dir} is on another "
        f"filesystem, and no directory on the target's filesystem lies outside the worktree "
        f"{repo.worktree}",
        path=target,
        hint="a temp file inside the worktree would show in `git status`; keep the worktree "
        "and its repository on one filesystem, or mount the worktree's parent rather than "
        "the worktree itself (nothing was written)",
    )


def lock_path_for(target: Path) -> Path:
    """The lock file serialising ``target``'s writers (kept; a lock file is reused)."""
    repo = _repo_of(target.parent)
    scratch = _git_scratch(repo.git_dir) if repo is not None else None
    if scratch is None:
        import tempfile  # only here: most writers lock inside a repository

        scratch = Path(tempfile.gettempdir()) / f"{_SCRATCH}-locks-{os.getuid()}"
        scratch.mkdir(mode=0o700, exist_ok=True)
    return scratch / f"{target.name}.{_key(target)}.lock"
