"""The ``spec-kitty`` command line, built on ``kitty_fs.commands``.

Only ``main`` lives here; the typer app and the commands are imported when it
runs, so importing this package costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["main"]


def main() -> None:
    from kitty_fs.commands import run_main

    def build() -> Callable[[], object]:
        from specify_cli.cli._app import build_app

        app = build_app()
        return lambda: app(prog_name="spec-kitty")

    run_main(build, "spec-kitty")
