"""docs/adoption.md, executed: every code block in it runs, in order, in a temp project.

Each fenced block is preceded by a tag saying what to do with it:

* ``<!-- adoption: file PATH -->``: write the block to PATH in the project;
* ``<!-- adoption: append PATH -->``: append it to PATH (a config fragment);
* ``<!-- adoption: run [exit=N] [kernel] -->``: run it with bash (``-euo pipefail``)
  in the project, in a fresh venv whose ``bin`` is first on PATH; it must exit N
  (default 0). ``kernel``: N holds where the kernel layer (Landlock) is available;
  elsewhere ``kitty-fs run`` must refuse with 124, and the next output check is skipped;
* ``<!-- adoption: output -->``: the block's lines must appear, in order, among the
  previous run's output lines (``...`` in a line matches anything).

Several actions are joined with ``;`` (``output; append mypy.ini``: the report printed
this config, and it is pasted). A block without a tag, an unknown tag or a guide with no
block fails the test, so nothing in the guide goes unexecuted.

The venv stands in for the reader's: ``pip install 'kitty-fs[typer]'`` really runs, with
the wheel built from this repository offered through ``PIP_FIND_LINKS`` (it is not on the
package index here). Its dependencies, the test tools and the build backend come from the
index too, resolved once per session into that directory (``adopter_wheels``), which is
then the only place pip looks (``PIP_NO_INDEX``): asking the index again cost seconds per
``pip install``. The venv's pip is the one ``python -m venv`` would put there (the bundled
wheel of ``ensurepip``), installed without the ~4 s ``ensurepip`` takes (pip run from its zip).
The reader's environment writes bytecode, so the guide's does too (without it every
``pip``, ``mypy`` and ``pytest`` of the guide compiled its modules again); no test here
relies on this machine's ``PYTHONDONTWRITEBYTECODE``. pip does not byte-compile what it
installs (``PIP_COMPILE=0``): the programs compile what they import, once. ``HOME`` is a
temp dir and git gets an identity through the environment, as the reader's git config would
give one.
``TMPDIR`` is a temp dir too: the reader's pytest keeps (and at its end prunes) its own
``pytest-of-USER`` there, not the one every other pytest run on this machine shares,
whose old trees (fresh venvs: tens of thousands of files) it took seconds to delete.
"""

from __future__ import annotations

import ensurepip
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging_support import ROOT, pip_into

from kitty_fs._kernel import kernel_status

pytest_plugins = ["packaging_fixtures"]

GUIDE = ROOT / "docs" / "adoption.md"
_TAGGED = re.compile(
    r"^<!-- adoption: (?P<spec>[^>]*?) -->\n```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
_FENCE = re.compile(r"^```", re.MULTILINE)
EXIT_NO_KERNEL = 124


@dataclass(frozen=True)
class Block:
    """One tagged code block of the guide."""

    spec: str
    lang: str
    body: str
    line: int

    def actions(self) -> list[list[str]]:
        return [part.split() for part in self.spec.split(";") if part.strip()]


def guide_blocks(text: str) -> list[Block]:
    """Every tagged block; refuses a guide with an untagged block or with none."""
    blocks = [
        Block(m["spec"].strip(), m["lang"], m["body"], text.count("\n", 0, m.start()) + 1)
        for m in _TAGGED.finditer(text)
    ]
    fences = len(_FENCE.findall(text))
    assert fences % 2 == 0, f"{GUIDE}: an unclosed code fence"
    assert blocks, f"{GUIDE}: no tagged code block found, so nothing would be tested"
    assert len(blocks) == fences // 2, (
        f"{GUIDE}: {fences // 2 - len(blocks)} code block(s) without an "
        "<!-- adoption: ... --> tag; every block must be executed"
    )
    return blocks


def _matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.rstrip().split("..."))
    return re.fullmatch(pattern, actual.rstrip()) is not None


def assert_output(block: Block, output: str) -> None:
    """Each line of ``block`` appears, in order, among the lines of ``output``."""
    lines = iter(output.splitlines())
    for wanted in block.body.splitlines():
        if not any(_matches(wanted, line) for line in lines):
            raise AssertionError(
                f"{GUIDE.name}:{block.line}: the output shown is not what ran; "
                f"{wanted!r} not found (in order) in:\n{output}"
            )


def _env(venv: Path, home: Path, wheels: Path, tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "MYPY", "PIP_", "GIT_", "KITTY_FS_"))
        and k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"}
    }
    return {
        **env,
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "PIP_FIND_LINKS": str(wheels),
        "PIP_NO_INDEX": "1",
        # No byte-compiling at install (pip reads "0" as --no-compile; PIP_NO_COMPILE=1 would
        # mean --compile): each program compiles what it imports on its first start instead,
        # a fraction of everything mypy, pytest and rich ship.
        "PIP_COMPILE": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # The machine's download cache, not the temp HOME's empty one.
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }


def _venv_with_pip(venv: Path) -> None:
    """What ``python -m venv`` makes: a venv with ensurepip's bundled pip in it."""
    bundled = sorted(Path(ensurepip.__file__).with_name("_bundled").glob("pip-*.whl"))
    if not bundled:  # a Python whose ensurepip keeps its wheels elsewhere (Debian's)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        return
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip_into(
        venv / "bin" / "python",
        "install",
        "--quiet",
        "--no-compile",
        "--no-index",
        str(bundled[-1]),
    )


def test_the_guide_has_only_executed_blocks_and_the_check_refuses_an_empty_one() -> None:
    blocks = guide_blocks(GUIDE.read_text())
    kinds = {action[0] for block in blocks for action in block.actions()}
    assert kinds == {"file", "append", "run", "output"}
    with pytest.raises(AssertionError, match="no tagged code block"):
        guide_blocks("# a guide\n\nno code at all\n")
    with pytest.raises(AssertionError, match="without an <!-- adoption"):
        guide_blocks("<!-- adoption: run -->\n```bash\ntrue\n```\n\n```bash\nfalse\n```\n")


def test_an_output_block_must_match_the_run_in_order() -> None:
    shown = Block(
        "output", "text", "owner: alice\n  1. open ... tasks.json by .../legacy.py:12\n", 1
    )
    assert_output(shown, "x\nowner: alice\n  1. open for writing: tasks.json by /a/legacy.py:12\n")
    with pytest.raises(AssertionError, match="not what ran"):
        assert_output(shown, "  1. open for writing: tasks.json by /a/legacy.py:12\nowner: alice\n")
    with pytest.raises(AssertionError, match="not what ran"):
        assert_output(shown, "owner: alice\n  1. open for writing: tasks.json by /a/legacy.py:13\n")


@pytest.mark.slow
def test_every_block_of_the_adoption_guide_runs_as_shown(
    adopter_wheels: Path, tmp_path: Path
) -> None:
    venv, home, project = tmp_path / "venv", tmp_path / "home", tmp_path / "tasks-cli"
    tmp = tmp_path / "tmp"
    for folder in (home, project, tmp):
        folder.mkdir()
    _venv_with_pip(venv)
    env = _env(venv, home, adopter_wheels, tmp)
    kernel = kernel_status().available
    output: str | None = None  # the last run's output; None: none yet, or not checkable
    for block in guide_blocks(GUIDE.read_text()):
        where = f"{GUIDE.name}:{block.line}"
        for kind, *args in block.actions():
            if kind in ("file", "append"):
                (target,) = args
                path = project / target
                path.parent.mkdir(parents=True, exist_ok=True)
                if kind == "file":
                    path.write_text(block.body)
                else:
                    with path.open("a") as handle:
                        handle.write("\n" + block.body)
            elif kind == "run":
                options = dict(a.partition("=")[::2] for a in args)
                assert set(options) <= {"exit", "kernel"}, f"{where}: unknown {options}"
                expected = int(options.get("exit", "0"))
                if "kernel" in options and not kernel:
                    expected = EXIT_NO_KERNEL
                done = subprocess.run(
                    ["bash", "-euo", "pipefail", "-c", block.body],
                    cwd=project,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=600,
                )
                output = done.stdout + done.stderr
                assert done.returncode == expected, (
                    f"{where}: exit {done.returncode}, the guide says {expected}:\n"
                    f"{block.body}\n--- output\n{output}"
                )
                if expected == EXIT_NO_KERNEL:
                    assert "the kernel layer is unavailable here" in output
                    output = None  # what the guide shows needs the kernel layer
            elif kind == "output":
                if output is None:
                    assert not kernel, f"{where}: an output block before any run block"
                else:
                    assert_output(block, output)
            else:
                raise AssertionError(f"{where}: unknown tag action {kind!r}")
