"""Fixtures for the specify_cli domain tests: real git repositories and a state directory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sk_support import make_repo
from spec_kitty_samples import LEGACY_CONFIG

from kitty_fs import WriteContext, write_boundary
from specify_cli.saas_reference import ReferenceServer
from specify_cli.sync import Outbox, SyncSettings


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed git repository with a legacy config (identity missing build_id)."""
    return make_repo(tmp_path / "demo-repo")


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``SPEC_KITTY_HOME`` pointed at a fresh directory outside every repository."""
    home = tmp_path / "state"
    home.mkdir()
    monkeypatch.setenv("SPEC_KITTY_HOME", os.fspath(home))
    for name in ("SPEC_KITTY_ENABLE_SAAS_SYNC", "SPEC_KITTY_SAAS_URL", "SPEC_KITTY_SAAS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def new_repo(tmp_path: Path) -> Callable[..., Path]:
    """Make another repository below tmp_path: ``new_repo(name, config=..., origin=...)``."""

    def make(name: str, config: str | None = LEGACY_CONFIG, origin: str | None = None) -> Path:
        return make_repo(tmp_path / name, config=config, origin=origin)

    return make


TOKEN = "test-token"


@pytest.fixture
def server() -> Iterator[ReferenceServer]:
    """A reference SaaS on a loopback thread, offering the binding the legacy config stores."""
    with ReferenceServer(token=TOKEN, binding_ref="bind-001") as srv:
        yield srv


@pytest.fixture
def settings(server: ReferenceServer) -> SyncSettings:
    """Sync enabled against ``server``, with short timeouts and backoff so fault tests are quick."""
    return SyncSettings(
        enabled=True,
        server_url=server.url,
        token=TOKEN,
        timeout_s=2.0,
        retries=2,
        backoff_s=0.01,
        backoff_max_s=0.05,
        source="test",
    )


@pytest.fixture
def state(state_home: Path) -> WriteContext:
    """The state-directory side channel, as the dispatcher would hand it to a read command."""
    return write_boundary(state_home, reason="test: state directory")


@pytest.fixture
def outbox(state: WriteContext) -> Iterator[Outbox]:
    with Outbox.open(state) as box:
        yield box
