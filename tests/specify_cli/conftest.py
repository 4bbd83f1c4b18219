"""Fixtures for the specify_cli domain tests: real git repositories and a state directory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sk_support import LEGACY_CONFIG, make_repo


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
