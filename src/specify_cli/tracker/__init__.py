"""Tracker binding: the ``tracker:`` config section and the SaaS tracker operations.

Reads (``TrackerService.status/pull/push/run/map_list``) take a ``ReadContext``
and report a server-side ``binding_ref`` change as ``pending_binding_upgrade``;
``bind`` and ``apply`` take a ``WriteContext`` and persist.
"""

from specify_cli.tracker._config import (
    DoctrineConfig,
    TrackerConfig,
    load_tracker_config,
    save_tracker_config,
)
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
