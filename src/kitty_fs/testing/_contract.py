"""The contract test for any registry: every declared command, run for real, in every setup.

For each (command, setup) pair the suite builds the app's setup in a fresh
temporary directory, runs the command as a real subprocess of the app's
console script with ``--json``, and checks:

* a read command left the tree unchanged (``TreeState``: porcelain with
  ignored files, sha256 and ``mtime_ns`` of tracked files, the full listing);
* a scoped write command changed nothing outside its declared scope (its
  ``{placeholders}`` are read from ``--name VALUE`` in the contract argv);
* the exit code is documented, and not a usage error, a write violation or an
  internal error (the body did run, and cleanly);
* nothing printed a traceback, and ``--json`` printed exactly one object with a
  boolean ``"ok"`` (commands named in ``json_streams`` print one per result).

The parametrization comes from the registry itself, so a command is covered
the moment it is declared; write boundaries (``write``) are not in it, since
they are allowed to change the project.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kitty_fs._scope import WriteScope
from kitty_fs.commands._declare import Capability, Command, CommandRegistry
from kitty_fs.commands._exit import ExitCode, documented_exit_codes
from kitty_fs.testing._runner import CliRun, run_program
from kitty_fs.testing._tree import Change, TreeState

if TYPE_CHECKING:
    import pytest

__all__ = ["ContractCase", "ContractSetup", "ContractSuite", "Prepared", "SetupRequest"]

_FORBIDDEN = {
    int(ExitCode.USAGE): "usage error: the body never ran (does it need contract argv?)",
    int(ExitCode.WRITE_VIOLATION): "the runtime guard stopped a write",
    int(ExitCode.INTERNAL): "internal error",
}


@dataclass(frozen=True)
class Prepared:
    """What a setup built: the directory to run in and the process environment."""

    repo: Path
    env: Mapping[str, str]
    cwd: Path | None = None


@dataclass(frozen=True)
class SetupRequest:
    """Handed to a setup's builder: a fresh temp dir, and pytest's fixtures when under pytest."""

    tmp_path: Path
    request: pytest.FixtureRequest | None = None

    def fixture(self, name: str) -> Any:
        if self.request is None:
            raise RuntimeError(f"fixture {name!r} needs pytest (run the suite's pytest test)")
        return self.request.getfixturevalue(name)


@dataclass(frozen=True)
class ContractSetup:
    """One environment every covered command runs in; ``all_succeed``: each must exit 0."""

    name: str
    build: Callable[[SetupRequest], Prepared]
    all_succeed: bool = False


@dataclass(frozen=True)
class ContractCase:
    command: Command[...]
    setup: ContractSetup
    argv: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.command.name.replace(' ', '_')}-{self.setup.name}"


def _option_value(argv: Sequence[str], option: str) -> str | None:
    for index, word in enumerate(argv):
        if word == option and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(option + "="):
            return word[len(option) + 1 :]
    return None


class ContractSuite:
    """The contract of one app: its registry, its console script, its setups.

    ``registry`` (or a function returning it, called at collection) gives the
    commands; ``program`` is the command line of the app's console script (or a
    function of the run's environment returning it); ``argv`` maps a command
    name to the arguments it needs (default: the command's ``contract_argv``);
    ``exit_codes`` the app's documented codes (default: the base ones);
    ``known_broken`` maps names to a reason and marks their cases strict xfail;
    ``scope_values`` gives a scoped writer's placeholder values when they are
    positional arguments (options ``--name VALUE`` are read from the argv).
    """

    def __init__(
        self,
        registry: CommandRegistry | Callable[[], CommandRegistry],
        program: Sequence[str] | Callable[[Mapping[str, str]], Sequence[str]],
        setups: Sequence[ContractSetup],
        *,
        argv: Mapping[str, Sequence[str]] | None = None,
        exit_codes: Mapping[int, str] | None = None,
        known_broken: Mapping[str, str] | None = None,
        json_streams: Iterable[str] = (),
        capabilities: Sequence[Capability] = ("read", "scoped-write"),
        scope_values: Mapping[str, Mapping[str, str]] | None = None,
        timeout: float = 120.0,
    ) -> None:
        if not setups:
            raise ValueError("a contract suite needs at least one setup")
        self._registry = registry
        self._program = program
        self.setups = tuple(setups)
        self.argv = dict(argv or {})
        self.exit_codes = dict(exit_codes or documented_exit_codes())
        self.known_broken = dict(known_broken or {})
        self.json_streams = frozenset(json_streams)
        self.capabilities = tuple(capabilities)
        self.scope_values = {name: dict(values) for name, values in (scope_values or {}).items()}
        self.timeout = timeout

    # --- what is covered ---

    def registry(self) -> CommandRegistry:
        registry = self._registry
        return registry if isinstance(registry, CommandRegistry) else registry()

    def commands(self) -> list[Command[...]]:
        return self.registry().of_capability(*self.capabilities)

    def argv_for(self, command: Command[...]) -> tuple[str, ...]:
        given = self.argv.get(command.name)
        extra = tuple(given) if given is not None else command.contract_argv
        return (*command.words, *extra, "--json")

    def cases(self) -> list[ContractCase]:
        return [
            ContractCase(command, setup, self.argv_for(command))
            for command in self.commands()
            for setup in self.setups
        ]

    def scope_of(self, case: ContractCase) -> WriteScope | None:
        """The declared scope of a scoped writer, filled from its contract argv."""
        command = case.command
        if command.capability != "scoped-write":
            return None
        given = self.scope_values.get(command.name, {})
        values: dict[str, object] = {}
        for pattern in command.writes:
            for _text, name, _spec, _conv in string.Formatter().parse(pattern):
                if name:
                    option = f"--{name.replace('_', '-')}"
                    value = given.get(name, _option_value(case.argv, option))
                    if value is None:
                        raise ValueError(
                            f"the contract argv of {command.name!r} must give {option}, or "
                            f"scope_values={{{command.name!r}: {{{name!r}: ...}}}} the value "
                            f"of a positional {name} (its write scope {pattern!r} needs it)"
                        )
                    values[name] = value
        return command.scope_for(values)

    # --- one case ---

    def program(self, env: Mapping[str, str]) -> list[str]:
        program = self._program
        return list(program(env) if callable(program) else program)

    def run_case(
        self, case: ContractCase, tmp_path: Path, request: pytest.FixtureRequest | None = None
    ) -> tuple[CliRun, list[str]]:
        """Build the setup, run the command, and return the run and every broken rule."""
        prepared = case.setup.build(SetupRequest(tmp_path, request))
        before = TreeState.take(prepared.repo)
        run = run_program(
            self.program(prepared.env),
            case.argv,
            cwd=prepared.cwd or prepared.repo,
            env=prepared.env,
            timeout=self.timeout,
        )
        after = TreeState.take(prepared.repo)
        problems = self.problems(case, run, before.diff(after))
        if case.setup.all_succeed and run.returncode != 0:
            problems.append(f"exit {run.returncode}: setup {case.setup.name!r} must succeed")
        return run, problems

    def problems(self, case: ContractCase, run: CliRun, changes: list[Change]) -> list[str]:
        """Every rule ``run`` broke, given the tree ``changes`` it made."""
        scope = self.scope_of(case)
        if scope is None:
            problems = [f"INV-1: {change}" for change in changes]
        else:
            inside = [c for c in changes if not c.path.startswith("../") and scope.allows(c.path)]
            # Creating or removing an entry in scope moves its directory's mtime: not a write
            # outside the scope, as long as that directory holds an in-scope change.
            parents = {str(Path(c.path).parent) for c in inside}
            problems = [
                f"outside its write scope ({scope}): {change}"
                for change in changes
                if change not in inside and not (change.dir_mtime_only and change.path in parents)
            ]
        if run.returncode not in self.exit_codes:
            problems.append(f"exit code {run.returncode} is not a documented one")
        elif run.returncode in _FORBIDDEN:
            # A stopped write leaves the tree unchanged, so name the rule it broke.
            stopped = run.returncode == ExitCode.WRITE_VIOLATION
            rule = ("INV-1: " if scope is None else "write scope: ") if stopped else ""
            problems.append(f"{rule}exit {run.returncode}: {_FORBIDDEN[run.returncode]}")
        if "Traceback (most recent call last)" in run.stderr + run.stdout:
            problems.append("a traceback was printed")
        problems += self._json_problems(case, run)
        return problems

    def _json_problems(self, case: ContractCase, run: CliRun) -> list[str]:
        try:
            objects = run.json_objects()
        except ValueError as exc:
            return [f"--json printed something that is not JSON ({exc})"]
        if not objects:
            return ["--json printed nothing on stdout"]
        problems = [
            f'--json printed {obj!r}, not an object with a boolean "ok"'
            for obj in objects
            if not isinstance(obj, dict) or not isinstance(obj.get("ok"), bool)
        ]
        failures = [o for o in objects if isinstance(o, dict) and o.get("ok") is False]
        if len(objects) != 1 and (failures or case.command.name not in self.json_streams):
            problems.append(f"--json printed {len(objects)} objects, not exactly one")
        if failures:
            error = failures[-1].get("error")
            if not isinstance(error, dict) or error.get("exit_code") != run.returncode:
                problems.append(
                    f"the JSON error {error!r} does not carry exit code {run.returncode}"
                )
        elif run.returncode not in (ExitCode.OK, ExitCode.CHECK_FAILED):
            problems.append(f"exit {run.returncode} but the JSON output says ok")
        return problems

    # --- pytest ---

    def pytest_params(self) -> list[Any]:
        import pytest

        return [
            pytest.param(
                case,
                id=case.id,
                marks=(
                    [pytest.mark.xfail(reason=self.known_broken[case.command.name], strict=True)]
                    if case.command.name in self.known_broken
                    else []
                ),
            )
            for case in self.cases()
        ]

    def pytest_test(self) -> Callable[..., None]:
        """A parametrized pytest test over every case; assign it to a ``test_...`` name."""
        import pytest

        suite = self

        @pytest.mark.parametrize("contract_case", self.pytest_params())
        def test_command_contract(
            contract_case: ContractCase, tmp_path: Path, request: pytest.FixtureRequest
        ) -> None:
            run, problems = suite.run_case(contract_case, tmp_path, request)
            assert problems == [], "\n".join([*problems, run.describe()])

        return test_command_contract
