"""Mutation check of the runtime guard: disable each rule in turn, some test must fail.

A test of the tests, not a benchmark: it lives under ``tools/``, not ``bench/``.

A test suite that passes says little about the rules nobody wrote a test for.
This script takes the guard (``kitty_fs._guard``, ``_guard_rules``,
``_guard_git``) apart one rule at a time: each *mutant* is one small edit that
switches a rule off (an audit event dropped from the rules table, a write flag
forgotten, a symlink no longer followed, a git option no longer known to
write, a per-thread set made process-wide...). For every mutant it copies
``src/`` to a temporary directory, applies the edit there (the repository's
own files are only read), and runs the guard's test files against the copy:
``PYTHONPATH`` puts the copy first, ahead of the editable install, and a probe
plugin stops the run if ``kitty_fs`` was imported from anywhere else. A mutant
is *killed* when some test fails, *survives* when all pass.

The mutants are an explicit table (``mutant_table.py`` beside this runner), so each one is
reviewable: a name,
the file, the exact original text and its replacement (or a named entry
dropped from a ``frozenset`` literal). Every original must occur exactly once
in the current source, so the script breaks loudly when the guard changes
under it. Edits the table leaves out on purpose (they change nothing a test
could observe) are listed in ``EQUIVALENT`` with the reason.

    .venv/bin/python tools/guard_mutation/run_mutation.py \
        [--list] [--only NAME ...] [--jobs N] [--json]

A baseline run (no mutation) must pass first. The report is a table (one row
per mutant: status, seconds, first failing test) and a final line with the
score, killed / total. Exit status: 0 when every mutant is killed, 1 when one
survives (or its run errors), 2 when the baseline fails or the copy is not
what gets imported.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mutant_table import (
    EQUIVALENT,
    GUARD_FILES,
    MUTANTS,
    PACKAGE,
    REPO,
    UNMUTATED_ENTRIES,
    Mutant,
    MutationError,
    assignments,
    frozenset_literals,
)

# The guard's tests, fastest first: with -x a run stops at the first failure.
TEST_FILES = (
    "tests/kitty_fs/test_guard_git.py",
    "tests/kitty_fs/test_guard_events.py",
    "tests/kitty_fs/test_guard.py",
    "tests/kitty_fs/test_guard_holes.py",
    "tests/specify_cli/test_read_scope.py",
    "tests/kitty_fs/test_audit.py",
    "tests/kitty_fs/test_pytest_plugin.py",
)
PROBE_MODULE = "_kitty_mutation_probe"
PROBE_FAILED = "KITTY-MUTATION-PROBE-FAILED"
PROBE = f'''\
"""Loaded with -p: fail the run unless the guard is imported from the mutated copy."""
import os

import pytest


def pytest_configure(config):
    import kitty_fs
    import kitty_fs._guard
    import kitty_fs._guard_git
    import kitty_fs._guard_rules

    expected = os.environ["KITTY_MUTATION_SRC"] + os.sep
    modules = (kitty_fs, kitty_fs._guard, kitty_fs._guard_git, kitty_fs._guard_rules)
    for module in modules:
        where = os.path.realpath(module.__file__)
        if not where.startswith(expected):
            raise pytest.UsageError(f"{PROBE_FAILED}: {{module.__name__}} from {{where}}")
'''


# --- running ---


@dataclass(slots=True)
class Outcome:
    name: str
    status: str  # killed, survived, timeout, error
    seconds: float
    detail: str


def _select(patterns: Sequence[str] | None) -> list[Mutant]:
    if not patterns:
        return list(MUTANTS)
    chosen = [
        m for m in MUTANTS if any(m.name == p or fnmatch.fnmatchcase(m.name, p) for p in patterns)
    ]
    if not chosen:
        raise SystemExit(f"no mutant matches {list(patterns)}; see --list")
    return chosen


def validate(mutants: Iterable[Mutant]) -> None:
    """Apply every mutant to the repository's source in memory: the table must still fit."""
    names = [m.name for m in MUTANTS]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise MutationError(f"duplicate mutant names: {duplicates}")
    sources = {f: (REPO / "src" / PACKAGE / f).read_text() for f in GUARD_FILES}
    gaps = _coverage_gaps(sources)
    if gaps:
        raise MutationError("rules without a mutant: " + "; ".join(gaps))
    for mutant in mutants:
        if mutant.apply(sources[mutant.file]) == sources[mutant.file]:
            raise MutationError(f"{mutant.name}: the edit changes nothing")


def _coverage_gaps(sources: dict[str, str]) -> list[str]:
    """Table entries of the guard with no mutant: every _RULES event, every frozenset element.

    A rule added to the guard without a line here makes ``--list`` (and its test) fail.
    """
    gaps: list[str] = []
    rules = assignments(sources["_guard_rules.py"]).get("_RULES")
    events: set[str] = (
        {str(key.value) for key in rules.keys if isinstance(key, ast.Constant)}
        if isinstance(rules, ast.Dict)
        else set()
    )
    mutated = {
        m.name[len("rules.event[") : -1] for m in MUTANTS if m.name.startswith("rules.event[")
    }
    if events != mutated:
        gaps.append(f"_RULES {sorted(events ^ mutated)}")
    for file, text in sources.items():
        for name, (_source, items) in frozenset_literals(text).items():
            expected = set(items) - UNMUTATED_ENTRIES.get(name, set())
            dropped = {m.entry for m in MUTANTS if m.file == file and m.literal == name}
            if expected != dropped:
                gaps.append(f"{file} {name} {sorted(expected ^ dropped)}")
    return gaps


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            test = line.split(" - ", 1)[0].split(" ", 1)[1]
            return test[test.find("tests/") + len("tests/") :] if "tests/" in test else test
    return ""


def run_one(mutant: Mutant | None, timeout: float) -> Outcome:
    """Copy src/, apply ``mutant`` (None: the baseline), run the guard's tests against the copy."""
    name = mutant.name if mutant is not None else "baseline"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kitty-mutation-") as tmp:
        work = Path(tmp).resolve()
        src = work / "src"
        shutil.copytree(
            REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
        if mutant is not None:
            target = src / PACKAGE / mutant.file
            target.write_text(mutant.apply(target.read_text()))
        probe = work / "probe"
        probe.mkdir()
        (probe / f"{PROBE_MODULE}.py").write_text(PROBE)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(src), str(probe)])
        env["KITTY_MUTATION_SRC"] = str(src)
        files = [str(REPO / f) for f in TEST_FILES if (REPO / f).exists()]
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            PROBE_MODULE,
            f"--basetemp={work / 'basetemp'}",
            *files,
        ]
        try:
            # cwd: the copy, so hypothesis keeps its example database out of the repository.
            done = subprocess.run(
                command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return Outcome(name, "timeout", time.perf_counter() - start, f"over {timeout:.0f} s")
    seconds = time.perf_counter() - start
    output = done.stdout + done.stderr
    if PROBE_FAILED in output:
        line = next(x for x in output.splitlines() if PROBE_FAILED in x)
        raise SystemExit(f"{name}: the guard was not imported from the copy: {line}")
    if done.returncode == 0:
        return Outcome(name, "survived", seconds, "")
    if done.returncode == 1:
        return Outcome(name, "killed", seconds, _first_failure(output))
    tail = " | ".join(output.strip().splitlines()[-3:])
    return Outcome(name, "error", seconds, f"pytest exit {done.returncode}: {tail}")


def imported_from() -> str:
    """Where a child with the runs' PYTHONPATH imports the guard from (sanity line)."""
    with tempfile.TemporaryDirectory(prefix="kitty-mutation-") as tmp:
        src = Path(tmp).resolve() / "src"
        shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
        env = dict(os.environ, PYTHONPATH=str(src))
        code = "import kitty_fs._guard as g; print(g.__file__)"
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp, env=env, capture_output=True, text=True
        ).stdout.strip()
        if not out.startswith(str(src) + os.sep):
            raise SystemExit(f"PYTHONPATH does not win over the editable install: {out}")
        return out.replace(str(src), "<copy>/src")


def _table(mutants: Sequence[Mutant], outcomes: dict[str, Outcome]) -> str:
    rows = [("mutant", "status", "s", "killed by")]
    for mutant in mutants:
        o = outcomes[mutant.name]
        rows.append((o.name, o.status, f"{o.seconds:.1f}", o.detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}".rstrip()
        for r in rows
    ]
    lines.insert(1, "-" * min(120, max(len(line) for line in lines)))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="run mutants matching NAME (glob)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="concurrent pytest runs (2)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds per run (a timeout is a kill)"
    )
    args = parser.parse_args(argv)
    mutants = _select(args.only)
    try:
        validate(mutants)
    except MutationError as exc:
        print(f"the mutant table no longer fits the guard's source: {exc}", file=sys.stderr)
        return 2

    if args.list:
        if args.json:
            listing = [{"name": m.name, "file": m.file, "rule": m.rule} for m in mutants]
            print(json.dumps({"mutants": listing, "equivalent": EQUIVALENT}, indent=2))
        else:
            width = max(len(m.name) for m in mutants)
            for m in mutants:
                print(f"{m.name:<{width}}  {m.file:<15}  {m.rule}")
            print(f"{len(mutants)} mutants ({len(EQUIVALENT)} equivalent edits left out)")
        return 0

    started = time.perf_counter()
    where = imported_from()
    print(f"guard imported from {where}", file=sys.stderr)
    baseline = run_one(None, args.timeout)
    passed = baseline.status == "survived"  # no test failed
    print(
        f"baseline: {'passed' if passed else baseline.status} in {baseline.seconds:.1f} s",
        file=sys.stderr,
    )
    if not passed:
        print(f"the unmutated suite must pass first: {baseline.detail}", file=sys.stderr)
        return 2

    outcomes: dict[str, Outcome] = {}
    lock = threading.Lock()

    def work(mutant: Mutant) -> None:
        outcome = run_one(mutant, args.timeout)
        with lock:
            outcomes[mutant.name] = outcome
            print(
                f"[{len(outcomes)}/{len(mutants)}] {outcome.name}: {outcome.status} "
                f"({outcome.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(work, mutants))
    elapsed = time.perf_counter() - started

    killed = sum(o.status in ("killed", "timeout") for o in outcomes.values())
    survivors = [m.name for m in mutants if outcomes[m.name].status == "survived"]
    errors = [m.name for m in mutants if outcomes[m.name].status == "error"]
    score = killed / len(mutants)
    if args.json:
        report = {
            "imported_from": where,
            "baseline_seconds": round(baseline.seconds, 2),
            "mutants": [
                {
                    "name": m.name,
                    "file": m.file,
                    "rule": m.rule,
                    "status": outcomes[m.name].status,
                    "seconds": round(outcomes[m.name].seconds, 2),
                    "killed_by": outcomes[m.name].detail,
                }
                for m in mutants
            ],
            "killed": killed,
            "total": len(mutants),
            "score": round(score, 4),
            "survived": survivors,
            "errors": errors,
            "seconds": round(elapsed, 1),
            "jobs": args.jobs,
        }
        print(json.dumps(report, indent=2))
    else:
        print(_table(mutants, outcomes))
        for name in survivors:
            print(f"SURVIVED {name}: no test notices that {outcomes[name].name} is off")
        print(
            f"mutation score: {killed}/{len(mutants)} killed ({score:.1%}), "
            f"{len(survivors)} survived, {len(errors)} errors, "
            f"{elapsed:.0f} s with {args.jobs} jobs"
        )
    return 0 if not survivors and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
