"""The event emitter: turns ``(event_type, payload)`` into queued envelopes.

It takes a ``ReadContext`` for the repository, because emitting is a read path:
it resolves the identity with ``resolve_identity`` (never writing, never
minting a uuid) and writes only to the outbox, which lives in the state
directory. A project without ``project.uuid`` emits nothing: the result says
``NOT_INITIALIZED`` with the hint to run ``spec-kitty init``, and the caller
decides whether that is a no-op or an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, NamedTuple

from kitty_fs import ReadContext
from specify_cli.errors import InvalidConfig, InvalidEvent
from specify_cli.identity import NotInitialized, ProjectIdentity, resolve_identity
from specify_cli.sync._envelope import Envelope, EventDraft
from specify_cli.sync._outbox import Outbox

__all__ = ["EmitResult", "EventEmitter"]

_BATCH: Final = 500


# A NamedTuple, not attrs: it is built on every cold start (docs/commands.md, "Cold start").
class EmitResult(NamedTuple):
    """What an ``emit`` did: the stored envelopes, or why nothing was stored."""

    envelopes: tuple[Envelope, ...] = ()
    not_initialized: NotInitialized | None = None

    @property
    def emitted(self) -> int:
        return len(self.envelopes)

    @property
    def code(self) -> str:
        return "NOT_INITIALIZED" if self.not_initialized is not None else "EMITTED"

    @property
    def hint(self) -> str:
        return self.not_initialized.hint if self.not_initialized is not None else ""


class EventEmitter:
    """Emits events for the project at ``ctx.root`` into ``outbox``.

    The identity is resolved once, on first use: it is deterministic, so every
    event of this emitter carries the same, complete identity.
    """

    def __init__(self, ctx: ReadContext, outbox: Outbox) -> None:
        if outbox.path.is_relative_to(ctx.root):
            raise InvalidConfig(
                f"the event outbox {outbox.path} is inside the repository {ctx.root}",
                path=outbox.path,
                hint="point SPEC_KITTY_HOME at a directory outside every repository",
            )
        self._ctx = ctx
        self._outbox = outbox
        self._identity: ProjectIdentity | NotInitialized | None = None

    @property
    def identity(self) -> ProjectIdentity | NotInitialized:
        if self._identity is None:
            self._identity = resolve_identity(self._ctx)
        return self._identity

    def emit(self, event_type: str, payload: Mapping[str, object] | None = None) -> EmitResult:
        """Queue one event; returns the stored envelope (or ``NOT_INITIALIZED``)."""
        return self.emit_many([(event_type, payload or {})])

    def emit_many(
        self, events: Iterable[tuple[str, Mapping[str, object]]], *, batch_size: int = _BATCH
    ) -> EmitResult:
        """Queue many events, ``batch_size`` per transaction (each batch all-or-nothing).

        Raises ``InvalidEvent`` on a bad type or payload; earlier batches stay queued.
        """
        identity = self.identity
        if isinstance(identity, NotInitialized):
            return EmitResult(not_initialized=identity)
        fields = identity.envelope_fields()
        stored: list[Envelope] = []
        batch: list[EventDraft] = []
        for event_type, payload in events:
            batch.append(_draft(event_type, payload, fields))
            if len(batch) >= batch_size:
                stored.extend(self._outbox.enqueue_many(batch))
                batch = []
        stored.extend(self._outbox.enqueue_many(batch))
        return EmitResult(envelopes=tuple(stored))


def _draft(event_type: str, payload: Mapping[str, object], fields: Mapping[str, str]) -> EventDraft:
    try:
        return EventDraft(event_type=event_type, payload=payload, **fields)
    except TypeError as exc:  # attrs: a wrong argument type slipped past the annotations
        raise InvalidEvent(f"invalid event {event_type!r}: {exc}") from exc
