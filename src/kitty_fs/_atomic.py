"""Crash-safe, lock-protected replacement of one file.

The new bytes go to a temp file, are fsynced, and replace the target with one
``rename(2)``: a reader sees the old or the new file, never a mix, and a crash
leaves one of the two. Where the temp and lock files live (never where ``git
status`` shows them) is ``_scratch``'s business.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from kitty_fs._errors import KittyFsError
from kitty_fs._scratch import (
    find_git_dir,
    lock_path_for,
    scratch_dir_for,
    temp_dir_for,
    temp_prefix_for,
)

__all__ = [
    "atomic_write_bytes",
    "find_git_dir",
    "locked",
    "replace_checked",
    "scratch_dir_for",
    "temp_prefix_for",
]

_LOCK_TIMEOUT_S = 30.0


class _LockTimeout(Exception):
    """The lock stayed held for the whole timeout."""


def _flock(lock_path: Path, timeout: float) -> int | None:
    """The lock file's descriptor, exclusively ``flock``ed; waits up to ``timeout`` if held.

    This is the lock ``filelock.UnixFileLock`` takes (``flock(2)`` on the same
    file, which it never deletes), so the two exclude each other across
    processes. ``None`` sends the caller to filelock: no ``fcntl`` (Windows), a
    filesystem without ``flock``, or no lock file yet. The file is never created
    here: where the filesystem has no ``flock``, filelock's soft lock *is* the
    file's existence, and a file created by this probe would look held. So only
    the first writer of a target imports filelock (~10 ms of imports).
    """
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return _queued_flock(fd, timeout)  # held by another writer: wait in line
    except OSError:
        os.close(fd)
        return None
    return fd


def _queued_flock(fd: int, timeout: float) -> int | None:
    """``fd`` once a blocking ``flock`` gets it; ``_LockTimeout`` (fd closed) after ``timeout``.

    The wait is the kernel's: a blocked ``flock`` is woken the moment the holder
    lets go. filelock polls instead (a try every 50 ms), and a writer that saves
    in a loop releases and retakes the lock between two polls, so its waiters
    waited seconds (a dashboard ticking beside ``spec-kitty`` saves: 1 to 5 s a
    save). ``flock`` has no timeout, so the blocking call runs in a daemon
    thread; a wait given up (timeout, Ctrl-C) leaves the thread queued, and it
    lets go of the lock (closes the descriptor) the moment it gets it. ``None``
    (fd closed): the blocking ``flock`` failed, filelock decides.
    """
    import fcntl
    import threading

    outcome: list[str] = []  # "held" or "failed", set by the thread under `guard`
    given_up = False
    guard = threading.Lock()
    done = threading.Event()

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            result = "failed"
        else:
            result = "held"
        with guard:
            if given_up:
                os.close(fd)  # nobody waits for it any more: let the next writer in
                return
            outcome.append(result)
        done.set()

    threading.Thread(target=wait, name="kitty-fs lock wait", daemon=True).start()
    interrupted = True
    try:
        done.wait(timeout)
        interrupted = False
    finally:
        with guard:
            if not outcome:
                given_up = True  # the thread closes fd when (if) its flock returns
        if outcome and (interrupted or outcome[0] == "failed"):
            os.close(fd)  # failed, or got just as a Ctrl-C ended the wait: not ours to keep
    if not outcome:
        raise _LockTimeout
    return fd if outcome[0] == "held" else None


@contextlib.contextmanager
def locked(target: Path, *, timeout: float = _LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the inter-process lock that serialises writers of ``target``."""
    lock_path = lock_path_for(target)
    try:
        fd = _flock(lock_path, timeout)
    except _LockTimeout:
        raise _timed_out(target, timeout) from None
    if fd is not None:
        try:
            yield
        finally:
            os.close(fd)  # closing the last descriptor releases the flock
        return
    # No lock file yet, or no flock here: filelock creates the file and locks it (a soft
    # lock where the filesystem has no flock). Imported only now: ~10 ms of imports.
    import filelock

    lock = filelock.FileLock(os.fspath(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise _timed_out(target, timeout) from exc
    try:
        yield
    finally:
        lock.release()


def _timed_out(target: Path, timeout: float) -> KittyFsError:
    return KittyFsError(
        f"timed out after {timeout:g}s waiting for the write lock on {target}",
        path=target,
        hint="another kitty-fs writer holds it; retry when it has finished",
    )


@contextlib.contextmanager
def _removed_on_failure(tmp: Path) -> Iterator[None]:
    """Delete the temp file ``tmp`` if the block fails: the target keeps its old bytes."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


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
        # os.urandom, not secrets: the name only has to be unguessable enough not to
        # collide, and secrets costs read commands ~6 ms of imports (hmac, OpenSSL).
        candidate = folder / f"{prefix}{os.urandom(6).hex()}"
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


def _write_temp(
    target: Path, data: bytes, old: os.stat_result | None, *, durable: bool = True
) -> Path:
    """A temp file holding ``data`` (fsynced if ``durable``), on ``target``'s filesystem,
    outside the worktree."""
    scratch = temp_dir_for(target)
    prefix = temp_prefix_for(target)
    _sweep_stale_temps(scratch, prefix)
    fd, tmp = _open_temp(scratch, prefix, None if old is None else stat.S_IMODE(old.st_mode))
    with _removed_on_failure(tmp), os.fdopen(fd, "wb") as handle:
        if old is not None:
            os.fchmod(handle.fileno(), stat.S_IMODE(old.st_mode))
            if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                # Root saving a user's config must not leave it root-owned; a user
                # may at least keep the group. Where chown is refused, so be it.
                with contextlib.suppress(PermissionError):
                    os.fchown(handle.fileno(), old.st_uid, old.st_gid)
        handle.write(data)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    return tmp


def _stat_or_none(target: Path) -> os.stat_result | None:
    try:
        return target.stat()
    except FileNotFoundError:
        return None


def atomic_write_bytes(
    target: Path, data: bytes, *, lock: bool = True, durable: bool = True
) -> bool:
    """Replace ``target`` with ``data`` so readers see the old or the new bytes, never a mix.

    Returns ``False`` without touching the file (mtime included) when it already
    holds ``data``. Keeps the file's permission bits (and owner, where allowed);
    a new file gets the umask's default. ``lock=False`` is for callers that
    already hold ``locked(target)``.

    ``durable=False`` skips the two fsyncs (the temp file's and the directory's):
    readers and a killed writer still see the old or the new bytes, but after a
    power loss the file may hold the old ones. It is for files the program
    writes again anyway, like a daemon's snapshot of its last tick, where two
    disk flushes per write cost more than the file is worth.
    """
    if lock:
        with locked(target):
            return atomic_write_bytes(target, data, lock=False, durable=durable)
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
    tmp = _write_temp(target, data, target.stat() if current is not None else None, durable=durable)
    with _removed_on_failure(tmp):
        tmp.replace(target)
    if durable:
        _fsync_dir(target.parent)
    return True


# link(2) cannot be used here: the filesystem has no hard links, or refuses them to us.
_NO_LINK: Final = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}
)


def replace_checked(target: Path, data: bytes, unchanged: Callable[[], bool]) -> bool:
    """Replace ``target`` with ``data`` only if ``unchanged()`` still holds; False if not.

    The caller holds ``locked(target)``, so no kitty-fs writer moves meanwhile;
    ``unchanged`` is how it tells that no other program did either (it compares
    the file with what the caller read). It runs once the new bytes are durable
    in the temp file, right before the rename, so the window in which another
    program's write can still be replaced is that of one ``stat``, one small
    read and the rename. A target that did not exist is created with
    ``link(2)``, which fails rather than replace a file that appeared since.
    """
    old = _stat_or_none(target)
    tmp = _write_temp(target, data, old)
    with _removed_on_failure(tmp):
        if not unchanged():
            tmp.unlink()
            return False
        if old is None:
            try:
                os.link(tmp, target)
            except FileExistsError:  # created since the check
                tmp.unlink()
                return False
            except OSError as exc:
                if exc.errno not in _NO_LINK:
                    raise
            else:
                tmp.unlink()
                _fsync_dir(target.parent)
                return True
        tmp.replace(target)
    _fsync_dir(target.parent)
    return True
