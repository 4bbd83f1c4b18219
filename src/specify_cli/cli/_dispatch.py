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
import signal
import sys
import tempfile
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

__all__ = ["Invocation", "dispatch", "set_repo_option"]

_repo_option: Path | None = None


def set_repo_option(path: Path | None) -> None:
    """Record the global ``--repo`` option (the typer callback calls this)."""
    global _repo_option
    _repo_option = path


@attrs.frozen(slots=True)
class Invocation:
    """What a command body gets besides its repository capability.

    ``state`` is the side channel: a ``WriteContext`` rooted at the user's state
    directory (outbox, caches), never the repository.
    """

    command: str
    state: WriteContext
    output: Output


def _mint_state(command: str, project: Path | None) -> WriteContext:
    from specify_cli.sync._settings import state_dir

    home = state_dir()
    real = Path(os.path.realpath(home))
    if project is not None and real.is_relative_to(project):
        raise CommandFailure(
            f"the state directory {home} is inside the repository {project}",
            ExitCode.INVALID_CONFIG,
            "point SPEC_KITTY_HOME at a directory outside every repository (default ~/.spec-kitty)",
        )
    if not home.is_dir():
        parent = write_boundary(home.parent, reason=f"{command}: create state directory")
        parent.mkdir(home.name)
    return write_boundary(home, reason=f"{command}: state directory (side channel)")


def _side_channels(root: Path, state: WriteContext) -> list[Path]:
    """The state directory, and the temp dir unless it and the repository overlap."""
    channels = [state.root]
    temp = Path(os.path.realpath(tempfile.gettempdir()))
    # A temp dir above the root would whitelist the whole worktree, one inside it a part
    # of the worktree (TMPDIR=$repo/tmp): either way it is no side channel then.
    if not (root.is_relative_to(temp) or temp.is_relative_to(root)):
        channels.append(temp)
    return channels


def _run(
    command: Command[...], out: Output, call: Callable[[ReadContext, Invocation], int | None]
) -> int:
    start = _repo_option or Path.cwd()
    project: Path | None
    try:
        project = root = find_project_root(start)
    except CommandFailure:
        if command.needs_project or command.capability == "write":
            raise
        project, root = None, Path(os.path.realpath(start))
    inv = Invocation(command.name, _mint_state(command.name, project), out)
    if command.capability == "write":
        return call(write_boundary(root, reason=command.name), inv) or 0
    from kitty_fs import read_scope

    repo = read_context(root, reason=command.name)
    with read_scope(repo, side_channels=_side_channels(root, inv.state)) as scope:

        def refuse_swallowed() -> None:
            if scope.violations:
                # The body caught the guard's error and carried on: still a bug, still
                # reported, and before any result is printed (--json prints one object).
                first = scope.violations[0]
                raise WriteViolation(
                    f"{command.name} attempted {first.describe()} and swallowed the guard's error",
                    operation=first.event,
                    path=first.path,
                    reason=first.reason,
                )

        out.before_result = refuse_swallowed
        try:
            code = call(repo, inv) or 0
        finally:
            out.before_result = None
    refuse_swallowed()
    return code


def _failure_of(exc: BaseException) -> CommandFailure | None:
    if isinstance(exc, CommandFailure):
        return exc
    from specify_cli.errors import SpecKittyError

    if isinstance(exc, SpecKittyError):
        return CommandFailure(
            exc.message, ExitCode(exc.exit_code), exc.hint, code=exc.code, details=exc.details
        )
    if isinstance(exc, WriteViolation):
        return CommandFailure(
            str(exc),
            ExitCode.WRITE_VIOLATION,
            "this is a bug in the command: report it; the worktree was not changed",
        )
    cause = exc.__cause__
    if (
        isinstance(exc, ConfigError)
        and isinstance(cause, OSError)
        and not isinstance(cause, KittyFsError)
    ):
        # The filesystem refused (permissions, a read-only mount, a file where a
        # directory belongs): the config may be fine, so this is not INVALID_CONFIG.
        return CommandFailure(exc.message, ExitCode.FILESYSTEM, exc.hint)
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


class _Terminated(BaseException):
    """Raised in the main thread by SIGTERM (a BaseException: ``except Exception`` lets it by)."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated


def dispatch(
    command: Command[...], as_json: bool, call: Callable[[ReadContext, Invocation], int | None]
) -> None:
    """Run ``command`` with its declared capability and exit the process with its code."""
    out = Output(command.name, as_json)
    # SIGTERM (a service manager stopping the daemon) unwinds like Ctrl-C: finally blocks
    # run, temp files are cleaned up, and the exit says why.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        code = _run(command, out, call)
    except _Terminated:
        out.failure(code="TERMINATED", message="terminated (SIGTERM)", hint="", exit_code=143)
        code = 143
    except KeyboardInterrupt:
        out.failure(code="INTERRUPTED", message="interrupted", hint="", exit_code=130)
        code = 130
    except BrokenPipeError:
        # The reader went away (`spec-kitty capabilities | head`): stop quietly, as a
        # SIGPIPE'd tool would, and keep the interpreter's final flush from complaining.
        devnull = os.open(os.devnull, os.O_WRONLY)  # type: ignore[kitty-fs-write]  # not a file
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(141) from None
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
