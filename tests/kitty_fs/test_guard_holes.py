"""The holes of issue 11 that the audit-hook layer closes, each in enforce and report mode.

Against real parts: SQLite files in WAL mode, real ``ATTACH``/``VACUUM INTO``,
real Unix sockets (and asyncio's server), real git repositories with a real
fsmonitor program smuggled in through the environment or ``-c include.path``,
and real multiprocessing pools (in a fresh interpreter each: a spawn child
re-imports the main module). Report mode shows each hole is real: the write
happens, and the guard recorded it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from guard_support import child_json

from kitty_fs import WriteViolation
from kitty_fs._guard import GuardMode, GuardScope

pytest_plugins = ["guard_fixtures"]
pytestmark = pytest.mark.usefixtures("no_scope_leaks")

MODES: list[GuardMode] = ["enforce", "report"]
HERE = Path(__file__).parent


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path.resolve()


def _wal_database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=wal")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    connection.close()  # a clean close checkpoints and removes -wal and -shm
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --- SQLite ---


@pytest.mark.parametrize("mode", MODES)
def test_mode_ro_on_a_wal_database_is_a_write(root: Path, mode: GuardMode) -> None:
    _wal_database(root / "data.db")
    uri = f"file:{root / 'data.db'}?mode=ro"
    with GuardScope(root, "sqlite test", mode=mode) as scope:
        if mode == "enforce":
            with pytest.raises(WriteViolation, match="WAL-mode"):
                sqlite3.connect(uri, uri=True)
        else:
            connection = sqlite3.connect(uri, uri=True)
            assert connection.execute("SELECT x FROM t").fetchall() == [(1,)]
            created = _names(root)  # while open: SQLite made its shared-memory index
            connection.close()
    assert [v.event for v in scope.violations] == ["sqlite3.connect"]
    if mode == "enforce":
        assert _names(root) == ["data.db"]
    else:
        assert "data.db-shm" in created


def test_immutable_and_rollback_journal_mode_ro_stay_reads(root: Path) -> None:
    _wal_database(root / "wal.db")
    plain = sqlite3.connect(root / "plain.db")
    plain.execute("CREATE TABLE t (x)")
    plain.commit()
    plain.close()
    with GuardScope(root, "sqlite test") as scope:
        for uri in (f"file:{root / 'wal.db'}?immutable=1", f"file:{root / 'plain.db'}?mode=ro"):
            connection = sqlite3.connect(uri, uri=True)
            connection.execute("SELECT * FROM t").fetchall()
            connection.close()
    assert scope.violations == ()
    assert _names(root) == ["plain.db", "wal.db"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("statement", ["ATTACH DATABASE '{}' AS other", "VACUUM INTO '{}'"])
def test_attach_and_vacuum_into_targets_inside_the_root(
    root: Path, tmp_path: Path, mode: GuardMode, statement: str
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with GuardScope(root, "sqlite test", mode=mode, side_channels=[state]) as scope:
        for database in (":memory:", str(state / "outbox.db")):  # both allowed to open
            connection = sqlite3.connect(database)
            connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
            target = root / f"{Path(database).name}-copy.db"
            if mode == "enforce":
                with pytest.raises(sqlite3.DatabaseError, match=r"not authorized|denied"):
                    connection.execute(statement.format(target))
                assert not target.exists()
            else:
                connection.execute(statement.format(target))
                assert target.exists()
            outside = tmp_path / f"{Path(database).name}-outside.db"
            connection.execute(statement.replace("other", "outside").format(outside))
            assert outside.exists()
            connection.close()
    assert [(v.event, Path(v.path).parent) for v in scope.violations] == [
        ("sqlite3 ATTACH", root),
        ("sqlite3 ATTACH", root),
    ]
    assert all(v.blocked is (mode == "enforce") for v in scope.violations)
    assert all(v.origin is not None and v.origin.file == __file__ for v in scope.violations)


@pytest.mark.parametrize("mode", MODES)
def test_an_attach_target_given_as_a_parameter_counts_as_inside(
    root: Path, tmp_path: Path, mode: GuardMode
) -> None:
    outside = tmp_path / "outside.db"
    with GuardScope(root, "sqlite test", mode=mode) as scope:
        connection = sqlite3.connect(":memory:")
        if mode == "enforce":
            with pytest.raises(sqlite3.DatabaseError):
                connection.execute("ATTACH DATABASE ? AS other", (str(outside),))
        else:
            connection.execute("ATTACH DATABASE ? AS other", (str(outside),))
        connection.close()
    assert [v.rel for v in scope.violations] == ["<parameter>"]
    assert outside.exists() is (mode == "report")


def test_the_watcher_leaves_the_profile_function_as_it_was(root: Path) -> None:
    with GuardScope(root, "sqlite test"):
        first, second = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
        assert sys.getprofile() is None  # removed once both got the authorizer
        for connection in (first, second):
            with pytest.raises(sqlite3.DatabaseError):
                connection.execute("ATTACH DATABASE ? AS x", (str(root / "x.db"),))

    def profiler(frame: object, event: str, arg: object) -> None:
        return None

    sys.setprofile(profiler)
    try:
        with GuardScope(root, "sqlite test", mode="report") as scope:
            connection = sqlite3.connect(":memory:")
            assert sys.getprofile() is profiler  # a profiler is left alone (documented gap)
            connection.execute("ATTACH DATABASE ? AS x", (str(root / "x.db"),))
    finally:
        sys.setprofile(None)
    assert scope.violations == ()


def test_the_authorizer_is_inert_once_the_scope_is_left(root: Path) -> None:
    with GuardScope(root, "sqlite test"):
        connection = sqlite3.connect(":memory:")
        connection.execute("SELECT 1")
    connection.execute("ATTACH DATABASE ? AS later", (str(root / "later.db"),))
    assert (root / "later.db").exists()


# --- Unix sockets ---


@pytest.mark.parametrize("mode", MODES)
def test_binding_a_unix_socket_inside_the_root(
    root: Path, tmp_path: Path, mode: GuardMode, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)  # an abstract name taken for a relative path would land here
    path = root / "control.sock"
    outside = tmp_path / "outside.sock"
    with GuardScope(root, "socket test", mode=mode) as scope:
        with socket.socket(socket.AF_UNIX) as server:
            if mode == "enforce":
                with pytest.raises(WriteViolation, match="bind a Unix socket"):
                    server.bind(str(path))
            else:
                server.bind(str(path))
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(outside))
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(b"\0kitty-fs-abstract-" + str(os.getpid()).encode())  # no file
        with socket.socket(socket.AF_INET) as server:
            server.bind(("127.0.0.1", 0))
    assert [v.rel for v in scope.violations] == ["control.sock"]
    assert path.exists() is (mode == "report")
    assert outside.exists()


def test_asyncio_unix_server_inside_the_root_is_refused(root: Path) -> None:
    async def serve() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        server = await asyncio.start_unix_server(handle, path=str(root / "daemon.sock"))
        server.close()

    with GuardScope(root, "socket test") as scope, pytest.raises(WriteViolation):
        asyncio.run(serve())
    assert _names(root) == []
    assert [v.event for v in scope.violations] == ["socket.bind"]


# --- git ---


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # index now stale


def test_a_scope_runs_git_status_with_optional_locks_off(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_OPTIONAL_LOCKS", raising=False)
    index = git_repo / ".git" / "index"
    _touch_later(git_repo / "README.md")
    before = index.stat().st_mtime_ns
    assert "GIT_OPTIONAL_LOCKS" not in os.environ
    with GuardScope(git_repo, "git test") as scope:
        assert os.environ["GIT_OPTIONAL_LOCKS"] == "0"
        subprocess.run(["git", "status", "--porcelain"], cwd=git_repo, check=True)
    assert "GIT_OPTIONAL_LOCKS" not in os.environ  # put back as it was
    assert scope.violations == ()
    assert index.stat().st_mtime_ns == before  # the stale index was not refreshed
    subprocess.run(["git", "status", "--porcelain"], cwd=git_repo, check=True, capture_output=True)
    assert index.stat().st_mtime_ns != before  # which git does with optional locks on


@pytest.mark.parametrize("mode", MODES)
def test_git_status_with_optional_locks_on_is_a_write(git_repo: Path, mode: GuardMode) -> None:
    index = git_repo / ".git" / "index"
    _touch_later(git_repo / "README.md")
    before = index.stat().st_mtime_ns
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "1"}
    with GuardScope(git_repo, "git test", mode=mode) as scope:
        if mode == "enforce":
            with pytest.raises(WriteViolation, match="git status"):
                subprocess.run(["git", "status"], cwd=git_repo, env=env, capture_output=True)
        else:
            subprocess.run(["git", "status"], cwd=git_repo, env=env, capture_output=True)
    assert [v.kind for v in scope.violations] == ["subprocess"]
    assert (index.stat().st_mtime_ns != before) is (mode == "report")


def _fsmonitor(tmp_path: Path, repo: Path) -> Path:
    """A program that writes into the repository when git runs it as an fsmonitor."""
    program = tmp_path / "fsmonitor.sh"
    program.write_text(f'#!/bin/sh\necho ran > "{repo}/fsmonitor-was-here"\nexit 1\n')
    program.chmod(0o755)
    return program


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("route", ["GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "include.path"])
def test_git_configuration_smuggled_in_is_refused(
    git_repo: Path, tmp_path: Path, mode: GuardMode, route: str
) -> None:
    program = _fsmonitor(tmp_path, git_repo)
    env = dict(os.environ)
    argv = ["git", "status", "--porcelain"]
    if route == "GIT_CONFIG_COUNT":
        env.update(
            GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="core.fsmonitor", GIT_CONFIG_VALUE_0=str(program)
        )
    elif route == "GIT_CONFIG_PARAMETERS":
        env["GIT_CONFIG_PARAMETERS"] = f"'core.fsmonitor'='{program}'"
    else:
        included = tmp_path / "included.cfg"
        included.write_text(f"[core]\n\tfsmonitor = {program}\n")
        argv = ["git", "-c", f"include.path={included}", "status", "--porcelain"]
    with GuardScope(git_repo, "git test", mode=mode) as scope:
        env["GIT_OPTIONAL_LOCKS"] = "0"
        if mode == "enforce":
            with pytest.raises(WriteViolation):
                subprocess.run(argv, cwd=git_repo, env=env, capture_output=True)
        else:
            subprocess.run(argv, cwd=git_repo, env=env, capture_output=True)
    assert [v.kind for v in scope.violations] == ["subprocess"]
    assert (git_repo / "fsmonitor-was-here").exists() is (mode == "report")


# --- multiprocessing ---


def _pool_in_scope(
    root: Path, method: str, mode: GuardMode, warm: bool = False
) -> dict[str, object]:
    script = HERE / "_guard_holes_mp.py"
    return child_json([sys.executable, str(script), str(root), method, mode, "1" if warm else "0"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["spawn", "forkserver", "futures-spawn"])
def test_spawn_and_forkserver_workers_are_refused(root: Path, mode: GuardMode, method: str) -> None:
    result = _pool_in_scope(root, method, mode)
    violations = result["violations"]
    assert isinstance(violations, list) and violations
    launch = ["subprocess", "start a multiprocessing worker", "kitty_fs.fork_exec"]
    # in report mode a forkserver, once launched, forks the workers: seen as its connect
    via_server = ["subprocess", "start a multiprocessing forkserver worker", "socket.connect"]
    assert violations[0] == launch
    assert all(v in (launch, via_server) for v in violations)
    if mode == "enforce":
        assert "multiprocessing 'spawn' or 'forkserver' worker" in str(result["refused"])
        assert _names(root) == []
    else:
        assert result["worker"] == "written"  # the unguarded worker really wrote
        assert _names(root) == ["from-worker.txt"]


@pytest.mark.parametrize("mode", MODES)
def test_a_forkserver_started_before_the_scope_is_refused_too(root: Path, mode: GuardMode) -> None:
    result = _pool_in_scope(root, "forkserver", mode, warm=True)
    violations = result["violations"]
    assert isinstance(violations, list) and violations
    assert violations[0] == [
        "subprocess",
        "start a multiprocessing forkserver worker",
        "socket.connect",
    ]
    assert _names(root) == ([] if mode == "enforce" else ["from-worker.txt"])


def test_the_resource_tracker_may_start(root: Path) -> None:
    result = _pool_in_scope(root, "spawn-lock", "enforce")
    assert result == {"worker": "locked", "violations": []}


def test_fork_workers_may_start_and_inherit_the_guard(root: Path) -> None:
    result = _pool_in_scope(root, "fork", "enforce")
    assert result["violations"] == []  # starting a fork worker is no violation...
    assert "tried to write from-worker.txt" in str(result["refused"])  # ...its write is
    assert _names(root) == []
