"""``spec-kitty lifecycle fanout``: publish each mission's lifecycle stage to the SaaS.

The fan-out also asks the tracker about the binding, which is where upstream
persisted a new ``binding_ref`` as a side effect; here it is only reported.
"""

from __future__ import annotations

from kitty_fs import ReadContext
from kitty_fs.commands import CommandRegistry, Invocation
from specify_cli.cli.commands._missions import scan_missions
from specify_cli.cli.commands._shared import publish, settings, tracker_summary

__all__ = ["commands"]

commands = CommandRegistry()
commands.group("lifecycle", "Mission lifecycle (READ).")


@commands.read("lifecycle fanout", "Publish every mission's lifecycle stage (and binding check).")
def fanout(repo: ReadContext, inv: Invocation) -> int:
    """Queue one lifecycle event per mission and push them if sync can run."""
    missions = scan_missions(repo)
    sync = settings(inv)
    tracker = tracker_summary(repo, sync)
    events = [("lifecycle.stage_reported", m.as_payload()) for m in missions]
    report = publish(repo, inv, events, sync)
    lines = [f"{m.slug}: {m.stage}" for m in missions]
    lines.append(f"{len(missions)} mission(s); events {report.sync}")
    upgrade = tracker.pending_binding_upgrade
    if upgrade:
        lines.append(f"pending binding upgrade: {tracker.binding_ref} -> {upgrade}")
        inv.output.note("hint: persist it with `spec-kitty tracker apply` (a write command)")
    inv.output.result(
        {
            "missions": [m.as_payload() for m in missions],
            "tracker": tracker.as_json(),
            **report.as_json(),
        },
        lines,
    )
    return 0
