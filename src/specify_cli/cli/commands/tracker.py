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
from specify_cli.cli._dispatch import Invocation
from specify_cli.cli._options import JSON_OPTION
from specify_cli.cli._registry import read_command, write_command
from specify_cli.cli.commands._shared import settings

if TYPE_CHECKING:
    from specify_cli.tracker import TrackerReadResult, TrackerService

__all__ = ["register"]


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


@read_command("tracker status", "Show the tracker binding and any pending binding upgrade.")
def _status(repo: ReadContext, inv: Invocation) -> int:
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


@read_command("tracker map list", "List the tracker's work-item mappings.")
def _map_list(repo: ReadContext, inv: Invocation) -> int:
    result = _service(inv).map_list(repo)
    lines = [
        "  ".join(f"{key}={value}" for key, value in sorted(mapping.items()))
        for mapping in result.mappings
    ] or ["(no mappings)"]
    lines += _upgrade_lines(result, inv)
    inv.output.result({**_binding(result), "mappings": list(result.mappings)}, lines)
    return 0


@write_command("tracker bind", "Bind the project to a tracker (persists tracker:).")
def _bind(
    repo: WriteContext,
    inv: Invocation,
    provider: str,
    project_slug: str,
    binding_ref: str | None,
    display_label: str | None,
    workspace: str | None,
) -> int:
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


@write_command("tracker apply", "Persist the pending binding upgrade the server offers.")
def _apply(repo: WriteContext, inv: Invocation, binding_ref: str | None) -> int:
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


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Tracker binding. READ: status, map list (report a pending binding upgrade, "
        "never write). WRITE: bind, apply (persist the tracker: section).",
        no_args_is_help=True,
    )
    app.add_typer(group, name="tracker")
    maps = typer.Typer(help="Work-item mappings (READ).", no_args_is_help=True)
    group.add_typer(maps, name="map")

    @group.command("status")
    def status(as_json: bool = JSON_OPTION) -> None:
        """Show the binding the server knows; a new binding_ref is reported, not written.

        Apply a reported upgrade with `spec-kitty tracker apply`.
        """
        _status.run(as_json)

    @maps.command("list")
    def map_list(as_json: bool = JSON_OPTION) -> None:
        """List the mappings between local work items and tracker issues."""
        _map_list.run(as_json)

    @group.command("bind")
    def bind(
        provider: str = typer.Option(..., "--provider", help="Tracker provider, e.g. jira."),
        project_slug: str = typer.Option(..., "--project-slug", help="The tracker project's slug."),
        binding_ref: str | None = typer.Option(
            None, "--binding-ref", help="Use this binding_ref instead of asking the server."
        ),
        display_label: str | None = typer.Option(None, "--display-label"),
        workspace: str | None = typer.Option(None, "--workspace"),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Bind this project to a tracker project (WRITE: updates .kittify/config.yaml).

        Keeps comments, doctrine and unknown keys of the tracker: section.
        """
        _bind.run(as_json, provider, project_slug, binding_ref, display_label, workspace)

    @group.command("apply")
    def apply(
        binding_ref: str | None = typer.Option(
            None,
            "--binding-ref",
            help="The binding_ref to store (default: ask the server for the current one).",
        ),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Persist a pending binding upgrade (WRITE: updates tracker.binding_ref only)."""
        _apply.run(as_json, binding_ref)
