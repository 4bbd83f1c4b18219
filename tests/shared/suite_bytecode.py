"""``src/`` compiled to bytecode once per test session, where the environment forbids caching it.

A pytest plugin, loaded for every run by ``-p suite_bytecode`` in ``pyproject.toml``'s
``addopts``. With ``PYTHONDONTWRITEBYTECODE=1`` (this machine's environment sets it, and
CI inherits it) Python never writes ``__pycache__``; the installed packages were
compiled by pip, but the editable ``src/`` never is, so each of the suite's child
processes (about 1,500: ``spec-kitty``, ``kitty-fs``, the fault and concurrency
workers) compiled all of ``kitty_fs`` and ``specify_cli`` from source again, some 50 ms
of CPU each. Compiling them once here, before xdist starts its workers, is what Python
does by default. The ``__pycache__`` directories are ignored by git, and a stale one
is harmless: Python checks each against its source's mtime and size and recompiles.

The test modules are the other half: pytest rewrites each one's asserts and caches
the result only where bytecode may be written, so every worker (and every child
pytest a test starts) rewrote and compiled all of ``tests/`` again, 2.5 s of the 3.3 s
a collection took. Bytecode writing is on while a process collects, and only then:
the helper modules the tests import get their ``__pycache__`` too, and what a test
imports later (inside a read scope, say) behaves as the environment says.
"""

from __future__ import annotations

import compileall
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["SRC", "pytest_collection", "pytest_sessionstart"]

SRC = Path(__file__).resolve().parents[2] / "src"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not sys.dont_write_bytecode or hasattr(session.config, "workerinput"):
        return  # Python caches bytecode itself, or the xdist controller already compiled
    compileall.compile_dir(SRC, quiet=1)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    if not sys.dont_write_bytecode:
        return (yield)
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = True
