"""Capabilities: a WriteContext comes only from write_boundary, and never from a ReadContext."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import attrs
import pytest

from kitty_fs import (
    ConfigParseError,
    KittyFsError,
    MintError,
    PathEscapeError,
    ReadContext,
    WriteContext,
    WriteViolation,
    read_context,
    write_boundary,
)

WRITE_METHODS = ("write_bytes", "write_text", "remove", "mkdir")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "file.txt").write_text("héllo\n", encoding="utf-8")
    return tmp_path


def test_constructing_a_write_context_directly_is_refused(root: Path) -> None:
    with pytest.raises(MintError, match="write_boundary"):
        WriteContext(root, "sneaky")
    with pytest.raises(MintError):
        WriteContext(root, "sneaky", _token=object())
    with pytest.raises(MintError):
        WriteContext(root, "sneaky", _token=None)
    # MintError is a TypeError: code that catches misuse of constructors still does.
    assert issubclass(MintError, TypeError)


def test_a_minted_token_does_not_carry_over_to_another_root(root: Path, tmp_path: Path) -> None:
    other = tmp_path / "sub"
    ctx = write_boundary(root, reason="init")
    with pytest.raises(MintError, match="re-rooted"):
        attrs.evolve(ctx, root=other)
    with pytest.raises(MintError):
        WriteContext(other, "sneaky", _token=ctx._token)
    # The same root under another reason is still the authority that was granted.
    renamed = attrs.evolve(ctx, reason="init --force")
    assert type(renamed) is WriteContext
    assert renamed.root == ctx.root


def test_evolving_a_read_context_stays_a_read_context(root: Path) -> None:
    ctx = read_context(root, reason="status")
    evolved = attrs.evolve(ctx, reason="other")
    assert type(evolved) is ReadContext
    assert evolved.reason == "other"
    with pytest.raises(TypeError):
        attrs.evolve(ctx, _token=object())  # type: ignore[call-arg]


def test_a_read_context_has_no_way_to_write(root: Path) -> None:
    ctx = read_context(root, reason="status")
    for name in WRITE_METHODS:
        assert not hasattr(ctx, name), name
    assert ctx.can_write is False
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ctx.root = Path("/")  # type: ignore[misc]
    # Slots and differing layouts: not even __class__ surgery turns it into a writer.
    with pytest.raises(TypeError):
        object.__setattr__(ctx, "__class__", WriteContext)
    assert type(ctx) is ReadContext


def test_read_only_gives_up_authority(root: Path) -> None:
    writer = write_boundary(root, reason="init")
    reader = writer.read_only()
    assert type(reader) is ReadContext
    assert writer.can_write is True
    assert (reader.root, reader.reason) == (writer.root, writer.reason)
    for name in WRITE_METHODS:
        assert not hasattr(reader, name)


def test_reads(root: Path) -> None:
    ctx = read_context(root, reason="status")
    assert ctx.root == Path(os.path.realpath(root))
    assert ctx.exists("sub/file.txt") and ctx.is_file("sub/file.txt") and ctx.is_dir("sub")
    assert not ctx.exists("nope")
    assert ctx.read_text("sub/file.txt") == "héllo\n"
    assert ctx.read_bytes("sub/file.txt") == "héllo\n".encode()
    assert ctx.listdir() == ["sub"]
    assert ctx.listdir("sub") == ["file.txt"]
    assert stat.S_ISREG(ctx.stat("sub/file.txt").st_mode)
    assert ctx.path() == ctx.root
    assert ctx.relative(ctx.path("sub/file.txt")) == "sub/file.txt"
    assert ctx.relative(Path("/elsewhere")) == "/elsewhere"


def test_writes(root: Path) -> None:
    ctx = write_boundary(root, reason="init")
    assert ctx.mkdir("new") == root / "new"
    assert ctx.write_text("new/deeper.txt", "x") is True
    assert (root / "new" / "deeper.txt").read_text() == "x"
    assert ctx.write_text("new/deeper.txt", "x") is False  # unchanged: nothing written
    assert ctx.write_bytes("sub/file.txt", b"replaced") is True
    assert (root / "sub" / "file.txt").read_bytes() == b"replaced"
    ctx.remove("new/deeper.txt")
    ctx.remove("new")
    assert not (root / "new").exists()
    with pytest.raises(KittyFsError, match="directory"):
        ctx.write_bytes("sub", b"x")


def test_contexts_need_a_real_root_and_a_reason(root: Path) -> None:
    with pytest.raises(KittyFsError, match="not a directory"):
        read_context(root / "sub" / "file.txt", reason="status")
    with pytest.raises(KittyFsError, match="not a directory"):
        write_boundary(root / "missing", reason="init")
    with pytest.raises(ValueError, match="reason"):
        read_context(root, reason="  ")
    with pytest.raises(ValueError, match="reason"):
        write_boundary(root, reason="")


def test_contexts_compare_by_root_and_reason(root: Path) -> None:
    assert read_context(root, reason="a") == read_context(root, reason="a")
    assert write_boundary(root, reason="a") == write_boundary(root, reason="a")
    assert hash(read_context(root, reason="a")) == hash(read_context(root, reason="a"))
    assert "_token" not in repr(write_boundary(root, reason="a"))


@pytest.mark.parametrize(
    "error",
    [
        MintError("minted", hint="use write_boundary"),
        PathEscapeError("escaped", path="/x", hint="stay inside"),
        ConfigParseError("/x:3: bad", path="/x", line=3, hint="fix it"),
        WriteViolation("refused", operation="open", path="/x/f", reason="status"),
    ],
)
def test_errors_survive_a_process_boundary(error: KittyFsError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__
