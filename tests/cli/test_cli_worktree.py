"""Linked git worktrees (``.git`` is a file) and the ``--repo`` option from another directory.

A linked worktree is where a stray write hurts twice: the guard must treat the
worktree as the root (not the main checkout), and the config store's scratch
files must stay in git's own directory, never in either tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import (
    PROJECT_UUID,
    Saas,
    TreeState,
    command_argv,
    contract_problems,
    git,
    make_project,
    read_command_params,
    run_cli,
)

from kitty_fs.commands import Command

pytest_plugins = ["cli_fixtures"]


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """A committed project and a linked worktree of it on a new branch."""
    main = make_project(tmp_path / "main")
    worktree = tmp_path / "linked"
    git(main, "worktree", "add", "-q", "-b", "feature", str(worktree))
    assert (worktree / ".git").is_file()
    return main, worktree.resolve()


@pytest.mark.parametrize("command", read_command_params())
def test_read_commands_in_a_linked_worktree(
    command: Command[...], linked: tuple[Path, Path], synced_env: dict[str, str]
) -> None:
    main, worktree = linked
    main_before, before = TreeState.take(main), TreeState.take(worktree)
    run = run_cli(command_argv(command), cwd=worktree, env=synced_env)
    problems = contract_problems(run, before, TreeState.take(worktree))
    problems += [f"main checkout: {c}" for c in main_before.changes_since(TreeState.take(main))]
    assert problems == [], "\n".join([*problems, run.describe()])
    assert run.returncode == 0, run.describe()


def test_write_boundaries_in_a_linked_worktree_write_only_there(
    linked: tuple[Path, Path], synced_env: dict[str, str], saas: Saas
) -> None:
    main, worktree = linked
    main_before = TreeState.take(main)
    init = run_cli(["init", "--json"], cwd=worktree, env=synced_env)
    assert init.returncode == 0 and init.json()["changed"] is True, init.describe()
    assert init.json()["config"] == str(worktree / ".kittify" / "config.yaml")
    applied = run_cli(["tracker", "apply", "--json"], cwd=worktree, env=synced_env)
    assert applied.json()["binding_ref"] == saas.binding_ref, applied.describe()
    # Only the config changed, in the worktree: no lock or temp file in either tree.
    assert git(worktree, "status", "--porcelain", "--untracked-files=all", "--ignored") == (
        " M .kittify/config.yaml\n"
    )
    assert main_before.changes_since(TreeState.take(main)) == []


def test_repo_option_from_outside_any_repository(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = TreeState.take(repo)
    for target in (repo, repo / "src"):  # a subdirectory finds the root by walking up
        run = run_cli(
            ["--repo", str(target), "sync", "status", "--json"], cwd=elsewhere, env=offline_env
        )
        assert run.returncode == 0, run.describe()
        assert run.json()["project_uuid"] == PROJECT_UUID
    emitted = run_cli(
        ["--repo", str(repo), "events", "emit", "mission.started", "--json"],
        cwd=elsewhere,
        env=offline_env,
    )
    envelope = emitted.json()["envelope"]
    assert isinstance(envelope, dict) and envelope["project_uuid"] == PROJECT_UUID
    assert before.changes_since(TreeState.take(repo)) == []
    assert list(elsewhere.iterdir()) == []


def test_repo_option_beats_the_current_repository(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    """Run from inside repository B with ``--repo A``: A is acted on, B is not even read."""
    target = make_project(tmp_path / "target", config=None)
    current = make_project(tmp_path / "current")
    current_before = TreeState.take(current)
    run = run_cli(["--repo", str(target), "init", "--json"], cwd=current, env=offline_env)
    assert run.returncode == 0, run.describe()
    result = run.json()
    assert result["project_uuid"] != PROJECT_UUID  # a new identity, not B's
    assert (target / ".kittify" / "config.yaml").is_file()
    assert current_before.changes_since(TreeState.take(current)) == []


def test_repo_option_with_a_missing_directory_is_a_usage_error(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    run = run_cli(
        ["--repo", str(tmp_path / "missing"), "sync", "status", "--json"],
        cwd=tmp_path,
        env=offline_env,
    )
    assert run.returncode == 2, run.describe()
    error = run.json()["error"]
    assert isinstance(error, dict) and "missing" in str(error["message"])
    assert "Traceback" not in run.stderr
