"""``kitty-fs report-writes``: real mypy runs on small temp projects, in both config forms.

The printed config is the proof: pasted into the project's config, the next
report is clean, and taking one module out of it brings exactly that module back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kitty_fs._write_report import module_of

KITTY_FS = [sys.executable, "-m", "kitty_fs.cli"]

Reporter = Callable[..., subprocess.CompletedProcess[str]]

SOURCES = {
    "src/app/__init__.py": "",
    "src/app/legacy/__init__.py": "",
    "src/app/legacy/export.py": (
        "from pathlib import Path\n\n\ndef export() -> None:\n"
        '    Path("out.txt").write_text("1")\n    open("log.txt", "a").close()\n'
    ),
    "src/app/cli.py": 'import os\n\n\ndef clean() -> None:\n    os.remove("stale")\n',
    "src/app/fine.py": 'def read() -> str:\n    return open("x").read()\n',
}

INI = """\
[mypy]
strict = True
mypy_path = src
files = src
plugins = kitty_fs.mypy_plugin

[kitty_fs.mypy_plugin]
guarded_packages = app
"""

TOML = """\
[tool.mypy]
strict = true
mypy_path = "src"
files = ["src"]
plugins = ["kitty_fs.mypy_plugin"]

[tool.kitty_fs.mypy_plugin]
guarded_packages = ["app"]
"""


def _project(root: Path, config_name: str, config: str) -> Path:
    for rel, text in SOURCES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / config_name).write_text(config)
    return root


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every run here: the standard library is analysed once, not per run."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture
def report(mypy_cache: Path) -> Reporter:
    """``report(root, *options)``: run ``kitty-fs report-writes`` there (mypy args after --)."""

    def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [*KITTY_FS, "report-writes", *args, "--", "--cache-dir", str(mypy_cache)]
        return subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)

    return run


@pytest.mark.parametrize(("name", "config"), [("mypy.ini", INI), ("pyproject.toml", TOML)])
def test_findings_per_module_and_the_printed_config_switches_them_off(
    tmp_path: Path, name: str, config: str, report: Reporter
) -> None:
    root = _project(tmp_path, name, config)
    done = report(root, "--json")
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)
    assert found["format"] == ("toml" if name.endswith(".toml") else "ini")
    assert [(m["module"], m["count"]) for m in found["modules"]] == [
        ("app.legacy.export", 2),
        ("app.cli", 1),
    ]
    assert found["total"] == 3 and found["other_errors"] == 0
    assert [f["line"] for f in found["modules"][0]["findings"]] == [5, 6]
    assert all("kitty_fs WriteContext" in f["message"] for f in found["modules"][0]["findings"])

    (root / name).write_text(config + "\n" + found["config"])
    clean = report(root)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("no kitty-fs-write finding")

    # Migrating app.cli means deleting its entry: its finding is back, and only it.
    kept = found["config"].replace(_entry(found["config"], "app.cli"), "")
    (root / name).write_text(config + "\n" + kept)
    back = report(root)
    assert back.returncode == 1
    assert (
        "      1  app.cli" in back.stdout
        and "app.legacy.export" not in back.stdout.split("add to")[0]
    )


def _entry(config: str, module: str) -> str:
    """The block of ``config`` (blank-line separated) that names ``module``."""
    (block,) = [b for b in config.split("\n\n") if f"mypy-{module}]" in b or f'"{module}"' in b]
    return block + "\n\n"


def test_the_text_report_prints_the_form_of_the_config_file(
    tmp_path: Path, report: Reporter
) -> None:
    root = _project(tmp_path, "pyproject.toml", TOML)
    done = report(root)
    assert done.returncode == 1
    assert done.stdout.splitlines()[:3] == [
        "kitty-fs-write findings by module (3 in 2 modules):",
        "      2  app.legacy.export",
        "      1  app.cli",
    ]
    assert (
        '[[tool.mypy.overrides]]\nmodule = "app.cli"\ndisable_error_code = ["kitty-fs-write"]'
        in (done.stdout)
    )
    ini = report(root, "--format", "ini")
    assert "[mypy-app.cli]\ndisable_error_code = kitty-fs-write" in ini.stdout


def test_a_config_without_the_plugin_is_refused_not_reported_clean(
    tmp_path: Path, report: Reporter
) -> None:
    root = _project(tmp_path, "mypy.ini", INI.replace("plugins = kitty_fs.mypy_plugin\n", ""))
    done = report(root)
    assert done.returncode == 2
    assert "mypy.ini: the kitty_fs mypy plugin is not enabled" in done.stderr
    assert done.stdout == ""


def test_no_config_and_a_failing_mypy_are_usage_errors(tmp_path: Path, report: Reporter) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = report(empty, "--json")
    assert done.returncode == 2
    assert "no mypy config in" in json.loads(done.stdout)["error"]
    root = _project(tmp_path / "broken", "mypy.ini", INI.replace("guarded_packages = app", ""))
    broken = report(root)
    assert broken.returncode == 2
    assert "mypy failed" in broken.stderr and "guarded_packages is empty" in broken.stderr


_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)


@given(packages=st.lists(_NAME, max_size=4), outer=st.lists(_NAME, max_size=2), stem=_NAME)
def test_module_names_follow_the_packages_init_files(
    tmp_path_factory: pytest.TempPathFactory, packages: list[str], outer: list[str], stem: str
) -> None:
    base = tmp_path_factory.mktemp("tree")
    top = base.joinpath(*outer)  # plain directories (a src layout): not part of the name
    package = top.joinpath(*packages)
    package.mkdir(parents=True, exist_ok=True)
    for depth in range(1, len(packages) + 1):
        (top.joinpath(*packages[:depth]) / "__init__.py").write_text("")
    if stem != "__init__":
        (package / f"{stem}.py").write_text("")
        assert module_of(package / f"{stem}.py") == ".".join([*packages, stem])
    if packages:
        assert module_of(package / "__init__.py") == ".".join(packages)
