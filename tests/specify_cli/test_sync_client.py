"""The SaaS client against a real loopback server: retries, faults, clear errors, intact outbox."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from kitty_fs import read_context
from specify_cli.errors import (
    BadResponse,
    ServerError,
    ServerTimeout,
    ServerUnreachable,
    SyncDisabled,
    SyncError,
    Unauthenticated,
)
from specify_cli.saas_reference import ReferenceServer
from specify_cli.sync import EventEmitter, Outbox, SaasClient, SyncSettings, push


def _queue(repo: Path, outbox: Outbox, n: int, event_type: str = "test.event") -> list[str]:
    result = EventEmitter(read_context(repo, reason="test"), outbox).emit_many(
        (event_type, {"i": i}) for i in range(n)
    )
    return [e.event_id for e in result.envelopes]


def _received(server: ReferenceServer) -> dict[str, object]:
    body = httpx.get(f"{server.url}/_admin/received").json()
    assert isinstance(body, dict)
    return body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("fault", "error", "code", "requests"),
    [
        ({"status": 500}, ServerError, "SERVER_ERROR", 3),
        ({"status": 503}, ServerError, "SERVER_ERROR", 3),
        ({"status": 429}, ServerError, "SERVER_ERROR", 3),
        ({"status": 401}, Unauthenticated, "UNAUTHENTICATED", 1),
        ({"status": 403}, Unauthenticated, "UNAUTHENTICATED", 1),
        ({"status": 400}, ServerError, "SERVER_ERROR", 1),
        ({"garbage": True}, BadResponse, "BAD_RESPONSE", 1),
    ],
    ids=["500", "503", "429", "401", "403", "400", "garbage"],
)
def test_faults_are_clear_errors_and_keep_the_outbox(
    repo: Path,
    outbox: Outbox,
    server: ReferenceServer,
    settings: SyncSettings,
    fault: dict[str, object],
    error: type[SyncError],
    code: str,
    requests: int,
) -> None:
    _queue(repo, outbox, 50)
    server.configure(**fault)
    before = outbox.count()
    with pytest.raises(error) as info:
        push(outbox, settings)
    assert info.value.code == code
    assert info.value.exit_code == 6
    assert info.value.hint
    assert "50 still queued" in info.value.message
    assert outbox.count() == before == 50
    received = _received(server)
    assert received["requests"] == requests  # retried only what is transient
    assert received["stored"] == 0


def test_wrong_token_is_unauthenticated(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    _queue(repo, outbox, 3)
    with pytest.raises(Unauthenticated, match="refused the token"):
        push(outbox, attrs.evolve(settings, token="wrong"))
    assert outbox.count() == 3


def test_server_down(repo: Path, outbox: Outbox, settings: SyncSettings) -> None:
    _queue(repo, outbox, 7)
    down = attrs.evolve(settings, server_url=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(ServerUnreachable) as info:
        push(outbox, down)
    assert info.value.code == "SERVER_UNREACHABLE"
    assert info.value.details["attempts"] == 3
    assert "ConnectError" in info.value.message
    assert outbox.count() == 7


def test_slow_server_times_out(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    _queue(repo, outbox, 5)
    server.configure(delay_s=1.0)
    slow = attrs.evolve(settings, timeout_s=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(ServerTimeout) as info:
        push(outbox, slow)
    assert "no answer within 0.3s" in info.value.message
    assert info.value.code == "SERVER_TIMEOUT"
    assert isinstance(info.value, ServerUnreachable)
    assert outbox.count() == 5
    assert time.monotonic() - started < 5  # gave up, did not hang


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"enabled": False}, SyncDisabled),
        ({"server_url": None}, SyncDisabled),
        ({"token": None}, Unauthenticated),
    ],
    ids=["disabled", "no-url", "no-token"],
)
def test_not_configured_fails_before_any_request(
    repo: Path,
    outbox: Outbox,
    server: ReferenceServer,
    settings: SyncSettings,
    changes: dict[str, Any],
    error: type[SyncError],
) -> None:
    _queue(repo, outbox, 4)
    with pytest.raises(error):
        push(outbox, attrs.evolve(settings, **changes))
    assert outbox.count() == 4
    assert _received(server)["requests"] == 0


def test_transient_failures_are_retried_then_delivered(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    ids = _queue(repo, outbox, 20)
    server.configure(status=503, status_times=2)
    result = push(outbox, settings)
    assert result.accepted == 20 and result.remaining == 0
    assert server.received_ids() == ids
    assert _received(server)["requests"] == 3


def test_lost_acknowledgement_is_resent_and_counted_once(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    ids = _queue(repo, outbox, 1200)
    server.configure(drop_batches=1)  # first batch stored, connection closed before the answer
    result = push(outbox, settings, batch_size=500)
    assert result.remaining == 0
    assert result.accepted == 700 and result.duplicates == 500
    received = _received(server)
    assert received["stored"] == 1200 and received["duplicates"] == 500
    assert server.received_ids() == ids


def test_rejected_events_stay_queued_and_the_rest_is_delivered(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    good = _queue(repo, outbox, 10)
    bad = _queue(repo, outbox, 3, event_type="refused.kind")
    server.configure(reject_types=["refused.kind"])
    result = push(outbox, settings, batch_size=4)
    assert (result.accepted, result.rejected, result.remaining) == (10, 3, 3)
    assert server.received_ids() == good
    left = outbox.peek(10)
    assert [q.event_id for q in left] == bad
    assert all(q.attempts == 1 for q in left)


def test_health_and_client_reuse(server: ReferenceServer, settings: SyncSettings) -> None:
    with SaasClient(settings) as client:
        assert client.health()["ok"] is True
        assert client.fetch_events("no-such-project", None, 10).events == ()


def test_partial_failure_reports_what_was_delivered(
    repo: Path, outbox: Outbox, server: ReferenceServer, settings: SyncSettings
) -> None:
    _queue(repo, outbox, 30)
    delivered: list[int] = []

    def progress(done: int) -> None:
        delivered.append(done)
        if done == 10:
            server.configure(status=500)  # the server fails after the first batch

    with pytest.raises(ServerError) as info:
        push(outbox, settings, batch_size=10, progress=progress)
    assert delivered == [10]
    assert "10 event(s) delivered, 20 still queued" in info.value.message
    assert info.value.details["queued"] == 20
    assert outbox.count() == 20
