"""Emitter throughput into the outbox, against a raw SQLite insert with the same settings.

Both sides write the outbox schema (``specify_cli.sync._outbox.SCHEMA``) into a
fresh file with the same pragmas (WAL, ``synchronous=FULL``, busy timeout),
committing the same number of rows per transaction:

* emitter: ``EventEmitter.emit_many`` on a real project (identity resolved from
  ``.kittify/config.yaml``), i.e. envelope building, ULID, timestamp, JSON,
  the Lamport clock read/update and the insert;
* raw: ``executemany`` of rows built *before* the clock starts, so the baseline
  is the database's cost alone and the ratio is what the emitter adds.

Two shapes: bulk (batches of 500, what a busy daemon does) and one event per
transaction (what a single ``spec-kitty`` command does; there the fsync of the
commit dominates). Runs alternate raw/emitter; the best of ``--reps`` is kept.

    .venv/bin/python bench/emitter_throughput.py [--events N] [--single N] [--reps R]

Prints events/s for each side and the ratio emitter/raw (1.0 = no overhead).
Defaults: 10,000 bulk events, 200 single-event transactions, 3 reps;
KITTY_FULL=1 uses 50,000 / 1,000 / 5.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kitty_fs import read_context, write_boundary
from specify_cli.sync import EventEmitter, Outbox
from specify_cli.sync._outbox import SCHEMA, apply_pragmas

CONFIG = "project:\n  uuid: 12345678-1234-5678-1234-567812345678\n  slug: bench\n"


def _raw(db: Path, n: int, per_txn: int) -> float:
    rows = []
    for i in range(n):
        event_id = uuid.uuid4().hex
        envelope = json.dumps({"event_id": event_id, "event_type": "bench.event", "i": i})
        rows.append((event_id, "12345678-1234-5678-1234-567812345678", "abcdef012345", i, envelope))
    conn = sqlite3.connect(db, isolation_level=None)
    apply_pragmas(conn)
    conn.executescript(SCHEMA)
    started = time.perf_counter()
    for start in range(0, n, per_txn):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO events (event_id, project_uuid, node_id, lamport, envelope)"
            " VALUES (?, ?, ?, ?, ?)",
            rows[start : start + per_txn],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _emitter(state_root: Path, repo: Path, n: int, per_txn: int) -> float:
    state = write_boundary(state_root, reason="bench: state directory")
    with Outbox.open(state) as outbox:
        emitter = EventEmitter(read_context(repo, reason="bench: emit"), outbox)
        emitter.identity  # resolve outside the timed part, like a warm command would  # noqa: B018
        started = time.perf_counter()
        if per_txn == 1:
            for i in range(n):
                emitter.emit("bench.event", {"i": i})
        else:
            emitter.emit_many((("bench.event", {"i": i}) for i in range(n)), batch_size=per_txn)
        elapsed = time.perf_counter() - started
        assert outbox.count() == n
    return elapsed


def _best(reps: int, run: Callable[[Path], float]) -> float:
    times = []
    for _ in range(reps):
        with tempfile.TemporaryDirectory(prefix="kitty-bench-") as tmp:
            times.append(run(Path(tmp)))
    return min(times)


def _measure(repo: Path, n: int, per_txn: int, reps: int) -> tuple[float, float]:
    raw_times, emit_times = [], []
    for _ in range(reps):  # alternate so machine drift hits both sides
        raw_times.append(_best(1, lambda d: _raw(d / "raw.sqlite3", n, per_txn)))
        emit_times.append(_best(1, lambda d: _emitter(d, repo, n, per_txn)))
    return n / min(raw_times), n / min(emit_times)


def main() -> None:
    full = os.environ.get("KITTY_FULL") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000 if full else 10_000)
    parser.add_argument("--single", type=int, default=1_000 if full else 200)
    parser.add_argument("--reps", type=int, default=5 if full else 3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kitty-bench-repo-") as tmp:
        repo = Path(tmp)
        (repo / ".kittify").mkdir()
        (repo / ".kittify" / "config.yaml").write_text(CONFIG, encoding="utf-8")
        print(f"emitter throughput into the outbox (WAL, synchronous=FULL), best of {args.reps}")
        for label, n, per_txn in (
            ("bulk, 500 per transaction", args.events, 500),
            ("one event per transaction", args.single, 1),
        ):
            raw, emitter = _measure(repo, n, per_txn, args.reps)
            print(
                f"  {label:<27} {n:>6} events: emitter {emitter:>9,.0f} ev/s, "
                f"raw sqlite {raw:>9,.0f} ev/s, ratio emitter/raw {emitter / raw:.2f}"
            )


if __name__ == "__main__":
    main()
