"""The emitter: complete, stable identity on every event; nothing written to the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sk_support import fingerprint, porcelain

from kitty_fs import read_context, write_boundary
from specify_cli.errors import InvalidConfig, InvalidEvent
from specify_cli.sync import EventEmitter, Outbox

_EMIT_IN_CHILD = """
import json, sys
from kitty_fs import read_context, write_boundary
from specify_cli.sync import EventEmitter, Outbox
with Outbox.open(write_boundary(sys.argv[2], reason="test")) as outbox:
    result = EventEmitter(read_context(sys.argv[1], reason="emit"), outbox).emit("a.b", {})
    print(result.envelopes[0].to_json())
"""


def test_legacy_identity_is_complete_and_stable_across_processes(
    repo: Path, state_home: Path
) -> None:
    config = repo / ".kittify" / "config.yaml"
    before = fingerprint(config)
    envelopes = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _EMIT_IN_CHILD, os.fspath(repo), os.fspath(state_home)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(3)
    ]
    identities = {
        tuple(e[k] for k in ("project_uuid", "project_slug", "node_id", "build_id"))
        for e in envelopes
    }
    assert identities == {
        (
            "12345678-1234-5678-1234-567812345678",
            "demo-project",
            "abcdef012345",
            "3ebbf95f-c987-5565-b8b6-6debe8cdfd43",
        )
    }
    assert len({e["event_id"] for e in envelopes}) == 3
    assert [e["lamport"] for e in envelopes] == [1, 2, 3]
    assert fingerprint(config) == before and porcelain(repo) == ""


def test_not_initialized_emits_nothing(new_repo: Callable[..., Path], outbox: Outbox) -> None:
    repo = new_repo("fresh", config=None)
    before = porcelain(repo)
    result = EventEmitter(read_context(repo, reason="emit"), outbox).emit("a.b", {"x": 1})
    assert (result.emitted, result.code) == (0, "NOT_INITIALIZED")
    assert "spec-kitty init" in result.hint
    assert result.not_initialized is not None
    assert result.not_initialized.error().exit_code == 3
    assert outbox.count() == 0
    assert porcelain(repo) == before
    assert not (repo / ".kittify").exists()


def test_an_outbox_inside_the_repository_is_refused(repo: Path) -> None:
    inside = write_boundary(repo, reason="test: misconfigured state dir")
    with (
        Outbox.open(inside, name="outbox-in-repo.sqlite3") as outbox,
        pytest.raises(InvalidConfig, match="inside the repository") as info,
    ):
        EventEmitter(read_context(repo, reason="emit"), outbox)
    assert "SPEC_KITTY_HOME" in info.value.hint


def test_events_carry_type_payload_and_identity(repo: Path, outbox: Outbox) -> None:
    emitter = EventEmitter(read_context(repo, reason="emit"), outbox)
    result = emitter.emit("wp.moved", {"wp": "WP01", "lane": "doing"})
    (envelope,) = result.envelopes
    assert (envelope.event_type, dict(envelope.payload)) == (
        "wp.moved",
        {"wp": "WP01", "lane": "doing"},
    )
    assert envelope.build_id == "3ebbf95f-c987-5565-b8b6-6debe8cdfd43"
    assert json.loads(outbox.peek(1)[0].envelope_json) == envelope.to_dict()
    assert emitter.emit("wp.moved").envelopes[0].payload == {}


def test_a_bad_event_in_a_later_batch_keeps_the_earlier_batches(repo: Path, outbox: Outbox) -> None:
    emitter = EventEmitter(read_context(repo, reason="emit"), outbox)
    events: list[tuple[str, dict[str, object]]] = [("ok.event", {"i": i}) for i in range(10)]
    events.append(("ok.event", {"bad": {1, 2}}))
    with pytest.raises(InvalidEvent):
        emitter.emit_many(events, batch_size=5)
    assert outbox.count() == 10
    with pytest.raises(InvalidEvent):
        emitter.emit("not a type", {})
    assert outbox.count() == 10
