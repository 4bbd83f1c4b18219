"""``spec-kitty dashboard tick|run``: the dashboard daemon, a read command that runs for hours.

A tick reads the project (identity, missions, tracker binding), queues a
``dashboard.heartbeat`` event, pushes the queue when sync can run, and keeps its
snapshot in the state directory. A daemon that ticks while the user commits is
exactly where a stray write hurts most, so every tick runs under the guard.
"""

from __future__ import annotations

import json
import time

import attrs
import typer

from kitty_fs import ReadContext
from kitty_fs._digest import sha256
from kitty_fs.commands import CommandRegistry, Invocation
from specify_cli.cli.commands._missions import Mission, scan_missions
from specify_cli.cli.commands._shared import (
    PublishReport,
    TrackerSummary,
    identity_or_hint,
    publish,
    settings,
    tracker_summary,
)

__all__ = ["DashboardSnapshot", "commands", "tick"]

commands = CommandRegistry()
commands.group("dashboard", "The dashboard daemon (READ).")


@attrs.frozen(slots=True)
class DashboardSnapshot:
    """What one tick saw and did; stored in the state directory as ``as_json()``."""

    tick: int
    at: str
    project_uuid: str | None
    build_id: str | None
    missions: tuple[Mission, ...]
    tracker: TrackerSummary
    sync: PublishReport

    def as_json(self) -> dict[str, object]:
        data = attrs.asdict(self, recurse=False)  # field order is the documented key order
        data.update(
            missions=[m.as_payload() for m in self.missions],
            tracker=self.tracker.as_json(),
            sync=self.sync.as_json(),
        )
        return data

    def line(self) -> str:
        upgrade = self.tracker.pending_binding_upgrade
        return f"tick {self.tick}: {len(self.missions)} mission(s), events {self.sync.sync}" + (
            f", pending binding upgrade {upgrade}" if upgrade else ""
        )


def tick(repo: ReadContext, inv: Invocation, number: int = 1) -> DashboardSnapshot:
    """One daemon iteration; returns the snapshot it stored."""
    sync = settings(inv)  # read once per tick: the tracker check and the push share it
    identity = identity_or_hint(repo, inv)
    missions = tuple(scan_missions(repo))
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    tracker = tracker_summary(repo, sync)
    payload = {"missions": len(missions), "tick": number}
    snapshot = DashboardSnapshot(
        tick=number,
        at=at,
        project_uuid=None if identity is None else str(identity.project_uuid),
        build_id=None if identity is None else identity.build_id,
        missions=missions,
        tracker=tracker,
        sync=publish(repo, inv, [("dashboard.heartbeat", payload)], sync),
    )
    # The snapshot lives in the side channel: one file per repository, never in the tree.
    # Not fsynced: the next tick rewrites it, and after a power loss the last one is stale,
    # not torn (the replace is still atomic); the heartbeat event itself is durable.
    key = sha256(str(repo.root).encode()).hexdigest()[:16]
    inv.state.mkdir("dashboard")
    text = json.dumps(snapshot.as_json(), indent=2) + "\n"
    inv.state.write_text(f"dashboard/{key}.json", text, durable=False)
    return snapshot


@commands.read("dashboard tick", "Run one dashboard daemon tick (heartbeat, snapshot, push).")
def tick_command(repo: ReadContext, inv: Invocation) -> int:
    """One daemon tick: read the project, queue a heartbeat, push if sync can run."""
    snapshot = tick(repo, inv)
    inv.output.result(snapshot.as_json(), [snapshot.line()])
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
            inv.output.result(snapshot.as_json(), [snapshot.line()])
        if ticks == 0 or number < ticks:
            time.sleep(interval)
    return 0
