"""What the dashboard, dossier and lifecycle commands know about missions, read-only.

A mission is a directory ``kitty-specs/<slug>/``; its lifecycle stage is the
furthest artifact present (spec, plan, tasks, analysis). The digest is a
sha256 over the mission's file names and bytes, so the SaaS can tell whether
its dossier copy is current without receiving the files.
"""

from __future__ import annotations

import hashlib

import attrs

from kitty_fs import ReadContext

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


@attrs.frozen(slots=True)
class Mission:
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


def _walk(repo: ReadContext, rel: str, out: list[str]) -> None:
    for name in sorted(repo.listdir(rel)):
        child = f"{rel}/{name}"
        if repo.is_dir(child):
            _walk(repo, child, out)
        elif repo.is_file(child) and len(out) < _MAX_FILES:
            out.append(child)


def scan_missions(repo: ReadContext) -> list[Mission]:
    """Every mission below ``kitty-specs/``, sorted by slug (none when the folder is absent)."""
    if not repo.is_dir(MISSIONS_DIR):
        return []
    missions = []
    for slug in sorted(repo.listdir(MISSIONS_DIR)):
        base = f"{MISSIONS_DIR}/{slug}"
        if slug.startswith(".") or not repo.is_dir(base):
            continue
        files: list[str] = []
        _walk(repo, base, files)
        digest = hashlib.sha256()
        for rel in files:
            digest.update(rel.encode() + b"\0" + repo.read_bytes(rel) + b"\0")
        present = {rel.rsplit("/", 1)[-1] for rel in files}
        stage = next((name for marker, name in _STAGES if marker in present), "created")
        missions.append(Mission(slug, stage, len(files), digest.hexdigest()))
    return missions
