"""Fixtures of the ``spec-kitty`` command-line tests: a reference SaaS process, a dead URL, envs.

A pytest plugin module, loaded by ``pytest_plugins = ["cli_fixtures"]`` in each
test module that needs it, rather than a ``conftest.py``: ``tests/specify_cli``
already has one, and mypy (which checks ``tests/`` without packages) refuses two
modules named ``conftest``.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Saas, cli_env, synced_cli_env
from server_support import reference_server_argv

TOKEN = "cli-test-token"
# The config's tracker binding is bind-001: the server offers an upgrade.
OFFERED_BINDING = "bind-002"


@pytest.fixture(scope="module")
def saas() -> Iterator[Saas]:
    """One reference server process per test module (its events pile up; tests never count them).

    A real process, not a thread in the test process, so the CLI under test
    talks to a peer exactly as it would talk to the SaaS.
    """
    proc = subprocess.Popen(
        reference_server_argv(TOKEN, OFFERED_BINDING),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else url
        yield Saas(url, TOKEN, OFFERED_BINDING)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="module")
def dead_url() -> Iterator[str]:
    """A loopback URL where nothing listens: the port is held by a socket that never listens.

    Holding it (instead of closing a probe socket) keeps another process from
    taking the port while the tests expect "connection refused".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def state_home(tmp_path: Path) -> Path:
    """A state directory ($SPEC_KITTY_HOME) outside the repository; created by the CLI."""
    return tmp_path / "state"


@pytest.fixture
def synced_env(state_home: Path, saas: Saas) -> dict[str, str]:
    """Sync enabled and authenticated against the module's reference server."""
    return synced_cli_env(state_home, saas)


@pytest.fixture
def offline_env(state_home: Path) -> dict[str, str]:
    """Sync disabled: events queue in the state directory, no network."""
    return cli_env(state_home)
