"""Write commands SIGKILLed at random moments: the config is always the old or the new bytes.

Each write command (``tracker bind``, ``tracker apply``, ``init`` on a legacy
identity) runs as a real ``spec-kitty`` process and is killed with SIGKILL, over
and over. Two ways to pick the moment, alternating:

* ``uniform``: a delay drawn uniformly from [0, 1.2 x the command's measured
  run time], so kills land everywhere: start-up, parsing, rendering, the save,
  and after it;
* ``at-save``: the moment the save's temp file appears in ``<git-dir>/kitty-fs``,
  plus a delay drawn uniformly from [0, the measured temp-to-replace time]
  (the write is a sliver of the run; this lands kills inside it, about half
  before the ``os.replace`` and half after).

Only a process still alive when the signal arrives counts as a kill; one that
finished first is a completed run (its result is checked too). After every
kill: the file is byte-for-byte the old or the new content, both ruamel and
``kitty_fs.load_config`` parse it to the expected values, ``git status
--porcelain --untracked-files=all --ignored`` shows nothing but the expected
modification of ``.kittify/config.yaml``, and ``.kittify/`` holds no other file.

Counts: ``KILLS`` real kills per command, 20 by default, 100 with ``KITTY_FULL=1``
(so 60 / 300 in all); ``KITTY_SEED`` replays a run.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from fault_support import BIND, CONFIG_REL, cli_env, count, git, make_project, porcelain
from fault_support import spec_kitty_argv as argv_of
from ruamel.yaml import YAML

from kitty_fs import load_config, read_context

KILLS = count(20, 100)
# How long the watcher sleeps between looks while the command starts (a few hundred ms, before
# its save). A busy spin there took one of the machine's two cores from the command and from
# the other test worker; this interval is well below the save's temp-to-replace time (about
# 1-4 ms), and the watcher spins only inside the save, where the timing matters.
POLL = 0.0002
REF_A, REF_B = "ref-aaaaaaaa", "ref-bbbbbbbb"


@attrs.frozen
class Scenario:
    """A write command and how it moves the config between its two versions."""

    name: str
    # The command line that turns ``old`` into ``new`` given the current binding_ref.
    argv: Callable[[str], tuple[str, ...]]
    toggles: bool  # True: alternate between two refs; False: restore the old bytes each time


SCENARIOS = (
    Scenario("tracker bind", lambda ref: (*BIND, "--binding-ref", ref), toggles=True),
    Scenario("tracker apply", lambda ref: ("tracker", "apply", "--binding-ref", ref), toggles=True),
    Scenario("init", lambda _ref: ("init",), toggles=False),
)


def _temps(scratch: Path) -> set[str]:
    """Temp files of config saves in the scratch directory (the lock file stays there by design)."""
    if not scratch.is_dir():
        return set()
    return {p.name for p in scratch.iterdir() if ".tmp" in p.name}


def _run_ok(repo: Path, args: tuple[str, ...], env: dict[str, str]) -> tuple[float, float | None]:
    """Run the command to completion, watching it: ``(wall time, temp-to-replace time)``.

    The second is how long the save's temp file exists before the new bytes are in
    place (``None`` if the watcher missed it). Both only spread the kills; nothing asserts them.
    """
    path, scratch = repo / CONFIG_REL, repo / ".git" / "kitty-fs"
    before, leftovers = path.read_bytes(), _temps(scratch)
    started = time.monotonic()
    proc = subprocess.Popen(
        argv_of(repo, *args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    temp_seen: float | None = None
    span: float | None = None
    while proc.poll() is None:
        if temp_seen is None:
            if _temps(scratch) - leftovers:
                temp_seen = time.monotonic()
            else:
                time.sleep(POLL)  # start-up: give the CPU to the command
        elif span is None and path.read_bytes() != before:
            span = time.monotonic() - temp_seen
    elapsed = time.monotonic() - started
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return elapsed, span


def _kill_at_save(
    proc: subprocess.Popen[bytes], scratch: Path, before: set[str], jitter: float
) -> None:
    """Poll until a new temp file exists (the save is writing), then spin ``jitter`` s more."""
    while proc.poll() is None and not _temps(scratch) - before:
        time.sleep(POLL)
    until = time.monotonic() + jitter
    while proc.poll() is None and time.monotonic() < until:
        pass


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name.replace(" ", "-"))
def test_write_command_killed_anywhere_leaves_old_or_new_config(
    scenario: Scenario, tmp_path: Path
) -> None:
    repo = make_project(tmp_path / "repo")
    env = cli_env(tmp_path / "state")
    path = repo / CONFIG_REL
    scratch = repo / ".git" / "kitty-fs"

    # The two versions, produced by the command itself; the committed one is "old".
    runs = []
    if scenario.toggles:
        runs.append(_run_ok(repo, scenario.argv(REF_A), env))
        git(repo, "commit", "-q", "-am", "baseline")
        committed = path.read_bytes()
        runs.append(_run_ok(repo, scenario.argv(REF_B), env))
        versions = {REF_A: committed, REF_B: path.read_bytes()}
        for ref in (REF_A, REF_B) * 2:  # more samples of the timings
            runs.append(_run_ok(repo, scenario.argv(ref), env))
    else:
        committed = path.read_bytes()
        for _ in range(6):
            path.write_bytes(committed)
            runs.append(_run_ok(repo, scenario.argv(""), env))
        versions = {"legacy": committed, "complete": path.read_bytes()}
        path.write_bytes(committed)
    assert len(set(versions.values())) == 2
    duration = statistics.median(run[0] for run in runs)
    # How long the temp file lives before the replace; at-save kills wait up to that long.
    spans = [run[1] for run in runs if run[1] is not None]
    save_span = statistics.median(spans) if spans else 0.002

    yaml = YAML(typ="safe", pure=True)
    expected_values = {
        label: (yaml.load(data)["project"], yaml.load(data)["tracker"])
        for label, data in versions.items()
    }
    state_of = {data: label for label, data in versions.items()}

    seed = int(os.environ.get("KITTY_SEED", str(time.time_ns())))
    rng = random.Random(seed)
    outcomes: Counter[tuple[str, str]] = Counter()
    completed = temps_left = launches = 0
    started = time.monotonic()
    kills = 0
    while kills < KILLS:
        launches += 1
        assert launches <= 5 * KILLS + 20, f"too few kills landed: {kills} in {launches} launches"
        current = state_of[path.read_bytes()]
        if scenario.toggles:
            target = REF_B if current == REF_A else REF_A
            args = scenario.argv(target)
        else:
            if current != "legacy":
                path.write_bytes(versions["legacy"])
            current, target = "legacy", "complete"
            args = scenario.argv("")
        strategy = "uniform" if launches % 2 else "at-save"
        leftovers = _temps(scratch)
        proc = subprocess.Popen(
            argv_of(repo, *args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if strategy == "uniform":
            time.sleep(rng.uniform(0.0, 1.2 * duration))
        else:
            _kill_at_save(proc, scratch, leftovers, rng.uniform(0.0, save_span))
        proc.send_signal(signal.SIGKILL)  # a zombie that already exited ignores it
        _, err = proc.communicate(timeout=120)
        where = f"{scenario.name}, launch {launches}, {strategy} (seed {seed})"
        if proc.returncode == 0:
            completed += 1
        else:
            assert proc.returncode == -signal.SIGKILL, f"{where}: exit {proc.returncode}: {err!r}"
            kills += 1

        data = path.read_bytes()
        assert data in (versions[current], versions[target]), f"{where}: torn or foreign bytes"
        landed = state_of[data]
        if proc.returncode == 0:
            assert landed == target, f"{where}: finished but did not save"
        else:
            outcomes[(strategy, "old" if landed == current else "new")] += 1
        # Both parsers agree with the version the bytes say.
        view = load_config(read_context(repo, reason="fault test: check"), CONFIG_REL)
        project, tracker = expected_values[landed]
        assert view.section("project") == project, where
        assert view.section("tracker") == tracker, where
        # Nothing in the worktree but the expected config change; no temp or lock beside it.
        expected = "" if data == committed else " M .kittify/config.yaml\n"
        assert porcelain(repo) == expected, where
        assert sorted(p.name for p in (repo / ".kittify").iterdir()) == ["config.yaml"], where
        temps_left += bool(_temps(scratch) - leftovers)
    elapsed = time.monotonic() - started

    # A later save sweeps whatever the killed writers left in the scratch directory.
    path.write_bytes(versions[REF_A if scenario.toggles else "legacy"])
    final = REF_B if scenario.toggles else ""
    _run_ok(repo, scenario.argv(final), env)
    assert _temps(scratch) == set()
    assert porcelain(repo) in ("", " M .kittify/config.yaml\n")

    old = outcomes["uniform", "old"] + outcomes["at-save", "old"]
    print(
        f"\n{scenario.name}: {kills} SIGKILLs in {launches} launches ({completed} finished "
        f"before the signal); file old {old}x, new {kills - old}x, never anything else "
        f"[uniform: old {outcomes['uniform', 'old']}, new {outcomes['uniform', 'new']}; "
        f"at-save: old {outcomes['at-save', 'old']}, new {outcomes['at-save', 'new']}]; "
        f"{temps_left} kills left a temp in .git/kitty-fs (mid-write); "
        f"run {duration * 1000:.0f} ms, temp-to-replace {save_span * 1000:.1f} ms; "
        f"seed {seed}; {elapsed:.1f}s"
    )
