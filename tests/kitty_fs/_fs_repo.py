"""Small real-git helpers for the kitty_fs foundation tests.

Kept apart from ``kitty_fs.pytest_plugin`` (its ``git_repo`` fixture) so these
tests check the foundation without depending on the code built on top of it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

__all__ = ["CONFIG_PATH", "WORKERS", "git", "immutable", "make_repo", "status", "worker_cmd"]

# The config these tests use (kitty_fs itself has no default path).
CONFIG_PATH = ".kittify/config.yaml"

# The child-process half of the concurrency and crash tests.
WORKERS = Path(__file__).with_name("_fs_workers.py")

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "kitty-fs tests",
    "GIT_AUTHOR_EMAIL": "tests@kitty-fs.invalid",
    "GIT_COMMITTER_NAME": "kitty-fs tests",
    "GIT_COMMITTER_EMAIL": "tests@kitty-fs.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its stdout, or an AssertionError with stderr."""
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout


def make_repo(path: Path, files: Mapping[str, bytes] | None = None) -> Path:
    """A git repository at ``path`` with ``files`` committed (and nothing else)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for rel, data in (files or {"README": b"test repo\n"}).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
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
