"""``spec-kitty init``: the write boundary that creates or completes the project identity."""

from __future__ import annotations

from kitty_fs import WriteContext
from kitty_fs.commands import CommandRegistry, Invocation

__all__ = ["commands"]

commands = CommandRegistry()


@commands.write("init", "Create or complete the project identity in .kittify/config.yaml.")
def init(repo: WriteContext, inv: Invocation) -> int:
    """Create .kittify/config.yaml with a project identity (WRITE), or add missing fields.

    Existing values, comments and other sections are kept; running it twice
    changes nothing the second time.
    """
    from specify_cli._paths import CONFIG_PATH
    from specify_cli.identity import NotInitialized, ensure_identity, resolve_identity

    before = resolve_identity(repo)
    existed = repo.is_file(CONFIG_PATH)
    if not repo.is_dir(".kittify"):
        repo.mkdir(".kittify")
    before_bytes = repo.read_bytes(CONFIG_PATH) if existed else None
    identity = ensure_identity(repo)
    changed = before_bytes != (repo.read_bytes(CONFIG_PATH) if repo.is_file(CONFIG_PATH) else None)
    if isinstance(before, NotInitialized):
        verb = "initialized"
    elif changed:
        verb = "completed the identity of"
    else:
        verb = "already initialized:"
    data = {
        "project_uuid": str(identity.project_uuid),
        "project_slug": identity.project_slug,
        "node_id": identity.node_id,
        "build_id": identity.build_id,
        "changed": changed,
        "config": str(repo.path(CONFIG_PATH)),
    }
    inv.output.result(
        data,
        [
            f"{verb} {identity.project_slug} ({identity.project_uuid})",
            f"build_id {identity.build_id}; commit .kittify/config.yaml to share it",
        ],
    )
    return 0
