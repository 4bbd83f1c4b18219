"""``spec-kitty dossier sync``: the background trigger that tells the SaaS a dossier changed.

Upstream ran it from hooks after every command; it must never dirty the tree.
It hashes each mission's files (read-only) and queues one
``dossier.sync_requested`` event per mission, then pushes if sync can run.
"""

from __future__ import annotations

import typer

from kitty_fs import ReadContext
from specify_cli.cli._dispatch import Invocation
from specify_cli.cli._options import JSON_OPTION
from specify_cli.cli._registry import read_command
from specify_cli.cli.commands._missions import scan_missions
from specify_cli.cli.commands._shared import publish, settings

__all__ = ["register"]


@read_command("dossier sync", "Queue a dossier sync request per mission; push if sync can run.")
def _sync(repo: ReadContext, inv: Invocation) -> int:
    missions = scan_missions(repo)
    events = [("dossier.sync_requested", m.as_payload()) for m in missions]
    report = publish(repo, inv, events, settings(inv))
    lines = [f"{m.slug}: {m.files} file(s), digest {m.digest[:12]}" for m in missions]
    lines.append(f"{len(missions)} mission(s); events {report.get('sync')}")
    inv.output.result({"missions": [m.as_payload() for m in missions], **report}, lines)
    return 0


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Mission dossiers (READ).", no_args_is_help=True)
    app.add_typer(group, name="dossier")

    @group.command("sync")
    def sync(as_json: bool = JSON_OPTION) -> None:
        """Ask the SaaS to refresh each mission's dossier (digest of kitty-specs/<mission>/)."""
        _sync.run(as_json)
