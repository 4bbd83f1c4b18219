"""pytest plugin of kitty_fs: real git repositories, worktree snapshots, guarded test bodies.

Installing the package enables it (entry point ``pytest11``), so it loads in
every pytest run of every project in the environment: it imports only the
standard library and pytest at load time, and the guard only when a test
carries the marker.

- ``git_repo``: a real temporary git repository with one commit (user name and
  email set in the repository's own config, so commits work anywhere).
- ``WorktreeSnapshot.take(repo)`` / ``worktree_snapshot``: porcelain status
  (untracked files included) plus sha256 and ``mtime_ns`` of every tracked
  file; ``assert_unchanged`` names exactly what changed (INV-1).
- ``@pytest.mark.kitty_read_scope``: runs the test body (not its fixtures)
  inside ``kitty_fs.read_scope`` for ``git_repo`` (or the fixture named by
  ``fixture=``, returning a path or a ``ReadContext``). The test fails on any
  write attempt inside the root, even one the body caught; ``mode="report"``
  lets the body run to its end and then lists every attempt.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

from kitty_fs._repos import make_git_repo
from kitty_fs._snapshot import WorktreeChanged, WorktreeSnapshot, assert_unchanged

__all__ = [
    "WorktreeChanged",
    "WorktreeSnapshot",
    "assert_unchanged",
    "git_repo",
    "make_git_repo",
    "worktree_snapshot",
]

MARKER = "kitty_read_scope"


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A real git repository (branch ``main``, one commit of ``README.md``); its resolved path."""
    return make_git_repo(tmp_path / "repo")


@pytest.fixture
def worktree_snapshot(git_repo: Path) -> WorktreeSnapshot:
    """A snapshot of ``git_repo`` taken before the test body; call ``.assert_unchanged()``."""
    return WorktreeSnapshot.take(git_repo)


def pytest_report_header() -> str:
    """Say whether the kernel layer (Landlock) is there, so a run shows if its tests ran."""
    from kitty_fs._kernel import kernel_status

    status = kernel_status()
    if status.available:
        return f"kitty-fs kernel layer: Landlock ABI {status.abi} (kernel tests run)"
    return f"kitty-fs kernel layer: off ({status.reason}) (kernel tests skipped)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixture='git_repo', side_channels=(), mode='enforce', allow_subprocess=False):"
        " run the test body inside kitty_fs.read_scope for the repository the named fixture"
        " returns (a path or a ReadContext); mode='report' runs the body to the end and then"
        " fails the test listing every write attempt",
    )


def _marker_fixture(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return None
    name = marker.kwargs.get("fixture", "git_repo")
    if not isinstance(name, str):
        raise pytest.UsageError(f"{item.nodeid}: {MARKER}(fixture=...) takes a fixture name")
    return name


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Request the repository fixture for marked tests that do not ask for it
    # themselves, so it is set up (outside the scope) with the other fixtures.
    for item in items:
        name = _marker_fixture(item)
        if name is not None and isinstance(item, pytest.Function) and name not in item.fixturenames:
            item.fixturenames.append(name)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    name = _marker_fixture(pyfuncitem)
    if name is None:
        return (yield)
    from kitty_fs._context import ReadContext, read_context
    from kitty_fs._guard import read_scope

    marker = pyfuncitem.get_closest_marker(MARKER)
    assert marker is not None
    options: dict[str, Any] = {k: v for k, v in marker.kwargs.items() if k != "fixture"}
    target = pyfuncitem.funcargs[name]
    if isinstance(target, ReadContext):
        ctx = target
    elif isinstance(target, str | os.PathLike):
        ctx = read_context(target, reason=f"pytest {pyfuncitem.nodeid}")
    else:
        pytest.fail(
            f"{MARKER} needs fixture {name!r} to return a path or a ReadContext,"
            f" not {type(target).__name__}",
            pytrace=False,
        )
    side_channels: Iterable[str | os.PathLike[str]] = options.pop("side_channels", ())
    with read_scope(ctx, side_channels=side_channels, **options) as scope:
        result = yield
    # Any attempt fails the test, also one the body caught (enforce mode raised it and
    # the code swallowed it): the marker states that the body attempts no write at all.
    if scope.violations:
        lines = "\n".join(f"  {v.describe()}" for v in scope.violations)
        pytest.fail(
            f"{MARKER}: the test body attempted {len(scope.violations)} write(s) inside"
            f" {ctx.root}:\n{lines}",
            pytrace=False,
        )
    return result
