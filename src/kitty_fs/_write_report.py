"""``kitty-fs report-writes``: the ``kitty-fs-write`` findings of a codebase, counted per module.

Why: a codebase with many raw writes cannot turn the mypy plugin on and fix
everything in one change. This runs the project's own mypy (the plugin enabled
in its config), groups the ``[kitty-fs-write]`` errors by module, and prints
the mypy config that switches the code off in exactly those modules, in the
form of the project's config file (``mypy.ini`` / ``setup.cfg``: one
``[mypy-MODULE]`` section each; ``pyproject.toml``: one ``[[tool.mypy.overrides]]``
table). Paste it, and every module written from then on is checked; delete a
module from it once it is migrated.

A module's name comes from its path as mypy's own crawl finds it: the
directories above the file that hold an ``__init__.py`` (a namespace package
without one is named from its first directory with an ``__init__.py``).
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kitty_fs._errors import KittyFsError

__all__ = ["Finding", "WriteReport", "add_parser", "main", "module_of", "parse_findings"]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
CODE = "kitty-fs-write"
PLUGIN = "kitty_fs.mypy_plugin"
# mypy's search order for its config file (mypy/defaults.py), without the user-level ones.
_CONFIG_NAMES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")
_ERROR = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+)(?::\d+)?(?::\d+:\d+)?: error: (?P<message>.*?)"
    r"  \[(?P<code>[a-z0-9-]+)\]$"
)

_DESCRIPTION = f"""\
Run mypy with the project's config (the kitty_fs plugin must be enabled there),
count the [{CODE}] findings per module, and print the mypy config that
disables {CODE} in exactly those modules, so a codebase with existing raw
writes can enable the plugin at once and migrate module by module: paste the
config, and delete a module from it once its writes go through kitty_fs.
Arguments after -- go to mypy (files, -p PACKAGE); without them mypy checks
what its config lists.
"""

_EPILOG = f"""\
exit status:
  {EXIT_CLEAN}  no {CODE} finding
  {EXIT_FINDINGS}  findings (listed per module, with the config that switches them off)
  {EXIT_USAGE}  usage error: no mypy config file, the plugin not enabled in it, mypy not
     installed beside kitty-fs, or mypy itself failed (its output is shown)

--json prints one object: schema "kitty-fs-report-writes/1", config_file,
format ("ini" or "toml"), mypy_exit, total, other_errors (mypy errors with
other codes: not counted, not switched off), modules: [{{"module", "count",
"findings": [{{"path", "line", "message"}}]}}] (most findings first), and
config: the text to paste into config_file.

examples:
  kitty-fs report-writes
  kitty-fs report-writes --json -- -p mypackage
  kitty-fs report-writes --config-file setup.cfg --format ini
"""


class ReportUsageError(KittyFsError):
    """Nothing could be reported; the message says what to fix."""


@dataclass(frozen=True)
class Finding:
    """One ``kitty-fs-write`` error: where, and mypy's message."""

    path: str
    line: int
    message: str


@dataclass(frozen=True)
class WriteReport:
    """The findings by module, and how many other mypy errors there were."""

    modules: dict[str, list[Finding]]
    other_errors: int

    @property
    def total(self) -> int:
        return sum(len(found) for found in self.modules.values())

    def ranked(self) -> list[tuple[str, list[Finding]]]:
        """Modules with the most findings first, then by name."""
        return sorted(self.modules.items(), key=lambda item: (-len(item[1]), item[0]))

    def config(self, form: str) -> str:
        """The config that disables ``kitty-fs-write`` in every module with a finding."""
        names = sorted(self.modules)
        if not names:
            return ""
        if form == "ini":
            return "".join(f"[mypy-{name}]\ndisable_error_code = {CODE}\n\n" for name in names)
        return "".join(
            f'[[tool.mypy.overrides]]\nmodule = "{name}"\ndisable_error_code = ["{CODE}"]\n\n'
            for name in names
        )


def module_of(path: Path) -> str:
    """The dotted module name of the Python file ``path``, from its packages' ``__init__.py``."""
    path = path.resolve()
    parts = [] if path.name == "__init__.py" else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.append(directory.name)
        directory = directory.parent
    return ".".join(reversed(parts)) or path.stem


def parse_findings(output: str, cwd: Path) -> WriteReport:
    """Group mypy's ``[kitty-fs-write]`` errors (plain output, one per line) by module."""
    modules: dict[str, list[Finding]] = {}
    other = 0
    for line in output.splitlines():
        match = _ERROR.match(line)
        if match is None:
            continue
        if match["code"] != CODE:
            other += 1
            continue
        finding = Finding(match["path"], int(match["line"]), match["message"])
        modules.setdefault(module_of(cwd / finding.path), []).append(finding)
    return WriteReport(modules, other)


def find_config(cwd: Path, given: str | None) -> Path:
    """The config file mypy will use: ``given``, else the first of mypy's names in ``cwd``."""
    if given is not None:
        path = cwd / given
        if not path.is_file():
            raise ReportUsageError(f"{path}: no such config file")
        return path
    for name in _CONFIG_NAMES:
        path = cwd / name
        if path.is_file() and _is_mypy_config(path):
            return path
    raise ReportUsageError(
        f"no mypy config in {cwd} (looked for {', '.join(_CONFIG_NAMES)}); run from the "
        f"project's top or pass --config-file, with plugins = {PLUGIN} in it"
    )


def _is_mypy_config(path: Path) -> bool:
    if path.suffix == ".toml":
        with path.open("rb") as handle:
            return "mypy" in tomllib.load(handle).get("tool", {})
    if path.name == "setup.cfg":
        parser = configparser.ConfigParser()
        parser.read(path, encoding="utf-8")
        return parser.has_section("mypy")
    return True


def _plugins(config: Path) -> list[str]:
    """The ``plugins`` mypy reads from ``config`` (its ``[mypy]`` section or ``[tool.mypy]``)."""
    if config.suffix == ".toml":
        with config.open("rb") as handle:
            value: object = tomllib.load(handle).get("tool", {}).get("mypy", {}).get("plugins", [])
    else:
        parser = configparser.ConfigParser()
        parser.read(config, encoding="utf-8")
        value = parser.get("mypy", "plugins", fallback="")
    items = re.split(r"[,\s]+", value) if isinstance(value, str) else value
    return [str(item).strip() for item in items] if isinstance(items, list) else []


def _check_plugin(config: Path) -> None:
    """Refuse a config without the plugin: its report would say "no finding" having checked none."""
    if PLUGIN in _plugins(config):
        return
    if config.suffix == ".toml":
        hint = f'plugins = ["{PLUGIN}"] under [tool.mypy]'
    else:
        hint = f"plugins = {PLUGIN} under [mypy]"
    raise ReportUsageError(f"{config}: the kitty_fs mypy plugin is not enabled; add {hint}")


def run_report(cwd: Path, config: Path, mypy_args: list[str]) -> tuple[WriteReport, int]:
    """Run mypy in ``cwd`` with ``config``; the report and mypy's exit status."""
    argv = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(config),
        "--show-error-codes",
        "--no-pretty",
        "--no-error-summary",
        "--no-color-output",
        *mypy_args,
    ]
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:  # pragma: no cover - sys.executable always starts
        raise ReportUsageError(f"could not start mypy: {exc}") from exc
    if done.returncode not in (0, 1):
        detail = (done.stderr + done.stdout).strip() or f"exit {done.returncode}"
        if "No module named mypy" in detail:
            detail = f"mypy is not installed beside kitty-fs ({sys.executable}): pip install mypy"
        raise ReportUsageError(f"mypy failed: {detail}")
    return parse_findings(done.stdout, cwd), done.returncode


def _render(report: WriteReport, config: Path, form: str) -> str:
    if not report.total:
        return f"no {CODE} finding (mypy with {config.name})"
    lines = [f"{CODE} findings by module ({report.total} in {len(report.modules)} modules):"]
    lines += [f"  {len(found):5d}  {name}" for name, found in report.ranked()]
    if report.other_errors:
        lines.append(f"(and {report.other_errors} mypy errors of other codes, not counted)")
    lines += [
        "",
        f"to switch {CODE} off in these modules until they are migrated, add to {config.name}:",
        "",
        report.config(form).rstrip("\n"),
    ]
    return "\n".join(lines)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report-writes`` sub-command to the ``kitty-fs`` parser."""
    report = commands.add_parser(
        "report-writes",
        help=f"count mypy's {CODE} findings per module and print the config to phase them in",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="kitty-fs report-writes [--config-file FILE] [--format {ini,toml}] [--json] "
        "[-- MYPY ARGS...]",
    )
    report.add_argument(
        "--config-file",
        metavar="FILE",
        help="mypy's config file (default: the first of " + ", ".join(_CONFIG_NAMES) + ")",
    )
    report.add_argument(
        "--format",
        choices=("ini", "toml"),
        help="form of the printed config (default: that of the config file)",
    )
    report.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    report.add_argument("mypy_args", nargs=argparse.REMAINDER, metavar="MYPY ARGS...")


def main(args: argparse.Namespace) -> int:
    """``kitty-fs report-writes``: 0 no finding, 1 findings, 2 usage error."""
    mypy_args: list[str] = list(args.mypy_args)
    if mypy_args[:1] == ["--"]:
        mypy_args = mypy_args[1:]
    cwd = Path.cwd()
    try:
        config = find_config(cwd, args.config_file)
        _check_plugin(config)
        report, mypy_exit = run_report(cwd, config, mypy_args)
    except ReportUsageError as exc:
        if args.json:
            print(json.dumps({"schema": "kitty-fs-report-writes/1", "error": str(exc)}))
        print(f"kitty-fs report-writes: {exc}", file=sys.stderr)
        return EXIT_USAGE
    form = args.format or ("toml" if config.suffix == ".toml" else "ini")
    if args.json:
        print(
            json.dumps(
                {
                    "schema": "kitty-fs-report-writes/1",
                    "config_file": str(config),
                    "format": form,
                    "mypy_exit": mypy_exit,
                    "total": report.total,
                    "other_errors": report.other_errors,
                    "modules": [
                        {
                            "module": name,
                            "count": len(found),
                            "findings": [vars(f) for f in found],
                        }
                        for name, found in report.ranked()
                    ],
                    "config": report.config(form),
                },
                indent=2,
            )
        )
    else:
        print(_render(report, config, form))
    return EXIT_FINDINGS if report.total else EXIT_CLEAN
