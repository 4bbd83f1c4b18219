"""Envelopes: unique sortable ids, UTC timestamps, a wire format that round-trips."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specify_cli.errors import InvalidEvent
from specify_cli.sync import Envelope, EventDraft, new_event_id, utc_timestamp

IDENTITY = {
    "project_uuid": "12345678-1234-5678-1234-567812345678",
    "project_slug": "demo",
    "node_id": "abcdef012345",
    "build_id": "3ebbf95f-c987-5565-b8b6-6debe8cdfd43",
}
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def test_event_ids_are_unique_ulids_sorted_by_time() -> None:
    first = [new_event_id() for _ in range(2000)]
    time.sleep(0.002)
    later = new_event_id()
    assert all(ULID.match(i) for i in first)
    assert len(set(first)) == 2000
    assert max(first) < later  # a later millisecond sorts after


def test_event_id_encodes_the_creation_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    event_id = new_event_id()
    after = time.time_ns() // 1_000_000
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = 0
    for char in event_id:  # Crockford base32, 5 bits a digit, as the ULID spec reads it
        value = value * 32 + alphabet.index(char)
    assert value < 2**128
    assert before <= value >> 80 <= after


def test_timestamp_is_iso_utc() -> None:
    stamp = utc_timestamp()
    assert stamp.endswith("Z")
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.tzinfo == UTC
    assert abs((datetime.now(UTC) - parsed).total_seconds()) < 5


@given(
    payload=st.dictionaries(st.text(max_size=8), _json, max_size=4), lamport=st.integers(0, 2**40)
)
def test_wire_round_trip(payload: dict[str, object], lamport: int) -> None:
    envelope = EventDraft("mission.started", payload, **IDENTITY).stamp(lamport)
    wire = json.loads(envelope.to_json())
    assert wire["event_id"] == envelope.event_id and wire["lamport"] == lamport
    assert {k: wire[k] for k in IDENTITY} == IDENTITY
    assert Envelope.from_dict(wire) == envelope


@pytest.mark.parametrize("bad", ["", "1abc", "has space", "a..b", "x" * 201, "tab\tx"])
def test_bad_event_types_are_refused(bad: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        EventDraft(bad, {}, **IDENTITY)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("good", ["a", "mission.started", "wp:status-changed", "A_b.c1"])
def test_good_event_types(good: str) -> None:
    assert EventDraft(good, {}, **IDENTITY).event_type == good


def test_payload_must_be_an_object() -> None:
    with pytest.raises(InvalidEvent, match="JSON object"):
        EventDraft("a.b", [1, 2], **IDENTITY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "broken",
    [
        {"event_id": 3},
        {"payload": []},
        {"lamport": -1},
        {"lamport": True},
        {"build_id": ""},
        {"version": "1"},
    ],
)
def test_from_dict_names_the_bad_field(broken: dict[str, object]) -> None:
    wire = EventDraft("a.b", {}, **IDENTITY).stamp(1).to_dict()
    wire.update(broken)
    with pytest.raises(ValueError, match=next(iter(broken))):
        Envelope.from_dict(wire)
