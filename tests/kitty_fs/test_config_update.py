"""``update_config``: a read-modify-write decided under the lock, so racing writers agree."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest
from _fs_repo import CONFIG_PATH

from kitty_fs import load_config, read_context, update_config, write_boundary
from kitty_fs.pytest_plugin import make_git_repo

CONFIG = "# kept\nproject:\n  slug: demo  # the slug\ntracker:\n  provider: jira\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_git_repo(tmp_path / "repo", {".kittify/config.yaml": CONFIG})


def test_compute_sees_the_section_on_disk_and_sets_what_it_returns(repo: Path) -> None:
    ctx = write_boundary(repo, reason="test")
    seen: list[dict[str, object]] = []

    def compute(current: Mapping[str, object]) -> Mapping[str, object]:
        seen.append(dict(current))
        return {"uuid": "u-1"} if "uuid" not in current else {}

    assert update_config(ctx, "project", compute, rel=CONFIG_PATH) is True
    assert seen == [{"slug": "demo"}]
    text = (repo / ".kittify/config.yaml").read_text()
    assert (
        text
        == "# kept\nproject:\n  slug: demo  # the slug\n  uuid: u-1\ntracker:\n  provider: jira\n"
    )


def test_an_empty_result_writes_nothing(repo: Path) -> None:
    config = repo / ".kittify/config.yaml"
    before = config.stat().st_mtime_ns
    ctx = write_boundary(repo, reason="test")
    assert update_config(ctx, "project", lambda current: {}, rel=CONFIG_PATH) is False
    assert config.stat().st_mtime_ns == before


def test_the_section_is_read_only_inside_compute(repo: Path) -> None:
    ctx = write_boundary(repo, reason="test")

    def compute(current: Mapping[str, object]) -> Mapping[str, object]:
        current["slug"] = "x"  # type: ignore[index]
        return {}

    with pytest.raises(TypeError):
        update_config(ctx, "project", compute, rel=CONFIG_PATH)
    assert (repo / ".kittify/config.yaml").read_text() == CONFIG


def test_a_missing_section_is_an_empty_mapping(repo: Path) -> None:
    ctx = write_boundary(repo, reason="test")
    assert update_config(ctx, "dashboard", lambda current: {"seen": len(current)}, rel=CONFIG_PATH)
    view = load_config(read_context(repo, reason="test"), CONFIG_PATH)
    assert view.section("dashboard") == {"seen": 0}


_MINT_IF_ABSENT = textwrap.dedent(
    """
    import sys, uuid
    from kitty_fs import update_config, write_boundary
    ctx = write_boundary(sys.argv[1], reason="racer")
    mine = str(uuid.uuid4())
    used = []

    def mint_if_absent(cur):
        used.append(cur.get("uuid", mine))
        return {} if "uuid" in cur else {"uuid": mine}

    update_config(ctx, "project", mint_if_absent, rel=".kittify/config.yaml")
    print(used[-1])
    """
)


def test_racing_writers_that_mint_if_absent_agree_on_one_value(repo: Path) -> None:
    """Eight processes each mint a uuid unless one is stored: all use the one that is stored."""
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _MINT_IF_ABSENT, str(repo)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    used = {racer.communicate(timeout=60)[0].strip() for racer in racers}
    assert [racer.returncode for racer in racers] == [0] * 8
    project = load_config(read_context(repo, reason="test"), CONFIG_PATH).section("project")
    assert project is not None
    stored = project["uuid"]
    assert used == {stored}
    text = (repo / ".kittify/config.yaml").read_text()
    assert "# the slug" in text and "# kept" in text
