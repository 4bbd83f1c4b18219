"""The identity value types: a complete ``ProjectIdentity`` or a ``NotInitialized`` result.

``resolve_identity`` returns one or the other instead of raising, because "not
initialized" is an ordinary state for a read command (it becomes a no-op or a
hint), not a failure; callers that need an identity call ``.error()`` on it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import NamedTuple

from specify_cli.errors import NotInitializedError

__all__ = ["CONFIG_KEYS", "NotInitialized", "ProjectIdentity"]

# ProjectIdentity field -> key in the `project:` section of .kittify/config.yaml.
CONFIG_KEYS = {
    "project_uuid": "uuid",
    "project_slug": "slug",
    "node_id": "node_id",
    "build_id": "build_id",
    "repo_slug": "repo_slug",
}


# A NamedTuple, not attrs: it is built on every cold start (docs/commands.md, "Cold start").
class ProjectIdentity(NamedTuple):
    """Who emits: the project, its slug, this machine (``node_id``) and this clone (``build_id``).

    ``derived`` names the fields that were not on disk and were completed in
    memory by the deterministic rules (empty once ``ensure_identity`` persisted
    them); it is informational, e.g. for ``sync status``.
    """

    project_uuid: uuid.UUID
    project_slug: str
    node_id: str
    build_id: str
    repo_slug: str | None = None
    derived: tuple[str, ...] = ()

    def as_config(self) -> dict[str, str]:
        """The ``project:`` section keys this identity stores (``repo_slug`` only when set)."""
        section = {
            "uuid": str(self.project_uuid),
            "slug": self.project_slug,
            "node_id": self.node_id,
            "build_id": self.build_id,
        }
        if self.repo_slug is not None:
            section["repo_slug"] = self.repo_slug
        return section

    def envelope_fields(self) -> dict[str, str]:
        """The four identity fields every event envelope carries."""
        return {
            "project_uuid": str(self.project_uuid),
            "project_slug": self.project_slug,
            "node_id": self.node_id,
            "build_id": self.build_id,
        }


# A NamedTuple, not attrs: it is built on every cold start (docs/commands.md, "Cold start").
class NotInitialized(NamedTuple):
    """No ``project.uuid`` in ``config_path`` (which may not exist): run ``spec-kitty init``."""

    config_path: Path
    config_exists: bool

    @property
    def message(self) -> str:
        if not self.config_exists:
            return f"not a spec-kitty project yet: {self.config_path} does not exist"
        return f"no project identity yet: {self.config_path} has no project.uuid"

    @property
    def hint(self) -> str:
        return NotInitializedError.default_hint

    def error(self) -> NotInitializedError:
        """The error to raise where an identity is required."""
        return NotInitializedError(self.message, path=self.config_path)
