"""Mission scans on hostile trees: symlink loops end, links out of the repository are named.

Every command that scans ``kitty-specs/`` runs as a real ``spec-kitty``
subprocess: ``dashboard tick``, ``dossier sync`` and ``lifecycle fanout``.
Sync stays disabled (no SPEC_KITTY_* settings), so each gets as far as its
scan and then reports the sync state; what matters is that the scan neither
recurses forever (exit 70, ``RecursionError``) nor reports a link out as a
generic "path escapes the root" error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fault_support import cli, cli_env, make_project, porcelain

SCANS = (("dashboard", "tick"), ("dossier", "sync"), ("lifecycle", "fanout"))


def _mission(repo: Path, slug: str) -> Path:
    folder = repo / "kitty-specs" / slug
    folder.mkdir(parents=True)
    (folder / "spec.md").write_text("# spec\n")
    (folder / "plan.md").write_text("# plan\n")
    return folder


@pytest.mark.parametrize("scan", SCANS, ids=[" ".join(s) for s in SCANS])
def test_a_symlink_loop_in_a_mission_ends_the_descent(
    tmp_path: Path, scan: tuple[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    folder = _mission(repo, "001-a")
    (folder / "self").symlink_to(".")  # the loop
    (folder / "notes").mkdir()
    (folder / "notes" / "up").symlink_to("..")  # and a longer one
    (folder / "ping").symlink_to("pong")  # a two-link loop (ELOOP)
    (folder / "pong").symlink_to("ping")
    before = porcelain(repo)
    done = cli(repo, *scan, "--json", env=cli_env(tmp_path / "state"))
    assert done.returncode != 70, done.stderr
    assert "RecursionError" not in done.stderr + done.stdout
    assert porcelain(repo) == before
    # The scan got through: the mission shows with its stage where the command prints it.
    if done.returncode == 0 and "001-a" in done.stdout:
        assert "planned" in done.stdout


def test_the_loop_does_not_change_the_mission_digest(tmp_path: Path) -> None:
    """The loop adds nothing to the mission: same files, same digest as without it."""
    env = cli_env(tmp_path / "state")
    plain = make_project(tmp_path / "plain")
    _mission(plain, "001-a")
    looped = make_project(tmp_path / "looped")
    (_mission(looped, "001-a") / "self").symlink_to(".")
    results = []
    for repo in (plain, looped):
        done = cli(repo, "lifecycle", "fanout", "--json", env=env)
        assert done.returncode in (0, 6), done.stderr  # 6: sync disabled, after the scan
        results.append(done.stdout)
    assert results[0] == results[1]


@pytest.mark.parametrize("scan", SCANS, ids=[" ".join(s) for s in SCANS])
def test_a_mission_folder_linked_out_of_the_repository_is_named_with_a_specific_hint(
    tmp_path: Path, scan: tuple[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    outside = tmp_path / "elsewhere" / "002-b"
    outside.mkdir(parents=True)
    (outside / "spec.md").write_text("# spec\n")
    (repo / "kitty-specs").mkdir()
    (repo / "kitty-specs" / "002-b").symlink_to(outside)
    done = cli(repo, *scan, "--json", env=cli_env(tmp_path / "state"))
    assert done.returncode == 9, (done.returncode, done.stdout, done.stderr)
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "MISSION_OUTSIDE_REPO"
    assert "kitty-specs/002-b is a symlink to" in error["message"]
    assert os.fspath(outside) in error["message"]
    assert "move what the link points to into kitty-specs/" in error["hint"]
