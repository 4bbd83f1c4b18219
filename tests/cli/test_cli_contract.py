"""The INV-1 contract test: every read command, run for real, leaves a clean checkout clean
(and every scoped write command changes nothing outside its scope).

The commands come from the command registry itself (``read_commands()``, which
builds the app and reads ``REGISTRY``), not from a list kept here: a read
command is covered the moment it is declared with ``read_command``. A command
with required arguments declares them as ``contract_argv``.

Each case runs the installed ``spec-kitty`` as a subprocess, on a freshly
committed repository (missions under ``kitty-specs/``, a bound tracker, ignored
patterns), in one of the setups below. Afterwards ``git status --porcelain`` is
byte-identical, every tracked file keeps its bytes and ``mtime_ns`` (the kitty_fs
plugin's ``WorktreeSnapshot``), and nothing else in the tree changed either
(ignored files, empty directories); the exit code is a documented one, there is
no traceback, and ``--json`` printed JSON objects with ``"ok"``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli_support import (
    LEGACY_CONFIG,
    NO_UUID_CONFIG,
    Saas,
    TreeState,
    cli_env,
    contract_suite,
    make_project,
    registry,
    run_cli,
    synced_cli_env,
)

from kitty_fs.testing import ContractSetup, Prepared, SetupRequest

pytest_plugins = ["cli_fixtures"]

EnvFactory = Callable[[Path, Saas, str], dict[str, str]]


def _synced(home: Path, saas: Saas, _dead: str) -> dict[str, str]:
    return synced_cli_env(home, saas)


def _disabled(home: Path, saas: Saas, _dead: str) -> dict[str, str]:
    # URL and token are there; only the switch is off.
    return cli_env(home, SPEC_KITTY_SAAS_URL=saas.url, SPEC_KITTY_SAAS_TOKEN=saas.token)


def _no_token(home: Path, saas: Saas, _dead: str) -> dict[str, str]:
    return cli_env(home, SPEC_KITTY_ENABLE_SAAS_SYNC="1", SPEC_KITTY_SAAS_URL=saas.url)


def _bad_token(home: Path, saas: Saas, _dead: str) -> dict[str, str]:
    return {**_synced(home, saas, _dead), "SPEC_KITTY_SAAS_TOKEN": "not-the-token"}


def _down(home: Path, saas: Saas, dead: str) -> dict[str, str]:
    return {**_synced(home, saas, dead), "SPEC_KITTY_SAAS_URL": dead}


def _setup(
    name: str, config: str | None, env: EnvFactory, *, all_succeed: bool = False
) -> ContractSetup:
    """A committed project with ``config`` and sync settings from ``env`` (fixtures: saas)."""

    def build(request: SetupRequest) -> Prepared:
        repo = make_project(request.tmp_path / "repo", config=config)
        saas, dead = request.fixture("saas"), request.fixture("dead_url")
        return Prepared(repo, env(request.tmp_path / "state", saas, dead))

    return ContractSetup(name, build, all_succeed=all_succeed)


SETUPS = [
    # The upstream bug's exact conditions: sync on, identity missing build_id, and the
    # server offering bind-002 for the committed bind-001. Every command must exit 0 there.
    _setup("synced-legacy-upgrade", LEGACY_CONFIG, _synced, all_succeed=True),
    _setup("sync-disabled", LEGACY_CONFIG, _disabled),
    _setup("unauthenticated", LEGACY_CONFIG, _no_token),
    _setup("token-rejected", LEGACY_CONFIG, _bad_token),
    _setup("server-down", LEGACY_CONFIG, _down),
    _setup("no-project-uuid", NO_UUID_CONFIG, _synced),
    _setup("no-config", None, _synced),
]

SUITE = contract_suite(SETUPS)

# One test per (read or scoped-write command, setup), straight from the registry.
test_command_keeps_its_contract = SUITE.pytest_test()


def test_the_contract_covers_every_read_and_scoped_command_and_only_those() -> None:
    """The parametrization is the registry's read and scoped-write commands, each in every setup."""
    commands = registry()
    names = {c.name for c in commands.of_capability("read", "scoped-write")}
    assert names == {c.name for c in commands if c.capability != "write"}
    assert {"sync status", "tracker status", "events emit", "agent status emit"} <= names
    marks = test_command_keeps_its_contract.pytestmark  # type: ignore[attr-defined]
    [parametrize] = [m for m in marks if m.name == "parametrize"]
    covered = {(p.values[0].command.name, p.values[0].setup.name) for p in parametrize.args[1]}
    assert covered == {(n, s.name) for n in names for s in SETUPS}


def test_no_project_uuid_says_to_run_init(tmp_path: Path, saas: Saas, dead_url: str) -> None:
    """Acceptance 3: a read on a project without uuid writes nothing and points at ``init``."""
    repo = make_project(tmp_path / "repo", config=NO_UUID_CONFIG)
    env = _synced(tmp_path / "state", saas, dead_url)
    before = TreeState.take(repo)
    emitted = run_cli(["events", "emit", "mission.started"], cwd=repo, env=env)
    assert emitted.returncode == 0, emitted.describe()
    assert "spec-kitty init" in emitted.stderr
    pulled = run_cli(["sync", "pull", "--json"], cwd=repo, env=env)
    error = pulled.json()["error"]
    assert pulled.returncode == 3 and isinstance(error, dict), pulled.describe()
    assert error["code"] == "NOT_INITIALIZED" and "spec-kitty init" in str(error["hint"])
    assert before.changes_since(TreeState.take(repo)) == []


def test_pending_binding_upgrade_is_reported_not_written(
    tmp_path: Path, saas: Saas, dead_url: str
) -> None:
    """Acceptance 4 (read half): the offer shows in every command that asks the tracker."""
    repo = make_project(tmp_path / "repo")
    env = _synced(tmp_path / "state", saas, dead_url)
    before = TreeState.take(repo)
    status = run_cli(["tracker", "status", "--json"], cwd=repo, env=env).json()
    listed = run_cli(["tracker", "map", "list", "--json"], cwd=repo, env=env).json()
    fanout = run_cli(["lifecycle", "fanout", "--json"], cwd=repo, env=env).json()
    tick = run_cli(["dashboard", "tick", "--json"], cwd=repo, env=env).json()
    for result in (status, listed):
        assert result["binding_ref"] == "bind-001"
        assert result["pending_binding_upgrade"] == saas.binding_ref
    for result in (fanout, tick):
        tracker = result["tracker"]
        assert isinstance(tracker, dict)
        assert tracker["pending_binding_upgrade"] == saas.binding_ref
    text = run_cli(["tracker", "status"], cwd=repo, env=env)
    assert f"bind-001 -> {saas.binding_ref}" in text.stdout
    assert "tracker apply" in text.stderr
    assert before.changes_since(TreeState.take(repo)) == []
