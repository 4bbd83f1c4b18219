"""The ``tracker:`` section of ``.kittify/config.yaml`` as a typed value.

Unknown keys (at the top of the section and inside ``doctrine``) are carried
in ``extra`` and written back as they were, so a newer spec-kitty's settings
survive a round trip through this one. Saving goes through ``save_config``:
only changed keys are touched, comments and other sections keep their bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import attrs

from kitty_fs import ReadContext, WriteContext, load_config, save_config
from specify_cli._kinds import kind_of, shown
from specify_cli._paths import CONFIG_PATH
from specify_cli.errors import InvalidConfig

__all__ = [
    "SECTION",
    "DoctrineConfig",
    "TrackerConfig",
    "load_tracker_config",
    "save_tracker_config",
]

SECTION: Final = "tracker"
_TEXT_KEYS: Final = ("provider", "binding_ref", "project_slug", "display_label", "workspace")
_KNOWN: Final = (*_TEXT_KEYS, "provider_context", "doctrine")
_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def thaw(value: object) -> object:
    """Read-only config values (mapping proxies, tuples) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def _invalid(path: Path | None, key: str, expected: str, value: object) -> InvalidConfig:
    where = f"{path}: " if path is not None else ""
    return InvalidConfig(
        f"{where}tracker.{key} must be {expected}, found {kind_of(value)} {shown(value)}",
        path=path,
        hint=f"fix tracker.{key} by hand or rerun `spec-kitty tracker bind` (nothing was written)",
    )


def _text(section: Mapping[str, object], key: str, path: Path | None) -> str | None:
    value = section.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _invalid(path, f"{key}", "a string", value)


def _mapping(value: object, key: str, path: Path | None) -> Mapping[str, object] | None:
    if value is None or isinstance(value, Mapping):
        return value
    raise _invalid(path, key, "a mapping", value)


@attrs.frozen(slots=True)
class DoctrineConfig:
    """Conflict doctrine: ``mode`` and which side owns which field."""

    mode: str | None = None
    field_owners: Mapping[str, str] = _EMPTY
    extra: Mapping[str, object] = _EMPTY

    @classmethod
    def from_section(cls, section: Mapping[str, object], path: Path | None) -> DoctrineConfig:
        raw_owners = _mapping(section.get("field_owners"), "doctrine.field_owners", path) or {}
        owners: dict[str, str] = {}
        for field, owner in raw_owners.items():
            if not isinstance(owner, str):
                raise _invalid(path, f"doctrine.field_owners.{field}", "a string", owner)
            owners[field] = owner
        mode = section.get("mode")
        if mode is not None and not isinstance(mode, str):
            raise _invalid(path, "doctrine.mode", "a string", mode)
        extra = {k: v for k, v in section.items() if k not in ("mode", "field_owners")}
        return cls(mode=mode, field_owners=owners, extra=extra)

    def to_section(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.mode is not None:
            out["mode"] = self.mode
        if self.field_owners:
            out["field_owners"] = dict(self.field_owners)
        out.update({k: thaw(v) for k, v in self.extra.items()})
        return out


@attrs.frozen(slots=True)
class TrackerConfig:
    """The tracker binding of a project. ``extra`` holds unknown keys, kept verbatim."""

    provider: str | None = None
    binding_ref: str | None = None
    project_slug: str | None = None
    display_label: str | None = None
    provider_context: Mapping[str, object] | None = None
    workspace: str | None = None
    doctrine: DoctrineConfig | None = None
    extra: Mapping[str, object] = _EMPTY

    @property
    def is_bound(self) -> bool:
        return bool(self.provider and self.binding_ref)

    @classmethod
    def from_section(
        cls, section: Mapping[str, object] | None, path: Path | None = None
    ) -> TrackerConfig:
        """Parse a ``tracker:`` mapping; raises ``InvalidConfig`` naming ``path`` on bad types."""
        if not section:
            return cls()
        texts = {key: _text(section, key, path) for key in _TEXT_KEYS}
        context = _mapping(section.get("provider_context"), "provider_context", path)
        doctrine_section = _mapping(section.get("doctrine"), "doctrine", path)
        return cls(
            provider_context=context,
            doctrine=(
                None
                if doctrine_section is None
                else DoctrineConfig.from_section(doctrine_section, path)
            ),
            extra={k: v for k, v in section.items() if k not in _KNOWN},
            **texts,
        )

    def to_section(self) -> dict[str, object]:
        """The section's keys as plain values; ``None`` fields are left out."""
        out: dict[str, object] = {}
        for key in _TEXT_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.provider_context is not None:
            out["provider_context"] = thaw(self.provider_context)
        if self.doctrine is not None:
            out["doctrine"] = self.doctrine.to_section()
        out.update({k: thaw(v) for k, v in self.extra.items()})
        return out

    def unset_keys(self) -> tuple[str, ...]:
        """Known keys this config leaves empty (removed from the file on save)."""
        return tuple(key for key in _KNOWN if getattr(self, key) is None)


def load_tracker_config(ctx: ReadContext) -> TrackerConfig:
    """The ``tracker:`` section (an empty ``TrackerConfig`` when absent). Never writes."""
    view = load_config(ctx, CONFIG_PATH)
    return TrackerConfig.from_section(view.section(SECTION), view.path)


def save_tracker_config(ctx: WriteContext, config: TrackerConfig) -> bool:
    """Persist ``config`` into ``tracker:``; True if the file changed.

    Patch semantics: keys set in ``config`` are written, known keys it leaves
    ``None`` are removed, unknown keys on disk that ``config`` does not carry
    are left alone. Comments and other sections survive byte for byte.
    """
    return save_config(
        ctx, SECTION, config.to_section(), remove=config.unset_keys(), rel=CONFIG_PATH
    )
