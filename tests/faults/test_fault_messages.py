"""User-facing messages speak YAML, and a tracker command's hints speak of the tracker.

Real ``spec-kitty`` runs: a config value of the wrong kind is described as
its author wrote it ("found a list [1, 2]"), never with Python's type names
("found tuple (1, 2)", which is what the frozen config view holds); and
``tracker bind`` with sync disabled says what binding needs, not that
"events stay queued", which concerns events.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fault_support import BIND, CONFIG, PROJECT_UUID, cli, cli_env, make_project


@pytest.mark.parametrize(
    ("old", "new", "args", "expected"),
    [
        (
            "node_id: abcdef012345",
            "node_id: [1, 2]",
            ("init",),
            "project.node_id must be a string, found a list [1, 2]",
        ),
        (
            "node_id: abcdef012345",
            "node_id: {a: 1}",
            ("init",),
            'project.node_id must be a string, found a mapping {"a": 1}',
        ),
        (
            "workspace: acme",
            "workspace: [x, y]",
            ("tracker", "apply", "--binding-ref", "r"),
            'tracker.workspace must be a string, found a list ["x", "y"]',
        ),
    ],
    ids=["identity-list", "identity-mapping", "tracker-list"],
)
def test_a_value_of_the_wrong_kind_is_described_in_yaml_words(
    tmp_path: Path, old: str, new: str, args: tuple[str, ...], expected: str
) -> None:
    assert old in CONFIG
    repo = make_project(tmp_path / "repo", CONFIG.replace(old, new))
    done = cli(repo, *args, "--json", env=cli_env(tmp_path / "state"))
    assert done.returncode == 4, (done.stdout, done.stderr)
    message = json.loads(done.stdout)["error"]["message"]
    assert expected in message
    for python_name in ("tuple", "dict", "list (", "MappingProxy", "NoneType", "("):
        assert python_name not in message.split("must be")[1], message


def test_tracker_bind_with_sync_disabled_speaks_of_binding(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    before = (repo / ".kittify/config.yaml").read_bytes()
    done = cli(repo, *BIND, "--json", env=cli_env(tmp_path / "state"))
    assert done.returncode == 6, done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "SYNC_DISABLED"
    assert "queued" not in error["hint"]
    assert "tracker commands need the SaaS" in error["hint"]
    assert "SPEC_KITTY_ENABLE_SAAS_SYNC=1" in error["hint"]
    assert (repo / ".kittify/config.yaml").read_bytes() == before
    assert PROJECT_UUID in before.decode()
