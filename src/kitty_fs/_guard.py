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

What no hook sees (FACTS.md): writes through an already-open descriptor,
``os.mkfifo``/``os.mknod``, C code doing its own I/O, and what a child process
does. ``kitty-fs audit`` adds a porcelain diff as the net under those.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from kitty_fs._errors import WriteViolation
from kitty_fs._guard_git import is_read_only_command
from kitty_fs._guard_rules import (
    CANDIDATE_EVENTS,
    SUBPROCESS_EVENTS,
    UNKNOWN_DIR_FD,
    WRITE_FLAGS,
    command_of,
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


class Frame(NamedTuple):
    """One stack frame of the code that attempted a write."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.function})"


@dataclass(frozen=True, slots=True)
class Violation:
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
) -> None:
    """Record the attempt on every offended scope; raise if one of them enforces."""
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
        return
    scope, record = first
    if kind == "subprocess":
        message = (
            f"kitty-fs: read command {scope.reason!r} tried to run a subprocess that may "
            f"write: {record.rel}; {_SUBPROCESS_HINT}"
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


def _check(event: str, args: tuple[object, ...], scopes: tuple[GuardScope, ...]) -> None:
    """Decide one candidate event against the active scopes (raises in enforce mode)."""
    if event in SUBPROCESS_EVENTS:
        program, argv, shell = command_of(event, args)
        if is_read_only_command(program, argv):
            return
        offended = [scope for scope in scopes if not scope.allow_subprocess]
        if offended:
            cwd = args[2] if event == "subprocess.Popen" and len(args) > 2 else None
            where = _resolve(cwd, None, True, scopes) if cwd is not None else [_cwd()]
            command = argv[2] if shell else shlex.join(argv)
            _violate(offended, "subprocess", "run a subprocess", event, where[0], command)
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
_STATE_LOCK = threading.Lock()
_INSTALLED: list[Callable[[str, tuple[object, ...]], None]] = []

# The hook function (installed by the first scope entered). Tests call it directly
# too: code running inside an audit hook is invisible to coverage tools.
audit_hook, _publish = _build_hook(_check)
