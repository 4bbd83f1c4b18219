"""The second CLI (examples/notes) on the built kitty-fs wheel, as its own maintainer runs it.

A fresh venv gets the kitty-fs wheel with its ``typer`` extra, the example as a
regular (non-editable) install and the example's test tools (their wheels resolved on
the package index once per session: ``adopter_wheels``); the example's own
mypy (the plugin configured in its ``pyproject.toml``) and its own pytest (the
contract test of ``kitty_fs.testing``) run from a copy of ``examples/notes`` in
a temp dir, so nothing is written into this repository. Both pass. Then a read
command that writes ``notes.yaml`` is added to the copy: mypy reports it as
``kitty-fs-write`` on that line, and the contract test fails it as INV-1 naming
``notes.yaml``. That is the library's promise to another project, end to end.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging_support import ROOT, Venv, make_venv

pytest_plugins = ["packaging_fixtures"]

EXAMPLE = ROOT / "examples" / "notes"

LEAK = '''

@commands.read("leak", "Show the title (and, wrongly, write it back).")
def leak(repo: ReadContext, inv: Invocation) -> int:
    """A read command that writes: mypy and the contract test must both refuse it."""
    repo.path(CONFIG).write_text("notes:\\n  title: leaked\\n")
    inv.output.result({"title": _title(repo)}, [_title(repo)])
    return 0
'''

WRITE_ERROR = (
    'error: Raw filesystem write "pathlib.Path.write_text" in guarded package "notes_cli"; '
    "persist through a kitty_fs WriteContext (ctx.write_text / ctx.write_bytes / save_config) "
    "taken at a write boundary  [kitty-fs-write]"
)


def _copy_example(target: Path) -> Path:
    """examples/notes without anything a previous build or run left there."""
    shutil.copytree(
        EXAMPLE,
        target,
        ignore=shutil.ignore_patterns("build", "*.egg-info", ".mypy_cache", "__pycache__"),
    )
    return target


def _env(venv: Venv, tmp: Path) -> dict[str, str]:
    """This process's environment without what would leak this repository into the venv.

    ``TMPDIR`` is ``tmp``: the example's pytest keeps (and at its end prunes) its own
    ``pytest-of-USER`` there, not the one every pytest run on this machine shares, whose
    old trees (fresh venvs: tens of thousands of files) it took seconds to delete.
    Bytecode is written (as a maintainer's machine does, whatever this one's
    ``PYTHONDONTWRITEBYTECODE``): otherwise every start compiled typer, click, rich and
    pytest from source again (the example's test run took 8 s instead of 3 s).
    """
    dropped = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "MYPY", "COV_")) and k not in dropped
    }
    env["PATH"] = f"{venv.path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = os.fspath(tmp)
    return env


def _reinstall(venv: Venv, project: Path, wheels: Path) -> None:
    for stale in [project / "build", *project.glob("src/*.egg-info")]:
        shutil.rmtree(stale)
    local = ("--no-index", "--find-links", str(wheels))  # the build backend, too
    venv.pip(
        "install", "--quiet", "--no-compile", "--no-deps", "--force-reinstall", *local, str(project)
    )


def _status(directory: Path) -> str:
    """git status of ``directory`` with ignored files (a build/ or .mypy_cache would show)."""
    argv = ["git", "status", "--porcelain", "--ignored", "--", str(directory)]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _failed_ids(output: str) -> set[str]:
    return set(re.findall(r"^FAILED \S+::\S+\[([^\]]+)\]", output, flags=re.MULTILINE))


@pytest.mark.slow
def test_the_example_cli_checks_clean_on_the_wheel_and_a_writing_read_command_fails_both(
    library_wheel: Path, adopter_wheels: Path, tmp_path: Path
) -> None:
    repo_before = _status(EXAMPLE)
    project = _copy_example(tmp_path / "notes")
    venv = Venv(tmp_path / "venv")
    requirements = (f"{library_wheel}[typer]", str(project), "pytest>=8", "mypy==2.4.1")
    # It starts pytest, mypy and notes ~20 times: each module is compiled on its first import
    # (``_env`` lets them write bytecode), not all of them at install.
    make_venv(venv.path, *requirements, wheels=adopter_wheels)
    (tmp_path / "tmp").mkdir()
    env = _env(venv, tmp_path / "tmp")

    where = venv.run("python", "-c", "import kitty_fs, notes_cli; print(kitty_fs.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv.path), where.stdout  # not editable
    assert venv.run("notes", "--help", env=env).returncode == 0

    mypy = venv.run("mypy", env=env, cwd=project)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    assert mypy.stdout.startswith("Success: no issues found"), mypy.stdout
    tests = venv.run("pytest", "-q", "-p", "no:cacheprovider", env=env, cwd=project)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"\b\d+ passed\b", tests.stdout) and "failed" not in tests.stdout

    commands = project / "src" / "notes_cli" / "commands.py"
    source = commands.read_text()
    commands.write_text(source + LEAK)
    lines = (source + LEAK).splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "repo.path(CONFIG).write_text" in text)
    _reinstall(venv, project, adopter_wheels)

    mypy = venv.run("mypy", env=env, cwd=project)
    assert mypy.returncode == 1, mypy.stdout + mypy.stderr
    errors = [ln for ln in mypy.stdout.splitlines() if ": error: " in ln]
    assert errors == [f"src/notes_cli/commands.py:{line}: {WRITE_ERROR}"], mypy.stdout

    tests = venv.run("pytest", "-q", "-p", "no:cacheprovider", env=env, cwd=project)
    output = tests.stdout + tests.stderr
    assert tests.returncode == 1, output  # 1: tests failed, not a crash or a usage error
    assert _failed_ids(output) == {"leak-with-notes", "leak-without-config"}, output
    assert "INV-1: exit 8: the runtime guard stopped a write" in output
    assert "read command 'leak' tried to write notes.yaml" in output
    assert _status(EXAMPLE) == repo_before  # nothing was written into the repository
