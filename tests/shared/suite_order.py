"""Under pytest-xdist, the suite's long tests start first, so both workers finish together.

A pytest plugin, loaded for every run by ``-p suite_order`` in ``pyproject.toml``'s
``addopts``. xdist's ``load`` scheduling hands the tests out in collection order;
collected alphabetically, the longest ones (the packaging tests' fresh venvs, the
stateful walk, the demo) came two thirds of the way through or later, and the last
of them ran on one worker while the other had nothing left to do. Two changes:

* the tests marked ``slow`` (a test of many seconds) move to the front, in their
  collected order, and everything else keeps its order;
* the controller hands out at most ``MAX_CHUNK`` tests at a time (xdist's
  ``--maxschedchunk``, unless given on the command line). By default xdist's first
  step gives each worker a quarter of its share as one consecutive block, which
  put every slow test on the first worker.

So the slow tests are dealt one or two at a time to whichever worker is free, the
thousand short ones fill the gaps, and the run ends with short tests on both
workers. A run without xdist keeps the collected order (module-scoped fixtures set
up once per module).
"""

from __future__ import annotations

import pytest

__all__ = ["MAX_CHUNK", "pytest_collection_modifyitems", "pytest_configure"]

MAX_CHUNK = 2


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "maxschedchunk", MAX_CHUNK) is None:  # xdist's, not given
        config.option.maxschedchunk = MAX_CHUNK


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):  # xdist collects on its workers only
        return
    # Every worker sorts its identical collection the same way, as xdist requires.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
