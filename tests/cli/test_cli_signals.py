"""Stopping a long-running command: SIGTERM and Ctrl-C unwind cleanly, with their exit codes."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from cli_support import TreeState, cli_env, make_project, spec_kitty_executable


@pytest.mark.parametrize(
    ("signum", "exit_code", "code"),
    [(signal.SIGTERM, 143, "TERMINATED"), (signal.SIGINT, 130, "INTERRUPTED")],
    ids=["sigterm", "sigint"],
)
def test_the_dashboard_daemon_stops_on_a_signal_with_its_exit_code(
    tmp_path: Path, signum: signal.Signals, exit_code: int, code: str
) -> None:
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    daemon = subprocess.Popen(
        [spec_kitty_executable(), "dashboard", "run", "--interval", "0.05"],
        cwd=repo,
        env=cli_env(tmp_path / "state"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A job started in the background inherits SIGINT ignored; give the child the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert daemon.stdout is not None
    first = daemon.stdout.readline()  # a tick has run: the command is past its start-up
    assert first.startswith("tick 1:"), first
    daemon.send_signal(signum)
    _out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == exit_code, err
    assert f"error [{code}]" in err and "Traceback" not in err
    assert before.changes_since(TreeState.take(repo)) == []
