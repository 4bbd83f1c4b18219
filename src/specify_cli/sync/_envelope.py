"""The event envelope: what one status event looks like on the wire and in the outbox.

Every envelope carries a unique ``event_id`` (a ULID: unique without
coordination, and sortable by creation time, which keeps server-side ordering
and debugging simple), the four identity fields, the event type and payload,
an ISO-8601 UTC timestamp and a Lamport clock value. The clock is per node and
assigned by the outbox inside the insert transaction, so two processes on one
machine never hand out the same value.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import attrs

from specify_cli._kinds import kind_of
from specify_cli.errors import InvalidEvent

if TYPE_CHECKING:
    import json

__all__ = ["ENVELOPE_VERSION", "Envelope", "EventDraft", "new_event_id", "utc_timestamp"]

ENVELOPE_VERSION: Final = 1
_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS: Final = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)
_EVENT_TYPE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*([.:-][A-Za-z0-9_]+)*$")


def new_event_id() -> str:
    """A ULID: 48 bits of milliseconds since the epoch, 80 random bits, Crockford base32.

    The 128 bits are 26 base32 digits (the first holds 3 bits), written two at
    a time from a 1024-entry table: the emitter makes one per event, and this is
    about as fast as ``str(uuid4())``.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in range(120, -1, -10)])


def utc_timestamp() -> str:
    """Now, as ISO-8601 UTC with microseconds and a ``Z`` suffix."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _check_type(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or len(value) > 200 or not _EVENT_TYPE.match(value):
        raise InvalidEvent(f"invalid event type {value!r}")


def _check_payload(_instance: object, _attribute: object, value: Mapping[str, object]) -> None:
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"an event payload must be a JSON object, got {kind_of(value)}")


@attrs.frozen(slots=True)
class EventDraft:
    """An envelope waiting for its Lamport value, which the outbox assigns when it stores it."""

    event_type: str = attrs.field(validator=_check_type)
    payload: Mapping[str, object] = attrs.field(validator=_check_payload)
    project_uuid: str
    project_slug: str
    node_id: str
    build_id: str
    event_id: str = attrs.field(factory=new_event_id)
    timestamp: str = attrs.field(factory=utc_timestamp)

    def stamp(self, lamport: int) -> Envelope:
        return Envelope(
            event_id=self.event_id,
            event_type=self.event_type,
            payload=self.payload,
            project_uuid=self.project_uuid,
            project_slug=self.project_slug,
            node_id=self.node_id,
            build_id=self.build_id,
            timestamp=self.timestamp,
            lamport=lamport,
        )


@attrs.frozen(slots=True)
class Envelope:
    """One event as stored and sent. ``to_dict`` is the wire format (see the server docs)."""

    event_id: str
    event_type: str
    payload: Mapping[str, object]
    project_uuid: str
    project_slug: str
    node_id: str
    build_id: str
    timestamp: str
    lamport: int
    version: int = ENVELOPE_VERSION

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "payload": self.payload,
            "project_uuid": self.project_uuid,
            "project_slug": self.project_slug,
            "node_id": self.node_id,
            "build_id": self.build_id,
            "timestamp": self.timestamp,
            "lamport": self.lamport,
        }

    def to_json(self) -> str:
        """Compact JSON; raises ``InvalidEvent`` when the payload is not JSON-serialisable."""
        import json

        try:
            return json.dumps(
                self.to_dict(), separators=(",", ":"), allow_nan=False, default=_refuse
            )
        except (TypeError, ValueError) as exc:
            raise InvalidEvent(f"event {self.event_type!r}: payload is not JSON: {exc}") from exc

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Envelope:
        """Parse a wire envelope; raises ``ValueError`` naming the first bad field."""
        text_fields = ("event_id", "event_type", "project_uuid", "project_slug", "node_id")
        values: dict[str, str] = {}
        for name in (*text_fields, "build_id", "timestamp"):
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"envelope field {name!r} missing or not a string")
            values[name] = value
        payload = data.get("payload")
        lamport = data.get("lamport")
        version = data.get("version", ENVELOPE_VERSION)
        if not isinstance(payload, Mapping):
            raise ValueError("envelope field 'payload' is not an object")
        if not isinstance(lamport, int) or isinstance(lamport, bool) or lamport < 0:
            raise ValueError("envelope field 'lamport' is not a non-negative integer")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("envelope field 'version' is not an integer")
        return cls(payload=payload, lamport=lamport, version=version, **values)


@functools.cache
def _encoder() -> json.JSONEncoder:
    # One encoder for all envelopes: json.dumps with options builds a new one per call.
    # Imported here: a command that never emits does not pay for json.
    import json

    return json.JSONEncoder(separators=(",", ":"), allow_nan=False, default=_refuse)


def _refuse(value: object) -> object:
    # json's default hook: read-only mappings (config views) pass as objects; anything
    # else that is not plain JSON is a caller bug, said clearly.
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
