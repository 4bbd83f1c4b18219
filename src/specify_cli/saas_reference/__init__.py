"""A reference spec-kitty SaaS on loopback, so tests and the demo speak real HTTP.

It is deliberately small and separate from the client (``specify_cli.sync``):
it shares no code with it, so a protocol mistake on one side shows up as a
failing test instead of cancelling out. Events are kept in memory.

Start it::

    python -m specify_cli.saas_reference --port 0 --token T --binding-ref X

The first line of stdout is the base URL (``http://127.0.0.1:PORT``); it serves
until interrupted. In tests: ``with ReferenceServer(token="T") as srv: srv.url``.

Protocol (version 1). JSON bodies; every ``/api/`` request needs
``Authorization: Bearer <token>`` or gets ``401``. Errors are
``{"error": {"code": str, "message": str}}``.

``GET /api/v1/health``
    ``{"ok": true, "server": str, "protocol": 1}``.
``POST /api/v1/events/batch``, body ``{"events": [envelope, ...]}`` (at most 5000)
    ``200 {"results": [{"event_id", "status": "accepted"|"duplicate"|"rejected",
    "error"?}]}``, one per event, in order. The server deduplicates on
    ``event_id``: an event it already has is ``duplicate`` (the client treats
    that as delivered, which makes retries safe).
``GET /api/v1/events?project_uuid=U&after=C&limit=N``
    ``200 {"events": [envelope, ...], "next_cursor": str}``: the project's
    events in arrival order after the opaque cursor ``C``.
``GET /api/v1/tracker/status?provider=P&project_slug=S[&binding_ref=B]``
    ``200 {"binding_ref", "provider", "project_slug", "state", "mappings": int}``.
    ``binding_ref`` is the server's current binding, which may differ from
    the client's ``B`` (a binding upgrade the client reports, not applies).
``GET /api/v1/tracker/mappings?...`` (same parameters)
    ``200 {"binding_ref", ..., "mappings": [{"local", "remote", "status"}]}``.
``POST /api/v1/tracker/pull|push|run``, body ``{"provider", "project_slug",
"binding_ref", "items"?: [...]}``
    ``200 {"binding_ref", ..., "pulled": [item, ...], "pushed": int}``.
Stale binding
    tracker requests that carry a ``binding_ref`` get ``409`` with code
    ``binding_not_found``, ``mapping_disabled`` or ``project_mismatch`` when
    the ``stale`` knob is set; requests without one (a fresh ``bind``) do not.

Test-only admin endpoints (no token; loopback only):

``POST /_admin/config``
    set ``binding_ref``, ``mappings`` or any fault knob (``status``,
    ``status_times``, ``garbage``, ``delay_s``, ``drop_batches``, ``ack_delay_s``,
    ``stall_after``, ``stale``, ``reject_types``; see ``Faults``); answers the
    resulting configuration.
``GET /_admin/received``
    ``{"stored", "accepted", "duplicates", "batches", "requests",
    "event_ids": [...], "tracker_pushed": [...]}``.
``POST /_admin/reset``
    forget all events and clear the faults.
"""

from specify_cli.saas_reference._server import STALE_CODES, Faults, ReferenceServer

__all__ = ["STALE_CODES", "Faults", "ReferenceServer"]
