"""The durable event outbox: one SQLite file in the user's state directory.

Why SQLite: it gives atomic multi-row transactions, concurrent readers and
writers across processes, and survives a process killed at any instant, with
no daemon. Settings, each for a reason:

* ``journal_mode=WAL``: readers never block the writer, and a killed writer's
  uncommitted pages are simply ignored on the next open;
* ``synchronous=FULL``: a committed event survives power loss too, not only a
  crash of the process (events are user data);
* ``busy_timeout``: a second process waits for the lock instead of failing;
* ``BEGIN IMMEDIATE`` for every write: the write lock is taken up front, so
  two processes can never deadlock upgrading a read lock.

The per-node Lamport clock lives in the same file and is advanced in the same
transaction as the insert, so concurrent emitters on one machine never reuse a
value and a killed emitter never leaves the clock ahead of or behind its events.

An event leaves the outbox only through ``ack`` (the server confirmed it), so
an interrupted push loses nothing: the next push resends what was not acked,
and the server deduplicates on ``event_id``.

The outbox is opened from a ``WriteContext`` rooted at the state directory:
the side channel the dispatcher hands to read commands. The file never lives in
a repository.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, NamedTuple

from kitty_fs import WriteContext
from specify_cli.errors import InvalidEvent, OutboxError
from specify_cli.sync._closing import Closing
from specify_cli.sync._envelope import Envelope, EventDraft

__all__ = ["OUTBOX_FILENAME", "SCHEMA", "Outbox", "QueuedEvent", "apply_pragmas"]

OUTBOX_FILENAME: Final = "outbox.sqlite3"
_SCHEMA_VERSION: Final = 1
_BUSY_TIMEOUT_MS: Final = 15_000
# SQLite's default limit on host parameters per statement is 32766; stay well below.
_CHUNK: Final = 900

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    project_uuid TEXT NOT NULL,
    node_id TEXT NOT NULL,
    lamport INTEGER NOT NULL,
    envelope TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS events_by_project ON events (project_uuid, seq);
CREATE TABLE IF NOT EXISTS clocks (node_id TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    event_id TEXT PRIMARY KEY,
    project_uuid TEXT NOT NULL,
    envelope TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (scope TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def apply_pragmas(conn: sqlite3.Connection, busy_timeout_ms: int = _BUSY_TIMEOUT_MS) -> None:
    """The durability and concurrency settings (shared with the throughput bench's baseline)."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")


def _connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """One attempt at opening the outbox: connect, set the pragmas, create the schema."""
    conn = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        apply_pragmas(conn, busy_timeout_ms)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != _SCHEMA_VERSION:
            # One script, one transaction: a second process racing to create the schema
            # waits on BEGIN IMMEDIATE, then finds every table there.
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{SCHEMA}\nPRAGMA user_version = {_SCHEMA_VERSION};\nCOMMIT;"
            )
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
        raise
    return conn


# A NamedTuple, not attrs: it is built on every cold start (docs/commands.md, "Cold start").
class QueuedEvent(NamedTuple):
    """One queued event: its outbox position, id, and wire JSON (sent as is)."""

    seq: int
    event_id: str
    project_uuid: str
    envelope_json: str
    attempts: int


class Outbox(Closing):
    """The queue of events waiting for delivery, plus the pull inbox and cursors.

    Open it with ``Outbox.open(state)``; use it as a context manager or call
    ``close``. One instance belongs to one thread; other processes may use the
    same file at the same time.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    def open(
        cls,
        state: WriteContext,
        *,
        name: str = OUTBOX_FILENAME,
        busy_timeout_ms: int = _BUSY_TIMEOUT_MS,
    ) -> Outbox:
        """Open (creating if needed) the outbox file ``name`` in the state directory ``state``.

        Opening races other processes opening a new outbox: switching it to WAL can
        answer "database is locked" at once, without waiting on the busy timeout. Such
        an open is retried, with short sleeps, until the busy timeout has passed.
        """
        path = state.path(name)
        deadline = time.monotonic() + busy_timeout_ms / 1000
        delay = 0.005
        while True:
            try:
                return cls(path, _connect(path, busy_timeout_ms))
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() + delay > deadline:
                    raise _outbox_error(path, "open", exc) from exc
            except sqlite3.Error as exc:
                raise _outbox_error(path, "open", exc) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed whole or rolled back whole."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, action, exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _outbox_error(self.path, action, exc) from exc
            raise

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._conn.execute(sql, params))
        except sqlite3.Error as exc:
            raise _outbox_error(self.path, "read", exc) from exc

    # -- enqueue -----------------------------------------------------------------------

    def enqueue(self, draft: EventDraft) -> Envelope:
        """Store one event, assigning its Lamport value; returns the stored envelope."""
        return self.enqueue_many([draft])[0]

    def enqueue_many(self, drafts: Sequence[EventDraft]) -> list[Envelope]:
        """Store events atomically (all or none), in order, assigning Lamport values per node.

        Raises ``InvalidEvent`` (storing nothing) if any payload is not JSON.
        """
        if not drafts:
            return []
        with self._write("enqueue") as conn:
            clocks: dict[str, int] = {}
            envelopes: list[Envelope] = []
            rows: list[tuple[str, str, str, int, str]] = []
            for draft in drafts:
                if draft.node_id not in clocks:
                    clocks[draft.node_id] = _clock(conn, draft.node_id)
                clocks[draft.node_id] += 1
                envelope = draft.stamp(clocks[draft.node_id])
                rows.append(
                    (
                        envelope.event_id,
                        envelope.project_uuid,
                        envelope.node_id,
                        envelope.lamport,
                        envelope.to_json(),
                    )
                )
                envelopes.append(envelope)
            try:
                conn.executemany(
                    "INSERT INTO events (event_id, project_uuid, node_id, lamport, envelope)"
                    " VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
            except sqlite3.IntegrityError as exc:
                raise InvalidEvent(f"duplicate event_id in the outbox: {exc}") from exc
            conn.executemany(
                "INSERT INTO clocks (node_id, value) VALUES (?, ?)"
                " ON CONFLICT (node_id) DO UPDATE SET value = excluded.value",
                list(clocks.items()),
            )
        return envelopes

    # -- delivery ----------------------------------------------------------------------

    def peek(
        self, limit: int, *, after_seq: int = 0, project_uuid: str | None = None
    ) -> list[QueuedEvent]:
        """Up to ``limit`` queued events after ``after_seq``, oldest first; removes none."""
        sql = "SELECT seq, event_id, project_uuid, envelope, attempts FROM events WHERE seq > ?"
        params: list[object] = [after_seq]
        if project_uuid is not None:
            sql += " AND project_uuid = ?"
            params.append(project_uuid)
        sql += " ORDER BY seq LIMIT ?"
        params.append(limit)
        return [
            QueuedEvent(seq, event_id, project, envelope, attempts)
            for seq, event_id, project, envelope, attempts in self._read(sql, params)
        ]

    def ack(self, event_ids: Iterable[str]) -> int:
        """Remove delivered events; returns how many were still queued (unknown ids are fine)."""
        ids = list(event_ids)
        removed = 0
        with self._write("ack") as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                cursor = conn.execute(f"DELETE FROM events WHERE event_id IN ({marks})", chunk)  # noqa: S608
                removed += cursor.rowcount
        return removed

    def record_failure(self, failures: Iterable[tuple[str, str]]) -> None:
        """Count a failed attempt (event_id, reason) on events that stay queued."""
        rows = [(reason, event_id) for event_id, reason in failures]
        if not rows:
            return
        with self._write("record failure") as conn:
            conn.executemany(
                "UPDATE events SET attempts = attempts + 1, last_error = ? WHERE event_id = ?",
                rows,
            )

    def count(self, project_uuid: str | None = None) -> int:
        """How many events are queued (for one project, or all)."""
        if project_uuid is None:
            rows = self._read("SELECT COUNT(*) FROM events")
        else:
            rows = self._read("SELECT COUNT(*) FROM events WHERE project_uuid = ?", [project_uuid])
        return int(rows[0][0])

    # -- Lamport clock -----------------------------------------------------------------

    def lamport(self, node_id: str) -> int:
        """The last Lamport value handed out for ``node_id`` (0 before the first event)."""
        rows = self._read("SELECT value FROM clocks WHERE node_id = ?", [node_id])
        return int(rows[0][0]) if rows else 0

    def observe(self, node_id: str, seen: int) -> int:
        """Merge a clock value seen on a pulled event: ``max(local, seen)``; returns the result."""
        with self._write("observe clock") as conn:
            value = max(_clock(conn, node_id), seen)
            conn.execute(
                "INSERT INTO clocks (node_id, value) VALUES (?, ?)"
                " ON CONFLICT (node_id) DO UPDATE SET value = excluded.value",
                (node_id, value),
            )
        return value

    # -- pull side ---------------------------------------------------------------------

    def cursor(self, scope: str) -> str | None:
        rows = self._read("SELECT value FROM cursors WHERE scope = ?", [scope])
        return str(rows[0][0]) if rows else None

    def store_pulled(
        self, envelopes: Sequence[tuple[str, str, str]], *, scope: str, cursor: str | None
    ) -> int:
        """Store pulled ``(event_id, project_uuid, json)`` rows and move the cursor, atomically.

        Returns how many were new (an event pulled twice is stored once).
        """
        with self._write("store pulled events") as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO inbox (event_id, project_uuid, envelope) VALUES (?, ?, ?)",
                envelopes,
            )
            new = conn.total_changes - before
            if cursor is not None:
                conn.execute(
                    "INSERT INTO cursors (scope, value) VALUES (?, ?)"
                    " ON CONFLICT (scope) DO UPDATE SET value = excluded.value",
                    (scope, cursor),
                )
        return new

    def inbox_count(self, project_uuid: str | None = None) -> int:
        if project_uuid is None:
            rows = self._read("SELECT COUNT(*) FROM inbox")
        else:
            rows = self._read("SELECT COUNT(*) FROM inbox WHERE project_uuid = ?", [project_uuid])
        return int(rows[0][0])


def _clock(conn: sqlite3.Connection, node_id: str) -> int:
    row = conn.execute("SELECT value FROM clocks WHERE node_id = ?", (node_id,)).fetchone()
    return int(row[0]) if row else 0


def _outbox_error(path: Path, action: str, exc: sqlite3.Error) -> OutboxError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        hint = "another spec-kitty process holds the outbox; retry in a moment (nothing was lost)"
    elif "not a database" in text or "malformed" in text:
        hint = f"the outbox file is damaged: move {path} aside and retry (a new one is created)"
    else:
        hint = None
    return OutboxError(f"event outbox {path}: {action} failed: {text}", path=path, hint=hint)
