"""The SQLite outbox: ordering, atomicity, Lamport clocks, concurrent and killed writers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kitty_fs import WriteContext
from specify_cli.errors import InvalidEvent, OutboxError
from specify_cli.sync import EventDraft, Outbox

IDENTITY = {
    "project_uuid": "12345678-1234-5678-1234-567812345678",
    "project_slug": "demo",
    "node_id": "abcdef012345",
    "build_id": "3ebbf95f-c987-5565-b8b6-6debe8cdfd43",
}

# A writer process: argv = state dir, batches (-1: forever), batch size, identity JSON.
_CHILD = """
import json, sys
from kitty_fs import write_boundary
from specify_cli.sync import EventDraft, Outbox
state = write_boundary(sys.argv[1], reason="test: child writer")
batches, size, identity = int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
with Outbox.open(state) as outbox:
    n = 0
    while batches < 0 or n < batches:
        outbox.enqueue_many([EventDraft("t.x", {"n": n}, **identity) for _ in range(size)])
        n += 1
        print(n, flush=True)
"""


def _writer(state: WriteContext, batches: int, size: int, stdout: int) -> subprocess.Popen[str]:
    argv = [os.fspath(state.root), str(batches), str(size), json.dumps(IDENTITY)]
    return subprocess.Popen([sys.executable, "-c", _CHILD, *argv], text=True, stdout=stdout)


def _drafts(n: int, node_id: str = IDENTITY["node_id"], start: int = 0) -> list[EventDraft]:
    fields = {**IDENTITY, "node_id": node_id}
    return [EventDraft("t.x", {"i": start + i}, **fields) for i in range(n)]


def _lamports(path: Path, node_id: str = IDENTITY["node_id"]) -> list[int]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT envelope FROM events WHERE node_id = ? ORDER BY seq", (node_id,)
        ).fetchall()
    return [json.loads(r[0])["lamport"] for r in rows]


def test_enqueue_peek_ack_count(outbox: Outbox) -> None:
    stored = outbox.enqueue_many(_drafts(5))
    assert [e.lamport for e in stored] == [1, 2, 3, 4, 5]
    queued = outbox.peek(3)
    assert [q.event_id for q in queued] == [e.event_id for e in stored[:3]]
    assert json.loads(queued[0].envelope_json) == stored[0].to_dict()
    assert [q.event_id for q in outbox.peek(10, after_seq=queued[-1].seq)] == [
        e.event_id for e in stored[3:]
    ]
    assert outbox.ack([stored[0].event_id, stored[2].event_id, "unknown"]) == 2
    assert outbox.count() == 3
    assert outbox.count(IDENTITY["project_uuid"]) == 3 and outbox.count("other") == 0
    assert outbox.enqueue(_drafts(1)[0]).lamport == 6  # the clock never goes back
    assert outbox.lamport(IDENTITY["node_id"]) == 6


def test_clocks_are_per_node_and_observe_merges(outbox: Outbox) -> None:
    outbox.enqueue_many(_drafts(3, node_id="aaaaaaaaaaaa") + _drafts(2, node_id="bbbbbbbbbbbb"))
    assert outbox.lamport("aaaaaaaaaaaa") == 3 and outbox.lamport("bbbbbbbbbbbb") == 2
    assert outbox.observe("aaaaaaaaaaaa", 40) == 40
    assert outbox.observe("aaaaaaaaaaaa", 7) == 40
    assert outbox.enqueue(_drafts(1, node_id="aaaaaaaaaaaa")[0]).lamport == 41


def test_a_bad_payload_stores_nothing(outbox: Outbox) -> None:
    drafts = [*_drafts(3), EventDraft("t.x", {"x": object()}, **IDENTITY)]
    with pytest.raises(InvalidEvent, match="not JSON"):
        outbox.enqueue_many(drafts)
    assert outbox.count() == 0
    assert outbox.lamport(IDENTITY["node_id"]) == 0  # the clock rolled back too
    with pytest.raises(InvalidEvent):
        outbox.enqueue(EventDraft("t.x", {"nan": float("nan")}, **IDENTITY))


def test_large_acks_are_chunked(outbox: Outbox) -> None:
    stored = outbox.enqueue_many(_drafts(2500))
    assert outbox.ack(e.event_id for e in stored) == 2500
    assert outbox.count() == 0


def test_wal_and_durable_settings(outbox: Outbox) -> None:
    with sqlite3.connect(outbox.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_leaving_the_with_block_closes_it_and_lets_the_error_through(state: WriteContext) -> None:
    with pytest.raises(KeyError, match="from the block"), Outbox.open(state) as box:
        box.enqueue_many(_drafts(1))
        raise KeyError("from the block")
    with pytest.raises(OutboxError, match="closed database"):
        box.count()
    with Outbox.open(state) as again:
        assert again.count() == 1


def test_concurrent_processes_never_share_a_lamport_value(state: WriteContext) -> None:
    children = [_writer(state, 25, 10, stdout=subprocess.DEVNULL) for _ in range(4)]
    for child in children:
        assert child.wait(timeout=120) == 0
    with Outbox.open(state) as outbox:
        assert outbox.count() == 1000
        assert outbox.lamport(IDENTITY["node_id"]) == 1000
        assert sorted(_lamports(outbox.path)) == list(range(1, 1001))


def test_a_killed_writer_leaves_whole_batches_and_a_consistent_clock(
    state: WriteContext,
) -> None:
    child = _writer(state, -1, 50, stdout=subprocess.PIPE)
    assert child.stdout is not None
    try:
        for _ in range(20):  # let it commit a few batches, then kill it mid-stream
            child.stdout.readline()
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
        child.stdout.close()
    with Outbox.open(state) as outbox:
        count = outbox.count()
        assert count >= 20 * 50 and count % 50 == 0  # batches are all-or-nothing
        assert outbox.lamport(IDENTITY["node_id"]) == count
        assert _lamports(outbox.path) == list(range(1, count + 1))
        with sqlite3.connect(outbox.path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert outbox.enqueue(_drafts(1)[0]).lamport == count + 1


def test_a_damaged_file_is_a_clear_error(state: WriteContext) -> None:
    state.write_bytes("outbox.sqlite3", b"this is not a database, just junk " * 100)
    with pytest.raises(OutboxError) as info:
        Outbox.open(state)
    err = info.value
    assert err.code == "OUTBOX_UNAVAILABLE" and err.exit_code == 9
    assert "move" in err.hint and "outbox.sqlite3" in err.hint
    assert err.path == state.path("outbox.sqlite3")


def test_a_busy_outbox_is_a_clear_error(state: WriteContext) -> None:
    with Outbox.open(state) as first:
        first.enqueue(_drafts(1)[0])
        blocker = sqlite3.connect(first.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with Outbox.open(state, busy_timeout_ms=50) as second:
                with pytest.raises(OutboxError) as info:
                    second.enqueue(_drafts(1)[0])
                assert "another spec-kitty process" in info.value.hint
                assert second.count() == 1  # reads still work while a writer holds the lock
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert first.enqueue(_drafts(1)[0]).lamport == 2
