"""``spec-kitty sync status|push|pull|run``: read commands that move events, never the worktree.

All four are read commands: they resolve the identity read-only and touch only
the outbox in the state directory. ``status`` never uses the network.
"""

from __future__ import annotations

import typer

from kitty_fs import ReadContext
from kitty_fs.commands import CommandFailure, CommandRegistry, Invocation
from specify_cli.cli._exit import ExitCode
from specify_cli.cli.commands._shared import identity_or_hint, open_outbox, settings

__all__ = ["commands"]

commands = CommandRegistry()
commands.group(
    "sync",
    "Move status events between the local outbox and the SaaS (READ commands: "
    "they never change the worktree; events live in $SPEC_KITTY_HOME/outbox).",
)


@commands.read("sync status", "Show sync settings and queued events; --check exits 1 if unsynced.")
def status(
    repo: ReadContext,
    inv: Invocation,
    check: bool = typer.Option(
        False, "--check", help="Exit 1 when events wait to be delivered or sync cannot run."
    ),
) -> int:
    """Show whether sync can run and how many events are queued (no network)."""
    from specify_cli.sync import status as sync_status

    identity = identity_or_hint(repo, inv)
    project = None if identity is None else str(identity.project_uuid)
    with open_outbox(inv) as outbox:
        state = sync_status(outbox, settings(inv), project)
    mine = state.queued_for_project
    lines = [
        f"sync:      {'enabled' if state.enabled else 'disabled'}"
        f" ({'authenticated' if state.authenticated else 'not authenticated'})",
        f"server:    {state.server_url or '-'} (settings from {state.source})",
        f"project:   {project or '- (not initialized)'}",
        f"queued:    {state.queued} event(s)"
        + (f", {mine} for this project" if mine is not None else ""),
        f"received:  {state.inbox} event(s) pulled",
        f"outbox:    {state.outbox_path}",
    ]
    data = {
        "enabled": state.enabled,
        "authenticated": state.authenticated,
        "ready": state.ready,
        "server_url": state.server_url,
        "source": state.source,
        "project_uuid": project,
        "queued": state.queued,
        "queued_for_project": mine,
        "inbox": state.inbox,
        "outbox_path": state.outbox_path,
    }
    pending = state.queued if mine is None else mine
    unsynced = not state.ready or pending > 0
    if check:
        data["check"] = "unsynced" if unsynced else "in sync"
        lines.append(
            f"check:     {'UNSYNCED' if unsynced else 'in sync'}"
            + ("" if state.ready else " (sync cannot run: enable and authenticate it)")
        )
    inv.output.result(data, lines)
    return int(ExitCode.CHECK_FAILED) if check and unsynced else 0


@commands.read("sync push", "Deliver queued events to the SaaS (exactly once); progress on a tty.")
def push(repo: ReadContext, inv: Invocation) -> int:
    """Deliver every queued event; the server dedups, so a retry never doubles one.

    Fails with exit 6 when sync is disabled, unauthenticated or the server is
    down; whatever was not acknowledged stays queued for the next push.
    """
    from specify_cli.sync import push as sync_push

    sync = settings(inv).require()
    with open_outbox(inv) as outbox:
        total = outbox.count()
        result = sync_push(outbox, sync, progress=inv.output.progress(total, "pushing"))
    inv.output.result(
        {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "batches": result.batches,
            "remaining": result.remaining,
        },
        [
            f"delivered {result.delivered} event(s) ({result.duplicates} already on the server)"
            f" in {result.batches} batch(es); {result.remaining} still queued"
            + (f"; {result.rejected} rejected (kept in the outbox)" if result.rejected else "")
        ],
    )
    return 0


def _project(repo: ReadContext, inv: Invocation) -> str:
    identity = identity_or_hint(repo, inv)
    if identity is None:
        raise CommandFailure(
            "this project has no identity yet, so there is nothing to pull for it",
            ExitCode.NOT_INITIALIZED,
            "run `spec-kitty init` (a write command) first",
            code="NOT_INITIALIZED",
        )
    return str(identity.project_uuid)


@commands.read("sync pull", "Fetch this project's events from the SaaS into the local inbox.")
def pull(repo: ReadContext, inv: Invocation) -> int:
    """Fetch this project's events from the SaaS (resumes from the last cursor)."""
    from specify_cli.sync import pull as sync_pull

    sync = settings(inv).require()
    project = _project(repo, inv)
    with open_outbox(inv) as outbox:
        result = sync_pull(outbox, sync, project)
    inv.output.result(
        {"received": result.received, "new": result.new, "cursor": result.cursor},
        [f"pulled {result.received} event(s), {result.new} new"],
    )
    return 0


@commands.read("sync run", "Push queued events, then pull, over one connection.")
def run(repo: ReadContext, inv: Invocation) -> int:
    """Push, then pull, in one go."""
    from specify_cli.sync import run as sync_run

    sync = settings(inv).require()
    project = _project(repo, inv)
    with open_outbox(inv) as outbox:
        total = outbox.count(project)
        result = sync_run(outbox, sync, project, progress=inv.output.progress(total, "pushing"))
    pushed, pulled = result.push, result.pull
    inv.output.result(
        {
            "pushed": {
                "accepted": pushed.accepted,
                "duplicates": pushed.duplicates,
                "rejected": pushed.rejected,
                "remaining": pushed.remaining,
            },
            "pulled": {"received": pulled.received, "new": pulled.new},
        },
        [
            f"pushed {pushed.delivered} event(s), {pushed.remaining} still queued; "
            f"pulled {pulled.received} ({pulled.new} new)"
        ],
    )
    return 0


# The endpoints the sync client talks to (specify_cli.sync._client), relative to the server.
_ROUTES = {
    "events": "/api/v1/events/batch",
    "pull": "/api/v1/events",
    "tracker": "/api/v1/tracker/",
    "health": "/api/v1/health",
}


@commands.read("sync routes", "Show where this checkout sends its data, and as which identity.")
def routes(repo: ReadContext, inv: Invocation) -> int:
    """Show the server routes and the identity events are sent as (no network).

    The identity is resolved read-only: a legacy config missing build_id gets the
    derived one, in memory, and the config is never written (upstream 3.2.3
    persisted it here).
    """
    sync = settings(inv)
    identity = identity_or_hint(repo, inv)
    base = (sync.server_url or "").rstrip("/")
    table = {name: (base + path if base else None) for name, path in _ROUTES.items()}
    who: dict[str, object] = (
        {"project_uuid": None}
        if identity is None
        else {
            "project_uuid": str(identity.project_uuid),
            "project_slug": identity.project_slug,
            "node_id": identity.node_id,
            "build_id": identity.build_id,
        }
    )
    lines = [
        f"sync:      {'enabled' if sync.enabled else 'disabled'} (settings from {sync.source})",
        *(f"{name + ':':<10} {url or '- (no server configured)'}" for name, url in table.items()),
        f"identity:  {who.get('project_slug', '-')} {who['project_uuid'] or '(not initialized)'}"
        + (f" build {who['build_id']}" if identity is not None else ""),
    ]
    inv.output.result(
        {"enabled": sync.enabled, "server_url": sync.server_url, "routes": table, **who}, lines
    )
    return 0
