"""``spec-kitty record-analysis``: a write command gated on a clean worktree.

The gate is why INV-1 matters: if read commands dirtied ``.kittify/config.yaml``
this command would refuse real work. Its allowlist is small, fixed and never
contains ``.kittify/config.yaml``: those paths are bookkeeping that spec-kitty
itself rewrites while a mission runs, so their changes are not "real dirt".
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Mapping
from typing import Final

import typer

from kitty_fs import ReadContext, ScopedWriteContext
from kitty_fs.commands import CommandFailure, CommandRegistry, Invocation
from specify_cli.cli._exit import ExitCode

__all__ = ["DIRTY_ALLOWLIST", "commands", "dirty_paths"]

commands = CommandRegistry()

# Fixed on purpose: widening it would hide exactly the dirt this gate exists to catch.
DIRTY_ALLOWLIST: Final = (
    "kitty-specs/*/meta.json",
    ".kittify/encoding-provenance/*",
)
_MISSION = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _git_hint(stderr: str) -> str:
    if "dubious ownership" in stderr:
        return (
            "git refuses to work in a repository owned by another user: if you trust it, "
            "run the `git config --global --add safe.directory ...` command git suggests"
        )
    if "unknown revision" in stderr or "ambiguous argument 'HEAD'" in stderr:
        return "record-analysis needs a git repository with at least one commit"
    if "not a git repository" in stderr:
        return "record-analysis needs a git repository: run it in a clone"
    return "fix what git reports above, then rerun record-analysis"


def _git(repo: ReadContext, *args: str) -> str:
    # Optional locks off: `git status` would otherwise refresh and rewrite .git/index.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    done = subprocess.run(
        ["git", *args], cwd=repo.root, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CommandFailure(
            f"git {' '.join(args)} failed in {repo.root}: {done.stderr.strip()}",
            ExitCode.NOT_INITIALIZED,
            _git_hint(done.stderr),
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


def dirty_paths(repo: ReadContext) -> list[str]:
    """Paths with uncommitted changes (untracked included), minus the fixed allowlist.

    git reports paths relative to the top of the worktree; the allowlist is
    relative to the project, which may sit below it (a monorepo's
    ``services/api``). Paths inside the project are shown relative to it,
    others as git names them (they are dirt all the same).
    """
    from kitty_fs import parse_porcelain

    prefix = _git(repo, "rev-parse", "--show-prefix").strip()
    porcelain = _git(repo, "status", "--porcelain", "-z", "--untracked-files=all")
    paths: list[str] = []
    for path in parse_porcelain(porcelain.encode("utf-8", "surrogateescape")).paths():
        rel = path[len(prefix) :] if prefix and path.startswith(prefix) else path
        inside = not prefix or path.startswith(prefix)
        if not (inside and _allowlisted(rel)):
            paths.append(rel if inside else f"(outside the project) {path}")
    return paths


def _check_mission(arguments: Mapping[str, object]) -> None:
    mission = arguments.get("mission")
    if not isinstance(mission, str) or not _MISSION.match(mission):
        raise CommandFailure(
            f"invalid mission name {mission!r}",
            ExitCode.USAGE,
            "use lower-case letters, digits and dashes, e.g. --mission 042-login-flow",
        )


@commands.scoped_write(
    "record-analysis",
    "Record a mission analysis; refuses a dirty worktree.",
    writes=("kitty-specs/{mission}",),
    contract_argv=("--mission", "001-login-flow", "--summary", "contract"),
    check=_check_mission,
)
def record_analysis(
    repo: ScopedWriteContext,
    inv: Invocation,
    mission: str = typer.Option(..., "--mission", help="Mission slug, e.g. 042-login-flow."),
    summary: str = typer.Option("", "--summary", help="Text of the analysis to record."),
) -> int:
    """Record an analysis in kitty-specs/MISSION/analysis.md (SCOPED WRITE: that mission only).

    Refuses with DIRTY_WORKTREE (exit 5) when the worktree has uncommitted
    changes outside the fixed allowlist (kitty-specs/*/meta.json,
    .kittify/encoding-provenance/*). .kittify/config.yaml is never allowlisted.
    """
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
    from datetime import UTC, datetime

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
