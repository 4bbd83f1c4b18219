"""Worktree snapshots: what INV-1 says a read command must leave exactly as it was.

A snapshot holds ``git status --porcelain -z --untracked-files=all`` and the
sha256 and ``mtime_ns`` of every tracked file. Comparing two names every
difference: a new untracked file, a changed or merely touched tracked file, a
file that appeared in or vanished from the index. Used by the pytest plugin
and by ``kitty-fs audit``; standard library only.

The git calls are read-only ones (``status``, ``ls-files``), with optional
locks off, so taking a snapshot inside a read scope is allowed and changes
nothing itself.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kitty_fs._errors import GitCommandError, KittyFsError
from kitty_fs._porcelain import parse_porcelain

__all__ = ["WorktreeChanged", "WorktreeSnapshot", "assert_unchanged", "run_git"]

# Make every git call independent of the user's and the system's configuration,
# and keep `git status` from refreshing the index (an optional lock and write).
_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
}


def run_git(repo: Path, *args: str) -> bytes:
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip()
        raise GitCommandError(f"git {' '.join(args)} failed in {repo}: {stderr}", path=repo)
    return result.stdout


class WorktreeChanged(KittyFsError, AssertionError):
    """The worktree differs from a snapshot; ``changes`` lists every difference."""

    def __init__(self, repo: Path, changes: list[str]) -> None:
        self.repo = repo
        self.changes = changes
        lines = "\n".join(f"  {change}" for change in changes)
        super().__init__(
            f"worktree {repo} changed ({len(changes)} difference(s)):\n{lines}", path=repo
        )


def _porcelain_entries(raw: bytes) -> list[str]:
    """``XY path`` lines of ``status --porcelain -z``; renames carry their source."""
    return [str(entry) for entry in parse_porcelain(raw)]


@dataclass(frozen=True)
class WorktreeSnapshot:
    """What INV-1 says a read command must not change, captured at one moment.

    ``porcelain`` is ``git status --porcelain -z --untracked-files=all``
    (ignored files are not reported: git does not show them either), ``files``
    maps every tracked path (POSIX, relative) to ``(sha256 hex, mtime_ns)``;
    a tracked file missing from the worktree maps to ``None``.
    """

    repo: Path
    porcelain: bytes
    files: Mapping[str, tuple[str, int] | None] = field(repr=False)

    @classmethod
    def take(cls, repo: str | os.PathLike[str]) -> WorktreeSnapshot:
        root = Path(repo).resolve()
        porcelain = run_git(root, "status", "--porcelain", "-z", "--untracked-files=all")
        tracked = [os.fsdecode(p) for p in run_git(root, "ls-files", "-z").split(b"\0") if p]
        files: dict[str, tuple[str, int] | None] = {}
        for rel in tracked:
            path = root / rel
            try:
                mtime = path.lstat().st_mtime_ns
                if path.is_symlink():  # git tracks the link itself, not its target
                    digest = hashlib.sha256(os.fsencode(path.readlink())).hexdigest()
                else:
                    with path.open("rb") as handle:
                        digest = hashlib.file_digest(handle, "sha256").hexdigest()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                files[rel] = None
                continue
            files[rel] = (digest, mtime)
        return cls(root, porcelain, files)

    def changes_since(self, later: WorktreeSnapshot) -> list[str]:
        """Every difference between this snapshot and ``later``, one line each."""
        changes: list[str] = []
        before = _porcelain_entries(self.porcelain)
        after = _porcelain_entries(later.porcelain)
        changes += [f"status now shows: {e!r}" for e in after if e not in before]
        changes += [f"status no longer shows: {e!r}" for e in before if e not in after]
        for rel in sorted(set(self.files) | set(later.files)):
            old, new = self.files.get(rel, "untracked"), later.files.get(rel, "untracked")
            if old == new:
                continue
            if old == "untracked" or new == "untracked":
                changes.append(f"{rel}: {'now' if old == 'untracked' else 'no longer'} tracked")
            elif old is None or new is None:
                changes.append(f"{rel}: {'created' if old is None else 'deleted'}")
            elif isinstance(old, tuple) and isinstance(new, tuple):
                if old[0] != new[0]:
                    changes.append(
                        f"{rel}: content changed (sha256 {old[0][:12]} -> {new[0][:12]})"
                    )
                if old[1] != new[1]:
                    changes.append(f"{rel}: mtime_ns changed ({old[1]} -> {new[1]})")
        return changes

    def assert_unchanged(self, later: WorktreeSnapshot | None = None) -> None:
        """Raise ``WorktreeChanged`` listing every difference from ``later`` (default: now)."""
        __tracebackhide__ = True  # pytest shows the caller's line, not this one
        assert_unchanged(self, later if later is not None else WorktreeSnapshot.take(self.repo))


def assert_unchanged(before: WorktreeSnapshot, after: WorktreeSnapshot) -> None:
    """Raise ``WorktreeChanged`` (an ``AssertionError``) when the two snapshots differ."""
    __tracebackhide__ = True
    changes = before.changes_since(after)
    if changes:
        raise WorktreeChanged(before.repo, changes)
