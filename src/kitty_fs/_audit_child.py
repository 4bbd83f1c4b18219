# ruff: noqa: PTH100, PTH110, PTH117, PTH120
# (runs inside the audited program, often at shutdown: os.path on str, no pathlib objects)
"""The child half of ``kitty-fs audit``: a report-mode guard that writes JSON lines.

``kitty-fs audit`` does not import this module from the installed kitty_fs in
the audited program: that program may live in another environment (its own
venv, kitty-fs installed apart by pipx), may have no kitty_fs at all, or
another version of it. Instead ``_audit_bundle`` copies this module and the
guard modules it needs (standard library only) into a private package,
``_kitty_fs_audit_hook``, next to a bootstrap ``sitecustomize``; that
directory is all the audit puts on the program's path. kitty-fs's own
dependencies (attrs, ruamel.yaml, filelock) never appear there.

The scope is entered and never left: it lasts until the interpreter exits (the
hook keeps working during shutdown, so ``atexit`` writes are seen too). Each
record is one ``os.write`` of one line on an ``O_APPEND`` descriptor, so
records from several processes never interleave. Records:

* ``process``: this interpreter is guarded (pid, argv, executable, prefix);
* ``attempt``: one write attempt, with its frames and its call site
  (``origin``: the first frame outside kitty_fs, the standard library and the
  third-party library that did the write), and, when a kitty_fs store
  declared a write intent (``kitty_fs._intent``), the target as ``path`` and
  the helper file actually touched as ``written``;
* ``exit``: at exit, whether the main program (script, ``-m`` module) started.

Configuration comes from the environment ``kitty-fs audit`` sets:
``KITTY_FS_AUDIT_REPORT`` (the JSON-lines file), ``KITTY_FS_AUDIT_ROOT``,
``KITTY_FS_AUDIT_SIDE_CHANNELS`` (``os.pathsep``-separated) and
``KITTY_FS_AUDIT_ALLOW_SUBPROCESS`` (``1`` to let any subprocess run).
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from collections.abc import Callable
from types import FrameType

from kitty_fs._guard import GuardScope, Violation

__all__ = [
    "ENV_ALLOW_SUBPROCESS",
    "ENV_REPORT",
    "ENV_ROOT",
    "ENV_SIDE_CHANNELS",
    "call_site",
    "main_starter",
    "start",
]

ENV_REPORT = "KITTY_FS_AUDIT_REPORT"
ENV_ROOT = "KITTY_FS_AUDIT_ROOT"
ENV_SIDE_CHANNELS = "KITTY_FS_AUDIT_SIDE_CHANNELS"
ENV_ALLOW_SUBPROCESS = "KITTY_FS_AUDIT_ALLOW_SUBPROCESS"

# This module's own package: kitty_fs, or the private bundle it was copied into.
_OWN_PACKAGE = __name__.partition(".")[0]
_STDLIB = os.path.dirname(os.__file__) + os.sep
_MAX_WALK = 400

# Kept alive for the life of the process (the scope is never exited).
_SCOPES: list[GuardScope] = []


def _writer(fd: int) -> Callable[[dict[str, object]], None]:
    # Bound now: the sink may run during interpreter shutdown.
    write, dumps, getpid = os.write, json.dumps, os.getpid

    def emit(record: dict[str, object]) -> None:
        record["pid"] = getpid()
        write(fd, (dumps(record) + "\n").encode("utf-8"))

    return emit


def _kind(file: str, module: str, launchers: str) -> str:
    """``stdlib``, ``kitty_fs``, ``launcher`` (a console script), ``library`` or ``user``."""
    top = module.partition(".")[0]
    if top in ("kitty_fs", _OWN_PACKAGE):
        return "kitty_fs"
    if file.startswith("<frozen ") or (
        file.startswith(_STDLIB) and "-packages" not in file[len(_STDLIB) :]
    ):
        return "stdlib"
    if f"{os.sep}site-packages{os.sep}" in file or f"{os.sep}dist-packages{os.sep}" in file:
        return "library"
    if os.path.dirname(file) == launchers:
        return "launcher"
    return "user"


def call_site(frame: FrameType | None) -> dict[str, object] | None:
    """The frame of ``frame``'s stack that asked for the write, as ``{file, line, function}``.

    Innermost first: the first frame of the user's own code (not the standard
    library, not kitty_fs, not an installed package, not a console-script
    launcher). A program that is itself installed (upstream spec-kitty in its
    venv) has no such frame; then it is the first frame of the program's own
    package, the installed package nearest the entry point, so that a library
    the program called to do the write (filelock, ruamel.yaml) is skipped.
    """
    launchers = os.path.dirname(os.path.abspath(sys.executable))
    walked: list[tuple[str, str, FrameType]] = []
    while frame is not None and len(walked) < _MAX_WALK:
        module = frame.f_globals.get("__name__")
        name = module if isinstance(module, str) else ""
        file = frame.f_code.co_filename
        walked.append((_kind(file, name, launchers), name.partition(".")[0], frame))
        frame = frame.f_back
    chosen = next((f for kind, _, f in walked if kind == "user"), None)
    if chosen is None:
        libraries = [top for kind, top, _ in walked if kind == "library"]
        program = libraries[-1] if libraries else None  # the outermost: the entry point's
        chosen = next((f for kind, top, f in walked if kind == "library" and top == program), None)
    if chosen is None:
        chosen = next((f for kind, _, f in walked if kind not in ("kitty_fs", "stdlib")), None)
    if chosen is None:
        return None
    code = chosen.f_code
    return {"file": code.co_filename, "line": chosen.f_lineno, "function": code.co_name}


def _declared_intent() -> str | None:
    """The target a kitty_fs store in the audited program declared (``kitty_fs._intent``)."""
    module = sys.modules.get("kitty_fs._intent")
    current = getattr(module, "current_intent", None)
    if not callable(current):
        return None
    try:
        target = current()
    except Exception:  # another kitty_fs version with another contract: no intent
        return None
    return target if isinstance(target, str) and os.path.isabs(target) else None


def _main_program(argv: list[str]) -> tuple[str, str | None]:
    """``(kind, value)``: ``script`` + path, ``module`` + name, ``code`` or ``interactive``."""
    index = 1
    while index < len(argv):
        arg = argv[index]
        if arg in ("-X", "-W"):
            index += 2
            continue
        if arg in ("-c", "-"):
            return "code", None
        if arg == "-m":
            return "module", argv[index + 1] if index + 1 < len(argv) else None
        if not arg.startswith("-"):
            return "script", arg
        index += 1
    return "interactive", None


def _blocked_by_program(violation: Violation) -> bool:
    """Whether an enforcing read scope of the program's own kitty_fs refuses this attempt.

    The audit's scope only reports; a program built on kitty_fs runs its own guard (another
    copy of the module, with its own hook), which raises. Its active scopes say so.
    """
    guard = sys.modules.get("kitty_fs._guard")
    active = getattr(guard, "active_scopes", None)
    if guard is None or guard is sys.modules.get(GuardScope.__module__) or not callable(active):
        return violation.blocked
    try:
        for scope in active():
            if getattr(scope, "mode", None) != "enforce":
                continue
            if violation.kind == "subprocess":
                if not scope.allow_subprocess:
                    return True
            elif scope.covers(violation.path):
                return True
    except Exception:  # another kitty_fs version with another contract
        return violation.blocked
    return violation.blocked


def main_starter(argv: list[str]) -> Callable[[], bool]:
    """A function telling, at exit, whether the main program (script, ``-m`` module) ran.

    ``python -m missing`` and ``python missing.py`` exit before any of the
    program runs. A module that ran leaves its spec on ``__main__``; a script
    is judged at start-up (CPython removes ``__main__.__file__`` once the
    script is done), by whether the file is there to be run.
    """
    kind, value = _main_program(argv)
    if kind == "script":
        present = value is not None and os.path.exists(value)
        return lambda: present
    if kind == "module":
        modules = sys.modules
        return lambda: getattr(modules.get("__main__"), "__spec__", None) is not None
    return lambda: True


def start(report: str) -> None:
    """Open the report and enter a report-mode scope on the audited root for good."""
    root = os.environ.get(ENV_ROOT)
    if not root or _SCOPES:
        return
    fd = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    emit = _writer(fd)
    argv = list(getattr(sys, "orig_argv", sys.argv))
    real_root = os.path.realpath(root)
    prefix = real_root.rstrip(os.sep) + os.sep
    # Python 3.13 announces one subprocess twice (subprocess.Popen, then os.posix_spawn
    # for the same child): the spawn right after a Popen in the same thread is that child.
    popen_pending: set[int] = set()
    get_ident, getframe = threading.get_ident, sys._getframe

    def on_violation(violation: Violation) -> None:
        ident = get_ident()
        if violation.event == "os.posix_spawn" and ident in popen_pending:
            popen_pending.discard(ident)
            return
        if violation.event == "subprocess.Popen":
            popen_pending.add(ident)
        else:
            popen_pending.discard(ident)
        record: dict[str, object] = {"type": "attempt", **violation.as_dict()}
        record["origin"] = call_site(getframe(1)) or record["origin"]
        record["blocked"] = _blocked_by_program(violation)
        record["written"] = None
        target = _declared_intent() if violation.kind == "write" else None
        if target is not None and target != violation.path:
            record["written"] = {"path": violation.path, "rel": violation.rel}
            record["path"] = target
            record["rel"] = target[len(prefix) :] if target.startswith(prefix) else target
        emit(record)

    sides = [p for p in os.environ.get(ENV_SIDE_CHANNELS, "").split(os.pathsep) if p]
    scope = GuardScope(
        root,
        f"kitty-fs audit of {' '.join(argv)}",
        side_channels=sides,
        mode="report",
        allow_subprocess=os.environ.get(ENV_ALLOW_SUBPROCESS) == "1",
        on_violation=on_violation,
    )
    emit(
        {
            "type": "process",
            "argv": argv,
            "executable": sys.executable,
            "prefix": sys.prefix,
            "guarded": True,
            "error": None,
        }
    )
    started = main_starter(argv)
    atexit.register(lambda: emit({"type": "exit", "main_started": started()}))
    scope.__enter__()
    _SCOPES.append(scope)
