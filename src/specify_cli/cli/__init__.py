"""The ``spec-kitty`` command line: every command declares ``read`` or ``write``.

Only ``main`` lives here; the typer app and the commands are imported when it
runs, so importing this package costs nothing.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    from specify_cli.cli._app import build_app

    build_app()(prog_name="spec-kitty")
