"""Confinement: every path a context takes stays below its root, for reads and writes alike."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePath

import pytest
from hypothesis import given, settings
from strategies import relative_paths

from kitty_fs import PathEscapeError, ReadContext, WriteContext, read_context, write_boundary
from kitty_fs._paths import confine


def build_tree(base: Path) -> tuple[Path, Path]:
    """``base/root`` full of links in and out, beside ``base/outside``; returns both, resolved."""
    base = Path(os.path.realpath(base))
    root, outside = base / "root", base / "outside"
    (root / "a" / "b").mkdir(parents=True)
    outside.mkdir()
    (root / "f").write_bytes(b"inside f\n")
    (root / "a" / "f").write_bytes(b"inside a/f\n")
    (outside / "secret").write_bytes(b"secret\n")
    links = {
        "in_dir": "a",
        "in_file": "a/f",
        "a/back": "../a",
        "out_dir": str(outside),
        "out_file": str(outside / "secret"),
        "up": "..",
        "loop": "loop2",
        "loop2": "loop",
        "dangling_in": "nothing_here",
        "dangling_out": "../nowhere",
        "abs_in": str(root / "a"),
    }
    for name, target in links.items():
        (root / name).symlink_to(target)
    return root, outside


def oracle(root: Path, rel: str) -> Path | None:
    """Where the kernel would take ``rel`` from ``root``: an independent, naive resolver.

    ``None`` for a symlink loop. Components that do not exist are taken
    lexically, as ``realpath`` does.
    """
    pending = list(reversed(rel.split("/")))
    current = root
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        step = current / part
        if step.is_symlink():
            hops += 1
            if hops > 40:
                return None
            target = os.readlink(step)
            if target.startswith("/"):
                current = Path("/")
            pending.extend(reversed(target.split("/")))
            continue
        current = step
    return current


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tree(tmp_path_factory.mktemp("confine"))


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[WriteContext, Path]:
    root, outside = build_tree(tmp_path)
    return write_boundary(root, reason="test-paths"), outside


@settings(max_examples=400, deadline=None)
@given(rel=relative_paths())
def test_a_path_is_refused_or_resolves_inside_the_root(tree: tuple[Path, Path], rel: str) -> None:
    root, _outside = tree
    if rel.startswith("/"):  # parts joined after an empty one: absolute, always refused
        with pytest.raises(PathEscapeError, match="absolute"):
            confine(root, rel)
        return
    expected = oracle(root, rel)
    try:
        got = confine(root, rel)
    except PathEscapeError as exc:
        # Refused: only when the kernel would leave the root (or cannot tell, in a loop).
        assert expected is None or not _inside(expected, root), f"{rel!r} refused: {exc}"
        assert repr(rel) in str(exc)
        return
    assert _inside(got, root), f"{rel!r} -> {got}"
    assert ".." not in got.parts
    assert expected is None or got == expected, f"{rel!r} -> {got}, kernel: {expected}"


@settings(max_examples=200, deadline=None)
@given(rel=relative_paths())
def test_without_following_the_last_link_a_path_still_stays_inside(
    tree: tuple[Path, Path], rel: str
) -> None:
    root, _outside = tree
    name = PurePath(rel).name
    try:
        got = confine(root, rel, follow_symlinks=False)
    except PathEscapeError:
        return
    assert _inside(got, root), f"{rel!r} -> {got}"
    if name not in ("", ".", ".."):
        # The last component is kept as written; its directory is resolved like any path.
        assert got.name == name
        parent = oracle(root, str(PurePath(rel).parent))
        assert parent is None or got.parent == parent


@pytest.mark.parametrize(
    "rel",
    [
        "/etc/passwd",
        "//etc",
        "../outside/secret",
        "a/../../outside/secret",
        "out_file",
        "out_dir/secret",
        "out_dir",
        "up",
        "up/outside/secret",
        "dangling_out",
        "in_dir/back/../../..",
        "loop/../f",
        "f\x00",
        "a/\x00/f",
    ],
)
def test_escapes_are_refused_for_every_read(tree: tuple[Path, Path], rel: str) -> None:
    root, _outside = tree
    ctx = read_context(root, reason="test-paths")
    reads: list[Callable[[str], object]] = [
        ctx.path,
        ctx.exists,
        ctx.is_file,
        ctx.is_dir,
        ctx.stat,
        ctx.read_bytes,
        ctx.read_text,
        ctx.listdir,
    ]
    for read in reads:
        with pytest.raises(PathEscapeError) as info:
            read(rel)
        assert isinstance(info.value, PermissionError)
        assert "\x00" in rel or repr(rel) in str(info.value)


@pytest.mark.parametrize(
    "rel",
    [
        "/tmp/kitty-fs-escape",
        "../escaped",
        "a/../../escaped",
        "out_file",
        "out_dir/new",
        "out_dir/secret",
        "up/escaped",
        "dangling_out",
        "new\x00file",
    ],
)
def test_escapes_are_refused_for_every_write(fresh: tuple[WriteContext, Path], rel: str) -> None:
    ctx, outside = fresh
    before = sorted(p.name for p in outside.parent.rglob("*"))
    secret = (outside / "secret").read_bytes()
    with pytest.raises(PathEscapeError):
        ctx.write_bytes(rel, b"x")
    with pytest.raises(PathEscapeError):
        ctx.write_text(rel, "x")
    with pytest.raises(PathEscapeError):
        ctx.mkdir(rel)
    if rel in ("out_file", "dangling_out"):
        # A link inside the root is the link's own name: removing it is allowed (below).
        pass
    else:
        with pytest.raises(PathEscapeError):
            ctx.remove(rel, missing_ok=True)
    assert sorted(p.name for p in outside.parent.rglob("*")) == before
    assert (outside / "secret").read_bytes() == secret
    assert not Path("/tmp/kitty-fs-escape").exists()


def test_links_that_stay_inside_are_followed(fresh: tuple[WriteContext, Path]) -> None:
    ctx, _outside = fresh
    assert ctx.read_bytes("in_file") == b"inside a/f\n"
    assert ctx.read_bytes("abs_in/f") == b"inside a/f\n"
    assert ctx.read_bytes("in_dir/back/back/f") == b"inside a/f\n"
    # "up" leaves the root, but "up/root" comes back in: what counts is where it lands.
    assert ctx.read_bytes("up/root/f") == b"inside f\n"
    assert ctx.path("in_dir/b/..") == ctx.root / "a"
    assert ctx.listdir("in_dir") == ["b", "back", "f"]
    ctx.write_bytes("in_dir/new", b"new\n")
    assert (ctx.root / "a" / "new").read_bytes() == b"new\n"
    ctx.mkdir("in_dir/b/c")
    assert (ctx.root / "a" / "b" / "c").is_dir()


def test_remove_takes_the_link_never_its_target(fresh: tuple[WriteContext, Path]) -> None:
    ctx, outside = fresh
    ctx.remove("out_file")
    ctx.remove("in_file")
    ctx.remove("dangling_out")
    assert not (ctx.root / "out_file").is_symlink()
    assert not (ctx.root / "in_file").is_symlink()
    assert (outside / "secret").read_bytes() == b"secret\n"
    assert (ctx.root / "a" / "f").read_bytes() == b"inside a/f\n"


def test_remove_handles_files_dirs_and_missing(fresh: tuple[WriteContext, Path]) -> None:
    ctx, _outside = fresh
    ctx.remove("f")
    ctx.remove("a/b")
    assert not (ctx.root / "f").exists()
    assert not (ctx.root / "a" / "b").exists()
    with pytest.raises(FileNotFoundError):
        ctx.remove("f")
    ctx.remove("f", missing_ok=True)
    for rel in (".", "", "a/.."):
        with pytest.raises(Exception, match="root"):
            ctx.remove(rel)
    assert ctx.root.is_dir()


def test_root_given_through_a_symlink_is_resolved(tmp_path: Path) -> None:
    root, _outside = build_tree(tmp_path)
    alias = tmp_path / "alias"
    alias.symlink_to(root)
    ctx = read_context(alias, reason="test-paths")
    assert ctx.root == root
    assert ctx.read_bytes("f") == b"inside f\n"
    assert isinstance(ctx, ReadContext)
    with pytest.raises(PathEscapeError):
        ctx.read_bytes("../outside/secret")


def test_path_objects_and_bytes(tree: tuple[Path, Path]) -> None:
    root, _outside = tree
    assert confine(root, PurePath("a") / "f") == root / "a" / "f"
    with pytest.raises(PathEscapeError):
        confine(root, Path("/") / "etc")
    with pytest.raises(TypeError):
        confine(root, b"a/f")  # type: ignore[arg-type]
