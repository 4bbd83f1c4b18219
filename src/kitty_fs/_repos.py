"""Real git repositories for tests: one commit, an identity of their own, branch ``main``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kitty_fs._snapshot import run_git

__all__ = ["make_git_repo"]

# What ``git config user.name ...`` (and the two others) would write, written in one step:
# a suite builds thousands of these repositories, and three ``git config`` processes were
# half of each one's cost. ``git config --local`` reads it back as usual.
_LOCAL_CONFIG = (
    "[user]\n"
    "\tname = kitty-fs tests\n"
    "\temail = tests@kitty-fs.invalid\n"
    "[commit]\n"
    "\tgpgsign = false\n"
)


def make_git_repo(path: Path, files: Mapping[str, bytes | str] | None = None) -> Path:
    """Create a git repository at ``path`` with ``files`` committed in one commit.

    The default content is one ``README.md``. Branch ``main``; user name and
    email are set in the repository's config so later commits in the test work
    without a global git identity. Three git processes: init, add, commit.
    """
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, "init", "-q", "-b", "main")
    git_dir = path / ".git"
    with (git_dir / "config").open("a", encoding="utf-8") as config:
        config.write(_LOCAL_CONFIG)
    for rel, data in (files or {"README.md": "test repository\n"}).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    run_git(path, "add", "-A")
    run_git(path, "commit", "-q", "-m", "initial commit")
    return path.resolve()
