"""What each audit event means to the guard, where a scope ends, and how the hook behaves.

Grouped like the guard: what an event writes (flags, modes, event names,
``dir_fd``, symlinks, sqlite URIs, archives), which subprocess runs, where a
scope ends (prefixes, symlinked roots, ``/``), and the hook itself with
threads, re-entry, errors and interpreter shutdown. Which git command lines
pass is ``test_guard_git.py``. Many of these were written because the guard's
mutation check (``tools/guard_mutation/run_mutation.py``) showed a rule no
test noticed switched off; each kills at least one mutant.
Real files, real threads, real subprocesses; the hook is called directly only
for events this platform never raises (``os.chflags``, ``os.startfile``) or
arguments no real call produces.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest
from guard_support import populate, sources, tree, with_dir_fd

from kitty_fs import GuardScope, Violation, WriteViolation, read_context, read_scope
from kitty_fs._guard import audit_hook

pytest_plugins = ["guard_fixtures"]
pytestmark = pytest.mark.usefixtures("no_scope_leaks")


class Layout(NamedTuple):
    root: Path  # the guarded repository: a.txt, b.txt, d/f.txt, e/ and .state/ (side channel)
    outside: Path  # a sibling directory with the same files
    src: Path  # s.txt, tree/x.txt and an archive, outside the root


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    root = populate(tmp_path / "repo")
    populate(root / ".state")
    return Layout(root, populate(tmp_path / "outside"), sources(tmp_path / "src"))


def _scope(root: Path, **options: object) -> GuardScope:
    return read_scope(read_context(root, reason="mutants"), **options)  # type: ignore[arg-type]


def _refused(root: Path, act: Callable[[], object]) -> Violation:
    """Run ``act`` in an enforcing scope on ``root``: refused, nothing changed; the record."""
    before = tree(root)
    with _scope(root) as scope, pytest.raises(WriteViolation):
        act()
    assert tree(root) == before
    assert scope.violations and scope.violations[0].blocked
    return scope.violations[0]


def _with_dir_fd(base: Path, use: Callable[[int], object]) -> Callable[[], None]:
    """The act ``with_dir_fd(base, use)``, for ``_refused``."""
    return lambda: with_dir_fd(base, use)


# --- what an event writes: flags, modes, descriptors ---


def test_os_open_write_only_and_create_only_are_writes(layout: Layout) -> None:
    # O_WRONLY alone (no O_CREAT/O_TRUNC) overwrites in place; O_CREAT alone creates.
    existing, new = layout.root / "a.txt", layout.root / "new.txt"
    assert _refused(layout.root, lambda: os.open(existing, os.O_WRONLY)).rel == "a.txt"
    assert _refused(layout.root, lambda: os.open(new, os.O_RDONLY | os.O_CREAT)).rel == "new.txt"


def test_a_mode_string_decides_when_an_event_has_no_flags(layout: Layout) -> None:
    path = str(layout.root / "a.txt")
    with _scope(layout.root, mode="report") as scope:
        for mode in ("a", "x", "r+", "rb", "r"):
            audit_hook("open", (path, mode, None))
    assert [v.operation for v in scope.violations] == [
        "open for writing, mode 'a'",
        "open for writing, mode 'x'",
        "open for writing, mode 'r+'",
    ]


def test_wrapping_an_open_descriptor_is_not_a_new_write(layout: Layout) -> None:
    """``open(fd)`` / ``os.fdopen``: the guard checks where descriptors are made, not wrapped."""
    fd = os.open(layout.root / "a.txt", os.O_RDWR)
    try:
        with _scope(layout.root) as scope:
            with open(fd, "w", closefd=False) as handle:
                handle.write("through a descriptor opened at a boundary\n")
            with os.fdopen(fd, "a", closefd=False) as handle:
                handle.write("again\n")
    finally:
        os.close(fd)
    assert scope.violations == ()


@pytest.mark.skipif(not getattr(os, "O_TMPFILE", 0), reason="O_TMPFILE is Linux-only")
def test_an_anonymous_temporary_file_is_named_as_such(layout: Layout) -> None:
    with _scope(layout.root, mode="report") as scope:
        os.close(os.open(layout.root, os.O_TMPFILE | os.O_WRONLY))  # what TemporaryFile does
    assert [(v.operation, v.rel) for v in scope.violations] == [
        ("create an anonymous temporary file in", ".")
    ]


# --- each operation is reported under its own event ---


def _setxattr_then_remove(path: Path) -> Callable[[], None]:
    def act() -> None:
        os.removexattr(path, "user.kitty")

    os.setxattr(path, "user.kitty", b"v")
    return act


EVENT_ROUTES: list[tuple[str, Callable[[Layout], Callable[[], object]], str]] = [
    (
        "shutil.copyfile",
        lambda t: lambda: shutil.copyfile(t.src / "s.txt", t.root / "c.txt"),
        "c.txt",
    ),
    (
        "shutil.copymode",
        lambda t: lambda: shutil.copymode(t.src / "s.txt", t.root / "a.txt"),
        "a.txt",
    ),
    (
        "shutil.copystat",
        lambda t: lambda: shutil.copystat(t.src / "s.txt", t.root / "a.txt"),
        "a.txt",
    ),
    ("shutil.copytree", lambda t: lambda: shutil.copytree(t.src / "tree", t.root / "t"), "t"),
    ("shutil.move", lambda t: lambda: shutil.move(t.root / "a.txt", t.outside / "m.txt"), "a.txt"),
    ("shutil.chown", lambda t: lambda: shutil.chown(t.root / "a.txt", user=os.getuid()), "a.txt"),
    ("tempfile.mkstemp", lambda t: lambda: os.close(tempfile.mkstemp(dir=t.root)[0]), "tmp*"),
    ("tempfile.mkdtemp", lambda t: lambda: tempfile.mkdtemp(dir=t.root), "tmp*"),
    ("os.removexattr", lambda t: _setxattr_then_remove(t.root / "a.txt"), "a.txt"),
]


@pytest.mark.parametrize(("event", "make", "rel"), EVENT_ROUTES, ids=[r[0] for r in EVENT_ROUTES])
def test_each_operation_is_reported_under_its_own_event(
    layout: Layout, event: str, make: Callable[[Layout], Callable[[], object]], rel: str
) -> None:
    """The lower-level events (open, mkdir, chmod) catch these too; the record names the call."""
    act = make(layout)
    with _scope(layout.root, mode="report") as scope:
        act()
    mine = [v for v in scope.violations if v.event == event]
    assert mine, [(v.event, v.rel) for v in scope.violations]
    assert Path(mine[0].rel).match(rel)


def test_bsd_flag_events_are_writes(layout: Layout) -> None:
    path = str(layout.root / "a.txt")
    with _scope(layout.root, mode="report") as scope:
        audit_hook("os.chflags", (path, 0))
        audit_hook("os.lchflags", (path, 0))
    assert [(v.event, v.rel) for v in scope.violations] == [
        ("os.chflags", "a.txt"),
        ("os.lchflags", "a.txt"),
    ]


def test_one_attempt_is_one_record(layout: Layout) -> None:
    # Both names of a rename lie in the root: still one record, for the new name.
    with _scope(layout.root, mode="report") as scope:
        os.rename(layout.root / "a.txt", layout.root / "moved.txt")
    assert [v.rel for v in scope.violations] == ["moved.txt"]


# --- dir_fd: a relative name below a directory descriptor ---

DIR_FD_ROUTES: list[tuple[str, Callable[[Layout], Callable[[int], object]], str, str]] = [
    (
        "os.rename-src_dir_fd",
        lambda t: lambda fd: os.rename("a.txt", t.outside / "gone.txt", src_dir_fd=fd),
        "os.rename",
        "a.txt",
    ),
    ("os.rmdir", lambda t: lambda fd: os.rmdir("e", dir_fd=fd), "os.rmdir", "e"),
    ("os.chmod", lambda t: lambda fd: os.chmod("a.txt", 0o600, dir_fd=fd), "os.chmod", "a.txt"),
    (
        "os.chown",
        lambda t: lambda fd: os.chown("a.txt", os.getuid(), os.getgid(), dir_fd=fd),
        "os.chown",
        "a.txt",
    ),
    ("os.utime", lambda t: lambda fd: os.utime("a.txt", ns=(1, 1), dir_fd=fd), "os.utime", "a.txt"),
    (
        "os.link",
        lambda t: lambda fd: os.link(t.src / "s.txt", "hard.txt", dst_dir_fd=fd),
        "os.link",
        "hard.txt",
    ),
    (
        "os.symlink",
        lambda t: lambda fd: os.symlink(t.src / "s.txt", "sym.txt", dir_fd=fd),
        "os.symlink",
        "sym.txt",
    ),
    ("shutil.rmtree", lambda t: lambda fd: shutil.rmtree("d", dir_fd=fd), "shutil.rmtree", "d"),
]


@pytest.mark.parametrize(
    ("name", "make", "event", "rel"), DIR_FD_ROUTES, ids=[r[0] for r in DIR_FD_ROUTES]
)
def test_dir_fd_relative_writes_are_refused(
    layout: Layout,
    name: str,
    make: Callable[[Layout], Callable[[int], object]],
    event: str,
    rel: str,
) -> None:
    violation = _refused(layout.root, _with_dir_fd(layout.root, make(layout)))
    assert (violation.event, violation.rel) == (event, rel), name


# --- symlinks: through a link to its target, or the link itself ---


@pytest.fixture
def into_root(layout: Layout, tmp_path: Path) -> Path:
    """A symlink outside the root whose target, a.txt, lies inside."""
    link = tmp_path / "into-root"
    link.symlink_to(layout.root / "a.txt")
    return link


FOLLOW_ROUTES: list[tuple[str, Callable[[Path, Layout], object]]] = [
    ("os.chmod", lambda link, t: os.chmod(link, 0o600)),
    ("os.chown", lambda link, t: os.chown(link, os.getuid(), os.getgid())),
    ("os.utime", lambda link, t: os.utime(link, ns=(1, 1))),
    ("os.truncate", lambda link, t: os.truncate(link, 0)),
    ("os.setxattr", lambda link, t: os.setxattr(link, "user.kitty", b"v")),
    ("shutil.copyfile", lambda link, t: shutil.copyfile(t.src / "s.txt", link)),
]


@pytest.mark.parametrize(("event", "act"), FOLLOW_ROUTES, ids=[r[0] for r in FOLLOW_ROUTES])
def test_changes_through_a_symlink_outside_land_on_its_target(
    layout: Layout, into_root: Path, event: str, act: Callable[[Path, Layout], object]
) -> None:
    violation = _refused(layout.root, lambda: act(into_root, layout))
    assert (violation.event, violation.rel) == (event, "a.txt")


def test_renames_move_links_and_sources_not_targets(layout: Layout) -> None:
    points_out = layout.root / "points-out"
    points_out.symlink_to(layout.outside / "a.txt")
    root, outside = layout.root, layout.outside
    # onto a link in the root: the link is replaced (its target outside does not matter)
    onto = _refused(root, lambda: os.replace(outside / "b.txt", points_out))
    # the link itself moved out of the root
    away = _refused(root, lambda: os.rename(points_out, outside / "moved-link"))
    # a plain file moved out of the root: only the source lies inside
    out = _refused(root, lambda: os.rename(root / "a.txt", outside / "gone.txt"))
    assert [onto.rel, away.rel, out.rel] == ["points-out", "points-out", "a.txt"]


def test_a_path_through_a_symlinked_directory_is_resolved(layout: Layout, tmp_path: Path) -> None:
    dir_link = tmp_path / "d-link"
    dir_link.symlink_to(layout.root / "d")
    # os.remove keeps the last component, but its parent directories are resolved.
    assert _refused(layout.root, lambda: os.remove(dir_link / "f.txt")).rel == "d/f.txt"


def test_a_trailing_slash_names_the_directory_itself(layout: Layout) -> None:
    with _scope(layout.root, mode="report") as scope:
        os.rmdir(f"{layout.root}/e/")
    assert [v.rel for v in scope.violations] == ["e"]


def test_only_directory_descriptors_are_bases_for_a_relative_os_open(
    layout: Layout, tmp_path: Path
) -> None:
    # A file descriptor (opened first, lower number) is no base: "a.txt/f.txt" is not a path.
    flags = os.O_WRONLY | os.O_CREAT
    file_fd = os.open(layout.root / "a.txt", os.O_RDONLY)
    dir_fd = os.open(layout.root / "d", os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.chdir(tmp_path), _scope(layout.root, mode="report") as scope:
            audit_hook("open", ("f.txt", None, flags))
    finally:
        os.close(dir_fd)
        os.close(file_fd)
    assert [v.rel for v in scope.violations] == ["d/f.txt"]


# --- sqlite3 and unpack_archive ---


def test_sqlite_names_that_touch_no_file_in_the_root(layout: Layout) -> None:
    uri = f"file:{layout.root / 'mem.db'}?mode=memory"
    with contextlib.chdir(layout.root), _scope(layout.root) as scope:
        for name, uri_flag in [(":memory:", False), ("", False), (uri, True)]:
            with contextlib.closing(sqlite3.connect(name, uri=uri_flag)) as db:
                db.execute("create table t (x)")
    assert scope.violations == ()
    assert not (layout.root / "mem.db").exists()


def test_sqlite_uri_escapes_are_decoded(tmp_path: Path) -> None:
    root = populate(tmp_path / "my repo")
    uri = f"file:{quote(str(root / 'db.sqlite'))}?cache=shared"
    assert "%20" in uri
    violation = _refused(root, lambda: sqlite3.connect(uri, uri=True))
    assert violation.rel == "db.sqlite"


def test_unpack_archive_without_a_directory_unpacks_into_the_cwd(layout: Layout) -> None:
    def act() -> None:
        with contextlib.chdir(layout.root):
            shutil.unpack_archive(layout.src / "a.zip")

    violation = _refused(layout.root, act)
    assert (violation.event, violation.rel) == ("shutil.unpack_archive", ".")


# --- subprocesses ---


def test_the_executable_decides_not_argv0(git_repo: Path) -> None:
    touch = shutil.which("touch")
    assert touch is not None
    before = tree(git_repo)
    with _scope(git_repo) as scope, pytest.raises(WriteViolation):
        subprocess.run(["git", "status"], executable=touch, cwd=git_repo)
    assert tree(git_repo) == before
    assert scope.violations[0].kind == "subprocess"


def test_os_startfile_is_a_subprocess(layout: Layout) -> None:
    document = str(layout.root / "doc.txt")
    with _scope(layout.root, mode="report") as scope:
        audit_hook("os.startfile", (document, "open"))
    assert [(v.kind, v.event, v.rel) for v in scope.violations] == [
        ("subprocess", "os.startfile", document)
    ]


# --- where a scope ends ---


def test_a_sibling_named_like_the_root_is_outside(layout: Layout) -> None:
    sibling = populate(layout.root.parent / "repo-old")
    with _scope(layout.root) as scope:
        (sibling / "a.txt").write_text("not the repository\n")
    assert scope.violations == ()


def test_a_sibling_named_like_a_side_channel_is_inside(layout: Layout) -> None:
    state = layout.root / ".state"
    (layout.root / ".state-old").mkdir()
    with _scope(layout.root, side_channels=[state]) as scope, pytest.raises(WriteViolation):
        (layout.root / ".state-old" / "x.txt").write_text("x")
    assert [v.rel for v in scope.violations] == [".state-old/x.txt"]


def test_roots_and_side_channels_given_through_symlinks(layout: Layout, tmp_path: Path) -> None:
    root_link, state_link = tmp_path / "repo-link", tmp_path / "state-link"
    root_link.symlink_to(layout.root)
    state_link.symlink_to(layout.root / ".state")
    # GuardScope directly: read_context would resolve the root before the guard sees it.
    with GuardScope(root_link, "mutants", side_channels=[state_link]) as scope:
        (layout.root / ".state" / "ok.txt").write_text("side channel, by its real path\n")
        with pytest.raises(WriteViolation):
            (layout.root / "a.txt").write_text("the root, by its real path\n")
    assert [v.rel for v in scope.violations] == ["a.txt"]


def test_a_scope_on_the_filesystem_root_covers_everything() -> None:
    with _scope(Path(os.sep), mode="report") as scope:
        audit_hook("os.remove", (f"{os.sep}kitty-fs-nowhere{os.sep}x", -1))
    assert [v.rel for v in scope.violations] == ["kitty-fs-nowhere/x"]


# --- the hook: re-entry, threads, errors, shutdown ---


def test_a_callback_that_writes_is_not_checked_again(layout: Layout) -> None:
    """``on_violation`` runs inside the guard: its own write is not re-checked (no recursion)."""
    log = layout.root / "guard.log"

    def note(violation: Violation) -> None:
        with open(log, "a") as handle:
            handle.write(f"{violation.rel}\n")

    with _scope(layout.root, mode="report", on_violation=note) as scope:
        (layout.root / "x.txt").write_text("x")
    assert [v.rel for v in scope.violations] == ["x.txt"]
    assert log.read_text() == "x.txt\n"


def test_one_thread_inside_the_guard_does_not_blind_the_others(layout: Layout) -> None:
    inside, released = threading.Event(), threading.Event()

    def hold(violation: Violation) -> None:
        if violation.thread == "first":  # stay inside the guard until "second" has written
            inside.set()
            released.wait(timeout=60)

    def first() -> None:
        try:
            (layout.root / "first.txt").write_text("x")
        finally:
            inside.set()  # also when the guard never called back: "second" need not wait

    def second() -> None:
        try:
            inside.wait(timeout=60)
            (layout.root / "second.txt").write_text("x")
        finally:
            released.set()

    with _scope(layout.root, mode="report", on_violation=hold) as scope:
        threads = [threading.Thread(target=f, name=f.__name__) for f in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(v.rel for v in scope.violations) == ["first.txt", "second.txt"]


def test_an_event_the_guard_cannot_read_fails_closed(layout: Layout) -> None:
    with _scope(layout.root), pytest.raises(IndexError):
        audit_hook("os.spawn", (os.P_WAIT,))  # os.spawn's event carries (mode, path, args, env)


SHUTDOWN = """
import sys
from kitty_fs import read_context, read_scope

root, mode, holder = sys.argv[1:]
scope = read_scope(read_context(root, reason="shutdown"), mode=mode)
scope.__enter__()


class Late:
    # Deleted while the interpreter tears modules down (sys.is_finalizing() is true).
    def __init__(self, name):
        self.path = root + "/" + name

    def __del__(self, open=open):
        with open(self.path, "w") as handle:
            handle.write("x")


if holder == "sys":  # sys goes last: by then the guard's module globals are gone
    sys.kitty_late = Late("late.txt")
else:
    late = Late("late.txt")
"""


def _shutdown(root: Path, mode: str, holder: str) -> subprocess.CompletedProcess[str]:
    """Run SHUTDOWN: a scope never left, a write from a ``__del__`` during finalization."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SHUTDOWN), str(root), mode, holder],
        capture_output=True,
        text=True,
    )


def test_an_enforcing_scope_still_refuses_while_the_interpreter_shuts_down(layout: Layout) -> None:
    result = _shutdown(layout.root, "enforce", "main")
    assert result.returncode == 0, result.stderr
    assert not (layout.root / "late.txt").exists()
    assert "WriteViolation" in result.stderr


def test_a_report_scope_never_breaks_the_program_at_shutdown(layout: Layout) -> None:
    """Hooks run until the very end; the guard's failures there must not become the program's."""
    result = _shutdown(layout.root, "report", "sys")
    assert result.returncode == 0, result.stderr
    assert (layout.root / "late.txt").exists(), result.stderr
