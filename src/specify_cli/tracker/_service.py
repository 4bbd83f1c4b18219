"""Tracker operations against the SaaS: reads that report, writes that persist.

Read operations (``status``, ``pull``, ``push``, ``run``, ``map_list``) take a
``ReadContext``. When the server answers with a ``binding_ref`` other than the
stored one, they put it on their result as ``pending_binding_upgrade`` and
write nothing: persisting it there is exactly the bug that dirtied worktrees.

Write operations take a ``WriteContext``, so only a write boundary can call
them:

* ``bind`` stores a binding. Without an explicit ``binding_ref`` it asks the
  server for the current one (a request without the old ref, so a stale
  binding does not block rebinding).
* ``apply`` persists a pending upgrade. Given the value a read reported
  (``apply(ctx, binding_ref=result.pending_binding_upgrade)``) it stores that,
  offline, with no second request; given nothing it asks the server again and
  stores what it answers. Only ``binding_ref`` is touched.

A stale binding (the server answers ``binding_not_found``,
``mapping_disabled`` or ``project_mismatch``) raises ``StaleBinding`` with the
exact ``spec-kitty tracker bind`` command to run; nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final, TypedDict

import attrs

from kitty_fs import ReadContext, WriteContext, save_config
from specify_cli._paths import CONFIG_PATH
from specify_cli.errors import (
    BadResponse,
    StaleBinding,
    SyncDisabled,
    TrackerNotBound,
    Unauthenticated,
)
from specify_cli.sync._settings import SyncSettings
from specify_cli.tracker._config import (
    SECTION,
    TrackerConfig,
    load_tracker_config,
    thaw,
)

if TYPE_CHECKING:
    from specify_cli.sync._client import SaasClient

__all__ = [
    "ApplyResult",
    "BindResult",
    "MappingListResult",
    "TrackerReadResult",
    "TrackerService",
    "TrackerStatusResult",
    "TrackerSyncResult",
]

_UPGRADE_HINT: Final = "run `spec-kitty tracker apply` to store the new binding_ref"


class _Common(TypedDict):
    provider: str
    project_slug: str | None
    binding_ref: str
    pending_binding_upgrade: str | None


@attrs.frozen(slots=True, kw_only=True)
class TrackerReadResult:
    """What every read operation returns: the stored binding and any upgrade the server offers.

    ``pending_binding_upgrade`` is the server's ``binding_ref`` when it differs
    from the stored one (nothing was written; ``apply`` persists it).
    """

    provider: str
    project_slug: str | None
    binding_ref: str
    pending_binding_upgrade: str | None

    @property
    def hint(self) -> str:
        """The one-line hint a CLI prints when an upgrade is pending ('' otherwise)."""
        if self.pending_binding_upgrade is None:
            return ""
        return (
            f"the server reports binding_ref {self.pending_binding_upgrade!r} "
            f"(stored: {self.binding_ref!r}); {_UPGRADE_HINT}"
        )


@attrs.frozen(slots=True, kw_only=True)
class TrackerStatusResult(TrackerReadResult):
    state: str
    mappings: int


@attrs.frozen(slots=True, kw_only=True)
class MappingListResult(TrackerReadResult):
    mappings: tuple[Mapping[str, object], ...]


@attrs.frozen(slots=True, kw_only=True)
class TrackerSyncResult(TrackerReadResult):
    operation: str
    pulled: tuple[Mapping[str, object], ...]
    pushed: int


@attrs.frozen(slots=True)
class BindResult:
    config: TrackerConfig
    previous_binding_ref: str | None
    changed: bool


@attrs.frozen(slots=True)
class ApplyResult:
    previous_binding_ref: str | None
    binding_ref: str
    changed: bool


_ENABLE_SYNC = "set SPEC_KITTY_ENABLE_SAAS_SYNC=1 and SPEC_KITTY_SAAS_URL"
_NEEDS_SYNC = "tracker commands need the SaaS: {}; nothing was changed"
_NEEDS_AUTH = (
    "tracker commands need a SaaS token: set SPEC_KITTY_SAAS_TOKEN or put one in "
    "$SPEC_KITTY_HOME/auth.json; nothing was changed"
)


def _bound(ctx: ReadContext) -> TrackerConfig:
    config = load_tracker_config(ctx)
    if not config.provider or not config.binding_ref:
        missing = "provider" if not config.provider else "binding_ref"
        raise TrackerNotBound(
            f"no tracker binding in {ctx.path(CONFIG_PATH)} (tracker.{missing} is not set)",
            path=ctx.path(CONFIG_PATH),
        )
    return config


def _rebind_hint(config: TrackerConfig) -> str:
    slug = config.project_slug or "SLUG"
    return (
        f"rebind with `spec-kitty tracker bind --provider {config.provider} "
        f"--project-slug {slug}`; .kittify/config.yaml was not changed"
    )


def _items(body: Mapping[str, object], key: str) -> tuple[Mapping[str, object], ...]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadResponse(f"tracker answer: '{key}' is not a list of objects")
    return tuple(value)


def _server_ref(body: Mapping[str, object]) -> str:
    ref = body.get("binding_ref")
    if not isinstance(ref, str) or not ref:
        raise BadResponse("tracker answer has no binding_ref string")
    return ref


class TrackerService:
    """Tracker operations for one user's SaaS settings. Each call uses one connection."""

    def __init__(self, settings: SyncSettings) -> None:
        self.settings = settings

    def _client(self) -> SaasClient:
        # SYNC_DISABLED / no token before paying for httpx (~55 ms). The sync errors' own hints
        # speak of queued events; a tracker command queues none, so it says what it needs.
        try:
            self.settings.require()
        except SyncDisabled as exc:
            what = _ENABLE_SYNC if exc.hint == SyncDisabled.default_hint else exc.hint
            raise SyncDisabled(exc.message, hint=_NEEDS_SYNC.format(what)) from None
        except Unauthenticated as exc:
            raise Unauthenticated(exc.message, hint=_NEEDS_AUTH) from None
        from specify_cli.sync._client import SaasClient

        return SaasClient(self.settings)

    def _call(
        self,
        config: TrackerConfig,
        method: str,
        operation: str,
        extra: Mapping[str, object] | None = None,
        *,
        with_binding: bool = True,
    ) -> dict[str, object]:
        payload: dict[str, object] = {
            "provider": config.provider,
            "project_slug": config.project_slug,
        }
        if with_binding:
            payload["binding_ref"] = config.binding_ref
        if config.workspace is not None:
            payload["workspace"] = config.workspace
        payload.update(extra or {})
        try:
            with self._client() as client:
                return client.tracker(method, operation, payload)
        except StaleBinding as exc:
            raise StaleBinding(
                f"tracker binding {config.binding_ref!r} ({config.provider}) is stale: "
                f"{exc.details.get('server_code', 'refused')}",
                hint=_rebind_hint(config),
                details=exc.details,
            ) from exc

    @staticmethod
    def _common(config: TrackerConfig, body: Mapping[str, object]) -> _Common:
        server_ref = _server_ref(body)
        assert config.provider is not None and config.binding_ref is not None
        return {
            "provider": config.provider,
            "project_slug": config.project_slug,
            "binding_ref": config.binding_ref,
            "pending_binding_upgrade": server_ref if server_ref != config.binding_ref else None,
        }

    # -- read operations: never write ---------------------------------------------------

    def status(self, ctx: ReadContext) -> TrackerStatusResult:
        config = _bound(ctx)
        body = self._call(config, "GET", "status")
        state = body.get("state", "unknown")
        count = body.get("mappings", 0)
        return TrackerStatusResult(
            state=str(state),
            mappings=count if isinstance(count, int) else 0,
            **self._common(config, body),
        )

    def map_list(self, ctx: ReadContext) -> MappingListResult:
        config = _bound(ctx)
        body = self._call(config, "GET", "mappings")
        return MappingListResult(
            mappings=_items(body, "mappings"),
            **self._common(config, body),
        )

    def _sync(
        self, ctx: ReadContext, operation: str, items: Sequence[Mapping[str, object]]
    ) -> TrackerSyncResult:
        config = _bound(ctx)
        extra = {"items": [thaw(i) for i in items]} if operation != "pull" else None
        body = self._call(config, "POST", operation, extra)
        pushed = body.get("pushed", 0)
        return TrackerSyncResult(
            operation=operation,
            pulled=_items(body, "pulled"),
            pushed=pushed if isinstance(pushed, int) else 0,
            **self._common(config, body),
        )

    def pull(self, ctx: ReadContext) -> TrackerSyncResult:
        """Fetch the tracker's items (the caller shows or stores them outside the worktree)."""
        return self._sync(ctx, "pull", ())

    def push(
        self, ctx: ReadContext, items: Sequence[Mapping[str, object]] = ()
    ) -> TrackerSyncResult:
        """Send local work-item states to the tracker."""
        return self._sync(ctx, "push", items)

    def run(
        self, ctx: ReadContext, items: Sequence[Mapping[str, object]] = ()
    ) -> TrackerSyncResult:
        """Push then pull, in one server round trip."""
        return self._sync(ctx, "run", items)

    # -- write operations: write boundaries only ----------------------------------------

    def bind(
        self,
        ctx: WriteContext,
        *,
        provider: str,
        project_slug: str,
        binding_ref: str | None = None,
        display_label: str | None = None,
        workspace: str | None = None,
        provider_context: Mapping[str, object] | None = None,
    ) -> BindResult:
        """Store a binding (asking the server for ``binding_ref`` unless given).

        Keeps ``doctrine`` and unknown keys; replaces the fields given.
        """
        current = load_tracker_config(ctx)
        wanted = attrs.evolve(
            current,
            provider=provider,
            project_slug=project_slug,
            display_label=display_label if display_label is not None else current.display_label,
            workspace=workspace if workspace is not None else current.workspace,
            provider_context=(
                provider_context if provider_context is not None else current.provider_context
            ),
        )
        if binding_ref is None:
            body = self._call(wanted, "GET", "status", with_binding=False)
            binding_ref = _server_ref(body)
        wanted = attrs.evolve(wanted, binding_ref=binding_ref)
        # Only the keys bind sets: the rest of tracker: is re-read under the lock by
        # save_config, so a concurrent writer's change to another key is kept.
        changes: dict[str, object] = {
            "provider": provider,
            "project_slug": project_slug,
            "binding_ref": binding_ref,
        }
        given = {
            "display_label": display_label,
            "workspace": workspace,
            "provider_context": None if provider_context is None else thaw(provider_context),
        }
        changes.update({key: value for key, value in given.items() if value is not None})
        changed = save_config(ctx, SECTION, changes, rel=CONFIG_PATH)
        return BindResult(wanted, current.binding_ref, changed)

    def apply(self, ctx: WriteContext, binding_ref: str | None = None) -> ApplyResult:
        """Persist a pending ``binding_ref`` upgrade; see the module doc for the two forms."""
        config = _bound(ctx)
        if binding_ref is None:
            binding_ref = _server_ref(self._call(config, "GET", "status"))
        elif not binding_ref.strip():
            raise BadResponse("binding_ref to apply is empty", hint="pass the reported value")
        changed = save_config(ctx, SECTION, {"binding_ref": binding_ref}, rel=CONFIG_PATH)
        return ApplyResult(config.binding_ref, binding_ref, changed)
