"""``record-analysis``: the clean-tree gate still catches real dirt, and only real dirt.

The gate is why INV-1 matters: read commands that dirtied ``.kittify/config.yaml``
made this command refuse real work. Its allowlist (``kitty-specs/*/meta.json``,
``.kittify/encoding-provenance/*``) is fixed and never contains the config.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import TreeState, command_argv, git, make_project, read_commands, run_cli

pytest_plugins = ["cli_fixtures"]

MISSION = "001-login-flow"
ANALYSIS = f"kitty-specs/{MISSION}/analysis.md"
ARGV = ["record-analysis", "--mission", MISSION, "--summary", "Looks consistent."]


def _edit_source(repo: Path) -> None:
    (repo / "src" / "app.py").write_text("def main() -> int:\n    return 1\n")


def _new_file(repo: Path) -> None:
    (repo / "notes.txt").write_text("todo\n")


def _edit_config(repo: Path) -> None:
    # Exactly what upstream's read commands did: persist a completed identity.
    path = repo / ".kittify" / "config.yaml"
    path.write_text(
        path.read_text().replace("node_id: abcdef012345", "node_id: abcdef012345\n  build_id: x")
    )


def _stage_only(repo: Path) -> None:
    _edit_source(repo)
    git(repo, "add", "src/app.py")


def _delete(repo: Path) -> None:
    (repo / "README.md").unlink()


def _rename(repo: Path) -> None:
    git(repo, "mv", "src/app.py", "src/main.py")


DIRT: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("source-edit", _edit_source, ["src/app.py"]),
    ("untracked-file", _new_file, ["notes.txt"]),
    ("config-edit", _edit_config, [".kittify/config.yaml"]),
    ("staged-edit", _stage_only, ["src/app.py"]),
    ("deleted-file", _delete, ["README.md"]),
    ("renamed-file", _rename, ["src/main.py", "src/app.py"]),  # both ends of a rename
]


def test_a_clean_tree_records_the_analysis(tmp_path: Path, offline_env: dict[str, str]) -> None:
    repo = make_project(tmp_path / "repo")
    run = run_cli([*ARGV, "--json"], cwd=repo, env=offline_env)
    result = run.json()
    assert run.returncode == 0 and result["ok"] is True, run.describe()
    assert result["recorded"] == ANALYSIS
    assert result["commit"] == git(repo, "rev-parse", "HEAD").strip()
    text = (repo / ANALYSIS).read_text()
    assert text.startswith(f"# Analysis of {MISSION}\n") and "Looks consistent." in text
    assert git(repo, "status", "--porcelain") == f"?? {ANALYSIS}\n"


@pytest.mark.parametrize(
    ("dirt", "expected"), [(d[1], d[2]) for d in DIRT], ids=[d[0] for d in DIRT]
)
def test_real_dirt_is_refused_with_dirty_worktree(
    dirt: Callable[[Path], None],
    expected: list[str],
    tmp_path: Path,
    offline_env: dict[str, str],
) -> None:
    repo = make_project(tmp_path / "repo")
    dirt(repo)
    before = TreeState.take(repo)

    run = run_cli([*ARGV, "--json"], cwd=repo, env=offline_env)
    assert run.returncode == 5, run.describe()
    error = run.json()["error"]
    assert isinstance(error, dict)
    assert error["code"] == "DIRTY_WORKTREE" and error["exit_code"] == 5
    assert error["details"] == {"dirty_paths": expected}
    assert all(path in str(error["message"]) for path in expected)

    text = run_cli(ARGV, cwd=repo, env=offline_env)
    assert text.returncode == 5
    assert text.stderr.startswith("spec-kitty record-analysis: error [DIRTY_WORKTREE]: ")
    assert "Traceback" not in text.stderr
    # Refusing wrote nothing: no analysis, and the dirt is exactly as the user left it.
    assert not (repo / ANALYSIS).exists()
    assert before.changes_since(TreeState.take(repo)) == []


@pytest.mark.parametrize(
    "paths",
    [
        [f"kitty-specs/{MISSION}/meta.json"],
        [".kittify/encoding-provenance/spec.md.json"],
        [f"kitty-specs/{MISSION}/meta.json", "kitty-specs/003-new/meta.json"],
    ],
    ids=["meta-json-edit", "encoding-provenance", "new-mission-meta"],
)
def test_allowlisted_bookkeeping_does_not_block(
    paths: list[str], tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    for rel in paths:
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text('{"step": 3}\n')
    run = run_cli([*ARGV, "--json"], cwd=repo, env=offline_env)
    assert run.returncode == 0, run.describe()
    assert (repo / ANALYSIS).is_file()


@pytest.mark.parametrize(
    "rel",
    [
        "kitty-specs/meta.json",
        f"kitty-specs/{MISSION}/meta.json.orig",
        ".kittify/encoding-provenance.json",
        f"kitty-specs/{MISSION}/spec.md",
    ],
    ids=["meta-outside-a-mission", "meta-backup", "provenance-lookalike", "mission-spec"],
)
def test_lookalikes_of_the_allowlist_are_dirt(
    rel: str, tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text("changed\n")
    run = run_cli([*ARGV, "--json"], cwd=repo, env=offline_env)
    assert run.returncode == 5, run.describe()
    error = run.json()["error"]
    assert isinstance(error, dict) and error["details"] == {"dirty_paths": [rel]}


def test_mixed_dirt_lists_only_the_real_paths(tmp_path: Path, offline_env: dict[str, str]) -> None:
    repo = make_project(tmp_path / "repo")
    (repo / "kitty-specs" / MISSION / "meta.json").write_text('{"step": 3}\n')
    _edit_config(repo)
    _new_file(repo)
    run = run_cli([*ARGV, "--json"], cwd=repo, env=offline_env)
    assert run.returncode == 5, run.describe()
    error = run.json()["error"]
    assert isinstance(error, dict)
    assert error["details"] == {"dirty_paths": [".kittify/config.yaml", "notes.txt"]}


def test_after_every_read_command_the_gate_still_opens(
    tmp_path: Path, synced_env: dict[str, str]
) -> None:
    """The upstream failure end to end: legacy identity, binding upgrade on offer, sync on.

    Run every registered read command, then ``record-analysis``: it must find
    nothing to refuse (upstream, ``.kittify/config.yaml`` would be dirty by now).
    """
    repo = make_project(tmp_path / "repo")
    for command in read_commands():
        run = run_cli(command_argv(command), cwd=repo, env=synced_env)
        assert run.returncode == 0, run.describe()
    assert git(repo, "status", "--porcelain") == ""
    run = run_cli([*ARGV, "--json"], cwd=repo, env=synced_env)
    assert run.returncode == 0, run.describe()
