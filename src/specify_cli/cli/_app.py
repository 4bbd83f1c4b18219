"""The ``spec-kitty`` app: its policy, its commands, and the typer front end built from them.

Everything generic (minting, enforcement, exit codes, ``--json``, signals) is
``kitty_fs.commands``; what is spec-kitty's is here: the program name, where a
project's root is (``.kittify/`` or ``.git``), the state directory side channel
(``$SPEC_KITTY_HOME``), its exit codes, and the commands. Its domain errors need no
mapping: ``SpecKittyError`` is a ``CommandFailure``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kitty_fs.commands import (
    AppPolicy,
    CommandRegistry,
    Dispatcher,
    add_capabilities_command,
)
from specify_cli.cli._exit import ExitCode

if TYPE_CHECKING:
    import typer

__all__ = ["COMMAND_MODULES", "HELP", "POLICY", "build_app", "build_dispatcher", "build_registry"]

HELP = """spec-kitty: spec-driven development, with a worktree that read commands never dirty.

Every command declares a capability. READ commands (sync, tracker status, events emit,
dashboard, dossier, lifecycle...) run under enforcement and can never change your git
worktree; they queue events in your state directory ($SPEC_KITTY_HOME, default ~/.spec-kitty).
SCOPED WRITE commands (agent status emit, record-analysis) may change only their mission's
files. WRITE commands (init, tracker bind, tracker apply) are the only ones that persist to
.kittify/config.yaml. `spec-kitty capabilities` lists them all.

Exit codes: 0 ok, 1 check failed, 2 usage, 3 not initialized, 4 invalid config,
5 dirty worktree, 6 sync unavailable, 7 stale binding, 8 write violation (a bug),
9 filesystem refused, 70 internal error, 130 interrupted,
141 output pipe closed, 143 terminated (SIGTERM).
"""


def _state_dir() -> Path:
    from specify_cli.sync._settings import state_dir

    return state_dir()


POLICY = AppPolicy(
    program="spec-kitty",
    root_markers=(".kittify", ".git"),
    project_kind="git repository or spec-kitty project",
    not_found_hint="cd into your repository (or pass --repo DIR), then run `spec-kitty init` "
    "if needed",
    state_dir=_state_dir,
    side_channel_hint="point SPEC_KITTY_HOME at a directory outside every repository "
    "(default ~/.spec-kitty)",
    exit_codes=ExitCode,
    debug_env="SPEC_KITTY_DEBUG",
)


# Each command module and the first words of the commands it declares: a command line
# imports only its own module (``typer_app(..., argv=)``); listing them all imports all.
COMMAND_MODULES = {
    "init": "init",
    "sync": "sync",
    "tracker": "tracker",
    "events": "events",
    "dashboard": "dashboard",
    "dossier": "dossier",
    "lifecycle": "lifecycle",
    "agent": "agent",
    "record-analysis": "record_analysis",
}


def build_registry(*extra: CommandRegistry) -> CommandRegistry:
    """Every spec-kitty command (plus ``extra`` registries, e.g. a test's plugin commands)."""
    registry = CommandRegistry()
    for word, module in COMMAND_MODULES.items():
        registry.include_lazily(f"specify_cli.cli.commands.{module}", words=[word])
    for more in extra:
        registry.include(more)
    add_capabilities_command(registry, POLICY.exit_code_table())
    return registry


def build_dispatcher(*extra: CommandRegistry) -> Dispatcher:
    return Dispatcher(build_registry(*extra), POLICY)


def build_app(*extra: CommandRegistry, argv: Sequence[str] | None = None) -> typer.Typer:
    """The typer app; with ``argv`` (the command line to run) only its command group is built."""
    from kitty_fs.commands import typer_app

    return typer_app(build_dispatcher(*extra), help=HELP, argv=argv)
