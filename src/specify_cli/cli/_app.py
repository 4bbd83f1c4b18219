"""Assembles the typer application from the command modules."""

from __future__ import annotations

from pathlib import Path

import typer

from specify_cli.cli._dispatch import set_repo_option

__all__ = ["build_app"]

_HELP = """spec-kitty: spec-driven development, with a worktree that read commands never dirty.

Every command declares a capability. READ commands (sync, tracker status, events emit,
dashboard, dossier, lifecycle...) run under a runtime guard and can never change your git
worktree; they queue events in your state directory ($SPEC_KITTY_HOME, default ~/.spec-kitty).
WRITE commands (init, tracker bind, tracker apply, record-analysis) are the only ones that
persist to .kittify/config.yaml. `spec-kitty capabilities` lists them all.

Exit codes: 0 ok, 1 check failed, 2 usage, 3 not initialized, 4 invalid config,
5 dirty worktree, 6 sync unavailable, 7 stale binding, 8 write violation (a bug),
9 filesystem refused, 70 internal error, 130 interrupted,
141 output pipe closed, 143 terminated (SIGTERM).
"""


def build_app() -> typer.Typer:
    from specify_cli.cli.commands import (
        capabilities,
        dashboard,
        dossier,
        events,
        init,
        lifecycle,
        record_analysis,
        sync,
        tracker,
    )

    app = typer.Typer(
        help=_HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    @app.callback()
    def _root(
        repo: Path | None = typer.Option(
            None,
            "--repo",
            help="Project directory to act on (default: the current directory; "
            "the root is found by walking up to .kittify/ or .git).",
        ),
    ) -> None:
        set_repo_option(repo)

    modules = (init, sync, tracker, events, dashboard, dossier, lifecycle, record_analysis)
    for module in (*modules, capabilities):
        module.register(app)
    return app
