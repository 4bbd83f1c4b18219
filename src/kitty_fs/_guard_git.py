# ruff: noqa: PTH119
# (the guard works on str paths with os.path: no Path objects on the hook's path)
"""Which subprocesses a read scope lets through: known read-only git invocations.

A hook cannot follow a child process (it runs without our hook), so the guard
decides at spawn time from the command line alone. Only git is understood,
and only sub-commands that never change the worktree, the index's tracked
content or the refs: everything else (another program, an unknown git
sub-command or alias, a read sub-command given an option that writes a file
such as ``--output``) counts as a possible write.

Git also reads configuration that is not on the command line: the
environment's ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``
and ``GIT_CONFIG_PARAMETERS`` (what ``-c`` becomes for child gits) can set
``core.fsmonitor``, a program git then runs; so can ``-c include.path=FILE``
and ``--config-env``. Any of these makes a command unsafe. The repository's
own ``.git/config`` is trusted (writing it inside a read scope is refused).

Being conservative is the point: a false alarm names the command and is fixed
by moving it to a write boundary or by ``allow_subprocess=True``; a false pass
would let a read path dirty the tree unseen.

Stays importable without the rest of kitty_fs (standard library only).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence

__all__ = ["is_read_only_command", "is_read_only_git", "is_read_only_shell"]

# Global options that take a value, either as the next argument or after "=".
_GLOBAL_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"}
)
_GLOBAL_FLAGS = frozenset(
    {
        "--no-pager",
        "-P",
        "-p",
        "--paginate",
        "--bare",
        "--no-replace-objects",
        "--literal-pathspecs",
        "--glob-pathspecs",
        "--noglob-pathspecs",
        "--icase-pathspecs",
        "--no-optional-locks",
        "--no-advice",
        "--no-lazy-fetch",
    }
)
# Global options that make git print something and exit.
_GLOBAL_QUERIES = frozenset(
    {"--version", "--exec-path", "--html-path", "--man-path", "--info-path"}
)

# `-c key=value` may name a program for git to run (a pager, an fsmonitor, a
# diff driver...): that program could write anything, so such keys are refused.
_COMMAND_KEY_SECTIONS = frozenset({"alias", "filter", "pager"})
_COMMAND_KEY_NAMES = frozenset(
    {
        "pager",
        "editor",
        "askpass",
        "fsmonitor",
        "sshcommand",
        "hookspath",
        "external",
        "textconv",
        "command",
        "program",
        "helper",
        "alternaterefscommand",
        "packobjectshook",
        "difffilter",
        "uploadpack",
        "receivepack",
        "gitproxy",
    }
)

# Sub-commands with no option that writes. `status`, `describe --dirty` and a worktree
# `diff` refresh .git/index under index.lock, which a concurrent `git add` of the user
# then finds taken: status passes only with optional locks off, the others not at all.
_READ_ONLY = frozenset(
    {
        "status",
        "rev-parse",
        "ls-files",
        "cat-file",
        "for-each-ref",
        "merge-base",
        "rev-list",
        "ls-tree",
        "version",
        "describe",
        "show-ref",
        "check-ignore",
        "check-attr",
        "blame",
        "annotate",
        "shortlog",
        "name-rev",
        "var",
        "count-objects",
        "cherry",
    }
)
# Sub-commands that are read-only unless told to write their output to a file.
_READ_UNLESS_OUTPUT = frozenset(
    {"log", "show", "diff", "whatchanged", "diff-tree", "diff-index", "diff-files", "grep"}
)

_CONFIG_READ_FLAGS = frozenset(
    {
        "--get",
        "--get-all",
        "--get-regexp",
        "--get-urlmatch",
        "--get-color",
        "--get-colorbool",
        "-l",
        "--list",
    }
)
_CONFIG_WRITE_FLAGS = frozenset(
    {
        "--add",
        "--replace-all",
        "--unset",
        "--unset-all",
        "--rename-section",
        "--remove-section",
        "-e",
        "--edit",
    }
)
_CONFIG_VALUE_OPTIONS = frozenset({"-f", "--file", "--blob", "--type", "--default", "--comment"})

# branch/tag: listing is read-only; these create, delete, move or configure.
_BRANCH_WRITE = frozenset(
    {
        "--delete",
        "--move",
        "--copy",
        "--set-upstream-to",
        "--unset-upstream",
        "--edit-description",
        "--force",
        "--track",
        "--no-track",
        "--create-reflog",
        "--recurse-submodules",
    }
)
_BRANCH_WRITE_SHORT = frozenset("dDmMcCuft")
_TAG_WRITE = frozenset(
    {
        "--delete",
        "--annotate",
        "--sign",
        "--local-user",
        "--force",
        "--message",
        "--file",
        "--edit",
        "--cleanup",
        "--create-reflog",
    }
)
_TAG_WRITE_SHORT = frozenset("dasufmFe")
_LIST_VALUE_OPTIONS = frozenset(
    {"--contains", "--no-contains", "--merged", "--no-merged", "--points-at", "--format", "--sort"}
)

# Characters that make a shell command more than one plain command line.
_SHELL_META = frozenset(";&|<>()$`\\\n*?[]{}~!#")
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})


# Environment that hands git configuration (or a program to run) from outside the
# command line: GIT_CONFIG_COUNT/KEY_n/VALUE_n and GIT_CONFIG_PARAMETERS are what
# `-c` becomes, so they can set core.fsmonitor or include.path unseen.
_CONFIG_ENV = ("GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "GIT_EXTERNAL_DIFF")


def _is_command_key(assignment: str) -> bool:
    """A ``-c`` key that names a program or pulls in more configuration (``include.path``)."""
    key = assignment.partition("=")[0].lower()
    section, _, rest = key.partition(".")
    name = rest.rpartition(".")[2] if rest else section
    if section in ("include", "includeif"):
        return True
    return section in _COMMAND_KEY_SECTIONS or name in _COMMAND_KEY_NAMES


def _config_from_env(env: Mapping[str, str]) -> bool:
    """Does the environment carry git configuration the command line does not show?"""
    return any(env.get(name, "").strip() not in ("", "0") for name in _CONFIG_ENV)


def _split_globals(args: Sequence[str]) -> tuple[str | None, list[str], bool] | None:
    """Skip git's global options: ``(sub-command, its args, no optional locks)``, or None if unsafe.

    A sub-command of ``None`` means git only answers a query (``git --version``).
    ``--config-env`` is always unsafe: its value comes from a variable not shown.
    """
    no_locks = False
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-"):
            return arg, list(args[i + 1 :]), no_locks
        name, eq, value = arg.partition("=")
        if arg in _GLOBAL_QUERIES:
            return None, [], no_locks
        if arg in _GLOBAL_FLAGS:
            no_locks = no_locks or arg == "--no-optional-locks"
            i += 1
            continue
        if name == "--config-env":
            return None
        if arg in ("-C", "-c") or (name in _GLOBAL_WITH_VALUE and name.startswith("--")):
            if not eq:
                if i + 1 >= len(args):
                    return None
                value = args[i + 1]
                i += 1
        elif arg[:2] in ("-C", "-c"):
            name, value = arg[:2], arg[2:]  # attached form: -Cdir, -ckey=value
        else:
            return None  # an unknown global option: could mean anything
        if name == "-c" and _is_command_key(value):
            return None
        i += 1
    return None, [], no_locks


def _positionals(args: Sequence[str], value_options: frozenset[str]) -> list[str]:
    """Non-option arguments, skipping the values of ``value_options`` (``--`` ends options)."""
    found: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            found.extend(args[i + 1 :])
            break
        if arg.startswith("-") and arg != "-":
            if arg in value_options:
                i += 1
        else:
            found.append(arg)
        i += 1
    return found


def _writes_listing(
    args: Sequence[str], long_writes: frozenset[str], short: frozenset[str]
) -> bool:
    """For branch/tag: does any option create, delete or change something?"""
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--"):
            if arg.partition("=")[0] in long_writes:
                return True
        elif arg.startswith("-") and len(arg) > 1 and short & set(arg[1:]):
            return True
    return False


def _listing_read_only(
    args: Sequence[str], long_writes: frozenset[str], short: frozenset[str]
) -> bool:
    if _writes_listing(args, long_writes, short):
        return False
    listing = "--list" in args or "-l" in args
    return listing or not _positionals(args, _LIST_VALUE_OPTIONS)


def _config_read_only(args: Sequence[str]) -> bool:
    flags = {arg.partition("=")[0] for arg in args if arg.startswith("-")}
    if flags & _CONFIG_WRITE_FLAGS:
        return False
    positionals = _positionals(args, _CONFIG_VALUE_OPTIONS)
    if positionals[:1] in (["get"], ["list"]):  # git 2.46+ sub-command syntax
        return True
    if positionals[:1] and positionals[0] in ("set", "unset", "rename-section", "remove-section"):
        return False
    if flags & _CONFIG_READ_FLAGS:
        return True
    return len(positionals) == 1  # legacy `git config name` reads; `name value` writes


def _sub_command_read_only(sub: str, args: list[str], no_locks: bool) -> bool:
    if sub == "status":
        # status refreshes .git/index under index.lock unless optional locks are off:
        # a guarded status loop made concurrent `git add`s fail ("index.lock: File exists").
        return no_locks
    if sub == "describe" and any(a.startswith(("--dirty", "--broken")) for a in args):
        return False  # refreshes the index under index.lock, even with optional locks off
    if sub == "diff" and not any(a in ("--cached", "--staged", "--no-index") for a in args):
        return False  # a worktree diff does too (checked on git 2.39); diff-files does not
    if sub in _READ_ONLY:
        return True
    if sub in _READ_UNLESS_OUTPUT:
        return not any(
            arg.startswith("--output") or arg.startswith(("-O", "--open-files-in-pager"))
            for arg in args
        )
    if sub == "config":
        return _config_read_only(args)
    if sub == "remote":
        words = _positionals(args, frozenset())
        return not words or words[0] in ("get-url", "show")
    if sub == "branch":
        return "--show-current" in args or _listing_read_only(
            args, _BRANCH_WRITE, _BRANCH_WRITE_SHORT
        )
    if sub == "tag":
        return _listing_read_only(args, _TAG_WRITE, _TAG_WRITE_SHORT)
    if sub == "symbolic-ref":
        if any(arg in ("-d", "--delete", "-m") for arg in args):
            return False
        return len(_positionals(args, frozenset({"-m"}))) == 1
    if sub in ("worktree", "stash"):
        words = _positionals(args, frozenset())
        allowed = ("list",) if sub == "worktree" else ("list", "show")
        return bool(words) and words[0] in allowed
    return False


def is_read_only_git(args: Sequence[str], env: Mapping[str, str] | None = None) -> bool:
    """True when ``git *args`` (arguments after the program name) cannot change the repository.

    ``env`` is the environment git will run with (``None``: this process's):
    configuration smuggled in through it makes any command unsafe, and
    ``GIT_OPTIONAL_LOCKS=0`` there counts as ``--no-optional-locks``.
    """
    environ = os.environ if env is None else env
    if _config_from_env(environ):
        return False
    split = _split_globals(args)
    if split is None:
        return False
    sub, rest, no_locks = split
    no_locks = no_locks or environ.get("GIT_OPTIONAL_LOCKS", "").strip() == "0"
    return sub is None or _sub_command_read_only(sub, rest, no_locks)


def _program_name(program: str) -> str:
    name = os.path.basename(program)
    return name[:-4] if name.lower().endswith(".exe") else name


def is_read_only_command(
    program: str | None, argv: Sequence[str], env: Mapping[str, str] | None = None
) -> bool:
    """True for a known read-only git invocation, directly or as a plain ``sh -c`` line.

    ``program`` is the executable the OS runs (``None`` means ``argv[0]``);
    ``argv`` includes ``argv[0]``; ``env`` the child's environment (``None``:
    inherited from this process). A shell line counts only when it is a single
    simple command with no expansion, redirection or operator.
    """
    if not argv:
        return False
    name = _program_name(program or argv[0])
    if name == "git":
        return is_read_only_git(argv[1:], env)
    if name in _SHELLS and len(argv) == 3 and argv[1] == "-c":
        return is_read_only_shell(argv[2], env)
    return False


def is_read_only_shell(command: str, env: Mapping[str, str] | None = None) -> bool:
    """True when a shell command line is exactly one read-only git invocation."""
    if _SHELL_META & set(command):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    return bool(words) and _program_name(words[0]) == "git" and is_read_only_git(words[1:], env)
