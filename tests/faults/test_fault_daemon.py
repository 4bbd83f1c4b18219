"""The dashboard daemon ticks while foreground writers update the config: nothing is lost.

Running at once, all real processes:

* ``spec-kitty dashboard run --ticks 0 --interval 0.05 --json``, against a
  reference server that offers a *different* ``binding_ref`` on every tick (the
  upgrade a read command must report and never write);
* a chain of ``spec-kitty tracker bind`` / ``tracker apply`` commands, each
  storing a new ``tracker.binding_ref`` (only they write it);
* a chain of ``spec-kitty init`` runs on a legacy identity, each preceded by a
  removal of ``project.build_id`` (so every ``init`` really writes ``project:``);
* a helper process saving ``notes.counter`` 1, 2, 3... through
  ``kitty_fs.save_config`` as fast as it can, checking before each save that
  the file still holds its last value.

Each writer checks after each of its own writes that its value is there, so a
lost update shows the moment it happens, not only at the end. At the end every
section holds its last written value and the file is byte-identical to the same
final writes made one after the other; the daemon printed no parse error or
skipped tick, never saw a torn identity or binding, and never wrote the tree
(porcelain shows only ``.kittify/config.yaml`` modified).

Counts: tracker commands / init cycles = 12 / 6 by default, 60 / 30 with
``KITTY_FULL=1``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from fault_support import (
    BIND,
    CONFIG,
    CONFIG_REL,
    PROJECT_UUID,
    ServerProcess,
    cli,
    cli_env,
    count,
    make_project,
    porcelain,
    spec_kitty_argv,
    start_worker,
    synced_env,
    wait_until,
    with_default_sigint,
    worker_result,
)

from kitty_fs import load_config, read_context, save_config, write_boundary

TRACKER_COMMANDS = count(12, 60)
INIT_CYCLES = count(6, 30)
SERVER_REF = "server-offers-this"
NOTES = "\n# written by a helper process\nnotes:\n  counter: 0  # how many saves\n"


def _tracker_args(i: int) -> tuple[str, ...]:
    ref = f"fg-{i:03d}"
    if i % 2:
        return ("tracker", "apply", "--binding-ref", ref)
    return (*BIND, "--binding-ref", ref)


def _section(repo: Path, name: str) -> dict[str, object]:
    return dict(
        load_config(read_context(repo, reason="fault test: check"), CONFIG_REL).section(name) or {}
    )


def _chain(errors: list[str], body: Callable[[], None]) -> threading.Thread:
    """A writer chain on a thread; a failure is recorded, not lost in the thread."""

    def run() -> None:
        try:
            body()
        except AssertionError as exc:
            errors.append(str(exc))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


class _Lines:
    """Collects the lines of a process's pipe on a thread, so it never blocks on a full pipe."""

    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None
        self.lines: list[str] = []
        self._stream = stream
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            self.lines.append(line)

    def join(self) -> None:
        self._thread.join(timeout=60)


def _stop(daemon: subprocess.Popen[str]) -> None:
    """SIGINT, as a user's Ctrl-C; a daemon that does not stop dumps its stacks and is killed."""
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGINT)
    try:
        daemon.wait(timeout=120)
    except subprocess.TimeoutExpired:
        daemon.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: every thread's stack
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(timeout=60)


@pytest.mark.slow
def test_daemon_ticking_while_foreground_commands_write_loses_no_update(
    tmp_path: Path,
) -> None:
    repo = make_project(tmp_path / "repo", CONFIG + NOTES)
    path = repo / CONFIG_REL
    initial_tracker = _section(repo, "tracker")

    with ServerProcess(binding_ref=SERVER_REF) as server:
        env = synced_env(tmp_path / "state", server.url)
        daemon_argv = ("dashboard", "run", "--ticks", "0", "--interval", "0.05", "--json")
        daemon = subprocess.Popen(
            with_default_sigint(spec_kitty_argv(repo, *daemon_argv)),
            env={**env, "PYTHONFAULTHANDLER": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ticks, notes = _Lines(daemon.stdout), _Lines(daemon.stderr)
        stop = tmp_path / "stop-workers"
        watched = ("notes.counter=int", "tracker.binding_ref=str")
        watcher = start_worker("watch", repo, stop, *watched)
        writer = start_worker("writer", repo, "notes", "counter", stop, "20")
        try:
            wait_until("the daemon's first tick", lambda: len(ticks.lines) >= 1)
            ticks_before = len(ticks.lines)
            errors: list[str] = []
            build_ids: list[str] = []

            def tracker_chain() -> None:
                for i in range(TRACKER_COMMANDS):
                    args = _tracker_args(i)
                    done = cli(repo, *args, env=env)
                    assert done.returncode == 0, f"{args}: {done.stderr}"
                    got = _section(repo, "tracker").get("binding_ref")
                    assert got == args[-1], f"after {args}: binding_ref {got!r}"

            def init_chain() -> None:
                ctx = write_boundary(repo, reason="fault test: drop build_id")
                for i in range(INIT_CYCLES):
                    if i:  # the legacy identity has no build_id to start with
                        assert save_config(ctx, "project", {}, remove=("build_id",), rel=CONFIG_REL)
                    assert "build_id" not in _section(repo, "project"), f"cycle {i}: removal lost"
                    done = cli(repo, "init", "--json", env=env)
                    assert done.returncode == 0, f"init {i}: {done.stderr}"
                    assert json.loads(done.stdout)["changed"] is True, f"init {i} wrote nothing"
                    build_ids.append(json.loads(done.stdout)["build_id"])
                    got = _section(repo, "project").get("build_id")
                    assert got == build_ids[-1], f"after init {i}: build_id {got!r}"

            started = time.monotonic()
            chains = [_chain(errors, tracker_chain), _chain(errors, init_chain)]
            for chain in chains:
                chain.join()
            elapsed = time.monotonic() - started
            stop.touch()
            written = worker_result(writer)
            seen = worker_result(watcher)
            # Two more ticks: the daemon has read the final file at least once.
            ticks_at_end = len(ticks.lines)
            wait_until("two more ticks", lambda: len(ticks.lines) >= ticks_at_end + 2)
        finally:
            stop.touch()
            _stop(daemon)
            for proc in (writer, watcher):
                if proc.poll() is None:
                    proc.communicate(timeout=120)
            ticks.join()
            notes.join()
            if notes.lines:  # shown when the test fails: what the daemon said
                print("daemon stderr (tail):", "".join(notes.lines)[-5000:])
    daemon_err = "".join(notes.lines)

    assert errors == [], errors
    assert written["errors"] == [], written["errors"]
    assert written["changed"] == written["saves"]
    # A reader beside them never saw a torn file or a value go back, even for a moment.
    assert seen["errors"] == [], seen["errors"][:5]
    # SIGINT: "interrupted", nothing else.
    assert daemon.returncode == 130, (daemon.returncode, daemon_err[-5000:], ticks.lines[-3:])
    assert "skipped" not in daemon_err and "Traceback" not in daemon_err, daemon_err

    # Every tick saw a whole identity and a binding someone wrote; the server's offer
    # was reported on every tick and never persisted.
    assert len(set(build_ids)) == 1
    written_refs = {"bind-001"} | {_tracker_args(i)[-1] for i in range(TRACKER_COMMANDS)}
    snapshots = [json.loads(line) for line in ticks.lines]
    # With --json, SIGINT ends the stream with one error object, and nothing else.
    assert snapshots.pop()["error"]["code"] == "INTERRUPTED"
    for snap in snapshots:
        assert snap["ok"] is True and snap["project_uuid"] == PROJECT_UUID, snap
        assert snap["build_id"] == build_ids[0], snap
        tracker = snap["tracker"]
        assert tracker["bound"] is True and tracker["binding_ref"] in written_refs, snap
        assert tracker["pending_binding_upgrade"] == SERVER_REF, snap
    seen_refs = {snap["tracker"]["binding_ref"] for snap in snapshots}

    # Every section holds its last written value.
    last_ref = _tracker_args(TRACKER_COMMANDS - 1)[-1]
    assert _section(repo, "tracker") == {**initial_tracker, "binding_ref": last_ref}
    assert _section(repo, "project") == {
        "uuid": PROJECT_UUID,
        "slug": "demo-project",
        "node_id": "abcdef012345",
        "build_id": build_ids[0],
    }
    assert _section(repo, "notes") == {"counter": written["saves"]}

    # Byte for byte what the same final writes give one after the other, in a quiet repo.
    replay = make_project(tmp_path / "replay", CONFIG + NOTES)
    quiet = cli_env(tmp_path / "replay-state")
    for args in (("init",), ("tracker", "apply", "--binding-ref", last_ref)):
        assert cli(replay, *args, env=quiet).returncode == 0
    save_config(
        write_boundary(replay, reason="replay"),
        "notes",
        {"counter": written["saves"]},
        rel=CONFIG_REL,
    )
    assert path.read_bytes() == (replay / CONFIG_REL).read_bytes()

    # Nothing in the tree but the config; no save left a temp file behind.
    assert porcelain(repo) == " M .kittify/config.yaml\n"
    assert [p.name for p in (repo / ".git" / "kitty-fs").iterdir() if ".tmp" in p.name] == []
    print(
        f"\ndaemon: {ticks_at_end - ticks_before} ticks during the writes "
        f"({len(snapshots)} in all, {len(seen_refs)} distinct binding_refs seen, "
        f"0 skipped); {TRACKER_COMMANDS} tracker bind/apply + {INIT_CYCLES} init "
        f"(+{INIT_CYCLES - 1} build_id removals) + {written['saves']} notes saves, "
        f"none lost; watcher: {seen['reads']} reads, none torn or going back; {elapsed:.1f}s"
    )
