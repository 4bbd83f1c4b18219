"""The ``spec-kitty`` command line, built on ``kitty_fs.commands``.

Only ``main`` lives here; the typer app and the commands are imported when it
runs, so importing this package costs nothing.

The first statement installs a start-up SIGINT handler, through ``_signal``
(built into the interpreter, so importing it imports nothing): Ctrl-C while
the app is still importing ends the process with one line and exit 130 instead
of a traceback from whichever import it landed in. The dispatcher restores
Python's own handler before a command runs, so commands unwind normally.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # the C module: importing it loads nothing
import gc  # built into the interpreter
import os  # loaded by the interpreter's start-up already
import sys


def _interrupted_at_start_up(_signum: int, _frame: object) -> None:
    # Nothing has been opened or written yet: one line and out.
    os.write(2, b"spec-kitty: interrupted\n")
    os._exit(130)


_signal.signal(_signal.SIGINT, _interrupted_at_start_up)

__all__ = ["main"]


def main() -> None:
    # Paused from the first import on; run_main freezes what start-up built and turns the
    # collector back on before the command runs (see run_main).
    gc.disable()
    from functools import partial

    from kitty_fs.commands import run_main
    from specify_cli.cli._app import build_app

    # Only the command line's own command group is built (typer_app's argv=); run_main
    # ends the process without the interpreter's last sweep of every object (gc.freeze).
    run_main(lambda: partial(build_app(argv=sys.argv[1:]), prog_name="spec-kitty"), "spec-kitty")
