"""Run ``spec-kitty`` with the commands of one extra module declared: a test-only CLI.

Usage: ``python cli_plugin_runner.py MODULE ARGS...``. Builds the real app
(every real command) plus the ``commands`` registry of ``MODULE`` and runs it
on ``ARGS``, exactly as the ``spec-kitty`` entry point does. The bad read
commands of ``test_cli_bad_command.py`` run through it, so they never touch
the real CLI.

With ``KITTY_CLI_TEST_UNGUARDED=1`` the runtime guard is replaced by a scope
that stops nothing, and the kernel layer is off: the command's body runs as it
would have before this project, which is how the tests show that the contract
check sees the dirt itself and does not only rely on the guard.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from types import SimpleNamespace


@contextlib.contextmanager
def _no_guard(*_args: object, **_kwargs: object) -> Iterator[SimpleNamespace]:
    yield SimpleNamespace(violations=())


def main(argv: list[str]) -> None:
    module, args = argv[0], argv[1:]
    if os.environ.get("KITTY_CLI_TEST_UNGUARDED") == "1":
        import kitty_fs._guard

        # The dispatcher imports read_scope from kitty_fs._guard at call time.
        kitty_fs._guard.read_scope = _no_guard  # type: ignore[assignment]
        os.environ["KITTY_FS_KERNEL"] = "off"
    from specify_cli.cli._app import build_app

    app = build_app(importlib.import_module(module).commands)
    app(args=args, prog_name="spec-kitty")


if __name__ == "__main__":
    main(sys.argv[1:])
