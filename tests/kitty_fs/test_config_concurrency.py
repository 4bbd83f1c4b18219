"""Several writers at once, a reader beside them, and writers killed mid-save: real processes.

Counts: 4 writers x 100 saves always; 50 kills by default, 300 with KITTY_FULL=1.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from _fs_repo import CONFIG_PATH, git, make_repo, status, worker_cmd
from _fs_workers import SECTION, crash_contents

from kitty_fs import load_config, save_config, write_boundary
from kitty_fs._atomic import scratch_dir_for, temp_prefix_for

FULL = os.environ.get("KITTY_FULL") == "1"
WRITERS = 4
SAVES = 100
KILLS = 300 if FULL else 50

INITIAL = b"""\
# shared config, several writers
project:
  # identity: nobody in this test touches it
  uuid: "0b9e8c0e-1111-4a8f-9c57-0d6a0f5e9f10"
  name: 'concurrency'   # quoted
  owners: [alice, "bob"]

tracker:   # every writer has its own keys here
  provider: none
# tail comment
"""
PROJECT_BLOCK = INITIAL[INITIAL.index(b"project:") : INITIAL.index(b"\ntracker:")]


def _read_json(proc: subprocess.Popen[str], timeout: float) -> dict[str, object]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    result: dict[str, object] = json.loads(out.splitlines()[-1])
    return result


@pytest.mark.slow
def test_concurrent_writers_lose_no_update_and_the_reader_sees_no_partial_file(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {CONFIG_PATH: INITIAL})
    go, stop, block = tmp_path / "go", tmp_path / "stop", tmp_path / "project-block"
    block.write_bytes(PROJECT_BLOCK)
    started = time.monotonic()
    writers = [
        subprocess.Popen(
            worker_cmd("writer", str(repo), str(index), str(SAVES), str(go)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(WRITERS)
    ]
    reader = subprocess.Popen(
        worker_cmd("reader", str(repo), str(stop), str(block)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for proc in writers:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
        go.touch()  # all writers start together, so their saves interleave
        results = [_read_json(proc, timeout=300) for proc in writers]
    finally:
        stop.touch()
        for proc in writers:
            if proc.poll() is None:
                proc.kill()
    seen = _read_json(reader, timeout=60)
    elapsed = time.monotonic() - started

    for index, result in enumerate(results):
        assert result["errors"] == [], f"writer {index} saw lost updates: {result['errors']}"
        assert result["changed"] == SAVES
    assert seen["problems"] == [], seen["problems"]
    assert isinstance(seen["reads"], int) and seen["reads"] > 0
    # The reader really ran while the file changed under it.
    assert isinstance(seen["distinct"], int) and seen["distinct"] > 10

    final = load_config(write_boundary(repo, reason="check").read_only(), CONFIG_PATH).section(
        SECTION
    )
    assert final is not None
    expected_log = ",".join(str(n) for n in range(SAVES))
    for index in range(WRITERS):
        assert final[f"k{index}"] == SAVES - 1
        assert final[f"log{index}"] == expected_log  # every one of the 100 updates, in order
    assert final["provider"] == "none"
    data = (repo / CONFIG_PATH).read_bytes()
    assert data.startswith(INITIAL[: INITIAL.index(b"tracker:")])
    assert data.endswith(b"# tail comment\n")
    assert status(repo) == [" M .kittify/config.yaml"]
    print(
        f"\n{WRITERS} writers x {SAVES} saves = {WRITERS * SAVES} updates, all present; "
        f"reader: {seen['reads']} reads, {seen['distinct']} distinct states, 0 problems; "
        f"{elapsed:.1f}s"
    )


def _temps(scratch: Path, prefix: str) -> set[str]:
    with os.scandir(scratch) as entries:
        return {entry.name for entry in entries if entry.name.startswith(prefix)}


def _wait_for_new_temp(scratch: Path, prefix: str, old: set[str], deadline: float) -> None:
    while time.monotonic() < deadline and not _temps(scratch, prefix) - old:
        pass


@pytest.mark.slow
def test_a_writer_killed_at_random_moments_never_leaves_a_broken_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {CONFIG_PATH: INITIAL})
    ctx = write_boundary(repo, reason="setup")
    path = ctx.path(CONFIG_PATH)
    versions = []
    started = time.monotonic()
    for which in (0, 1, 0):
        save_config(ctx, SECTION, crash_contents(which), rel=CONFIG_PATH)
        versions.append(path.read_bytes())
    save_time = (time.monotonic() - started) / 3
    old, new = versions[0], versions[1]
    assert versions[2] == old and old != new
    git(repo, "commit", "-q", "-am", "crash baseline")
    scratch = scratch_dir_for(path)
    assert scratch is not None
    prefix = temp_prefix_for(path)

    seed = int(os.environ.get("KITTY_SEED", str(time.time_ns())))
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    temps_left = 0
    which = 0
    launcher = subprocess.Popen(
        worker_cmd("launcher", str(repo)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert launcher.stdin is not None and launcher.stdout is not None
    started = time.monotonic()
    try:
        for kill in range(KILLS):
            leftovers = _temps(scratch, prefix)  # from earlier kills, until a save sweeps them
            launcher.stdin.write("fork\n")
            launcher.stdin.flush()
            pid = int(launcher.stdout.readline())
            if kill % 2:
                # Anywhere in a few saves: parsing, rendering, writing, renaming.
                time.sleep(rng.uniform(0.0, 3 * save_time))
            else:
                # The write itself is a sliver of a save: watch for the temp file and
                # kill the moment it exists (mid-write, before or just after the rename).
                deadline = time.monotonic() + 3 * save_time
                _wait_for_new_temp(scratch, prefix, leftovers, deadline)
            os.kill(pid, signal.SIGKILL)
            launcher.stdin.write(f"reap {pid}\n")
            launcher.stdin.flush()
            assert json.loads(launcher.stdout.readline()) == {"signal": signal.SIGKILL}

            data = path.read_bytes()
            where = f"kill {kill} (seed {seed})"
            assert data in (old, new), f"{where}: the file is neither the old nor the new content"
            which = 0 if data == old else 1
            outcomes["old" if which == 0 else "new"] += 1
            expected = {"provider": "none", **crash_contents(which)}
            assert load_config(ctx, CONFIG_PATH).section(SECTION) == expected, where
            # A new temp file: this writer died between creating it and renaming it.
            temps_left += bool(_temps(scratch, prefix) - leftovers)
            assert status(repo) == ([] if which == 0 else [" M .kittify/config.yaml"]), where
    finally:
        launcher.stdin.close()
        launcher.wait(timeout=30)
        launcher.stdout.close()

    # The next save sweeps what killed writers left in the scratch directory.
    save_config(ctx, SECTION, crash_contents(1 - which), rel=CONFIG_PATH)
    assert [p.name for p in scratch.iterdir() if p.name.startswith(prefix)] == []
    assert status(repo) in ([], [" M .kittify/config.yaml"])
    print(
        f"\n{KILLS} SIGKILLs (seed {seed}): file old {outcomes['old']}x, new {outcomes['new']}x, "
        f"never anything else; {temps_left} kills landed mid-write (temp left in .git/kitty-fs); "
        f"save {save_time * 1000:.0f} ms; {time.monotonic() - started:.1f}s"
    )
