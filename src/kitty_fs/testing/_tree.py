"""``TreeState``: everything INV-1 looks at in a worktree, and a diff that names each path.

Stricter than ``git status``: besides porcelain (untracked *and ignored*
files) and the sha256 and ``mtime_ns`` of every tracked file, it lists the
whole tree (ignored files, empty directories, every directory's mtime, which
moves when a temp file is created and removed in it). Each difference is a
``Change`` with the root-relative path it concerns, so a scoped writer's run
can be judged by whether every change lies inside its scope.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kitty_fs._porcelain import parse_porcelain
from kitty_fs._snapshot import WorktreeSnapshot, run_git

__all__ = ["Change", "TreeState"]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two ``TreeState``s: the path (root-relative) and what changed."""

    path: str
    what: str
    # Only a directory's mtime moved: an entry was created or removed in it.
    dir_mtime_only: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


def _listing(root: Path) -> dict[str, tuple[str, int, int]]:
    found: dict[str, tuple[str, int, int]] = {}
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        if base == root:
            dirs[:] = [d for d in dirs if d != ".git"]
            files = [f for f in files if f != ".git"]  # a linked worktree's .git file
        for name in (*dirs, *files):
            path = base / name
            info = path.lstat()
            kind = "dir" if stat.S_ISDIR(info.st_mode) else "file"
            rel = path.relative_to(root).as_posix()
            found[rel] = (kind, info.st_size if kind == "file" else 0, info.st_mtime_ns)
    return found


@dataclass(frozen=True)
class TreeState:
    """INV-1's evidence for one directory (a git worktree or a project below its top)."""

    root: Path
    snapshot: WorktreeSnapshot = field(repr=False)
    porcelain: bytes = field(repr=False)
    prefix: str = ""
    listing: Mapping[str, tuple[str, int, int]] = field(repr=False, default_factory=dict)

    @classmethod
    def take(cls, root: str | os.PathLike[str]) -> TreeState:
        real = Path(root).resolve()
        prefix = os.fsdecode(run_git(real, "rev-parse", "--show-prefix")).strip()
        return cls(
            real,
            WorktreeSnapshot.take(real),
            run_git(real, "status", "--porcelain", "-z", "--untracked-files=all", "--ignored"),
            prefix,
            _listing(real),
        )

    def _rel(self, git_path: str) -> str:
        """A git (top-relative) path as a root-relative one (``../`` style when outside)."""
        if self.prefix and git_path.startswith(self.prefix):
            return git_path[len(self.prefix) :]
        if not self.prefix:
            return git_path
        return "../" * self.prefix.count("/") + git_path

    def diff(self, later: TreeState) -> list[Change]:
        """Every difference from this state to ``later``, each naming its path."""
        changes: list[Change] = []
        before = {str(e): e for e in parse_porcelain(self.porcelain)}
        after = {str(e): e for e in parse_porcelain(later.porcelain)}
        for text in after.keys() - before.keys():
            changes.append(Change(self._rel(after[text].path), f"status now shows: {text!r}"))
        for text in before.keys() - after.keys():
            changes.append(
                Change(self._rel(before[text].path), f"status no longer shows: {text!r}")
            )
        old_files, new_files = self.snapshot.files, later.snapshot.files
        for git_path in sorted(set(old_files) | set(new_files)):
            old, new = old_files.get(git_path, "untracked"), new_files.get(git_path, "untracked")
            if old == new:
                continue
            rel = self._rel(git_path)
            if old == "untracked" or new == "untracked":
                changes.append(Change(rel, "now tracked" if old == "untracked" else "untracked"))
            elif old is None or new is None:
                changes.append(Change(rel, "created" if old is None else "deleted"))
            elif isinstance(old, tuple) and isinstance(new, tuple):
                if old[0] != new[0]:
                    changes.append(
                        Change(rel, f"content changed (sha256 {old[0][:12]} -> {new[0][:12]})")
                    )
                if old[1] != new[1]:
                    changes.append(Change(rel, f"mtime_ns changed ({old[1]} -> {new[1]})"))
        for rel in sorted(set(self.listing) | set(later.listing)):
            old_entry, new_entry = self.listing.get(rel), later.listing.get(rel)
            if old_entry == new_entry:
                continue
            if old_entry is None:
                changes.append(Change(rel, f"appeared ({new_entry[0] if new_entry else '?'})"))
            elif new_entry is None:
                changes.append(Change(rel, f"vanished ({old_entry[0]})"))
            else:
                only_mtime = (
                    old_entry[0] == new_entry[0] == "dir" and old_entry[:2] == new_entry[:2]
                )
                what = f"{old_entry[0]} changed: {old_entry} -> {new_entry}"
                changes.append(Change(rel, what, dir_mtime_only=only_mtime))
        return sorted(set(changes), key=lambda c: (c.path, c.what))

    def changes_since(self, later: TreeState) -> list[str]:
        return [str(change) for change in self.diff(later)]
