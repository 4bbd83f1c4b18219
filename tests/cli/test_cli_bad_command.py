"""A read command that writes is caught three times: by the contract test, the guard and mypy.

The bad commands live in a plugin module written to a temp directory (never in
the real CLI): each is declared with ``read_command`` and then writes
``.kittify/config.yaml`` one way or another. The module also holds one good read
command, which writes only its side channel (the state directory), as the
control that shows the three defences do not simply reject everything.

1. The contract test fails for them: ``test_cli_contract.py`` itself is run in a
   child pytest with ``KITTY_CLI_TEST_PLUGIN`` naming the module, once with the
   guard on (the commands exit 8) and once with the guard disabled (the tree
   really changes and INV-1's snapshot names the file).
2. The dispatcher's guard stops them at run time: exit 8 ``WRITE_VIOLATION``, the
   message names the path and the command, the file keeps its bytes and mtime.
3. mypy with the project's ``mypy.ini`` and the kitty_fs plugin rejects the very
   same module, with exact messages, and accepts the good command in it.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_support import (
    UNGUARDED_ENV,
    TreeState,
    contract_problems,
    make_project,
    plugin_env,
    run_cli,
    write_plugin,
)

import kitty_fs

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
SRC = Path(kitty_fs.__file__).resolve().parent.parent
PACKAGE = "kitty_cli_plugin"
MODULE = f"{PACKAGE}.commands"

# The plugin module. "# expect: KEY" marks the lines mypy must reject (see EXPECTED).
PLUGIN_SOURCE = '''\
"""Read commands that write the tracked config: deliberate bugs, one per write route."""

from __future__ import annotations

import os
import tempfile

import typer

from kitty_fs import ReadContext, ScopedWriteContext, WriteContext, save_config
from kitty_fs.commands import CommandRegistry, Invocation

CONFIG = ".kittify/config.yaml"

commands = CommandRegistry()


@commands.read("bad open", "Appends to the tracked config with open().")
def _open(repo: ReadContext, inv: Invocation) -> int:
    with open(repo.path(CONFIG), "a") as handle:  # expect: open
        handle.write("# touched by a read command\\n")
    inv.output.result({"wrote": CONFIG}, ["wrote the config"])
    return 0


@commands.read("bad write-text", "Rewrites the tracked config with Path.write_text.")
def _write_text(repo: ReadContext, inv: Invocation) -> int:
    path = repo.path(CONFIG)
    path.write_text(path.read_text() + "# touched\\n")  # expect: write_text
    inv.output.result({"wrote": CONFIG}, ["wrote the config"])
    return 0


@commands.read("bad swallow", "Writes the tracked config and swallows the guard's error.")
def _swallow(repo: ReadContext, inv: Invocation) -> int:
    try:
        repo.path(CONFIG).write_text("project: {}\\n")  # expect: swallow
    except PermissionError:
        pass
    inv.output.result({"wrote": CONFIG}, ["wrote the config"])
    return 0


@commands.read("bad save-config", "Persists a binding upgrade.")  # expect: write_body
def _save_config(repo: WriteContext, inv: Invocation) -> int:
    save_config(repo, "tracker", {"binding_ref": "bind-002"}, rel=CONFIG)
    inv.output.result({"saved": CONFIG}, ["saved the binding"])
    return 0


@commands.read("bad save-read", "Hands its ReadContext to save_config.")
def _save_read(repo: ReadContext, inv: Invocation) -> int:
    save_config(repo, "tracker", {"binding_ref": "bind-002"}, rel=CONFIG)  # expect: save_read
    inv.output.result({"saved": CONFIG}, ["saved the binding"])
    return 0


@commands.read("fine side-channel", "Writes only the state directory (the control).")
def _side_channel(repo: ReadContext, inv: Invocation) -> int:
    inv.state.write_text("plugin-note.txt", repo.read_text(CONFIG))
    inv.output.result({"noted": True}, ["noted"])
    return 0


MISSION = typer.Option(..., "--mission")


@commands.scoped_write(
    "bad scoped-escape",
    "May write only its mission, writes the tracked config.",
    writes=["kitty-specs/{mission}"],
    contract_argv=("--mission", "001-login-flow"),
)
def _scoped_escape(repo: ScopedWriteContext, inv: Invocation, mission: str = MISSION) -> int:
    repo.path(CONFIG).write_text("tracker: {}\\n")  # expect: write_text
    inv.output.result({"wrote": CONFIG}, ["wrote the config"])
    return 0


@commands.scoped_write(
    "fine scoped-note",
    "Writes a note inside its own mission (the control).",
    writes=["kitty-specs/{mission}"],
    contract_argv=("--mission", "001-login-flow"),
)
def _scoped_note(repo: ScopedWriteContext, inv: Invocation, mission: str = MISSION) -> int:
    repo.write_text(f"kitty-specs/{mission}/note.md", "a note\\n")
    inv.output.result({"wrote": "note.md"}, ["noted"])
    return 0


@commands.read("scratch temp-file", "Writes a scratch file in the temp dir (a side channel).")
def _temp_file(repo: ReadContext, inv: Invocation) -> int:
    handle, name = tempfile.mkstemp(prefix="kitty-cli-")  # expect: temp
    os.close(handle)
    inv.output.result({"temp": name}, [name])
    return 0
'''

BAD_COMMANDS = [
    "bad open",
    "bad write-text",
    "bad swallow",
    "bad save-config",
    "bad save-read",
    "bad scoped-escape",
]
# What the scoped commands need on their command line.
SCOPED_ARGV = {name: ["--mission", "001-login-flow"] for name in ("bad scoped-escape",)}

_WRITE_TAIL = (
    f'in guarded package "{PACKAGE}"; persist through a kitty_fs WriteContext'
    " (ctx.write_text / ctx.write_bytes / save_config) taken at a write boundary  [kitty-fs-write]"
)
EXPECTED = {
    "open": [f'error: Raw filesystem write "open" (mode "a") {_WRITE_TAIL}'],
    "write_text": [f'error: Raw filesystem write "pathlib.Path.write_text" {_WRITE_TAIL}'],
    "swallow": [f'error: Raw filesystem write "pathlib.Path.write_text" {_WRITE_TAIL}'],
    "write_body": [
        'error: Argument 1 has incompatible type "Callable[[WriteContext, Invocation], int]";'
        ' expected "Callable[[ReadContext, Invocation], int | None]"  [arg-type]',
        'note: This is likely because "_save_config" has named arguments: "repo", "inv".'
        " Consider marking them positional-only",
    ],
    "temp": [
        f'error: Raw filesystem write "tempfile.mkstemp" in guarded package "{PACKAGE}"; write'
        " through a kitty_fs WriteContext rooted at a side channel (a state or temp directory)"
        " handed down by the dispatcher  [kitty-fs-write]"
    ],
    "save_read": [
        'error: Argument 1 to "save_config" has incompatible type "ReadContext";'
        ' expected "WriteContext"  [arg-type]'
    ],
}


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the plugin package (put it on PYTHONPATH to import it)."""
    return write_plugin(tmp_path_factory.mktemp("plugin"), PACKAGE, PLUGIN_SOURCE)


def _plugin_env(state: Path, plugin_dir: Path, *, unguarded: bool = False) -> dict[str, str]:
    return plugin_env(state, plugin_dir, MODULE, **({UNGUARDED_ENV: "1"} if unguarded else {}))


def _argv(name: str, *, as_json: bool) -> list[str]:
    return [*name.split(), *SCOPED_ARGV.get(name, []), *(["--json"] if as_json else [])]


# ---------------------------------------------------------------- 1. the contract test fails


def test_the_registry_parametrization_picks_the_plugin_up(plugin_dir: Path, tmp_path: Path) -> None:
    """Declaring the commands is all it takes for the contract test to cover them."""
    code = (
        "from cli_support import contract_suite; from test_cli_contract import SETUPS; "
        "print('\\n'.join(c.name for c in contract_suite(SETUPS).commands()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_plugin_env(tmp_path / "state", plugin_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    names = done.stdout.splitlines()
    assert set(BAD_COMMANDS) | {"fine side-channel", "fine scoped-note", "sync status"} <= set(
        names
    )


@dataclass(frozen=True)
class ChildRun:
    outcomes: dict[str, str]
    output: str


_OUTCOME = re.compile(r"^(PASSED|FAILED|XFAIL|XPASS|ERROR) \S+\[(?P<id>[^\]]+)\]", re.M)


def _run_contract_test(plugin_dir: Path, tmp_path: Path, *, unguarded: bool) -> ChildRun:
    """Run test_cli_contract.py in a child pytest with the plugin declared; outcome per case."""
    env = _plugin_env(tmp_path / "unused-state", plugin_dir, unguarded=unguarded)
    # This process may be an xdist worker: the child is a plain pytest run of its own.
    env = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(HERE / "test_cli_contract.py"),
            "-k",
            "synced-legacy-upgrade and (bad_ or fine_)",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "-rA",
            f"--basetemp={tmp_path / 'child'}",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    outcomes = {
        m["id"].removesuffix("-synced-legacy-upgrade"): m.group(1)
        for m in _OUTCOME.finditer(done.stdout)
    }
    assert done.returncode == 1, output  # 1: some tests failed (not a crash or usage error)
    return ChildRun(outcomes, output)


def _ids(names: list[str]) -> set[str]:
    return {name.replace(" ", "_") for name in names}


@pytest.mark.slow
def test_the_contract_test_fails_for_it_with_the_guard(plugin_dir: Path, tmp_path: Path) -> None:
    child = _run_contract_test(plugin_dir, tmp_path, unguarded=False)
    failed = {k for k, v in child.outcomes.items() if v == "FAILED"}
    assert failed == _ids(BAD_COMMANDS), child.output
    assert child.outcomes["fine_side-channel"] == "PASSED", child.output
    assert child.outcomes["fine_scoped-note"] == "PASSED", child.output
    assert "exit 8: the runtime guard stopped a write" in child.output


@pytest.mark.slow
def test_the_contract_test_sees_the_dirt_itself_without_the_guard(
    plugin_dir: Path, tmp_path: Path
) -> None:
    """With the guard disabled the writes happen, and INV-1's snapshot names them."""
    child = _run_contract_test(plugin_dir, tmp_path, unguarded=True)
    failed = {k for k, v in child.outcomes.items() if v == "FAILED"}
    assert failed == _ids(BAD_COMMANDS), child.output
    assert child.outcomes["fine_side-channel"] == "PASSED", child.output
    assert child.outcomes["fine_scoped-note"] == "PASSED", child.output
    assert "INV-1: .kittify/config.yaml: content changed" in child.output
    assert (
        "outside its write scope (kitty-specs/001-login-flow): .kittify/config.yaml: content "
        "changed" in child.output
    )
    assert "INV-1: .kittify/config.yaml: mtime_ns changed" in child.output
    assert "status now shows: ' M .kittify/config.yaml'" in child.output
    assert "exit 8" not in child.output


@pytest.mark.parametrize("name", BAD_COMMANDS)
def test_the_contract_check_reports_the_change_without_the_guard(
    name: str, plugin_dir: Path, tmp_path: Path
) -> None:
    """The same check, called directly: the problems it lists are the file's changes."""
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    run = run_cli(
        _argv(name, as_json=True),
        cwd=repo,
        env=_plugin_env(tmp_path / "state", plugin_dir, unguarded=True),
    )
    problems = contract_problems(run, before, TreeState.take(repo))
    assert ".kittify/config.yaml: content changed" in " ".join(problems), run.describe()
    assert run.returncode == 0  # nothing stopped it: only the snapshot saw it


# ---------------------------------------------------------------- 2. the guard stops it


@pytest.mark.parametrize("name", BAD_COMMANDS)
def test_the_guard_stops_it_at_run_time(name: str, plugin_dir: Path, tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    env = _plugin_env(tmp_path / "state", plugin_dir)
    before = TreeState.take(repo)
    config = (repo / ".kittify" / "config.yaml").read_bytes()

    text = run_cli(_argv(name, as_json=False), cwd=repo, env=env)
    assert text.returncode == 8, text.describe()
    assert f"spec-kitty {name}: error [WRITE_VIOLATION]" in text.stderr
    assert ".kittify/" in text.stderr and "Traceback" not in text.stderr
    # The ones that open the config itself are refused on that very path; save_config is
    # refused on its temp file next to it, before anything is replaced.
    if "save" not in name:
        assert ".kittify/config.yaml" in text.stderr
    assert "the worktree was not changed" in text.stderr

    objects = run_cli(_argv(name, as_json=True), cwd=repo, env=env).json_objects()
    failure = objects[-1]
    assert isinstance(failure, dict) and failure["ok"] is False
    error = failure["error"]
    assert isinstance(error, dict)
    assert error["code"] == "WRITE_VIOLATION" and error["exit_code"] == 8
    assert name in str(error["message"]) and ".kittify/" in str(error["message"])

    assert before.changes_since(TreeState.take(repo)) == []
    assert (repo / ".kittify" / "config.yaml").read_bytes() == config


def test_a_scoped_writer_is_stopped_outside_its_scope_and_names_it(
    plugin_dir: Path, tmp_path: Path
) -> None:
    """The write-violation code, the path, the declared scope; nothing changed."""
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    env = _plugin_env(tmp_path / "state", plugin_dir)
    run = run_cli(_argv("bad scoped-escape", as_json=False), cwd=repo, env=env)
    assert run.returncode == 8, run.describe()
    assert "may write only kitty-specs/001-login-flow" in run.stderr, run.describe()
    assert "refused .kittify/config.yaml" in run.stderr, run.describe()
    assert before.changes_since(TreeState.take(repo)) == []
    inside = run_cli(
        ["fine", "scoped-note", "--mission", "001-login-flow", "--json"], cwd=repo, env=env
    )
    assert inside.returncode == 0, inside.describe()
    assert (repo / "kitty-specs/001-login-flow/note.md").read_text() == "a note\n"


def test_a_swallowed_guard_error_still_fails_the_command(plugin_dir: Path, tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    run = run_cli(
        _argv("bad swallow", as_json=False),
        cwd=repo,
        env=_plugin_env(tmp_path / "state", plugin_dir),
    )
    assert run.returncode == 8, run.describe()
    assert "swallowed the guard's error" in run.stderr
    assert "commands.py:" in run.stderr  # the origin of the attempt, file:line
    assert before.changes_since(TreeState.take(repo)) == []


def test_a_swallowed_guard_error_prints_one_json_failure(plugin_dir: Path, tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    run = run_cli(
        _argv("bad swallow", as_json=True),
        cwd=repo,
        env=_plugin_env(tmp_path / "state", plugin_dir),
    )
    assert run.returncode == 8
    assert run.json()["ok"] is False


def test_the_good_plugin_command_passes_and_writes_its_side_channel(
    plugin_dir: Path, tmp_path: Path
) -> None:
    repo = make_project(tmp_path / "repo")
    state = tmp_path / "state"
    before = TreeState.take(repo)
    run = run_cli(["fine", "side-channel", "--json"], cwd=repo, env=_plugin_env(state, plugin_dir))
    assert contract_problems(run, before, TreeState.take(repo)) == []
    assert run.returncode == 0 and (state / "plugin-note.txt").is_file()


def test_the_temp_dir_is_a_side_channel(plugin_dir: Path, tmp_path: Path) -> None:
    """The control for the next test: a temp dir outside the repository is writable."""
    repo = make_project(tmp_path / "repo")
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    env = {**_plugin_env(tmp_path / "state", plugin_dir), "TMPDIR": str(temp)}
    before = TreeState.take(repo)
    run = run_cli(["scratch", "temp-file", "--json"], cwd=repo, env=env)
    assert contract_problems(run, before, TreeState.take(repo)) == []
    assert Path(str(run.json()["temp"])).parent == temp


def test_a_temp_dir_inside_the_repository_is_replaced_by_one_in_the_state_dir(
    plugin_dir: Path, tmp_path: Path
) -> None:
    """TMPDIR inside the repository is no side channel: temp files go to the state dir.

    Nothing is created there either, not even the probe file ``tempfile.gettempdir()``
    makes to test a directory (the full listing, directory mtimes included, is unchanged).
    """
    repo = make_project(tmp_path / "repo")
    temp = repo / "tmp"
    temp.mkdir()
    state = tmp_path / "state"
    env = {**_plugin_env(state, plugin_dir), "TMPDIR": str(temp)}
    before = TreeState.take(repo)
    run = run_cli(["scratch", "temp-file", "--json"], cwd=repo, env=env)
    assert contract_problems(run, before, TreeState.take(repo)) == [], run.describe()
    assert Path(str(run.json()["temp"])).parent == (state / "tmp").resolve()


# ---------------------------------------------------------------- 3. mypy rejects it


def _mypy_config(cache: Path) -> str:
    """The project's mypy.ini, with the plugin package added to the guarded packages.

    Only what cannot apply to a temp directory changes: ``files`` goes,
    ``mypy_path`` becomes absolute and the cache goes to the temp directory.
    """
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(PROJECT_ROOT / "mypy.ini", encoding="utf-8")
    assert "kitty_fs.mypy_plugin" in parser["mypy"]["plugins"]
    parser.remove_option("mypy", "files")
    parser["mypy"]["mypy_path"] = str(SRC)
    parser["mypy"]["cache_dir"] = str(cache)
    section = parser["kitty_fs.mypy_plugin"]
    section["guarded_packages"] = f"{section['guarded_packages'].strip()}, {PACKAGE}"
    lines: list[str] = []
    for name in parser.sections():
        lines.append(f"[{name}]")
        for key, value in parser[name].items():
            # Multi-line values (write_boundaries) continue on indented lines.
            lines.append(f"{key} = {value}".replace("\n", "\n    "))
        lines.append("")
    return "\n".join(lines)


def _expected_lines() -> list[str]:
    path = f"{PACKAGE}/commands.py"
    found: list[str] = []
    for number, line in enumerate(PLUGIN_SOURCE.splitlines(), start=1):
        if "# expect: " in line:
            key = line.split("# expect: ")[1].strip()
            found += [f"{path}:{number}: {message}" for message in EXPECTED[key]]
    return found


def test_mypy_with_the_plugin_rejects_the_module(plugin_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "mypy.ini"
    config.write_text(_mypy_config(tmp_path / "mypy-cache"))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), PACKAGE],
        cwd=plugin_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    mine = [line for line in done.stdout.splitlines() if line.startswith(f"{PACKAGE}/")]
    assert mine == _expected_lines(), output
    assert len(_expected_lines()) == 8  # every tagged line; the side-channel write passes
