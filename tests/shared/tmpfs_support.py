"""A scratch directory on tmpfs, for tests that need two filesystems (a git dir and its
worktree apart, so ``rename(2)`` cannot cross between them).

One place for the checks every such test needs: ``/dev/shm`` must exist, be
writable and be another filesystem than the test's own temp dir; otherwise the
test is skipped with the reason. The directory is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["SHM", "tmpfs_dir"]

SHM = Path("/dev/shm")


@contextlib.contextmanager
def tmpfs_dir(apart_from: Path) -> Iterator[Path]:
    """A fresh directory on ``/dev/shm``, on another filesystem than ``apart_from`` (or skip)."""
    if not SHM.is_dir() or not os.access(SHM, os.W_OK):
        pytest.skip("needs a writable /dev/shm (tmpfs) for a second filesystem")
    if SHM.stat().st_dev == apart_from.stat().st_dev:
        pytest.skip(f"/dev/shm is on the same filesystem as {apart_from} here")
    base = SHM / f"kitty-fs-test-{uuid.uuid4().hex[:12]}"
    base.mkdir()
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
