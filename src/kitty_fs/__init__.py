"""kitty_fs: a capability-typed filesystem layer.

A ``ReadContext`` lets code read below one root; a ``WriteContext`` also lets it
write, and is minted only by ``write_boundary(root, reason=...)``. Functions that
persist take a ``WriteContext``, so mypy rejects a write on a read path; the
runtime guard (``read_scope``) stops the ones typing cannot see.
"""

from typing import TYPE_CHECKING

from kitty_fs._lazy import lazy_attributes

# Lazy on purpose: a CLI's cold start pays only for what a command touches
# (ruamel.yaml for configs, the guard for read scopes). mypy sees the real imports.
if TYPE_CHECKING:
    from kitty_fs._config import ConfigView, load_config, save_config, update_config
    from kitty_fs._context import (
        ReadContext,
        ScopedWriteContext,
        WriteContext,
        read_context,
        write_boundary,
    )
    from kitty_fs._errors import (
        ConfigBusyError,
        ConfigError,
        ConfigFileError,
        ConfigParseError,
        ConfigSchemaError,
        GitCommandError,
        KittyFsError,
        MintError,
        PathEscapeError,
        ScopeViolation,
        WriteViolation,
    )
    from kitty_fs._guard import GuardMode, GuardScope, Violation, read_scope
    from kitty_fs._paths import RelPath
    from kitty_fs._porcelain import parse_porcelain
    from kitty_fs._scope import WriteScope

__all__ = [
    "ConfigBusyError",
    "ConfigError",
    "ConfigFileError",
    "ConfigParseError",
    "ConfigSchemaError",
    "ConfigView",
    "GitCommandError",
    "GuardMode",
    "GuardScope",
    "KittyFsError",
    "MintError",
    "PathEscapeError",
    "ReadContext",
    "RelPath",
    "ScopeViolation",
    "ScopedWriteContext",
    "Violation",
    "WriteContext",
    "WriteScope",
    "WriteViolation",
    "load_config",
    "parse_porcelain",
    "read_context",
    "read_scope",
    "save_config",
    "update_config",
    "write_boundary",
]


_LAZY = {
    "ConfigView": "_config",
    "load_config": "_config",
    "save_config": "_config",
    "update_config": "_config",
    "ReadContext": "_context",
    "ScopedWriteContext": "_context",
    "WriteContext": "_context",
    "read_context": "_context",
    "write_boundary": "_context",
    "ConfigBusyError": "_errors",
    "ConfigError": "_errors",
    "ConfigFileError": "_errors",
    "ConfigParseError": "_errors",
    "ConfigSchemaError": "_errors",
    "GitCommandError": "_errors",
    "KittyFsError": "_errors",
    "MintError": "_errors",
    "PathEscapeError": "_errors",
    "ScopeViolation": "_errors",
    "WriteViolation": "_errors",
    "GuardMode": "_guard",
    "GuardScope": "_guard",
    "RelPath": "_paths",
    "parse_porcelain": "_porcelain",
    "WriteScope": "_scope",
    "Violation": "_guard",
    "read_scope": "_guard",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
