"""``kitty-fs audit``: run a program, report every write it attempted inside a root.

Two nets, because neither is enough alone:

1. **Hooks, in every Python process.** The audit writes a hook directory
   (``_audit_bundle``: a bootstrap ``sitecustomize`` and a private,
   standard-library-only copy of the guard) and puts it first on
   ``PYTHONPATH``; the bootstrap starts the guard in report mode in the audited
   interpreter and in each Python child (they inherit the environment),
   whatever environment they run in. Every write attempt inside the root lands
   in a JSON-lines report file, with the stack frames that led to it.
2. **A worktree diff.** A snapshot (porcelain status with untracked files, plus
   sha256 and mtime of tracked files) before and after the run catches what no
   hook sees: a shell command, a C extension, a non-Python child, a write
   through an already-open descriptor.

Bytecode caches would be written by the audited program's imports and would
show in the diff; the audit sets ``PYTHONDONTWRITEBYTECODE=1`` so they are not.

An audit that could not see the program is not "clean": a Python process that
ran without the hook, a Python program that loaded no hook at all (``-I``,
``-E``, ``-S``), or a main program that never started (``-m missing``) make
the result "incomplete" (exit 4). The command is executed exactly as given: a
venv's ``bin/python`` is not resolved to the interpreter it links to, so the
program keeps its environment.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kitty_fs._audit_bundle import build_hook_dir
from kitty_fs._audit_child import (
    ENV_ALLOW_SUBPROCESS,
    ENV_REPORT,
    ENV_ROOT,
    ENV_SIDE_CHANNELS,
)
from kitty_fs._errors import KittyFsError
from kitty_fs._snapshot import WorktreeSnapshot

__all__ = [
    "EXIT_CANNOT_RUN",
    "EXIT_CLEAN",
    "EXIT_INCOMPLETE",
    "EXIT_USAGE",
    "EXIT_WRITES",
    "SCHEMA",
    "AuditResult",
    "AuditUsageError",
    "find_root",
    "resolve_command",
    "run_audit",
]

SCHEMA = "kitty-fs-audit/1"
EXIT_CLEAN = 0
EXIT_WRITES = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3
EXIT_INCOMPLETE = 4

_BARE_PYTHON = re.compile(r"python(3(\.\d+)?)?")
_MAX_FRAMES_SHOWN = 8


class AuditUsageError(KittyFsError):
    """The audit cannot start: bad root, no command, command not found.

    ``exit_code`` is the status ``kitty-fs audit`` exits with (2 or 3).
    """

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class AuditResult:
    """Everything one audit found; ``as_json()`` is the documented ``--json`` document."""

    root: Path
    command: list[str]
    resolved_command: list[str]
    command_exit: int | None = None
    attempts: list[dict[str, object]] = field(default_factory=list)
    bytecode_writes: int = 0
    worktree_changes: list[str] = field(default_factory=list)
    processes: list[dict[str, object]] = field(default_factory=list)
    # Why the audit may have missed writes (unguarded processes, a program that never ran).
    incomplete: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Nothing written, and the audit saw the whole program: the only "clean"."""
        return not self.attempts and not self.worktree_changes and not self.incomplete

    @property
    def result(self) -> str:
        """``writes``, ``incomplete`` or ``clean``: writes win, since they are certain."""
        if self.attempts or self.worktree_changes:
            return "writes"
        return "incomplete" if self.incomplete else "clean"

    @property
    def exit_code(self) -> int:
        return {"writes": EXIT_WRITES, "incomplete": EXIT_INCOMPLETE}.get(self.result, EXIT_CLEAN)

    def as_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "root": str(self.root),
            "command": self.command,
            "resolved_command": self.resolved_command,
            "command_exit": self.command_exit,
            "exit_code": self.exit_code,
            "result": self.result,
            "clean": self.clean,
            "incomplete": self.incomplete,
            "attempts": self.attempts,
            "bytecode_writes": self.bytecode_writes,
            "worktree_changes": self.worktree_changes,
            "processes": self.processes,
        }

    def render(self) -> str:
        """The human report: each attempt with its frames, the diff, the verdict."""
        lines = [f"kitty-fs audit: {shlex.join(self.command)}", f"root: {self.root}"]
        status = self.command_exit
        lines.append(
            "command exit status: "
            + (
                "killed by signal " + str(-status)
                if status is not None and status < 0
                else str(status)
            )
        )
        if self.attempts:
            lines.append(f"{len(self.attempts)} write attempt(s) inside the root:")
            for number, attempt in enumerate(self.attempts, 1):
                origin = attempt.get("origin")
                by = f" by {origin['file']}:{origin['line']}" if isinstance(origin, dict) else ""
                written = attempt.get("written")
                via = f" (written: {written['rel']})" if isinstance(written, dict) else ""
                lines.append(
                    f"  {number}. {attempt['operation']}: {attempt['rel']}{via}{by}"
                    f"  [pid {attempt.get('pid')}, thread {attempt.get('thread')}]"
                )
                frames = attempt.get("frames")
                shown = frames[:_MAX_FRAMES_SHOWN] if isinstance(frames, list) else []
                for frame in shown:
                    lines.append(f"       at {frame['file']}:{frame['line']} ({frame['function']})")
                if isinstance(frames, list) and len(frames) > len(shown):
                    lines.append(f"       ... {len(frames) - len(shown)} more frame(s)")
        if self.worktree_changes:
            lines.append("worktree changed (git status / tracked file content and mtime):")
            lines += [f"  {change}" for change in self.worktree_changes]
        if self.bytecode_writes:
            lines.append(
                f"note: {self.bytecode_writes} bytecode cache write(s) inside the root"
                " (imports; not counted)"
            )
        lines += [f"incomplete: {reason}" for reason in self.incomplete]
        verdict = {
            "clean": "clean: nothing inside the root was written",
            "writes": "WRITES DETECTED",
            "incomplete": "INCOMPLETE: no write seen, but the audit did not see the whole program",
        }[self.result]
        failed = ""
        if status:
            failed = (
                f"; the command was killed by signal {-status}"
                if status < 0
                else f"; the command itself exited with status {status}"
            )
        lines.append(f"result: {verdict} (exit {self.exit_code}){failed}")
        return "\n".join(lines)


def find_root(root: str | None) -> Path:
    """The audited root: ``--root`` (a directory in a git worktree) or the worktree of the cwd."""
    start = Path(root) if root is not None else Path.cwd()
    if not start.is_dir():
        raise AuditUsageError(f"--root {root}: not a directory")
    result = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=start,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AuditUsageError(
            f"{start.resolve()} is not inside a git worktree: the audit compares git status"
            " before and after (pass --root DIR inside a repository)"
        )
    return start.resolve() if root is not None else Path(result.stdout.strip()).resolve()


def _is_python_script(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            first = handle.readline(256)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def resolve_command(command: list[str]) -> list[str]:
    """Turn ``CMD ARGS`` into what to execute.

    ``-m module`` and ``-c code`` run with this interpreter, as does a bare
    ``python``/``python3``/``python3.N`` prefix; a ``.py`` file or a
    non-executable Python script runs with this interpreter; an executable
    given by path (``.venv/bin/python``, ``other-venv/bin/spec-kitty``) or
    found on ``PATH`` runs as it would from a shell, with its own interpreter
    and environment: the path is made absolute, never resolved through its
    symlinks (a venv's ``bin/python`` links to the base interpreter, and
    running that would drop the venv).
    """
    if not command:
        raise AuditUsageError("no command given: kitty-fs audit [options] -- CMD ARGS...")
    head, rest = command[0], command[1:]
    if _BARE_PYTHON.fullmatch(head):  # `python x.py` means this interpreter, not PATH's first
        if not rest:
            raise AuditUsageError(f"{head} needs a script, -m MODULE or -c CODE")
        return [sys.executable, *rest]
    if head in ("-m", "-c"):
        if not rest:
            raise AuditUsageError(f"{head} needs an argument")
        return [sys.executable, head, *rest]
    path = Path(head)
    if os.sep in head or path.is_file():
        if not path.is_file():
            raise AuditUsageError(f"{head}: no such file", EXIT_CANNOT_RUN)
        if head.endswith(".py") or not os.access(path, os.X_OK):
            return [sys.executable, head, *rest]
        return [str(path.absolute()), *rest]  # absolute(), not resolve(): see above
    found = shutil.which(head)
    if found is None:
        raise AuditUsageError(f"{head}: command not found on PATH", EXIT_CANNOT_RUN)
    return [found, *rest]


def _expects_python(resolved: list[str]) -> bool:
    """Whether the executed program is a Python interpreter or a Python script."""
    head = resolved[0]
    return bool(_BARE_PYTHON.fullmatch(Path(head).name)) or _is_python_script(Path(head))


def _child_env(
    root: Path, report: Path, hooks: Path, side_channels: list[Path], allow: bool
) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hooks), env.get("PYTHONPATH", "")) if p)
    env[ENV_REPORT] = str(report)
    env[ENV_ROOT] = str(root)
    env[ENV_SIDE_CHANNELS] = os.pathsep.join(str(p) for p in side_channels)
    env[ENV_ALLOW_SUBPROCESS] = "1" if allow else "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _read_report(report: Path, result: AuditResult) -> dict[int, bool]:
    """Fill ``result`` from the JSON lines; return pid -> whether its main program started."""
    started: dict[int, bool] = {}
    try:
        text = report.read_text(encoding="utf-8")
    except FileNotFoundError:
        return started
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a process killed mid-write leaves at most one torn line
        if not isinstance(record, dict):
            continue
        kind = record.pop("type", None)
        if kind == "process":
            result.processes.append(record)
        elif kind == "exit" and isinstance(record.get("pid"), int):
            started[int(record["pid"])] = bool(record.get("main_started"))
        elif kind == "attempt" and record.get("kind") == "bytecode":
            result.bytecode_writes += 1
        elif kind == "attempt":
            result.attempts.append(record)
    return started


def _incomplete(result: AuditResult, pid: int, started: dict[int, bool]) -> list[str]:
    """Why the hooks may have missed writes; empty when they saw every Python process."""
    reasons = []
    for process in result.processes:
        if not process.get("guarded"):
            argv = process.get("argv")
            shown = shlex.join(str(a) for a in argv) if isinstance(argv, list) else "?"
            reasons.append(
                f"pid {process.get('pid')} ({shown}) ran without the guard:"
                f" {process.get('error')}; only the worktree diff covers it"
            )
    if not any(process.get("pid") == pid for process in result.processes):
        if _expects_python(result.resolved_command):
            reasons.append(
                f"{result.resolved_command[0]} is a Python program, but no audit hook ran in"
                " it (started with -I, -E or -S, or it replaced its environment?)"
            )
    elif started.get(pid) is False:
        reasons.append(
            "the program did not start (the script or -m module was not found by"
            f" {result.resolved_command[0]}): nothing of it was audited"
        )
    return reasons


def run_audit(
    root: Path,
    command: list[str],
    *,
    side_channels: list[Path] | None = None,
    allow_subprocess: bool = False,
    quiet_stdout: bool = False,
) -> AuditResult:
    """Run ``command`` audited; ``quiet_stdout`` sends its stdout to stderr (for ``--json``)."""
    resolved = resolve_command(command)
    result = AuditResult(root=root, command=command, resolved_command=resolved)
    sides = [Path(os.path.realpath(p)) for p in side_channels or []]
    before = WorktreeSnapshot.take(root)
    with tempfile.TemporaryDirectory(prefix="kitty-fs-audit-") as scratch:
        report = Path(scratch) / "report.jsonl"
        hooks = build_hook_dir(Path(scratch) / "hooks")
        env = _child_env(root, report, hooks, sides, allow_subprocess)
        try:
            child = subprocess.Popen(resolved, env=env, stdout=2 if quiet_stdout else None)
        except OSError as exc:
            raise AuditUsageError(f"cannot run {resolved[0]}: {exc}", EXIT_CANNOT_RUN) from exc
        try:
            result.command_exit = child.wait()
        except KeyboardInterrupt:
            result.command_exit = child.wait()
        started = _read_report(report, result)
    result.incomplete = _incomplete(result, child.pid, started)
    result.worktree_changes = before.changes_since(WorktreeSnapshot.take(root))
    return result
