"""The exit codes users read (README table, ``--help``) are the ones the CLI exits with.

``specify_cli.cli._exit.ExitCode`` is the one complete list; the README's table
under "`spec-kitty` commands" and the help text are prose copies of it, so this
parses them and compares, code by code and name by name.
"""

from __future__ import annotations

import re
from pathlib import Path

from specify_cli.cli._app import HELP
from specify_cli.cli._exit import ExitCode

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_table() -> dict[int, str]:
    """``code -> name`` from the table of the README's "Exit codes" subsection."""
    lines = README.read_text(encoding="utf-8").splitlines()
    section = lines.index("## `spec-kitty` commands")
    start = lines.index("### Exit codes", section)
    rows: dict[int, str] = {}
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            rows[int(cells[0])] = cells[1]
    return rows


def test_the_readme_table_lists_every_exit_code_by_its_name() -> None:
    table = _readme_table()
    assert table == {int(code): code.name for code in ExitCode}


def test_the_help_text_names_every_exit_code() -> None:
    listed = HELP[HELP.index("Exit codes:") :]
    numbers = {int(n) for n in re.findall(r"(\d+) [a-zA-Z(]", listed)}
    assert numbers == {int(code) for code in ExitCode}
