"""Saves racing a user who rewrites the config in place without any lock: no section is lost.

The user restores the committed config over and over (``git show HEAD:... >
file`` through a real shell, which leaves the file empty while git starts, and
a Python ``open(w)`` truncate-and-write) while kitty-fs writers run: two
processes calling ``save_config`` / ``update_config`` in a loop, and real
``spec-kitty tracker bind`` and ``init`` subprocesses. A save that read the
momentarily empty file as "no config" would replace it with its own section
alone (``init`` would even mint a new uuid); the rewriter checks the file
before every rewrite, and the file is checked once more at the end.

A save may also be refused because the file kept changing under it; that is
allowed (nothing is written then) as long as the refusal is the store's clear
error. Counts: ``MIN_SAVES`` per racer and ``CLI_RUNS`` commands, 15 / 2 by
default, 120 / 6 with ``KITTY_FULL=1`` (so 32 / 246 races in all).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fault_support import (
    BIND,
    CONFIG_REL,
    PROJECT_UUID,
    cli,
    cli_env,
    count,
    make_project,
    start_worker,
    worker_result,
)

MIN_SAVES = count(15, 120)
CLI_RUNS = count(2, 6)
# Exit status of a config error (the store's refusal); anything else is a failure.
_REFUSED_MARK = "kept rewriting"


@pytest.mark.slow
def test_saves_racing_an_in_place_rewrite_lose_no_section(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    stop = tmp_path / "STOP"
    env = cli_env(tmp_path / "state")
    rewriter = start_worker("rewrite", repo, stop)
    racers = [start_worker("race", repo, stop, str(MIN_SAVES), tag) for tag in ("a", "b")]
    commands = []
    try:
        for run in range(CLI_RUNS):
            args = ("init",) if run % 2 else (*BIND, "--binding-ref", f"race-{run:03d}")
            done = cli(repo, *args, env=env)
            commands.append((args[0], done.returncode, done.stderr))
    finally:
        stop.touch()
    results = [worker_result(proc) for proc in racers]
    rewrites = worker_result(rewriter)

    assert rewrites["losses"] == [], rewrites["losses"][:3]
    for args0, code, stderr in commands:
        assert code == 0 or _REFUSED_MARK in stderr, (args0, code, stderr)
    for result in results:
        assert all(_REFUSED_MARK in r for r in result["refusals"]), result["refusals"][:3]
    text = (repo / CONFIG_REL).read_text()
    assert f"uuid: {PROJECT_UUID}\n" in text and "\ntracker:\n" in text, text
    races = sum(r["saves"] for r in results) + len(commands)
    refused = sum(len(r["refusals"]) for r in results)
    assert races >= 2 * MIN_SAVES + CLI_RUNS
    # Most saves must get through: a store that refused everything would lose nothing either.
    assert refused <= races // 2, (refused, races)
    assert rewrites["rewrites"] > 0
    print(f"races={races} refused={refused} rewrites={rewrites['rewrites']}", file=sys.stderr)
