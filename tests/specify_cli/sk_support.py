"""Shared helpers of the specify_cli tests (imported by conftest and by tests)."""

from __future__ import annotations

from pathlib import Path

from git_support import git, porcelain
from spec_kitty_samples import LEGACY_CONFIG

__all__ = ["fingerprint", "git", "make_repo", "porcelain"]


def make_repo(path: Path, config: str | None = LEGACY_CONFIG, origin: str | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "Test")
    git(path, "config", "commit.gpgsign", "false")
    if origin is not None:
        git(path, "remote", "add", "origin", origin)
    (path / "README.md").write_text("demo\n")
    if config is not None:
        (path / ".kittify").mkdir()
        (path / ".kittify" / "config.yaml").write_text(config)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def fingerprint(path: Path) -> tuple[bytes, int]:
    """Bytes and mtime_ns: what INV-1 says a read must not change."""
    return path.read_bytes(), path.stat().st_mtime_ns
