"""Side channels that would switch the guard off, and projects nested in a monorepo.

Each case is how a user's machine really is, run through the real ``spec-kitty``:
a state directory above the repository (``SPEC_KITTY_HOME=$HOME``, ``/tmp``, a CI
workspace holding the checkout), a project below the top of its git worktree
with the state directory inside that worktree, ``TMPDIR`` inside the repository,
and ``record-analysis`` in a nested project (porcelain paths are relative to the
git top, the allowlist to the project). Each failed on the main branch before
the fix (a raw write exited 0 and dirtied the tree; the outbox appeared as an
untracked file; the probe file moved a directory's mtime; exit 5 on bookkeeping).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from spec_kitty_samples import LEGACY_CONFIG

from kitty_fs.testing import TreeState, console_script, make_git_repo, run_program

MISSION_FILES = {
    "README.md": "# demo\n",
    "kitty-specs/001-a/spec.md": "# spec\n",
    "kitty-specs/001-a/meta.json": '{"step": 1}\n',
}


def _env(state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPEC_KITTY_")}
    env.update(
        SPEC_KITTY_HOME=str(state),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        **extra,
    )
    return env


def _sk(*argv: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    run = run_program([console_script("spec-kitty")], argv, cwd=cwd, env=env)
    return run.returncode, run.stdout + run.stderr


@pytest.mark.parametrize("where", ["parent-of-repo", "repo-itself"])
@pytest.mark.parametrize("command", [("sync", "status"), ("events", "emit", "mission.started")])
def test_a_state_directory_holding_the_repository_is_refused(
    tmp_path: Path, where: str, command: tuple[str, ...]
) -> None:
    """``SPEC_KITTY_HOME=$HOME`` with the checkout below it: refused before anything runs."""
    workspace = tmp_path / "workspace"
    repo = make_git_repo(workspace / "repo", {".kittify/config.yaml": LEGACY_CONFIG})
    state = workspace if where == "parent-of-repo" else repo
    before = TreeState.take(repo)
    code, output = _sk(*command, cwd=repo, env=_env(state))
    assert code == 4, output
    assert "the state directory" in output and "repository" in output, output
    assert "SPEC_KITTY_HOME" in output  # the fix names the variable
    assert before.changes_since(TreeState.take(repo)) == []


def _monorepo(tmp_path: Path) -> tuple[Path, Path]:
    files = {f"services/api/{k}": v for k, v in MISSION_FILES.items()}
    files["services/api/.kittify/config.yaml"] = LEGACY_CONFIG
    files["services/web/index.html"] = "<p>web</p>\n"
    top = make_git_repo(tmp_path / "mono", files)
    return top, top / "services" / "api"


@pytest.mark.parametrize("cwd", ["top", "project"])
def test_a_state_directory_inside_the_monorepo_worktree_is_refused(
    tmp_path: Path, cwd: str
) -> None:
    top, project = _monorepo(tmp_path)
    state = top / ".spec-kitty"
    before = TreeState.take(top)
    start = project if cwd == "project" else top
    for command in (("sync", "status"), ("events", "emit", "mission.started")):
        code, output = _sk("--repo", str(project), *command, cwd=start, env=_env(state))
        assert code == 4, output
        assert "inside the git worktree" in output, output
    assert not state.exists()
    assert before.changes_since(TreeState.take(top)) == []


def test_record_analysis_in_a_nested_project_allows_its_own_bookkeeping(tmp_path: Path) -> None:
    top, project = _monorepo(tmp_path)
    env = _env(tmp_path / "state")
    (project / "kitty-specs/001-a/meta.json").write_text('{"step": 2}\n')  # allowlisted
    code, output = _sk("record-analysis", "--mission", "001-a", "--json", cwd=project, env=env)
    assert code == 0, output
    assert (project / "kitty-specs/001-a/analysis.md").is_file()
    # Real dirt elsewhere in the monorepo still blocks it, named as git names it.
    (top / "services/web/index.html").write_text("<p>changed</p>\n")
    code, output = _sk("record-analysis", "--mission", "001-a", "--json", cwd=project, env=env)
    assert code == 5, output
    assert "services/web/index.html" in output


@pytest.mark.parametrize(
    "command", [("capabilities",), ("sync", "status"), ("dashboard", "tick"), ("dossier", "sync")]
)
def test_a_temp_dir_inside_the_repository_sees_nothing_created(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """``TMPDIR=<repo>/.tmp`` (ignored): no probe file, no lock there; the command succeeds."""
    repo = make_git_repo(
        tmp_path / "repo",
        {**MISSION_FILES, ".kittify/config.yaml": LEGACY_CONFIG, ".gitignore": ".tmp/\n"},
    )
    inside = repo / ".tmp"
    inside.mkdir()
    before = TreeState.take(repo)
    code, output = _sk(*command, cwd=repo, env=_env(tmp_path / "state", TMPDIR=str(inside)))
    assert code == 0, output
    assert before.changes_since(TreeState.take(repo)) == []  # .tmp's mtime included
    assert list(inside.iterdir()) == []
