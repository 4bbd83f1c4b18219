"""Small real-git helpers for the kitty_fs foundation tests.

Git runs through the suite's one runner (``git_support``, i.e.
``kitty_fs.testing.run_git``) and repositories come from ``make_git_repo``;
both are standard-library code of their own, so these tests still check the
foundation without depending on the guard or the pytest plugin built on it.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from _fs_workers import CONFIG_PATH
from git_support import git

from kitty_fs.testing import make_git_repo

__all__ = ["CONFIG_PATH", "WORKERS", "git", "immutable", "make_repo", "status", "worker_cmd"]


# The child-process half of the concurrency and crash tests.
WORKERS = Path(__file__).with_name("_fs_workers.py")


def make_repo(path: Path, files: Mapping[str, bytes] | None = None) -> Path:
    """A git repository at ``path`` with ``files`` committed (and nothing else)."""
    make_git_repo(path, files or {"README": b"test repo\n"})
    return path


def status(repo: Path, *, ignored: bool = True) -> list[str]:
    """``git status --porcelain --untracked-files=all`` (with ``--ignored``) as lines."""
    args = ["status", "--porcelain", "--untracked-files=all"]
    if ignored:
        args.append("--ignored")
    return git(repo, *args).splitlines()


def worker_cmd(*args: str) -> list[str]:
    """The command line that runs ``_fs_workers.py`` with this interpreter."""
    return [sys.executable, str(WORKERS), *args]


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """Make ``path`` immutable (``chattr +i``) for the block: refused even to root.

    The tests run as root, which ignores permission bits; the immutable flag
    is one of the few refusals root still gets (EPERM). Skips where the
    filesystem or the container does not allow it.
    """
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("chattr is not installed")
    done = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)
