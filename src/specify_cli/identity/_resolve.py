"""Resolving the project identity (read-only) and persisting it (write boundaries only).

``resolve_identity`` is the function every read path calls. It takes a
``ReadContext``, so it *cannot* persist, and it never invents a
``project_uuid``: a random value minted on a read path would differ on every
run and every clone, which is the drift this project exists to remove.
``ensure_identity`` is its writing twin for ``init`` and other write
boundaries: the only place a random ``project_uuid`` is created.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

from kitty_fs import ReadContext, WriteContext, load_config, update_config
from specify_cli._kinds import kind_of, shown
from specify_cli._paths import CONFIG_PATH
from specify_cli.errors import InvalidConfig
from specify_cli.identity._derive import (
    derive_build_id,
    derive_node_id,
    kebab,
    slug_from_remote_url,
)
from specify_cli.identity._git import origin_url
from specify_cli.identity._model import NotInitialized, ProjectIdentity

__all__ = ["derive_project_slug", "ensure_identity", "resolve_identity"]

_SECTION = "project"


def derive_project_slug(ctx: ReadContext) -> str:
    """The slug of the ``origin`` remote's repository name, else of the root directory's name."""
    url = origin_url(ctx)
    slug = slug_from_remote_url(url) if url else None
    return slug or kebab(ctx.root.name) or "project"


def _text(section: Mapping[str, object], key: str, path: Path) -> str | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidConfig(
            f"{path}: project.{key} must be a string, found {kind_of(value)} {shown(value)}",
            path=path,
            hint=f"quote the value of project.{key} in {path.name} (nothing was written)",
        )
    return value.strip() or None


def _uuid(raw: str, path: Path) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidConfig(
            f"{path}: project.uuid {raw!r} is not a valid UUID",
            path=path,
            hint=(
                "restore the committed value with `git checkout -- .kittify/config.yaml`, "
                "or remove the key and run `spec-kitty init` (nothing was written)"
            ),
        ) from None


def _complete(
    ctx: ReadContext, section: Mapping[str, object], project_uuid: uuid.UUID, path: Path
) -> ProjectIdentity:
    derived: list[str] = []
    slug = _text(section, "slug", path)
    if slug is None:
        slug = derive_project_slug(ctx)
        derived.append("project_slug")
    node_id = _text(section, "node_id", path)
    if node_id is None:
        node_id = derive_node_id()
        derived.append("node_id")
    build_id = _text(section, "build_id", path)
    if build_id is None:
        build_id = derive_build_id(project_uuid, node_id)
        derived.append("build_id")
    return ProjectIdentity(
        project_uuid=project_uuid,
        project_slug=slug,
        node_id=node_id,
        build_id=build_id,
        repo_slug=_text(section, "repo_slug", path),
        derived=tuple(derived),
    )


def resolve_identity(ctx: ReadContext) -> ProjectIdentity | NotInitialized:
    """The project identity, completed in memory; never writes, never mints a uuid.

    Missing ``slug``, ``node_id`` and ``build_id`` are derived deterministically
    (see ``specify_cli.identity._derive``), so any number of calls on the same
    checkout and machine return equal identities. Values on disk are returned
    unchanged. Raises ``InvalidConfig`` for a malformed value (naming the file)
    and lets ``kitty_fs`` config errors through.
    """
    view = load_config(ctx, CONFIG_PATH)
    section = view.section(_SECTION) or {}
    raw_uuid = _text(section, "uuid", view.path)
    if raw_uuid is None:
        return NotInitialized(config_path=view.path, config_exists=view.exists)
    return _complete(ctx, section, _uuid(raw_uuid, view.path), view.path)


def ensure_identity(ctx: WriteContext) -> ProjectIdentity:
    """Complete the identity and persist it in ``project:``; for write boundaries only.

    A project without a ``uuid`` gets a random ``uuid4`` here (and nowhere
    else). Only missing keys are added, decided under the config's write lock
    (``update_config``): two ``init`` racing on a new project agree on one uuid,
    and a key another writer changed meanwhile is never put back. Comments and
    other sections survive; an identity that is already complete writes nothing.
    """
    path = ctx.path(CONFIG_PATH)
    completed: list[ProjectIdentity] = []

    def missing_keys(section: Mapping[str, object]) -> dict[str, str]:
        raw_uuid = _text(section, "uuid", path)
        project_uuid = uuid.uuid4() if raw_uuid is None else _uuid(raw_uuid, path)
        identity = _complete(ctx, section, project_uuid, path)
        completed.append(identity)
        return {k: v for k, v in identity.as_config().items() if _text(section, k, path) is None}

    update_config(ctx, _SECTION, missing_keys, rel=CONFIG_PATH)
    identity = completed[-1]
    return ProjectIdentity(
        project_uuid=identity.project_uuid,
        project_slug=identity.project_slug,
        node_id=identity.node_id,
        build_id=identity.build_id,
        repo_slug=identity.repo_slug,
    )
