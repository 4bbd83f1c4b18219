"""Helpers of the packaging tests: build a wheel, make a venv, run its programs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ROOT",
    "SLICE_DIR",
    "Venv",
    "build_wheel",
    "download_wheels",
    "make_venv",
    "pip_into",
    "wheel_files",
]

ROOT = Path(__file__).resolve().parents[2]
SLICE_DIR = ROOT / "packaging" / "spec-kitty-slice"
_PIP = ("-m", "pip", "--disable-pip-version-check", "--no-input")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def build_wheel(project: Path, out: Path) -> None:
    """Build ``project``'s wheel into ``out`` the way an installer does (isolated, no deps)."""
    out.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, *_PIP, "wheel", "--quiet", "--no-deps", "-w", str(out), str(project)])


def download_wheels(out: Path, *requirements: str) -> None:
    """``requirements`` and all they depend on, resolved on the package index, as wheels in ``out``.

    A venv installed from ``out`` with ``--no-index`` gets what an install from the index
    gets at that moment, without asking the index again: each ask cost 3-4 s of a venv's
    5 s here, and several venvs install the same set.
    """
    out.mkdir(parents=True, exist_ok=True)
    _run(
        [
            sys.executable,
            *_PIP,
            "download",
            "--quiet",
            "--only-binary",
            ":all:",
            "-d",
            str(out),
            *requirements,
        ]
    )


def wheel_files(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def make_venv(
    directory: Path, *requirements: str, bytecode: bool = False, wheels: Path | None = None
) -> None:
    """A fresh venv at ``directory`` with ``requirements`` installed from the index.

    ``wheels``: from that directory only (``download_wheels`` filled it from the index),
    with ``--no-index``.

    No pip inside: this interpreter's pip installs into it (``pip --python``), and
    without byte-compiling, which together cut a venv of upstream spec-kitty from ~25 s
    to ~5 s on the CI machine. ``bytecode=True`` compiles at install after all, for a
    venv whose programs start many times: with ``PYTHONDONTWRITEBYTECODE=1`` (this
    machine's environment) nothing is cached later, so every process would compile
    typer, click, rich and pytest from source again (the example's test run took 8 s
    instead of 3 s; the compile costs about 4 s once).
    """
    _run([sys.executable, "-m", "venv", "--without-pip", str(directory)])
    compiling = () if bytecode else ("--no-compile",)
    source = () if wheels is None else ("--no-index", "--find-links", str(wheels))
    pip_into(directory / "bin" / "python", "install", "--quiet", *compiling, *source, *requirements)


def pip_into(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This interpreter's pip, acting on the environment of ``python``."""
    return _run([sys.executable, *_PIP, "--python", str(python), *args])


@dataclass(frozen=True)
class Venv:
    """A virtual environment and its programs."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.path / "bin" / name

    def run(
        self, name: str, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``bin/name`` with ``args``; never raises on a non-zero exit."""
        return subprocess.run(
            [str(self.bin(name)), *args],
            capture_output=True,
            text=True,
            check=False,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )

    def pip(self, *args: str) -> subprocess.CompletedProcess[str]:
        """pip on this venv (raises on a non-zero exit)."""
        return pip_into(self.python, *args)
