"""Atomic, locked file replacement: modes kept, nothing left where git would show it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _fs_repo import git, immutable, make_repo, status

from kitty_fs import KittyFsError
from kitty_fs._atomic import (
    atomic_write_bytes,
    find_git_dir,
    locked,
    scratch_dir_for,
    temp_prefix_for,
)
from kitty_fs._scratch import lock_path_for


@pytest.fixture
def umask() -> Iterator[None]:
    saved = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(saved)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_unchanged_content_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "file"
    assert atomic_write_bytes(target, b"one\n") is True
    before = target.stat()
    assert atomic_write_bytes(target, b"one\n") is False
    after = target.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert atomic_write_bytes(target, b"two\n") is True
    assert target.read_bytes() == b"two\n"
    assert target.stat().st_ino != before.st_ino  # replaced, not rewritten in place


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o755, 0o444])
def test_the_file_mode_is_kept(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"old\n")
    target.chmod(mode)
    assert atomic_write_bytes(target, b"new\n")
    assert _mode(target) == mode
    assert target.read_bytes() == b"new\n"


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_gets_the_umask_default(
    tmp_path: Path, umask: None, mask: int, expected: int
) -> None:
    os.umask(mask)
    target = tmp_path / "file"
    assert atomic_write_bytes(target, b"new\n")
    assert _mode(target) == expected


def test_the_owner_is_kept_when_root_writes(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root may give a file away")
    target = tmp_path / "file"
    target.write_bytes(b"old\n")
    os.chown(target, 65534, 65534)
    assert atomic_write_bytes(target, b"new\n")
    info = target.stat()
    assert (info.st_uid, info.st_gid) == (65534, 65534)


def test_a_directory_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(KittyFsError, match="is a directory"):
        atomic_write_bytes(tmp_path / "dir", b"x")
    assert (tmp_path / "dir").is_dir()


def test_in_a_repository_scratch_files_live_in_the_git_dir(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"conf/file": b"old\n"})
    target = repo / "conf" / "file"
    assert scratch_dir_for(target) == repo / ".git" / "kitty-fs"
    for round_ in range(3):
        assert atomic_write_bytes(target, f"new {round_}\n".encode())
    assert status(repo) == [" M conf/file"]
    leftovers = [p.name for p in (repo / ".git" / "kitty-fs").iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith("file.")
    assert leftovers[0].endswith(".lock")  # the lock stays (filelock keeps it); no temp does


def test_a_stale_temp_file_is_swept_by_the_next_write(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"file": b"old\n"})
    target = repo / "file"
    scratch = scratch_dir_for(target)
    assert scratch is not None
    stale = scratch / f"{temp_prefix_for(target)}dead"
    stale.write_bytes(b"half a write")
    other = scratch / ".someone-else.tmpdead"
    other.write_bytes(b"not ours")
    assert atomic_write_bytes(target, b"new\n")
    assert not stale.exists()
    assert other.exists()


def test_in_a_worktree_scratch_files_live_in_its_git_dir(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"file": b"old\n"})
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"))
    worktree = tmp_path / "wt"
    assert (worktree / ".git").is_file()
    assert find_git_dir(worktree) == repo / ".git" / "worktrees" / "wt"
    assert atomic_write_bytes(worktree / "file", b"new\n")
    assert status(worktree) == [" M file"]
    assert status(repo) == []
    assert (repo / ".git" / "worktrees" / "wt" / "kitty-fs").is_dir()


def test_find_git_dir_reads_gitdir_files(tmp_path: Path) -> None:
    real = tmp_path / "modules" / "sub"
    real.mkdir(parents=True)
    checkout = tmp_path / "checkout"
    (checkout / "deep").mkdir(parents=True)
    (checkout / ".git").write_text("gitdir: ../modules/sub\n")
    assert find_git_dir(checkout / "deep") == real
    (checkout / ".git").write_text("not a gitdir line\n")
    assert find_git_dir(checkout / "deep") is None
    assert find_git_dir(tmp_path) is None


def test_scratch_on_another_filesystem_falls_back_to_the_target_dir(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on a filesystem other than the temp dir")
    gitdir = Path(os.path.realpath(shm)) / f"kitty-fs-test-{os.getpid()}-{tmp_path.name}"
    gitdir.mkdir()
    try:
        (tmp_path / ".git").write_text(f"gitdir: {gitdir}\n")
        target = tmp_path / "file"
        assert find_git_dir(tmp_path) == gitdir
        # os.replace cannot cross filesystems: the temp file must sit beside the target.
        assert scratch_dir_for(target) is None
        assert atomic_write_bytes(target, b"new\n")
        assert target.read_bytes() == b"new\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "file"]
    finally:
        shutil.rmtree(gitdir)


def test_outside_git_nothing_is_left_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "file"
    assert find_git_dir(tmp_path) is None
    assert atomic_write_bytes(target, b"one\n")
    assert atomic_write_bytes(target, b"two\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_failed_replace_leaves_the_file_and_no_temp(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"conf/file": b"old\n"})
    target = repo / "conf" / "file"
    with immutable(repo / "conf"), pytest.raises(PermissionError):
        atomic_write_bytes(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    scratch = repo / ".git" / "kitty-fs"
    assert [p.name for p in scratch.iterdir() if ".tmp" in p.name] == []
    assert status(repo) == []


def test_a_held_lock_times_out_with_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    # flock is per open file: a second lock object waits even in the same process.
    with (
        locked(target),
        pytest.raises(KittyFsError, match=r"timed out after 0\.2s") as info,
        locked(target, timeout=0.2),
    ):
        pass
    assert str(target) in str(info.value)
    assert not target.exists()


# A second process holding the lock through filelock itself, until its stdin closes.
_FILELOCK_HOLDER = """\
import sys, filelock
lock = filelock.FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""
# A second process trying filelock for a moment: prints what happened.
_FILELOCK_TRY = """\
import sys, filelock
try:
    filelock.FileLock(sys.argv[1], timeout=0.2).acquire()
except filelock.Timeout:
    print("timeout")
else:
    print("acquired")
"""


def _python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_the_lock_and_filelock_exclude_each_other_across_processes(tmp_path: Path) -> None:
    """The quick flock path takes filelock's own lock: neither gets in while the other holds."""
    target = tmp_path / f"file-{uuid.uuid4().hex}"  # its lock file is machine-wide (no repo)
    atomic_write_bytes(target, b"first\n")  # the first writer creates the lock file
    lock_path = lock_path_for(target)
    assert lock_path.is_file()

    with locked(target):
        assert _python(_FILELOCK_TRY, str(lock_path)) == "timeout"
    assert _python(_FILELOCK_TRY, str(lock_path)) == "acquired"

    holder = subprocess.Popen(
        [sys.executable, "-c", _FILELOCK_HOLDER, str(lock_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(KittyFsError, match=r"timed out after 0\.3s"),
            locked(target, timeout=0.3),
        ):
            pass
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    with locked(target, timeout=5):
        pass


def test_an_uncontended_writer_of_a_known_target_does_not_import_filelock(tmp_path: Path) -> None:
    # Outside a repository the lock lives in a machine-wide directory keyed by the path, and
    # pytest reuses temp paths across runs: a fresh name means no lock file from before.
    target = tmp_path / f"file-{uuid.uuid4().hex}"
    code = (
        "import sys; from pathlib import Path; from kitty_fs._atomic import atomic_write_bytes; "
        "atomic_write_bytes(Path(sys.argv[1]), sys.argv[2].encode()); "
        "print('filelock' in sys.modules)"
    )
    assert _python(code, str(target), "one") == "True"  # no lock file yet: filelock makes it
    assert _python(code, str(target), "two") == "False"
    assert target.read_bytes() == b"two"


STRACE = shutil.which("strace")


def _syncs_of_one_write(tmp_path: Path, durable: bool) -> list[str]:
    """The fsync-family calls one ``atomic_write_bytes`` makes, as the kernel saw them."""
    target = tmp_path / f"target-{durable}"
    target.write_bytes(b"old\n")
    code = (
        "import sys; from pathlib import Path\n"
        "from kitty_fs._atomic import atomic_write_bytes\n"
        "target = Path(sys.argv[1])\n"
        "print('MARK', flush=True)\n"  # the write's syscalls are those after this one
        "atomic_write_bytes(target, b'new\\n', durable=sys.argv[2] == '1')\n"
    )
    trace = tmp_path / f"trace-{durable}"
    subprocess.run(
        [
            *(STRACE or "strace", "-f", "-o", str(trace)),
            *("-e", "trace=write,fsync,fdatasync,sync_file_range"),
            *(sys.executable, "-c", code, str(target), "1" if durable else "0"),
        ],
        check=True,
        capture_output=True,
    )
    assert target.read_bytes() == b"new\n"
    calls = trace.read_text().split("MARK", 1)[1].splitlines()
    return [line.split()[1].split("(")[0] for line in calls if "sync" in line.split("(")[0]]


@pytest.mark.skipif(STRACE is None, reason="needs strace to see the process's system calls")
def test_a_durable_write_fsyncs_the_file_and_its_directory_and_a_non_durable_one_neither(
    tmp_path: Path,
) -> None:
    assert _syncs_of_one_write(tmp_path, durable=True) == ["fsync", "fsync"]
    assert _syncs_of_one_write(tmp_path, durable=False) == []


@pytest.mark.skipif(STRACE is None, reason="needs strace to see the process's system calls")
def test_a_waiting_writer_queues_in_the_kernel_and_gets_the_lock_when_it_is_let_go(
    tmp_path: Path,
) -> None:
    """One failed try, then one blocking ``flock``: no polling a writer in a loop could outrun."""
    target = tmp_path / f"file-{uuid.uuid4().hex}"  # its lock file is machine-wide (no repo)
    atomic_write_bytes(target, b"first\n")  # the first writer creates the lock file
    waiter = (
        "import sys; from pathlib import Path; from kitty_fs._atomic import locked\n"
        "print('waiting', flush=True)\n"
        "with locked(Path(sys.argv[1]), timeout=60):\n"
        "    print('acquired', flush=True)\n"
    )
    trace = tmp_path / "trace"
    with locked(target):
        child = subprocess.Popen(
            [
                *(STRACE or "strace", "-f", "-o", str(trace), "-e", "trace=flock"),
                *(sys.executable, "-c", waiter, str(target)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "waiting"
        time.sleep(0.5)  # long enough for a poller to try ten times; the lock is still ours
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0 and out.strip() == "acquired"
    calls = [line.split(None, 1)[1] for line in trace.read_text().splitlines() if "flock(" in line]
    exclusive = [call for call in calls if "LOCK_EX" in call]
    assert len(exclusive) == 2, calls
    assert "LOCK_NB" in exclusive[0] and "LOCK_NB" not in exclusive[1], calls
