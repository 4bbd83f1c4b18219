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
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kitty_fs._errors import KittyFsError

__all__ = [
    "atomic_write_bytes",
    "find_git_dir",
    "locked",
    "scratch_dir_for",
    "temp_prefix_for",
]

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
    # Imported here: filelock pulls in asyncio (~20 ms), and only writers need it.
    import filelock

    lock = filelock.FileLock(os.fspath(_lock_path(target)), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise KittyFsError(
            f"timed out after {timeout:g}s waiting for the write lock on {target}",
            path=target,
            hint="another kitty-fs writer holds it; retry when it has finished",
        ) from exc
    try:
        yield
    finally:
        lock.release()


def temp_prefix_for(target: Path) -> str:
    """The name prefix of ``target``'s temp files (a killed writer's leftovers carry it)."""
    return f".{target.name}.{_key(target)}.tmp"


def _sweep_stale_temps(folder: Path, prefix: str) -> None:
    # Temp files of a writer killed mid-save; callers hold the lock, so none is live.
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(prefix):
                with contextlib.suppress(OSError):
                    Path(entry.path).unlink()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on directories
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _open_temp(folder: Path, prefix: str, mode: int | None) -> tuple[int, Path]:
    """Create a fresh temp file in ``folder``; ``mode=None`` means "as a new file would be".

    Not ``tempfile.mkstemp``: it creates files 0600, and learning the umask to
    undo that means setting it (``os.umask`` is process-wide, so another thread
    could create a world-writable file in between). Passing 0666 to ``open``
    lets the kernel apply the umask itself.
    """
    for _attempt in range(100):
        candidate = folder / f"{prefix}{secrets.token_hex(6)}"
        try:
            fd = os.open(
                candidate,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW,
                0o666 if mode is None else 0o600,
            )
        except FileExistsError:
            continue
        return fd, candidate
    raise FileExistsError(errno.EEXIST, "no free temp file name", os.fspath(folder))


def atomic_write_bytes(target: Path, data: bytes, *, lock: bool = True) -> bool:
    """Replace ``target`` with ``data`` so readers see the old or the new bytes, never a mix.

    Returns ``False`` without touching the file (mtime included) when it already
    holds ``data``. Keeps the file's permission bits (and owner, where allowed);
    a new file gets the umask's default. ``lock=False`` is for callers that
    already hold ``locked(target)``.
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
    old = target.stat() if current is not None else None

    scratch = scratch_dir_for(target) or target.parent
    prefix = temp_prefix_for(target)
    _sweep_stale_temps(scratch, prefix)
    fd, tmp = _open_temp(scratch, prefix, None if old is None else stat.S_IMODE(old.st_mode))
    try:
        with os.fdopen(fd, "wb") as handle:
            if old is not None:
                os.fchmod(handle.fileno(), stat.S_IMODE(old.st_mode))
                if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                    # Root saving a user's config must not leave it root-owned; a user
                    # may at least keep the group. Where chown is refused, so be it.
                    with contextlib.suppress(PermissionError):
                        os.fchown(handle.fileno(), old.st_uid, old.st_gid)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)
    return True
