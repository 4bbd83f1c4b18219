# ruff: noqa: PTH117
# (the guard works on str paths with os.path: no Path objects on the hook's path)
"""What each audit event means for the guard: which paths it would change, or which program it runs.

CPython raises an audit event before every filesystem mutation it offers
(see docs/guard.md); this module is the table from event to *targets*: the
paths the operation would create, change or remove, each with the directory
descriptor it is relative to and whether the last component's symlink is
followed. Reads are filtered out here too (``open`` for reading, ``sqlite3``
on a read-only URI), so the hook resolves paths only for real write attempts.

Deliberately not treated as writes:

* ``open`` on an existing descriptor (``open(fd, "w")``, ``os.fdopen``): the
  guard checks where descriptors are created, not where they are wrapped;
* ``os.fork``/``os.forkpty``: the child inherits the hook and every active
  scope, so its writes are still checked (its ``exec`` is a subprocess event);
  a ``spawn`` or ``forkserver`` child does not, and is a subprocess here;
* ``os.link``/``os.symlink`` sources and ``shutil.copy*`` sources: only the new
  name (the destination) changes.

Standard library only, so ``kitty-fs audit`` can load it in any child process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Final

__all__ = [
    "CANDIDATE_EVENTS",
    "SUBPROCESS_EVENTS",
    "UNKNOWN_DIR_FD",
    "WRITE_FLAGS",
    "Attempt",
    "Target",
    "command_of",
    "env_of",
    "is_wal_database",
    "write_attempt",
]

# One target: (path as given, dir_fd it is relative to, follow the final symlink).
# A dir_fd of None or a negative number (-1, AT_FDCWD) means the current directory.
Target = tuple[object, object, bool]
# A write attempt: a short description of the operation, then its targets.
Attempt = tuple[str, tuple[Target, ...]]

# os.open's audit event does not carry dir_fd: a relative path may be relative
# to a directory descriptor the guard cannot see (resolved heuristically).
UNKNOWN_DIR_FD: Final = "unknown-dir-fd"

# Any of these in open()'s flags makes it a write (O_RDONLY is 0, so access
# modes other than read-only show up as O_WRONLY or O_RDWR bits).
WRITE_FLAGS: Final = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_O_TMPFILE: Final = getattr(os, "O_TMPFILE", 0)


def _mode_writes(mode: object) -> bool:
    return isinstance(mode, str) and any(char in mode for char in "wax+")


def _open(args: Sequence[object]) -> Attempt | None:
    path, mode, flags = (*args, None, None, None)[:3]
    if isinstance(path, int) or path is None:
        return None
    if isinstance(flags, int):
        if not flags & WRITE_FLAGS:
            return None
    elif not _mode_writes(mode):
        return None
    if _O_TMPFILE and isinstance(flags, int) and flags & _O_TMPFILE == _O_TMPFILE:
        return "create an anonymous temporary file in", ((path, None, True),)
    if mode is None:
        # os.open: its event omits dir_fd, so a relative path has an unknown base.
        base = None if os.path.isabs(_text(path)) else UNKNOWN_DIR_FD
        return "open for writing", ((path, base, True),)
    return f"open for writing, mode {mode!r}", ((path, None, True),)


def _fixed(
    label: str, *spec: tuple[int, int | None, bool]
) -> Callable[[Sequence[object]], Attempt]:
    """A rule taking targets at fixed argument positions: (path index, dir_fd index, follow)."""

    def rule(args: Sequence[object]) -> Attempt:
        targets: list[Target] = []
        for index, fd_index, follow in spec:
            if index < len(args) and args[index] is not None:
                dir_fd = args[fd_index] if fd_index is not None and fd_index < len(args) else None
                targets.append((args[index], dir_fd, follow))
        return label, tuple(targets)

    return rule


def is_wal_database(path: str) -> bool:
    """Whether ``path`` is an SQLite database in WAL mode (header bytes 18-19 are 2).

    A WAL database opened read-only still gets ``-wal`` and ``-shm`` created or
    written beside it (the shared-memory index), so ``mode=ro`` is no read there.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        header = os.read(fd, 20)
    finally:
        os.close(fd)
    return header[:16] == b"SQLite format 3\x00" and header[18:20] == b"\x02\x02"


def _sqlite(args: Sequence[object]) -> Attempt | None:
    """``sqlite3.connect`` (and ``ATTACH``/``VACUUM INTO``): SQLite writes from C, unseen by hooks.

    The event does not say whether ``uri=True`` was passed; a ``file:`` name is
    parsed as a URI. ``immutable=1`` makes it a read, and so does ``mode=ro``
    unless the database is in WAL mode (then SQLite writes ``-wal``/``-shm``).
    """
    database = args[0] if args else None
    if isinstance(database, bytes):
        database = os.fsdecode(database)
    elif database is not None and not isinstance(database, str):
        database = os.fspath(database)  # type: ignore[call-overload]
    if not isinstance(database, str) or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        from urllib.parse import parse_qs, unquote, urlsplit

        parts = urlsplit(database)
        query = parse_qs(parts.query)
        database = unquote(parts.path)
        if not database or query.get("mode") == ["memory"] or query.get("immutable") == ["1"]:
            return None
        if query.get("mode") == ["ro"]:
            if not is_wal_database(database):
                return None
            return (
                "open a WAL-mode SQLite database read-only (SQLite writes its -wal and -shm)",
                ((database, None, True),),
            )
    return "open an SQLite database (written by C code)", ((database, None, True),)


def _bind(args: Sequence[object]) -> Attempt | None:
    """``socket.bind`` of an ``AF_UNIX`` path creates a socket file (abstract names do not)."""
    address = args[1] if len(args) > 1 else None
    if not isinstance(address, str | bytes) or not address or address[:1] in ("\0", b"\0"):
        return None  # an (host, port) tuple, or the Linux abstract namespace
    return "bind a Unix socket (creates a file)", ((address, None, False),)


def _unpack(args: Sequence[object]) -> Attempt:
    extract_dir = args[1] if len(args) > 1 and args[1] is not None else "."
    return "shutil.unpack_archive into", ((extract_dir, None, True),)


_RULES: dict[str, Callable[[Sequence[object]], Attempt | None]] = {
    "open": _open,
    # os.rename also carries os.replace, Path.rename/replace and same-device shutil.move.
    "os.rename": _fixed("rename/replace onto", (1, 3, False), (0, 2, False)),
    "os.remove": _fixed("remove", (0, 1, False)),
    "os.rmdir": _fixed("rmdir", (0, 1, False)),
    "os.mkdir": _fixed("mkdir", (0, 2, False)),
    "os.chmod": _fixed("chmod", (0, 2, True)),
    "os.chown": _fixed("chown", (0, 3, True)),
    "os.chflags": _fixed("chflags", (0, None, True)),
    "os.lchflags": _fixed("lchflags", (0, None, False)),
    "os.utime": _fixed("utime (set times)", (0, 3, True)),
    "os.truncate": _fixed("truncate", (0, None, True)),
    "os.link": _fixed("hard link", (1, 3, False)),
    "os.symlink": _fixed("symlink", (1, 2, False)),
    "os.setxattr": _fixed("setxattr", (0, None, True)),
    "os.removexattr": _fixed("removexattr", (0, None, True)),
    "shutil.copyfile": _fixed("shutil.copyfile onto", (1, None, True)),
    "shutil.copymode": _fixed("shutil.copymode onto", (1, None, True)),
    "shutil.copystat": _fixed("shutil.copystat onto", (1, None, True)),
    "shutil.copytree": _fixed("shutil.copytree into", (1, None, False)),
    "shutil.move": _fixed("shutil.move", (1, None, True), (0, None, False)),
    "shutil.rmtree": _fixed("shutil.rmtree", (0, 1, False)),
    "shutil.chown": _fixed("shutil.chown", (0, None, True)),
    "shutil.make_archive": _fixed("shutil.make_archive", (0, None, False)),
    "shutil.unpack_archive": _unpack,
    "tempfile.mkstemp": _fixed("tempfile.mkstemp", (0, None, False)),
    "tempfile.mkdtemp": _fixed("tempfile.mkdtemp", (0, None, False)),
    "sqlite3.connect": _sqlite,
    "socket.bind": _bind,
}

# kitty_fs.fork_exec is raised by the guard's own probe on _posixsubprocess.fork_exec,
# which multiprocessing's spawn and forkserver start methods call without any event.
FORK_EXEC_EVENT: Final = "kitty_fs.fork_exec"
SUBPROCESS_EVENTS: Final = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.exec",
        "os.spawn",
        "os.startfile",
        "kitty_fs.fork_exec",  # FORK_EXEC_EVENT (spelled out: the mutation check reads literals)
    }
)
# Not writes themselves, but what the guard acts on: a new SQLite connection (it gets an
# authorizer that checks ATTACH / VACUUM INTO targets) and a connection to a forkserver.
SQLITE_HANDLE_EVENT: Final = "sqlite3.connect/handle"
CONNECT_EVENT: Final = "socket.connect"
CANDIDATE_EVENTS: Final = (
    frozenset(_RULES) | SUBPROCESS_EVENTS | {SQLITE_HANDLE_EVENT, CONNECT_EVENT}
)


def write_attempt(event: str, args: Sequence[object]) -> Attempt | None:
    """The paths ``event`` would change, or ``None`` when it changes none (or is not a write)."""
    rule = _RULES.get(event)
    return rule(args) if rule is not None else None


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return os.fsdecode(value)
    if isinstance(value, str):
        return value
    try:
        return os.fspath(value)  # type: ignore[call-overload, no-any-return]
    except TypeError:
        return str(value)


def command_of(event: str, args: Sequence[object]) -> tuple[str | None, list[str], bool]:
    """``(program, argv, through_shell)`` of a subprocess event.

    ``through_shell`` marks ``os.system``, whose single string goes to ``sh -c``.
    """
    if event == "os.system":
        return "sh", ["sh", "-c", _text(args[0]) if args else ""], True
    if event in ("subprocess.Popen", FORK_EXEC_EVENT):
        program, argv = args[0], args[1]
    elif event == "os.spawn":
        program, argv = args[1], args[2]
    elif event == "os.startfile":
        program, argv = args[0], [args[0]]
    else:  # os.posix_spawn(path, argv, env), os.exec(path, args, env)
        program, argv = args[0], args[1]
    if isinstance(argv, str | bytes) or not isinstance(argv, Sequence):
        argv = [argv]
    return (
        _text(program) if program is not None else None,
        [_text(arg) for arg in argv],
        False,
    )


def env_of(event: str, args: Sequence[object]) -> Mapping[str, str] | None:
    """The environment a subprocess event's child gets; ``None`` means this process's own."""
    index = {"subprocess.Popen": 3, FORK_EXEC_EVENT: 3, "os.spawn": 3}.get(event, 2)
    if event in ("os.system", "os.startfile") or index >= len(args):
        return None
    env = args[index]
    if env is None:
        return None
    if isinstance(env, Mapping):
        return {_text(k): _text(v) for k, v in env.items()}
    if isinstance(env, Sequence) and not isinstance(env, str | bytes):
        pairs = (_text(item).partition("=") for item in env)  # fork_exec: [b"K=V", ...]
        return {key: value for key, _, value in pairs}
    return {}
