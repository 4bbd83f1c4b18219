"""``spec-kitty agent status emit``: a scoped write, the mission's status log and nothing else.

Upstream reproduced its worktree bug on this command: it appends a work
package's status change to ``kitty-specs/<mission>/status.events.jsonl`` and,
on a legacy identity, also persisted a fresh ``build_id`` into
``.kittify/config.yaml``. Declared with ``writes=`` the status log, it gets a
``ScopedWriteContext`` for that one file: ``save_config`` with it does not
type-check, and the guard refuses any other write at run time. The identity is
resolved read-only (a missing ``build_id`` is derived in memory) and the event
is queued in the outbox, the state-directory side channel.
"""

from __future__ import annotations

import json
import re

import typer

from kitty_fs import ScopedWriteContext
from kitty_fs.commands import CommandFailure, CommandRegistry, Invocation
from specify_cli.cli._exit import ExitCode
from specify_cli.cli.commands._missions import MISSIONS_DIR

__all__ = ["STATUS_LOG", "commands"]

commands = CommandRegistry()
commands.group("agent", "Commands agents run while they work a mission.")
commands.group("agent status", "Work-package status (SCOPED WRITE: the mission's status log).")

STATUS_LOG = "status.events.jsonl"
_WP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LANE = re.compile(r"^[a-z][a-z_]{0,31}$")


def _usage(message: str, hint: str) -> CommandFailure:
    return CommandFailure(message, ExitCode.USAGE, hint)


@commands.scoped_write(
    "agent status emit",
    "Append a work package's status change to its mission's status log; queue it for sync.",
    writes=(f"{MISSIONS_DIR}/{{mission}}/{STATUS_LOG}",),
    contract_argv=("--mission", "001-login-flow", "--wp", "WP01", "--to", "doing"),
)
def emit(
    repo: ScopedWriteContext,
    inv: Invocation,
    mission: str = typer.Option(..., "--mission", help="Mission slug, e.g. 001-login-flow."),
    wp: str = typer.Option(..., "--wp", help="Work package id, e.g. WP01."),
    to: str = typer.Option(..., "--to", help="The lane it moves to, e.g. doing, for_review."),
    note: str = typer.Option("", "--note", help="A short note kept with the event."),
) -> int:
    """Append one status event to kitty-specs/MISSION/status.events.jsonl (SCOPED WRITE).

    That file is the only one it may change: never .kittify/config.yaml, even on
    a legacy identity missing build_id (derived in memory, as reads do). The
    event is also queued in the outbox; `spec-kitty sync push` delivers it.
    """
    # Imported here: every command module is imported on every run (typer needs them all
    # for --help), so a module-level import would cost every command its start-up time.
    import uuid
    from datetime import UTC, datetime

    from specify_cli.cli.commands._shared import open_outbox
    from specify_cli.identity import NotInitialized, resolve_identity
    from specify_cli.sync import EventEmitter

    if not _WP.match(wp):
        raise _usage(f"invalid work package id {wp!r}", "use letters, digits, '.', '_', '-'")
    if not _LANE.match(to):
        raise _usage(f"invalid lane {to!r}", "use a lower-case lane name, e.g. doing")
    folder = f"{MISSIONS_DIR}/{mission}"
    if not repo.is_dir(folder):
        raise _usage(
            f"no mission {mission!r}: {folder}/ does not exist",
            f"pass the slug of a directory under {MISSIONS_DIR}/",
        )
    resolved = resolve_identity(repo)
    identity = None if isinstance(resolved, NotInitialized) else resolved
    record: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "mission": mission,
        "wp": wp,
        "to": to,
        "note": note,
        "project_uuid": str(identity.project_uuid) if identity else None,
        "build_id": identity.build_id if identity else None,
        "node_id": identity.node_id if identity else None,
    }
    line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
    repo.append_text(f"{folder}/{STATUS_LOG}", line)
    queued = 0
    if identity is not None:
        with open_outbox(inv) as outbox:
            payload = {k: record[k] for k in ("mission", "wp", "to", "note", "event_id")}
            queued = (
                EventEmitter(repo.read_only(), outbox).emit("wp.status_changed", payload).emitted
            )
    else:
        assert isinstance(resolved, NotInitialized)
        inv.output.note(f"note: {resolved.message}; not queued for sync; fix: {resolved.hint}")
    inv.output.result(
        {"recorded": f"{folder}/{STATUS_LOG}", "event": record, "queued": queued},
        [
            f"{mission} {wp} -> {to}: appended to {folder}/{STATUS_LOG}"
            + ("; queued for sync" if queued else "")
        ],
    )
    return 0
