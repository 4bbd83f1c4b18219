"""Tracker binding: the ``tracker:`` config section and the SaaS tracker operations.

Reads (``TrackerService.status/pull/push/run/map_list``) take a ``ReadContext``
and report a server-side ``binding_ref`` change as ``pending_binding_upgrade``;
``bind`` and ``apply`` take a ``WriteContext`` and persist.

The service and its result classes load on first attribute access: most read
commands only read the binding, and a cold start should not pay for the
server operations (six attrs classes) it never calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kitty_fs._lazy import lazy_attributes
from specify_cli.tracker._config import (
    DoctrineConfig,
    TrackerConfig,
    load_tracker_config,
    save_tracker_config,
)

if TYPE_CHECKING:
    from specify_cli.tracker._service import (
        ApplyResult,
        BindResult,
        MappingListResult,
        TrackerReadResult,
        TrackerService,
        TrackerStatusResult,
        TrackerSyncResult,
    )

__all__ = [
    "ApplyResult",
    "BindResult",
    "DoctrineConfig",
    "MappingListResult",
    "TrackerConfig",
    "TrackerReadResult",
    "TrackerService",
    "TrackerStatusResult",
    "TrackerSyncResult",
    "load_tracker_config",
    "save_tracker_config",
]

_LAZY = {
    "ApplyResult": "_service",
    "BindResult": "_service",
    "MappingListResult": "_service",
    "TrackerReadResult": "_service",
    "TrackerService": "_service",
    "TrackerStatusResult": "_service",
    "TrackerSyncResult": "_service",
}

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
