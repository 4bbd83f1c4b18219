"""Fixtures of the guard tests, loaded by ``pytest_plugins = ["guard_fixtures"]``.

A module that also says ``pytestmark = pytest.mark.usefixtures("no_scope_leaks")``
checks after each of its tests that no guard scope was left active.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kitty_fs._guard import active_scopes

__all__ = ["no_scope_leaks"]


@pytest.fixture
def no_scope_leaks() -> Iterator[None]:
    """After the test, no scope is active: a leaked one would guard the tests after it."""
    yield
    assert active_scopes() == ()
