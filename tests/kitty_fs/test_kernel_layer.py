"""What the dispatcher's kernel layer leaves writable for a scoped write: the scope, and
exactly the places where ``kitty_fs._scratch`` puts the scope's temp and lock files.

Computed, not applied (applying Landlock would restrict the pytest worker for
good): the end-to-end proof, with the real ``spec-kitty`` under the kernel, is
``tests/cli/test_cli_kernel_scratch.py``. Three layouts: a repository on one
filesystem (everything in ``<git-dir>/kitty-fs``), a linked worktree on disk whose
repository is on tmpfs (temp files in ``.kitty-fs-scratch`` above the worktree),
and no repository at all (temp files beside the target, inside the scope; locks
in the temp dir). Hypothesis varies the scope patterns: whatever they are, no
place lies in the worktree outside its git directory, none contains the
worktree, and each is one of the few ``_scratch`` names.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from git_support import git
from hypothesis import given, settings
from hypothesis import strategies as st
from tmpfs_support import tmpfs_dir

from kitty_fs._scope import WriteScope
from kitty_fs._scratch import find_git_dir, lock_path_for, temp_dir_for
from kitty_fs.commands._kernel_layer import scratch_paths_for
from kitty_fs.testing import make_git_repo

_FILES = {
    "README.md": "demo\n",
    "kitty-specs/001-a/spec.md": "# a\n",
    "kitty-specs/001-a/status.events.jsonl": "{}\n",
}


@pytest.fixture(scope="module")
def same_fs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_git_repo(tmp_path_factory.mktemp("same") / "repo", _FILES)


@pytest.fixture(scope="module")
def cross_fs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A linked worktree on disk whose repository (git dir) is on /dev/shm."""
    holder = tmp_path_factory.mktemp("cross")
    with tmpfs_dir(holder) as base:
        repo = make_git_repo(base / "repo", _FILES)
        git(repo, "worktree", "add", "-q", "-b", "on-disk", os.fspath(holder / "wt"))
        yield (holder / "wt").resolve()


@pytest.fixture(scope="module")
def no_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plain = tmp_path_factory.mktemp("plain")
    for rel, text in _FILES.items():
        (plain / rel).parent.mkdir(parents=True, exist_ok=True)
        (plain / rel).write_text(text)
    return plain.resolve()


def test_one_filesystem_needs_only_the_git_scratch_dir(same_fs: Path) -> None:
    scope = WriteScope.of(["kitty-specs/001-a", "kitty-specs/001-a/status.events.jsonl"])
    assert scratch_paths_for(same_fs, scope) == [same_fs / ".git" / "kitty-fs"]


def test_a_git_dir_on_another_filesystem_adds_the_scratch_dir_above_the_worktree(
    cross_fs: Path,
) -> None:
    scratch = cross_fs.parent / ".kitty-fs-scratch"
    git_dir = find_git_dir(cross_fs)
    assert git_dir is not None and not git_dir.is_relative_to(cross_fs.parent)
    places = scratch_paths_for(cross_fs, WriteScope.of(["kitty-specs/001-a"]))
    assert places == [scratch, git_dir / "kitty-fs"]
    assert scratch.is_dir()  # made now: once the ruleset is on, nothing could make it
    target = cross_fs / "kitty-specs" / "001-a" / "analysis.md"
    assert temp_dir_for(target) == scratch and lock_path_for(target).parent == git_dir / "kitty-fs"


def test_no_repository_keeps_temps_beside_the_target_and_locks_in_the_temp_dir(
    no_repo: Path,
) -> None:
    locks = Path(tempfile.gettempdir()) / f"kitty-fs-locks-{os.getuid()}"
    assert scratch_paths_for(no_repo, WriteScope.of(["kitty-specs/001-a"])) == [locks]
    # An existing single file: its directory would be the temp place; not opened (see the doc).
    one_file = WriteScope.of(["kitty-specs/001-a/status.events.jsonl"])
    assert scratch_paths_for(no_repo, one_file) == [locks]


_SEGMENTS = st.sampled_from(
    ["kitty-specs", "001-a", "002-new", "*", "*.md", "status.events.jsonl", "spec.md", "x"]
)
_PATTERNS = st.lists(
    st.lists(_SEGMENTS, min_size=1, max_size=4).map("/".join), min_size=1, max_size=4
)


@settings(max_examples=60, deadline=None)
@given(patterns=_PATTERNS)
def test_whatever_the_scope_no_place_opens_the_worktree(
    patterns: list[str], same_fs: Path, cross_fs: Path, no_repo: Path
) -> None:
    for root in (same_fs, cross_fs, no_repo):
        scope = WriteScope.of(patterns)
        git_dir = find_git_dir(root)
        for place in scratch_paths_for(root, scope):
            assert place.is_dir(), place
            assert not root.is_relative_to(place), f"{place} contains the worktree {root}"
            if place.is_relative_to(root):
                assert git_dir is not None and place == git_dir / "kitty-fs", place
            elif git_dir is not None:
                assert place in (git_dir / "kitty-fs", root.parent / ".kitty-fs-scratch"), place
            else:
                assert place.name == f"kitty-fs-locks-{os.getuid()}", place
