# ruff: noqa: PTH100, PTH109, PTH112, PTH115, PTH117, PTH118, PTH120, PTH208
# (the guard works on str paths with os.path: no Path objects on the hook's path)
"""The runtime guard: a PEP 578 audit hook that stops writes inside a read scope.

Typing catches writes in code that takes a ``ReadContext``; it cannot see code
nobody annotated, nor a library that writes on its own. While a read scope is
active, every filesystem mutation CPython announces through an audit event
(open for writing, rename, remove, mkdir, chmod, shutil, tempfile, sqlite3,
subprocesses... see ``_guard_rules``) is resolved to an absolute path and, when
it lands inside the scope's root and outside its side channels, refused with
``WriteViolation`` *before* it happens (enforce mode) or recorded (report mode).

Design choices, and why:

* **Process-wide.** A scope covers every thread, because Python cannot tell
  which thread was started by code inside the scope; a write from a worker
  thread must not slip through. Consequence: while a scope is active, another
  thread writing the same root is refused too.
* **Nesting narrows.** Several scopes may be active at once (nested, or from
  several threads); a mutation passes only if *every* active scope allows it.
  An inner scope can restrict more (no side channel) but can never re-open
  what an outer one forbids: it is a capability, attenuated.
* **Side channels win over the root.** A side channel may lie below the root
  (a state directory inside the repository); writes there pass. The temp dir
  is not special: outside the root it passes like any other place; if
  ``TMPDIR`` points inside the root, name it as a side channel.
* **Violations are recorded in both modes.** Enforce mode raises *and* keeps
  the record on the scope, so a caller that swallows the ``PermissionError``
  (``except OSError: pass`` around a best-effort cache write) is still found.
* **Bytecode caches** (``__pycache__``) written by imports inside the root:
  enforce mode refuses them (importlib swallows the ``PermissionError`` and
  imports on without a cache); both modes keep them in
  ``GuardScope.bytecode_writes``, apart from ``violations``, since they are
  an interpreter artefact, not the program's write.
* **Cheap when idle.** The hook is installed once, lazily, by the first scope
  (hooks cannot be removed). With no scope active it returns after one
  truthiness test; with a scope active, after a set lookup for the many events
  that are not writes and a flag test for ``open`` in read mode. Paths are
  resolved only for real write attempts, frames walked only on a violation.
* **Shutdown-safe, re-entry-safe.** Hooks still run while the interpreter
  tears modules down, so the hook reaches what it needs through closure cells
  bound at import; a per-thread busy set stops recursion (walking frames and
  listing ``/proc/self/fd`` raise audit events of their own).

* **What runs unseen is refused at launch.** A child process runs without
  the hook, so only read-only git commands may start (``_guard_git``), and
  git only with optional locks off: a scope sets ``GIT_OPTIONAL_LOCKS=0`` in
  the environment while it is active (when unset), so ``git status`` does
  not refresh ``.git/index`` under ``index.lock``. multiprocessing's
  ``spawn``/``forkserver`` launches raise no audit event: a probe wrapped
  around ``_posixsubprocess.fork_exec`` raises ``kitty_fs.fork_exec``, and
  a connection to a running forkserver counts as a launch.
* **SQLite writes from C**, so its rules look at what it will do: a WAL
  database opened ``mode=ro`` is a write (``-wal``/``-shm``), and each
  connection opened in a scope gets an authorizer that refuses ``ATTACH``
  and ``VACUUM INTO`` targets inside the root.

What no hook sees (docs/guard.md): writes through an already-open descriptor,
``os.mkfifo``/``os.mknod``, C code doing its own I/O, and what a non-Python
child process does. The kernel layer (``_kernel``, Landlock) covers those
where it exists; ``kitty-fs audit`` adds a porcelain diff as the net.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from kitty_fs._errors import WriteViolation
from kitty_fs._guard_git import is_read_only_command
from kitty_fs._guard_rules import (
    CANDIDATE_EVENTS,
    CONNECT_EVENT,
    FORK_EXEC_EVENT,
    SQLITE_HANDLE_EVENT,
    SUBPROCESS_EVENTS,
    UNKNOWN_DIR_FD,
    WRITE_FLAGS,
    command_of,
    env_of,
    write_attempt,
)

if TYPE_CHECKING:
    from types import FrameType, TracebackType

    from kitty_fs._context import ReadContext
    from kitty_fs._scope import WriteScope

__all__ = [
    "Frame",
    "GuardMode",
    "GuardScope",
    "Violation",
    "active_scopes",
    "audit_hook",
    "hook_installed",
    "read_scope",
]

GuardMode = Literal["enforce", "report"]
ViolationKind = Literal["write", "subprocess", "bytecode"]

_MAX_FRAMES = 40
_OWN_FILES = frozenset(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    for name in ("_guard.py", "_guard_rules.py", "_guard_git.py")
)
_WRITE_HINT = (
    "read paths cannot persist: take a WriteContext at a write boundary "
    "(kitty_fs.write_boundary) or write to a side channel"
)
_SUBPROCESS_HINT = (
    "only read-only git commands may run in a read scope: run it at a write boundary, "
    "or pass allow_subprocess=True to read_scope if it cannot touch the worktree"
)
_WORKER_HINT = (
    "a multiprocessing 'spawn' or 'forkserver' worker runs without the guard: use the "
    "'fork' start method inside a read scope, or start the pool at a write boundary"
)
# The one multiprocessing helper a read scope lets start: it only unlinks the named
# semaphores and shared memory (in /dev/shm) its parent registered.
_RESOURCE_TRACKER = re.compile(r"from multiprocessing\.resource_tracker import main;main\(\d+\)")
_SQLITE_ATTACH = 24  # sqlite3.SQLITE_ATTACH: also what VACUUM INTO runs on its target
_SQLITE_OK = 0
_SQLITE_DENY = 1


class Frame(NamedTuple):
    """One stack frame of the code that attempted a write."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.function})"


# A NamedTuple, not a dataclass: every guarded command imports this module, and
# dataclasses costs about 1 ms to import (docs/commands.md, "Cold start").
class Violation(NamedTuple):
    """One write attempt inside a read scope's root.

    ``kind`` is ``write``, ``subprocess`` (a program that is not a read-only
    git command) or ``bytecode`` (an import writing ``__pycache__``);
    ``operation`` describes it, ``event`` is the audit event; ``path`` is
    absolute (for a subprocess: its working directory) and ``rel`` relative
    to the root (for a subprocess: the command line). ``blocked`` says whether
    an enforcing scope refused it. ``frames`` run innermost first.
    """

    kind: ViolationKind
    operation: str
    event: str
    path: str
    rel: str
    reason: str
    blocked: bool
    frames: tuple[Frame, ...]
    thread: str

    @property
    def origin(self) -> Frame | None:
        """The innermost frame outside the standard library: the code that asked for the write."""
        for frame in self.frames:
            if not _in_stdlib(frame.file):
                return frame
        return self.frames[0] if self.frames else None

    def describe(self) -> str:
        """One line: what was attempted, where, and by which code (``origin``)."""
        origin = self.origin
        where = f" at {origin}" if origin is not None else ""
        status = "blocked" if self.blocked else "recorded"
        if self.kind == "subprocess":
            return f"{self.operation}: {self.rel} [{status}]{where}"
        return f"{self.operation} {self.rel} [{status}]{where}"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict (frames as ``{"file", "line", "function"}`` objects)."""
        return {
            "kind": self.kind,
            "operation": self.operation,
            "event": self.event,
            "path": self.path,
            "rel": self.rel,
            "reason": self.reason,
            "blocked": self.blocked,
            "thread": self.thread,
            "origin": origin._asdict() if (origin := self.origin) is not None else None,
            "frames": [frame._asdict() for frame in self.frames],
        }


_STDLIB = os.path.dirname(os.__file__) + os.sep


def _in_stdlib(file: str) -> bool:
    if file.startswith("<frozen "):
        return True
    return file.startswith(_STDLIB) and "-packages" not in file[len(_STDLIB) :]


def _real(path: str) -> str:
    return os.path.realpath(path)


class GuardScope:
    """One active read scope: the root it protects, its side channels and what it recorded.

    Use ``read_scope(ctx, ...)`` to make one. It is a context manager; entering
    installs the hook (once per process) and activates the scope for every
    thread, leaving deactivates it. A scope object is entered at most once.
    """

    __slots__ = (
        "_bytecode",
        "_entered",
        "_lock",
        "_on_violation",
        "_prefix",
        "_root",
        "_sides",
        "_violations",
        "_writable",
        "allow_subprocess",
        "mode",
        "reason",
        "root",
        "side_channels",
    )

    def __init__(
        self,
        root: str | os.PathLike[str],
        reason: str,
        *,
        side_channels: Iterable[str | os.PathLike[str]] = (),
        mode: GuardMode = "enforce",
        allow_subprocess: bool = False,
        on_violation: Callable[[Violation], None] | None = None,
        writable: WriteScope | None = None,
    ) -> None:
        if mode not in ("enforce", "report"):
            raise ValueError(f"read_scope mode must be 'enforce' or 'report', not {mode!r}")
        self._root = _real(os.fspath(root))
        self.root = Path(self._root)
        self.reason = reason
        self.mode: GuardMode = mode
        self.allow_subprocess = allow_subprocess
        sides = tuple(dict.fromkeys(_real(os.fspath(p)) for p in side_channels))
        self.side_channels = tuple(Path(p) for p in sides)
        self._prefix = self._root if self._root.endswith(os.sep) else self._root + os.sep
        self._sides = tuple((p, p if p.endswith(os.sep) else p + os.sep) for p in sides)
        self._on_violation = on_violation
        # A scoped write command's scope: below the root, these patterns stay writable.
        self._writable = writable
        self._violations: list[Violation] = []
        self._bytecode: list[Violation] = []
        self._entered = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"GuardScope(root={self._root!r}, reason={self.reason!r}, mode={self.mode!r}, "
            f"side_channels={[str(p) for p in self.side_channels]!r}, "
            f"violations={len(self._violations)}, active={self.active})"
        )

    @property
    def violations(self) -> tuple[Violation, ...]:
        """Write attempts inside the root, in order (blocked ones too)."""
        return tuple(self._violations)

    @property
    def bytecode_writes(self) -> tuple[Violation, ...]:
        """``__pycache__`` writes by imports inside the root, kept apart from ``violations``."""
        return tuple(self._bytecode)

    @property
    def active(self) -> bool:
        return self in _ACTIVE[0]

    def covers(self, path: str) -> bool:
        """True when a mutation of absolute, resolved ``path`` is forbidden by this scope."""
        if path != self._root and not path.startswith(self._prefix):
            return False
        if any(path == side or path.startswith(prefix) for side, prefix in self._sides):
            return False
        return self._writable is None or not self._writable.allows_absolute(self._root, path)

    def relative(self, path: str) -> str:
        if path == self._root:
            return "."
        return path[len(self._prefix) :] if path.startswith(self._prefix) else path

    def _record(self, violation: Violation) -> None:
        (self._bytecode if violation.kind == "bytecode" else self._violations).append(violation)
        if self._on_violation is not None:
            self._on_violation(violation)

    def __enter__(self) -> GuardScope:
        with _STATE_LOCK:
            if self._entered:
                raise RuntimeError("a GuardScope can be entered only once; make a new one")
            self._entered = True
            if not _INSTALLED:
                sys.addaudithook(audit_hook)
                _INSTALLED.append(audit_hook)
                _install_fork_exec_probe()
            if not _ACTIVE[0] and "GIT_OPTIONAL_LOCKS" not in os.environ:
                os.environ["GIT_OPTIONAL_LOCKS"] = "0"
                _ENV_SET[0] = True
            _ACTIVE[0] = (*_ACTIVE[0], self)
            _publish(_ACTIVE[0])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _STATE_LOCK:
            _ACTIVE[0] = tuple(scope for scope in _ACTIVE[0] if scope is not self)
            _publish(_ACTIVE[0])
            if not _ACTIVE[0] and _ENV_SET[0]:
                _ENV_SET[0] = False
                if os.environ.get("GIT_OPTIONAL_LOCKS") == "0":
                    del os.environ["GIT_OPTIONAL_LOCKS"]


def read_scope(
    ctx: ReadContext,
    *,
    side_channels: Iterable[str | os.PathLike[str]] = (),
    mode: GuardMode = "enforce",
    allow_subprocess: bool = False,
    on_violation: Callable[[Violation], None] | None = None,
    writable: WriteScope | None = None,
) -> GuardScope:
    """A context manager under which no code may change anything below ``ctx.root``.

    ``side_channels`` are directories that stay writable even below the root
    (the user's state directory). ``mode="report"`` records instead of
    raising; ``allow_subprocess=True`` lets any subprocess run (otherwise only
    read-only git commands pass). ``on_violation`` is called with each record
    as it happens (in the thread that attempted the write). ``writable`` is the
    write scope of a scoped write command: writes matching it pass, everything
    else below the root is refused as in a read scope.

    ``with read_scope(ctx) as scope: ...`` then ``scope.violations``.
    """
    return GuardScope(
        ctx.root,
        ctx.reason,
        side_channels=side_channels,
        mode=mode,
        allow_subprocess=allow_subprocess,
        on_violation=on_violation,
        writable=writable,
    )


def active_scopes() -> tuple[GuardScope, ...]:
    """The scopes active right now, in the order they were entered."""
    return _ACTIVE[0]


def hook_installed() -> bool:
    """Whether this process has installed the guard's audit hook (it stays for good)."""
    return bool(_INSTALLED)


# --- the checking half: runs only for write candidates while a scope is active ---


def _fd_path(fd: int) -> str | None:
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None
    return target if target.startswith("/") else None


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the working directory was removed
        return os.sep


def _dir_fds_inside(scopes: tuple[GuardScope, ...]) -> list[str]:
    """Open directory descriptors whose directory lies under some scope's root.

    ``os.open``'s audit event omits ``dir_fd``; a relative ``os.open`` write may
    be relative to one of these. Listing ``/proc/self/fd`` costs a few tens of
    microseconds and happens only for relative ``os.open`` writes.
    """
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    found: list[str] = []
    for name in names:
        target = _fd_path(int(name)) if name.isdigit() else None
        if (
            target is not None
            and any(target == s._root or target.startswith(s._prefix) for s in scopes)
            and os.path.isdir(target)
        ):
            found.append(target)
    return found


def _resolve(
    raw: object, dir_fd: object, follow: bool, scopes: tuple[GuardScope, ...]
) -> list[str]:
    """Absolute, symlink-resolved candidates for what ``raw`` names at this moment.

    Relative paths are relative to the working directory now (or to ``dir_fd``'s
    directory). Without ``follow``, the last component is kept: removing or
    renaming a symlink changes the link, not its target.
    """
    if isinstance(raw, int):  # fchmod, ftruncate, futimes...: the descriptor's file
        target = _fd_path(raw)
        return [target] if target is not None else []
    if isinstance(raw, bytes):
        text = os.fsdecode(raw)
    elif isinstance(raw, str):
        text = raw
    else:
        try:
            text = os.fsdecode(os.fspath(raw))  # type: ignore[call-overload]
        except TypeError:
            return []
    if os.path.isabs(text):
        candidates = [text]
    elif dir_fd == UNKNOWN_DIR_FD:
        candidates = [os.path.join(_cwd(), text)]
        for base in _dir_fds_inside(scopes):
            joined = os.path.join(base, text)
            if os.path.lexists(os.path.dirname(joined)):  # else the open fails anyway
                candidates.append(joined)
    elif isinstance(dir_fd, int) and dir_fd >= 0:
        fd_dir = _fd_path(dir_fd)
        candidates = [os.path.join(fd_dir if fd_dir is not None else _cwd(), text)]
    else:
        candidates = [os.path.join(_cwd(), text)]
    resolved = []
    for path in candidates:
        head, tail = os.path.split(path)
        if follow or tail in ("", ".", ".."):
            resolved.append(os.path.realpath(path))
        else:
            resolved.append(os.path.join(os.path.realpath(head), tail))
    return resolved


def _stack(getframe: Callable[[int], FrameType] = sys._getframe) -> tuple[Frame, ...]:
    frames: list[Frame] = []
    frame: FrameType | None = getframe(1)
    while frame is not None and len(frames) < _MAX_FRAMES:
        code = frame.f_code
        if code.co_filename not in _OWN_FILES:
            frames.append(Frame(code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    return tuple(frames)


def _violate(
    offended: list[GuardScope],
    kind: ViolationKind,
    operation: str,
    event: str,
    path: str,
    command: str | None,
    *,
    hint: str = _SUBPROCESS_HINT,
    raise_violation: bool = True,
) -> bool:
    """Record the attempt on every offended scope; raise if one of them enforces.

    With ``raise_violation`` false (an SQLite authorizer cannot raise), return
    whether the attempt is to be refused instead.
    """
    if kind == "write" and f"{os.sep}__pycache__" in path:
        kind = "bytecode"
    blocked = any(scope.mode == "enforce" for scope in offended)
    frames = _stack()
    thread = threading.current_thread().name
    first: tuple[GuardScope, Violation] | None = None
    for scope in offended:
        rel = command if command is not None else scope.relative(path)
        record = Violation(kind, operation, event, path, rel, scope.reason, blocked, frames, thread)
        scope._record(record)
        if first is None and scope.mode == "enforce":
            first = (scope, record)
    if first is None:
        return False
    if not raise_violation:
        return True
    scope, record = first
    if kind == "subprocess":
        message = (
            f"kitty-fs: read command {scope.reason!r} tried to run a subprocess that may "
            f"write: {record.rel}; {hint}"
        )
    elif scope._writable is not None:
        message = (
            f"kitty-fs: command {scope.reason!r} may write only {scope._writable}; refused "
            f"{record.rel} ({operation}); write inside the declared scope or widen the declaration"
        )
    else:
        what = "a bytecode cache " if kind == "bytecode" else ""
        message = (
            f"kitty-fs: read command {scope.reason!r} tried to write {what}{record.rel} "
            f"({operation}); {_WRITE_HINT}"
        )
    raise WriteViolation(message, operation=event, path=path, reason=scope.reason)


def _is_multiprocessing(argv: list[str]) -> bool:
    return any("multiprocessing" in arg for arg in argv[1:])


def _forkserver_address() -> object:
    module = sys.modules.get("multiprocessing.forkserver")
    server = getattr(module, "_forkserver", None)
    return getattr(server, "_forkserver_address", None)


def _check(event: str, args: tuple[object, ...], scopes: tuple[GuardScope, ...]) -> None:
    """Decide one candidate event against the active scopes (raises in enforce mode)."""
    if event == SQLITE_HANDLE_EVENT:
        _watch_sqlite(args[0] if args else None)
        return
    if event == CONNECT_EVENT:
        address = _forkserver_address()
        if address is not None and len(args) > 1 and args[1] == address:
            # A running forkserver forks the worker from a process the hook never was in.
            offended = [s for s in scopes if not s.allow_subprocess]
            if offended:
                operation = "start a multiprocessing forkserver worker"
                _violate(
                    offended, "subprocess", operation, event, _cwd(), operation, hint=_WORKER_HINT
                )
        return
    if event in SUBPROCESS_EVENTS:
        program, argv, shell = command_of(event, args)
        if is_read_only_command(program, argv, env_of(event, args)):
            return
        if (
            event == FORK_EXEC_EVENT
            and argv[-2:-1] == ["-c"]
            and _RESOURCE_TRACKER.fullmatch(argv[-1])
        ):
            return
        offended = [scope for scope in scopes if not scope.allow_subprocess]
        if offended:
            cwd = (
                args[2]
                if event in ("subprocess.Popen", FORK_EXEC_EVENT) and len(args) > 2
                else None
            )
            where = _resolve(cwd, None, True, scopes) if cwd is not None else [_cwd()]
            command = argv[2] if shell else shlex.join(argv)
            worker = event == FORK_EXEC_EVENT and _is_multiprocessing(argv)
            operation = "start a multiprocessing worker" if worker else "run a subprocess"
            hint = _WORKER_HINT if worker else _SUBPROCESS_HINT
            _violate(offended, "subprocess", operation, event, where[0], command, hint=hint)
        return
    attempt = write_attempt(event, args)
    if attempt is None:
        return
    operation, targets = attempt
    for raw, dir_fd, follow in targets:
        for path in _resolve(raw, dir_fd, follow, scopes):
            offended = [scope for scope in scopes if scope.covers(path)]
            if offended:
                _violate(offended, "write", operation, event, path, None)
                return


def _sqlite_authorizer(
    action: int, arg1: str | None, arg2: str | None, database: str | None, trigger: str | None
) -> int:
    """Refuse (enforce) or record (report) an ``ATTACH``/``VACUUM INTO`` target inside a root.

    SQLite calls it while compiling each statement; only ``SQLITE_ATTACH`` is
    looked at, and only while a scope is active. A target given as a bound
    parameter is unknown at that point and counts as inside the root. It cannot raise (SQLite turns
    an exception into a refusal with no message), so the violation is
    recorded on the scope and ``SQLITE_DENY`` makes SQLite raise
    ``sqlite3.DatabaseError: not authorized``.
    """
    scopes = _ACTIVE[0]
    if action != _SQLITE_ATTACH or not scopes:
        return _SQLITE_OK
    if arg1 is None:
        # A bound parameter or an expression: SQLite knows the file only when it runs
        # the statement, too late to ask. Conservative, like an unknown git sub-command.
        operation = "ATTACH or VACUUM INTO a database named by a parameter (target unknown)"
        deny = _violate(
            list(scopes),
            "write",
            operation,
            "sqlite3 ATTACH",
            "<parameter>",
            None,
            raise_violation=False,
        )
        return _SQLITE_DENY if deny else _SQLITE_OK
    attempt = write_attempt("sqlite3.connect", (arg1,))
    if attempt is None:
        return _SQLITE_OK
    for raw, dir_fd, follow in attempt[1]:
        for path in _resolve(raw, dir_fd, follow, scopes):
            offended = [scope for scope in scopes if scope.covers(path)]
            if offended:
                operation = "ATTACH or VACUUM INTO an SQLite database (written by C code)"
                deny = _violate(
                    offended,
                    "write",
                    operation,
                    "sqlite3 ATTACH",
                    path,
                    None,
                    raise_violation=False,
                )
                return _SQLITE_DENY if deny else _SQLITE_OK
    return _SQLITE_OK


class _SqliteWatcher:
    """A one-shot profile function that gives new connections the authorizer.

    ``sqlite3.connect/handle`` fires inside ``Connection.__init__``, before the
    connection may be used (``set_authorizer`` then raises "Base
    Connection.__init__ not called"). So the guard sets this as the thread's
    profile function: the first profile event of the thread outside the guard's
    own frames comes after ``__init__`` returned, and at the latest when the
    program calls the connection's first method. It installs the authorizer on
    every pending connection of the thread, then removes itself.
    """

    __slots__ = ("pending", "tries")

    # A connection whose __init__ failed after the event (another hook refused it) never
    # becomes usable: give up after this many profile events rather than profile forever.
    MAX_TRIES = 64

    def __init__(self) -> None:
        self.pending: list[object] = []
        self.tries = 0

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if frame.f_code.co_filename in _OWN_FILES:
            return  # still unwinding the audit hook, inside Connection.__init__
        waiting = []
        for connection in self.pending:
            try:
                connection.set_authorizer(_sqlite_authorizer)  # type: ignore[attr-defined]
            except Exception:  # not initialised yet: another hook's frames run first
                waiting.append(connection)
        self.pending = waiting
        self.tries += 1
        if not waiting or self.tries >= self.MAX_TRIES:
            sys.setprofile(None)


def _watch_sqlite(connection: object) -> None:
    """Arrange for a connection opened inside a scope to get the authorizer (``_SqliteWatcher``).

    Left alone under a profiler (``cProfile``): the thread's profile function is
    taken, and the connection is then not watched (docs/guard.md lists it).
    """
    if getattr(connection, "set_authorizer", None) is None:
        return
    current = sys.getprofile()
    if isinstance(current, _SqliteWatcher):
        current.pending.append(connection)
    elif current is None:
        watcher = _SqliteWatcher()
        watcher.pending.append(connection)
        sys.setprofile(watcher)


def _install_fork_exec_probe() -> None:
    """Make ``_posixsubprocess.fork_exec`` raise an audit event (``kitty_fs.fork_exec``).

    multiprocessing's ``spawn`` and ``forkserver`` start methods launch
    interpreters through it with no audit event at all (checked on 3.11, 3.12
    and 3.13); the child starts without the hook, so the guard must see the
    launch. ``subprocess`` bound its own reference at import and is audited
    as ``subprocess.Popen`` already, so it does not pass through the probe.
    """
    try:
        import _posixsubprocess
    except ImportError:  # not POSIX
        return
    original: Callable[..., int] = _posixsubprocess.fork_exec
    if getattr(original, "kitty_fs_probe", False):
        return
    audit, getframe = sys.audit, sys._getframe

    def fork_exec(*args: object) -> int:
        if getframe(1).f_globals.get("__name__") == "subprocess":
            # subprocess imported after the probe bound it: already audited as subprocess.Popen
            return original(*args)
        # (args, executable_list, close_fds, pass_fds, cwd, env, ...) on 3.11-3.13
        executables = args[1] if len(args) > 1 else None
        program = executables[0] if isinstance(executables, list | tuple) and executables else None
        audit(
            FORK_EXEC_EVENT,
            program,
            args[0],
            args[4] if len(args) > 4 else None,
            args[5] if len(args) > 5 else None,
        )
        return original(*args)

    fork_exec.kitty_fs_probe = True  # type: ignore[attr-defined]
    _posixsubprocess.fork_exec = fork_exec


def _build_hook(
    check: Callable[[str, tuple[object, ...], tuple[GuardScope, ...]], None],
) -> tuple[Callable[[str, tuple[object, ...]], None], Callable[[tuple[GuardScope, ...]], None]]:
    """The audit hook, and the function that tells it which scopes are active.

    Everything the hook touches lives in closure cells: module globals may be
    gone when it runs during interpreter shutdown, and a cell is also the
    cheapest lookup there is. Order of tests: cheapest and most selective first.
    """
    scopes: tuple[GuardScope, ...] = ()
    candidates = CANDIDATE_EVENTS
    write_flags = WRITE_FLAGS
    get_ident = threading.get_ident
    busy: set[int] = set()
    violation = WriteViolation
    finalizing = sys.is_finalizing

    def kitty_fs_guard_hook(event: str, args: tuple[object, ...]) -> None:
        if not scopes or event not in candidates:
            return
        if (
            event == "open"
            and len(args) == 3
            and type(args[2]) is int
            and not args[2] & write_flags
        ):
            return  # opened for reading: the common case
        ident = get_ident()
        if ident in busy:  # an event raised by the guard's own work
            return
        busy.add(ident)
        try:
            check(event, args, scopes)
        except violation:
            raise
        except Exception:
            if finalizing():
                # The guard's own globals may be gone this late. Report mode must never
                # break a program at exit; an enforcing scope still refuses, blind.
                if any(scope.mode == "enforce" for scope in scopes):
                    raise PermissionError(
                        f"kitty-fs: {event} refused during interpreter shutdown "
                        "(a read scope was still active)"
                    ) from None
                return
            raise
        finally:
            busy.discard(ident)

    def publish(active: tuple[GuardScope, ...]) -> None:
        nonlocal scopes
        scopes = active

    return kitty_fs_guard_hook, publish


_ACTIVE: list[tuple[GuardScope, ...]] = [()]
# Whether the guard set GIT_OPTIONAL_LOCKS=0 (and so removes it when the last scope exits).
_ENV_SET = [False]
_STATE_LOCK = threading.Lock()
_INSTALLED: list[Callable[[str, tuple[object, ...]], None]] = []

# The hook function (installed by the first scope entered). Tests call it directly
# too: code running inside an audit hook is invisible to coverage tools.
audit_hook, _publish = _build_hook(_check)
