# ruff: noqa: PTH100, PTH109, PTH110, PTH112, PTH118, PTH120, S108
# (plain str paths, compared by prefix, as the guard does; /tmp is a fallback on purpose)
"""``kitty-fs run --read-only``: run any program with a directory writable by nothing in its tree.

The kernel layer (``_kernel``) does the work: a Landlock ruleset allowing
writes only beneath the ``--writable`` directories, a private temp dir outside
the root and the ``/dev`` extras is built here, and applied in the child
between ``fork`` and ``exec`` (two syscalls), so the program and every process
it starts find everything else on the machine, the root included, read-only
from their first instruction, in any language.

Why a child rather than restricting ourselves and ``exec``: the parent stays
free to remove the private temp dir afterwards (removing it needs a write in
its parent directory, which the program must not have) and to forward
``SIGTERM``/``SIGHUP`` (a service manager signals the pid it started).
``SIGINT``/``SIGQUIT`` from the terminal reach the whole foreground process
group, so the parent ignores them while it waits instead of dying first. The
exit status is the program's; a program killed by signal N gives 128+N, the
shell's convention.

Without the kernel layer it refuses to run (``EXIT_NO_KERNEL``) unless the
user asks for ``--fallback-audit-hook``: Python processes in the tree then
run the audit-hook guard in enforce mode (``_child/sitecustomize.py``), which
is weaker: C code, ``ctypes`` and non-Python programs write unseen.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from types import FrameType

from kitty_fs._errors import KittyFsError
from kitty_fs._kernel import default_allowed_extras, kernel_status, prepare_restriction

__all__ = [
    "ENV_RUN_ROOT",
    "ENV_RUN_WRITABLE",
    "EXIT_CANNOT_EXECUTE",
    "EXIT_NOT_FOUND",
    "EXIT_NO_KERNEL",
    "EXIT_USAGE",
    "RunUsageError",
    "run_read_only",
]

# The conventions of env(1), timeout(1), chroot(1): 125 the tool failed, 126 the
# program cannot be executed, 127 not found; 124 is ours: no kernel layer.
EXIT_NO_KERNEL = 124
EXIT_USAGE = 125
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127

# Read by _child/sitecustomize.py in fallback mode (see _run_child).
ENV_RUN_ROOT = "KITTY_FS_RUN_ROOT"
ENV_RUN_WRITABLE = "KITTY_FS_RUN_WRITABLE"

_CHILD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_child")
_FORWARDED = (signal.SIGTERM, signal.SIGHUP)
_IGNORED = (signal.SIGINT, signal.SIGQUIT)


class RunUsageError(KittyFsError):
    """``kitty-fs run`` cannot start; ``exit_code`` is the status it exits with."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def default_root() -> str:
    """The top of the git worktree of the cwd, or the cwd when it is not in one."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except OSError:
        return os.getcwd()
    return top.stdout.strip() if top.returncode == 0 and top.stdout.strip() else os.getcwd()


def _private_tmp(root: str) -> str:
    """A fresh temp dir outside the root (below TMPDIR, or /tmp when TMPDIR is inside the root)."""
    for base in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        real = os.path.realpath(base)
        if os.path.isdir(real) and not _inside(real, root):
            return tempfile.mkdtemp(prefix="kitty-fs-run-", dir=real)
    raise RunUsageError(f"no temp directory outside {root}: set TMPDIR to one")


def allowed_paths(root: str, writable: Sequence[str], tmp: str) -> list[str]:
    """Everything the program may write: ``writable``, the private temp dir, the ``/dev`` extras.

    Refuses an allowed path that contains the root (the root would be writable).
    Extras that contain the root (a root below ``/dev/shm``) are dropped.
    """
    chosen: list[str] = []
    for entry in writable:
        real = os.path.realpath(entry)
        if not os.path.isdir(real):
            raise RunUsageError(f"--writable {entry}: not a directory (create it first)")
        if _inside(root, real):
            raise RunUsageError(
                f"--writable {entry} contains the root {root}: it would make the root writable; "
                "name a directory below or beside it"
            )
        chosen.append(real)
    chosen.append(tmp)
    chosen.extend(p for p in default_allowed_extras() if not _inside(root, os.path.realpath(p)))
    return chosen


def _child_env(root: str, tmp: str, writable: Sequence[str], fallback: bool) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("TMPDIR", "TMP", "TEMP"):
        env[name] = tmp
    # git status would otherwise try to refresh .git/index (refused: noisy, and a lock race).
    env.setdefault("GIT_OPTIONAL_LOCKS", "0")
    if fallback:
        env[ENV_RUN_ROOT] = root
        env[ENV_RUN_WRITABLE] = os.pathsep.join([tmp, *writable])
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        previous = env.get("PYTHONPATH")
        env["PYTHONPATH"] = _CHILD_DIR + (os.pathsep + previous if previous else "")
    return env


def _wait(process: subprocess.Popen[bytes]) -> int:
    def forward(signum: int, frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    previous.update({sig: signal.signal(sig, signal.SIG_IGN) for sig in _IGNORED})
    try:
        status = process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - status if status < 0 else status


def run_read_only(
    command: Sequence[str],
    *,
    root: str | None = None,
    writable: Sequence[str] = (),
    fallback_audit_hook: bool = False,
    announce: bool = True,
) -> int:
    """Run ``command`` with ``root`` (and all but the allowed places) read-only; its exit status.

    Raises ``RunUsageError`` when it cannot start (bad root, no command,
    kernel layer unavailable without ``fallback_audit_hook``). ``announce``
    prints one stderr line when falling back to the audit hook.
    """
    if not command:
        raise RunUsageError("no command given: kitty-fs run --read-only -- CMD ARGS...")
    root = os.path.realpath(root if root is not None else default_root())
    if not os.path.isdir(root):
        raise RunUsageError(f"--root {root}: not a directory")
    for extra in default_allowed_extras():
        if _inside(os.path.realpath(extra), root):
            raise RunUsageError(f"--root {root}: contains {extra}, which every process must write")
    program = shutil.which(command[0])
    if program is None and os.sep in command[0] and os.path.exists(command[0]):
        raise RunUsageError(f"{command[0]}: not executable", EXIT_CANNOT_EXECUTE)
    if program is None:
        raise RunUsageError(f"{command[0]}: command not found", EXIT_NOT_FOUND)
    if not os.access(program, os.X_OK) or os.path.isdir(program):
        raise RunUsageError(f"{program}: not executable", EXIT_CANNOT_EXECUTE)
    tmp = _private_tmp(root)
    try:
        allowed = allowed_paths(root, writable, tmp)
        restriction = prepare_restriction(allowed)
        if restriction is None:
            reason = kernel_status().reason
            if not fallback_audit_hook:
                raise RunUsageError(
                    f"the kernel layer is unavailable here: {reason}; refusing to run. "
                    "Pass --fallback-audit-hook to run with the audit-hook guard in Python "
                    "processes only (weaker: C code and non-Python programs are not stopped)",
                    EXIT_NO_KERNEL,
                )
            if announce:
                print(
                    f"kitty-fs run: kernel layer off ({reason}); only Python processes "
                    "are guarded (audit hook, enforce mode)",
                    file=sys.stderr,
                )
        env = _child_env(root, tmp, [os.path.realpath(w) for w in writable], restriction is None)
        try:
            process = subprocess.Popen(
                [program, *command[1:]],
                env=env,
                # Between fork and exec: two syscalls on a ruleset built above. This
                # process has started no thread, so preexec_fn's fork caveat does not apply.
                preexec_fn=restriction.apply if restriction is not None else None,
            )
        except PermissionError as exc:
            raise RunUsageError(f"{program}: cannot execute: {exc}", EXIT_CANNOT_EXECUTE) from exc
        finally:
            if restriction is not None:
                restriction.close()
        return _wait(process)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
