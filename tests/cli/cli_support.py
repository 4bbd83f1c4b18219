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

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spec_kitty_samples import LEGACY_CONFIG, PROJECT_UUID

from kitty_fs.pytest_plugin import WorktreeSnapshot, make_git_repo
from specify_cli.cli._exit import ExitCode
from specify_cli.cli._registry import Command

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
    "git",
    "make_project",
    "read_command_params",
    "read_commands",
    "registry",
    "run_cli",
    "spec_kitty_executable",
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


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` (independent of the user's git config); its stdout."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout


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
    beside = Path(sys.executable).with_name("spec-kitty")
    if beside.is_file():
        return str(beside)
    found = shutil.which("spec-kitty")
    assert found is not None, "spec-kitty is not installed (pip install -e .)"
    return found


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


@dataclass(frozen=True)
class CliRun:
    """One finished ``spec-kitty`` process."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"$ spec-kitty {' '.join(self.argv)}\nexit {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )

    def json_objects(self) -> list[object]:
        """Every stdout line parsed as JSON (raises ``ValueError`` on a non-JSON line)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def json(self) -> dict[str, object]:
        """The one JSON object a ``--json`` command prints."""
        objects = self.json_objects()
        assert len(objects) == 1 and isinstance(objects[0], dict), self.describe()
        return objects[0]


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
    plugin = env.get(PLUGIN_ENV)
    prefix = [sys.executable, str(RUNNER), plugin] if plugin else [spec_kitty_executable()]
    done = subprocess.run(
        [*prefix, *argv],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliRun(tuple(argv), done.returncode, done.stdout, done.stderr)


def registry() -> dict[str, Command[...]]:
    """The command registry, filled: ``build_app()`` imports (and so declares) every command."""
    from specify_cli.cli._app import build_app
    from specify_cli.cli._registry import REGISTRY

    build_app()
    return REGISTRY


def read_commands() -> list[Command[...]]:
    """Every declared read command, straight from the registry the dispatcher uses.

    ``build_app()`` imports every command module, which declares (and so
    registers) its commands; a plugin module named by ``KITTY_CLI_TEST_PLUGIN``
    is imported and registered the same way.
    """
    import importlib

    from specify_cli.cli._app import build_app
    from specify_cli.cli._registry import REGISTRY

    app = build_app()
    plugin = os.environ.get(PLUGIN_ENV)
    if plugin:
        importlib.import_module(plugin).register(app)
    return sorted((c for c in REGISTRY.values() if c.capability == "read"), key=lambda c: c.name)


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


def _listing(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every path below ``root`` except git's own: kind, size and mtime_ns.

    Stricter than ``git status``: it also sees ignored files and empty
    directories, which a stray write can create without git noticing.
    """
    found: dict[str, tuple[str, int, int]] = {}
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        if base == root:
            dirs[:] = [d for d in dirs if d != ".git"]
            files = [f for f in files if f != ".git"]  # a linked worktree's .git file
        for name in (*dirs, *files):
            path = base / name
            info = path.lstat()
            kind = "dir" if stat.S_ISDIR(info.st_mode) else "file"
            rel = path.relative_to(root).as_posix()
            # A directory's mtime moves whenever an entry is created or removed in it,
            # so a temp file that a command created and cleaned up still shows.
            found[rel] = (kind, info.st_size if kind == "file" else 0, info.st_mtime_ns)
    return found


@dataclass(frozen=True)
class TreeState:
    """INV-1's evidence: the plugin's snapshot (porcelain, sha256 and mtime_ns of every
    tracked file) plus a listing of the whole tree (ignored files and directories too)."""

    snapshot: WorktreeSnapshot
    listing: Mapping[str, tuple[str, int, int]] = field(repr=False)
    porcelain: str

    @classmethod
    def take(cls, repo: Path) -> TreeState:
        return cls(
            WorktreeSnapshot.take(repo),
            _listing(repo.resolve()),
            git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored"),
        )

    def changes_since(self, later: TreeState) -> list[str]:
        changes = self.snapshot.changes_since(later.snapshot)
        if self.porcelain != later.porcelain:
            changes.append(f"git status --porcelain: {self.porcelain!r} -> {later.porcelain!r}")
        for rel in sorted(set(self.listing) | set(later.listing)):
            old, new = self.listing.get(rel), later.listing.get(rel)
            if old != new:
                changes.append(f"tree: {rel}: {old} -> {new}")
        return changes


# A read command may fail (sync down, not initialized...), but never like this.
_FORBIDDEN = {
    ExitCode.USAGE: "usage error: the body never ran (does it need contract_argv?)",
    ExitCode.WRITE_VIOLATION: "the runtime guard stopped a write",
    ExitCode.INTERNAL: "internal error",
}


def _json_problems(run: CliRun) -> list[str]:
    try:
        objects = run.json_objects()
    except ValueError as exc:
        return [f"--json printed something that is not JSON ({exc})"]
    if not objects:
        return ["--json printed nothing on stdout"]
    problems: list[str] = []
    for obj in objects:
        if not isinstance(obj, dict) or not isinstance(obj.get("ok"), bool):
            problems.append(f'--json printed {obj!r}, not an object with a boolean "ok"')
    failures = [o for o in objects if isinstance(o, dict) and o.get("ok") is False]
    if failures:
        if len(objects) != 1:
            problems.append(
                f"--json printed {len(objects)} objects: a failure must be the only object"
            )
        error = failures[-1].get("error")
        if not isinstance(error, dict) or error.get("exit_code") != run.returncode:
            problems.append(f"the JSON error {error!r} does not carry exit code {run.returncode}")
    elif run.returncode not in (ExitCode.OK, ExitCode.CHECK_FAILED):
        problems.append(f"exit {run.returncode} but the JSON output says ok")
    return problems


def contract_problems(run: CliRun, before: TreeState, after: TreeState) -> list[str]:
    """Everything the contract test holds a read command to; empty when it kept all of it.

    INV-1 (no change to porcelain, bytes, mtime_ns, nor anything else in the
    tree), a documented exit code that is not a usage error, a guard stop or an
    internal error, no traceback, and machine-readable ``--json`` output.
    """
    problems = [f"INV-1: {change}" for change in before.changes_since(after)]
    documented = {int(code) for code in ExitCode}
    if run.returncode not in documented:
        problems.append(f"exit code {run.returncode} is not documented in ExitCode")
    elif run.returncode in _FORBIDDEN:
        problems.append(f"exit {run.returncode}: {_FORBIDDEN[ExitCode(run.returncode)]}")
    if "Traceback (most recent call last)" in run.stderr + run.stdout:
        problems.append("a traceback was printed")
    problems += _json_problems(run)
    return problems
