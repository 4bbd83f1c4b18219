"""Moving events between the outbox and the server: push, pull, run, status.

``push`` takes events from the outbox in order, sends them in batches, and
acks (removes) exactly those the server confirmed, ``accepted`` or
``duplicate``, after each batch. Whatever happens in between (the process is
killed, the server drops the connection after storing a batch), the next push
resends what was not acked, the server answers ``duplicate`` for what it
already has, and every event ends up on the server exactly once.

A failure stops the push with a ``SyncError`` whose message says how many
events were delivered before it and how many are still queued; what was not
delivered is never removed. Settings are checked before anything is read, so a
disabled or unauthenticated setup fails fast with the outbox untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import attrs

from specify_cli.errors import SyncError
from specify_cli.sync._outbox import Outbox
from specify_cli.sync._settings import SyncSettings

if TYPE_CHECKING:
    from specify_cli.sync._client import SaasClient

__all__ = ["PullResult", "PushResult", "RunResult", "SyncStatus", "pull", "push", "run", "status"]

Progress = Callable[[int], None]
DEFAULT_BATCH: Final = 500


@attrs.frozen(slots=True)
class PushResult:
    """``delivered`` = ``accepted`` + ``duplicates``; ``rejected`` stay queued; ``remaining``
    is what the outbox still holds (for the pushed project, or overall)."""

    accepted: int
    duplicates: int
    rejected: int
    batches: int
    remaining: int

    @property
    def delivered(self) -> int:
        return self.accepted + self.duplicates


@attrs.frozen(slots=True)
class PullResult:
    received: int
    new: int
    cursor: str | None


@attrs.frozen(slots=True)
class RunResult:
    push: PushResult
    pull: PullResult


@attrs.frozen(slots=True)
class SyncStatus:
    """What ``sync status`` shows; computed locally, no network."""

    enabled: bool
    server_url: str | None
    authenticated: bool
    source: str
    queued: int
    queued_for_project: int | None
    inbox: int
    outbox_path: str

    @property
    def ready(self) -> bool:
        return self.enabled and self.server_url is not None and self.authenticated


def _client(settings: SyncSettings) -> SaasClient:
    from specify_cli.sync._client import SaasClient

    return SaasClient(settings)


def _annotated(exc: SyncError, delivered: int, remaining: int) -> SyncError:
    """The same kind of error, saying what was delivered and that the rest is queued."""
    message = f"{exc.message}; {delivered} event(s) delivered, {remaining} still queued"
    again = type(exc)(message, hint=exc.hint, path=exc.path, details=exc.details)
    again.details.update({"delivered": delivered, "queued": remaining})
    return again


def push(
    outbox: Outbox,
    settings: SyncSettings,
    *,
    project_uuid: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    client: SaasClient | None = None,
) -> PushResult:
    """Deliver queued events (one project's, or all) and ack what the server confirmed.

    ``progress`` is called after each batch with the number of events settled
    so far (delivered or rejected); the total is ``outbox.count(project_uuid)``
    taken before the call.
    """
    settings.require()
    own = client is None
    http = _client(settings) if client is None else client
    accepted = duplicates = rejected = batches = 0
    after = 0
    try:
        while True:
            queued = outbox.peek(batch_size, after_seq=after, project_uuid=project_uuid)
            if not queued:
                break
            try:
                outcome = http.send_batch([q.envelope_json for q in queued])
            except SyncError as exc:
                raise _annotated(exc, accepted + duplicates, outbox.count(project_uuid)) from exc
            sent = {q.event_id for q in queued}
            delivered = [i for i in outcome.delivered if i in sent]
            outbox.ack(delivered)
            outbox.record_failure((i, why) for i, why in outcome.rejected.items() if i in sent)
            accepted += len(outcome.accepted)
            duplicates += len(outcome.duplicates)
            rejected += len(outcome.rejected)
            batches += 1
            after = queued[-1].seq
            if progress is not None:
                progress(accepted + duplicates + rejected)
    finally:
        if own:
            http.close()
    return PushResult(accepted, duplicates, rejected, batches, outbox.count(project_uuid))


def pull(
    outbox: Outbox,
    settings: SyncSettings,
    project_uuid: str,
    *,
    page_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    client: SaasClient | None = None,
) -> PullResult:
    """Fetch the project's events from the server into the local inbox.

    The cursor is stored with each page (in the same transaction), so an
    interrupted pull resumes where it stopped; the Lamport clock of every node
    seen advances to at least the pulled value.
    """
    import json

    settings.require()
    scope = f"{settings.server_url}|{project_uuid}"
    cursor = outbox.cursor(scope)
    own = client is None
    http = _client(settings) if client is None else client
    received = new = 0
    try:
        while True:
            page = http.fetch_events(project_uuid, cursor, page_size)
            rows = []
            clocks: dict[str, int] = {}
            for event in page.events:
                event_id, node, lamport = (
                    event.get("event_id"),
                    event.get("node_id"),
                    event.get("lamport"),
                )
                if not isinstance(event_id, str):
                    continue
                rows.append((event_id, project_uuid, json.dumps(event, separators=(",", ":"))))
                if isinstance(node, str) and isinstance(lamport, int):
                    clocks[node] = max(clocks.get(node, 0), lamport)
            new += outbox.store_pulled(rows, scope=scope, cursor=page.next_cursor)
            for node, lamport in clocks.items():
                outbox.observe(node, lamport)
            received += len(rows)
            if progress is not None:
                progress(received)
            if page.next_cursor is None or page.next_cursor == cursor or not page.events:
                cursor = page.next_cursor or cursor
                break
            cursor = page.next_cursor
    finally:
        if own:
            http.close()
    return PullResult(received, new, cursor)


def run(
    outbox: Outbox,
    settings: SyncSettings,
    project_uuid: str,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> RunResult:
    """``push`` then ``pull`` over one connection."""
    settings.require()
    http = _client(settings)
    try:
        pushed = push(
            outbox,
            settings,
            project_uuid=project_uuid,
            batch_size=batch_size,
            progress=progress,
            client=http,
        )
        pulled = pull(outbox, settings, project_uuid, page_size=batch_size, client=http)
    finally:
        http.close()
    return RunResult(pushed, pulled)


def status(outbox: Outbox, settings: SyncSettings, project_uuid: str | None) -> SyncStatus:
    """Settings and queue depth, without touching the network."""
    return SyncStatus(
        enabled=settings.enabled,
        server_url=settings.server_url,
        authenticated=settings.authenticated,
        source=settings.source,
        queued=outbox.count(),
        queued_for_project=None if project_uuid is None else outbox.count(project_uuid),
        inbox=outbox.inbox_count(project_uuid),
        outbox_path=str(outbox.path),
    )
