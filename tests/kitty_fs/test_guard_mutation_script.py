"""tools/guard_mutation/run_mutation.py --list: the mutant table still fits the guard's source.

Listing applies every mutant in memory, so this fails as soon as a guard edit
leaves a mutant's original text behind, or adds an audit event or a frozenset
element with no mutant. The mutation run itself (minutes) is not run here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "guard_mutation" / "run_mutation.py"


def test_the_mutant_table_fits_the_guard() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--list", "--json"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    names = [m["name"] for m in listing["mutants"]]
    assert len(names) == len(set(names)) >= 300
    assert {m["file"] for m in listing["mutants"]} == {
        "_guard.py",
        "_guard_rules.py",
        "_guard_git.py",
    }
    assert all(m["rule"] for m in listing["mutants"])
    assert listing["equivalent"], "edits left out are listed with their reason"


def test_only_selects_by_name_or_glob() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--list",
            "--only",
            "rules.event[os.link]",
            "--only",
            "git.shells*",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [
        "rules.event[os.link]",
        *(f"git.shells[{shell}]" for shell in ["sh", "bash", "dash", "zsh", "ksh"]),
    ]
    assert lines[-1].startswith("6 mutants")
