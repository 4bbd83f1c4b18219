"""``spec-kitty capabilities``: list every command with the capability it declared."""

from __future__ import annotations

import typer

from kitty_fs import ReadContext
from specify_cli.cli._dispatch import Invocation
from specify_cli.cli._options import JSON_OPTION
from specify_cli.cli._registry import REGISTRY, read_command

__all__ = ["register"]


@read_command(
    "capabilities", "List every command and the capability it declares.", needs_project=False
)
def _capabilities(repo: ReadContext, inv: Invocation) -> int:
    rows = [
        {"command": c.name, "capability": c.capability, "summary": c.summary}
        for c in sorted(REGISTRY.values(), key=lambda c: c.name)
    ]
    width = max(len(r["command"]) for r in rows)
    lines = [f"{r['command']:<{width}}  {r['capability']:<5}  {r['summary']}" for r in rows]
    inv.output.result({"commands": rows}, lines)
    return 0


def register(app: typer.Typer) -> None:
    @app.command("capabilities")
    def capabilities(as_json: bool = JSON_OPTION) -> None:
        """List every command with its declared capability.

        read: runs under the runtime guard and never changes the worktree;
        write: a write boundary that may persist to .kittify/config.yaml.
        """
        _capabilities.run(as_json)
