"""Under pytest-xdist, the suite's long tests start first, so both workers finish together.

A pytest plugin, loaded for every run by ``-p suite_order`` in ``pyproject.toml``'s
``addopts``. xdist's default ``load`` scheduling hands the tests out in collection
order; collected alphabetically, the longest ones (the packaging tests' fresh venvs,
the stateful walk, the demo) came two thirds of the way through or later, and the
last of them ran on one worker while the other had nothing left to do. Moved to the
front (longest-processing-time first), they run side by side while the thousand
short tests fill the gaps, and the run ends with short tests on both workers.

"Long" is the ``slow`` marker (a test of many seconds); its place among the other
slow tests and the order of everything else stay as collected. A run without xdist
keeps the collected order, so module-scoped fixtures are set up once per module.
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_collection_modifyitems"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):  # xdist collects on its workers only
        return
    # Every worker sorts its identical collection the same way, as xdist requires.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
