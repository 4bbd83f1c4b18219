"""Crash-safe, lock-protected replacement of one file.

Why the scratch files live where they do: a lock file or a temp file left next
to a tracked file would show in ``git status`` (a killed writer cannot clean up
after itself). When the target sits in a git repository, both go into
``<git-dir>/kitty-fs/``, which git never reports; ``os.replace`` from there is
atomic as long as it is on the same filesystem as the target, which is checked.
Outside git (or across filesystems) the temp file goes next to the target, and
locks go to the system temp directory.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import filelock

from kitty_fs._errors import KittyFsError

__all__ = ["atomic_write_bytes", "find_git_dir", "locked", "scratch_dir_for"]

_SCRATCH = "kitty-fs"
_LOCK_TIMEOUT_S = 30.0


def find_git_dir(start: Path) -> Path | None:
    """The git directory of the repository containing ``start``, without running git.

    Handles linked worktrees and submodules, where ``.git`` is a file holding
    ``gitdir: <path>``.
    """
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        try:
            mode = dot_git.stat().st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            return dot_git
        if stat.S_ISREG(mode):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                first = dot_git.read_text(encoding="utf-8").splitlines()[0]
                if first.startswith("gitdir:"):
                    target = Path(first.partition(":")[2].strip())
                    return target if target.is_absolute() else (folder / target).resolve()
        return None
    return None


def _key(target: Path) -> str:
    return hashlib.sha256(os.fsencode(target)).hexdigest()[:16]


def scratch_dir_for(target: Path) -> Path | None:
    """``<git-dir>/kitty-fs`` for ``target`` when usable for atomic renames, else ``None``."""
    git_dir = find_git_dir(target.parent)
    if git_dir is None:
        return None
    scratch = git_dir / _SCRATCH
    try:
        scratch.mkdir(exist_ok=True)
        if scratch.stat().st_dev != target.parent.stat().st_dev:
            return None
    except OSError:
        return None
    return scratch


def _lock_path(target: Path) -> Path:
    scratch = scratch_dir_for(target)
    if scratch is None:
        scratch = Path(tempfile.gettempdir()) / f"{_SCRATCH}-locks-{os.getuid()}"
        scratch.mkdir(mode=0o700, exist_ok=True)
    return scratch / f"{target.name}.{_key(target)}.lock"


@contextlib.contextmanager
def locked(target: Path, *, timeout: float = _LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the inter-process lock that serialises writers of ``target``."""
    lock = filelock.FileLock(os.fspath(_lock_path(target)), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise KittyFsError(
            f"timed out after {timeout:.0f}s waiting for the write lock on {target}",
            path=target,
            hint="another kitty-fs writer holds it; retry when it has finished",
        ) from exc
    try:
        yield
    finally:
        lock.release()


def _sweep_stale_temps(folder: Path, prefix: str) -> None:
    # Temp files of a writer killed mid-save; callers hold the lock, so none is live.
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(prefix):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on directories
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def atomic_write_bytes(target: Path, data: bytes, *, lock: bool = True) -> bool:
    """Replace ``target`` with ``data`` so readers see the old or the new bytes, never a mix.

    Returns ``False`` without touching the file (mtime included) when it already
    holds ``data``. Keeps the file's permission bits. ``lock=False`` is for
    callers that already hold ``locked(target)``.
    """
    if lock:
        with locked(target):
            return atomic_write_bytes(target, data, lock=False)
    try:
        current = target.read_bytes()
    except FileNotFoundError:
        current = None
    except IsADirectoryError as exc:
        raise KittyFsError(
            f"{target} is a directory, not a file", path=target, hint="move it out of the way"
        ) from exc
    if current == data:
        return False
    if current is not None:
        mode = stat.S_IMODE(target.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask

    scratch = scratch_dir_for(target) or target.parent
    prefix = f".{target.name}.{_key(target)}.tmp"
    _sweep_stale_temps(scratch, prefix)
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, dir=scratch)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)
    return True
