"""``spec-kitty capabilities`` lists every command with the capability it declared.

Compared with the registry (what the dispatcher enforces) and with the typer
application (what a user can type): the three must agree, so no command can be
reachable without a declared capability.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
import typer.core
import typer.main
from cli_support import TreeState, make_project, registry, run_cli

from kitty_fs.testing import run_program
from specify_cli.cli._app import COMMAND_MODULES, build_app, build_registry

pytest_plugins = ["cli_fixtures"]

REGISTRY = registry()


def _cli_commands() -> set[str]:
    """Every leaf command of the typer app, as space-separated words."""
    root = typer.main.get_command(build_app())
    found: set[str] = set()

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        if isinstance(command, typer.core.TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, (*prefix, name))
        else:
            found.add(" ".join(prefix))

    walk(root, ())
    return found


def test_capabilities_json_lists_the_registry(tmp_path: Path, offline_env: dict[str, str]) -> None:
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    run = run_cli(["capabilities", "--json"], cwd=repo, env=offline_env)
    result = run.json()
    assert run.returncode == 0 and result["ok"] is True, run.describe()
    rows = result["commands"]
    assert isinstance(rows, list)
    listed = {(r["command"], r["capability"], r["summary"], tuple(r["writes"])) for r in rows}
    assert listed == {(c.name, c.capability, c.summary, c.writes) for c in REGISTRY}
    assert len(rows) == len(REGISTRY)  # no duplicates
    assert [r["command"] for r in rows] == REGISTRY.names()
    capability = {r["command"]: r["capability"] for r in rows}
    assert {n for n, c in capability.items() if c == "write"} == {
        "init",
        "tracker apply",
        "tracker bind",
    }
    assert {n for n, c in capability.items() if c == "scoped-write"} == {
        "agent status emit",
        "record-analysis",
    }
    enforcement = result["enforcement"]
    assert isinstance(enforcement, dict) and enforcement["guard"] is True
    assert isinstance(enforcement["kernel"], bool) and enforcement["kernel_detail"]
    assert before.changes_since(TreeState.take(repo)) == []


def test_capabilities_text_names_each_command_and_capability(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    run = run_cli(["capabilities"], cwd=repo, env=offline_env)
    assert run.returncode == 0, run.describe()
    *lines, enforcement = run.stdout.splitlines()
    assert len(lines) == len(REGISTRY)
    assert enforcement.startswith("enforcement of read commands here: audit-hook guard on")
    for command in REGISTRY:
        [line] = [ln for ln in lines if ln.startswith(command.name + "  ")]
        assert line.split()[len(command.name.split())] == command.capability


def test_every_cli_command_is_declared_and_every_declaration_is_reachable() -> None:
    """A typer command added without read_command/write_command would bypass the dispatcher."""
    assert _cli_commands() == set(REGISTRY.names())
    for name in REGISTRY.names():
        command = REGISTRY[name]
        assert command.name == name
        assert command.capability in ("read", "scoped-write", "write")


# Which command modules a cold `spec-kitty` run imported, printed as it exits.
_IMPORTED_COMMAND_MODULES = """\
import atexit, sys
atexit.register(lambda: print("MODULES", *sorted(
    m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("specify_cli.cli.commands.")
    and not m.rsplit(".", 1)[1].startswith("_"))))
sys.argv = ["spec-kitty", *sys.argv[1:]]
from specify_cli.cli import main
main()
"""


def _imported_command_modules(argv: list[str], repo: Path, env: dict[str, str]) -> list[str]:
    run = run_program([sys.executable, "-c", _IMPORTED_COMMAND_MODULES], argv, cwd=repo, env=env)
    [line] = [ln for ln in run.stdout.splitlines() if ln.startswith("MODULES")]
    return line.split()[1:]


def test_a_command_line_imports_only_its_own_command_module(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    """The cold start of `sync status` pays for the sync commands, not for all nine modules."""
    repo = make_project(tmp_path / "repo")
    assert _imported_command_modules(["sync", "status", "--json"], repo, offline_env) == ["sync"]
    assert _imported_command_modules(
        ["--repo", str(repo), "tracker", "status"], repo, offline_env
    ) == ["tracker"]
    everything = sorted(COMMAND_MODULES.values())
    assert _imported_command_modules(["--help"], repo, offline_env) == everything
    assert _imported_command_modules(["capabilities", "--json"], repo, offline_env) == everything


def test_each_command_module_declares_the_words_it_is_listed_under() -> None:
    """COMMAND_MODULES is what the lazy loading trusts: loading them all checks every entry."""
    registry = build_registry()
    assert {name.split()[0] for name in registry.names()} == {*COMMAND_MODULES, "capabilities"}
