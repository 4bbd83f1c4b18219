"""``spec-kitty sync push`` against a server that fails: nothing lost, nothing doubled.

The server is the reference SaaS in its own process; the faults are injected on
the live server through ``/_admin/config``, or by SIGKILLing it mid-push. 1200
events are queued (three batches of 500/500/200): most through the library's
``EventEmitter`` for speed, the last three with ``spec-kitty events emit``.

For every fault the push must exit 6 (``SYNC_UNAVAILABLE``, as documented) with
one error line (plus its ``fix:`` line) that says how many events were
delivered and how many are still queued; the outbox must then hold exactly the
events the server did not acknowledge, in order; and once the server is healthy
again a second ``sync push`` delivers the rest, so that the server holds every
event exactly once (it deduplicates what it stored but never acknowledged).

"Mid-push" faults start after the first two batches: the server holds its
answer to the batch that reaches 1000 events (the ``stall_after`` knob) while
the test arms the fault, then answers it, so the third batch meets the fault.
The slow-server faults start at once, with ``SPEC_KITTY_SYNC_TIMEOUT=1``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import attrs
import pytest
from fault_support import (
    PROJECT_UUID,
    ServerProcess,
    cli,
    make_project,
    porcelain,
    spec_kitty_argv,
    synced_env,
    wait_until,
)

from kitty_fs import read_context, write_boundary
from specify_cli.sync import EventEmitter, Outbox

TOTAL = 1200
BATCH = 500  # the CLI's batch size (specify_cli.sync._delivery.DEFAULT_BATCH)
CLI_EMITS = 3
_ERROR = re.compile(r"^spec-kitty sync push: error \[(?P<code>[A-Z_]+)\]: (?P<message>.+)$")
_COUNTS = re.compile(r"(\d+) event\(s\) delivered, (\d+) still queued")


def _outbox(state_home: Path) -> Outbox:
    state_home.mkdir(exist_ok=True)
    return Outbox.open(write_boundary(state_home, reason="fault test: state directory"))


def _enqueue(repo: Path, state_home: Path, env: dict[str, str]) -> list[tuple[str, str]]:
    """Queue TOTAL events; ``(event_id, envelope JSON)`` in outbox order."""
    with _outbox(state_home) as box:
        emitter = EventEmitter(read_context(repo, reason="fault test: emit"), box)
        bulk = (("wp.status_changed", {"i": i}) for i in range(TOTAL - CLI_EMITS))
        assert emitter.emit_many(bulk).emitted == TOTAL - CLI_EMITS
    for i in range(CLI_EMITS):
        payload = json.dumps({"i": TOTAL - CLI_EMITS + i})
        done = cli(repo, "events", "emit", "mission.started", "--payload", payload, env=env)
        assert done.returncode == 0, done.stderr
    with _outbox(state_home) as box:
        queued = box.peek(TOTAL + 1)
    assert len(queued) == TOTAL and {q.project_uuid for q in queued} == {PROJECT_UUID}
    return [(q.event_id, q.envelope_json) for q in queued]


def _queued_ids(state_home: Path) -> list[str]:
    with _outbox(state_home) as box:
        return [q.event_id for q in box.peek(TOTAL + 1)]


def _push(repo: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        spec_kitty_argv(repo, "sync", "push"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _failed(proc: subprocess.Popen[str]) -> tuple[str, int, int]:
    """The push's error code and (delivered, still queued), after checking its one-line error."""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 6, (proc.returncode, out, err)
    assert out == "", out
    lines = err.splitlines()
    assert len(lines) == 2 and lines[1].startswith("  fix: "), err
    match = _ERROR.match(lines[0])
    assert match, err
    counts = _COUNTS.search(match["message"])
    assert counts, err
    return match["code"], int(counts[1]), int(counts[2])


def _healthy_push(repo: Path, env: dict[str, str]) -> dict[str, int]:
    done = cli(repo, "sync", "push", "--json", env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    result: dict[str, int] = json.loads(done.stdout)
    return result


def _assert_exactly_once(server: ServerProcess, ids: list[str]) -> None:
    received = server.received()
    stored = server.event_ids()
    assert len(stored) == len(set(stored)) == TOTAL, "an event is missing or stored twice"
    assert set(stored) == set(ids)
    assert received["accepted"] == TOTAL  # each accepted once; resends were "duplicate"


@attrs.frozen
class Fault:
    knobs: dict[str, object]
    code: str  # the error code the push reports
    mid_push: bool  # armed after two batches (else from the first request)
    timeout: str = "30"  # SPEC_KITTY_SYNC_TIMEOUT


def _assert_drained_and_clean(state_home: Path, repo: Path) -> None:
    """The end of every fault: the outbox is empty and the worktree as committed."""
    assert _queued_ids(state_home) == []
    assert porcelain(repo) == ""


FAULTS = {
    "http-500": Fault({"status": 500}, "SERVER_ERROR", mid_push=True),
    "http-401": Fault({"status": 401}, "UNAUTHENTICATED", mid_push=True),
    "garbage-body": Fault({"garbage": True}, "BAD_RESPONSE", mid_push=True),
    # Stores the batch, then hangs up without answering: delivered, never acknowledged.
    "lost-ack": Fault({"drop_batches": 10}, "SERVER_UNREACHABLE", mid_push=True),
    "slow-before-storing": Fault({"delay_s": 3.0}, "SERVER_TIMEOUT", mid_push=False, timeout="1"),
    "slow-after-storing": Fault(
        {"ack_delay_s": 3.0}, "SERVER_TIMEOUT", mid_push=False, timeout="1"
    ),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_push_against_a_failing_server_keeps_every_unacknowledged_event(
    name: str, tmp_path: Path
) -> None:
    fault = FAULTS[name]
    repo = make_project(tmp_path / "repo")
    state_home = tmp_path / "state"
    with ServerProcess() as server:
        env = synced_env(
            state_home,
            server.url,
            SPEC_KITTY_SYNC_TIMEOUT=fault.timeout,
            SPEC_KITTY_SYNC_RETRIES="1",
        )
        ids = [event_id for event_id, _ in _enqueue(repo, state_home, env)]
        if fault.mid_push:
            server.configure(stall_after=2 * BATCH)
            push = _push(repo, env)
            wait_until("two batches stored", lambda: len(server.event_ids()) >= 2 * BATCH)
            server.configure(**fault.knobs)
            server.configure(stall_after=None)  # answer batch 2; batch 3 meets the fault
            acked = 2 * BATCH
        else:
            server.configure(**fault.knobs)
            push = _push(repo, env)
            acked = 0
        code, delivered, still_queued = _failed(push)
        assert code == fault.code
        assert (delivered, still_queued) == (acked, TOTAL - acked)
        # Exactly the unacknowledged events wait in the outbox, in their order.
        assert _queued_ids(state_home) == ids[acked:]
        stored_before = set(server.event_ids())
        assert set(ids[:acked]) <= stored_before

        server.heal()
        result = _healthy_push(repo, env)
        assert result["remaining"] == 0 and result["rejected"] == 0
        assert result["accepted"] + result["duplicates"] == TOTAL - acked
        # What the server stored without acknowledging comes back as duplicates, not twice.
        assert result["duplicates"] >= len(stored_before - set(ids[:acked]))
        _assert_exactly_once(server, ids)
    _assert_drained_and_clean(state_home, repo)
    print(
        f"\n{name}: exit 6 [{code}] after {acked} acknowledged; outbox kept {TOTAL - acked}; "
        f"server had stored {len(stored_before)}; healthy push: {result['accepted']} accepted, "
        f"{result['duplicates']} duplicates; server: {TOTAL} events, each once"
    )


@pytest.mark.parametrize("store", ["durable", "amnesiac"])
def test_server_killed_mid_push_then_a_new_server_gets_each_event_once(
    store: str, tmp_path: Path
) -> None:
    """SIGKILL the server while it holds the answer to the second batch.

    The reference server keeps events in memory, so its successor starts empty.
    ``durable`` models a real SaaS whose store survives the crash: the successor
    is seeded with what the killed server had stored (posted like any client
    would), and the resumed push must be answered ``duplicate`` for those and
    the server must end with every event once. ``amnesiac`` is a successor that
    lost everything: it must receive exactly the events never acknowledged.
    """
    repo = make_project(tmp_path / "repo")
    state_home = tmp_path / "state"
    first = ServerProcess()
    try:
        env = synced_env(
            state_home, first.url, SPEC_KITTY_SYNC_TIMEOUT="30", SPEC_KITTY_SYNC_RETRIES="1"
        )
        events = _enqueue(repo, state_home, env)
        ids = [event_id for event_id, _ in events]
        first.configure(stall_after=2 * BATCH)
        push = _push(repo, env)
        wait_until("two batches stored", lambda: len(first.event_ids()) >= 2 * BATCH)
        stored_by_first = first.event_ids()
        first.kill()  # mid-push: batch 2 stored, its answer never sent
    finally:
        first.close()
    code, delivered, still_queued = _failed(push)
    assert code == "SERVER_UNREACHABLE"
    assert stored_by_first == ids[: 2 * BATCH]
    # Only batch 1 was acknowledged: delivered-before-kill + remaining == total.
    assert (delivered, still_queued) == (BATCH, TOTAL - BATCH)
    assert _queued_ids(state_home) == ids[BATCH:]

    with ServerProcess() as second:
        if store == "durable":
            envelopes = dict(events)
            seeded = second.ingest([envelopes[i] for i in stored_by_first])
            assert len(seeded["results"]) == 2 * BATCH  # type: ignore[arg-type]
        env["SPEC_KITTY_SAAS_URL"] = second.url
        result = _healthy_push(repo, env)
        assert result["remaining"] == 0
        if store == "durable":
            # Batch 2 was stored and never acknowledged: resent, answered duplicate.
            assert (result["accepted"], result["duplicates"]) == (TOTAL - 2 * BATCH, BATCH)
            _assert_exactly_once(second, ids)
        else:
            assert (result["accepted"], result["duplicates"]) == (TOTAL - BATCH, 0)
            received = second.event_ids()
            assert received == ids[BATCH:]  # no event twice on the new server
            # Acknowledged by the first + received by the second: every event, once.
            assert sorted(ids[:BATCH] + received) == sorted(ids)
    _assert_drained_and_clean(state_home, repo)
    print(
        f"\nserver killed mid-push ({store}): exit 6 [{code}], {delivered} acknowledged, "
        f"{still_queued} kept; first server had stored {len(stored_by_first)}; resumed push: "
        f"{result['accepted']} accepted, {result['duplicates']} duplicates"
    )
