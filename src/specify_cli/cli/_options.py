"""Options shared by many commands, declared once so their help reads the same everywhere."""

from __future__ import annotations

import typer

__all__ = ["JSON_OPTION"]

JSON_OPTION = typer.Option(
    False,
    "--json",
    help='Print one JSON object on stdout: {"ok": true, "command": ..., ...} or '
    '{"ok": false, "error": {"code", "message", "hint", "exit_code"}}.',
)
