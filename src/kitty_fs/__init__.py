"""kitty_fs: a capability-typed filesystem layer.

A ``ReadContext`` lets code read below one root; a ``WriteContext`` also lets it
write, and is minted only by ``write_boundary(root, reason=...)``. Functions that
persist take a ``WriteContext``, so mypy rejects a write on a read path; the
runtime guard (``read_scope``) stops the ones typing cannot see.
"""

from kitty_fs._config import CONFIG_PATH, ConfigView, load_config, save_config
from kitty_fs._context import ReadContext, WriteContext, read_context, write_boundary
from kitty_fs._errors import (
    ConfigError,
    ConfigFileError,
    ConfigParseError,
    ConfigSchemaError,
    KittyFsError,
    MintError,
    PathEscapeError,
    WriteViolation,
)
from kitty_fs._guard import GuardScope, Violation, read_scope

__all__ = [
    "CONFIG_PATH",
    "ConfigError",
    "ConfigFileError",
    "ConfigParseError",
    "ConfigSchemaError",
    "ConfigView",
    "GuardScope",
    "KittyFsError",
    "MintError",
    "PathEscapeError",
    "ReadContext",
    "Violation",
    "WriteContext",
    "WriteViolation",
    "load_config",
    "read_context",
    "read_scope",
    "save_config",
    "write_boundary",
]
