"""``spec-kitty record-analysis``: a write command gated on a clean worktree.

The gate is why INV-1 matters: if read commands dirtied ``.kittify/config.yaml``
this command would refuse real work. Its allowlist is small, fixed and never
contains ``.kittify/config.yaml``: those paths are bookkeeping that spec-kitty
itself rewrites while a mission runs, so their changes are not "real dirt".
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from datetime import UTC, datetime
from typing import Final

import typer

from kitty_fs import WriteContext
from specify_cli.cli._dispatch import Invocation
from specify_cli.cli._exit import ExitCode
from specify_cli.cli._failure import CommandFailure
from specify_cli.cli._registry import write_command

__all__ = ["DIRTY_ALLOWLIST", "dirty_paths", "register"]

# Fixed on purpose: widening it would hide exactly the dirt this gate exists to catch.
DIRTY_ALLOWLIST: Final = (
    "kitty-specs/*/meta.json",
    ".kittify/encoding-provenance/*",
)
_MISSION = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _git(repo: WriteContext, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo.root, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CommandFailure(
            f"git {' '.join(args)} failed in {repo.root}: {done.stderr.strip()}",
            ExitCode.NOT_INITIALIZED,
            "record-analysis needs a git repository with at least one commit",
        )
    return done.stdout


def _allowlisted(path: str) -> bool:
    """Glob match one segment at a time: ``*`` never crosses ``/`` (shell and gitignore style).

    ``fnmatch`` alone lets ``*`` match ``/``, which would make ``kitty-specs/*/meta.json``
    waive ``kitty-specs/<mission>/<any dir>/meta.json``: the user's files, real dirt.
    """
    parts = path.split("/")
    return any(
        len(parts) == len(globs) and all(map(fnmatch.fnmatchcase, parts, globs))
        for globs in (pattern.split("/") for pattern in DIRTY_ALLOWLIST)
    )


def dirty_paths(repo: WriteContext) -> list[str]:
    """Paths with uncommitted changes (untracked included), minus the fixed allowlist."""
    porcelain = _git(repo, "status", "--porcelain", "-z", "--untracked-files=all")
    paths: list[str] = []
    entries = iter(porcelain.split("\0"))
    for entry in entries:
        if not entry:
            continue
        status, path = entry[:2], entry[3:]
        changed = [path]
        source = next(entries, None) if "R" in status or "C" in status else None
        if source and "R" in status:
            changed.append(source)  # a rename also removes its source: both are dirt
        paths.extend(p for p in changed if not _allowlisted(p))
    return paths


@write_command("record-analysis", "Record a mission analysis; refuses a dirty worktree.")
def _record_analysis(repo: WriteContext, inv: Invocation, mission: str, summary: str) -> int:
    if not _MISSION.match(mission):
        raise CommandFailure(
            f"invalid mission name {mission!r}",
            ExitCode.USAGE,
            "use lower-case letters, digits and dashes, e.g. --mission 042-login-flow",
        )
    dirty = dirty_paths(repo)
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise CommandFailure(
            f"worktree has uncommitted changes: {shown}",
            ExitCode.DIRTY_WORKTREE,
            "commit or stash them, then rerun record-analysis",
            code="DIRTY_WORKTREE",
            details={"dirty_paths": dirty},
        )
    head = _git(repo, "rev-parse", "HEAD").strip()
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    target = f"kitty-specs/{mission}/analysis.md"
    text = f"# Analysis of {mission}\n\nRecorded {stamp} at commit {head}.\n\n{summary}\n"
    repo.mkdir(f"kitty-specs/{mission}")
    repo.write_text(target, text)
    inv.output.result(
        {"recorded": target, "commit": head},
        [f"recorded analysis of {mission} in {target} (commit {head[:12]})"],
    )
    return 0


def register(app: typer.Typer) -> None:
    @app.command("record-analysis")
    def record_analysis(
        mission: str = typer.Option(..., "--mission", help="Mission slug, e.g. 042-login-flow."),
        summary: str = typer.Option("", "--summary", help="Text of the analysis to record."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        """Record an analysis in kitty-specs/MISSION/analysis.md (WRITE).

        Refuses with DIRTY_WORKTREE (exit 5) when the worktree has uncommitted
        changes outside the fixed allowlist (kitty-specs/*/meta.json,
        .kittify/encoding-provenance/*). .kittify/config.yaml is never allowlisted.
        """
        _record_analysis.run(as_json, mission, summary)
