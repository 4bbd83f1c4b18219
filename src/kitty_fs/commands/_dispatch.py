"""The dispatcher: the one place a command's capability is minted and enforced.

For each run it finds the root, mints exactly what the command declared (a
``ReadContext``, a ``ScopedWriteContext`` or a ``WriteContext``), and runs read
and scoped-write bodies inside an enforcing guard scope whose only writable
places are the declared scope and the side channels (the state directory, a
temp dir outside the repository, the app's extras). It refuses side channels
that would switch the guard off (one that contains the root or lies inside the
git worktree), refuses a result after a swallowed violation, and turns every
failure into one line plus its fix (or one JSON object) and a documented exit code.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import FrameType
from typing import NoReturn

from kitty_fs._context import ReadContext, WriteContext, read_context, write_boundary
from kitty_fs._errors import ConfigError, KittyFsError, PathEscapeError, WriteViolation
from kitty_fs._scope import WriteScope
from kitty_fs.commands._declare import Command, CommandRegistry
from kitty_fs.commands._exit import ExitCode
from kitty_fs.commands._failure import CommandFailure
from kitty_fs.commands._invocation import Enforcement, Invocation
from kitty_fs.commands._kernel_layer import apply_kernel_layer
from kitty_fs.commands._output import Output
from kitty_fs.commands._policy import AppPolicy
from kitty_fs.commands._roots import git_worktree_top

__all__ = ["Dispatcher"]

_VIOLATION_HINT = "this is a bug in the command: report it; the worktree was not changed"


class _Terminated(BaseException):
    """Raised in the main thread by SIGTERM (a BaseException: ``except Exception`` lets it by)."""


def _terminated(_signum: int, _frame: FrameType | None) -> None:
    raise _Terminated


def _real(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(os.fspath(path)))


_USUAL_TEMP_DIRS = ("/tmp", "/var/tmp", "/usr/tmp")  # noqa: S108 (tempfile's own list)


def _pinned_temp_dir() -> str | None:
    """``tempfile.tempdir`` where ``tempfile`` is loaded (it is not imported for this)."""
    module = sys.modules.get("tempfile")
    return None if module is None else vars(module)["tempdir"]


def _pin_temp_dir(path: str | None) -> None:
    """Set ``tempfile.tempdir`` where ``tempfile`` is loaded (a later import reads TMPDIR)."""
    module = sys.modules.get("tempfile")
    if module is not None:
        vars(module)["tempdir"] = path


def _temp_candidate() -> Path:
    """The temp dir ``tempfile`` would pick, found without its probe file.

    ``tempfile.gettempdir()`` creates and deletes a file in each candidate to test
    it; with ``TMPDIR`` inside the repository that moves a directory's mtime
    before the guard is even on. The environment and the usual places decide here.
    """
    pinned = _pinned_temp_dir()
    if pinned is not None:
        return _real(pinned)
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name)
        if value and Path(value).is_dir():
            return _real(value)
    for place in _USUAL_TEMP_DIRS:
        if Path(place).is_dir():
            return _real(place)
    return _real(Path.cwd())


class Dispatcher:
    """Runs the commands of ``registry`` under ``policy``.

    ``run`` is the framework-neutral core: give it the command's name and its
    parsed arguments (as keyword arguments of the body), get the exit code.
    ``exit`` does the same and ends the process. The typer integration
    (``typer_app``) and any click or argparse front end call one of the two.
    """

    def __init__(self, registry: CommandRegistry, policy: AppPolicy) -> None:
        self.registry = registry
        self.policy = policy
        # The directory to start the root search from (a global --repo option sets it).
        self.start: Path | None = None

    # --- the public entry points ---

    def exit(
        self,
        name: str,
        arguments: Mapping[str, object] | None = None,
        *,
        as_json: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> NoReturn:
        raise SystemExit(self.run(name, arguments, as_json=as_json, labels=labels))

    def run(
        self,
        name: str,
        arguments: Mapping[str, object] | None = None,
        *,
        as_json: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> int:
        """Run command ``name`` with its declared capability; returns its exit code.

        ``labels`` maps argument names to how the user types them (``--note-slug``,
        ``SLUG``), for usage errors; the typer front end passes typer's own spelling.
        """
        command = self.registry[name]
        out = Output(self.policy.program, command.name, as_json)
        # Signal handlers can only be set in the main thread; elsewhere (an app running a
        # command from a worker thread) SIGTERM and Ctrl-C stay the process's business.
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _terminated) if in_main else None
        # The run may point the temp dir elsewhere (see _temp_dir); an in-process caller
        # (a test, an embedding app) gets its own back afterwards.
        saved_temp = _pinned_temp_dir(), os.environ.get("TMPDIR")
        # An app's entry point may have set a start-up SIGINT handler (see run_main); a
        # command unwinds on Ctrl-C as KeyboardInterrupt, so its finally blocks run.
        if in_main and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            code = self._run(command, out, dict(arguments or {}), labels)
        except _Terminated:
            out.failure(code="TERMINATED", message="terminated (SIGTERM)", hint="", exit_code=143)
            code = ExitCode.TERMINATED
        except KeyboardInterrupt:
            out.failure(code="INTERRUPTED", message="interrupted", hint="", exit_code=130)
            code = ExitCode.INTERRUPTED
        except BrokenPipeError:
            # The reader went away (`cmd | head`): stop quietly, as a SIGPIPE'd tool would,
            # and keep the interpreter's final flush from complaining.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return int(ExitCode.PIPE_CLOSED)
        except Exception as exc:
            failure = self.failure_of(exc)
            if failure is None:
                if self.policy.debug_env and os.environ.get(self.policy.debug_env):
                    traceback.print_exc()
                debug = (
                    f"rerun with {self.policy.debug_env}=1 for the traceback and "
                    if (self.policy.debug_env)
                    else ""
                )
                failure = CommandFailure(
                    f"unexpected {type(exc).__name__}: {exc}",
                    ExitCode.INTERNAL,
                    f"{debug}report it",
                )
            out.failure(
                code=failure.code,
                message=failure.message,
                hint=failure.hint,
                exit_code=failure.exit_code,
                details=failure.details,
            )
            code = failure.exit_code
        finally:
            if in_main:
                signal.signal(signal.SIGTERM, previous)
            _pin_temp_dir(saved_temp[0])
            if saved_temp[1] is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = saved_temp[1]
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return int(ExitCode.PIPE_CLOSED)
        return int(code)

    def failure_of(self, exc: BaseException) -> CommandFailure | None:
        """``exc`` as the failure the user sees, or ``None`` for an internal error."""
        if isinstance(exc, CommandFailure):
            return exc
        if self.policy.map_error is not None:
            mapped = self.policy.map_error(exc)
            if mapped is not None:
                return mapped
        if isinstance(exc, WriteViolation):
            return CommandFailure(str(exc), ExitCode.WRITE_VIOLATION, _VIOLATION_HINT)
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
        if isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.ENOTDIR):
            name = exc.filename or "a path"
            return CommandFailure(
                f"cannot use {name}: {exc.strerror}",
                ExitCode.FILESYSTEM,
                "check that the path and its directories exist",
            )
        return None

    # --- one run ---

    def _run(
        self,
        command: Command[...],
        out: Output,
        arguments: dict[str, object],
        labels: Mapping[str, str] | None,
    ) -> int:
        start = self.start or Path.cwd()
        project: Path | None
        try:
            project = root = self.policy.locate_root(start)
        except CommandFailure:
            if command.needs_project or command.capability != "read":
                raise
            project, root = None, _real(start)
        protected = None if project is None else (git_worktree_top(root) or root)
        state = self._mint_state(command.name, root, protected)
        temp = self._temp_dir(root, protected, state)
        if command.capability == "write":
            ctx = write_boundary(root, reason=command.name)
            inv = Invocation(
                command.name,
                self.policy.program,
                root,
                out,
                Enforcement(
                    guard=False, kernel=False, kernel_detail="write boundary: not confined"
                ),
                state=state,
            )
            return command.body(ctx, inv, **arguments) or 0

        scope: WriteScope | None = None
        body_ctx: ReadContext
        sides = [p for p in (state.root if state else None, temp) if p is not None]
        for extra in self.policy.side_channels(root) if self.policy.side_channels else ():
            sides.append(self._checked_side_channel(_real(extra), root, protected, "side channel"))
        if command.capability == "scoped-write":
            try:
                scope = command.scope_for(arguments, labels)
            except ValueError as exc:
                raise CommandFailure(str(exc), ExitCode.USAGE, "pass a plain name") from None
            body_ctx = write_boundary(root, reason=command.name).scoped(scope.patterns)
            sides.extend(_scratch_dirs(root))
        else:
            body_ctx = read_context(root, reason=command.name)
        kernel_on, kernel_detail = apply_kernel_layer(self.policy.kernel, root, sides, scope)
        inv = Invocation(
            command.name,
            self.policy.program,
            root,
            out,
            Enforcement(guard=True, kernel=kernel_on, kernel_detail=kernel_detail),
            state=state,
        )
        return self._guarded(command, body_ctx, inv, arguments, sides, scope)

    def _guarded(
        self,
        command: Command[...],
        ctx: ReadContext,
        inv: Invocation,
        arguments: dict[str, object],
        sides: Iterable[Path],
        scope: WriteScope | None,
    ) -> int:
        from kitty_fs._guard import read_scope

        guard_ctx = read_context(ctx.root, reason=command.name)
        with read_scope(guard_ctx, side_channels=sides, writable=scope) as guard:

            def refuse_swallowed() -> None:
                if guard.violations:
                    # The body caught the guard's error and carried on: still a bug, still
                    # reported, and before any result is printed (--json prints one object).
                    first = guard.violations[0]
                    raise WriteViolation(
                        f"{command.name} attempted {first.describe()} and swallowed the "
                        "guard's error",
                        operation=first.event,
                        path=first.path,
                        reason=first.reason,
                    )

            inv.output.before_result = refuse_swallowed
            try:
                code = command.body(ctx, inv, **arguments) or 0
            finally:
                inv.output.before_result = None
        refuse_swallowed()
        return code

    # --- side channels ---

    def _checked_side_channel(
        self,
        path: Path,
        root: Path,
        protected: Path | None,
        what: str,
        given: str | os.PathLike[str] | None = None,
    ) -> Path:
        """``path``, unless writing there would mean writing the user's repository."""
        if protected is None:
            return path
        fix = (
            self.policy.side_channel_hint
            or f"point the {what} at a directory outside every repository"
        )
        shown = given if given is not None else path
        if root.is_relative_to(path):
            raise CommandFailure(
                f"the {what} {shown} contains the repository {root}: it would make the whole "
                "repository writable",
                ExitCode.INVALID_CONFIG,
                fix,
            )
        if path.is_relative_to(root):
            raise CommandFailure(
                f"the {what} {shown} is inside the repository {root}", ExitCode.INVALID_CONFIG, fix
            )
        if path.is_relative_to(protected):
            raise CommandFailure(
                f"the {what} {shown} is inside the git worktree {protected} that holds the "
                f"project {root}",
                ExitCode.INVALID_CONFIG,
                fix,
            )
        return path

    def _mint_state(self, command: str, root: Path, protected: Path | None) -> WriteContext | None:
        if self.policy.state_dir is None:
            return None
        home = self.policy.state_dir()
        real = self._checked_side_channel(
            _real(home), root, protected, "state directory", given=home
        )
        if not real.is_dir():
            # From the nearest directory that exists: a fresh HOME or XDG tree may lack several.
            base = next(p for p in real.parents if p.is_dir())
            creator = write_boundary(base, reason=f"{command}: create state directory")
            creator.mkdir(real.relative_to(base))
        return write_boundary(real, reason=f"{command}: state directory (side channel)")

    def _temp_dir(
        self, root: Path, protected: Path | None, state: WriteContext | None
    ) -> Path | None:
        """The temp dir a guarded command may write, set for this process and its children.

        One that overlaps the repository (``TMPDIR`` inside it, or the repository
        inside ``/tmp``) is no side channel: a private ``tmp`` in the state
        directory takes its place, so temp files still work and land outside.
        """
        candidate = _temp_candidate()
        area = protected or root
        overlaps = candidate.is_relative_to(area) or root.is_relative_to(candidate)
        chosen = candidate if not overlaps else None if state is None else state.mkdir("tmp")
        if chosen is not None:
            # Both: a loaded tempfile reads tempdir, a later import and every child TMPDIR.
            _pin_temp_dir(os.fspath(chosen))
            os.environ["TMPDIR"] = os.fspath(chosen)
        return chosen


def _scratch_dirs(root: Path) -> list[Path]:
    """Where the store keeps lock and temp files for files of ``root`` (git never shows them).

    Made now if missing: once the kernel layer is on, nothing could create it.
    """
    from kitty_fs._scratch import git_scratch_dir

    scratch = git_scratch_dir(root)
    return [] if scratch is None else [scratch]


def _built_without_collections(build: Callable[[], Callable[[], object]]) -> Callable[[], object]:
    """``build()`` with the cyclic garbage collector paused, its objects then frozen.

    Start-up allocates tens of thousands of long-lived objects (modules, classes,
    functions, typer's and attrs' tables), and each 700 allocations the collector
    walks the young ones, finding almost nothing to free: about 45 collections
    and 5 to 9 ms of a cold command. Paused for the build and frozen afterwards
    (``gc.freeze``: later collections skip them), the objects cost nothing, and
    the command body runs with the collector on, so a long-running command still
    frees its cycles. (A console script may pause it even earlier, before its
    first import, as ``specify_cli.cli.main`` does: it is turned on here all
    the same.)
    """
    gc.disable()
    try:
        return build()
    finally:
        gc.freeze()
        gc.enable()


def run_main(build: Callable[[], Callable[[], object]], program: str) -> NoReturn:
    """Console-script entry: build the CLI and run it; Ctrl-C during start-up is one line, 130.

    Start-up (imports, building the app) happens before any dispatcher runs, so a
    Ctrl-C there would otherwise print a traceback. For a start-up that imports
    this module late, set the same kind of handler yourself first thing (see
    ``specify_cli.cli.main``).

    When the command is done the process ends, so everything it allocated is
    frozen out of the garbage collector first (``gc.freeze``): the interpreter's
    last collection would otherwise walk every object of typer, attrs and the app
    to free memory the OS takes back anyway, which costs a short command about a
    fifth of its run time. Exit handlers, ``finally`` blocks, thread joins and
    stream flushes happen as usual; what is skipped is collecting reference cycles
    at exit, whose finalizers Python never promises to run then anyway. A Ctrl-C
    once the command is over is ignored: the result stands, with no traceback
    from the interpreter's shutdown.
    """
    try:
        app = _built_without_collections(build)
        app()
    except KeyboardInterrupt:
        sys.stderr.write(f"{program}: interrupted\n")
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None
    finally:
        _ignore_ctrl_c_while_exiting()
        gc.freeze()
    raise SystemExit(0)


def _ignore_ctrl_c_while_exiting() -> None:
    """The command is over and its exit code decided: a Ctrl-C now changes nothing.

    Without this, a Ctrl-C during the interpreter's shutdown (joining threads,
    running exit handlers) prints "Exception ignored in ... KeyboardInterrupt"
    with a traceback, after the command's own output.
    """
    with contextlib.suppress(ValueError):  # not the main thread: not ours to set
        signal.signal(signal.SIGINT, signal.SIG_IGN)
