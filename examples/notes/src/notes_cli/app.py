"""The notes app: its policy, and the typer front end built from its declarations."""

from __future__ import annotations

import os
from pathlib import Path

from kitty_fs.commands import (
    AppPolicy,
    CommandRegistry,
    Dispatcher,
    add_capabilities_command,
    documented_exit_codes,
    typer_app,
)
from notes_cli.commands import commands

__all__ = ["POLICY", "build_registry", "main"]


def _state_dir() -> Path:
    return Path(os.environ.get("NOTES_HOME") or Path.home() / ".notes-state")


POLICY = AppPolicy(
    program="notes",
    root_markers=("notes.yaml", ".git"),
    state_dir=_state_dir,
    debug_env="NOTES_DEBUG",
)


def build_registry() -> CommandRegistry:
    registry = CommandRegistry()
    registry.include(commands)
    add_capabilities_command(registry, dict(documented_exit_codes()))
    return registry


def main() -> None:
    app = typer_app(Dispatcher(build_registry(), POLICY), help="Notes kept in git.")
    app(prog_name="notes")
