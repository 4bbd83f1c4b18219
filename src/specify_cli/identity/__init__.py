"""Project identity: resolved read-only on every path, persisted only at write boundaries.

``resolve_identity(ctx: ReadContext)`` returns a complete ``ProjectIdentity``
(missing fields derived deterministically, in memory) or ``NotInitialized``;
``ensure_identity(ctx: WriteContext)`` completes and persists it.
"""

from specify_cli.identity._derive import (
    BUILD_ID_NAMESPACE,
    derive_build_id,
    derive_node_id,
    kebab,
    slug_from_remote_url,
)
from specify_cli.identity._git import origin_url
from specify_cli.identity._model import NotInitialized, ProjectIdentity
from specify_cli.identity._resolve import derive_project_slug, ensure_identity, resolve_identity

__all__ = [
    "BUILD_ID_NAMESPACE",
    "NotInitialized",
    "ProjectIdentity",
    "derive_build_id",
    "derive_node_id",
    "derive_project_slug",
    "ensure_identity",
    "kebab",
    "origin_url",
    "resolve_identity",
    "slug_from_remote_url",
]
