"""``agent status emit`` and ``sync routes``: the two commands upstream's bug was reproduced on.

``agent status emit`` is a scoped write: it appends to its mission's status log
and may change nothing else; on a legacy identity (no ``build_id``) the config
keeps its bytes and mtime while every event carries the derived ``build_id``.
``sync routes`` is a read: it shows the same derived identity and writes nothing.
The legacy node_id is the config's own, so the expected build_id is computed here
from the design's rule, not from the code under test.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from cli_support import (
    LEGACY_CONFIG,
    PROJECT_UUID,
    TreeState,
    make_project,
    run_cli,
    run_cli_at_once,
)

pytest_plugins = ["cli_fixtures"]

PROCESSES = 40 if os.environ.get("KITTY_FULL") == "1" else 10
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "spec-kitty:identity:build_id")
LEGACY_NODE = "abcdef012345"  # node_id in LEGACY_CONFIG
EXPECTED_BUILD = str(uuid.uuid5(NAMESPACE, f"{PROJECT_UUID}:{LEGACY_NODE}"))
LOG = Path("kitty-specs/001-login-flow/status.events.jsonl")
ARGV = ["agent", "status", "emit", "--mission", "001-login-flow", "--wp", "WP01", "--to", "doing"]


def _config(repo: Path) -> tuple[bytes, int]:
    path = repo / ".kittify" / "config.yaml"
    return path.read_bytes(), path.stat().st_mtime_ns


def test_emit_appends_one_line_and_leaves_the_config_alone(
    tmp_path: Path, synced_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo", config=LEGACY_CONFIG)
    before, config = TreeState.take(repo), _config(repo)
    run = run_cli([*ARGV, "--json"], cwd=repo, env=synced_env)
    assert run.returncode == 0, run.describe()
    lines = (repo / LOG).read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["build_id"] == EXPECTED_BUILD and record["project_uuid"] == PROJECT_UUID
    assert _config(repo) == config
    assert {change.path for change in before.diff(TreeState.take(repo))} <= {
        LOG.as_posix(),
        LOG.parent.as_posix(),  # its directory's mtime, from creating the file
    }
    assert run.json()["queued"] == 1


def test_ten_concurrent_emits_append_ten_lines_with_one_identity(
    tmp_path: Path, synced_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo", config=LEGACY_CONFIG)
    config = _config(repo)
    argvs = [[*ARGV, "--note", f"run {n}", "--json"] for n in range(PROCESSES)]
    runs = run_cli_at_once(argvs, cwd=repo, env=synced_env)
    assert [run.returncode for run in runs] == [0] * PROCESSES, [r.describe() for r in runs]
    records = [json.loads(line) for line in (repo / LOG).read_text().splitlines()]
    assert sorted(r["note"] for r in records) == sorted(f"run {n}" for n in range(PROCESSES))
    assert {r["build_id"] for r in records} == {EXPECTED_BUILD}
    assert len({r["event_id"] for r in records}) == PROCESSES
    assert _config(repo) == config


def test_emit_refuses_a_mission_that_does_not_exist_and_writes_nothing(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    run = run_cli(
        ["agent", "status", "emit", "--mission", "404-none", "--wp", "WP1", "--to", "doing"],
        cwd=repo,
        env=offline_env,
    )
    assert run.returncode == 2 and "no mission '404-none'" in run.stderr, run.describe()
    escape = run_cli(
        ["agent", "status", "emit", "--mission", "..", "--wp", "WP1", "--to", "doing"],
        cwd=repo,
        env=offline_env,
    )
    assert escape.returncode == 2 and "single path segment" in escape.stderr, escape.describe()
    assert before.changes_since(TreeState.take(repo)) == []


def test_sync_routes_shows_the_derived_identity_and_writes_nothing(
    tmp_path: Path, synced_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo", config=LEGACY_CONFIG)
    before = TreeState.take(repo)
    result = run_cli(["sync", "routes", "--json"], cwd=repo, env=synced_env).json()
    assert result["build_id"] == EXPECTED_BUILD and result["project_uuid"] == PROJECT_UUID
    routes = result["routes"]
    assert isinstance(routes, dict)
    assert str(routes["events"]).startswith(synced_env["SPEC_KITTY_SAAS_URL"])
    assert before.changes_since(TreeState.take(repo)) == []
