"""End to end: emit, push, pull through the reference server; exactly-once under kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sk_support import fingerprint, porcelain

from kitty_fs import read_context, write_boundary
from specify_cli.identity import ProjectIdentity, resolve_identity
from specify_cli.saas_reference import ReferenceServer
from specify_cli.sync import EventEmitter, Outbox, SyncSettings, pull, push, run, status

N = 10_000
PROJECT = "12345678-1234-5678-1234-567812345678"

_CHILD_PUSH = """
from kitty_fs import write_boundary
from specify_cli.sync import Outbox, load_settings, push, state_dir
state = write_boundary(state_dir(), reason="test: child push")
with Outbox.open(state) as outbox:
    push(outbox, load_settings(state), batch_size=500)
"""


def _emit(repo: Path, outbox: Outbox, n: int) -> list[str]:
    ctx = read_context(repo, reason="test: emit")
    result = EventEmitter(ctx, outbox).emit_many(("wp.status", {"i": i}) for i in range(n))
    assert result.emitted == n
    return [e.event_id for e in result.envelopes]


def _received(server: ReferenceServer) -> dict[str, object]:
    body = httpx.get(f"{server.url}/_admin/received").json()
    assert isinstance(body, dict)
    return body


def _child_env(state_home: Path, server: ReferenceServer) -> dict[str, str]:
    return {
        **os.environ,
        "SPEC_KITTY_HOME": os.fspath(state_home),
        "SPEC_KITTY_ENABLE_SAAS_SYNC": "1",
        "SPEC_KITTY_SAAS_URL": server.url,
        "SPEC_KITTY_SAAS_TOKEN": "test-token",
    }


def test_ten_thousand_events_arrive_exactly_once(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    config = repo / ".kittify" / "config.yaml"
    before = fingerprint(config)
    ids = _emit(repo, outbox, N)
    assert len(set(ids)) == N
    assert outbox.count() == N
    done: list[int] = []
    result = push(outbox, settings, batch_size=500, progress=done.append)
    assert (result.accepted, result.duplicates, result.remaining, result.batches) == (N, 0, 0, 20)
    assert done == list(range(500, N + 1, 500))
    assert server.received_ids() == ids  # every event, once, in order
    assert outbox.count() == 0
    assert fingerprint(config) == before and porcelain(repo) == ""


def test_push_killed_mid_run_then_rerun_delivers_each_event_once(
    repo: Path, state_home: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    ids = _emit(repo, outbox, N)
    # The server stores the batch that reaches N/2 events and holds its answer: the
    # child is killed with that batch delivered but never acknowledged to it.
    server.configure(stall_after=N // 2)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD_PUSH], env=_child_env(state_home, server)
    )
    try:
        deadline = time.monotonic() + 60
        while len(server.received_ids()) < N // 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
        server.configure(stall_after=None)
    assert child.returncode == -signal.SIGKILL
    assert len(server.received_ids()) == N // 2
    assert outbox.count() == N // 2 + 500  # the stalled batch is still queued

    result = push(outbox, settings, batch_size=500)
    assert result.remaining == 0 and outbox.count() == 0
    assert (result.accepted, result.duplicates) == (N // 2, 500)
    received = server.received_ids()
    assert len(received) == len(set(received)) == N
    assert set(received) == set(ids)
    assert _received(server)["duplicates"] == 500


def test_two_processes_pushing_one_outbox_deliver_each_event_once(
    repo: Path, state_home: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    ids = _emit(repo, outbox, 3000)
    server.configure(ack_delay_s=0.01)
    env = _child_env(state_home, server)
    children = [subprocess.Popen([sys.executable, "-c", _CHILD_PUSH], env=env) for _ in range(2)]
    for child in children:
        assert child.wait(timeout=120) == 0
    assert outbox.count() == 0
    received = server.received_ids()
    assert len(received) == len(set(received)) == 3000
    assert set(received) == set(ids)


def test_pull_fills_the_inbox_and_merges_lamport_clocks(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings, tmp_path: Path
) -> None:
    ids = _emit(repo, outbox, 1200)
    push(outbox, settings)
    other_home = tmp_path / "other-machine"
    other_home.mkdir()
    with Outbox.open(write_boundary(other_home, reason="test: other state")) as other:
        first = pull(other, settings, PROJECT, page_size=500)
        assert (first.received, first.new) == (1200, 1200)
        assert other.inbox_count(PROJECT) == 1200
        identity = resolve_identity(read_context(repo, reason="t"))
        assert isinstance(identity, ProjectIdentity)
        assert other.lamport(identity.node_id) == 1200  # the remote node's clock, observed
        again = pull(other, settings, PROJECT)
        assert (again.received, again.new) == (0, 0)  # the cursor was stored
        assert again.cursor == first.cursor
    assert len(ids) == 1200


def test_run_pushes_then_pulls(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    _emit(repo, outbox, 42)
    result = run(outbox, settings, PROJECT)
    assert result.push.accepted == 42 and result.push.remaining == 0
    assert result.pull.new == 42  # our own events, now also in the inbox
    assert outbox.count() == 0


def test_status_is_local_and_works_when_disabled(
    repo: Path, outbox: Outbox, settings: SyncSettings, server: ReferenceServer
) -> None:
    _emit(repo, outbox, 3)
    disabled = SyncSettings(enabled=False, server_url=None)
    shown = status(outbox, disabled, PROJECT)
    assert (shown.enabled, shown.ready, shown.queued, shown.queued_for_project) == (
        False,
        False,
        3,
        3,
    )
    assert shown.outbox_path == str(outbox.path)
    assert status(outbox, settings, None).ready
    assert _received(server)["requests"] == 0


@pytest.mark.parametrize("n", [0, 1])
def test_push_of_an_empty_or_tiny_outbox(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings, n: int
) -> None:
    if n:
        _emit(repo, outbox, n)
    result = push(outbox, settings)
    assert (result.accepted, result.batches) == (n, n)
