"""The hostile-input catalog: one table of inputs, commands, exit codes and first lines.

Why one table: the same rows drive ``test_hostile_inputs.py`` (every row is a
real ``spec-kitty`` subprocess in a real temporary repository) and render
``docs/hostile-inputs.md`` (``hostile_report``), so the documentation can never promise a behaviour
the suite does not check. ``KITTY_WRITE_CATALOG=1`` rewrites the document.
The environments each row runs in are built by ``hostile_envs``.

A row's ``line`` is the first line the user sees (stderr when the command
printed there, else stdout), with temporary paths, uuids and event ids replaced
by placeholders (see ``hostile_report.normalize``). A row with a ``Defect`` is a known CLI bug:
``line`` is the behaviour after the fix, the ``Defect`` today's; once the fix
lands, delete the ``defect=`` and regenerate the document.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hostile_envs import (
    BASE_CONFIG,
    MISSION,
    UUID,
    Env,
    bare_repo,
    config_dir,
    dangling_symlink,
    git_dir_elsewhere,
    git_worktree,
    git_worktree_stale,
    huge_config,
    kittify_file,
    kittify_missing,
    mission_symlink_loop,
    nested_project_state,
    not_git,
    not_git_with_kittify,
    outside_cwd,
    outside_dir,
    plain_repo,
    read_only_dir,
    read_only_fs,
    state_home_above,
    state_home_in_repo,
    symlink_out,
    tmpdir_in_repo,
    unreadable_config,
    with_config,
)

from specify_cli.cli._exit import ExitCode

__all__ = ["CASES", "COMMANDS", "Case", "Defect", "Run", "err"]

# The commands every configuration row runs: three reads and two writes.
COMMANDS: Mapping[str, tuple[str, ...]] = {
    "sync status": ("sync", "status"),
    "events emit": ("events", "emit", "mission.started"),
    "tracker status": ("tracker", "status"),
    "init": ("init",),
    "tracker bind": (
        "tracker",
        "bind",
        "--provider",
        "jira",
        "--project-slug",
        "demo-project",
        "--binding-ref",
        "bind-001",
    ),
}


@dataclass(frozen=True)
class Defect:
    """A known CLI defect: why the row fails, and what the command does today.

    ``message`` is what follows ``error [CODE]: `` for an error, the whole first
    line for exit 0. The test checks today's behaviour too, so the document's
    "today" column is as true as its target column.
    """

    reason: str
    exit: ExitCode
    message: str
    code: str | None = None


@dataclass(frozen=True)
class Run:
    """One command against one input, and what the user must get."""

    command: str
    argv: tuple[str, ...]
    exit: ExitCode
    line: str
    writes: bool = False  # the command is meant to create or change the config
    # What else it is meant to create or change (placeholders: ``<repo>/...``, ``<tmp>/...``).
    changes: tuple[str, ...] = ()
    defect: Defect | None = None  # a known CLI defect: ``line`` is then the fixed behaviour
    shown: str | None = None  # how the document shows the last argument (long or binary)

    def today(self) -> tuple[ExitCode, str] | None:
        """Exit code and first line the command gives today, when that is a known defect."""
        if self.defect is None:
            return None
        found = self.defect
        if found.exit == ExitCode.OK:
            return found.exit, found.message
        return found.exit, err(self.command, found.code or found.exit.name, found.message)


@dataclass(frozen=True)
class Case:
    """One hostile input: how to build it and what each command does with it."""

    id: str
    input: str
    setup: Callable[[Path, Callable[[], Path]], Env]
    runs: tuple[Run, ...]
    names: str | None = None  # the path (placeholders) every error message must name
    fix: str | None = None  # what every error's `fix:` line must say (placeholders)
    needs: str | None = None  # "ro-mount", "drop-dac" or "other-fs": how the case is made


# --- hostile config texts -------------------------------------------------------------------

MALFORMED = BASE_CONFIG.replace("  slug: demo-project\n", "  slug: [demo-project\n")
NON_UTF8 = BASE_CONFIG.encode().replace(b"slug: demo-project", b"slug: d\xe9mo-project")
BOM = b"\xef\xbb\xbf" + BASE_CONFIG.encode()
DUPLICATE_KEY = BASE_CONFIG.replace(
    "  slug: demo-project\n", "  slug: demo-project\n  uuid: 87654321-4321-8765-4321-876543218765\n"
)
DUPLICATE_SECTION = BASE_CONFIG + "project:\n  uuid: 87654321-4321-8765-4321-876543218765\n"
PROJECT_LIST = "project:\n  - uuid\n  - slug\n" + BASE_CONFIG[BASE_CONFIG.index("tracker:") :]
PROJECT_STRING = "project: demo-project\n" + BASE_CONFIG[BASE_CONFIG.index("tracker:") :]
TRACKER_LIST = BASE_CONFIG[: BASE_CONFIG.index("tracker:")] + "tracker:\n  - jira\n  - bind-001\n"
TRACKER_STRING = BASE_CONFIG[: BASE_CONFIG.index("tracker:")] + "tracker: jira\n"
INVALID_UUID = BASE_CONFIG.replace(UUID, "not-a-uuid")


def _alias_bomb(levels: int = 9, width: int = 10) -> str:
    """The billion-laughs shape: each anchor holds ``width`` aliases of the one before."""
    names = "abcdefghijklmnop"[:levels]
    lines = [f"  a: &a [{', '.join(['lol'] * width)}]"]
    for prev, name in itertools.pairwise(names):
        lines.append(f"  {name}: &{name} [{', '.join(['*' + prev] * width)}]")
    return BASE_CONFIG + "bomb:\n" + "\n".join(lines) + "\n"


ALIAS_BOMB = _alias_bomb()
DEEP_NESTING = BASE_CONFIG + "deep: " + "[" * 200 + "]" * 200 + "\n"


# --- the catalog -----------------------------------------------------------------------------

CONFIG_PH = "<repo>/.kittify/config.yaml"
PARSE_FIX = "restore it with `git checkout -- .kittify/config.yaml`"

# What each command prints first when the input does it no harm.
OK_LINES: Mapping[str, str] = {
    "sync status": "sync:      enabled (authenticated)",
    "events emit": (
        "queued mission.started <event-id> for project <uuid> (build <uuid>); "
        "deliver with `spec-kitty sync push`"
    ),
    "tracker status": "tracker:   jira / demo-project",
    "init": "already initialized: demo-project (<uuid>)",
    "tracker bind": (
        "already bound: jira / demo-project (binding_ref bind-001) in .kittify/config.yaml"
    ),
}
STALE_HINT = (
    "hint: the server reports binding_ref 'bind-001' (stored: 'bind-000'); "
    "run `spec-kitty tracker apply` to store the new binding_ref"
)
READS = ("sync status", "events emit", "tracker status")
WRITES = ("init", "tracker bind")
USES_PROJECT = ("sync status", "events emit", "init")
USES_TRACKER = ("tracker status", "tracker bind")


def err(command: str, code: str, message: str) -> str:
    return f"spec-kitty {command}: error [{code}]: {message}"


def fails(
    exit_code: ExitCode,
    message: str,
    commands: Sequence[str] = tuple(COMMANDS),
    *,
    code: str | None = None,
    defect: Defect | None = None,
) -> tuple[Run, ...]:
    """The same error from each of ``commands``."""
    shown = code or exit_code.name
    return tuple(
        Run(name, COMMANDS[name], exit_code, err(name, shown, message), defect=defect)
        for name in commands
    )


def works(
    commands: Sequence[str] = tuple(COMMANDS),
    *,
    lines: Mapping[str, str] | None = None,
    writes: Sequence[str] = (),
) -> tuple[Run, ...]:
    """Exit 0 from each of ``commands``, printing ``OK_LINES`` unless ``lines`` says otherwise."""
    shown = {**OK_LINES, **(lines or {})}
    return tuple(
        Run(name, COMMANDS[name], ExitCode.OK, shown[name], writes=name in writes)
        for name in commands
    )


def emit(payload: str, exit_code: ExitCode, line: str, **extra: object) -> Run:
    argv = ("events", "emit", "mission.started", "--payload", payload)
    return Run("events emit", argv, exit_code, line, **extra)  # type: ignore[arg-type]


def _invalid_event(message: str) -> str:
    return err("events emit", "INVALID_EVENT", message)


_NAMED = "names the config"
HUGE_PAYLOAD = '{"blob": "' + "x" * (120 * 1024) + '"}'
DEEP_PAYLOAD = "[" * 60_000 + "]" * 60_000
NON_UTF8_PAYLOAD = b'{"a": "\xff\xfe"}'.decode("utf-8", "surrogateescape")

CASES: tuple[Case, ...] = (
    Case(
        "malformed-yaml",
        "malformed YAML (an unclosed `[` in `project.slug`)",
        with_config(MALFORMED),
        fails(ExitCode.INVALID_CONFIG, f"{CONFIG_PH}:5: expected ',' or ']', but got ':'"),
        names=CONFIG_PH,
        fix=PARSE_FIX,
    ),
    Case(
        "non-utf8",
        "non-UTF-8 bytes (Latin-1 `é` in `project.slug`)",
        with_config(NON_UTF8),
        fails(ExitCode.INVALID_CONFIG, f"{CONFIG_PH}:4: not valid UTF-8 (byte 0xe9 at offset 115)"),
        names=CONFIG_PH,
        fix=PARSE_FIX,
    ),
    Case(
        "utf8-bom",
        "a UTF-8 byte-order mark before a valid config",
        with_config(BOM),
        works(),
    ),
    Case(
        "duplicate-key",
        "a duplicate key (`project.uuid` twice, different values)",
        with_config(DUPLICATE_KEY),
        fails(
            ExitCode.INVALID_CONFIG,
            f'{CONFIG_PH}:5: duplicate key "uuid" (a key may appear only once in a mapping)',
        ),
        names=CONFIG_PH,
        fix=PARSE_FIX,
    ),
    Case(
        "duplicate-section",
        "a duplicate section (`project:` twice)",
        with_config(DUPLICATE_SECTION),
        fails(
            ExitCode.INVALID_CONFIG,
            f'{CONFIG_PH}:11: duplicate key "project" (a key may appear only once in a mapping)',
        ),
        names=CONFIG_PH,
        fix=PARSE_FIX,
    ),
    Case(
        "project-list",
        "`project:` as a list",
        with_config(PROJECT_LIST),
        fails(
            ExitCode.INVALID_CONFIG,
            f"{CONFIG_PH}: section 'project' must be a mapping, found a list",
            USES_PROJECT,
        )
        + works(USES_TRACKER),
        names=CONFIG_PH,
        fix="rewrite 'project:' as key: value lines",
    ),
    Case(
        "project-string",
        "`project:` as a string",
        with_config(PROJECT_STRING),
        fails(
            ExitCode.INVALID_CONFIG,
            f"{CONFIG_PH}: section 'project' must be a mapping, found a string",
            USES_PROJECT,
        )
        + works(USES_TRACKER),
        names=CONFIG_PH,
        fix="rewrite 'project:' as key: value lines",
    ),
    Case(
        "tracker-list",
        "`tracker:` as a list",
        with_config(TRACKER_LIST),
        works(USES_PROJECT)
        + fails(
            ExitCode.INVALID_CONFIG,
            f"{CONFIG_PH}: section 'tracker' must be a mapping, found a list",
            USES_TRACKER,
        ),
        names=CONFIG_PH,
        fix="rewrite 'tracker:' as key: value lines",
    ),
    Case(
        "tracker-string",
        "`tracker:` as a string",
        with_config(TRACKER_STRING),
        works(USES_PROJECT)
        + fails(
            ExitCode.INVALID_CONFIG,
            f"{CONFIG_PH}: section 'tracker' must be a mapping, found a string",
            USES_TRACKER,
        ),
        names=CONFIG_PH,
        fix="rewrite 'tracker:' as key: value lines",
    ),
    Case(
        "invalid-uuid",
        "an invalid uuid (`project.uuid: not-a-uuid`)",
        with_config(INVALID_UUID),
        fails(
            ExitCode.INVALID_CONFIG,
            f"{CONFIG_PH}: project.uuid 'not-a-uuid' is not a valid UUID",
            USES_PROJECT,
        )
        + works(USES_TRACKER),
        names=CONFIG_PH,
        fix="git checkout -- .kittify/config.yaml",
    ),
    Case(
        "alias-bomb",
        "a YAML alias bomb (9 levels of 10 aliases: 10^9 nodes)",
        with_config(ALIAS_BOMB),
        fails(
            ExitCode.INVALID_CONFIG,
            f"{CONFIG_PH}: aliases expand to more than 100000 nodes (an alias bomb?)",
        ),
        names=CONFIG_PH,
        fix="remove the repeated anchors/aliases",
    ),
    Case(
        "deep-nesting",
        "200 nested flow sequences (the limit is 50)",
        with_config(DEEP_NESTING),
        fails(ExitCode.INVALID_CONFIG, f"{CONFIG_PH}:11: nested more than 50 levels deep"),
        names=CONFIG_PH,
        fix="nothing was written",
    ),
    Case(
        "huge-config",
        "a 50 MB config (valid YAML padded with comments)",
        huge_config,
        fails(
            ExitCode.INVALID_CONFIG,
            f"{CONFIG_PH} is over the 1048576-byte limit for a config file",
        ),
        names=CONFIG_PH,
        fix="nothing was written",
    ),
    Case(
        "config-directory",
        "`config.yaml` is a directory",
        config_dir,
        fails(ExitCode.INVALID_CONFIG, f"{CONFIG_PH} is a directory, not a config file"),
        names=CONFIG_PH,
        fix="replace .kittify/config.yaml with a regular file",
    ),
    Case(
        "dangling-symlink",
        "`config.yaml` is a dangling symlink",
        dangling_symlink,
        fails(
            ExitCode.INVALID_CONFIG,
            f"{CONFIG_PH} is a dangling or looping symlink (to config.yaml.orig)",
        ),
        names=CONFIG_PH,
        fix="remove the link or point it at a real file inside <repo>",
    ),
    Case(
        "symlink-out",
        "`config.yaml` is a symlink out of the repository",
        symlink_out,
        fails(
            ExitCode.INVALID_CONFIG,
            "path '.kittify/config.yaml' resolves to <tmp>/outside/config.yaml, "
            "outside the root <repo>",
        ),
        names=".kittify/config.yaml",
        fix="replace the link with a regular file inside the repository",
    ),
    Case(
        "kittify-missing",
        "`.kittify/` missing (a git repository never initialized)",
        kittify_missing,
        works(
            lines={
                "sync status": (
                    f"note: not a spec-kitty project yet: {CONFIG_PH} does not exist; "
                    "fix: run `spec-kitty init` to create the project identity"
                ),
                "events emit": (
                    f"note: not a spec-kitty project yet: {CONFIG_PH} does not exist; "
                    "fix: run `spec-kitty init` to create the project identity"
                ),
                "init": "initialized repo (<uuid>)",
                "tracker bind": (
                    "bound: jira / demo-project (binding_ref bind-001) in .kittify/config.yaml"
                ),
            },
            commands=("sync status", "events emit", "init", "tracker bind"),
            writes=WRITES,
        )
        + fails(
            ExitCode.NOT_INITIALIZED,
            f"no tracker binding in {CONFIG_PH} (tracker.provider is not set)",
            ("tracker status",),
            code="TRACKER_NOT_BOUND",
        ),
        names=CONFIG_PH,
        fix="spec-kitty tracker bind",
    ),
    Case(
        "kittify-file",
        "`.kittify` is a file, not a directory",
        kittify_file,
        fails(
            ExitCode.FILESYSTEM,
            f"cannot read {CONFIG_PH}: Not a directory",
        ),
        names=CONFIG_PH,
        fix="<repo>/.kittify is a file where a directory belongs",
    ),
    Case(
        "unreadable-config",
        "`config.yaml` unreadable (mode 000)",
        unreadable_config,
        fails(
            ExitCode.FILESYSTEM,
            f"cannot read {CONFIG_PH}: Permission denied",
        ),
        names=CONFIG_PH,
        fix="make the file and its directory writable (or readable)",
        needs="drop-dac",
    ),
    Case(
        "read-only-dir",
        "a read-only directory (modes 0555/0444; config lacks `build_id`, old binding)",
        read_only_dir,
        works(READS, lines={"tracker status": STALE_HINT})
        + fails(
            ExitCode.FILESYSTEM,
            f"cannot write {CONFIG_PH}: Permission denied",
            WRITES,
        ),
        names=CONFIG_PH,
        fix="make the file and its directory writable",
        needs="drop-dac",
    ),
    Case(
        "read-only-fs",
        "a read-only filesystem (repository bind-mounted read-only; same config)",
        read_only_fs,
        works(READS, lines={"tracker status": STALE_HINT})
        + fails(
            ExitCode.FILESYSTEM,
            f"cannot write {CONFIG_PH}: Read-only file system: <repo>/.kittify",
            WRITES,
        ),
        names=CONFIG_PH,
        fix="the filesystem is mounted read-only",
        needs="ro-mount",
    ),
    Case(
        "not-git",
        "not a git repository (a plain directory)",
        not_git,
        fails(
            ExitCode.NOT_INITIALIZED,
            "<repo> is not inside a git repository or spec-kitty project",
        ),
        names="<repo>",
        fix="cd into your repository (or pass --repo DIR)",
    ),
    Case(
        "not-git-project",
        "not a git repository, but `.kittify/config.yaml` present",
        not_git_with_kittify,
        works(),
    ),
    Case(
        "git-worktree",
        "a linked git worktree (`.git` is a file)",
        git_worktree,
        works(),
    ),
    Case(
        "git-worktree-writes",
        "a linked git worktree whose config lacks `build_id` and has an old binding",
        git_worktree_stale,
        works(
            ("sync status", "tracker status", "init", "tracker bind"),
            lines={
                "tracker status": STALE_HINT,
                "init": "completed the identity of demo-project (<uuid>)",
                "tracker bind": (
                    "bound: jira / demo-project (binding_ref bind-001) in .kittify/config.yaml"
                ),
            },
            writes=WRITES,
        ),
    ),
    Case(
        "git-dir-elsewhere",
        "scoped writes in a linked worktree on disk whose git directory is on tmpfs (kernel layer"
        " on where available)",
        git_dir_elsewhere,
        (
            Run(
                "agent status emit",
                ("agent", "status", "emit", "--mission", MISSION, "--wp", "WP01", "--to", "doing"),
                ExitCode.OK,
                f"{MISSION} WP01 -> doing: appended to kitty-specs/{MISSION}/status.events.jsonl;"
                " queued for sync",
                # The scratch dir is made before the kernel ruleset, whether or not a temp
                # file is then needed (this command appends): nothing could make it later.
                changes=(
                    f"<repo>/kitty-specs/{MISSION}/status.events.jsonl",
                    "<tmp>/.kitty-fs-scratch",
                ),
            ),
            Run(
                "record-analysis",
                ("record-analysis", "--mission", MISSION, "--summary", "notes"),
                ExitCode.OK,
                f"recorded analysis of {MISSION} in kitty-specs/{MISSION}/analysis.md"
                " (commit <commit>)",
                changes=(f"<repo>/kitty-specs/{MISSION}/analysis.md", "<tmp>/.kitty-fs-scratch"),
            ),
        ),
        needs="other-fs",
    ),
    Case(
        "bare-repository",
        "a bare repository",
        bare_repo,
        fails(
            ExitCode.NOT_INITIALIZED,
            "<repo> is a bare git repository (it has no worktree)",
        ),
        names="<repo>",
        fix="git worktree add",
    ),
    Case(
        "repo-dotdot-out",
        "`--repo ../outside`: `..` leading out of the project",
        outside_dir,
        (
            Run(
                "sync status",
                ("--repo", "../outside", "sync", "status"),
                ExitCode.NOT_INITIALIZED,
                err(
                    "sync status",
                    "NOT_INITIALIZED",
                    "<tmp>/outside is not inside a git repository or spec-kitty project",
                ),
            ),
        ),
        names="<tmp>/outside",
        fix="pass --repo DIR",
    ),
    Case(
        "repo-dotdot-back",
        "`--repo ../repo/.kittify/..` from outside: `..` leading back in",
        outside_cwd,
        (Run("init", ("--repo", "../repo/.kittify/..", "init"), ExitCode.OK, OK_LINES["init"]),),
    ),
    Case(
        "repo-missing",
        "`--repo ../missing`: a directory that does not exist",
        plain_repo,
        (
            Run(
                "sync status",
                ("--repo", "../missing", "sync", "status"),
                ExitCode.USAGE,
                err("sync status", "USAGE", "../missing is not a directory"),
            ),
        ),
        names="../missing",
        fix="pass --repo an existing directory",
    ),
    Case(
        "mission-dotdot",
        "`record-analysis --mission ../../escape`",
        plain_repo,
        (
            Run(
                "record-analysis",
                ("record-analysis", "--mission", "../../escape"),
                ExitCode.USAGE,
                err("record-analysis", "USAGE", "invalid mission name '../../escape'"),
            ),
        ),
        fix="lower-case letters, digits and dashes",
    ),
    Case(
        "event-type-dotdot",
        "`events emit ../../x`: an event type with `..`",
        plain_repo,
        (
            Run(
                "events emit",
                ("events", "emit", "../../x"),
                ExitCode.USAGE,
                _invalid_event("invalid event type '../../x'"),
            ),
        ),
        fix="dotted lower-case names",
    ),
    Case(
        "state-home-dotdot",
        "`SPEC_KITTY_HOME=<repo>/.kittify/../state`: `..` leading into the repository",
        state_home_in_repo,
        fails(
            ExitCode.INVALID_CONFIG,
            "the state directory <repo>/.kittify/../state is inside the repository <repo>",
            ("sync status", "init"),
        ),
        names="<repo>/.kittify/../state",
        fix="point SPEC_KITTY_HOME at a directory outside every repository",
    ),
    Case(
        "state-home-above",
        "`SPEC_KITTY_HOME=<tmp>`: the state directory holds the repository ($HOME, /tmp, a CI"
        " workspace)",
        state_home_above,
        fails(
            ExitCode.INVALID_CONFIG,
            "the state directory <tmp> contains the repository <repo>: it would make the whole"
            " repository writable",
            ("sync status", "events emit", "init"),
        ),
        names="<tmp>",
        fix="point SPEC_KITTY_HOME at a directory outside every repository",
    ),
    Case(
        "nested-project-state",
        "a monorepo project (`services/api`) with `SPEC_KITTY_HOME` at the worktree's top",
        nested_project_state,
        fails(
            ExitCode.INVALID_CONFIG,
            "the state directory <repo>/.spec-kitty is inside the git worktree <repo> that"
            " holds the project <repo>/services/api",
            ("sync status", "events emit", "init"),
        ),
        names="<repo>/.spec-kitty",
        fix="point SPEC_KITTY_HOME at a directory outside every repository",
    ),
    Case(
        "tmpdir-in-repo",
        "`TMPDIR=<repo>/.tmp` (ignored): temp files go to the state directory instead",
        tmpdir_in_repo,
        works(("sync status", "events emit", "tracker status")),
    ),
    Case(
        "mission-symlink-loop",
        "a mission that contains itself (`kitty-specs/001-a/self -> .`)",
        mission_symlink_loop,
        (
            Run(
                "dossier sync",
                ("dossier", "sync"),
                ExitCode.OK,
                "001-a: 1 file(s), digest 275069fd4527",
            ),
        ),
    ),
    Case(
        "payload-malformed",
        'a malformed `--payload` (`{"a":`)',
        plain_repo,
        (
            emit(
                '{"a":',
                ExitCode.USAGE,
                _invalid_event(
                    "--payload is not valid JSON: Expecting value: line 1 column 6 (char 5)"
                ),
            ),
        ),
        fix="quote it for the shell",
    ),
    Case(
        "payload-not-object",
        "a `--payload` that is JSON but not an object (`[1]`)",
        plain_repo,
        (
            emit(
                "[1]", ExitCode.USAGE, _invalid_event("--payload must be a JSON object, not a list")
            ),
        ),
        fix="wrap the value",
    ),
    Case(
        "payload-deep",
        "a `--payload` of 60,000 nested arrays",
        plain_repo,
        (
            emit(
                DEEP_PAYLOAD,
                ExitCode.USAGE,
                _invalid_event(
                    "--payload is not valid JSON: maximum recursion depth exceeded while "
                    "decoding a JSON array from a unicode string"
                ),
                shown="'[[[…]]]' (60,000 deep)",
            ),
        ),
        fix="quote it for the shell",
    ),
    Case(
        "payload-nan",
        "a `--payload` with NaN and an out-of-range float",
        plain_repo,
        (
            emit(
                '{"a": NaN, "b": 1e999}',
                ExitCode.USAGE,
                _invalid_event(
                    "event 'mission.started': payload is not JSON: "
                    "Out of range float values are not JSON compliant"
                ),
            ),
        ),
        fix="payloads are JSON objects",
    ),
    Case(
        "payload-huge",
        "a huge `--payload` (120 KiB: one argument cannot exceed 128 KiB on Linux)",
        plain_repo,
        (
            emit(
                HUGE_PAYLOAD,
                ExitCode.OK,
                OK_LINES["events emit"],
                shown='\'{"blob": "xxx…"}\' (120 KiB)',
            ),
        ),
    ),
    Case(
        "payload-non-utf8",
        "a `--payload` with non-UTF-8 bytes (`\\xff\\xfe`)",
        plain_repo,
        (
            emit(
                NON_UTF8_PAYLOAD,
                ExitCode.USAGE,
                _invalid_event("--payload is not valid UTF-8 (byte 0xff at character 7)"),
                shown='$\'{"a": "\\xff\\xfe"}\'',
            ),
        ),
        fix="pass UTF-8 text",
    ),
    Case(
        "payload-lone-surrogate",
        "a `--payload` with a lone surrogate escape (`\\ud800`)",
        plain_repo,
        (
            emit(
                '{"a": "\\ud800"}',
                ExitCode.USAGE,
                _invalid_event(
                    "--payload has a lone surrogate (U+D800), which is not valid Unicode"
                ),
            ),
        ),
        fix="pass UTF-8 text",
    ),
)
