"""Which subprocesses a read scope lets through (kitty_fs._guard_git), by command line alone."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kitty_fs._guard_git import (
    _READ_ONLY,
    _READ_UNLESS_OUTPUT,
    is_read_only_command,
    is_read_only_git,
    is_read_only_shell,
)

# The environment a read scope gives its children (GuardScope sets it when it is unset).
LOCKS_OFF = {"GIT_OPTIONAL_LOCKS": "0"}

READ_ONLY = [
    "status",
    "status --porcelain -z --untracked-files=all",
    "rev-parse --show-toplevel",
    "rev-parse HEAD",
    "log --oneline -5",
    "show HEAD:README.md",
    "diff --cached --stat HEAD~1",
    "diff --no-index a b",
    "ls-files -z",
    "cat-file -p HEAD",
    "for-each-ref refs/heads",
    "remote",
    "remote -v",
    "remote get-url origin",
    "config --get user.name",
    "config --get-all remote.origin.url",
    "config --list",
    "config -l --show-origin",
    "config user.email",
    "config get user.name",
    "config --file .gitmodules --get-regexp path",
    "branch --show-current",
    "branch",
    "branch -a -vv",
    "branch --list feature/*",
    "branch --contains HEAD",
    "tag",
    "tag -l v*",
    "describe --tags --always",
    "symbolic-ref HEAD",
    "symbolic-ref --short -q HEAD",
    "merge-base HEAD main",
    "rev-list --count HEAD",
    "ls-tree -r HEAD",
    "version",
    "worktree list --porcelain",
    "stash list",
    "grep -n needle",
    "",
    "--version",
]
MUTATING = [
    "add README.md",
    "commit -m message",
    "checkout -- README.md",
    "checkout main",
    "restore README.md",
    "reset --hard",
    "stash",
    "stash push",
    "fetch origin",
    "pull",
    "push",
    "gc",
    "init",
    "clean -fdx",
    "rm README.md",
    "mv a b",
    "config user.name someone",
    "config --unset user.name",
    "config --add a.b c",
    "config set user.name x",
    "config --get a.b --unset",
    "remote add origin https://example.invalid/x",
    "remote set-url origin x",
    "branch new-branch",
    "branch -d old",
    "branch -D old",
    "branch -m a b",
    "branch --set-upstream-to=origin/main",
    "tag v1.0",
    "tag -a v1 -m x",
    "tag -d v1",
    "symbolic-ref HEAD refs/heads/other",
    "symbolic-ref -d HEAD",
    "log --output=log.txt",
    "diff --output out.patch",
    "grep -Ovim needle",
    "worktree add ../x",
    "update-index --refresh",
    "notes add -m x",
    "format-patch -1",
    "apply x.patch",
    "st",  # an alias: could be anything
    "help status",
    # these refresh .git/index under index.lock even with optional locks off (git 2.39)
    "diff",
    "diff --stat HEAD~1",
    "describe --dirty",
    "describe --broken --tags",
]


@pytest.mark.parametrize("args", READ_ONLY)
def test_read_only_git_commands_pass(args: str) -> None:
    assert is_read_only_git(args.split(), LOCKS_OFF)
    assert is_read_only_command(None, ["git", *args.split()], LOCKS_OFF)
    assert is_read_only_command("/usr/bin/git", ["git", *args.split()], LOCKS_OFF)


@pytest.mark.parametrize("args", MUTATING)
def test_mutating_git_commands_are_refused(args: str) -> None:
    assert not is_read_only_git(args.split(), LOCKS_OFF)


@pytest.mark.parametrize("args", ["status", "status --porcelain", "-C /x status -s"])
def test_status_is_a_read_only_with_optional_locks_off(args: str) -> None:
    words = args.split()
    assert not is_read_only_git(words, {})
    assert not is_read_only_git(words, {"GIT_OPTIONAL_LOCKS": "1"})
    assert is_read_only_git(words, LOCKS_OFF)
    assert is_read_only_git(["--no-optional-locks", *words], {})
    assert not is_read_only_command("/bin/sh", ["sh", "-c", f"git {args}"], {})
    assert is_read_only_command("/bin/sh", ["sh", "-c", f"git {args}"], LOCKS_OFF)


@pytest.mark.parametrize(
    "env",
    [
        {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.fsmonitor", "GIT_CONFIG_VALUE_0": "x"},
        {"GIT_CONFIG_PARAMETERS": "'core.fsmonitor'='touch x'"},
        {"GIT_CONFIG_PARAMETERS": "'include.path'='/tmp/evil.cfg'"},
        {"GIT_EXTERNAL_DIFF": "touch"},
    ],
)
def test_configuration_from_the_environment_makes_any_git_command_unsafe(
    env: dict[str, str],
) -> None:
    for args in (["status"], ["log", "-1"], ["rev-parse", "HEAD"], ["--version"]):
        assert not is_read_only_git(args, {**LOCKS_OFF, **env}), args
    assert is_read_only_git(["log", "-1"], {**LOCKS_OFF, "GIT_CONFIG_COUNT": "0"})


@pytest.mark.parametrize(
    "prefix",
    [
        ["-C", "/some/dir"],
        ["-C/some/dir"],
        ["-c", "core.quotepath=off"],
        ["-ccolor.ui=never"],
        ["--no-pager"],
        ["--git-dir=/x/.git", "--work-tree", "/x"],
        ["--no-optional-locks", "-P"],
    ],
)
def test_safe_global_options_keep_a_read_a_read(prefix: list[str]) -> None:
    assert is_read_only_git([*prefix, "status"], LOCKS_OFF)
    assert not is_read_only_git([*prefix, "add", "x"], LOCKS_OFF)


@pytest.mark.parametrize(
    "prefix",
    [
        ["-c", "core.pager=touch x"],
        ["-c", "core.fsmonitor=touch x"],
        ["-c", "diff.external=touch"],
        ["-c", "alias.status=!touch x"],
        ["-c", "filter.lfs.smudge=x"],
        ["-c", "core.sshCommand=x"],
        ["--config-env=core.pager=PAGER"],
        ["--config-env=user.name=NAME"],  # the value comes from a variable nobody sees
        ["--config-env", "user.name=NAME"],
        ["-c", "include.path=/tmp/evil.cfg"],
        ["-c", "includeIf.gitdir:/x/.path=/tmp/evil.cfg"],
        ["-cinclude.path=/tmp/evil.cfg"],
        ["--exec-path=/tmp/evil"],
        ["-c"],  # missing value
        ["--unknown-global"],
    ],
)
def test_global_options_that_may_run_programs_are_refused(prefix: list[str]) -> None:
    assert not is_read_only_git([*prefix, "status"] if prefix != ["-c"] else prefix, LOCKS_OFF)


def test_other_programs_and_shell_lines() -> None:
    assert not is_read_only_command(None, [])
    assert not is_read_only_command(None, ["touch", "x"])
    assert not is_read_only_command("/bin/touch", ["git", "status"], LOCKS_OFF)  # what runs
    assert is_read_only_command("C:/Git/bin/git.exe", ["git", "status"], LOCKS_OFF)
    assert is_read_only_command("/bin/sh", ["/bin/sh", "-c", "git status --porcelain"], LOCKS_OFF)
    assert not is_read_only_command("/bin/sh", ["/bin/sh", "-c", "git status > out"], LOCKS_OFF)
    assert not is_read_only_command("/bin/sh", ["/bin/sh", "-x", "git status"], LOCKS_OFF)
    assert is_read_only_shell("git -C '/a dir' rev-parse HEAD")
    for line in ["git status; touch x", "git status && rm x", "git log $(x)", "git 'unclosed"]:
        assert not is_read_only_shell(line)
    assert not is_read_only_shell("FOO=1 git status")
    assert not is_read_only_shell("")


_LISTED = _READ_ONLY | _READ_UNLESS_OUTPUT
_CONDITIONAL = {"config", "remote", "branch", "tag", "symbolic-ref", "worktree", "stash"}


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12))
def test_unknown_sub_commands_are_refused(word: str) -> None:
    assume(not word.startswith("-") and word not in _LISTED | _CONDITIONAL)
    assert not is_read_only_git([word])
    assert not is_read_only_git(["-C", "/x", word, "--version"])


@given(
    st.sampled_from(READ_ONLY),
    st.lists(st.sampled_from(["--no-pager", "-C", "-c"]), max_size=4),
    st.text(alphabet="abc./ ", max_size=8),
)
def test_read_only_stays_read_only_behind_safe_globals(
    args: str, options: list[str], value: str
) -> None:
    prefix: list[str] = []
    for option in options:
        prefix += [option] if option == "--no-pager" else [option, f"x.y={value}"]
    assert is_read_only_git([*prefix, *args.split()], LOCKS_OFF)


@given(st.sampled_from(READ_ONLY[:7]), st.sampled_from(["--output=x", "--output"]))
def test_an_output_file_makes_any_log_like_command_a_write(args: str, option: str) -> None:
    words = args.split()
    if words[0] in {"log", "show", "diff"}:
        assert not is_read_only_git([*words, option, "file"])


# --- the documented read-only command lines, and what makes one a write ---
# (Found by the guard's mutation check: each row kills a mutant no test above noticed.)

READS = [
    *(
        ["status"],
        ["rev-parse", "HEAD"],
        ["ls-files"],
        ["cat-file", "-t", "HEAD"],
        ["for-each-ref"],
        ["merge-base", "HEAD", "main"],
        ["rev-list", "HEAD"],
        ["ls-tree", "HEAD"],
        ["version"],
        ["describe"],
        ["show-ref"],
        ["check-ignore", "x"],
        ["check-attr", "-a", "x"],
        ["blame", "README.md"],
        ["annotate", "README.md"],
        ["shortlog", "-s"],
        ["name-rev", "HEAD"],
        ["var", "GIT_EDITOR"],
        ["count-objects", "-v"],
        ["cherry", "main"],
    ),
    *(
        ["log"],
        ["show"],
        ["diff", "--cached"],
        ["whatchanged"],
        ["diff-tree", "HEAD"],
        ["diff-index", "HEAD"],
        ["diff-files"],
        ["grep", "needle"],
    ),
    *(
        [flag, "status"]
        for flag in [
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
        ]
    ),
    *(
        [option, value, "status"]
        for option, value in [
            ("--git-dir", "/x/.git"),
            ("--work-tree", "/x"),
            ("--namespace", "ns"),
            ("--super-prefix", "sub/"),
        ]
    ),
    *(
        [query]
        for query in ["--version", "--exec-path", "--html-path", "--man-path", "--info-path"]
    ),
    *(
        ["config", "--get", "a.b", "value-pattern"],
        ["config", "--get-all", "a.b", "value-pattern"],
        ["config", "--get-regexp", "a", "value-pattern"],
        ["config", "--get-urlmatch", "http", "https://example.invalid"],
        ["config", "--get-color", "color.diff.new", "green"],
        ["config", "--get-colorbool", "color.diff", "true"],
        ["config", "-l"],
        ["config", "--list"],
    ),
    *(
        ["config", option, value, "a.b"]
        for option, value in [
            ("-f", "x.cfg"),
            ("--file", "x.cfg"),
            ("--blob", "HEAD:.gitmodules"),
            ("--type", "bool"),
            ("--default", "x"),
        ]
    ),
    *(
        ["branch", "--contains", "HEAD"],
        ["branch", "--no-contains", "HEAD"],
        ["branch", "--merged", "main"],
        ["branch", "--no-merged", "main"],
        ["tag", "--points-at", "HEAD"],
        ["branch", "--format", "%(refname)"],
        ["branch", "--sort", "refname"],
    ),
    ["remote", "show", "origin"],
    ["stash", "show"],
]

BRANCH_WRITES = [
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
    *(f"-{flag}" for flag in "dDmMcCuft"),
]
TAG_WRITES = [
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
    *(f"-{flag}" for flag in "dasufmFe"),
]
CONFIG_WRITES = [
    "--add",
    "--replace-all",
    "--unset",
    "--unset-all",
    "--rename-section",
    "--remove-section",
    "-e",
    "--edit",
]
WRITES = [
    *(["branch", option] for option in BRANCH_WRITES),  # no name: would be a listing
    *(["tag", option] for option in TAG_WRITES),
    *(["config", "--get", "a.b", option] for option in CONFIG_WRITES),  # a write flag wins
    ["symbolic-ref", "--delete", "HEAD"],
    ["grep", "--open-files-in-pager=touch", "needle"],
]

# -c keys that name a program git would run (the variable is the key's last part).
COMMAND_KEYS = [
    "alias.st",
    "filter.lfs.clean",
    "pager.status",
    "core.pager",
    "core.editor",
    "core.askPass",
    "core.fsmonitor",
    "core.sshCommand",
    "core.hooksPath",
    "diff.external",
    "diff.tool.textconv",
    "diff.tool.command",
    "gpg.program",
    "credential.helper",
    "core.alternateRefsCommand",
    "uploadpack.packObjectsHook",
    "interactive.diffFilter",
    "remote.origin.uploadpack",
    "remote.origin.receivepack",
    "core.gitProxy",
]


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_documented_read_only_git_command_lines(args: list[str]) -> None:
    assert is_read_only_git(args, LOCKS_OFF)


@pytest.mark.parametrize("args", WRITES, ids=" ".join)
def test_git_options_that_write(args: list[str]) -> None:
    assert not is_read_only_git(args)


@pytest.mark.parametrize("key", COMMAND_KEYS)
def test_config_keys_that_name_programs_are_refused_in_every_form(key: str) -> None:
    for prefix in (["-c", f"{key}=touch x"], [f"-c{key}=touch x"], ["--config-env", f"{key}=V"]):
        assert not is_read_only_git([*prefix, "status"]), prefix


@pytest.mark.parametrize("shell", ["sh", "bash", "dash", "zsh", "ksh"])
def test_known_shells_running_one_git_read(shell: str) -> None:
    assert is_read_only_command(f"/bin/{shell}", [shell, "-c", "git status"], LOCKS_OFF)


@pytest.mark.parametrize(
    "line",
    [
        "git status ; touch x",
        "git status & touch x",
        "git status | tee x",
        "git status > x",
        "git log $OUT",
        "git log `touch x`",
        "git status\ntouch x",
        "git log *",  # a file named --output=x in the cwd would become an option
        "git log ?",
        "touch status",  # the line must run git
    ],
    ids=repr,
)
def test_shell_lines_that_may_write(line: str) -> None:
    assert not is_read_only_shell(line)
