"""``spec-kitty tracker ...``: two read commands and the two write boundaries of a binding.

``status`` and ``map list`` ask the server and report a new ``binding_ref`` as
``pending_binding_upgrade`` without writing it (the write upstream used to do
here is what dirtied worktrees). ``bind`` and ``apply`` are the only commands
that persist the ``tracker:`` section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from kitty_fs import ReadContext, WriteContext
from kitty_fs.commands import CommandRegistry, Invocation
from specify_cli.cli.commands._shared import settings

if TYPE_CHECKING:
    from specify_cli.tracker import TrackerReadResult, TrackerService

__all__ = ["commands"]

commands = CommandRegistry()
commands.group(
    "tracker",
    "Tracker binding. READ: status, map list (report a pending binding upgrade, never "
    "write). WRITE: bind, apply (persist the tracker: section).",
)
commands.group("tracker map", "Work-item mappings (READ).")


def _service(inv: Invocation) -> TrackerService:
    from specify_cli.tracker import TrackerService

    return TrackerService(settings(inv))


def _binding(result: TrackerReadResult) -> dict[str, object]:
    return {
        "provider": result.provider,
        "project_slug": result.project_slug,
        "binding_ref": result.binding_ref,
        "pending_binding_upgrade": result.pending_binding_upgrade,
    }


def _upgrade_lines(result: TrackerReadResult, inv: Invocation) -> list[str]:
    if result.pending_binding_upgrade is None:
        return []
    inv.output.note(f"hint: {result.hint}")
    return [f"pending binding upgrade: {result.binding_ref} -> {result.pending_binding_upgrade}"]


@commands.read("tracker status", "Show the tracker binding and any pending binding upgrade.")
def status(repo: ReadContext, inv: Invocation) -> int:
    """Show the binding the server knows; a new binding_ref is reported, not written.

    Apply a reported upgrade with `spec-kitty tracker apply`.
    """
    result = _service(inv).status(repo)
    lines = [
        f"tracker:   {result.provider} / {result.project_slug or '-'}",
        f"binding:   {result.binding_ref}",
        f"state:     {result.state} ({result.mappings} mapping(s))",
        *_upgrade_lines(result, inv),
    ]
    inv.output.result(
        {**_binding(result), "state": result.state, "mappings": result.mappings}, lines
    )
    return 0


@commands.read("tracker map list", "List the tracker's work-item mappings.")
def map_list(repo: ReadContext, inv: Invocation) -> int:
    """List the mappings between local work items and tracker issues."""
    result = _service(inv).map_list(repo)
    lines = [
        "  ".join(f"{key}={value}" for key, value in sorted(mapping.items()))
        for mapping in result.mappings
    ] or ["(no mappings)"]
    lines += _upgrade_lines(result, inv)
    inv.output.result({**_binding(result), "mappings": list(result.mappings)}, lines)
    return 0


@commands.write("tracker bind", "Bind the project to a tracker (persists tracker:).")
def bind(
    repo: WriteContext,
    inv: Invocation,
    provider: str = typer.Option(..., "--provider", help="Tracker provider, e.g. jira."),
    project_slug: str = typer.Option(..., "--project-slug", help="The tracker project's slug."),
    binding_ref: str | None = typer.Option(
        None, "--binding-ref", help="Use this binding_ref instead of asking the server."
    ),
    display_label: str | None = typer.Option(None, "--display-label"),
    workspace: str | None = typer.Option(None, "--workspace"),
) -> int:
    """Bind this project to a tracker project (WRITE: updates .kittify/config.yaml).

    Keeps comments, doctrine and unknown keys of the tracker: section.
    """
    result = _service(inv).bind(
        repo,
        provider=provider,
        project_slug=project_slug,
        binding_ref=binding_ref,
        display_label=display_label,
        workspace=workspace,
    )
    ref = result.config.binding_ref
    verb = "bound" if result.changed else "already bound"
    inv.output.result(
        {
            "provider": provider,
            "project_slug": project_slug,
            "binding_ref": ref,
            "previous_binding_ref": result.previous_binding_ref,
            "changed": result.changed,
        },
        [f"{verb}: {provider} / {project_slug} (binding_ref {ref}) in .kittify/config.yaml"],
    )
    return 0


@commands.write("tracker apply", "Persist the pending binding upgrade the server offers.")
def apply(
    repo: WriteContext,
    inv: Invocation,
    binding_ref: str | None = typer.Option(
        None,
        "--binding-ref",
        help="The binding_ref to store (default: ask the server for the current one).",
    ),
) -> int:
    """Persist a pending binding upgrade (WRITE: updates tracker.binding_ref only)."""
    result = _service(inv).apply(repo, binding_ref)
    line = (
        f"applied binding upgrade: {result.previous_binding_ref} -> {result.binding_ref}"
        if result.changed
        else f"nothing to apply: binding_ref is already {result.binding_ref}"
    )
    inv.output.result(
        {
            "previous_binding_ref": result.previous_binding_ref,
            "binding_ref": result.binding_ref,
            "changed": result.changed,
        },
        [line],
    )
    return 0
