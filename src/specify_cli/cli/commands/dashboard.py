"""``spec-kitty dashboard tick|run``: the dashboard daemon, a read command that runs for hours.

A tick reads the project (identity, missions, tracker binding), queues a
``dashboard.heartbeat`` event, pushes the queue when sync can run, and keeps its
snapshot in the state directory. A daemon that ticks while the user commits is
exactly where a stray write hurts most, so every tick runs under the guard.
"""

from __future__ import annotations

import hashlib
import json
import time

import typer

from kitty_fs import ReadContext
from kitty_fs.commands import CommandRegistry, Invocation
from specify_cli.cli.commands._missions import scan_missions
from specify_cli.cli.commands._shared import identity_or_hint, publish, settings, tracker_summary

__all__ = ["commands", "tick"]

commands = CommandRegistry()
commands.group("dashboard", "The dashboard daemon (READ).")


def tick(repo: ReadContext, inv: Invocation, number: int = 1) -> dict[str, object]:
    """One daemon iteration; returns the snapshot it stored."""
    sync = settings(inv)  # read once per tick: the tracker check and the push share it
    identity = identity_or_hint(repo, inv)
    missions = scan_missions(repo)
    snapshot: dict[str, object] = {
        "tick": number,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "project_uuid": None if identity is None else str(identity.project_uuid),
        "build_id": None if identity is None else identity.build_id,
        "missions": [m.as_payload() for m in missions],
        "tracker": tracker_summary(repo, sync),
    }
    payload = {"missions": len(missions), "tick": number}
    snapshot["sync"] = publish(repo, inv, [("dashboard.heartbeat", payload)], sync)
    # The snapshot lives in the side channel: one file per repository, never in the tree.
    key = hashlib.sha256(str(repo.root).encode()).hexdigest()[:16]
    inv.state.mkdir("dashboard")
    inv.state.write_text(f"dashboard/{key}.json", json.dumps(snapshot, indent=2) + "\n")
    return snapshot


def _line(snapshot: dict[str, object]) -> str:
    tracker = snapshot["tracker"]
    assert isinstance(tracker, dict)
    sync = snapshot["sync"]
    assert isinstance(sync, dict)
    upgrade = tracker.get("pending_binding_upgrade")
    missions = snapshot["missions"]
    assert isinstance(missions, list)
    return f"tick {snapshot['tick']}: {len(missions)} mission(s), events {sync.get('sync')}" + (
        f", pending binding upgrade {upgrade}" if upgrade else ""
    )


@commands.read("dashboard tick", "Run one dashboard daemon tick (heartbeat, snapshot, push).")
def tick_command(repo: ReadContext, inv: Invocation) -> int:
    """One daemon tick: read the project, queue a heartbeat, push if sync can run."""
    snapshot = tick(repo, inv)
    inv.output.result(snapshot, [_line(snapshot)])
    return 0


@commands.read(
    "dashboard run",
    "Run the dashboard daemon: a tick every --interval seconds.",
    contract_argv=("--ticks", "2", "--interval", "0"),
)
def run(
    repo: ReadContext,
    inv: Invocation,
    interval: float = typer.Option(30.0, "--interval", min=0, help="Seconds between ticks."),
    ticks: int = typer.Option(0, "--ticks", min=0, help="Stop after N ticks (0: forever)."),
) -> int:
    """Tick forever (or --ticks N times); with --json, one JSON object per tick.

    Stop it with Ctrl-C (exit 130). A config that fails to parse skips a tick
    with a note instead of stopping the daemon.
    """
    from kitty_fs import ConfigError
    from specify_cli.errors import SpecKittyError

    number = 0
    while ticks == 0 or number < ticks:
        number += 1
        try:
            snapshot = tick(repo, inv, number)
        except (ConfigError, SpecKittyError) as exc:
            # A config mid-edit must not kill the daemon: report and try again next tick.
            inv.output.note(f"tick {number}: skipped: {exc}")
        else:
            inv.output.result(snapshot, [_line(snapshot)])
        if ticks == 0 or number < ticks:
            time.sleep(interval)
    return 0
