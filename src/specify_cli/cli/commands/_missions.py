"""What the dashboard, dossier and lifecycle commands know about missions, read-only.

A mission is a directory ``kitty-specs/<slug>/``; its lifecycle stage is the
furthest artifact present (spec, plan, tasks, analysis). The digest is a
sha256 over the mission's file names and bytes, so the SaaS can tell whether
its dossier copy is current without receiving the files.

The scan follows symlinks inside the repository, reads each directory once
(so a loop such as ``001-a/self -> .`` ends the descent instead of recursing
forever), skips links that lead nowhere, and refuses a link out of the
repository with an error naming it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import NamedTuple

from kitty_fs import ReadContext
from kitty_fs._digest import sha256
from specify_cli.errors import MissionOutsideRepo

__all__ = ["MISSIONS_DIR", "Mission", "scan_missions"]

MISSIONS_DIR = "kitty-specs"
# Furthest first: the first artifact present names the stage.
_STAGES = (
    ("analysis.md", "analyzed"),
    ("tasks.md", "tasked"),
    ("plan.md", "planned"),
    ("spec.md", "specified"),
)
_MAX_FILES = 2000  # a dossier trigger must stay cheap on a huge tree


# A NamedTuple, not attrs: it is built on every cold start (docs/commands.md, "Cold start").
class Mission(NamedTuple):
    slug: str
    stage: str
    files: int
    digest: str

    def as_payload(self) -> dict[str, object]:
        return {
            "mission": self.slug,
            "stage": self.stage,
            "files": self.files,
            "digest": self.digest,
        }


def _resolved(repo: ReadContext, rel: str) -> Path | None:
    """Where ``rel`` really leads, ``None`` for a link that leads nowhere (dangling, a loop).

    A link out of the repository is an error naming the link: spec-kitty reads
    missions inside the repository only, and the generic "path escapes the
    root" would not say which link to fix.
    """
    lexical = repo.root / rel
    try:
        real = Path(os.path.realpath(lexical, strict=True))
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOENT):
            return None
        raise
    if real != repo.root and not real.is_relative_to(repo.root):
        raise MissionOutsideRepo(
            f"{rel} is a symlink to {real}, outside the repository {repo.root}",
            path=lexical,
            hint="spec-kitty reads missions only inside the repository: move what the link "
            f"points to into {MISSIONS_DIR}/ in place of the link, or remove the link",
        )
    return real


def _walk(repo: ReadContext, rel: str, out: list[str], seen: set[Path]) -> None:
    """Files below ``rel`` in name order; each directory read once, so a link back up
    (``self -> .``) or a second link to a folder already read ends the descent."""
    for name in repo.listdir(rel):
        child = f"{rel}/{name}"
        real = _resolved(repo, child)
        if real is None:
            continue
        if real.is_dir():
            if real not in seen:
                seen.add(real)
                _walk(repo, child, out, seen)
        elif real.is_file() and len(out) < _MAX_FILES:
            out.append(child)


def scan_missions(repo: ReadContext) -> list[Mission]:
    """Every mission below ``kitty-specs/``, sorted by slug (none when the folder is absent)."""
    if not repo.is_dir(MISSIONS_DIR):
        return []
    missions = []
    for slug in repo.listdir(MISSIONS_DIR):
        base = f"{MISSIONS_DIR}/{slug}"
        real = None if slug.startswith(".") else _resolved(repo, base)
        if real is None or not real.is_dir():
            continue
        files: list[str] = []
        _walk(repo, base, files, {real})
        digest = sha256()
        for rel in files:
            digest.update(rel.encode() + b"\0" + repo.read_bytes(rel) + b"\0")
        present = {rel.rsplit("/", 1)[-1] for rel in files}
        stage = next((name for marker, name in _STAGES if marker in present), "created")
        missions.append(Mission(slug, stage, len(files), digest.hexdigest()))
    return missions
