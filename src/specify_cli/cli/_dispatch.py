"""The dispatcher: the one write boundary of the CLI.

For every command it finds the project root, mints the capability the command
declared, and for read commands runs the body inside an enforcing guard scope
whose only side channels are the user's state directory and the temp dir. It
also turns every failure into one clear line (or a JSON error) and an exit code
from ``_exit.ExitCode``; tracebacks only with ``SPEC_KITTY_DEBUG=1``.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import attrs

from kitty_fs import (
    ConfigError,
    KittyFsError,
    PathEscapeError,
    ReadContext,
    WriteContext,
    WriteViolation,
    read_context,
    write_boundary,
)
from specify_cli.cli._exit import ExitCode
from specify_cli.cli._failure import CommandFailure
from specify_cli.cli._output import Output
from specify_cli.cli._project import find_project_root
from specify_cli.cli._registry import Command

__all__ = ["Invocation", "dispatch", "set_repo_option", "state_dir"]

_repo_option: Path | None = None


def set_repo_option(path: Path | None) -> None:
    """Record the global ``--repo`` option (the typer callback calls this)."""
    global _repo_option
    _repo_option = path


def state_dir() -> Path:
    """The user's spec-kitty state directory: ``$SPEC_KITTY_HOME`` or ``~/.spec-kitty``."""
    configured = os.environ.get("SPEC_KITTY_HOME")
    return Path(configured) if configured else Path.home() / ".spec-kitty"


@attrs.frozen(slots=True)
class Invocation:
    """What a command body gets besides its repository capability.

    ``state`` is the side channel: a ``WriteContext`` rooted at the user's state
    directory (outbox, caches), never the repository.
    """

    command: str
    state: WriteContext
    output: Output


def _mint_state(command: str) -> WriteContext:
    home = state_dir()
    if not home.is_dir():
        parent = write_boundary(home.parent, reason=f"{command}: create state directory")
        parent.mkdir(home.name)
    return write_boundary(home, reason=f"{command}: state directory (side channel)")


def _run(command: Command[...], out: Output, call: Callable[[ReadContext, Invocation], int | None]) -> int:
    root = find_project_root(_repo_option or Path.cwd())
    inv = Invocation(command.name, _mint_state(command.name), out)
    if command.capability == "write":
        return call(write_boundary(root, reason=command.name), inv) or 0
    from kitty_fs import read_scope

    repo = read_context(root, reason=command.name)
    with read_scope(repo, side_channels=[inv.state.root]):
        return call(repo, inv) or 0


def _failure_of(exc: BaseException) -> CommandFailure | None:
    if isinstance(exc, CommandFailure):
        return exc
    from specify_cli.errors import SpecKittyError

    if isinstance(exc, SpecKittyError):
        return CommandFailure(exc.message, ExitCode(exc.exit_code), exc.hint, code=exc.code)
    if isinstance(exc, WriteViolation):
        return CommandFailure(
            str(exc),
            ExitCode.WRITE_VIOLATION,
            "this is a bug in the command: report it; the worktree was not changed",
        )
    if isinstance(exc, ConfigError | PathEscapeError):
        return CommandFailure(exc.message, ExitCode.INVALID_CONFIG, exc.hint)
    if isinstance(exc, KittyFsError):
        return CommandFailure(exc.message, ExitCode.FILESYSTEM, exc.hint)
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        name = exc.filename or "a file"
        return CommandFailure(
            f"cannot write {name}: {exc.strerror}",
            ExitCode.FILESYSTEM,
            "check the permissions of the file and its directory",
        )
    return None


def dispatch(
    command: Command[...], as_json: bool, call: Callable[[ReadContext, Invocation], int | None]
) -> None:
    """Run ``command`` with its declared capability and exit the process with its code."""
    out = Output(command.name, as_json)
    try:
        code = _run(command, out, call)
    except KeyboardInterrupt:
        out.failure(code="INTERRUPTED", message="interrupted", hint="", exit_code=130)
        code = 130
    except Exception as exc:
        failure = _failure_of(exc)
        if failure is None:
            if os.environ.get("SPEC_KITTY_DEBUG"):
                traceback.print_exc()
            failure = CommandFailure(
                f"unexpected {type(exc).__name__}: {exc}",
                ExitCode.INTERNAL,
                "rerun with SPEC_KITTY_DEBUG=1 for the traceback and report it",
            )
        out.failure(
            code=failure.code,
            message=failure.message,
            hint=failure.hint,
            exit_code=int(failure.exit_code),
            details=failure.details,
        )
        code = int(failure.exit_code)
    sys.stdout.flush()
    raise SystemExit(code)
