"""The reference server: its documented command, its protocol, its admin knobs."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_support import reference_server_argv

from kitty_fs import read_context
from specify_cli.errors import StaleBinding
from specify_cli.saas_reference import ReferenceServer
from specify_cli.sync import EventEmitter, Outbox, SyncSettings, push
from specify_cli.tracker import TrackerService

AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture
def server_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The server as its README starts it: a real subprocess, URL on the first line."""
    proc = subprocess.Popen(
        reference_server_argv("test-token", "bind-001"),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()


def test_subprocess_server_speaks_the_protocol(
    server_process: tuple[subprocess.Popen[str], str], repo: Path, outbox: Outbox
) -> None:
    proc, url = server_process
    assert url.startswith("http://127.0.0.1:")
    ids = [
        e.event_id
        for e in EventEmitter(read_context(repo, reason="t"), outbox)
        .emit_many(("a.b", {"i": i}) for i in range(300))
        .envelopes
    ]
    settings = SyncSettings(enabled=True, server_url=url, token="test-token", backoff_s=0.01)
    assert push(outbox, settings, batch_size=128).accepted == 300
    assert push(outbox, settings).batches == 0
    received = httpx.get(f"{url}/_admin/received").json()
    assert received["event_ids"] == ids and received["batches"] == 3

    # Admin knobs change a running server.
    answer = httpx.post(f"{url}/_admin/config", json={"binding_ref": "bind-002"}).json()
    assert answer["binding_ref"] == "bind-002"
    status = TrackerService(settings).status(read_context(repo, reason="t"))
    assert status.pending_binding_upgrade == "bind-002"
    httpx.post(f"{url}/_admin/config", json={"stale": "mapping_disabled"})
    with pytest.raises(StaleBinding, match="mapping_disabled"):
        TrackerService(settings).map_list(read_context(repo, reason="t"))

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


@pytest.fixture
def http(server: ReferenceServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        yield client


def test_every_api_route_needs_the_token(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/api/v1/health"),
        ("POST", "/api/v1/events/batch"),
        ("GET", "/api/v1/events?project_uuid=p"),
        ("GET", "/api/v1/tracker/status?provider=jira"),
    ]:
        answer = http.request(method, path, json={} if method == "POST" else None)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"
        wrong = http.request(method, path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


def test_batch_dedup_and_validation(http: httpx.Client, server: ReferenceServer) -> None:
    event = {"event_id": "E1", "project_uuid": "p", "event_type": "a.b"}
    first = http.post("/api/v1/events/batch", json={"events": [event, {"x": 1}]}, headers=AUTH)
    assert first.json()["results"] == [
        {"event_id": "E1", "status": "accepted"},
        {"event_id": "None", "status": "rejected", "error": "no event_id"},
    ]
    again = http.post("/api/v1/events/batch", json={"events": [event, event]}, headers=AUTH)
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert server.received_ids() == ["E1"]
    assert http.post("/api/v1/events/batch", json={"nope": 1}, headers=AUTH).status_code == 400
    too_big = {"events": [{"event_id": str(i)} for i in range(5001)]}
    assert http.post("/api/v1/events/batch", json=too_big, headers=AUTH).status_code == 413
    garbage = http.post("/api/v1/events/batch", content=b"{oops", headers=AUTH)
    assert garbage.status_code == 400


def test_pull_pages_by_cursor(http: httpx.Client) -> None:
    events = [{"event_id": f"E{i}", "project_uuid": "p" if i % 2 else "q"} for i in range(10)]
    http.post("/api/v1/events/batch", json={"events": events}, headers=AUTH)
    page = http.get("/api/v1/events", params={"project_uuid": "p", "limit": 3}, headers=AUTH)
    body = page.json()
    assert [e["event_id"] for e in body["events"]] == ["E1", "E3", "E5"]
    rest = http.get(
        "/api/v1/events",
        params={"project_uuid": "p", "after": body["next_cursor"]},
        headers=AUTH,
    ).json()
    assert [e["event_id"] for e in rest["events"]] == ["E7", "E9"]
    assert http.get("/api/v1/events", headers=AUTH).status_code == 400
    bad = http.get("/api/v1/events", params={"project_uuid": "p", "after": "x"}, headers=AUTH)
    assert bad.status_code == 400


def test_tracker_routes(http: httpx.Client, server: ReferenceServer) -> None:
    assert http.get("/api/v1/tracker/status", headers=AUTH).status_code == 400  # no provider
    params = {"provider": "jira", "project_slug": "demo", "binding_ref": "old"}
    status = http.get("/api/v1/tracker/status", params=params, headers=AUTH).json()
    assert status["binding_ref"] == "bind-001" and status["state"] == "bound"
    server.configure(stale="project_mismatch")
    stale = http.get("/api/v1/tracker/status", params=params, headers=AUTH)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "project_mismatch"
    fresh = {"provider": "jira", "project_slug": "demo"}
    assert http.get("/api/v1/tracker/status", params=fresh, headers=AUTH).status_code == 200
    pushed = http.post(
        "/api/v1/tracker/push", json={**fresh, "items": [{"local": "WP01"}]}, headers=AUTH
    )
    assert pushed.json()["pushed"] == 1
    assert http.get("/_admin/received").json()["tracker_pushed"] == [{"local": "WP01"}]


def test_admin_config_validation_and_reset(http: httpx.Client, server: ReferenceServer) -> None:
    assert http.post("/_admin/config", json={"no_such_knob": 1}).status_code == 400
    assert http.post("/_admin/config", json={"stale": "bogus"}).status_code == 400
    assert http.post("/_admin/config", json=[1]).status_code == 400
    config = http.post("/_admin/config", json={"status": 500, "delay_s": 0}).json()
    assert config["status"] == 500
    assert http.get("/api/v1/health", headers=AUTH).status_code == 500
    assert http.post("/_admin/reset").json() == {"ok": True}
    assert http.get("/api/v1/health", headers=AUTH).json()["ok"] is True
    assert http.get("/nowhere").status_code == 404
    assert http.get("/_admin/nowhere").status_code == 404
    assert http.get("/api/v1/nowhere", headers=AUTH).status_code == 404


def test_binds_loopback_only() -> None:
    with ReferenceServer(token="t") as srv:
        assert srv.url.startswith("http://127.0.0.1:")
