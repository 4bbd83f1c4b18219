"""Session fixtures for the packaging tests: built wheels and venvs, made once per session.

A pytest plugin module, loaded by ``pytest_plugins = ["packaging_fixtures"]`` in each test
module of this directory.

Building a venv with upstream ``spec-kitty-cli`` from the package index takes
20-30 s, so each venv is made once per test session and shared: under pytest-xdist
the workers share one directory (the parent of their base temp dirs), keyed by
name and Python version, and a file lock makes the first worker build it while
the other waits. The same goes for the wheel directories (``download_wheels``): each
set of requirements is resolved on the index once per session, and every venv that
installs it does so from the directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock
from packaging_support import ROOT, SLICE_DIR, Venv, build_wheel, download_wheels, make_venv

# Every published 3.2.x release needs this typer to start (bench/_upstream.py found it).
UPSTREAM_TYPER = "typer==0.24.1"
# What a project adopting kitty-fs installs (docs/adoption.md, examples/notes): the library
# with its typer extra, the test tools, and the build backend of both projects.
ADOPTER_TOOLS = ("pytest", "mypy==2.4.1", "setuptools>=77")


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by every worker of this test session."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    cache = shared / f"kitty-fs-packaging-py{sys.version_info.major}.{sys.version_info.minor}"
    cache.mkdir(exist_ok=True)
    return cache


def _once(cache: Path, name: str, make: Callable[[Path], None]) -> Path:
    """``cache/name``, made by ``make`` the first time any worker asks for it."""
    target = cache / name
    with FileLock(cache / f"{name}.lock"):
        if not (target / ".complete").exists():
            make(target)
            (target / ".complete").write_text("")
    return target


@pytest.fixture(scope="session")
def library_wheel(session_cache: Path) -> Path:
    """The kitty-fs wheel built from the top-level pyproject.toml."""
    (wheel,) = _once(session_cache, "wheel-kitty-fs", lambda d: build_wheel(ROOT, d)).glob("*.whl")
    return wheel


@pytest.fixture(scope="session")
def slice_wheel(session_cache: Path) -> Path:
    """The spec-kitty-slice wheel built from packaging/spec-kitty-slice."""
    made = _once(session_cache, "wheel-slice", lambda d: build_wheel(SLICE_DIR, d))
    (wheel,) = made.glob("*.whl")
    return wheel


@pytest.fixture(scope="session")
def adopter_wheels(session_cache: Path, library_wheel: Path) -> Path:
    """The kitty-fs wheel and, from the index, its dependencies and ``ADOPTER_TOOLS``."""
    requirements = (f"{library_wheel}[typer]", *ADOPTER_TOOLS)
    return _once(session_cache, "wheels-adopter", lambda d: download_wheels(d, *requirements))


def _upstream_wheels(cache: Path, version: str) -> Path:
    """Upstream spec-kitty-cli ``version`` and its dependencies, from the index."""
    requirements = (f"spec-kitty-cli=={version}", UPSTREAM_TYPER)
    return _once(
        cache, f"wheels-spec-kitty-cli-{version}", lambda d: download_wheels(d, *requirements)
    )


def _upstream_into(cache: Path, name: str, version: str) -> Venv:
    """``cache/name``: a venv with only upstream spec-kitty-cli ``version`` (and its typer)."""
    wheels = _upstream_wheels(cache, version)
    requirements = (f"spec-kitty-cli=={version}", UPSTREAM_TYPER)
    return Venv(_once(cache, name, lambda d: make_venv(d, *requirements, wheels=wheels)))


@pytest.fixture(scope="session")
def upstream_venv(session_cache: Path) -> Callable[[str], Venv]:
    """``upstream_venv("3.2.3")``: a venv with only upstream spec-kitty-cli (and its typer)."""

    def get(version: str) -> Venv:
        return _upstream_into(session_cache, f"spec-kitty-cli-{version}", version)

    return get


@pytest.fixture(scope="session")
def coexisting_venv(session_cache: Path) -> Venv:
    """Upstream spec-kitty-cli 3.2.3 first, then the kitty-fs wheel installed into it."""
    return _upstream_into(session_cache, "spec-kitty-cli-3.2.3+kitty-fs", "3.2.3")


@pytest.fixture(scope="session")
def kitty_fs_alone(session_cache: Path, library_wheel: Path, adopter_wheels: Path) -> Venv:
    """kitty-fs installed from its wheel into a venv of its own, as pipx would."""
    made = _once(
        session_cache,
        "kitty-fs-alone",
        lambda d: make_venv(d, str(library_wheel), wheels=adopter_wheels),
    )
    return Venv(made)
