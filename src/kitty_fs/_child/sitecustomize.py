# ruff: noqa: PTH100, PTH120
# (runs at start-up of every audited interpreter: os.path, no pathlib import)
"""Bootstrap of ``kitty-fs audit`` (and of ``kitty-fs run``'s fallback) in every Python process.

``kitty-fs audit`` puts this directory first on ``PYTHONPATH``, so each Python
interpreter started under it (the audited program and its Python children,
which inherit the environment) imports this module at startup. It starts the
guard in report mode for the audited root, writing each write attempt as one
JSON line to the report file named by ``KITTY_FS_AUDIT_REPORT``.

It imports the hook from the private package ``_kitty_fs_audit_hook`` that
``kitty-fs audit`` writes beside it (``_audit_bundle``), never from an
installed kitty_fs: the audited program may run in another environment, with
no kitty_fs or another version of it. An interpreter that cannot load the hook
(a Python older than kitty_fs supports, a broken copy) records that it ran
unguarded instead, which makes the audit "incomplete". Any ``sitecustomize``
this one shadows is run afterwards, so the environment's own start-up hooks
keep working.

Under ``kitty-fs run --read-only --fallback-audit-hook`` (``KITTY_FS_RUN_ROOT``
set) it starts an enforcing guard instead (``kitty_fs._run_child``); an
interpreter that cannot import kitty_fs then exits with 125 rather than run
unguarded.

Kept to syntax and modules any Python 3.6+ understands, since a foreign
interpreter may load it.
"""

import os
import sys

# The oldest Python the hook supports (pyproject.toml's requires-python; a test checks
# the two agree). Older ones might import it, but audit events and the guard's rules
# are written and tested for these: such a process is reported as unguarded.
OLDEST_SUPPORTED = (3, 11)


def _unguarded(report: str, error: str) -> None:
    import json

    record = {
        "type": "process",
        "pid": os.getpid(),
        "argv": list(getattr(sys, "orig_argv", sys.argv)),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "guarded": False,
        "error": error,
    }
    fd = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def _start() -> None:
    if os.environ.get("KITTY_FS_RUN_ROOT"):  # kitty-fs run --read-only --fallback-audit-hook
        try:
            if sys.version_info[:2] < OLDEST_SUPPORTED:
                oldest = ".".join(map(str, OLDEST_SUPPORTED))
                raise ImportError(f"kitty_fs supports Python {oldest} and newer")
            from kitty_fs._run_child import start as start_enforcing
        except Exception as exc:  # any failure: refuse rather than run unguarded
            why = type(exc).__name__ + ": " + str(exc)
            sys.stderr.write(
                "kitty-fs run: this Python cannot import kitty_fs (" + why + "), so it cannot "
                "be guarded; refusing to run " + sys.executable + "\n"
            )
            os._exit(125)
        start_enforcing()
        return
    report = os.environ.get("KITTY_FS_AUDIT_REPORT")
    if not report:
        return
    version = sys.version.split()[0]
    if sys.version_info[:2] < OLDEST_SUPPORTED:
        oldest = ".".join(map(str, OLDEST_SUPPORTED))
        _unguarded(
            report,
            f"cannot load the kitty_fs audit hook in Python {version}: it supports "
            f"Python {oldest} and newer",
        )
        return
    try:
        from _kitty_fs_audit_hook._audit_child import start  # type: ignore[import-not-found]
    except Exception as exc:  # a broken copy, a missing standard module...
        _unguarded(
            report,
            f"cannot load the kitty_fs audit hook in Python {version}: {type(exc).__name__}: {exc}",
        )
        return
    try:
        start(report)
    except Exception as exc:  # the report cannot be opened, the guard refused to start...
        _unguarded(report, f"the kitty_fs audit hook failed to start: {type(exc).__name__}: {exc}")


def _chain() -> None:
    """Run the ``sitecustomize`` this module shadows, if there is one."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


_start()
_chain()
