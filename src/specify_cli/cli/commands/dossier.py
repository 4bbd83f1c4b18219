"""``spec-kitty dossier sync``: the background trigger that tells the SaaS a dossier changed.

Upstream ran it from hooks after every command; it must never dirty the tree.
It hashes each mission's files (read-only) and queues one
``dossier.sync_requested`` event per mission, then pushes if sync can run.
"""

from __future__ import annotations

from kitty_fs import ReadContext
from kitty_fs.commands import CommandRegistry, Invocation
from specify_cli.cli.commands._missions import scan_missions
from specify_cli.cli.commands._shared import publish, settings

__all__ = ["commands"]

commands = CommandRegistry()
commands.group("dossier", "Mission dossiers (READ).")


@commands.read("dossier sync", "Queue a dossier sync request per mission; push if sync can run.")
def sync(repo: ReadContext, inv: Invocation) -> int:
    """Ask the SaaS to refresh each mission's dossier (digest of kitty-specs/<mission>/)."""
    missions = scan_missions(repo)
    events = [("dossier.sync_requested", m.as_payload()) for m in missions]
    report = publish(repo, inv, events, settings(inv))
    lines = [f"{m.slug}: {m.files} file(s), digest {m.digest[:12]}" for m in missions]
    lines.append(f"{len(missions)} mission(s); events {report.sync}")
    inv.output.result({"missions": [m.as_payload() for m in missions], **report.as_json()}, lines)
    return 0
