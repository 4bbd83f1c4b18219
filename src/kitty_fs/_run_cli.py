"""The ``kitty-fs run`` command line: its parser, its help (which teaches), its exit statuses.

Apart from ``_run`` so that building the ``kitty-fs`` parser (for ``audit`` too)
imports nothing but argparse; the run machinery loads once the arguments parse.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "main"]

# Mirrors of kitty_fs._run's constants (a test checks they agree), for the help text.
EXIT_NO_KERNEL = 124
EXIT_USAGE = 125
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127


_RUN_DESCRIPTION = """\
Run any program (any language) so that ROOT, and everything else except a few
allowed places, is read-only for it and for every process it starts. The Linux
kernel enforces it (Landlock, applied to this process before the program
starts, inherited by all children, irreversible): a write elsewhere fails with
"Permission denied" (EACCES), whether it comes from Python, C, a shell
redirection or a worker process. Reads are untouched.

Writable during the run: each --writable DIR, a private temp dir outside ROOT
(TMPDIR, TMP and TEMP point at it; removed afterwards), and /dev/null,
/dev/zero, /dev/full, /dev/tty, /dev/pts, /dev/ptmx, /dev/shm (semaphores of
multiprocessing). Nothing else: the home directory is read-only too, so name
caches a program needs (--writable ~/.cache). GIT_OPTIONAL_LOCKS=0 is set
(unless already set) so `git status` does not try to refresh .git/index.

Without the kernel layer (not Linux, kernel older than 5.13, Landlock disabled,
KITTY_FS_KERNEL=off) it refuses to run, unless --fallback-audit-hook: then each
Python process in the tree runs the kitty_fs audit-hook guard in enforce mode
(Python writes inside ROOT and non-git subprocesses are refused). That is
weaker: C code, ctypes and non-Python programs are not stopped. Put -- before
CMD.
"""

_RUN_EPILOG = f"""\
exit status:
  N    the program's own exit status (128+N when it was killed by signal N)
  {EXIT_NO_KERNEL}  refused: the kernel layer is unavailable (the reason is printed) and
       --fallback-audit-hook was not given
  {EXIT_USAGE}  usage error: no --read-only, no command, ROOT not a directory, a
       --writable DIR that is missing or contains ROOT
  {EXIT_CANNOT_EXECUTE}  CMD was found but cannot be executed
  {EXIT_NOT_FOUND}  CMD was not found
  (as with env(1) and timeout(1), a program may itself exit 124-127)

examples:
  kitty-fs run --read-only -- make check
  kitty-fs run --read-only --writable ~/.spec-kitty -- spec-kitty sync status
  kitty-fs run --read-only --root ~/src/project --writable ~/.cache -- pytest -p no:cacheprovider
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` sub-command to the ``kitty-fs`` parser."""
    run = commands.add_parser(
        "run",
        help="run any program with a directory read-only for its whole process tree (Landlock)",
        description=_RUN_DESCRIPTION,
        epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="kitty-fs run --read-only [--root DIR] [--writable DIR]... "
        "[--fallback-audit-hook] -- CMD ARGS...",
    )
    run.add_argument(
        "--read-only",
        action="store_true",
        help="make ROOT read-only (required: the only mode so far)",
    )
    run.add_argument(
        "--root",
        metavar="DIR",
        help="directory to protect (default: the top of the git worktree of the cwd, else the cwd)",
    )
    run.add_argument(
        "--writable",
        metavar="DIR",
        action="append",
        default=[],
        help="a directory the program may write (repeatable; may lie below ROOT)",
    )
    run.add_argument(
        "--fallback-audit-hook",
        action="store_true",
        help="without the kernel layer, run with the audit-hook guard in Python processes "
        "instead of refusing (weaker)",
    )
    run.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD ARGS...")


def main(args: argparse.Namespace) -> int:
    """``kitty-fs run``: the exit status (the program's, or one of the documented ones)."""
    from kitty_fs._run import RunUsageError, run_read_only

    command: list[str] = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    try:
        if not args.read_only:
            raise RunUsageError(
                "say --read-only (the only mode so far): kitty-fs run --read-only -- CMD ARGS..."
            )
        return run_read_only(
            command,
            root=args.root,
            writable=args.writable,
            fallback_audit_hook=args.fallback_audit_hook,
        )
    except RunUsageError as exc:
        print(f"kitty-fs run: {exc}", file=sys.stderr)
        return exc.exit_code
