"""A stateful property test over the ``spec-kitty`` command surface (issue 7, part 3).

Hypothesis drives random sequences of four kinds of step against one real git
repository per example, with a real loopback SaaS and the installed
``spec-kitty`` run as a child process:

* read commands (every read command in the registry, so a new one is picked up
  without touching this file), with ``--json``;
* write commands: ``init``, ``tracker bind``, ``tracker apply``, ``record-analysis``;
* server changes: a new ``binding_ref`` offered, sync enabled / disabled /
  unauthenticated / server down, injected faults (HTTP 500, 401, garbage, stale
  binding);
* user edits: a tracked source edit, a new file, an allowlisted bookkeeping file,
  an mtime-only touch, a deleted file (the config included), a comment line, a
  trailing comment or a key of the user's own in ``.kittify/config.yaml``, commit
  everything, commit all but the bookkeeping, ``git stash``, ``git checkout -- .``.

A model predicts, for every step, the set of dirty paths, the resolved identity,
the stored binding, the user's config comments, each command's exit code, which
files a write changes and whether the clean-tree gate refuses. Checked after
every step:

* a read command changes no file below the root (bytes, mtime, mode; ``git
  status`` included) and leaves the identity and binding as they were;
* a write command changes only the file it owns (``.kittify/config.yaml`` or
  ``kitty-specs/M/analysis.md``), only the keys it owns, changes it exactly when
  it has something new to store, and a failing or no-op write changes nothing;
* the resolved identity changes only when a write (``init`` on a project with no
  ``uuid``) or the user (deleting the config, ``stash``/``checkout``) changed it; in
  particular ``init`` on a legacy config persists exactly the ``build_id`` reads
  already resolved, so the identity is the same before and after;
* ``record-analysis`` refuses (exit 5) exactly when there is dirt outside the
  documented allowlist, and names exactly that dirt;
* comments and keys the user added to the config survive every write command,
  each comment exactly once.

Counts: 8 examples of up to 15 steps by default; ``KITTY_FULL=1`` runs 50 x 30.
The test prints the steps it executed (``pytest -s`` shows them). Two fixed walks
(legacy and bare repository) drive the same rules and invariants through every
rule, sync mode, fault and edit kind, so the short default run does not depend on
what hypothesis happened to draw. A failing example is shrunk to a short sequence
of steps, printed as ``state.rule(...)`` calls with each command's output.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import pytest
from _surface_support import (
    COMPLETE_BUILD_ID,
    CONFIG,
    Binding,
    CliResult,
    Identity,
    TreeState,
    closed_port,
    config_data,
    expected_build_id,
    expected_node_id,
    git,
    make_surface_repo,
    porcelain_paths,
    porcelain_raw,
    real_dirt,
    resolved_identity,
    run_cli,
    tracker_binding,
    tree_state,
)
from hypothesis import HealthCheck, Phase, currently_in_test_context, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from specify_cli.saas_reference import ReferenceServer

FULL: Final = os.environ.get("KITTY_FULL") == "1"
MAX_EXAMPLES: Final = 50 if FULL else 8
STEPS: Final = 30 if FULL else 15

TOKEN: Final = "surface-token"
REPO_DIR: Final = "surface-repo"  # its kebab form is the slug init derives (no origin remote)
LEGACY_UUID: Final = "12345678-1234-5678-1234-567812345678"
LEGACY_NODE: Final = "abcdef012345"
# Hypothesis tries the first element of a sampled_from first and shrinks towards it: the
# first binding_ref differs from the legacy config's (bind-001), so even the simplest
# examples have the server offering an upgrade.
REFS: Final = ("bind-002", "bind-003", "bind-001")
PROVIDERS: Final = ("jira", "linear")
SLUGS: Final = ("demo-project", "mobile-app")
MISSIONS: Final = ("001-login", "002-search")
SUMMARIES: Final = ("", "looks good", "needs work: see WP02")
SYNC_MODES: Final = ("enabled", "disabled", "unauthenticated", "down")
FAULTS: Final[Mapping[str, Mapping[str, object]]] = {
    "none": {"status": None, "garbage": False, "stale": None},
    "stale": {"status": None, "garbage": False, "stale": "binding_not_found"},
    "http500": {"status": 500, "garbage": False, "stale": None},
    "garbage": {"status": None, "garbage": True, "stale": None},
    "http401": {"status": 401, "garbage": False, "stale": None},
}
# Files the user edits, by kind. "other" files start untracked (a commit tracks them).
SOURCE_FILES: Final = ("README.md", "src/app.py")
OTHER_FILES: Final = ("notes/todo.txt", "scratch.txt", "kitty-specs/002-search/spec.md")
ALLOWLISTED_FILES: Final = (
    "kitty-specs/001-login/meta.json",
    "kitty-specs/002-search/meta.json",
    ".kittify/encoding-provenance/global.jsonl",
)
# Found by this machine: the gate once matched its allowlist with fnmatch, whose `*`
# crosses `/`, so `kitty-specs/*/meta.json` also waived kitty-specs/001-login/research/
# meta.json, the user's own file. Fixed (segment-wise globs); the edit is in the machine.
NESTED_META_GATE_FIXED: Final = True
NESTED_META: Final = "kitty-specs/001-login/research/meta.json"
GIT_OPERATIONS: Final = ("commit", "commit_work", "stash", "checkout")
CONFIG_EDITS: Final = ("comment", "trailing", "key")
USER_EDITS: Final = ("source", "other", "allowlisted", "touch", "delete") + (
    ("nested_meta",) if NESTED_META_GATE_FIXED else ()
)

# Read commands whose registry contract_argv is not what this test wants to run.
READ_ARGV: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    "events emit": (("mission.started",), ("wp.status_changed", "--payload", '{"wp": "WP01"}')),
    "dashboard run": (("--ticks", "1", "--interval", "0"),),
    "sync status": ((), ("--check",)),
}
# Read commands that report failures in their result instead of failing: always exit 0.
NEVER_FAIL: Final = frozenset(
    {"capabilities", "dashboard tick", "dashboard run", "dossier sync", "lifecycle fanout"}
    | {"events emit"}  # not initialized: nothing queued, a note, exit 0
)
# Exit codes a read command may legitimately end with (2 usage, 4 invalid config, 8 write
# violation, 9 filesystem and 70 internal are bugs here: the inputs are all valid).
READ_OK_CODES: Final = frozenset({0, 1, 3, 6, 7})
# The background reads, richest first (hypothesis tries the first element first): they
# resolve the identity, check the binding with the server and queue events.
BACKGROUND_READS: Final = ("lifecycle fanout", "dashboard tick", "dashboard run", "dossier sync")


def _read_calls() -> list[tuple[str, tuple[str, ...]]]:
    """Every read command of the registry with the arguments to run it with (sorted)."""
    from specify_cli.cli._app import build_registry

    calls = []
    for command in build_registry().of_capability("read"):
        for extra in READ_ARGV.get(command.name, (command.contract_argv,)):
            calls.append((command.name, (*command.name.split(), *extra, "--json")))
    return calls


READ_CALLS: Final = _read_calls()
STATS: Counter[str] = Counter()


@dataclass(frozen=True)
class ConfigModel:
    """What the model knows of ``.kittify/config.yaml`` (one copy for the worktree, one for HEAD).

    ``complete``: uuid, slug, node_id and build_id are all on disk, so ``init``
    has nothing to write. ``comments`` and ``user_keys``: what the user added, which
    every write must keep.
    """

    identity: Identity | None
    complete: bool
    binding: Binding | None
    comments: frozenset[str] = frozenset()
    user_keys: frozenset[str] = frozenset()


def _initial_config(variant: str) -> ConfigModel | None:
    if variant == "bare":
        return None
    legacy = (LEGACY_UUID, "demo-project", LEGACY_NODE)
    if variant == "legacy":
        identity = (*legacy, expected_build_id(LEGACY_UUID, LEGACY_NODE))
    else:
        identity = (*legacy, COMPLETE_BUILD_ID)
    return ConfigModel(identity, variant == "complete", ("jira", "demo-project", "bind-001"))


def _section(data: Mapping[str, object] | None, name: str) -> dict[str, object]:
    value = (data or {}).get(name)
    return dict(value) if isinstance(value, dict) else {}


class CommandSurface(RuleBasedStateMachine):
    """One repository, one server, one state directory per example; see the module doc."""

    def __init__(self) -> None:
        super().__init__()
        self.base = Path(tempfile.mkdtemp(prefix="kitty-surface-")).resolve()
        self.root: Path | None = None
        self.server: ReferenceServer | None = None
        self.down_url = ""
        self.server_ref = REFS[0]
        self.sync_mode = "enabled"
        self.fault = "none"
        self.work: ConfigModel | None = None
        self.head: ConfigModel | None = None
        self.head_config: bytes | None = None
        self.tracked: set[str] = set()
        self.dirty: set[str] = set()
        self.counter = 0

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def repo(self) -> Path:
        assert self.root is not None
        return self.root

    def teardown(self) -> None:
        if self.server is not None:
            self.server.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def env(self) -> dict[str, str]:
        assert self.server is not None
        env = {
            "SPEC_KITTY_HOME": os.fspath(self.base / "home"),
            # The repository is not below the child's temp dir, as on a user's machine, so
            # the dispatcher's temp-dir side channel is active.
            "TMPDIR": os.fspath(self.base / "tmp"),
            "SPEC_KITTY_SYNC_RETRIES": "0",  # faults fail at once instead of backing off
            "SPEC_KITTY_SYNC_TIMEOUT": "20",
        }
        if self.sync_mode != "unauthenticated":
            env["SPEC_KITTY_SAAS_TOKEN"] = TOKEN
        if self.sync_mode != "disabled":
            env["SPEC_KITTY_ENABLE_SAAS_SYNC"] = "1"
        env["SPEC_KITTY_SAAS_URL"] = self.down_url if self.sync_mode == "down" else self.server.url
        return env

    def run(self, *argv: str, cwd: str = ".") -> CliResult:
        result = run_cli(self.repo / cwd, argv, self.env())
        if currently_in_test_context():  # not when a walk calls the rules directly
            note(result.describe())
        STATS["commands"] += 1
        return result

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def server_outcome(self, *, with_binding: bool) -> int:
        """The exit code of a command whose outcome is one tracker request to the server."""
        if self.sync_mode != "enabled":
            return 6  # disabled, unauthenticated or down: SYNC_UNAVAILABLE
        if self.fault == "stale":
            return 7 if with_binding else 0  # only requests naming a binding_ref are stale
        return 0 if self.fault == "none" else 6

    def expected_pending(self) -> str | None:
        assert self.work is not None and self.work.binding is not None
        return self.server_ref if self.server_ref != self.work.binding[2] else None

    def config_dirty_on_disk(self) -> bool:
        """After a config write: dirty unless its bytes are the committed ones.

        The one place the model looks at bytes: a write's exact rendering is not
        something the model predicts, and a second write can restore HEAD's bytes.
        """
        path = self.repo / CONFIG
        if not path.is_file():
            return self.head_config is not None
        return path.read_bytes() != self.head_config

    def expect_write(
        self,
        before: TreeState,
        result: CliResult,
        owned: str,
        *,
        changed: bool,
    ) -> TreeState:
        """The tree after a write: ``owned`` changed iff ``changed``, nothing else at all."""
        after = tree_state(self.repo)
        diff = before.describe(after)
        stray = before.changed_files(after) - {owned}
        parents = {str(Path(owned).parents[i]) for i in range(len(Path(owned).parents) - 1)}
        new_dirs = after.dirs - before.dirs
        assert not stray and new_dirs <= parents and not (before.dirs - after.dirs), (
            f"{result.describe()}\nchanged more than {owned}:\n" + "\n".join(diff)
        )
        assert (owned in before.changed_files(after)) == changed, (
            f"{result.describe()}\nexpected {owned} {'changed' if changed else 'untouched'}; "
            f"differences: {diff or 'none'}"
        )
        return after

    # -- setup -------------------------------------------------------------------------------

    @initialize(variant=st.sampled_from(("legacy", "complete", "bare")), ref=st.sampled_from(REFS))
    def setup(self, variant: str, ref: str) -> None:
        STATS["examples"] += 1
        STATS[f"start:{variant}"] += 1
        (self.base / "home").mkdir()
        (self.base / "tmp").mkdir()
        self.root = make_surface_repo(self.base / REPO_DIR, variant)
        self.server = ReferenceServer(token=TOKEN, binding_ref=ref).start()
        self.server_ref = ref
        self.down_url = f"http://127.0.0.1:{closed_port()}"
        self.work = self.head = _initial_config(variant)
        config = self.repo / CONFIG
        self.head_config = config.read_bytes() if config.is_file() else None
        self.tracked = set(tree_state(self.repo).files)

    # -- invariants, after every step --------------------------------------------------------

    @invariant()
    def dirty_set_is_the_models(self) -> None:
        if self.root is None:
            return
        assert porcelain_paths(self.repo) == self.dirty

    @invariant()
    def identity_is_the_models(self) -> None:
        if self.root is None:
            return
        expected = None if self.work is None else self.work.identity
        assert resolved_identity(self.repo) == expected

    @invariant()
    def binding_is_the_models(self) -> None:
        if self.root is None:
            return
        expected = None if self.work is None else self.work.binding
        assert tracker_binding(self.repo) == expected

    @invariant()
    def user_comments_are_kept(self) -> None:
        if self.root is None or self.work is None:
            return
        text = (self.repo / CONFIG).read_text(encoding="utf-8")
        for marker in sorted(self.work.comments):
            assert text.count(marker) == 1, f"comment {marker!r} lost or doubled:\n{text}"
        if self.work.user_keys:
            data = config_data(self.repo) or {}
            assert all(data.get(key) == "kept" for key in self.work.user_keys), text

    # -- read commands -----------------------------------------------------------------------

    def run_read(self, name: str, argv: tuple[str, ...]) -> CliResult:
        STATS["steps"] += 1
        STATS[f"read:{name}"] += 1
        before, status_before = tree_state(self.repo), porcelain_raw(self.repo)
        identity_before = resolved_identity(self.repo)
        result = self.run(*argv)
        after = tree_state(self.repo)
        assert before == after, f"{result.describe()}\nread command changed the tree:\n" + (
            "\n".join(before.describe(after))
        )
        assert porcelain_raw(self.repo) == status_before, result.describe()
        assert resolved_identity(self.repo) == identity_before, result.describe()
        assert result.code in READ_OK_CODES, result.describe()
        payload = result.payload
        assert payload.get("ok") is (result.code in (0, 1)), result.describe()
        if result.code not in (0, 1):
            error = payload["error"]
            assert isinstance(error, dict) and error["exit_code"] == result.code
        assert result.code in self.expected_read_codes(name, argv), (
            f"{result.describe()}\nexpected exit {sorted(self.expected_read_codes(name, argv))} "
            f"(sync {self.sync_mode}, fault {self.fault}, binding "
            f"{None if self.work is None else self.work.binding})"
        )
        self.check_payload(name, result)
        return result

    def expected_read_codes(self, name: str, argv: tuple[str, ...]) -> frozenset[int]:
        identity = None if self.work is None else self.work.identity
        bound = self.work is not None and self.work.binding is not None
        if name in NEVER_FAIL:
            return frozenset({0})
        if name == "sync status":
            return frozenset({0, 1}) if "--check" in argv else frozenset({0})
        if name in ("tracker status", "tracker map list"):
            return frozenset({self.server_outcome(with_binding=True) if bound else 3})
        if name in ("sync push", "sync pull", "sync run"):
            if self.sync_mode in ("disabled", "unauthenticated"):
                return frozenset({6})  # refused before anything else
            if name != "sync push" and identity is None:
                return frozenset({3})
            if self.sync_mode == "enabled" and self.fault in ("none", "stale"):
                return frozenset({0})
            # A push with an empty queue never reaches the server that is down or faulty.
            return frozenset({0, 6}) if name == "sync push" else frozenset({6})
        return READ_OK_CODES  # a read command this model does not know yet

    def check_tracker_report(self, tracker: object, result: CliResult) -> None:
        """A binding check inside a daemon tick or fan-out reports the upgrade, nothing more."""
        assert isinstance(tracker, dict), result.describe()
        bound = self.work is not None and self.work.binding is not None
        assert tracker.get("bound") is bound, result.describe()
        if bound and self.server_outcome(with_binding=True) == 0:
            assert tracker.get("pending_binding_upgrade") == self.expected_pending(), (
                result.describe()
            )

    def check_payload(self, name: str, result: CliResult) -> None:
        """What a successful read reports: the model's identity, binding and pending upgrade."""
        if result.code != 0:
            return
        payload = result.payload
        identity = None if self.work is None else self.work.identity
        if name in ("dashboard tick", "dashboard run"):
            assert payload["build_id"] == (None if identity is None else identity[3])
            self.check_tracker_report(payload["tracker"], result)
        elif name == "lifecycle fanout":
            self.check_tracker_report(payload["tracker"], result)
        elif name in ("tracker status", "tracker map list"):
            assert self.work is not None and self.work.binding is not None
            assert payload["binding_ref"] == self.work.binding[2], result.describe()
            assert payload["pending_binding_upgrade"] == self.expected_pending(), result.describe()
        elif name == "events emit":
            # Emission carries the model's identity (the derived build_id on a legacy config).
            if identity is None:
                assert payload["emitted"] == 0, result.describe()
                return
            envelope = payload["envelope"]
            assert isinstance(envelope, dict), result.describe()
            keys = ("project_uuid", "project_slug", "node_id", "build_id")
            assert tuple(envelope[k] for k in keys) == identity, result.describe()

    # Several read rules: hypothesis picks rules, not commands, so families of reads get
    # their own rule to keep reads frequent in short runs. read_command draws from the
    # whole registry, so a new read command is exercised without editing this file.
    # Hypothesis orders rules by argument count, then name, and favours the first:
    # background_read is that one, so even the simplest runs read the richest paths.

    @rule(call=st.sampled_from(READ_CALLS))
    def read_command(self, call: tuple[str, tuple[str, ...]]) -> None:
        self.run_read(*call)

    @rule(
        call=st.sampled_from(
            sorted(
                (c for c in READ_CALLS if c[0] in BACKGROUND_READS),
                key=lambda c: BACKGROUND_READS.index(c[0]),
            )
        )
    )
    def background_read(self, call: tuple[str, tuple[str, ...]]) -> None:
        """The background paths (dashboard, dossier, fan-out) that used to persist upgrades."""
        self.run_read(*call)

    @rule(call=st.sampled_from([c for c in READ_CALLS if c[0].startswith("sync ")]))
    def read_sync(self, call: tuple[str, tuple[str, ...]]) -> None:
        self.run_read(*call)

    @rule(name=st.sampled_from(("tracker status", "tracker map list")))
    def read_tracker(self, name: str) -> None:
        """The binding-upgrade path: reported as pending, never written."""
        self.run_read(name, (*name.split(), "--json"))

    @rule(event=st.sampled_from(("mission.started", "wp.status_changed")))
    def emit_event(self, event: str) -> None:
        """The emission path that used to mint and persist a build_id."""
        self.run_read("events emit", ("events", "emit", event, "--json"))

    # -- write commands ----------------------------------------------------------------------

    @rule(from_subdir=st.booleans())
    def init(self, from_subdir: bool) -> None:
        """From the root or from ``src/`` (the root is found by walking up)."""
        STATS["steps"] += 1
        STATS["write:init"] += 1
        before, data_before = tree_state(self.repo), config_data(self.repo)
        result = self.run("init", "--json", cwd="src" if from_subdir else ".")
        assert result.code == 0, result.describe()
        payload = result.payload
        reported = tuple(
            str(payload[k]) for k in ("project_uuid", "project_slug", "node_id", "build_id")
        )
        work = self.work
        if work is None or work.identity is None:
            minted = str(payload["project_uuid"])
            assert uuid.UUID(minted).version == 4, result.describe()
            node = expected_node_id()
            identity: Identity = (minted, REPO_DIR, node, expected_build_id(minted, node))
            STATS["init:minted"] += 1
        else:
            identity = work.identity
            STATS["init:completed" if not work.complete else "init:no-op"] += 1
        changes = work is None or not work.complete
        assert reported == identity, f"{result.describe()}\nexpected identity {identity}"
        assert payload["changed"] is changes, result.describe()
        self.expect_write(before, result, CONFIG, changed=changes)
        # Only the project: keys change, and only by gaining what was missing.
        data_after = config_data(self.repo)
        assert data_after is not None
        keys = dict(zip(("uuid", "slug", "node_id", "build_id"), identity, strict=True))
        project = {**_section(data_before, "project"), **keys}
        assert data_after == {**(data_before or {}), "project": project}, result.describe()
        if work is None:
            self.work = ConfigModel(identity, True, None)
        else:
            self.work = replace(work, identity=identity, complete=True)
        self.track_config_dirt()

    def track_config_dirt(self) -> None:
        if self.config_dirty_on_disk():
            self.dirty.add(CONFIG)
        else:
            self.dirty.discard(CONFIG)

    @rule(
        provider=st.sampled_from(PROVIDERS),
        slug=st.sampled_from(SLUGS),
        ref=st.none() | st.sampled_from(REFS),
    )
    def tracker_bind(self, provider: str, slug: str, ref: str | None) -> None:
        STATS["steps"] += 1
        STATS["write:tracker bind"] += 1
        before, data_before = tree_state(self.repo), config_data(self.repo)
        argv = ["tracker", "bind", "--provider", provider, "--project-slug", slug, "--json"]
        if ref is not None:
            argv += ["--binding-ref", ref]
        result = self.run(*argv)
        # bind asks the server only without --binding-ref, and without the old ref.
        expected = 0 if ref is not None else self.server_outcome(with_binding=False)
        assert result.code == expected, f"{result.describe()}\nexpected exit {expected}"
        if expected != 0:
            self.expect_write(before, result, CONFIG, changed=False)
            return
        stored: Binding = (provider, slug, ref if ref is not None else self.server_ref)
        current = None if self.work is None else self.work.binding
        changes = stored != current
        assert result.payload["changed"] is changes, result.describe()
        self.expect_write(before, result, CONFIG, changed=changes)
        keys = {"provider": provider, "project_slug": slug, "binding_ref": stored[2]}
        tracker = {**_section(data_before, "tracker"), **keys}
        assert config_data(self.repo) == {**(data_before or {}), "tracker": tracker}, (
            result.describe()
        )
        work = self.work or ConfigModel(None, False, None)
        self.work = replace(work, binding=stored)
        self.track_config_dirt()

    @rule(ref=st.none() | st.sampled_from(REFS))
    def tracker_apply(self, ref: str | None) -> None:
        STATS["steps"] += 1
        STATS["write:tracker apply"] += 1
        before, data_before = tree_state(self.repo), config_data(self.repo)
        argv = ["tracker", "apply", "--json"] + ([] if ref is None else ["--binding-ref", ref])
        result = self.run(*argv)
        current = None if self.work is None else self.work.binding
        if current is None:
            expected = 3  # TRACKER_NOT_BOUND, before any request
        else:
            expected = 0 if ref is not None else self.server_outcome(with_binding=True)
        assert result.code == expected, f"{result.describe()}\nexpected exit {expected}"
        if expected != 0:
            self.expect_write(before, result, CONFIG, changed=False)
            return
        assert self.work is not None and current is not None
        new_ref = ref if ref is not None else self.server_ref
        changes = new_ref != current[2]
        assert result.payload["changed"] is changes, result.describe()
        self.expect_write(before, result, CONFIG, changed=changes)
        tracker = {**_section(data_before, "tracker"), "binding_ref": new_ref}
        assert config_data(self.repo) == {**(data_before or {}), "tracker": tracker}, (
            result.describe()
        )
        self.work = replace(self.work, binding=(current[0], current[1], new_ref))
        self.track_config_dirt()

    @rule(mission=st.sampled_from(MISSIONS), summary=st.sampled_from(SUMMARIES))
    def record_analysis(self, mission: str, summary: str) -> None:
        STATS["steps"] += 1
        before = tree_state(self.repo)
        result = self.run("record-analysis", "--mission", mission, "--summary", summary, "--json")
        dirt = real_dirt(self.dirty)
        target = f"kitty-specs/{mission}/analysis.md"
        if dirt:
            STATS["write:record-analysis refused"] += 1
            assert result.code == 5, f"{result.describe()}\nexpected DIRTY_WORKTREE for {dirt}"
            error = result.payload["error"]
            assert isinstance(error, dict) and error["code"] == "DIRTY_WORKTREE"
            details = error["details"]
            assert isinstance(details, dict)
            assert set(details["dirty_paths"]) == dirt, result.describe()
            self.expect_write(before, result, target, changed=False)
            return
        STATS["write:record-analysis recorded"] += 1
        assert result.code == 0, f"{result.describe()}\nexpected a clean gate: {self.dirty}"
        self.expect_write(before, result, target, changed=True)
        text = (self.repo / target).read_text(encoding="utf-8")
        assert text.startswith(f"# Analysis of {mission}\n") and summary in text
        self.dirty.add(target)

    # -- server changes ----------------------------------------------------------------------

    @rule(ref=st.sampled_from(REFS))
    def server_offers_binding(self, ref: str) -> None:
        STATS["steps"] += 1
        STATS["server:binding_ref"] += 1
        assert self.server is not None
        self.server.configure(binding_ref=ref)
        self.server_ref = ref

    @rule(mode=st.sampled_from(SYNC_MODES))
    def set_sync(self, mode: str) -> None:
        STATS["steps"] += 1
        STATS[f"server:sync {mode}"] += 1
        self.sync_mode = mode

    @rule(fault=st.sampled_from(list(FAULTS)))
    def set_fault(self, fault: str) -> None:
        STATS["steps"] += 1
        STATS[f"server:fault {fault}"] += 1
        assert self.server is not None
        self.server.configure(**FAULTS[fault])
        self.fault = fault

    # -- user edits --------------------------------------------------------------------------

    @rule(kind=st.sampled_from(USER_EDITS), pick=st.integers(0, 7))
    def user_edit(self, kind: str, pick: int) -> None:
        """Edit a source file, write another file or bookkeeping, touch or delete a file."""
        STATS["steps"] += 1
        STATS[f"user:{kind}"] += 1
        number = self.next_number()
        if kind in ("touch", "delete"):
            files = sorted(f for f in self.tracked if (self.repo / f).is_file())
            if not files:
                return
            rel = files[pick % len(files)]
            if kind == "touch":
                # mtime only: git compares content and sees nothing; the gate must agree.
                stamp = 1_600_000_000_000_000_000 + number * 1_000_000_000
                os.utime(self.repo / rel, ns=(stamp, stamp))
                return
            (self.repo / rel).unlink()
            self.dirty.add(rel)
            if rel == CONFIG:
                self.work = None  # the identity and the binding go with it
            return
        pool = {
            "source": SOURCE_FILES,
            "other": OTHER_FILES,
            "allowlisted": ALLOWLISTED_FILES,
            "nested_meta": (NESTED_META,),
        }[kind]
        rel = pool[pick % len(pool)]
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"user edit {number}\n")
        self.dirty.add(rel)

    @precondition(lambda self: self.work is not None)
    @rule(kind=st.sampled_from(CONFIG_EDITS), pick=st.integers(0, 40))
    def user_edits_config(self, kind: str, pick: int) -> None:
        """The user adds a comment line, a trailing comment or a top-level key of their own."""
        STATS["steps"] += 1
        STATS[f"user:config {kind}"] += 1
        assert self.work is not None
        number = self.next_number()
        path = self.repo / CONFIG
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        if kind == "key":
            key = f"x_user_{number}"
            lines.append(f"{key}: kept  # the user's own key\n")
            self.work = replace(self.work, user_keys=self.work.user_keys | {key})
        else:
            marker = f"# user note <{number}>"  # no marker is a prefix of another
            code_lines = [i for i, line in enumerate(lines) if line.strip() and line[0] != "#"]
            if kind == "trailing" and code_lines:
                index = code_lines[pick % len(code_lines)]
                lines[index] = lines[index].rstrip("\n") + f"  {marker}\n"
            else:
                lines.insert(pick % (len(lines) + 1), marker + "\n")
            self.work = replace(self.work, comments=self.work.comments | {marker})
        path.write_text("".join(lines), encoding="utf-8")
        self.dirty.add(CONFIG)

    @rule(operation=st.sampled_from(GIT_OPERATIONS))
    def user_git(self, operation: str) -> None:
        """commit: everything; commit_work: all but the bookkeeping; stash; checkout -- ."""
        STATS["steps"] += 1
        STATS[f"user:git {operation}"] += 1
        if operation in ("commit", "commit_work"):
            paths = sorted(self.dirty if operation == "commit" else real_dirt(self.dirty))
            if paths:
                git(self.repo, "add", "--", *paths)
            git(self.repo, "commit", "-q", "--allow-empty", "-m", f"step {self.next_number()}")
            for rel in paths:
                if (self.repo / rel).exists():
                    self.tracked.add(rel)
                else:
                    self.tracked.discard(rel)  # a deletion, committed
            self.dirty -= set(paths)
            if CONFIG in paths:
                self.head = self.work
                config = self.repo / CONFIG
                self.head_config = config.read_bytes() if config.is_file() else None
            return
        if operation == "stash":
            git(self.repo, "stash", "-q")
        else:
            git(self.repo, "checkout", "-q", "--", ".")
        # Both put tracked files back to HEAD (deleted ones too) and leave untracked ones alone.
        if CONFIG in self.tracked and CONFIG in self.dirty:
            self.work = self.head
        self.dirty -= self.tracked


@pytest.mark.slow
def test_command_surface_state_machine() -> None:
    """Random reads, writes, server changes and user edits; the invariants after every step."""
    STATS.clear()
    run_state_machine_as_test(
        CommandSurface,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            # The explain phase reruns variations of a failure: minutes of subprocesses
            # for a hint the shrunk sequence of steps already gives.
            phases=[phase for phase in Phase if phase is not Phase.explain],
        ),
    )
    summary = ", ".join(f"{key}={STATS[key]}" for key in sorted(STATS))
    print(f"\nstateful command surface ({'full' if FULL else 'default'}): {summary}")
    assert STATS["examples"] > 0 and STATS["steps"] > 0


def _read(name: str, *extra: str) -> dict[str, object]:
    return {"call": (name, (*name.split(), *extra, "--json"))}


# Every rule, every sync mode and every fault at least once, on a legacy and on a bare
# repository, whatever the random part drew: the hand-picked half of the default run.
WALKS: Final[Mapping[str, tuple[tuple[str, dict[str, object]], ...]]] = {
    "legacy": (
        ("read_tracker", {"name": "tracker status"}),  # server offers bind-002: pending
        ("emit_event", {"event": "mission.started"}),  # derived build_id, nothing written
        ("record_analysis", {"mission": "001-login", "summary": "looks good"}),
        ("user_git", {"operation": "commit"}),
        ("user_edits_config", {"kind": "comment", "pick": 3}),
        ("user_edits_config", {"kind": "trailing", "pick": 9}),
        ("user_edits_config", {"kind": "key", "pick": 0}),
        ("init", {"from_subdir": True}),  # persists exactly the derived build_id
        ("tracker_apply", {"ref": None}),  # stores bind-002, comments kept
        ("background_read", _read("lifecycle fanout")),
        ("server_offers_binding", {"ref": "bind-003"}),
        ("read_tracker", {"name": "tracker map list"}),
        ("set_fault", {"fault": "stale"}),
        ("tracker_apply", {"ref": None}),  # 7, nothing written
        ("tracker_bind", {"provider": "jira", "slug": "demo-project", "ref": None}),
        ("set_fault", {"fault": "none"}),
        ("set_sync", {"mode": "disabled"}),
        ("background_read", _read("dashboard tick")),
        ("tracker_bind", {"provider": "linear", "slug": "mobile-app", "ref": None}),  # 6
        ("tracker_apply", {"ref": "bind-001"}),  # offline
        ("record_analysis", {"mission": "002-search", "summary": ""}),  # refused: config
        ("user_edit", {"kind": "allowlisted", "pick": 0}),
        ("user_git", {"operation": "checkout"}),  # config back to the legacy bytes
        ("user_edit", {"kind": "allowlisted", "pick": 2}),
        ("user_edit", {"kind": "touch", "pick": 0}),
        ("record_analysis", {"mission": "002-search", "summary": "needs work: see WP02"}),
        ("user_edit", {"kind": "source", "pick": 1}),
        ("user_git", {"operation": "stash"}),
        ("record_analysis", {"mission": "001-login", "summary": ""}),  # refused: analysis
        ("user_edit", {"kind": "other", "pick": 0}),
        ("user_edit", {"kind": "allowlisted", "pick": 1}),
        ("user_git", {"operation": "commit_work"}),  # the bookkeeping stays dirty
        ("record_analysis", {"mission": "001-login", "summary": "again"}),  # allowed
        ("user_edit", {"kind": "nested_meta", "pick": 0}),  # the user's file, not bookkeeping
        ("record_analysis", {"mission": "001-login", "summary": ""}),  # refused: nested meta
        ("user_git", {"operation": "commit"}),
        ("set_sync", {"mode": "unauthenticated"}),
        ("read_command", _read("sync push")),
        ("set_sync", {"mode": "down"}),
        ("read_sync", _read("sync pull")),
        ("set_sync", {"mode": "enabled"}),
        ("set_fault", {"fault": "http500"}),
        ("read_command", _read("sync run")),
        ("set_fault", {"fault": "garbage"}),
        ("read_tracker", {"name": "tracker status"}),
        ("set_fault", {"fault": "http401"}),
        ("read_command", _read("dashboard run", "--ticks", "1", "--interval", "0")),
    ),
    "bare": (
        ("emit_event", {"event": "wp.status_changed"}),  # not initialized: nothing queued
        ("read_tracker", {"name": "tracker status"}),  # 3: not bound
        ("read_command", _read("sync pull")),  # 3: no identity
        ("tracker_apply", {"ref": "bind-001"}),  # 3: not bound, nothing created
        ("tracker_bind", {"provider": "jira", "slug": "demo-project", "ref": None}),
        ("user_edits_config", {"kind": "comment", "pick": 0}),
        ("init", {"from_subdir": False}),  # mints a uuid4; the comment stays
        ("read_command", _read("dossier sync")),
        ("read_command", _read("capabilities")),
        ("user_git", {"operation": "commit"}),
        ("init", {"from_subdir": True}),  # complete now: writes nothing
        ("read_command", _read("sync status", "--check")),
        ("user_edit", {"kind": "delete", "pick": 0}),  # the config itself
        ("emit_event", {"event": "mission.started"}),  # not initialized any more
        ("init", {"from_subdir": False}),  # a new uuid4: a write changed the identity
        ("user_git", {"operation": "checkout"}),  # the committed identity is back
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(WALKS))
def test_walk_through_every_rule(variant: str) -> None:
    """The machine's rules and invariants, driven through a fixed sequence."""
    machine = CommandSurface()
    invariants = (
        machine.dirty_set_is_the_models,
        machine.identity_is_the_models,
        machine.binding_is_the_models,
        machine.user_comments_are_kept,
    )
    try:
        machine.setup(variant=variant, ref="bind-002")
        for step, kwargs in WALKS[variant]:
            getattr(machine, step)(**kwargs)
            for check in invariants:
                check()
    finally:
        machine.teardown()


def test_walks_cover_every_rule() -> None:
    """A new rule must join a walk too, so the default run never depends on luck for it."""
    # hypothesis marks rule methods with this attribute (hypothesis.stateful.RULE_MARKER).
    rules = {
        name
        for name in dir(CommandSurface)
        if hasattr(getattr(CommandSurface, name), "hypothesis_stateful_rule")
    }
    walked = {step for walk in WALKS.values() for step, _ in walk}
    assert rules == walked
    modes = {str(kw["mode"]) for walk in WALKS.values() for s, kw in walk if s == "set_sync"}
    faults = {str(kw["fault"]) for walk in WALKS.values() for s, kw in walk if s == "set_fault"}
    assert modes == set(SYNC_MODES) and faults == set(FAULTS)
    operations = {str(kw["operation"]) for w in WALKS.values() for s, kw in w if s == "user_git"}
    edits = {str(kw["kind"]) for w in WALKS.values() for s, kw in w if s == "user_edit"}
    config_edits = {
        str(kw["kind"]) for w in WALKS.values() for s, kw in w if s == "user_edits_config"
    }
    assert operations == set(GIT_OPERATIONS) and edits == set(USER_EDITS)
    assert config_edits == set(CONFIG_EDITS)


def test_gate_refuses_a_nested_meta_json(tmp_path: Path) -> None:
    """Only ``kitty-specs/<mission>/meta.json`` is bookkeeping; a deeper meta.json is the user's."""
    repo = make_surface_repo(tmp_path / REPO_DIR, "legacy")
    (repo / NESTED_META).parent.mkdir(parents=True)
    (repo / NESTED_META).write_text('{"source": "user"}\n')
    env = {"SPEC_KITTY_HOME": os.fspath(tmp_path / "home")}
    result = run_cli(repo, ("record-analysis", "--mission", "001-login", "--json"), env)
    assert result.code == 5, result.describe()
