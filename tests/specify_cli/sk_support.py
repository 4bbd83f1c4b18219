"""Shared helpers of the specify_cli tests (imported by conftest and by tests)."""

from __future__ import annotations

from pathlib import Path

from git_support import git, porcelain
from spec_kitty_samples import LEGACY_CONFIG

from kitty_fs.testing import make_git_repo

__all__ = ["fingerprint", "git", "make_repo", "porcelain"]


def make_repo(path: Path, config: str | None = LEGACY_CONFIG, origin: str | None = None) -> Path:
    """A committed repository (``make_git_repo``): a README and ``config`` as the config."""
    files = {"README.md": "demo\n"}
    if config is not None:
        files[".kittify/config.yaml"] = config
    make_git_repo(path, files)
    if origin is not None:
        git(path, "remote", "add", "origin", origin)
    return path


def fingerprint(path: Path) -> tuple[bytes, int]:
    """Bytes and mtime_ns: what INV-1 says a read must not change."""
    return path.read_bytes(), path.stat().st_mtime_ns
