"""The write boundary persists, and keeps the comment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kitty_fs.testing import console_script, make_git_repo


def test_title_persists_and_keeps_comments(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", {"notes.yaml": "# my notes\nnotes:\n  title: A\n"})
    env = {**os.environ, "NOTES_HOME": str(tmp_path / "state")}
    done = subprocess.run(
        [console_script("notes"), "title", "B"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (repo / "notes.yaml").read_text() == "# my notes\nnotes:\n  title: B\n"
