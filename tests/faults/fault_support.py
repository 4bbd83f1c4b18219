"""Shared helpers of the fault tests: real git repositories, the real CLI, a real server process.

Everything here drives what a user runs: ``spec-kitty`` as a subprocess (so a
SIGKILL lands on a real interpreter in the middle of a real command), the
reference SaaS as a subprocess (so it can be killed too), and git itself for
the worktree checks. Nothing is mocked.

Counts: each heavy loop takes a small default so ``.ci/run`` stays quick, and
the full count with ``KITTY_FULL=1`` (see ``count``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx
from git_support import git, porcelain
from server_support import reference_server_argv
from spec_kitty_samples import LEGACY_CONFIG, PROJECT_UUID

from kitty_fs.testing import make_git_repo

__all__ = [
    "BIND",
    "CONFIG",
    "CONFIG_REL",
    "FULL",
    "PROJECT_UUID",
    "TOKEN",
    "ServerProcess",
    "cli",
    "cli_env",
    "count",
    "git",
    "make_project",
    "porcelain",
    "spec_kitty_argv",
    "start_worker",
    "synced_env",
    "wait_until",
    "with_default_sigint",
    "worker_result",
]

FULL: Final = os.environ.get("KITTY_FULL") == "1"
CONFIG_REL: Final = ".kittify/config.yaml"
TOKEN: Final = "fault-token"
# ``spec-kitty tracker bind`` for the sample project (add ``--binding-ref REF``).
BIND: Final = ("tracker", "bind", "--provider", "jira", "--project-slug", "demo-project")
WORKER: Final = Path(__file__).with_name("fault_worker.py")

CONFIG: Final = LEGACY_CONFIG


def count(default: int, full: int) -> int:
    """``full`` with ``KITTY_FULL=1``, else ``default`` (the CI count)."""
    return full if FULL else default


def make_project(path: Path, config: str = CONFIG) -> Path:
    """A git repository with ``config`` committed as ``.kittify/config.yaml``, and a README."""
    path.mkdir(parents=True)
    make_git_repo(path, {"README.md": "fault-test project\n", CONFIG_REL: config})
    return path


def cli_env(state_home: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``spec-kitty`` child: this one, minus any SPEC_KITTY_* setting,
    plus the state directory and ``extra`` (sync settings, timeouts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPEC_KITTY_")}
    env["SPEC_KITTY_HOME"] = os.fspath(state_home)
    env.update(extra)
    return env


def synced_env(state_home: Path, server_url: str, **extra: str) -> dict[str, str]:
    """``cli_env`` with sync enabled and authenticated (``TOKEN``) against ``server_url``."""
    return cli_env(
        state_home,
        SPEC_KITTY_ENABLE_SAAS_SYNC="1",
        SPEC_KITTY_SAAS_URL=server_url,
        SPEC_KITTY_SAAS_TOKEN=TOKEN,
        **extra,
    )


def spec_kitty_argv(repo: Path, *args: str) -> list[str]:
    """The command line of ``spec-kitty --repo REPO ARGS``, from this interpreter's venv."""
    script = Path(sys.executable).with_name("spec-kitty")
    exe = os.fspath(script) if script.exists() else "spec-kitty"
    return [exe, "--repo", os.fspath(repo), *args]


def with_default_sigint(argv: Sequence[str]) -> list[str]:
    """``argv`` run with SIGINT at its default disposition, as a terminal's foreground job has.

    A job started with ``&`` from a script (and some CI runners) inherits SIGINT
    *ignored*, and a Python started that way never raises ``KeyboardInterrupt``:
    a test that stops a daemon with SIGINT would hang there for a reason that is
    not the daemon's. ``exec`` keeps a default disposition, so a tiny shim resets
    it and becomes the command.
    """
    shim = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "os.execvp(sys.argv[1], sys.argv[1:])"
    )
    return [sys.executable, "-c", shim, *argv]


def cli(
    repo: Path, *args: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``spec-kitty`` to completion; the caller checks the exit code."""
    return subprocess.run(
        spec_kitty_argv(repo, *args),
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_until(what: str, predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    """Poll ``predicate()`` until true. The timeout only stops a hung test; no assertion on time."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:g}s")
        time.sleep(0.005)


def start_worker(role: str, *args: str | os.PathLike[str]) -> subprocess.Popen[str]:
    """Start a ``fault_worker.py`` role and wait until it says ``ready``."""
    proc = subprocess.Popen(
        [sys.executable, os.fspath(WORKER), role, *(os.fspath(a) for a in args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line != "ready\n":
        proc.kill()
        _, err = proc.communicate(timeout=60)
        raise AssertionError(f"worker {role} did not start: {line!r} {err}")
    return proc


def worker_result(proc: subprocess.Popen[str], timeout: float = 120) -> dict[str, Any]:
    """The JSON line a worker prints when it stops (once its STOP file exists)."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


class ServerProcess:
    """``python -m specify_cli.saas_reference`` in its own process, so a test can SIGKILL it.

    The knobs go through its ``/_admin/*`` endpoints, as any client of a live
    server would use them.
    """

    def __init__(self, binding_ref: str = "bind-001", token: str = TOKEN) -> None:
        self.proc = subprocess.Popen(
            reference_server_argv(token, binding_ref),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self._stderr()
        self._http = httpx.Client(base_url=self.url, timeout=30)

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return "(server still running)"
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def configure(self, **knobs: object) -> dict[str, object]:
        """Set fault knobs on the live server (``status``, ``garbage``, ``stall_after``...)."""
        response = self._http.post("/_admin/config", json=knobs)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    def heal(self) -> None:
        """Clear every fault knob, keeping the events the server stored."""
        self.configure(
            status=None,
            status_times=None,
            garbage=False,
            delay_s=0.0,
            drop_batches=0,
            ack_delay_s=0.0,
            stall_after=None,
        )

    def received(self) -> dict[str, object]:
        body: dict[str, object] = self._http.get("/_admin/received").json()
        return body

    def event_ids(self) -> list[str]:
        ids = self.received()["event_ids"]
        assert isinstance(ids, list)
        return [str(i) for i in ids]

    def ingest(self, envelopes: Sequence[str]) -> dict[str, object]:
        """Post serialised envelopes as a client would (to seed a restarted server's store)."""
        content = ('{"events":[' + ",".join(envelopes) + "]}").encode()
        response = self._http.post(
            "/api/v1/events/batch",
            content=content,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = json.loads(response.text)
        return body

    def kill(self) -> None:
        """SIGKILL: no shutdown, open connections reset, the in-memory store gone."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def close(self) -> None:
        self._http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
