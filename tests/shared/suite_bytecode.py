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
"""

from __future__ import annotations

import compileall
import sys
from pathlib import Path

import pytest

__all__ = ["SRC", "pytest_sessionstart"]

SRC = Path(__file__).resolve().parents[2] / "src"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not sys.dont_write_bytecode or hasattr(session.config, "workerinput"):
        return  # Python caches bytecode itself, or the xdist controller already compiled
    compileall.compile_dir(SRC, quiet=1)
