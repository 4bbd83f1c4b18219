"""The runtime guard against real files: every write route, in and out of the root.

The matrix runs each write route four ways: enforce mode inside the root
(refused, nothing on disk changed, the attempt recorded), report mode inside
the root (the write happens and is recorded), outside the root and inside a
named side channel below the root (both pass silently). Reads of every kind
pass. Threads, subprocesses, nesting, bytecode caches, messages and the hook
function itself (invisible to coverage when called by the interpreter) have
tests of their own.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gzip
import io
import logging
import mmap
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from _fs_repo import CONFIG_PATH
from guard_support import populate, sources, tree, with_dir_fd

import kitty_fs
from kitty_fs import GuardScope, WriteViolation, read_context, read_scope
from kitty_fs._guard import active_scopes, audit_hook, hook_installed
from kitty_fs.pytest_plugin import WorktreeSnapshot

pytest_plugins = ["guard_fixtures"]
pytestmark = pytest.mark.usefixtures("no_scope_leaks")


class Route(NamedTuple):
    """A way to write: ``act(base, src)`` writes below ``base``; ``rel`` is what it touches."""

    name: str
    act: Callable[[Path, Path], object]
    rel: str


def _with_read_fd(path: Path, use: Callable[[int], object]) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        use(fd)
    finally:
        os.close(fd)


def _close_fd(fd: int) -> None:
    os.close(fd)


def _ftruncate(fd: int) -> None:
    # On a read-only descriptor the kernel refuses (EINVAL) after the hook has spoken.
    try:
        os.ftruncate(fd, 0)
    except WriteViolation:
        raise
    except OSError:
        pass


def _mkstemp(base: Path) -> None:
    fd, _name = tempfile.mkstemp(dir=base)
    os.close(fd)


def _sqlite(base: Path) -> None:
    with contextlib.closing(sqlite3.connect(base / "db.sqlite")) as db:
        db.execute("create table t (x)")


def _cwd_relative_open(base: Path) -> None:
    with contextlib.chdir(base):
        Path("rel.txt").write_text("relative to the cwd\n")


def _logging_handler(base: Path) -> None:
    handler = logging.FileHandler(base / "log.txt")
    handler.close()


def _zip(base: Path) -> None:
    with zipfile.ZipFile(base / "z.zip", "w") as archive:
        archive.writestr("x", "y")


ROUTES = [
    Route("open-w", lambda b, s: open(b / "new.txt", "w").close(), "new.txt"),
    Route("open-a", lambda b, s: open(b / "a.txt", "a").close(), "a.txt"),
    Route("open-r+", lambda b, s: open(b / "a.txt", "r+").close(), "a.txt"),
    Route("open-x", lambda b, s: open(b / "new.txt", "x").close(), "new.txt"),
    Route("io.open-wb", lambda b, s: io.open(b / "a.txt", "wb").close(), "a.txt"),  # noqa: UP020
    Route("Path.open-w", lambda b, s: (b / "a.txt").open("w").close(), "a.txt"),
    Route("cwd-relative", lambda b, s: _cwd_relative_open(b), "rel.txt"),
    Route(
        "os.open-creat",
        lambda b, s: _close_fd(os.open(b / "new.txt", os.O_WRONLY | os.O_CREAT)),
        "new.txt",
    ),
    Route("os.open-rdwr", lambda b, s: _close_fd(os.open(b / "a.txt", os.O_RDWR)), "a.txt"),
    Route("os.open-append", lambda b, s: _close_fd(os.open(b / "a.txt", os.O_APPEND)), "a.txt"),
    Route(
        "os.open-trunc",
        lambda b, s: _close_fd(os.open(b / "a.txt", os.O_RDONLY | os.O_TRUNC)),
        "a.txt",
    ),
    Route(
        "os.open-dir_fd",
        lambda b, s: with_dir_fd(
            b, lambda fd: _close_fd(os.open("new.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
        ),
        "new.txt",
    ),
    Route("os.rename", lambda b, s: os.rename(b / "a.txt", b / "moved.txt"), "moved.txt"),
    Route(
        "os.rename-dir_fd",
        lambda b, s: with_dir_fd(
            b, lambda fd: os.rename("a.txt", "moved.txt", src_dir_fd=fd, dst_dir_fd=fd)
        ),
        "moved.txt",
    ),
    Route("os.replace", lambda b, s: os.replace(b / "b.txt", b / "a.txt"), "a.txt"),
    Route("os.replace-in", lambda b, s: os.replace(s / "s.txt", b / "in.txt"), "in.txt"),
    Route("os.renames", lambda b, s: os.renames(b / "a.txt", b / "x" / "y.txt"), "x"),
    Route("os.remove", lambda b, s: os.remove(b / "a.txt"), "a.txt"),
    Route("os.unlink", lambda b, s: os.unlink(b / "a.txt"), "a.txt"),
    Route(
        "os.remove-dir_fd",
        lambda b, s: with_dir_fd(b, lambda fd: os.remove("a.txt", dir_fd=fd)),
        "a.txt",
    ),
    Route("os.mkdir", lambda b, s: os.mkdir(b / "newdir"), "newdir"),
    Route(
        "os.mkdir-dir_fd",
        lambda b, s: with_dir_fd(b, lambda fd: os.mkdir("newdir", dir_fd=fd)),
        "newdir",
    ),
    Route("os.makedirs", lambda b, s: os.makedirs(b / "n1" / "n2"), "n1"),
    Route("os.rmdir", lambda b, s: os.rmdir(b / "e"), "e"),
    Route("os.removedirs", lambda b, s: os.removedirs(b / "e2" / "sub"), "e2/sub"),
    Route("os.chmod", lambda b, s: os.chmod(b / "a.txt", 0o600), "a.txt"),
    Route(
        "os.fchmod",
        lambda b, s: _with_read_fd(b / "a.txt", lambda fd: os.fchmod(fd, 0o600)),
        "a.txt",
    ),
    Route("os.chown", lambda b, s: os.chown(b / "a.txt", os.getuid(), os.getgid()), "a.txt"),
    Route("os.utime", lambda b, s: os.utime(b / "a.txt", ns=(1, 1)), "a.txt"),
    Route("os.truncate", lambda b, s: os.truncate(b / "a.txt", 0), "a.txt"),
    Route("os.ftruncate", lambda b, s: _with_read_fd(b / "a.txt", _ftruncate), "a.txt"),
    Route("os.link", lambda b, s: os.link(s / "s.txt", b / "hard.txt"), "hard.txt"),
    Route("os.symlink", lambda b, s: os.symlink(s / "s.txt", b / "sym.txt"), "sym.txt"),
    Route("os.setxattr", lambda b, s: os.setxattr(b / "a.txt", "user.k", b"v"), "a.txt"),
    Route("shutil.copyfile", lambda b, s: shutil.copyfile(s / "s.txt", b / "c.txt"), "c.txt"),
    Route("shutil.copy", lambda b, s: shutil.copy(s / "s.txt", b / "c.txt"), "c.txt"),
    Route("shutil.copy2", lambda b, s: shutil.copy2(s / "s.txt", b / "c.txt"), "c.txt"),
    Route("shutil.copytree", lambda b, s: shutil.copytree(s / "tree", b / "t"), "t"),
    Route("shutil.move", lambda b, s: shutil.move(b / "a.txt", b / "d"), "d"),
    Route("shutil.move-in", lambda b, s: shutil.move(s / "s.txt", b / "m.txt"), "m.txt"),
    Route("shutil.rmtree", lambda b, s: shutil.rmtree(b / "d"), "d"),
    Route("tempfile.mkstemp", lambda b, s: _mkstemp(b), "tmp*"),
    Route("tempfile.mkdtemp", lambda b, s: tempfile.mkdtemp(dir=b), "tmp*"),
    Route(
        "tempfile.NamedTemporaryFile",
        lambda b, s: tempfile.NamedTemporaryFile(dir=b).close(),
        ".",
    ),
    Route("tempfile.TemporaryFile", lambda b, s: tempfile.TemporaryFile(dir=b).close(), "."),
    Route("Path.write_text", lambda b, s: (b / "a.txt").write_text("x"), "a.txt"),
    Route("Path.write_bytes", lambda b, s: (b / "new.bin").write_bytes(b"x"), "new.bin"),
    Route("Path.touch-new", lambda b, s: (b / "t.txt").touch(), "t.txt"),
    Route("Path.touch-existing", lambda b, s: (b / "a.txt").touch(), "a.txt"),
    Route("Path.mkdir", lambda b, s: (b / "pm" / "q").mkdir(parents=True), "pm/q"),
    Route("Path.unlink", lambda b, s: (b / "a.txt").unlink(), "a.txt"),
    Route("Path.rename", lambda b, s: (b / "a.txt").rename(b / "r.txt"), "r.txt"),
    Route("Path.replace", lambda b, s: (b / "a.txt").replace(b / "b.txt"), "b.txt"),
    Route("Path.rmdir", lambda b, s: (b / "e").rmdir(), "e"),
    Route("Path.chmod", lambda b, s: (b / "a.txt").chmod(0o600), "a.txt"),
    Route("Path.symlink_to", lambda b, s: (b / "ln").symlink_to(s / "s.txt"), "ln"),
    Route("Path.hardlink_to", lambda b, s: (b / "hl").hardlink_to(s / "s.txt"), "hl"),
    Route("sqlite3.connect", lambda b, s: _sqlite(b), "db.sqlite"),
    Route("gzip.open", lambda b, s: gzip.open(b / "g.gz", "wb").close(), "g.gz"),
    Route("zipfile", lambda b, s: _zip(b), "z.zip"),
    Route("logging.FileHandler", lambda b, s: _logging_handler(b), "log.txt"),
]
assert len({route.name for route in ROUTES}) == len(ROUTES) >= 25


class Layout(NamedTuple):
    root: Path
    outside: Path
    state: Path
    src: Path


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    root = populate(tmp_path / "repo")
    state = populate(root / ".state")
    outside = populate(tmp_path / "outside")
    return Layout(root, outside, state, sources(tmp_path / "src"))


def _scope(root: Path, **options: object) -> GuardScope:
    return read_scope(read_context(root, reason="sync status"), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_enforce_refuses_the_write_and_nothing_changes(layout: Layout, route: Route) -> None:
    before = tree(layout.root)
    with _scope(layout.root) as scope, pytest.raises(WriteViolation) as caught:
        route.act(layout.root, layout.src)
    assert tree(layout.root) == before
    assert caught.value.reason == "sync status"
    assert "sync status" in str(caught.value)
    assert scope.violations, "a refused write is recorded too"
    assert all(v.blocked and v.kind == "write" for v in scope.violations)
    assert fnmatch.filter([v.rel for v in scope.violations], route.rel)


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_report_records_the_write_and_lets_it_happen(layout: Layout, route: Route) -> None:
    with _scope(layout.root, mode="report") as scope:
        route.act(layout.root, layout.src)
    assert scope.violations
    assert not any(v.blocked for v in scope.violations)
    assert fnmatch.filter([v.rel for v in scope.violations], route.rel)
    first = scope.violations[0]
    assert first.reason == "sync status"
    assert first.path.startswith(str(layout.root))
    assert any(frame.file == __file__ for frame in first.frames), first.frames


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_writes_outside_the_root_pass(layout: Layout, route: Route) -> None:
    with _scope(layout.root) as scope:
        route.act(layout.outside, layout.src)
    assert scope.violations == ()


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_writes_in_a_side_channel_below_the_root_pass(layout: Layout, route: Route) -> None:
    with _scope(layout.root, side_channels=[layout.state]) as scope:
        route.act(layout.state, layout.src)
    assert scope.violations == ()


def test_reads_of_every_kind_pass(layout: Layout, git_repo: Path, tmp_path: Path) -> None:
    root = git_repo
    populate(root / "data")
    (root / ".kittify").mkdir()
    (root / ".kittify" / "config.yaml").write_text("project:\n  uuid: x\n")
    with zipfile.ZipFile(root / "data" / "z.zip", "w") as archive:
        archive.writestr("member", "content")
    link = root / "data" / "link"
    link.symlink_to("a.txt")
    with sqlite3.connect(root / "data" / "db.sqlite") as db:
        db.execute("create table t (x)")
    db.close()
    data = root / "data"
    before = WorktreeSnapshot.take(root)
    inside = tree(root / "data")
    ctx = read_context(root, reason="tracker status")
    with read_scope(ctx) as scope:
        with open(data / "a.txt") as text, open(data / "a.txt", "rb") as raw:
            assert (text.read(), raw.read()) == ("alpha\n", b"alpha\n")
        with io.open(data / "a.txt", encoding="utf-8") as via_io:  # noqa: UP020
            assert via_io.read() == "alpha\n"
        assert (data / "a.txt").read_text() == "alpha\n"
        assert (data / "a.txt").read_bytes() == b"alpha\n"
        fd = os.open(data / "a.txt", os.O_RDONLY)
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mapped:
            assert mapped[:5] == b"alpha"
        os.close(fd)
        dir_fd = os.open(data, os.O_RDONLY | os.O_DIRECTORY)
        os.close(os.open("a.txt", os.O_RDONLY, dir_fd=dir_fd))
        os.close(dir_fd)
        assert os.stat(data / "a.txt").st_size == 6
        assert os.lstat(link).st_size == 5
        assert os.readlink(link) == "a.txt"
        assert os.access(data / "a.txt", os.W_OK)
        assert "a.txt" in os.listdir(data)
        assert any(entry.name == "d" for entry in os.scandir(data))
        assert any("f.txt" in files for _dirpath, _dirs, files in os.walk(root))
        assert sorted(p.name for p in data.glob("*.txt")) == ["a.txt", "b.txt"]
        assert list(data.rglob("f.txt"))
        assert data.exists() and data.is_dir() and link.is_symlink() and link.resolve().exists()
        with zipfile.ZipFile(data / "z.zip") as archive:
            assert archive.read("member") == b"content"
        uri = f"file:{data / 'db.sqlite'}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as ro:
            assert ro.execute("select count(*) from t").fetchone() == (0,)
        shutil.copyfile(data / "a.txt", tmp_path / "copied-out.txt")
        shutil.copytree(data / "d", tmp_path / "tree-out")
        with tempfile.TemporaryFile() as scratch:  # the temp dir lies outside the root
            scratch.write(b"fine")
        assert ctx.read_text("data/a.txt") == "alpha\n"
        assert ctx.listdir("data")
        assert kitty_fs.load_config(ctx, CONFIG_PATH).section("project") is not None
        status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True)
        assert status.returncode == 0
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True)
        assert head.returncode == 0 and len(head.stdout.strip()) == 40
        assert (
            subprocess.run("git status", shell=True, cwd=root, capture_output=True).returncode == 0
        )
        WorktreeSnapshot.take(root)  # the snapshot helper itself is a read
    assert scope.violations == ()
    assert tree(root / "data") == inside
    before.assert_unchanged()


def test_a_worker_thread_started_inside_the_scope_is_caught(layout: Layout) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            (layout.root / "from-thread.txt").write_text("nope")
        except BaseException as exc:
            errors.append(exc)

    with _scope(layout.root) as scope:
        worker = threading.Thread(target=work, name="worker-7")
        worker.start()
        worker.join()
    assert len(errors) == 1 and isinstance(errors[0], WriteViolation)
    assert not (layout.root / "from-thread.txt").exists()
    assert [v.thread for v in scope.violations] == ["worker-7"]


def test_a_thread_pool_write_is_caught_in_report_mode(layout: Layout) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with _scope(layout.root, mode="report") as scope, ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda i: (layout.root / f"p{i}.txt").write_text("x"), range(4)))
    assert sorted(v.rel for v in scope.violations) == [f"p{i}.txt" for i in range(4)]


@pytest.mark.parametrize(
    "argv",
    [
        ["git", "add", "README.md"],
        ["git", "commit", "--allow-empty", "-m", "no"],
        ["git", "checkout", "--", "README.md"],
        ["git", "-c", "core.pager=touch x", "log"],
        ["git", "log", "--output=out.txt"],
        ["touch", "made-by-touch.txt"],
        [sys.executable, "-c", "pass"],
    ],
    ids=lambda argv: " ".join(Path(a).name for a in argv[:3]),
)
def test_mutating_and_non_git_subprocesses_are_caught(git_repo: Path, argv: list[str]) -> None:
    (git_repo / "README.md").write_text("edited\n")
    before = WorktreeSnapshot.take(git_repo)
    index = (git_repo / ".git" / "index").read_bytes()
    with _scope(git_repo) as scope, pytest.raises(WriteViolation) as caught:
        subprocess.run(argv, cwd=git_repo, capture_output=True)
    before.assert_unchanged()
    assert (git_repo / ".git" / "index").read_bytes() == index
    assert "subprocess" in str(caught.value) and argv[1] in str(caught.value)
    assert scope.violations[0].kind == "subprocess"
    assert scope.violations[0].path == str(git_repo)


@pytest.mark.parametrize(
    "run",
    [
        lambda cwd: os.system(f"touch {cwd}/sys.txt"),
        lambda cwd: os.posix_spawn("/bin/touch", ["touch", f"{cwd}/sp.txt"], os.environ),
        lambda cwd: subprocess.run(f"touch {cwd}/sh.txt", shell=True),
        lambda cwd: subprocess.run(f"git status > {cwd}/redirected.txt", shell=True),
    ],
    ids=["os.system", "os.posix_spawn", "shell", "shell-redirect"],
)
def test_other_process_routes_are_caught(git_repo: Path, run: Callable[[Path], object]) -> None:
    before = WorktreeSnapshot.take(git_repo)
    with _scope(git_repo), pytest.raises(WriteViolation):
        run(git_repo)
    before.assert_unchanged()


def test_allow_subprocess_lets_a_program_run(git_repo: Path) -> None:
    with _scope(git_repo, allow_subprocess=True) as scope:
        assert subprocess.run(["true"]).returncode == 0
    assert scope.violations == ()


def test_violation_message_names_operation_path_command_and_fix(layout: Layout) -> None:
    config = layout.root / ".kittify" / "config.yaml"
    config.parent.mkdir()
    with _scope(layout.root), pytest.raises(WriteViolation) as caught:
        config.write_text("project: {}\n")
    assert str(caught.value) == (
        "kitty-fs: read command 'sync status' tried to write .kittify/config.yaml "
        "(open for writing, mode 'w'); read paths cannot persist: take a WriteContext at a "
        "write boundary (kitty_fs.write_boundary) or write to a side channel"
    )
    assert caught.value.operation == "open"
    assert caught.value.path == config
    assert isinstance(caught.value, PermissionError)


def test_a_swallowed_violation_is_still_recorded(layout: Layout) -> None:
    with _scope(layout.root) as scope, contextlib.suppress(OSError):  # "best effort" cache
        (layout.root / "cache.json").write_text("{}")
    assert not (layout.root / "cache.json").exists()
    assert [v.rel for v in scope.violations] == ["cache.json"]


def test_makedirs_exist_ok_on_an_existing_directory_still_works(layout: Layout) -> None:
    # Audit events are attempts: the mkdir is refused and recorded, and makedirs
    # swallows the OSError because the directory exists, as it would with EEXIST.
    with _scope(layout.root) as scope:
        os.makedirs(layout.root / "d", exist_ok=True)
    assert [v.rel for v in scope.violations] == ["d"]


def test_symlinks_are_resolved_both_ways(layout: Layout, tmp_path: Path) -> None:
    into_root = tmp_path / "into-root"
    into_root.symlink_to(layout.root / "a.txt")
    out_of_root = layout.root / "points-out"
    out_of_root.symlink_to(layout.outside / "a.txt")
    with _scope(layout.root) as scope:
        with pytest.raises(WriteViolation):
            into_root.write_text("through a link outside the root")
        with pytest.raises(WriteViolation):
            out_of_root.unlink()  # removing the link changes the root
        into_root.unlink()  # removing the outside link changes nothing inside
        out_of_root.write_text("the target lies outside")
    assert [v.rel for v in scope.violations] == ["a.txt", "points-out"]


def test_scopes_nest_and_every_active_scope_must_allow(layout: Layout, tmp_path: Path) -> None:
    other = populate(tmp_path / "other")
    with _scope(layout.root, side_channels=[layout.state], mode="report") as outer:
        (layout.state / "ok.txt").write_text("side channel")
        with _scope(layout.root) as inner:  # no side channel: narrower
            with pytest.raises(WriteViolation):
                (layout.state / "inner.txt").write_text("x")
            with _scope(other, mode="report") as third:
                with pytest.raises(WriteViolation):
                    (layout.root / "a.txt").write_text("x")
                (other / "o.txt").write_text("x")
            assert active_scopes() == (outer, inner)
        (layout.state / "after.txt").write_text("allowed again")
        (layout.root / "r.txt").write_text("recorded by the report scope")
    assert outer.violations[-1].rel == "r.txt" and not outer.violations[-1].blocked
    assert [v.rel for v in inner.violations] == [".state/inner.txt", "a.txt"]
    assert [v.rel for v in third.violations] == ["o.txt"]
    assert outer.violations[0].rel == "a.txt" and outer.violations[0].blocked


def test_threads_enter_their_own_scopes(layout: Layout, tmp_path: Path) -> None:
    other = populate(tmp_path / "other")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def command(root: Path, target: Path, name: str) -> None:
        with _scope(root, mode="report") as scope:
            barrier.wait()
            target.write_text("x")
            barrier.wait()
        outcomes[name] = sorted(v.rel for v in scope.violations)

    threads = [
        threading.Thread(target=command, args=(layout.root, layout.root / "1.txt", "one")),
        threading.Thread(target=command, args=(other, other / "2.txt", "two")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == {"one": ["1.txt"], "two": ["2.txt"]}


def test_bytecode_caches_are_kept_apart(layout: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.syspath_prepend(str(layout.root))
    (layout.root / "kfs_bc_report.py").write_text("VALUE = 1\n")
    (layout.root / "kfs_bc_enforce.py").write_text("VALUE = 2\n")
    with _scope(layout.root, mode="report") as scope:
        import kfs_bc_report  # type: ignore[import-not-found]
    assert kfs_bc_report.VALUE == 1
    assert scope.violations == ()
    assert scope.bytecode_writes and all(v.kind == "bytecode" for v in scope.bytecode_writes)
    shutil.rmtree(layout.root / "__pycache__")
    with _scope(layout.root) as scope:
        import kfs_bc_enforce  # type: ignore[import-not-found]
    assert kfs_bc_enforce.VALUE == 2  # the import went on without a cache
    assert not (layout.root / "__pycache__").exists()
    assert scope.violations == () and scope.bytecode_writes


def test_on_violation_is_called_as_it_happens(layout: Layout) -> None:
    seen: list[str] = []
    ctx = read_context(layout.root, reason="dashboard tick")
    with read_scope(ctx, mode="report", on_violation=lambda v: seen.append(v.describe())):
        (layout.root / "tick.txt").write_text("x")
    assert len(seen) == 1
    # The frame named is the first one outside the standard library (not pathlib's).
    assert seen[0].startswith(f"open for writing, mode 'w' tick.txt [recorded] at {__file__}:")


def test_scope_api(layout: Layout) -> None:
    scope = _scope(layout.root, side_channels=[layout.state, str(layout.state)])
    assert not scope.active and scope.side_channels == (layout.state,)
    with scope:
        assert scope.active and hook_installed() and active_scopes() == (scope,)
        assert "active=True" in repr(scope)
        with pytest.raises(RuntimeError), scope:
            pass
    assert not scope.active
    with pytest.raises(ValueError, match="mode"):
        _scope(layout.root, mode="warn")
    assert kitty_fs.GuardScope is GuardScope


def test_a_report_scope_survives_interpreter_shutdown(layout: Layout) -> None:
    """A scope never left (as in ``kitty-fs audit``) still reports writes made by atexit."""
    script = textwrap.dedent(
        f"""
        import atexit, pathlib, sys
        from kitty_fs import read_context, read_scope
        ctx = read_context({str(layout.root)!r}, reason="shutdown")
        scope = read_scope(ctx, mode="report", on_violation=lambda v: print("SEEN", v.rel))
        scope.__enter__()
        atexit.register(lambda: pathlib.Path({str(layout.root / "atexit.txt")!r}).write_text("x"))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "SEEN atexit.txt"


# --- the hook function called directly: coverage cannot see it when CPython calls it ---


def test_hook_returns_at_once_without_a_scope(layout: Layout) -> None:
    assert active_scopes() == ()
    flags = os.O_WRONLY | os.O_CREAT
    assert audit_hook("open", (str(layout.root / "x"), "w", flags)) is None
    assert audit_hook("os.remove", (str(layout.root / "a.txt"), -1)) is None


def test_hook_direct_calls_inside_a_scope(layout: Layout) -> None:
    root = str(layout.root)
    write = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    with _scope(layout.root, side_channels=[layout.state], mode="report") as scope:
        audit_hook("open", (f"{root}/a.txt", "r", os.O_RDONLY))
        audit_hook("open", (f"{root}/a.txt".encode(), "w", write))
        audit_hook("open", (Path(root, "b.txt"), None, write))
        audit_hook("open", (3, "w", write))  # wrapping a descriptor: not a creation
        audit_hook("open", (f"{root}/c.txt", "w", None))
        audit_hook("compile", (b"", "<x>"))
        audit_hook("os.rename", (f"{root}/.state/x", f"{root}/moved", -1, -1))
        audit_hook("os.rename", (f"{root}/.state/x", f"{root}/.state/y", -1, -1))
        audit_hook("os.chmod", (f"{root}/a.txt", 0o600, None))
        audit_hook("shutil.unpack_archive", ("/tmp/a.zip", None, "zip"))
        audit_hook("shutil.unpack_archive", ("/tmp/a.zip", root, "zip"))
        audit_hook("shutil.make_archive", (f"{root}/arch", "zip", None, None))
        audit_hook("sqlite3.connect", (":memory:",))
        audit_hook("sqlite3.connect", ("",))
        audit_hook("sqlite3.connect", (f"file:{root}/db?mode=ro",))
        audit_hook("sqlite3.connect", (f"file:{root}/db?immutable=1",))
        audit_hook("sqlite3.connect", (f"file:{root}/db2?cache=shared",))
        audit_hook("sqlite3.connect", (Path(root, "db3").as_posix().encode(),))
        audit_hook("subprocess.Popen", ("git", ["git", "status"], None, None))
        audit_hook("subprocess.Popen", ("git", ["git", "push"], root, None))
        audit_hook("os.system", (b"git rev-parse HEAD",))
        audit_hook("os.system", (b"rm -rf /",))
        audit_hook("os.exec", ("/usr/bin/git", ["git", "gc"], {}))
        audit_hook("os.posix_spawn", ("/usr/bin/git", ("git", "log"), {}))
        audit_hook("os.spawn", (0, "/bin/ls", ["ls"], {}))
        audit_hook("os.fork", ())
    assert [v.rel for v in scope.violations] == [
        "a.txt",
        "b.txt",
        "c.txt",
        "moved",
        "a.txt",
        ".",
        "arch",
        "db2",
        "db3",
        "git push",
        "rm -rf /",
        "git gc",
        "ls",
    ]
    assert scope.violations[9].path == root


def test_hook_leaves_unknown_descriptors_alone(layout: Layout) -> None:
    with _scope(layout.root) as scope:
        audit_hook("os.chmod", (987654, 0o600, -1))  # not an open descriptor
        audit_hook("os.remove", (object(), -1))  # not a path at all
    assert scope.violations == ()


def test_relative_os_open_with_unknown_dir_fd(layout: Layout, tmp_path: Path) -> None:
    # os.open's event carries no dir_fd: a relative write is checked against the cwd
    # and against open directory descriptors below the root.
    flags = os.O_WRONLY | os.O_CREAT
    fd = os.open(layout.root / "d", os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.chdir(tmp_path), _scope(layout.root, mode="report") as scope:
            audit_hook("open", ("f.txt", None, flags))  # d/f.txt exists via the descriptor
            audit_hook("open", ("nowhere/f.txt", None, flags))  # no such directory anywhere
    finally:
        os.close(fd)
    assert [v.rel for v in scope.violations] == ["d/f.txt"]
