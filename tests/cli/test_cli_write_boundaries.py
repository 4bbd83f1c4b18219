"""Write boundaries still persist: ``init``, ``tracker bind``, ``tracker apply``.

Making reads unable to write must not break the commands whose job is to
write. Each persists exactly its change (the rest of the file keeps its bytes,
comments included) and a repeated run changes nothing, not even the mtime.
"""

from __future__ import annotations

import difflib
import re
import uuid
from pathlib import Path

from cli_support import (
    LEGACY_CONFIG,
    PROJECT_UUID,
    Saas,
    TreeState,
    git,
    make_project,
    run_cli,
)

pytest_plugins = ["cli_fixtures"]

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "spec-kitty:identity:build_id")
LEGACY_BUILD_ID = str(uuid.uuid5(NAMESPACE, f"{PROJECT_UUID}:abcdef012345"))


def _config(repo: Path) -> Path:
    return repo / ".kittify" / "config.yaml"


def _diff(old: str, new: str) -> list[str]:
    """The changed lines only, as ``-old`` / ``+new``."""
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_init_creates_the_config_then_changes_nothing(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "fresh-project", config=None)
    assert not (repo / ".kittify").exists()

    first = run_cli(["init", "--json"], cwd=repo, env=offline_env)
    result = first.json()
    assert first.returncode == 0 and result["changed"] is True, first.describe()
    project_uuid = uuid.UUID(str(result["project_uuid"]))
    assert project_uuid.version == 4
    assert result["project_slug"] == "fresh-project"
    assert result["build_id"] == str(uuid.uuid5(NAMESPACE, f"{project_uuid}:{result['node_id']}"))
    text = _config(repo).read_text()
    for key in ("uuid", "slug", "node_id", "build_id"):
        assert f"\n  {key}: " in text
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == (
        "?? .kittify/config.yaml\n"
    )  # no lock or temp file beside it

    stamp = _fingerprint(_config(repo))
    before = TreeState.take(repo)
    second = run_cli(["init", "--json"], cwd=repo, env=offline_env)
    again = second.json()
    assert second.returncode == 0 and again["changed"] is False
    assert again["project_uuid"] == result["project_uuid"]
    assert again["build_id"] == result["build_id"]
    assert _fingerprint(_config(repo)) == stamp
    assert before.changes_since(TreeState.take(repo)) == []


def test_init_completes_a_legacy_identity_and_keeps_comments(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    run = run_cli(["init", "--json"], cwd=repo, env=offline_env)
    result = run.json()
    assert run.returncode == 0 and result["changed"] is True, run.describe()
    assert result["project_uuid"] == PROJECT_UUID and result["build_id"] == LEGACY_BUILD_ID
    # One added line; every comment, the tracker section and the key order are untouched.
    assert _diff(LEGACY_CONFIG, _config(repo).read_text()) == [f"+  build_id: {LEGACY_BUILD_ID}"]
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == (
        " M .kittify/config.yaml\n"
    )

    stamp = _fingerprint(_config(repo))
    assert run_cli(["init", "--json"], cwd=repo, env=offline_env).json()["changed"] is False
    assert _fingerprint(_config(repo)) == stamp


def test_tracker_bind_persists_and_keeps_comments(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    argv = ["tracker", "bind", "--provider", "linear", "--project-slug", "web-app"]
    argv += ["--binding-ref", "bind-777", "--display-label", "Web (Linear)", "--json"]
    run = run_cli(argv, cwd=repo, env=offline_env)
    result = run.json()
    assert run.returncode == 0, run.describe()
    assert result["changed"] is True and result["previous_binding_ref"] == "bind-001"
    # A longer value may push its comment a column right (ruamel keeps the comment's
    # column when it can): compare with the gap before "#" collapsed.
    changed = [
        re.sub(r" +#", " #", line) for line in _diff(LEGACY_CONFIG, _config(repo).read_text())
    ]
    assert sorted(changed) == sorted(
        [
            "-  provider: jira # the provider",
            "+  provider: linear # the provider",
            "-  binding_ref: bind-001",
            "+  binding_ref: bind-777",
            "-  project_slug: demo-project",
            "+  project_slug: web-app",
            '-  display_label: "Demo (Jira)"',
            '+  display_label: "Web (Linear)"',
        ]
    )

    stamp = _fingerprint(_config(repo))
    again = run_cli(argv, cwd=repo, env=offline_env).json()
    assert again["changed"] is False
    assert _fingerprint(_config(repo)) == stamp


def test_tracker_bind_asks_the_server_for_the_binding(
    tmp_path: Path, synced_env: dict[str, str], saas: Saas
) -> None:
    repo = make_project(tmp_path / "repo")
    argv = ["tracker", "bind", "--provider", "jira", "--project-slug", "demo-project", "--json"]
    run = run_cli(argv, cwd=repo, env=synced_env)
    assert run.returncode == 0, run.describe()
    assert run.json()["binding_ref"] == saas.binding_ref
    assert _diff(LEGACY_CONFIG, _config(repo).read_text()) == [
        "-  binding_ref: bind-001",
        f"+  binding_ref: {saas.binding_ref}",
    ]


def test_tracker_apply_persists_the_upgrade_status_reported(
    tmp_path: Path, synced_env: dict[str, str], saas: Saas
) -> None:
    """Acceptance 4: the read reports ``pending_binding_upgrade``; apply persists that value."""
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    status = run_cli(["tracker", "status", "--json"], cwd=repo, env=synced_env).json()
    pending = status["pending_binding_upgrade"]
    assert pending == saas.binding_ref and status["binding_ref"] == "bind-001"
    assert before.changes_since(TreeState.take(repo)) == []  # reported, not written

    run = run_cli(["tracker", "apply", "--json"], cwd=repo, env=synced_env)
    result = run.json()
    assert run.returncode == 0, run.describe()
    assert result == {
        "ok": True,
        "command": "tracker apply",
        "previous_binding_ref": "bind-001",
        "binding_ref": pending,
        "changed": True,
    }
    assert _diff(LEGACY_CONFIG, _config(repo).read_text()) == [
        "-  binding_ref: bind-001",
        f"+  binding_ref: {pending}",
    ]
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == (
        " M .kittify/config.yaml\n"
    )

    after = run_cli(["tracker", "status", "--json"], cwd=repo, env=synced_env).json()
    assert after["binding_ref"] == pending and after["pending_binding_upgrade"] is None
    stamp = _fingerprint(_config(repo))
    again = run_cli(["tracker", "apply", "--json"], cwd=repo, env=synced_env).json()
    assert again["changed"] is False
    assert _fingerprint(_config(repo)) == stamp


def test_tracker_apply_an_explicit_binding_offline(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    run = run_cli(
        ["tracker", "apply", "--binding-ref", "bind-009", "--json"], cwd=repo, env=offline_env
    )
    assert run.returncode == 0, run.describe()
    assert _diff(LEGACY_CONFIG, _config(repo).read_text()) == [
        "-  binding_ref: bind-001",
        "+  binding_ref: bind-009",
    ]
