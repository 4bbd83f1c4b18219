"""Running a command line for real, as the contract test does: a subprocess, its output kept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CliRun", "console_script", "run_program"]


@dataclass(frozen=True)
class CliRun:
    """One finished process: its argv (after the program), exit status and output."""

    program: tuple[str, ...]
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        shown = " ".join((Path(self.program[-1]).name, *self.argv)) if self.program else ""
        return (
            f"$ {shown}\nexit {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )

    def json_objects(self) -> list[object]:
        """Every stdout line parsed as JSON (raises ``ValueError`` on a non-JSON line)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def json(self) -> dict[str, object]:
        """The one JSON object a ``--json`` command prints."""
        objects = self.json_objects()
        assert len(objects) == 1 and isinstance(objects[0], dict), self.describe()
        return objects[0]


def console_script(name: str) -> str:
    """The installed console script ``name``: beside this interpreter first, then on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.is_file():
        return os.fspath(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"console script {name!r} is not installed (pip install it)")
    return found


def run_program(
    program: Sequence[str],
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = 120.0,
    stdin: str | None = None,
) -> CliRun:
    done = subprocess.run(
        [*program, *argv],
        cwd=cwd,
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliRun(tuple(program), tuple(argv), done.returncode, done.stdout, done.stderr)
