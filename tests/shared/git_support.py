"""The tests' one git runner: ``kitty_fs.testing.run_git``, with its output as text.

Every test directory runs git through this, so every test's git is the same
git: independent of the user's and the system's configuration, with optional
index writes off (a helper's ``git status`` never touches the repository it
inspects), failing with a ``GitCommandError`` that names the command and
git's stderr. Repositories come from ``kitty_fs.testing.make_git_repo``
(identity and ``commit.gpgsign=false`` in the repository's own config), so a
test's later commits need no identity variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from kitty_fs.testing import run_git

__all__ = ["git", "porcelain"]


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its stdout as text."""
    return os.fsdecode(run_git(repo, *args))


def porcelain(repo: Path) -> str:
    """Everything git would show: modified, untracked (every file) and ignored paths."""
    return git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored")
