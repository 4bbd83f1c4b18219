"""The kitty_fs mypy plugin and the capability types, checked by running real mypy.

All samples of a kind are written into one temporary package tree and checked
by a single mypy run (one with the plugin, one without), so forty cases cost
two mypy runs; each case then compares its own lines of the output, verbatim.
Under pytest-xdist the two runs happen once per session, not once per worker:
the first worker to need an output stores it in a directory the workers share,
and the other reads it (a cold run costs 2-3 s). Further small runs cover
incremental invalidation and config errors.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Iterable
from pathlib import Path

import mypy.api
import pytest
from filelock import FileLock
from mypy_plugin_cases import PLAIN_CASES, PLUGIN_CASES, PLUGIN_SECTION, Case

import kitty_fs

SRC = Path(kitty_fs.__file__).resolve().parent.parent
_LINE = re.compile(
    r"^(?P<path>[^:\s][^:]*\.py):(?P<line>\d+): (?P<severity>error|note): (?P<msg>.*)$"
)


def _config(cache: Path, *, plugin: bool, section: str = PLUGIN_SECTION) -> str:
    # kitty_fs and specify_cli are analysed (their types matter) but their own
    # errors are not this test's business: follow them silently.
    head = f"""\
        [mypy]
        python_version = 3.11
        strict = True
        warn_unused_ignores = True
        mypy_path = {SRC}
        cache_dir = {cache}
        {"plugins = kitty_fs.mypy_plugin" if plugin else ""}

        [mypy-kitty_fs.*]
        follow_imports = silent

        [mypy-specify_cli.*]
        follow_imports = silent
        """
    return textwrap.dedent(head) + "\n" + (section if plugin else "")


def _write_tree(root: Path, files: dict[str, str]) -> list[Path]:
    """Write modules as a package tree; returns the top-level package directories."""
    packages = {m.rsplit(".", 1)[0] for m in files if "." in m}
    parents = {".".join(m.split(".")[:i]) for m in files for i in range(1, m.count(".") + 1)}
    for module, source in files.items():
        is_package = module in packages or any(p.startswith(module + ".") for p in packages)
        path = root.joinpath(*module.split("."))
        path = path / "__init__.py" if is_package else path.with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for package in parents:
        init = root.joinpath(*package.split("."), "__init__.py")
        if not init.exists():
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text("", encoding="utf-8")
    return sorted({root / m.split(".")[0] for m in files})


def _run_mypy(root: Path, config: str, targets: Iterable[Path]) -> tuple[list[str], str, int]:
    """Run mypy in-process; returns output lines as ``module:line: severity: message``."""
    ini = root / "mypy.ini"
    ini.write_text(config, encoding="utf-8")
    stdout, stderr, status = mypy.api.run(["--config-file", str(ini), *map(str, targets)])
    lines: list[str] = []
    for raw in stdout.splitlines():
        match = _LINE.match(raw)
        if match is None:
            continue
        rel = Path(match["path"]).resolve().relative_to(root)
        parts = rel.with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        lines.append(f"{module}:{match['line']}: {match['severity']}: {match['msg']}")
    return lines, stdout + stderr, status


def _check_all(tmp: Path, cases: list[Case], *, plugin: bool) -> list[str]:
    files: dict[str, str] = {}
    for case in cases:
        for module, source in case.sources().items():
            assert module not in files, f"module {module} used by two cases"
            files[module] = source
    targets = _write_tree(tmp, files)
    lines, text, status = _run_mypy(tmp, _config(tmp / ".cache", plugin=plugin), targets)
    assert status in (0, 1), text  # 2 would be a crash or a config error
    return lines


def _session_output(
    factory: pytest.TempPathFactory, name: str, cases: list[Case], *, plugin: bool
) -> list[str]:
    """``_check_all`` of ``cases``, run by the first worker of the session that asks."""
    base = factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    stored = shared / f"mypy-cases-{name}.json"
    with FileLock(shared / f"mypy-cases-{name}.lock"):
        if not stored.exists():
            tree = shared / f"mypy-cases-{name}"
            tree.mkdir()
            stored.write_text(json.dumps(_check_all(tree, cases, plugin=plugin)))
    lines: list[str] = json.loads(stored.read_text())
    return lines


@pytest.fixture(scope="session")
def plugin_output(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return _session_output(tmp_path_factory, "plugin", PLUGIN_CASES, plugin=True)


@pytest.fixture(scope="session")
def plain_output(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return _session_output(tmp_path_factory, "plain", PLAIN_CASES, plugin=False)


def _lines_of(case: Case, output: list[str]) -> list[str]:
    modules = set(case.files)
    return sorted(line for line in output if line.split(":", 1)[0] in modules)


@pytest.mark.parametrize("case", PLUGIN_CASES, ids=lambda c: c.name)
def test_with_the_plugin(case: Case, plugin_output: list[str]) -> None:
    assert _lines_of(case, plugin_output) == case.expected()


@pytest.mark.parametrize("case", PLAIN_CASES, ids=lambda c: c.name)
def test_plain_typing_without_the_plugin(case: Case, plain_output: list[str]) -> None:
    assert _lines_of(case, plain_output) == case.expected()


def test_no_output_outside_the_cases(plugin_output: list[str], plain_output: list[str]) -> None:
    """Package ``__init__`` files and silently followed imports must add nothing."""
    known = {m for case in PLUGIN_CASES + PLAIN_CASES for m in case.files}
    assert [line for line in plugin_output + plain_output if line.split(":")[0] not in known] == []


def test_there_are_enough_cases_of_each_kind() -> None:
    rejected = [c for c in PLUGIN_CASES if c.expected()]
    accepted = [c for c in PLUGIN_CASES + PLAIN_CASES if not c.expected()]
    assert len(PLUGIN_CASES) + len(PLAIN_CASES) >= 30
    assert len(rejected) >= 20 and len(accepted) >= 8


# ----------------------------------------------------------------------------- incremental mode

_MINTING_COMMAND = """\
from kitty_fs import write_boundary

def init(root: str) -> None:
    write_boundary(root, reason="init")
"""


def _section(guarded: str, boundaries: str) -> str:
    return (
        f"[kitty_fs.mypy_plugin]\nguarded_packages = {guarded}\nwrite_boundaries = {boundaries}\n"
    )


def test_changing_the_plugin_config_invalidates_the_cache(tmp_path: Path) -> None:
    targets = _write_tree(
        tmp_path,
        {"inc_pkg.commands.init": _MINTING_COMMAND, "inc_pkg.other": "import os\n"},
    )
    cache = tmp_path / ".cache"
    mint_error = (
        'inc_pkg.commands.init:4: error: WriteContext minted in "inc_pkg.commands.init", which is '
        "not a write boundary; take the WriteContext as a parameter from the command that owns "
        "the write, or add the module to write_boundaries in [kitty_fs.mypy_plugin]  "
        "[kitty-fs-mint]"
    )

    def run(section: str) -> list[str]:
        lines, text, status = _run_mypy(
            tmp_path, _config(cache, plugin=True, section=section), targets
        )
        assert status in (0, 1), text
        return lines

    assert run(_section("inc_pkg", "inc_pkg.commands.*")) == []
    # Same sources, same cache: only the plugin's section changed.
    assert run(_section("inc_pkg", "inc_pkg.other")) == [mint_error]
    assert run(_section("elsewhere", "inc_pkg.other")) == []
    assert run(_section("inc_pkg", "inc_pkg.commands.init")) == []
    assert (cache / "3.11").is_dir()  # the runs really went through the cache


# ----------------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "[kitty_fs.mypy_plugin]\nguarded_package = app\n",
            "unknown option guarded_package (expected: guarded_packages, write_boundaries)",
        ),
        (
            "[kitty_fs.mypy_plugin]\nwrite_boundaries = app.cli\n",
            "guarded_packages is empty, so the plugin would check nothing",
        ),
        (
            "[kitty_fs.mypy_plugin]\nguarded_packages = app, 9lives\n",
            "guarded_packages: '9lives' is not a dotted module name",
        ),
        ("", "no [kitty_fs.mypy_plugin] section for kitty_fs.mypy_plugin"),
    ],
    ids=["typo", "nothing-guarded", "bad-name", "no-section"],
)
def test_a_bad_config_section_stops_mypy_with_a_clear_message(
    tmp_path: Path, section: str, message: str
) -> None:
    targets = _write_tree(tmp_path, {"app.mod": "x = 1\n"})
    _lines, text, status = _run_mypy(
        tmp_path, _config(tmp_path / ".cache", plugin=True, section=section), targets
    )
    assert status == 2
    assert "error: kitty_fs.mypy_plugin: " in text and message in text


def test_pyproject_table_configures_the_plugin(tmp_path: Path) -> None:
    targets = _write_tree(tmp_path, {"app.mod": "import os\n\nos.remove('x')\n"})
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        textwrap.dedent(
            f"""\
            [tool.mypy]
            strict = true
            mypy_path = "{SRC}"
            cache_dir = "{tmp_path / ".cache"}"
            plugins = ["kitty_fs.mypy_plugin"]

            [[tool.mypy.overrides]]
            module = ["kitty_fs.*"]
            follow_imports = "silent"

            [tool.kitty_fs.mypy_plugin]
            guarded_packages = ["app"]
            write_boundaries = ["app.cli"]
            """
        ),
        encoding="utf-8",
    )
    stdout, stderr, status = mypy.api.run(["--config-file", str(pyproject), *map(str, targets)])
    assert status == 1, stdout + stderr
    assert (
        'mod.py:3: error: Raw filesystem write "os.remove" in guarded package "app"; persist '
        "through a kitty_fs WriteContext (ctx.remove) taken at a write boundary  [kitty-fs-write]"
    ) in stdout
