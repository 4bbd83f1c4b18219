"""Every specify_cli read path runs clean under the runtime guard's read scope.

The guard (``kitty_fs.read_scope``) raises on any filesystem mutation inside
the repository; the state directory is the one side channel, as the CLI
dispatcher sets it up. A control case proves the scope is really enforcing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sk_support import porcelain

import kitty_fs
from kitty_fs import GuardScope, WriteContext, read_context, read_scope, write_boundary
from kitty_fs.pytest_plugin import WorktreeSnapshot
from specify_cli.errors import StaleBinding, SyncDisabled
from specify_cli.identity import ProjectIdentity, ensure_identity, resolve_identity
from specify_cli.saas_reference import ReferenceServer
from specify_cli.sync import EventEmitter, Outbox, SyncSettings, pull, push, status
from specify_cli.tracker import TrackerService

PROJECT = "12345678-1234-5678-1234-567812345678"


@pytest.fixture
def guarded(repo: Path, state: WriteContext) -> Iterator[Callable[[], GuardScope]]:
    """A factory for enforcing read scopes on ``repo`` with the state directory as side channel.

    After the test: no scope recorded a write attempt (not even one that was
    swallowed), and the worktree is unchanged (porcelain, hash and mtime of
    every tracked file), which is INV-1.
    """
    before = WorktreeSnapshot.take(repo)
    ctx = read_context(repo, reason="test: read command")
    scopes: list[GuardScope] = []

    def enter() -> GuardScope:
        scope = read_scope(ctx, side_channels=[state.root])
        scopes.append(scope)
        return scope

    yield enter
    assert scopes
    for scope in scopes:
        assert scope.violations == () and scope.bytecode_writes == ()
    before.assert_unchanged()


def test_resolve_identity_under_the_guard(repo: Path, guarded: Callable[[], GuardScope]) -> None:
    ctx = read_context(repo, reason="test")
    with guarded():
        results = [resolve_identity(ctx) for _ in range(10)]
    assert all(isinstance(r, ProjectIdentity) and r == results[0] for r in results)


def test_tracker_reads_under_the_guard(
    repo: Path,
    server: ReferenceServer,
    settings: SyncSettings,
    guarded: Callable[[], GuardScope],
) -> None:
    server.configure(binding_ref="bind-002")
    service = TrackerService(settings)
    ctx = read_context(repo, reason="test")
    with guarded():
        results = [
            service.status(ctx),
            service.pull(ctx),
            service.push(ctx, [{"local": "WP01"}]),
            service.run(ctx),
            service.map_list(ctx),
        ]
        server.configure(stale="binding_not_found")
        with pytest.raises(StaleBinding):
            service.status(ctx)
    assert {r.pending_binding_upgrade for r in results} == {"bind-002"}


def test_emit_push_pull_status_under_the_guard(
    repo: Path,
    state: WriteContext,
    server: ReferenceServer,
    settings: SyncSettings,
    guarded: Callable[[], GuardScope],
) -> None:
    ctx = read_context(repo, reason="test")
    with guarded(), Outbox.open(state) as outbox:
        emitter = EventEmitter(ctx, outbox)
        assert emitter.emit("mission.started", {"mission": "042"}).emitted == 1
        assert emitter.emit_many(("wp.status", {"i": i}) for i in range(1000)).emitted == 1000
        assert status(outbox, settings, PROJECT).queued == 1001
        with pytest.raises(SyncDisabled):
            push(outbox, SyncSettings(enabled=False, server_url=None))
        assert push(outbox, settings).accepted == 1001
        assert pull(outbox, settings, PROJECT).new == 1001
    assert len(server.received_ids()) == 1001


def test_not_initialized_emit_under_the_guard(
    new_repo: Callable[..., Path], state: WriteContext
) -> None:
    repo = new_repo("fresh", config=None)
    before = porcelain(repo)
    ctx = read_context(repo, reason="test")
    with read_scope(ctx, side_channels=[state.root]) as scope, Outbox.open(state) as outbox:
        assert EventEmitter(ctx, outbox).emit("a.b", {}).code == "NOT_INITIALIZED"
    assert scope.violations == ()
    assert porcelain(repo) == before


def test_control_a_write_boundary_inside_a_read_scope_is_stopped(
    repo: Path, state: WriteContext
) -> None:
    """The guard is really on: the writing twin of resolve_identity is refused."""
    before = WorktreeSnapshot.take(repo)
    ctx = read_context(repo, reason="test: read command")
    with (
        read_scope(ctx, side_channels=[state.root]) as scope,
        pytest.raises(kitty_fs.WriteViolation),
    ):
        ensure_identity(write_boundary(repo, reason="test: misplaced write"))
    assert scope.violations
    before.assert_unchanged()
