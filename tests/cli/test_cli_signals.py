"""Stopping a long-running command: SIGTERM and Ctrl-C unwind cleanly, with their exit codes."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest
from cli_support import TreeState, cli_env, make_project, spec_kitty_executable


def _start(repo: Path, state: Path, *argv: str) -> subprocess.Popen[str]:
    """Start ``spec-kitty ARGV`` in ``repo`` without waiting: output piped, SIGINT at its default.

    A job started in the background inherits SIGINT ignored; the child gets the default back.
    """
    return subprocess.Popen(
        [spec_kitty_executable(), *argv],
        cwd=repo,
        env=cli_env(state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


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
    daemon = _start(repo, tmp_path / "state", "dashboard", "run", "--interval", "0.05")
    assert daemon.stdout is not None
    first = daemon.stdout.readline()  # a tick has run: the command is past its start-up
    assert first.startswith("tick 1:"), first
    daemon.send_signal(signum)
    _out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == exit_code, err
    assert f"error [{code}]" in err and "Traceback" not in err
    assert before.changes_since(TreeState.take(repo)) == []


START_UP_DELAYS = [0.02 * n for n in range(1, 16)]  # across imports and building the app


@pytest.mark.parametrize("delay", START_UP_DELAYS, ids=lambda d: f"{d * 1000:.0f}ms")
def test_ctrl_c_during_start_up_is_one_line_not_a_traceback(tmp_path: Path, delay: float) -> None:
    """SIGINT while the CLI is still importing or building its app: exit 130, no traceback.

    Very early (before Python installs its handler) the process simply dies of the
    signal (-2): also no traceback. A delay past start-up lets the command finish.
    """
    proc = _start(make_project(tmp_path / "repo"), tmp_path / "state", "capabilities")
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    # The import machinery's own frames (``<frozen importlib._bootstrap>``) show when the
    # signal lands inside it, finding the package's files: still none of ours.
    frames = [f for f in re.findall(r'File "([^"]+)"', err) if not f.startswith("<frozen ")]
    if "Fatal Python error: init_import_site" in err or frames == [spec_kitty_executable()]:
        # Still inside the interpreter's own start-up (site), or its import of the package
        # named by the console script, before any line of ours runs: nothing here can
        # change what Python prints then.
        return
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 130, -signal.SIGINT), (proc.returncode, err)
    if proc.returncode == 130:
        assert "interrupted" in err
