"""Shared helpers of the ``spec-kitty`` command-line tests (imported by conftest and tests).

The tests drive the installed ``spec-kitty`` as a real subprocess on real git
repositories. Two test-only environment variables let the contract test itself
be run against a deliberately bad plugin module (see ``cli_plugin_runner.py``
and ``test_cli_bad_command.py``), so the proof that the contract test *can*
fail runs the very same test code as the real commands:

* ``KITTY_CLI_TEST_PLUGIN=module``: also declare the read commands of ``module``
  (it has a ``register(app)`` function), and run the CLI through the runner;
* ``KITTY_CLI_TEST_UNGUARDED=1``: the runner disables the runtime guard, the
  way a command would run before this project (or with the guard bypassed).

Neither is read by ``src/``: without them the real ``spec-kitty`` runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from git_support import git
from spec_kitty_samples import LEGACY_CONFIG, PROJECT_UUID

from kitty_fs.commands import Command, CommandRegistry
from kitty_fs.testing import (
    CliRun,
    ContractCase,
    ContractSetup,
    ContractSuite,
    Prepared,
    TreeState,
    console_script,
    make_git_repo,
    run_program,
)
from specify_cli.cli._app import POLICY

__all__ = [
    "BARE_LEGACY_CONFIG",
    "KNOWN_BROKEN",
    "LEGACY_CONFIG",
    "NO_UUID_CONFIG",
    "PLUGIN_ENV",
    "PROJECT_UUID",
    "RUNNER",
    "UNGUARDED_ENV",
    "CliRun",
    "Saas",
    "TreeState",
    "cli_env",
    "command_argv",
    "contract_problems",
    "contract_suite",
    "git",
    "make_project",
    "plugin_env",
    "plugin_registries",
    "read_command_params",
    "read_commands",
    "registry",
    "run_cli",
    "run_cli_at_once",
    "spec_kitty_executable",
    "synced_cli_env",
    "write_plugin",
]

PLUGIN_ENV = "KITTY_CLI_TEST_PLUGIN"
UNGUARDED_ENV = "KITTY_CLI_TEST_UNGUARDED"
RUNNER = Path(__file__).with_name("cli_plugin_runner.py")

# Read commands the contract test knows to be wrong, with the fix, as
# {name: reason}; their cases are marked xfail(strict=True), so the fix turns them
# into a failure that says to delete the entry. Empty is the goal.
KNOWN_BROKEN: dict[str, str] = {}


@dataclass(frozen=True)
class Saas:
    """A running reference server: its base URL, the token it accepts, the binding it offers."""

    url: str
    token: str
    binding_ref: str


# Older still: only the uuid; slug, node_id and build_id are all derived in memory.
BARE_LEGACY_CONFIG = f"""\
# a very old spec-kitty config
project:
  uuid: {PROJECT_UUID}  # nothing else was recorded back then
"""

# A project that was never initialized, but is bound to a tracker.
NO_UUID_CONFIG = """\
# spec-kitty project configuration, before `spec-kitty init`
project:
  slug: demo-project

tracker:
  provider: jira
  binding_ref: bind-001
  project_slug: demo-project
"""

# Files besides the config: missions for dossier/lifecycle/dashboard, a source file
# for the DIRTY_WORKTREE gate, and ignores so that a write to an ignored path (which
# `git status` would not show) is still caught by the full tree listing.
PROJECT_FILES: Mapping[str, str] = {
    "README.md": "# demo project\n",
    ".gitignore": "*.log\nbuild/\n",
    "src/app.py": "def main() -> int:\n    return 0\n",
    "kitty-specs/001-login-flow/spec.md": "# Login flow\n\nUsers log in.\n",
    "kitty-specs/001-login-flow/plan.md": "# Plan\n\n1. form\n2. session\n",
    "kitty-specs/001-login-flow/meta.json": '{"mission": "001-login-flow", "step": 2}\n',
    "kitty-specs/002-search/spec.md": "# Search\n",
}


def make_project(
    path: Path,
    *,
    config: str | None = LEGACY_CONFIG,
    files: Mapping[str, str] = PROJECT_FILES,
) -> Path:
    """A committed git repository with ``files`` and ``.kittify/config.yaml`` (if ``config``)."""
    content = dict(files)
    if config is not None:
        content[".kittify/config.yaml"] = config
    return make_git_repo(path, content)


def spec_kitty_executable() -> str:
    """The ``spec-kitty`` console script installed next to this interpreter."""
    return console_script("spec-kitty")


def cli_env(state_home: Path, **overrides: str | None) -> dict[str, str]:
    """The process environment with every ``SPEC_KITTY_*`` variable cleared, then ``overrides``.

    ``SPEC_KITTY_HOME`` is ``state_home`` (outside the repository); a ``None``
    override removes a variable. Git ignores the user's and the system's config.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPEC_KITTY_")}
    env.update(
        SPEC_KITTY_HOME=os.fspath(state_home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def synced_cli_env(state_home: Path, saas: Saas) -> dict[str, str]:
    """``cli_env`` with sync enabled and authenticated against ``saas``: one try, 10 s timeout."""
    return cli_env(
        state_home,
        SPEC_KITTY_ENABLE_SAAS_SYNC="1",
        SPEC_KITTY_SAAS_URL=saas.url,
        SPEC_KITTY_SAAS_TOKEN=saas.token,
        SPEC_KITTY_SYNC_TIMEOUT="10",
        SPEC_KITTY_SYNC_RETRIES="0",
    )


def write_plugin(root: Path, package: str, source: str) -> Path:
    """``root`` holding the plugin package ``package``, its ``commands`` module ``source``.

    Put ``root`` on the child's path with ``plugin_env``; the package never enters the real CLI.
    """
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text('"""A test-only spec-kitty plugin."""\n')
    (root / package / "commands.py").write_text(source)
    return root


def plugin_env(
    state_home: Path, plugin_dir: Path, module: str, **overrides: str | None
) -> dict[str, str]:
    """``cli_env`` that runs spec-kitty through the runner with the plugin ``module`` declared.

    The child imports the plugin from ``plugin_dir`` and the runner's helpers from
    this directory and ``tests/shared``, before whatever ``PYTHONPATH`` was already.
    """
    here = Path(__file__).resolve().parent
    paths = [plugin_dir, here, here.parent / "shared"]
    path = os.pathsep.join([*map(str, paths), *filter(None, [os.environ.get("PYTHONPATH")])])
    return cli_env(state_home, PYTHONPATH=path, **{PLUGIN_ENV: module}, **overrides)


def spec_kitty_program(env: Mapping[str, str]) -> list[str]:
    """The command line of spec-kitty: the plugin runner when ``env`` names a plugin."""
    plugin = env.get(PLUGIN_ENV)
    return [sys.executable, str(RUNNER), plugin] if plugin else [spec_kitty_executable()]


def run_cli(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 120.0,
) -> CliRun:
    """Run ``spec-kitty ARGV``; through the plugin runner when ``env`` names a plugin.

    ``env`` normally comes from ``cli_env``, which copies this process's
    environment, so ``KITTY_CLI_TEST_PLUGIN`` set around a pytest run reaches here.
    """
    return run_program(spec_kitty_program(env), argv, cwd=cwd, env=env, timeout=timeout)


def run_cli_at_once(
    argvs: Sequence[Sequence[str]],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 120.0,
) -> list[CliRun]:
    """Start one ``spec-kitty ARGV`` per entry at the same moment, then collect each (a race).

    The concurrency tests need the processes to overlap, which ``run_cli`` one
    after the other would never do.
    """
    program = spec_kitty_program(env)
    procs = [
        subprocess.Popen(
            [*program, *argv],
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    runs = []
    for argv, proc in zip(argvs, procs, strict=True):
        stdout, stderr = proc.communicate(timeout=timeout)
        runs.append(CliRun(tuple(program), tuple(argv), proc.returncode, stdout, stderr))
    return runs


def plugin_registries() -> list[CommandRegistry]:
    """The ``commands`` registry of the plugin module named by ``KITTY_CLI_TEST_PLUGIN``."""
    import importlib

    plugin = os.environ.get(PLUGIN_ENV)
    if not plugin:
        return []
    commands = importlib.import_module(plugin).commands
    assert isinstance(commands, CommandRegistry)
    return [commands]


def registry() -> CommandRegistry:
    """The app's command registry (plus a plugin's commands), as the dispatcher gets it."""
    from specify_cli.cli._app import build_registry

    return build_registry(*plugin_registries())


def read_commands() -> list[Command[...]]:
    """Every declared read command, straight from the registry the dispatcher uses."""
    return registry().of_capability("read")


def contract_suite(setups: Sequence[ContractSetup]) -> ContractSuite:
    """spec-kitty's contract: kitty_fs.testing over its registry, exit codes and console script."""
    return ContractSuite(
        registry,
        spec_kitty_program,
        setups,
        exit_codes=POLICY.exit_code_table(),
        known_broken=KNOWN_BROKEN,
        json_streams={"dashboard run"},
    )


def read_command_params() -> list[Any]:
    """``read_commands()`` as pytest params: ids without spaces, ``KNOWN_BROKEN`` marked xfail."""
    import pytest

    return [
        pytest.param(
            command,
            id=command.name.replace(" ", "_"),
            marks=(
                [pytest.mark.xfail(reason=KNOWN_BROKEN[command.name], strict=True)]
                if command.name in KNOWN_BROKEN
                else []
            ),
        )
        for command in read_commands()
    ]


def command_argv(command: Command[...]) -> list[str]:
    """The command line the contract test runs: the command's words, its contract_argv, --json."""
    return [*command.name.split(), *command.contract_argv, "--json"]


def _unused_setup(_request: object) -> Prepared:
    raise AssertionError("contract_problems judges a finished run; it builds nothing")


def _plugin_body(*_args: object, **_kwargs: object) -> int:
    raise AssertionError("a plugin command runs in its own process, never here")


def contract_problems(run: CliRun, before: TreeState, after: TreeState) -> list[str]:
    """Everything the contract test holds a read command to; empty when it kept all of it.

    The same rules as ``kitty_fs.testing.ContractSuite`` (the command is found
    from the run's argv), for tests that run a command themselves.
    """
    commands = registry()
    words = [w for w in run.argv if not w.startswith("-")]
    names = [" ".join(words[:n]) for n in range(len(words), 0, -1)]
    known = [commands[name] for name in names if name in commands]
    # A plugin's command is not in this process's registry: judge it as the read it declares.
    command = known[0] if known else Command(" ".join(words), "read", "", _plugin_body)
    setup = ContractSetup("adhoc", _unused_setup)
    suite = contract_suite([setup])
    return suite.problems(ContractCase(command, setup, tuple(run.argv)), run, before.diff(after))
