"""The pytest plugin: ``git_repo``, worktree snapshots and the ``kitty_read_scope`` marker.

Snapshots are checked directly against real repositories; the fixtures and the
marker through pytester, as a user's test suite would meet them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from git_support import git

from kitty_fs.pytest_plugin import (
    WorktreeChanged,
    WorktreeSnapshot,
    assert_unchanged,
    make_git_repo,
)

pytest_plugins = ["pytester"]


def test_git_repo_is_a_real_repository_with_one_commit(git_repo: Path) -> None:
    assert git_repo.is_absolute() and (git_repo / ".git").is_dir()
    assert git(git_repo, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(git_repo, "status", "--porcelain") == ""
    assert git(git_repo, "config", "--local", "user.email").strip() == "tests@kitty-fs.invalid"
    assert git(git_repo, "ls-files").split() == ["README.md"]
    (git_repo / "new.txt").write_text("x")
    git(git_repo, "add", "new.txt")
    git(git_repo, "commit", "-qm", "a second commit works without a global identity")


def test_make_git_repo_with_files(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "r", {"a/b.txt": "text", "bin": b"\x00\x01"})
    assert sorted(git(repo, "ls-files").split()) == ["a/b.txt", "bin"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = make_git_repo(
        tmp_path / "snap",
        {"a.txt": "a\n", "dir/b.txt": "b\n", "gone.txt": "soon gone\n", "link": "placeholder"},
    )
    (repo / "link").unlink()
    (repo / "link").symlink_to("a.txt")
    git(repo, "add", "link")
    git(repo, "commit", "-qm", "a symlink")
    return repo


def test_an_untouched_worktree_is_unchanged(repo: Path) -> None:
    before = WorktreeSnapshot.take(repo)
    (repo / "a.txt").read_text()
    before.assert_unchanged()
    assert_unchanged(before, WorktreeSnapshot.take(repo))
    assert before.changes_since(before) == []


def test_every_kind_of_change_is_named(repo: Path) -> None:
    before = WorktreeSnapshot.take(repo)
    (repo / "a.txt").write_text("changed\n")
    stat = (repo / "dir" / "b.txt").stat()
    os.utime(repo / "dir" / "b.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    (repo / "gone.txt").unlink()
    (repo / "untracked.txt").write_text("new\n")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    (repo / "link").unlink()
    (repo / "link").symlink_to("dir/b.txt")
    with pytest.raises(WorktreeChanged) as caught:
        before.assert_unchanged()
    changes = caught.value.changes
    assert "status now shows: ' M a.txt'" in changes
    assert "status now shows: ' D gone.txt'" in changes
    assert "status now shows: '?? untracked.txt'" in changes
    assert "status now shows: 'A  staged.txt'" in changes
    assert "staged.txt: now tracked" in changes
    assert "gone.txt: deleted" in changes
    assert any(c.startswith("a.txt: content changed (sha256 ") for c in changes)
    assert any(c.startswith("dir/b.txt: mtime_ns changed") for c in changes)
    assert not any(c.startswith("dir/b.txt: content") for c in changes)
    assert any(c.startswith("link: content changed") for c in changes)  # the link's target
    assert str(repo) in str(caught.value) and isinstance(caught.value, AssertionError)


def test_renames_and_status_changes_both_ways(repo: Path) -> None:
    (repo / "untracked.txt").write_text("there before\n")
    before = WorktreeSnapshot.take(repo)
    git(repo, "mv", "a.txt", "renamed.txt")
    (repo / "untracked.txt").unlink()
    after = WorktreeSnapshot.take(repo)
    changes = before.changes_since(after)
    assert "status now shows: 'R  renamed.txt (from a.txt)'" in changes
    assert "status no longer shows: '?? untracked.txt'" in changes
    assert "a.txt: no longer tracked" in changes
    assert "renamed.txt: now tracked" in changes


def test_snapshot_outside_git_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="git status"):
        WorktreeSnapshot.take(tmp_path)


def test_fixtures_and_snapshot_in_a_user_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pathlib import Path

        def test_clean(git_repo, worktree_snapshot):
            (git_repo / "README.md").read_text()
            worktree_snapshot.assert_unchanged()

        def test_dirty(git_repo, worktree_snapshot):
            (git_repo / "README.md").write_text("edited")
            (git_repo / "new.txt").write_text("new")
            worktree_snapshot.assert_unchanged()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*WorktreeChanged: worktree * changed (4 difference(s)):*",
            "*status now shows: ' M README.md'*",
            "*status now shows: '?? new.txt'*",
            "*README.md: content changed*",
        ]
    )


def test_marker_runs_the_body_under_the_guard(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import subprocess
        import pytest
        from kitty_fs import WriteViolation, read_context

        @pytest.fixture
        def seeded(git_repo):
            (git_repo / "seed.txt").write_text("fixtures run outside the scope")
            return git_repo

        @pytest.mark.kitty_read_scope
        def test_reads_pass(seeded):
            assert (seeded / "seed.txt").read_text()
            subprocess.run(["git", "status"], cwd=seeded, check=True, capture_output=True)

        @pytest.mark.kitty_read_scope
        def test_write_is_stopped(git_repo):
            (git_repo / "README.md").write_text("no")

        @pytest.mark.kitty_read_scope
        def test_repo_requested_implicitly(tmp_path):
            # git_repo is set up for the marker although the test does not ask for it
            (tmp_path / "repo" / "x.txt").write_text("no")

        @pytest.mark.kitty_read_scope
        def test_a_caught_refusal_still_fails(git_repo):
            with pytest.raises(WriteViolation):
                (git_repo / "cache.json").write_text("{}")

        @pytest.mark.kitty_read_scope(mode="report")
        def test_report_mode_lists_everything(git_repo):
            (git_repo / "one.txt").write_text("1")
            (git_repo / "two.txt").write_text("2")

        @pytest.mark.kitty_read_scope(side_channels=["/nonexistent-state"], allow_subprocess=True)
        def test_options_pass_through(git_repo):
            subprocess.run(["true"], check=True)

        @pytest.fixture
        def ctx(git_repo):
            return read_context(git_repo / ".git", reason="custom root")

        @pytest.mark.kitty_read_scope(fixture="ctx")
        def test_custom_fixture_returning_a_context(git_repo, ctx):
            (git_repo / "outside-the-custom-root.txt").write_text("fine")

        @pytest.mark.kitty_read_scope(fixture="ctx")
        def test_custom_fixture_write(ctx):
            (ctx.root / "x").write_text("no")

        @pytest.fixture
        def not_a_path():
            return 42

        @pytest.mark.kitty_read_scope(fixture="not_a_path")
        def test_bad_fixture(not_a_path):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-rf")
    result.assert_outcomes(passed=3, failed=6)
    result.stdout.fnmatch_lines_random(
        [
            "E *WriteViolation: kitty-fs: read command 'pytest *::test_write_is_stopped'"
            " tried to write README.md (open for writing, mode 'w'); read paths cannot persist*",
            "E *WriteViolation: * '*::test_repo_requested_implicitly' tried to write x.txt*",
            "*kitty_read_scope: the test body attempted 1 write(s) inside *",
            "*open for writing, mode 'w' cache.json [[]blocked[]] at *.py:*",
            "*kitty_read_scope: the test body attempted 2 write(s) inside *",
            "*open for writing, mode 'w' one.txt [[]recorded[]] at *.py:*",
            "*open for writing, mode 'w' two.txt [[]recorded[]] at *.py:*",
            "E *WriteViolation: kitty-fs: read command 'custom root' tried to write x *",
            "*kitty_read_scope needs fixture 'not_a_path' to return a path or a ReadContext, not*",
        ]
    )


def test_the_plugin_loads_through_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(git_repo):\n    assert git_repo.exists()\n")
    result = pytester.runpytest_subprocess("--markers", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["@pytest.mark.kitty_read_scope(fixture='git_repo'*"])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    plugins = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.metadata as m; print(m.entry_points(group='pytest11'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "kitty_fs.pytest_plugin" in plugins
