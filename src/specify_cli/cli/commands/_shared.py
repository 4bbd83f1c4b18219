"""Pieces several read commands share: settings, identity, and "queue, then push if we can".

Everything domain-side is imported inside the functions: every command module
is imported on every run (typer needs them all for ``--help``), so a module
import here must stay free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from kitty_fs import ReadContext
from kitty_fs.commands import Invocation

if TYPE_CHECKING:
    from specify_cli.identity import ProjectIdentity
    from specify_cli.sync import Outbox, SyncSettings

__all__ = [
    "identity_or_hint",
    "open_outbox",
    "publish",
    "settings",
    "sync_ready",
    "tracker_summary",
]


def settings(inv: Invocation) -> SyncSettings:
    """The user's sync settings (env first, then ``auth.json`` in the state directory)."""
    from specify_cli.sync import load_settings

    return load_settings(inv.state)


def sync_ready(sync: SyncSettings) -> bool:
    """Whether sync can run at all (enabled, a server, a token): no network is touched."""
    return bool(sync.enabled and sync.server_url and sync.authenticated)


def tracker_summary(repo: ReadContext, sync: SyncSettings) -> dict[str, object]:
    """The binding, and the server's view of it when sync can run (errors reported, not raised)."""
    from specify_cli.errors import SpecKittyError
    from specify_cli.tracker import TrackerService, load_tracker_config

    config = load_tracker_config(repo)
    if not config.is_bound:
        return {"bound": False}
    info: dict[str, object] = {"bound": True, "binding_ref": config.binding_ref}
    if sync_ready(sync):
        try:
            status = TrackerService(sync).status(repo)
        except SpecKittyError as exc:
            info["server"] = f"{exc.code}: {exc.message}"
        else:
            info["server"] = status.state
            info["pending_binding_upgrade"] = status.pending_binding_upgrade
    return info


def open_outbox(inv: Invocation) -> Outbox:
    from specify_cli.sync import Outbox

    return Outbox.open(inv.state)


def identity_or_hint(repo: ReadContext, inv: Invocation) -> ProjectIdentity | None:
    """The resolved identity, or ``None`` after telling the user to run ``init``."""
    from specify_cli.identity import NotInitialized, resolve_identity

    identity = resolve_identity(repo)
    if isinstance(identity, NotInitialized):
        inv.output.note(f"note: {identity.message}; fix: {identity.hint}")
        return None
    return identity


def publish(
    repo: ReadContext,
    inv: Invocation,
    events: Iterable[tuple[str, Mapping[str, object]]],
    sync: SyncSettings,
) -> dict[str, object]:
    """Queue ``events`` in the outbox, then push the project's queue if sync can run.

    A sync failure is not the caller's failure: the events stay queued for the
    next ``sync push`` and the result says why they were not delivered.
    """
    from specify_cli.errors import SyncError
    from specify_cli.sync import EventEmitter, push

    with open_outbox(inv) as outbox:
        result = EventEmitter(repo, outbox).emit_many(events)
        if result.not_initialized is not None:
            inv.output.note(f"note: {result.not_initialized.message}; fix: {result.hint}")
            return {"emitted": 0, "skipped": result.code, "delivered": 0, "sync": "skipped"}
        report: dict[str, object] = {"emitted": result.emitted, "delivered": 0}
        project = result.envelopes[0].project_uuid if result.envelopes else None
        if not sync_ready(sync):
            report["sync"] = "queued (sync disabled or not authenticated)"
            return report
        try:
            pushed = push(outbox, sync, project_uuid=project)
        except SyncError as exc:
            report["sync"] = f"queued ({exc.code}: {exc.message})"
            inv.output.note(f"note: events stay queued: {exc.message}")
            return report
        report["delivered"] = pushed.delivered
        report["sync"] = "delivered"
        return report
