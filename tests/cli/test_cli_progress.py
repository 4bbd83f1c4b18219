"""Long work shows progress on a terminal only: ``sync push`` of many events, tty vs pipe vs --json.

stderr is attached to a real pseudo-terminal (``pty.openpty``) for the terminal case; the
events are queued through the library (the emitter is covered elsewhere) so the push has
three batches to report.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from cli_support import make_project, spec_kitty_executable

from kitty_fs import read_context, write_boundary
from specify_cli.sync import EventEmitter, Outbox

pytest_plugins = ["cli_fixtures"]

EVENTS = 1200  # three batches of at most 500


def _queue(repo: Path, state_home: Path) -> None:
    state_home.mkdir(exist_ok=True)
    state = write_boundary(state_home, reason="test: queue events")
    with Outbox.open(state) as outbox:
        emitter = EventEmitter(read_context(repo, reason="test"), outbox)
        result = emitter.emit_many(("wp.status_changed", {"n": n}) for n in range(EVENTS))
    assert result.emitted == EVENTS


def _push_with_stderr_on_a_tty(
    repo: Path, env: dict[str, str], *extra: str
) -> tuple[int, str, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [spec_kitty_executable(), "sync", "push", *extra],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read()
    return proc.wait(timeout=60), out, b"".join(chunks).decode(errors="replace")


def test_a_terminal_sees_a_progress_bar(
    tmp_path: Path, state_home: Path, synced_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    _queue(repo, state_home)
    code, out, tty = _push_with_stderr_on_a_tty(repo, synced_env)
    assert code == 0, tty
    assert "pushing [" in tty and f"{EVENTS}/{EVENTS}" in tty
    assert "\r" in tty  # redrawn in place, not a line per batch
    assert f"delivered {EVENTS} event(s)" in out


def test_a_pipe_gets_no_progress(
    tmp_path: Path, state_home: Path, synced_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    _queue(repo, state_home)
    done = subprocess.run(
        [spec_kitty_executable(), "sync", "push"],
        cwd=repo,
        env=synced_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "pushing [" not in done.stderr and "\r" not in done.stderr
    assert f"delivered {EVENTS} event(s)" in done.stdout


def test_json_stays_quiet_even_on_a_terminal(
    tmp_path: Path, state_home: Path, synced_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo")
    _queue(repo, state_home)
    code, out, tty = _push_with_stderr_on_a_tty(repo, synced_env, "--json")
    assert code == 0, tty
    assert "pushing [" not in tty
    result = json.loads(out)
    assert result["ok"] is True and result["accepted"] + result["duplicates"] == EVENTS
