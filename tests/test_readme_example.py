"""The README's "declare a command" example, run as written: public modules only.

The block after ``<!-- readme-example: declare -->`` is written to a file and run
as a program (a real subprocess) in a real git repository; mypy --strict checks
it too. If the README's example stops working, this fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from kitty_fs.testing import TreeState, make_git_repo

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"<!-- readme-example: declare -->\n```python\n(.*?)\n```", re.S)


def _example() -> str:
    found = _BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(found) == 1, "README.md must hold exactly one tagged declare example"
    return str(found[0]) + "\n"


def _run(program: Path, repo: Path, home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(
        [sys.executable, str(program), *argv],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    program = tmp_path / "notes_app.py"
    program.write_text(_example())
    files = {"notes.yaml": "notes:\n  title: Ideas\n", "notes/first.md": "one\n"}
    repo = make_git_repo(tmp_path / "repo", files)
    home = tmp_path / "home"
    home.mkdir()

    before = TreeState.take(repo)
    shown = _run(program, repo, home, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "ok": True,
        "command": "status",
        "title": "Ideas",
        "notes": ["first.md"],
    }
    assert before.changes_since(TreeState.take(repo)) == []

    added = _run(program, repo, home, "add", "--name", "a", "--text", "hi")
    assert added.returncode == 0, added.stderr
    assert (repo / "notes" / "a.md").read_text() == "hi\n"
    escape = _run(program, repo, home, "add", "--name", "../notes", "--text", "x")
    assert escape.returncode == 2 and "single path segment" in escape.stderr

    titled = _run(program, repo, home, "title", "Plans")
    assert titled.returncode == 0, titled.stderr
    assert (repo / "notes.yaml").read_text() == "notes:\n  title: Plans\n"


def test_the_readme_example_type_checks(tmp_path: Path) -> None:
    program = tmp_path / "notes_app.py"
    program.write_text(_example())
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(program)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
