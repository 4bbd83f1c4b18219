"""The ``kitty-fs`` command: ``audit``, ``run --read-only`` (``_run``), ``report-writes``.

argparse rather than typer: the command wraps other programs and should start
fast; the audit machinery is imported only once the arguments parse.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

__all__ = ["main"]

_AUDIT_DESCRIPTION = """\
Run a Python program with the kitty_fs runtime guard in report mode, in its own
process and in every Python child process, and report every write it attempted
inside ROOT, with the stack frames (file:line) that led to it. A git status
before/after diff (untracked files, tracked files' content and mtime) catches
writes no hook sees: shell commands, non-Python children, C extensions.

CMD is a script (script.py), -m MODULE, -c CODE, python ARGS (this
interpreter), an interpreter or console script by path (other-venv/bin/python,
other-venv/bin/spec-kitty: run as given, in its own environment), or a command
on PATH. Any CPython 3.11+ is audited, whether or not kitty_fs is installed
there: the hook is a private standard-library-only copy put on PYTHONPATH, and
nothing else of kitty-fs is. Put -- before CMD.
"""

_AUDIT_EPILOG = f"""\
exit status:
  0  the root was not touched: no write attempt recorded, worktree unchanged
  1  writes detected: write attempts inside the root, subprocesses that may
     write, or a changed worktree
  2  usage error: bad options, no command, ROOT not a directory in a git worktree
  3  the command could not be started (not found, not executable)
  4  incomplete: no write seen, but the audit did not see the whole program: a
     Python process ran without the hook (an interpreter too old for it), a
     Python program loaded no hook (-I, -E, -S), or the main program never
     started (-m with a module that is not there, a missing script)
  The command's own exit status is not propagated: it is shown beside the result.

--json prints one JSON object on stdout (the command's stdout goes to stderr):
  schema            "{"kitty-fs-audit/1"}"
  root              absolute path of the audited root
  command           CMD ARGS as given; resolved_command: what was executed
  command_exit      the command's exit status (negative: killed by that signal)
  exit_code         the audit's exit status (above); clean: exit_code == 0
  result            "clean", "writes" or "incomplete" (exit 0, 1, 4)
  incomplete        list of strings: why the audit may have missed writes
  attempts          list of write attempts, each:
                      kind       "write" or "subprocess"
                      operation  what was attempted ("open for writing, mode 'w'", ...)
                      event      the audit event ("open", "os.rename", ...)
                      path       absolute path (subprocess: its working directory); when
                                 a kitty_fs store declared the file it was saving (a
                                 config), that file, and the lock/temp file in written
                      rel        path relative to the root (subprocess: command line)
                      written    {{"path", "rel"}} of the file really touched when it is
                                 not path (a store's lock or temp file), else null
                      reason     the scope's reason
                      blocked    true when the program's own enforcing kitty_fs
                                 read scope refused it (the audit only reports)
                      pid, thread
                      frames     [{{"file", "line", "function"}}], innermost first
                      origin     the call site: the first frame of the user's code, i.e.
                                 outside kitty_fs, the standard library, installed
                                 libraries and console-script launchers (for a program
                                 installed in site-packages: the first frame of its
                                 own package), or null
  bytecode_writes   number of __pycache__ writes inside the root (not counted)
  worktree_changes  list of strings, one per difference in the git diff
  processes         Python processes seen: {{"pid", "argv", "executable", "prefix",
                    "guarded", "error"}}; guarded=false means no hook ran there

examples:
  kitty-fs audit -- spec-kitty sync status
  kitty-fs audit --root ~/src/project --json -- -m mypackage.cli status
  kitty-fs audit --side-channel ~/.spec-kitty -- python tools/report.py
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kitty-fs",
        description="Tools of the kitty_fs capability-typed filesystem layer.",
    )
    commands = parser.add_subparsers(dest="tool", metavar="COMMAND", required=True)
    audit = commands.add_parser(
        "audit",
        help="run a program and report every write it attempted inside a directory",
        description=_AUDIT_DESCRIPTION,
        epilog=_AUDIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="kitty-fs audit [--root DIR] [--json] [--side-channel DIR]... "
        "[--allow-subprocess] -- CMD ARGS...",
    )
    audit.add_argument(
        "--root",
        metavar="DIR",
        help="directory to guard (default: the top of the git worktree of the cwd)",
    )
    audit.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    audit.add_argument(
        "--side-channel",
        metavar="DIR",
        action="append",
        default=[],
        help="a directory below the root that may be written (repeatable)",
    )
    audit.add_argument(
        "--allow-subprocess",
        action="store_true",
        help="do not count subprocesses other than read-only git commands as writes",
    )
    audit.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD ARGS...")
    from kitty_fs._run_cli import add_parser as add_run_parser

    add_run_parser(commands)
    from kitty_fs._write_report import add_parser as add_report_parser

    add_report_parser(commands)
    return parser


def _audit(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kitty_fs._audit import AuditUsageError, find_root, run_audit

    command: list[str] = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    try:
        root = find_root(args.root)
        result = run_audit(
            root,
            command,
            side_channels=[Path(p) for p in args.side_channel],
            allow_subprocess=args.allow_subprocess,
            quiet_stdout=args.json,
        )
    except AuditUsageError as exc:
        if args.json:
            print(json.dumps({"schema": "kitty-fs-audit/1", "error": str(exc)}))
        print(f"kitty-fs audit: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        sys.stdout.flush()
        print(result.render())
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kitty-fs`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.tool == "audit":
        try:
            return _audit(args)
        except BrokenPipeError:  # `kitty-fs audit ... | head`: the reader left, not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    if args.tool == "run":
        from kitty_fs._run_cli import main as run_main

        return run_main(args)
    if args.tool == "report-writes":
        from kitty_fs._write_report import main as report_main

        return report_main(args)
    raise AssertionError(f"unknown tool {args.tool}")  # argparse refuses it first


if __name__ == "__main__":
    sys.exit(main())
