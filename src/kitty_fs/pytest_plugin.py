"""pytest plugin of kitty_fs: real git repositories, worktree snapshots, guarded test bodies.

Installing the package enables it (entry point ``pytest11``), so it loads in
every pytest run of every project in the environment: it imports only the
standard library and pytest at load time, and the guard only when a test
carries the marker.

- ``git_repo``: a real temporary git repository with one commit (user name and
  email set in the repository's own config, so commits work anywhere).
- ``WorktreeSnapshot.take(repo)`` / ``worktree_snapshot``: porcelain status
  (untracked files included) plus sha256 and ``mtime_ns`` of every tracked
  file; ``assert_unchanged`` names exactly what changed (INV-1).
- ``@pytest.mark.kitty_read_scope``: runs the test body (not its fixtures)
  inside ``kitty_fs.read_scope`` for ``git_repo`` (or the fixture named by
  ``fixture=``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "WorktreeChanged",
    "WorktreeSnapshot",
    "assert_unchanged",
    "git_repo",
    "worktree_snapshot",
]

MARKER = "kitty_read_scope"

# Make every git call independent of the user's and the system's configuration,
# and keep `git status` from refreshing the index (an optional lock and write).
_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
}


def _git(repo: Path, *args: str) -> bytes:
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
        cwd=repo,
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}: {stderr}")
    return result.stdout


def make_git_repo(path: Path, files: Mapping[str, bytes | str] | None = None) -> Path:
    """Create a git repository at ``path`` with ``files`` committed in one commit.

    The default content is one ``README.md``. Branch ``main``; user name and
    email are set in the repository's config so later commits in the test work
    without a global git identity.
    """
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.name", "kitty-fs tests")
    _git(path, "config", "user.email", "tests@kitty-fs.invalid")
    _git(path, "config", "commit.gpgsign", "false")
    for rel, data in (files or {"README.md": "test repository\n"}).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "initial commit")
    return path.resolve()


class WorktreeChanged(AssertionError):
    """The worktree differs from a snapshot; ``changes`` lists every difference."""

    def __init__(self, repo: Path, changes: list[str]) -> None:
        self.repo = repo
        self.changes = changes
        lines = "\n".join(f"  {change}" for change in changes)
        super().__init__(f"worktree {repo} changed ({len(changes)} difference(s)):\n{lines}")


def _porcelain_entries(raw: bytes) -> list[str]:
    """Parse ``status --porcelain -z``: ``XY path`` records, renames carry their source."""
    fields = raw.split(b"\0")
    entries: list[str] = []
    i = 0
    while i < len(fields):
        record = fields[i]
        i += 1
        if not record:
            continue
        text = os.fsdecode(record)
        if text[:1] in ("R", "C") or text[1:2] in ("R", "C"):
            source = os.fsdecode(fields[i]) if i < len(fields) else "?"
            i += 1
            text = f"{text} (from {source})"
        entries.append(text)
    return entries


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
        porcelain = _git(root, "status", "--porcelain", "-z", "--untracked-files=all")
        tracked = [os.fsdecode(p) for p in _git(root, "ls-files", "-z").split(b"\0") if p]
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
        assert_unchanged(self, later if later is not None else WorktreeSnapshot.take(self.repo))


def assert_unchanged(before: WorktreeSnapshot, after: WorktreeSnapshot) -> None:
    """Raise ``WorktreeChanged`` (an ``AssertionError``) when the two snapshots differ."""
    changes = before.changes_since(after)
    if changes:
        raise WorktreeChanged(before.repo, changes)


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A real git repository (branch ``main``, one commit of ``README.md``); its resolved path."""
    return make_git_repo(tmp_path / "repo")


@pytest.fixture
def worktree_snapshot(git_repo: Path) -> WorktreeSnapshot:
    """A snapshot of ``git_repo`` taken before the test body; call ``.assert_unchanged()``."""
    return WorktreeSnapshot.take(git_repo)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixture='git_repo', side_channels=(), mode='enforce', allow_subprocess=False):"
        " run the test body inside kitty_fs.read_scope for the repository the named fixture"
        " returns (a path or a ReadContext); mode='report' runs the body to the end and then"
        " fails the test listing every write attempt",
    )


def _marker_fixture(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return None
    name = marker.kwargs.get("fixture", "git_repo")
    if not isinstance(name, str):
        raise pytest.UsageError(f"{item.nodeid}: {MARKER}(fixture=...) takes a fixture name")
    return name


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Request the repository fixture for marked tests that do not ask for it
    # themselves, so it is set up (outside the scope) with the other fixtures.
    for item in items:
        name = _marker_fixture(item)
        if name is not None and isinstance(item, pytest.Function) and name not in item.fixturenames:
            item.fixturenames.append(name)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    name = _marker_fixture(pyfuncitem)
    if name is None:
        return (yield)
    from kitty_fs._context import ReadContext, read_context
    from kitty_fs._guard import read_scope

    marker = pyfuncitem.get_closest_marker(MARKER)
    assert marker is not None
    options: dict[str, Any] = {k: v for k, v in marker.kwargs.items() if k != "fixture"}
    target = pyfuncitem.funcargs[name]
    ctx = (
        target
        if isinstance(target, ReadContext)
        else read_context(target, reason=f"pytest {pyfuncitem.nodeid}")
    )
    side_channels: Iterable[str | os.PathLike[str]] = options.pop("side_channels", ())
    with read_scope(ctx, side_channels=side_channels, **options) as scope:
        result = yield
    if scope.violations:
        lines = "\n".join(f"  {v.describe()}" for v in scope.violations)
        pytest.fail(
            f"{len(scope.violations)} write attempt(s) inside {ctx.root} in a read scope:\n{lines}",
            pytrace=False,
        )
    return result
