"""Real git repositories for tests: one commit, an identity of their own, branch ``main``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kitty_fs._snapshot import run_git

__all__ = ["make_git_repo"]


def make_git_repo(path: Path, files: Mapping[str, bytes | str] | None = None) -> Path:
    """Create a git repository at ``path`` with ``files`` committed in one commit.

    The default content is one ``README.md``. Branch ``main``; user name and
    email are set in the repository's config so later commits in the test work
    without a global git identity.
    """
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, "init", "-q", "-b", "main")
    run_git(path, "config", "user.name", "kitty-fs tests")
    run_git(path, "config", "user.email", "tests@kitty-fs.invalid")
    run_git(path, "config", "commit.gpgsign", "false")
    for rel, data in (files or {"README.md": "test repository\n"}).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    run_git(path, "add", "-A")
    run_git(path, "commit", "-q", "-m", "initial commit")
    return path.resolve()
