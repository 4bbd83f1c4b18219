"""Scoped write capabilities: attenuation in the manner of cap-std's ``Dir::open_dir``.

A ``ScopedWriteContext`` reads the whole root and writes only inside its
``WriteScope``; it is minted only by attenuating a capability that holds more,
narrows but never widens, and the guard enforces the same scope on raw writes.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kitty_fs import (
    MintError,
    ReadContext,
    ScopedWriteContext,
    ScopeViolation,
    WriteScope,
    WriteViolation,
    read_context,
    read_scope,
    write_boundary,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "kitty-specs" / "001-a").mkdir(parents=True)
    (tmp_path / "kitty-specs" / "002-b").mkdir(parents=True)
    (tmp_path / ".kittify").mkdir()
    (tmp_path / ".kittify" / "config.yaml").write_text("project: {}\n")
    return tmp_path


def _scoped(root: Path, *patterns: str) -> ScopedWriteContext:
    return write_boundary(root, reason="test").scoped(patterns)


# ------------------------------------------------------------------ WriteScope


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "non-empty"),
        ("/etc", "relative"),
        ("a/../b", "'..'"),
        ("kitty-specs/**", "'\\*\\*' is not supported"),
        (".", "whole root"),
        ("a\x00b", "NUL"),
    ],
)
def test_a_scope_pattern_must_name_a_part_of_the_root(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WriteScope.of([pattern])


def test_a_pattern_names_its_subtree_and_globs_stay_in_one_segment() -> None:
    scope = WriteScope.of(["kitty-specs/*/status.events.jsonl", "out"])
    assert scope.allows("kitty-specs/001-a/status.events.jsonl")
    assert scope.allows("out") and scope.allows("out/deep/file")
    assert not scope.allows("kitty-specs/001-a/spec.md")
    assert not scope.allows("kitty-specs")
    assert not scope.allows("outside") and not scope.allows(".kittify/config.yaml")
    assert scope.literal_prefixes() == ("kitty-specs", "out")


def test_a_glob_never_crosses_a_slash() -> None:
    scope = WriteScope.of(["kitty-specs/*/meta.json"])
    assert scope.allows("kitty-specs/001-a/meta.json")
    # The nested file is beneath kitty-specs/001-a/nested, which the pattern does not name.
    assert not scope.allows("kitty-specs/001-a/nested/meta.json")


_SEGMENT = st.text(alphabet="ab-.*", min_size=1, max_size=3).filter(
    lambda s: s not in (".", "..") and "**" not in s
)


@given(
    pattern=st.lists(_SEGMENT, min_size=1, max_size=3),
    path=st.lists(st.text(alphabet="ab-.", min_size=1, max_size=3), min_size=1, max_size=4),
)
def test_allows_is_a_segment_by_segment_prefix_match(pattern: list[str], path: list[str]) -> None:
    """The rule, restated independently: each pattern segment matches the path's segment."""
    if any(p in (".", "..") for p in path):
        return
    scope = WriteScope.of(["/".join(pattern)])
    expected = len(path) >= len(pattern) and all(
        fnmatch.fnmatchcase(part, glob) for part, glob in zip(path, pattern, strict=False)
    )
    assert scope.allows("/".join(path)) == expected


def test_within_accepts_narrowing_and_refuses_widening() -> None:
    wide = WriteScope.of(["kitty-specs/*"])
    assert WriteScope.of(["kitty-specs/001-a"]).within(wide)
    assert WriteScope.of(["kitty-specs/001-a/notes/x"]).within(wide)
    assert WriteScope.of(["kitty-specs/*/x"]).within(wide)
    assert not WriteScope.of(["kitty-specs"]).within(wide)
    assert not WriteScope.of([".kittify"]).within(wide)
    # A glob here could match more than a literal there.
    assert not WriteScope.of(["kitty-specs/*"]).within(WriteScope.of(["kitty-specs/001-a"]))


# ------------------------------------------------------------------ ScopedWriteContext


def test_a_scoped_context_writes_inside_its_scope(root: Path) -> None:
    ctx = _scoped(root, "kitty-specs/001-a")
    assert ctx.write_text("kitty-specs/001-a/analysis.md", "# a\n") is True
    ctx.append_text("kitty-specs/001-a/log.jsonl", "1\n")
    ctx.append_text("kitty-specs/001-a/log.jsonl", "2\n")
    ctx.mkdir("kitty-specs/001-a/notes/deep")
    ctx.remove("kitty-specs/001-a/analysis.md")
    assert (root / "kitty-specs/001-a/log.jsonl").read_text() == "1\n2\n"
    assert (root / "kitty-specs/001-a/notes/deep").is_dir()
    assert ctx.read_text(".kittify/config.yaml") == "project: {}\n"  # it reads everything
    assert ctx.can_write and ctx.allows("kitty-specs/001-a/x") and not ctx.allows("x")


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("write_text", (".kittify/config.yaml", "x")),
        ("write_bytes", ("kitty-specs/002-b/spec.md", b"x")),
        ("append_text", (".kittify/config.yaml", "x")),
        ("mkdir", ("kitty-specs/002-b/new",)),
        ("remove", (".kittify/config.yaml",)),
    ],
)
def test_a_scoped_context_refuses_everything_outside_and_changes_nothing(
    root: Path, method: str, args: tuple[object, ...]
) -> None:
    ctx = _scoped(root, "kitty-specs/001-a")
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    with pytest.raises(ScopeViolation, match="may write only kitty-specs/001-a") as caught:
        getattr(ctx, method)(*args)
    assert isinstance(caught.value, WriteViolation) and isinstance(caught.value, PermissionError)
    assert caught.value.path is not None
    assert (root / ".kittify/config.yaml").read_text() == "project: {}\n"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before


def test_missing_parents_outside_the_scope_are_refused(root: Path) -> None:
    ctx = _scoped(root, "new-top/inner")
    with pytest.raises(ScopeViolation, match="missing parent"):
        ctx.mkdir("new-top/inner")
    assert not (root / "new-top").exists()


def test_a_symlink_in_scope_cannot_reach_outside_it(root: Path) -> None:
    link = root / "kitty-specs" / "001-a" / "config-link"
    link.symlink_to(root / ".kittify" / "config.yaml")
    ctx = _scoped(root, "kitty-specs/001-a")
    with pytest.raises(ScopeViolation):
        ctx.write_text("kitty-specs/001-a/config-link", "pwned\n")
    ctx.remove("kitty-specs/001-a/config-link")  # the link itself is in scope: removable
    assert (root / ".kittify/config.yaml").read_text() == "project: {}\n"


def test_scoped_contexts_are_minted_only_by_attenuation(root: Path) -> None:
    ctx = _scoped(root, "kitty-specs/001-a")
    with pytest.raises(MintError, match="constructed directly"):
        ScopedWriteContext(root, "x", WriteScope.of(["a"]))
    with pytest.raises(MintError, match="re-scoped"):
        attrs.evolve(ctx, scope=WriteScope.of([".kittify"]))
    with pytest.raises(MintError, match="re-rooted"):
        attrs.evolve(ctx, root=root / "kitty-specs")
    with pytest.raises(MintError, match="cannot widen"):
        ctx.scoped(["kitty-specs"])
    narrower = ctx.scoped(["kitty-specs/001-a/notes"])
    assert narrower.scope.patterns == ("kitty-specs/001-a/notes",)
    assert type(ctx.read_only()) is ReadContext


# ------------------------------------------------------------------ the guard's write scope


def test_the_guard_lets_a_scope_through_and_refuses_the_rest(root: Path) -> None:
    scope = WriteScope.of(["kitty-specs/001-a"])
    with read_scope(read_context(root, reason="emit"), writable=scope) as guard:
        (root / "kitty-specs/001-a/raw.txt").write_text("inside\n")
        with pytest.raises(WriteViolation, match=r"may write only kitty-specs/001-a"):
            (root / ".kittify/config.yaml").write_text("tracker: {}\n")
        with pytest.raises(WriteViolation):
            os.mkdir(root / "kitty-specs/002-b/new")
    assert (root / "kitty-specs/001-a/raw.txt").read_text() == "inside\n"
    assert (root / ".kittify/config.yaml").read_text() == "project: {}\n"
    assert [v.rel for v in guard.violations] == [".kittify/config.yaml", "kitty-specs/002-b/new"]
