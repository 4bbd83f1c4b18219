"""The child half of ``kitty-fs audit``: a report-mode guard that writes JSON lines.

Started by ``_child/sitecustomize.py`` in every Python process the audit runs.
The scope is entered and never left: it lasts until the interpreter exits
(the hook is built to keep working during shutdown, so ``atexit`` writes are
seen too). Each record is one ``os.write`` of one line on a descriptor opened
with ``O_APPEND``, so records from several processes never interleave.

Configuration comes from the environment ``kitty-fs audit`` sets:
``KITTY_FS_AUDIT_REPORT`` (the JSON-lines file), ``KITTY_FS_AUDIT_ROOT``,
``KITTY_FS_AUDIT_SIDE_CHANNELS`` (``os.pathsep``-separated) and
``KITTY_FS_AUDIT_ALLOW_SUBPROCESS`` (``1`` to let any subprocess run).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

from kitty_fs._guard import GuardScope, Violation

__all__ = ["ENV_ALLOW_SUBPROCESS", "ENV_REPORT", "ENV_ROOT", "ENV_SIDE_CHANNELS", "start"]

ENV_REPORT = "KITTY_FS_AUDIT_REPORT"
ENV_ROOT = "KITTY_FS_AUDIT_ROOT"
ENV_SIDE_CHANNELS = "KITTY_FS_AUDIT_SIDE_CHANNELS"
ENV_ALLOW_SUBPROCESS = "KITTY_FS_AUDIT_ALLOW_SUBPROCESS"

# Kept alive for the life of the process (the scope is never exited).
_SCOPES: list[GuardScope] = []


def _writer(fd: int) -> Callable[[dict[str, object]], None]:
    # Bound now: the sink may run during interpreter shutdown.
    write, dumps, getpid = os.write, json.dumps, os.getpid

    def emit(record: dict[str, object]) -> None:
        record["pid"] = getpid()
        write(fd, (dumps(record) + "\n").encode("utf-8"))

    return emit


def start(report: str) -> None:
    """Open the report and enter a report-mode scope on the audited root for good."""
    root = os.environ.get(ENV_ROOT)
    if not root or _SCOPES:
        return
    fd = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    emit = _writer(fd)
    argv = list(getattr(sys, "orig_argv", sys.argv))

    def on_violation(violation: Violation) -> None:
        emit({"type": "attempt", **violation.as_dict()})

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
            "guarded": True,
            "error": None,
        }
    )
    scope.__enter__()
    _SCOPES.append(scope)
