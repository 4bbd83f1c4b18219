"""Status events: envelope, emitter, durable outbox, SaaS client and delivery.

Cheap to import: the outbox (sqlite3), the client (httpx) and the delivery
functions load on first attribute access, so a command that never touches
them never pays for them.

Typical use from a read command (``repo`` is its ``ReadContext``, ``state``
the state-directory ``WriteContext`` the dispatcher hands it)::

    with Outbox.open(state) as outbox:
        EventEmitter(repo, outbox).emit("mission.started", {"mission": "042"})
        push(outbox, load_settings(state))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kitty_fs._lazy import lazy_attributes
from specify_cli.sync._envelope import Envelope, EventDraft, new_event_id, utc_timestamp
from specify_cli.sync._settings import AUTH_FILENAME, SyncSettings, load_settings, state_dir

if TYPE_CHECKING:
    from specify_cli.sync._client import BatchOutcome, PulledPage, SaasClient
    from specify_cli.sync._delivery import (
        PullResult,
        PushResult,
        RunResult,
        SyncStatus,
        pull,
        push,
        run,
        status,
    )
    from specify_cli.sync._emitter import EmitResult, EventEmitter
    from specify_cli.sync._outbox import OUTBOX_FILENAME, Outbox, QueuedEvent

__all__ = [
    "AUTH_FILENAME",
    "OUTBOX_FILENAME",
    "BatchOutcome",
    "EmitResult",
    "Envelope",
    "EventDraft",
    "EventEmitter",
    "Outbox",
    "PullResult",
    "PulledPage",
    "PushResult",
    "QueuedEvent",
    "RunResult",
    "SaasClient",
    "SyncSettings",
    "SyncStatus",
    "load_settings",
    "new_event_id",
    "pull",
    "push",
    "run",
    "state_dir",
    "status",
    "utc_timestamp",
]

_LAZY = {
    "BatchOutcome": "_client",
    "PulledPage": "_client",
    "SaasClient": "_client",
    "PullResult": "_delivery",
    "PushResult": "_delivery",
    "RunResult": "_delivery",
    "SyncStatus": "_delivery",
    "pull": "_delivery",
    "push": "_delivery",
    "run": "_delivery",
    "status": "_delivery",
    "EmitResult": "_emitter",
    "EventEmitter": "_emitter",
    "OUTBOX_FILENAME": "_outbox",
    "Outbox": "_outbox",
    "QueuedEvent": "_outbox",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
