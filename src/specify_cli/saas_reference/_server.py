"""The reference server: state, fault knobs and the HTTP handler (protocol in the package doc)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Final
from urllib.parse import parse_qs, urlsplit

import attrs

__all__ = ["STALE_CODES", "Faults", "ReferenceServer"]

STALE_CODES: Final = ("binding_not_found", "mapping_disabled", "project_mismatch")
_MAX_BATCH: Final = 5000
_MAX_BODY: Final = 64 * 1024 * 1024
_GARBAGE: Final = b"<html><body>502 Bad Gateway (this is not JSON)</body></html>"


@attrs.define
class Faults:
    """What the server does wrong on purpose. Every field can change on a running server.

    ``status``: answer every ``/api/`` request with this HTTP status (``500``,
    ``401``, ``429``...), for the next ``status_times`` requests (``None``: until
    changed). ``garbage``: answer 200 with an HTML body. ``delay_s``: sleep
    before answering. ``drop_batches``: for the next N batch requests, store the
    events and then close the connection without answering (a "lost ack").
    ``ack_delay_s``: for batch requests, sleep after storing the events and
    before answering (a window in which a killed client has delivered events
    it never saw acknowledged). ``stall_after``: once this many events are
    stored, hold the answer of the batch that reached it until the knob is
    cleared (a deterministic moment to kill a client mid-push). ``stale``:
    answer tracker requests that carry a ``binding_ref`` with 409 and this
    code. ``reject_types``: reject events of these types.
    """

    status: int | None = None
    status_times: int | None = None
    garbage: bool = False
    delay_s: float = 0.0
    drop_batches: int = 0
    ack_delay_s: float = 0.0
    stall_after: int | None = None
    stale: str | None = None
    reject_types: list[str] = attrs.Factory(list)

    def update(self, changes: Mapping[str, object]) -> None:
        fields = attrs.fields_dict(Faults)
        for key, value in changes.items():
            if key not in fields:
                raise ValueError(f"unknown fault knob {key!r}")
            if key == "stale" and value is not None and value not in STALE_CODES:
                raise ValueError(f"stale must be one of {STALE_CODES} or null")
            setattr(self, key, list(value) if isinstance(value, list | tuple) else value)


@attrs.define
class _State:
    token: str
    binding_ref: str
    mappings: list[dict[str, object]]
    items: list[dict[str, object]]
    faults: Faults
    lock: threading.Lock = attrs.Factory(threading.Lock)
    events: dict[str, dict[str, object]] = attrs.Factory(dict)  # event_id -> envelope, in order
    order: list[str] = attrs.Factory(list)
    accepted: int = 0
    duplicates: int = 0
    batches: int = 0
    requests: int = 0
    tracker_pushed: list[object] = attrs.Factory(list)


def _json_bytes(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a 10,000-event push reuses one connection
    server_version = "spec-kitty-reference/1"
    state: ClassVar[_State]

    # -- plumbing ------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests and the demo read stdout; per-request logs would only be noise

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: object) -> None:
        self._send(status, _json_bytes(data))

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": {"code": code, "message": message}})

    def _body(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("request body too large")
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _route(self) -> str:
        return urlsplit(self.path).path.rstrip("/") or "/"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- dispatch ------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        route = self._route()
        try:
            body = self._body() if method == "POST" else {}
        except ValueError as exc:
            self._error(400, "bad_request", f"body is not JSON: {exc}")
            return
        if route.startswith("/_admin/"):
            self._admin(method, route, body)
            return
        if not route.startswith("/api/v1/"):
            self._error(404, "not_found", f"no route {route}")
            return
        if self._fault(route, body):
            return
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            self._error(401, "unauthenticated", "missing or wrong bearer token")
            return
        handler = _API.get((method, route))
        if handler is None:
            self._error(404, "not_found", f"no route {method} {route}")
            return
        handler(self, body)

    def _fault(self, route: str, body: object) -> bool:
        """Apply the fault knobs; True if the request was answered (or dropped) by a fault."""
        state = self.state
        with state.lock:
            state.requests += 1
            faults = state.faults
            delay, garbage, status = faults.delay_s, faults.garbage, faults.status
            if status is not None and faults.status_times is not None:
                faults.status_times -= 1
                if faults.status_times <= 0:
                    faults.status, faults.status_times = None, None
            drop = route == "/api/v1/events/batch" and faults.drop_batches > 0 and status is None
            if drop:
                faults.drop_batches -= 1
        if delay:
            time.sleep(delay)
        if status is not None:
            self._error(status, "injected_fault", f"fault knob: HTTP {status}")
            return True
        if garbage:
            self._send(200, _GARBAGE, "text/html")
            return True
        if drop:
            if isinstance(body, dict) and isinstance(body.get("events"), list):
                self._store(body["events"])
            self.close_connection = True  # the events are stored, the answer is lost
            return True
        return False

    # -- admin ---------------------------------------------------------------------------

    def _admin(self, method: str, route: str, body: object) -> None:
        state = self.state
        if method == "POST" and route == "/_admin/config":
            if not isinstance(body, dict):
                self._error(400, "bad_request", "config must be a JSON object")
                return
            with state.lock:
                try:
                    if "binding_ref" in body:
                        state.binding_ref = str(body.pop("binding_ref"))
                    if "mappings" in body:
                        state.mappings = list(body.pop("mappings"))
                    state.faults.update(body)
                except (TypeError, ValueError) as exc:
                    self._error(400, "bad_request", str(exc))
                    return
                config = {"binding_ref": state.binding_ref, **attrs.asdict(state.faults)}
            self._json(200, config)
        elif method == "POST" and route == "/_admin/reset":
            with state.lock:
                state.events.clear()
                state.order.clear()
                state.accepted = state.duplicates = state.batches = state.requests = 0
                state.faults = Faults()
            self._json(200, {"ok": True})
        elif method == "GET" and route == "/_admin/received":
            with state.lock:
                data = {
                    "stored": len(state.order),
                    "accepted": state.accepted,
                    "duplicates": state.duplicates,
                    "batches": state.batches,
                    "requests": state.requests,
                    "event_ids": list(state.order),
                    "tracker_pushed": list(state.tracker_pushed),
                }
            self._json(200, data)
        else:
            self._error(404, "not_found", f"no admin route {method} {route}")

    # -- events --------------------------------------------------------------------------

    def _store(self, events: Sequence[object]) -> list[dict[str, str]]:
        state = self.state
        results: list[dict[str, str]] = []
        with state.lock:
            state.batches += 1
            reject = set(state.faults.reject_types)
            for event in events:
                event_id = event.get("event_id") if isinstance(event, dict) else None
                if not isinstance(event, dict) or not isinstance(event_id, str) or not event_id:
                    results.append(
                        {"event_id": str(event_id), "status": "rejected", "error": "no event_id"}
                    )
                    continue
                if event_id in state.events:
                    state.duplicates += 1
                    results.append({"event_id": event_id, "status": "duplicate"})
                elif event.get("event_type") in reject or not isinstance(
                    event.get("project_uuid"), str
                ):
                    results.append(
                        {"event_id": event_id, "status": "rejected", "error": "refused by server"}
                    )
                else:
                    state.events[event_id] = event
                    state.order.append(event_id)
                    state.accepted += 1
                    results.append({"event_id": event_id, "status": "accepted"})
        return results

    def _events_batch(self, body: object) -> None:
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            self._error(400, "bad_request", 'expected {"events": [...]}')
            return
        if len(events) > _MAX_BATCH:
            self._error(413, "batch_too_large", f"at most {_MAX_BATCH} events per batch")
            return
        results = self._store(events)
        ack_delay = self.state.faults.ack_delay_s
        if ack_delay:
            time.sleep(ack_delay)
        while self._stalled():
            time.sleep(0.01)
        self._json(200, {"results": results})

    def _stalled(self) -> bool:
        with self.state.lock:
            limit = self.state.faults.stall_after
            return limit is not None and len(self.state.order) >= limit

    def _events_pull(self, _body: object) -> None:
        query = self._query()
        project = query.get("project_uuid")
        if not project:
            self._error(400, "bad_request", "project_uuid is required")
            return
        try:
            after = int(query.get("after") or 0)
            limit = max(1, min(int(query.get("limit") or 500), _MAX_BATCH))
        except ValueError:
            self._error(400, "bad_request", "after and limit must be integers")
            return
        page: list[dict[str, object]] = []
        cursor = after
        with self.state.lock:
            for position in range(after, len(self.state.order)):
                cursor = position + 1
                event = self.state.events[self.state.order[position]]
                if event.get("project_uuid") == project:
                    page.append(event)
                    if len(page) >= limit:
                        break
        self._json(200, {"events": page, "next_cursor": str(cursor)})

    def _health(self, _body: object) -> None:
        self._json(200, {"ok": True, "server": self.server_version, "protocol": 1})

    # -- tracker -------------------------------------------------------------------------

    def _tracker_request(self, body: object) -> dict[str, object] | None:
        """The tracker parameters (query for GET, body for POST), or None once answered."""
        params: dict[str, object] = dict(self._query())
        if isinstance(body, dict):
            params.update(body)
        if not params.get("provider"):
            self._error(400, "bad_request", "provider is required")
            return None
        stale = self.state.faults.stale
        if stale is not None and params.get("binding_ref"):
            self._error(409, stale, f"binding {params['binding_ref']!r} is not usable: {stale}")
            return None
        return params

    def _tracker_answer(self, params: Mapping[str, object], **extra: object) -> None:
        with self.state.lock:
            binding_ref = self.state.binding_ref
        self._json(
            200,
            {
                "binding_ref": binding_ref,
                "provider": params.get("provider"),
                "project_slug": params.get("project_slug"),
                **extra,
            },
        )

    def _tracker_status(self, body: object) -> None:
        params = self._tracker_request(body)
        if params is not None:
            self._tracker_answer(params, state="bound", mappings=len(self.state.mappings))

    def _tracker_mappings(self, body: object) -> None:
        params = self._tracker_request(body)
        if params is not None:
            self._tracker_answer(params, mappings=list(self.state.mappings))

    def _tracker_pull(self, body: object) -> None:
        params = self._tracker_request(body)
        if params is not None:
            self._tracker_answer(params, pulled=list(self.state.items), pushed=0)

    def _store_pushed(self, params: Mapping[str, object]) -> int:
        """Keep the request's ``items`` (a push, or the push half of a run); how many."""
        items = params.get("items")
        pushed = list(items) if isinstance(items, list) else []
        with self.state.lock:
            self.state.tracker_pushed.extend(pushed)
        return len(pushed)

    def _tracker_push(self, body: object) -> None:
        params = self._tracker_request(body)
        if params is not None:
            self._tracker_answer(params, pulled=[], pushed=self._store_pushed(params))

    def _tracker_run(self, body: object) -> None:
        params = self._tracker_request(body)
        if params is not None:
            pushed = self._store_pushed(params)
            self._tracker_answer(params, pulled=list(self.state.items), pushed=pushed)


_API: Final = {
    ("GET", "/api/v1/health"): _Handler._health,
    ("POST", "/api/v1/events/batch"): _Handler._events_batch,
    ("GET", "/api/v1/events"): _Handler._events_pull,
    ("GET", "/api/v1/tracker/status"): _Handler._tracker_status,
    ("GET", "/api/v1/tracker/mappings"): _Handler._tracker_mappings,
    ("POST", "/api/v1/tracker/pull"): _Handler._tracker_pull,
    ("POST", "/api/v1/tracker/push"): _Handler._tracker_push,
    ("POST", "/api/v1/tracker/run"): _Handler._tracker_run,
}

_DEFAULT_MAPPINGS: Final = (
    {"local": "WP01", "remote": "DEMO-1", "status": "linked"},
    {"local": "WP02", "remote": "DEMO-2", "status": "linked"},
)
_DEFAULT_ITEMS: Final = (
    {"remote": "DEMO-1", "title": "Write the spec", "state": "in_progress"},
    {"remote": "DEMO-2", "title": "Ship it", "state": "todo"},
)


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        exc = sys.exc_info()[1]
        # A client that timed out or hung up is normal in fault tests; anything else is a bug.
        if not isinstance(exc, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class ReferenceServer:
    """A loopback spec-kitty SaaS. ``start()`` serves on a thread; ``url`` is its base URL.

    Binds ``127.0.0.1`` only. Use as a context manager, or call ``start``/``stop``.
    """

    def __init__(
        self,
        *,
        token: str,
        binding_ref: str = "binding-1",
        port: int = 0,
        faults: Faults | None = None,
        mappings: Sequence[Mapping[str, object]] = _DEFAULT_MAPPINGS,
        items: Sequence[Mapping[str, object]] = _DEFAULT_ITEMS,
    ) -> None:
        state = _State(
            token=token,
            binding_ref=binding_ref,
            mappings=[dict(m) for m in mappings],
            items=[dict(i) for i in items],
            faults=faults or Faults(),
        )
        handler = type("Handler", (_Handler,), {"state": state})
        self._state = state
        self._httpd = _Quiet(("127.0.0.1", port), handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def faults(self) -> Faults:
        return self._state.faults

    def configure(self, **changes: object) -> None:
        """Change knobs in process (``binding_ref``, ``mappings`` or any ``Faults`` field)."""
        with self._state.lock:
            if "binding_ref" in changes:
                self._state.binding_ref = str(changes.pop("binding_ref"))
            if "mappings" in changes:
                mappings = changes.pop("mappings")
                if not isinstance(mappings, list | tuple):
                    raise ValueError("mappings must be a list of objects")
                self._state.mappings = [dict(m) for m in mappings]
            self._state.faults.update(changes)

    def received_ids(self) -> list[str]:
        with self._state.lock:
            return list(self._state.order)

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.02)

    def start(self) -> ReferenceServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="saas-reference", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
