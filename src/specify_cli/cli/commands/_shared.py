"""Pieces several read commands share: settings, identity, and "queue, then push if we can".

Everything domain-side is imported inside the functions: every command module
is imported on every run (typer needs them all for ``--help``), so a module
import here must stay free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from kitty_fs import ReadContext
from kitty_fs.commands import Invocation

if TYPE_CHECKING:
    from specify_cli.identity import ProjectIdentity
    from specify_cli.sync import Outbox, SyncSettings

__all__ = [
    "PublishReport",
    "TrackerSummary",
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


@attrs.frozen(slots=True)
class TrackerSummary:
    """The tracker binding, and the server's view of it when sync could ask.

    ``server`` is ``None`` when the server was not asked (unbound, or sync
    cannot run), the server's state when it answered (``answered``), or
    ``CODE: message`` when asking failed.
    """

    bound: bool
    binding_ref: str | None = None
    server: str | None = None
    answered: bool = False
    pending_binding_upgrade: str | None = None

    def as_json(self) -> dict[str, object]:
        """The ``tracker`` object of ``--json`` output."""
        if not self.bound:
            return {"bound": False}
        info: dict[str, object] = {"bound": True, "binding_ref": self.binding_ref}
        if self.server is not None:
            info["server"] = self.server
            if self.answered:
                info["pending_binding_upgrade"] = self.pending_binding_upgrade
        return info


def tracker_summary(repo: ReadContext, sync: SyncSettings) -> TrackerSummary:
    """The binding, and the server's view of it when sync can run (errors reported, not raised)."""
    from specify_cli.tracker import load_tracker_config

    config = load_tracker_config(repo)
    if not config.is_bound:
        return TrackerSummary(bound=False)
    if not sync_ready(sync):
        return TrackerSummary(bound=True, binding_ref=config.binding_ref)
    # Only now: the service and its result classes are a cold start's cost.
    from specify_cli.errors import SpecKittyError
    from specify_cli.tracker import TrackerService

    try:
        status = TrackerService(sync).status(repo)
    except SpecKittyError as exc:
        return TrackerSummary(
            bound=True, binding_ref=config.binding_ref, server=f"{exc.code}: {exc.message}"
        )
    return TrackerSummary(
        bound=True,
        binding_ref=config.binding_ref,
        server=status.state,
        answered=True,
        pending_binding_upgrade=status.pending_binding_upgrade,
    )


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


@attrs.frozen(slots=True)
class PublishReport:
    """What ``publish`` did: events queued, delivered, and the sync outcome in words.

    ``skipped`` is the reason code when nothing was queued (no project identity).
    """

    emitted: int
    delivered: int
    sync: str
    skipped: str | None = None

    def as_json(self) -> dict[str, object]:
        """The report's keys of ``--json`` output, in their documented order."""
        if self.skipped is not None:
            return {
                "emitted": self.emitted,
                "skipped": self.skipped,
                "delivered": self.delivered,
                "sync": self.sync,
            }
        return {"emitted": self.emitted, "delivered": self.delivered, "sync": self.sync}


def publish(
    repo: ReadContext,
    inv: Invocation,
    events: Iterable[tuple[str, Mapping[str, object]]],
    sync: SyncSettings,
) -> PublishReport:
    """Queue ``events`` in the outbox, then push the project's queue if sync can run.

    A sync failure is not the caller's failure: the events stay queued for the
    next ``sync push`` and the result says why they were not delivered.
    """
    from specify_cli.sync import EventEmitter

    with open_outbox(inv) as outbox:
        result = EventEmitter(repo, outbox).emit_many(events)
        if result.not_initialized is not None:
            inv.output.note(f"note: {result.not_initialized.message}; fix: {result.hint}")
            return PublishReport(0, 0, "skipped", skipped=result.code)
        project = result.envelopes[0].project_uuid if result.envelopes else None
        if not sync_ready(sync):
            return PublishReport(result.emitted, 0, "queued (sync disabled or not authenticated)")
        # Only now: the delivery code (and its result classes) is a cold start's cost.
        from specify_cli.errors import SyncError
        from specify_cli.sync import push

        try:
            pushed = push(outbox, sync, project_uuid=project)
        except SyncError as exc:
            inv.output.note(f"note: events stay queued: {exc.message}")
            return PublishReport(result.emitted, 0, f"queued ({exc.code}: {exc.message})")
        return PublishReport(result.emitted, pushed.delivered, "delivered")
