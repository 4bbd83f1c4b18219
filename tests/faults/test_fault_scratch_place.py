"""Killed saves leave nothing ``git status`` shows, wherever the worktree and its git dir live.

* A linked worktree on tmpfs (``/dev/shm``) whose repository is on disk: the
  git directory cannot take the temp file (``rename(2)`` cannot cross
  filesystems), so it goes to ``.kitty-fs-scratch`` above the worktree, on the
  worktree's filesystem. A process saving in a loop is SIGKILLed as soon as
  its temp file shows (mid-save), and real ``spec-kitty tracker bind`` runs are
  killed about when they save; after each kill ``git status`` shows at most the
  config.
* A worktree driven by ``GIT_DIR``/``GIT_WORK_TREE`` (no ``.git`` in it): the
  temp file goes to that git directory, not next to the config (same kills).
* A worktree that is itself the mount point of another filesystem: no
  directory outside it is on its filesystem, so the save is refused with a
  clear error and creates nothing.

Counts: ``KILLS`` kills, 10 by default, 60 with ``KITTY_FULL=1``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_support import BIND, CONFIG_REL, cli_env, count, git, make_project, spec_kitty_argv
from tmpfs_support import tmpfs_dir

KILLS = count(10, 60)


def _status(worktree: Path, env: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--ignored"],
        cwd=worktree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


_SAVER = (
    "import sys\n"
    "from kitty_fs import save_config, write_boundary\n"
    "ctx = write_boundary(sys.argv[1], reason='saver')\n"
    "n = 0\n"
    "while True:\n"
    "    n += 1\n"
    f"    save_config(ctx, 'tracker', {{'binding_ref': f'r{{n}}'}}, rel={CONFIG_REL!r})\n"
    "    print(n, flush=True)\n"
)


def _has_temp(folders: tuple[Path, ...]) -> bool:
    for folder in folders:
        with contextlib.suppress(OSError):
            if any(".tmp" in name for name in os.listdir(folder)):
                return True
    return False


def _kill_savers(work: Path, env: dict[str, str] | None, watch: tuple[Path, ...]) -> int:
    """SIGKILL a process saving in a loop, ``KILLS`` times, each as soon as a temp file shows
    in one of ``watch`` (where the old code and the new one put it), so that kills land
    mid-save even where fsync is free (tmpfs). After each kill git shows at most the config.
    Returns how many kills landed while a temp file existed."""
    mid_save = 0
    for kill in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVER, os.fspath(work)], env=env, stdout=subprocess.PIPE
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # saving by now
        deadline = time.monotonic() + 5
        while not (seen := _has_temp(watch)) and time.monotonic() < deadline:
            pass
        proc.kill()
        mid_save += seen
        proc.wait(timeout=60)
        proc.stdout.close()
        assert _status(work, env) in ([], [f" M {CONFIG_REL}"]), kill
        assert sorted(p.name for p in (work / ".kittify").iterdir()) == ["config.yaml"]
    return mid_save


@pytest.fixture
def shm_worktree(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """``(repo, worktree)``: the repository under pytest's temp dir, its linked worktree on
    tmpfs."""
    with tmpfs_dir(tmp_path) as base:
        repo = make_project(tmp_path / "repo")
        worktree = base / "wt"
        git(repo, "worktree", "add", "-q", "-b", "on-tmpfs", os.fspath(worktree))
        yield repo, worktree


def test_killed_binds_in_a_worktree_on_another_filesystem_leave_nothing_in_git_status(
    shm_worktree: tuple[Path, Path], tmp_path: Path
) -> None:
    _repo, worktree = shm_worktree
    env = cli_env(tmp_path / "state")
    start = time.monotonic()
    done = subprocess.run(
        spec_kitty_argv(worktree, *BIND, "--binding-ref", "first"), env=env, check=False
    )
    assert done.returncode == 0
    took = time.monotonic() - start
    assert _status(worktree) == [f" M {CONFIG_REL}"]
    watch = (worktree / ".kittify", worktree.parent / ".kitty-fs-scratch")
    assert _kill_savers(worktree, None, watch) > 0
    for kill in range(3):  # and the real command, killed about when it saves
        argv = spec_kitty_argv(worktree, *BIND, "--binding-ref", f"ref-{kill:04d}")
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(took * (0.8 + 0.1 * kill))
        proc.kill()
        proc.wait(timeout=60)
        assert _status(worktree) in ([], [f" M {CONFIG_REL}"]), kill
    # Where the temp files went: on tmpfs, outside the worktree.
    assert (worktree.parent / ".kitty-fs-scratch").is_dir()


def test_a_git_dir_driven_worktree_keeps_its_temp_files_in_the_git_dir(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    work = tmp_path / "work"
    shutil.copytree(repo / ".kittify", work / ".kittify")
    (work / "README.md").write_text("fault-test project\n")
    env = {**os.environ, "GIT_DIR": os.fspath(repo / ".git"), "GIT_WORK_TREE": os.fspath(work)}
    assert _status(work, env) == []
    assert _kill_savers(work, env, (work / ".kittify", repo / ".git" / "kitty-fs")) > 0
    assert (repo / ".git" / "kitty-fs").is_dir()


def test_a_worktree_that_is_a_mount_point_refuses_the_save_and_creates_nothing(
    tmp_path: Path,
) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a private tmpfs on the worktree")
    repo = make_project(tmp_path / "repo")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    save = (
        "from kitty_fs import KittyFsError, save_config, write_boundary\n"
        "import sys\n"
        "ctx = write_boundary(sys.argv[1], reason='mount point')\n"
        "try:\n"
        f"    save_config(ctx, 'tracker', {{'binding_ref': 'new'}}, rel={CONFIG_REL!r})\n"
        "except KittyFsError as exc:\n"
        "    print(exc)\n"
    )
    script = (
        'mount -t tmpfs none "$1" && git -C "$2" worktree add -q -b mnt "$1" && '
        '"$3" -c "$4" "$1" && git -C "$1" status --porcelain --untracked-files=all --ignored'
        ' && ls -A "$1/.kittify" "$1/.."'
    )
    done = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            os.fspath(worktree),
            os.fspath(repo),
            sys.executable,
            save,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "cannot write" in lines[0] and "safely" in lines[0], lines
    assert "another filesystem" in lines[0] and "nothing was written" in lines[0]
    # git status printed nothing; .kittify holds the config alone; nothing was left above.
    assert "config.yaml" in lines
    assert not any(".kitty-fs-scratch" in line or ".tmp" in line for line in lines), lines
