"""The mutant table of the guard's mutation check: one small edit per rule switched off.

Read by ``run_mutation.py`` (the runner, beside this file); see its docstring for
how a mutant is run and judged. Each entry is reviewable: a name, the file, the
exact original text and its replacement, or a named entry dropped from a
``frozenset`` literal. ``Mutant.apply`` refuses an original that does not occur
exactly once, so the table breaks loudly when the guard changes under it.
Edits left out on purpose are in ``EQUIVALENT`` with the reason.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = Path("kitty_fs")  # mutated files live below src/kitty_fs
GUARD_FILES = ("_guard.py", "_guard_rules.py", "_guard_git.py")


# --- the mutant table ---


@dataclass(frozen=True, slots=True)
class Mutant:
    """One rule switched off: ``original`` becomes ``replacement`` in ``file``.

    For a ``frozenset`` entry, ``literal`` names the constant and ``entry`` the
    element dropped from it; the original text is then the constant's literal.
    """

    name: str
    file: str
    rule: str
    original: str = ""
    replacement: str = ""
    literal: str = ""
    entry: str = ""

    def apply(self, text: str) -> str:
        """The mutated source; raises ``MutationError`` unless the edit applies exactly once."""
        original, replacement = self.original, self.replacement
        if self.literal:
            original, replacement = _drop_entry(text, self.literal, self.entry)
        count = text.count(original)
        if count != 1:
            raise MutationError(f"{self.name}: original text found {count} times in {self.file}")
        mutated = text.replace(original, replacement)
        try:
            compile(mutated, self.file, "exec")
        except SyntaxError as exc:
            raise MutationError(f"{self.name}: the mutated {self.file} does not compile") from exc
        return mutated


class MutationError(Exception):
    """The table no longer matches the guard's source."""


def assignments(text: str) -> dict[str, ast.expr]:
    """Module-level ``NAME = value`` (or ``NAME: T = value``) of a source file."""
    found: dict[str, ast.expr] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            found[target.id] = value
    return found


@functools.cache
def frozenset_literals(text: str) -> dict[str, tuple[str, set[str] | str]]:
    """``NAME = frozenset(<set or str literal>)``: name -> (its source, its elements)."""
    found: dict[str, tuple[str, set[str] | str]] = {}
    for name, value in assignments(text).items():
        if not (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "frozenset"
            and len(value.args) == 1
            and isinstance(value.args[0], ast.Set | ast.Constant)
        ):
            continue
        source = ast.get_source_segment(text, value)
        items = ast.literal_eval(value.args[0])
        if source is not None and isinstance(items, set | str):
            found[name] = (source, items if isinstance(items, str) else {str(i) for i in items})
    return found


def _drop_entry(text: str, name: str, entry: str) -> tuple[str, str]:
    """``(literal, literal without entry)`` for ``name = frozenset(<set or str literal>)``."""
    literals = frozenset_literals(text)
    if name not in literals:
        raise MutationError(f"{name} is not a frozenset literal")
    source, items = literals[name]
    if isinstance(items, str):
        if items.count(entry) != 1 or len(entry) != 1:
            raise MutationError(f"{name}: {entry!r} is not one character of it")
        return source, f"frozenset({items.replace(entry, '')!r})"
    if entry not in items:
        raise MutationError(f"{name}: no entry {entry!r}")
    rest = sorted(item for item in items if item != entry)
    return source, "frozenset({" + ", ".join(repr(item) for item in rest) + "})"


MUTANTS: list[Mutant] = []


def edit(name: str, file: str, original: str, replacement: str, rule: str) -> None:
    MUTANTS.append(Mutant(name, file, rule, original=original, replacement=replacement))


def drop(prefix: str, file: str, literal: str, entries: Iterable[str], rule: str) -> None:
    """One mutant per entry: ``entry`` removed from the ``literal`` frozenset."""
    for entry in entries:
        label = {"\n": "newline", "\\": "backslash"}.get(entry, entry)
        MUTANTS.append(
            Mutant(f"{prefix}[{label}]", file, f"{rule}: {label}", literal=literal, entry=entry)
        )


def drop_rule(event: str, rule: str) -> None:
    """The ``_RULES`` line for ``event`` removed: the guard no longer hears that event."""
    text = (REPO / "src" / PACKAGE / "_guard_rules.py").read_text()
    lines = [line for line in text.splitlines(True) if line.startswith(f'    "{event}": ')]
    original = lines[0] if len(lines) == 1 else f"<{len(lines)} _RULES lines for {event}>"
    edit(f"rules.event[{event}]", "_guard_rules.py", original, "", rule)


# -- _guard_rules.py: which audit events are writes, and of what --

R = "_guard_rules.py"
_FLAGS = "os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND"
for _flag in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"):
    _rest = " | ".join(f for f in _FLAGS.split(" | ") if f != f"os.{_flag}")
    edit(
        f"rules.write-flag[{_flag}]",
        R,
        f"WRITE_FLAGS: Final = {_FLAGS}\n",
        f"WRITE_FLAGS: Final = {_rest}\n",
        f"os.open with {_flag} counts as a write",
    )
for _char in "wax+":
    edit(
        f"rules.open-mode[{_char}]",
        R,
        'for char in "wax+")',
        f"for char in {'wax+'.replace(_char, '')!r})",
        f"an open() mode with {_char!r} counts as a write (events without flags)",
    )
edit(
    "rules.open.descriptor-wrap",
    R,
    "if isinstance(path, int) or path is None:",
    "if path is None:",
    "wrapping an existing descriptor (open(fd), os.fdopen) is not a new write",
)
edit(
    "rules.open.O_TMPFILE",
    R,
    "if _O_TMPFILE and isinstance(flags, int) and flags & _O_TMPFILE == _O_TMPFILE:",
    "if False:",
    "O_TMPFILE is reported as an anonymous temporary file in its directory",
)
edit(
    "rules.os.open.unknown-dir-fd",
    R,
    "base = None if os.path.isabs(_text(path)) else UNKNOWN_DIR_FD",
    "base = None",
    "a relative os.open may be relative to an unseen dir_fd",
)
for _event, _what in [
    ("open", "open() for writing"),
    ("os.rename", "rename/replace (and Path.rename, same-device shutil.move)"),
    ("os.remove", "remove/unlink"),
    ("os.rmdir", "rmdir"),
    ("os.mkdir", "mkdir"),
    ("os.chmod", "chmod"),
    ("os.chown", "chown"),
    ("os.chflags", "chflags (BSD/macOS)"),
    ("os.lchflags", "lchflags (BSD/macOS)"),
    ("os.utime", "utime"),
    ("os.truncate", "truncate/ftruncate"),
    ("os.link", "hard links"),
    ("os.symlink", "symlinks"),
    ("os.setxattr", "setxattr"),
    ("os.removexattr", "removexattr"),
    ("shutil.copyfile", "shutil.copyfile"),
    ("shutil.copymode", "shutil.copymode"),
    ("shutil.copystat", "shutil.copystat"),
    ("shutil.copytree", "shutil.copytree"),
    ("shutil.move", "shutil.move"),
    ("shutil.rmtree", "shutil.rmtree"),
    ("shutil.chown", "shutil.chown"),
    ("shutil.make_archive", "shutil.make_archive"),
    ("shutil.unpack_archive", "shutil.unpack_archive"),
    ("tempfile.mkstemp", "tempfile.mkstemp"),
    ("tempfile.mkdtemp", "tempfile.mkdtemp"),
    ("sqlite3.connect", "sqlite3.connect (SQLite writes from C)"),
    ("socket.bind", "socket.bind of an AF_UNIX path (creates a file)"),
]:
    drop_rule(_event, f"the {_event} event is checked: {_what}")

_RENAME = '"os.rename": _fixed("rename/replace onto", (1, 3, False), (0, 2, False)),'
for _name, _new, _rule in [
    ("source", "(1, 3, False)", "a rename changes its source too (moving out of the root)"),
    ("dst-dir_fd", "(1, None, False), (0, 2, False)", "rename honours dst_dir_fd"),
    ("src-dir_fd", "(1, 3, False), (0, None, False)", "rename honours src_dir_fd"),
    ("dst-no-follow", "(1, 3, True), (0, 2, False)", "renaming onto a symlink replaces the link"),
    ("src-no-follow", "(1, 3, False), (0, 2, True)", "renaming a symlink moves the link"),
]:
    edit(
        f"rules.os.rename.{_name}",
        R,
        _RENAME,
        _RENAME.replace("(1, 3, False), (0, 2, False)", _new),
        _rule,
    )
for _event, _old, _new, _rule in [
    ("os.remove", '"remove", (0, 1, False)', '"remove", (0, None, False)', "dir_fd"),
    ("os.rmdir", '"rmdir", (0, 1, False)', '"rmdir", (0, None, False)', "dir_fd"),
    ("os.mkdir", '"mkdir", (0, 2, False)', '"mkdir", (0, None, False)', "dir_fd"),
    ("os.chmod", '"chmod", (0, 2, True)', '"chmod", (0, None, True)', "dir_fd"),
    ("os.chown", '"chown", (0, 3, True)', '"chown", (0, None, True)', "dir_fd"),
    ("os.utime", '"utime (set times)", (0, 3', '"utime (set times)", (0, None', "dir_fd"),
    ("os.link", '"hard link", (1, 3, False)', '"hard link", (1, None, False)', "dst_dir_fd"),
    ("os.symlink", '"symlink", (1, 2, False)', '"symlink", (1, None, False)', "dir_fd"),
    ("shutil.rmtree", '"shutil.rmtree", (0, 1', '"shutil.rmtree", (0, None', "dir_fd"),
    ("os.remove", '"remove", (0, 1, False)', '"remove", (0, 1, True)', "no-follow"),
    ("os.chmod", '"chmod", (0, 2, True)', '"chmod", (0, 2, False)', "follow"),
    ("os.chown", '"chown", (0, 3, True)', '"chown", (0, 3, False)', "follow"),
    ("os.utime", '(set times)", (0, 3, True)', '(set times)", (0, 3, False)', "follow"),
    ("os.truncate", '"truncate", (0, None, True)', '"truncate", (0, None, False)', "follow"),
    ("os.setxattr", '"setxattr", (0, None, True)', '"setxattr", (0, None, False)', "follow"),
    (
        "shutil.copyfile",
        '"shutil.copyfile onto", (1, None, True)',
        '"shutil.copyfile onto", (1, None, False)',
        "follow",
    ),
    (
        "shutil.move",
        '"shutil.move", (1, None, True), (0, None, False)',
        '"shutil.move", (1, None, True)',
        "source",
    ),
]:
    _meaning = {
        "dir_fd": f"{_event} honours its dir_fd argument",
        "dst_dir_fd": f"{_event} honours dst_dir_fd",
        "no-follow": f"{_event} of a symlink changes the link, not its target",
        "follow": f"{_event} through a symlink changes the target",
        "source": f"{_event} changes its source too (moving out of the root)",
    }[_rule]
    edit(f"rules.{_event}.{_rule}", R, _old, _new, _meaning)

edit(
    "rules.sqlite.uri",
    R,
    'if database.startswith("file:"):',
    "if False:",
    "a file: name is parsed as a URI",
)
edit(
    "rules.sqlite.mode-ro",
    R,
    'if query.get("mode") == ["ro"]:\n            if not is_wal_database(database):\n'
    "                return None",
    'if query.get("mode") == ["ro"]:\n            if not is_wal_database(database):\n'
    "                pass",
    "sqlite mode=ro on a rollback-journal database is a read",
)
edit(
    "rules.sqlite.mode-ro-wal",
    R,
    "if not is_wal_database(database):",
    "if True:",
    "sqlite mode=ro on a WAL database writes -wal/-shm",
)
edit(
    "rules.sqlite.wal-header",
    R,
    'header[18:20] == b"\\x02\\x02"',
    'header[18:20] == b"\\x01\\x01"',
    "WAL mode is read from the header's version bytes",
)
edit(
    "rules.sqlite.mode-memory",
    R,
    'query.get("mode") == ["memory"]',
    "False",
    "sqlite mode=memory touches no file",
)
edit(
    "rules.bind.abstract",
    R,
    'address[:1] in ("\\0", b"\\0")',
    "False",
    "an abstract-namespace Unix socket creates no file",
)
edit(
    "guard.fork-exec-probe",
    "_guard.py",
    "    _posixsubprocess.fork_exec = fork_exec\n",
    "",
    "spawn/forkserver launches are seen through the fork_exec probe",
)
edit(
    "guard.fork-exec-subprocess-skip",
    "_guard.py",
    'if getframe(1).f_globals.get("__name__") == "subprocess":',
    "if False:",
    "a Popen is not counted twice when subprocess bound the probe",
)
edit(
    "guard.resource-tracker",
    "_guard.py",
    "and _RESOURCE_TRACKER.fullmatch(argv[-1])",
    "and False",
    "the multiprocessing resource tracker may start in a read scope",
)
edit(
    "guard.forkserver-connect",
    "_guard.py",
    "if address is not None and len(args) > 1 and args[1] == address:",
    "if False:",
    "a worker forked by a running forkserver is refused",
)
edit(
    "guard.sqlite-authorizer",
    "_guard.py",
    "connection.set_authorizer(_sqlite_authorizer)  # type: ignore[attr-defined]",
    "pass",
    "connections opened in a scope get the ATTACH authorizer",
)
edit(
    "guard.sqlite-attach-parameter",
    "_guard.py",
    "return _SQLITE_DENY if deny else _SQLITE_OK\n    attempt",
    "return _SQLITE_OK\n    attempt",
    "an ATTACH target given as a parameter is refused",
)
edit(
    "guard.git-optional-locks-env",
    "_guard.py",
    'os.environ["GIT_OPTIONAL_LOCKS"] = "0"',
    "pass",
    "a scope runs its children with optional locks off",
)
edit(
    "git.status-needs-no-locks",
    "_guard_git.py",
    "        return no_locks\n",
    "        return True\n",
    "git status is a read only with optional locks off",
)
edit(
    "git.config-from-env",
    "_guard_git.py",
    "    if _config_from_env(environ):\n        return False\n",
    "",
    "configuration from GIT_CONFIG_COUNT/GIT_CONFIG_PARAMETERS makes git unsafe",
)
edit(
    "git.include-path",
    "_guard_git.py",
    'if section in ("include", "includeif"):',
    "if False:",
    "-c include.path pulls in configuration that may name a program",
)
edit(
    "git.config-env",
    "_guard_git.py",
    '        if name == "--config-env":\n            return None\n',
    "",
    "--config-env takes its value from a variable nobody sees",
)
edit(
    "git.diff-worktree",
    "_guard_git.py",
    'if sub == "diff" and not any(',
    "if False and not any(",
    "a worktree diff refreshes the index under index.lock",
)
edit(
    "rules.sqlite.immutable",
    R,
    ' or query.get("immutable") == ["1"]',
    "",
    "sqlite immutable=1 is a read",
)
edit(
    "rules.sqlite.unquote",
    R,
    "database = unquote(parts.path)",
    "database = parts.path",
    "a URI's percent-escapes are decoded before the path is checked",
)
edit(
    "rules.sqlite.memory-name",
    R,
    'database in ("", ":memory:")',
    'database in ("",)',
    "sqlite ':memory:' touches no file",
)
edit(
    "rules.sqlite.temp-name",
    R,
    'database in ("", ":memory:")',
    'database in (":memory:",)',
    "sqlite '' (a private temporary database) touches no file in the cwd",
)
edit(
    "rules.unpack.default-cwd",
    R,
    'args[1] if len(args) > 1 and args[1] is not None else "."',
    "args[1] if len(args) > 1 else None",
    "unpack_archive without extract_dir unpacks into the cwd",
)
drop(
    "rules.subprocess-event",
    R,
    "SUBPROCESS_EVENTS",
    [
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.exec",
        "os.spawn",
        "os.startfile",
        "kitty_fs.fork_exec",
    ],
    "the subprocess event is checked",
)
edit(
    "rules.command.os.system-shell",
    R,
    '"sh", ["sh", "-c", _text(args[0]) if args else ""], True',
    '"sh", ["sh", "-c", _text(args[0]) if args else ""], False',
    "an os.system line is reported as the shell line it is",
)
edit(
    "rules.command.os.spawn-args",
    R,
    "program, argv = args[1], args[2]",
    "program, argv = args[0], args[1]",
    "os.spawn's event carries (mode, path, args, env)",
)
edit(
    "rules.command.program",
    R,
    "_text(program) if program is not None else None,",
    "None,",
    "the executable that runs decides, not argv[0]",
)

# -- _guard.py: scopes, path resolution, recording, the hook --

G = "_guard.py"
edit(
    "guard.scope.mode-check",
    G,
    'if mode not in ("enforce", "report"):',
    "if False:",
    "an unknown mode is refused (not silently report)",
)
edit(
    "guard.scope.root-realpath",
    G,
    "self._root = _real(os.fspath(root))",
    "self._root = os.path.abspath(os.fspath(root))",
    "a root given through a symlink protects the real directory",
)
edit(
    "guard.scope.side-realpath",
    G,
    "sides = tuple(dict.fromkeys(_real(os.fspath(p)) for p in side_channels))",
    "sides = tuple(dict.fromkeys(os.path.abspath(os.fspath(p)) for p in side_channels))",
    "a side channel given through a symlink opens the real directory",
)
edit(
    "guard.scope.root-boundary",
    G,
    "self._prefix = self._root if self._root.endswith(os.sep) else self._root + os.sep",
    "self._prefix = self._root",
    "a sibling sharing the root's name as a prefix (repo-old) is outside",
)
edit(
    "guard.scope.filesystem-root",
    G,
    "self._prefix = self._root if self._root.endswith(os.sep) else self._root + os.sep",
    "self._prefix = self._root + os.sep",
    "a scope on / covers everything",
)
edit(
    "guard.scope.side-boundary",
    G,
    "tuple((p, p if p.endswith(os.sep) else p + os.sep) for p in sides)",
    "tuple((p, p) for p in sides)",
    "a sibling sharing a side channel's name as a prefix is not a side channel",
)
edit(
    "guard.covers.outside-passes",
    G,
    "if path != self._root and not path.startswith(self._prefix):",
    "if False:",
    "writes outside the root pass",
)
edit(
    "guard.covers.root-itself",
    G,
    "if path != self._root and not path.startswith(self._prefix):",
    "if not path.startswith(self._prefix):",
    "the root directory itself is covered",
)
edit(
    "guard.covers.side-channels",
    G,
    "if any(path == side or path.startswith(prefix) for side, prefix in self._sides):",
    "if False:",
    "side channels below the root stay writable",
)
edit(
    "guard.covers.write-scope",
    G,
    "return self._writable is None or not self._writable.allows_absolute(self._root, path)",
    "return True",
    "a scoped writer's declared scope stays writable",
)
edit(
    "guard.covers.side-channel-itself",
    G,
    "any(path == side or path.startswith(prefix)",
    "any(path.startswith(prefix)",
    "the side channel directory itself is writable",
)
edit(
    "guard.enter.install-hook",
    G,
    "                sys.addaudithook(audit_hook)\n",
    "                pass\n",
    "entering the first scope installs the audit hook",
)
edit(
    "guard.enter.once",
    G,
    "if self._entered:\n                raise RuntimeError",
    "if False:\n                raise RuntimeError",
    "a scope object is entered at most once",
)
edit(
    "guard.exit.deactivate",
    G,
    "_ACTIVE[0] = tuple(scope for scope in _ACTIVE[0] if scope is not self)",
    "_ACTIVE[0] = tuple(_ACTIVE[0])",
    "leaving a scope deactivates it",
)
edit(
    "guard.resolve.descriptor",
    G,
    "target = _fd_path(raw)\n        return [target] if target is not None else []",
    "return []",
    "fchmod/ftruncate/futimes: a descriptor stands for its file",
)
edit(
    "guard.resolve.bytes",
    G,
    "    if isinstance(raw, bytes):\n        text = os.fsdecode(raw)\n",
    "    if isinstance(raw, bytes):\n        return []\n",
    "bytes paths are checked",
)
edit(
    "guard.resolve.pathlike",
    G,
    "        try:\n            text = os.fsdecode(os.fspath(raw))  # type: ignore[call-overload]\n"
    "        except TypeError:\n            return []\n",
    "        return []\n",
    "path-like objects (Path) are checked",
)
edit(
    "guard.resolve.unknown-dir-fd",
    G,
    "for base in _dir_fds_inside(scopes):",
    "for base in ():",
    "a relative os.open is also checked against open directory descriptors",
)
edit(
    "guard.resolve.unknown-dir-fd-exists",
    G,
    "if os.path.lexists(os.path.dirname(joined)):",
    "if True:",
    "a descriptor base counts only where the path's directory exists",
)
edit(
    "guard.resolve.dir_fd",
    G,
    "elif isinstance(dir_fd, int) and dir_fd >= 0:",
    "elif False:",
    "a path relative to dir_fd is relative to that directory",
)
edit(
    "guard.resolve.follow",
    G,
    'if follow or tail in ("", ".", ".."):',
    'if tail in ("", ".", ".."):',
    "a write through a symlink lands on its target",
)
edit(
    "guard.resolve.no-follow",
    G,
    'if follow or tail in ("", ".", ".."):',
    "if True:",
    "removing or renaming a symlink changes the link",
)
edit(
    "guard.resolve.dot-tail",
    G,
    'if follow or tail in ("", ".", ".."):',
    "if follow:",
    "a trailing slash, '.' or '..' names the directory itself",
)
edit(
    "guard.resolve.parent-realpath",
    G,
    "resolved.append(os.path.join(os.path.realpath(head), tail))",
    "resolved.append(path)",
    "the parent directories of an unfollowed name are resolved",
)
edit(
    "guard.dir-fds.only-directories",
    G,
    "            and os.path.isdir(target)\n",
    "",
    "only directory descriptors are candidate bases",
)
edit(
    "guard.stack.skip-own-frames",
    G,
    "if code.co_filename not in _OWN_FILES:",
    "if True:",
    "the guard's own frames are left out of a violation",
)
edit(
    "guard.origin.skip-stdlib",
    G,
    "if not _in_stdlib(frame.file):",
    "if True:",
    "a violation's origin is the first frame outside the standard library",
)
edit(
    "guard.violate.bytecode",
    G,
    'if kind == "write" and f"{os.sep}__pycache__" in path:',
    "if False:",
    "__pycache__ writes are kept apart as bytecode",
)
edit(
    "guard.violate.blocked",
    G,
    'blocked = any(scope.mode == "enforce" for scope in offended)',
    'blocked = all(scope.mode == "enforce" for scope in offended)',
    "a write refused by any enforcing scope is recorded as blocked",
)
edit(
    "guard.violate.every-scope",
    G,
    "    for scope in offended:\n        rel = command",
    "    for scope in offended[:1]:\n        rel = command",
    "every offended scope records the attempt",
)
edit(
    "guard.violate.report-only",
    G,
    'if first is None and scope.mode == "enforce":',
    "if first is None:",
    "report mode records without raising",
)
edit(
    "guard.violate.raise",
    G,
    "    raise WriteViolation(message, operation=event, path=path, reason=scope.reason)",
    "    return",
    "enforce mode refuses the write",
)
edit(
    "guard.check.read-only-git",
    G,
    "if is_read_only_command(program, argv, env_of(event, args)):",
    "if False:",
    "read-only git commands may run",
)
edit(
    "guard.check.other-programs",
    G,
    "if is_read_only_command(program, argv, env_of(event, args)):",
    "if True:",
    "other programs are refused",
)
edit(
    "guard.check.allow-subprocess",
    G,
    "offended = [scope for scope in scopes if not scope.allow_subprocess]",
    "offended = list(scopes)",
    "allow_subprocess=True lets a program run",
)
edit(
    "guard.check.popen-cwd",
    G,
    'if event in ("subprocess.Popen", FORK_EXEC_EVENT) and len(args) > 2',
    "if False",
    "a subprocess is reported at its own working directory",
)
edit(
    "guard.check.one-record",
    G,
    '_violate(offended, "write", operation, event, path, None)\n                return\n',
    '_violate(offended, "write", operation, event, path, None)\n',
    "one attempt is one record (a rename inside the root is not two)",
)
edit(
    "guard.hook.publish",
    G,
    "        nonlocal scopes\n        scopes = active\n",
    "        nonlocal scopes\n        scopes = ()\n",
    "the hook sees the active scopes",
)
edit(
    "guard.hook.threads",
    G,
    "        if not scopes or event not in candidates:\n",
    "        if not scopes or event not in candidates"
    " or get_ident() != threading.main_thread().ident:\n",
    "a scope covers every thread, not only the main one",
)
edit(
    "guard.hook.reentry",
    G,
    "        if ident in busy:  # an event raised by the guard's own work\n            return\n",
    "",
    "events raised by the guard's own work are not checked again",
)
edit(
    "guard.hook.per-thread-busy",
    G,
    "        ident = get_ident()\n",
    "        ident = 0\n",
    "the re-entry set is per thread: one thread in the guard does not blind the others",
)
edit(
    "guard.hook.violation-at-shutdown",
    G,
    "        except violation:\n            raise\n",
    "",
    "a violation still raises while the interpreter shuts down",
)
edit(
    "guard.hook.fail-closed",
    G,
    "                return\n            raise\n",
    "            return\n",
    "an error inside the check propagates (fail closed) outside shutdown",
)
edit(
    "guard.hook.shutdown-tolerant",
    G,
    "                return\n            raise\n",
    "            raise\n",
    "errors from modules torn down at shutdown are swallowed",
)

# -- _guard_git.py: which subprocesses are read-only git commands --

GIT = "_guard_git.py"
edit(
    "git.globals.query",
    GIT,
    "        if arg in _GLOBAL_QUERIES:\n            return None, [], no_locks\n",
    "",
    "git --version and friends are queries",
)
edit(
    "git.globals.unknown-refused",
    GIT,
    "return None  # an unknown global option: could mean anything",
    "i += 1\n            continue",
    "an unknown global option is refused",
)
edit(
    "git.globals.missing-value",
    GIT,
    "                if i + 1 >= len(args):\n                    return None\n",
    "",
    "-c without its value is refused",
)
edit(
    "git.globals.value-skipped",
    GIT,
    "                value = args[i + 1]\n                i += 1\n",
    "                value = args[i + 1]\n",
    "the value of -C/-c/--git-dir is not the sub-command",
)
edit(
    "git.globals.attached-value",
    GIT,
    "name, value = arg[:2], arg[2:]",
    'name, value = arg[:2], ""',
    "the attached -ckey=value form is checked for command keys",
)
edit(
    "git.globals.command-key",
    GIT,
    'if name == "-c" and _is_command_key(value):',
    "if False:",
    "-c with a key that names a program is refused",
)
edit(
    "git.command-key.section",
    GIT,
    "return section in _COMMAND_KEY_SECTIONS or name in _COMMAND_KEY_NAMES",
    "return name in _COMMAND_KEY_NAMES",
    "alias.*, filter.*, pager.* keys name programs",
)
edit(
    "git.command-key.case",
    GIT,
    'key = assignment.partition("=")[0].lower()',
    'key = assignment.partition("=")[0]',
    "config keys are case-insensitive (core.sshCommand)",
)
edit(
    "git.command-key.last-part",
    GIT,
    'name = rest.rpartition(".")[2] if rest else section',
    "name = rest if rest else section",
    "the variable is the last part of a three-part key (diff.<driver>.textconv)",
)
drop(
    "git.command-key.sections",
    GIT,
    "_COMMAND_KEY_SECTIONS",
    ["alias", "filter", "pager"],
    "a -c key in this section is refused",
)
drop(
    "git.command-key.names",
    GIT,
    "_COMMAND_KEY_NAMES",
    [
        "pager",
        "editor",
        "askpass",
        "fsmonitor",
        "sshcommand",
        "hookspath",
        "external",
        "textconv",
        "command",
        "program",
        "helper",
        "alternaterefscommand",
        "packobjectshook",
        "difffilter",
        "uploadpack",
        "receivepack",
        "gitproxy",
    ],
    "a -c key with this name is refused",
)
drop(
    "git.global-flags",
    GIT,
    "_GLOBAL_FLAGS",
    [
        "--no-pager",
        "-P",
        "-p",
        "--paginate",
        "--bare",
        "--no-replace-objects",
        "--literal-pathspecs",
        "--glob-pathspecs",
        "--noglob-pathspecs",
        "--icase-pathspecs",
        "--no-optional-locks",
        "--no-advice",
        "--no-lazy-fetch",
    ],
    "this global flag keeps a read a read",
)
drop(
    "git.global-with-value",
    GIT,
    "_GLOBAL_WITH_VALUE",
    ["--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"],
    "this global option takes a value",
)
drop(
    "git.global-queries",
    GIT,
    "_GLOBAL_QUERIES",
    ["--version", "--exec-path", "--html-path", "--man-path", "--info-path"],
    "this global option is a query",
)
drop(
    "git.read-only",
    GIT,
    "_READ_ONLY",
    [
        "status",
        "rev-parse",
        "ls-files",
        "cat-file",
        "for-each-ref",
        "merge-base",
        "rev-list",
        "ls-tree",
        "version",
        "describe",
        "show-ref",
        "check-ignore",
        "check-attr",
        "blame",
        "annotate",
        "shortlog",
        "name-rev",
        "var",
        "count-objects",
        "cherry",
    ],
    "this sub-command is read-only",
)
drop(
    "git.read-unless-output",
    GIT,
    "_READ_UNLESS_OUTPUT",
    ["log", "show", "diff", "whatchanged", "diff-tree", "diff-index", "diff-files", "grep"],
    "this sub-command is read-only without --output",
)
edit(
    "git.output.long",
    GIT,
    'arg.startswith("--output") or ',
    "",
    "--output makes log/diff/show write a file",
)
edit(
    "git.output.short-O",
    GIT,
    'arg.startswith(("-O", "--open-files-in-pager"))',
    'arg.startswith(("--open-files-in-pager",))',
    "grep -O runs a program",
)
edit(
    "git.output.open-files-in-pager",
    GIT,
    'arg.startswith(("-O", "--open-files-in-pager"))',
    'arg.startswith(("-O",))',
    "grep --open-files-in-pager runs a program",
)
edit(
    "git.positionals.value-skip",
    GIT,
    "if arg in value_options:",
    "if False:",
    "an option's value is not a positional argument",
)
edit(
    "git.config.write-flags",
    GIT,
    "    if flags & _CONFIG_WRITE_FLAGS:\n        return False\n",
    "",
    "a config write flag makes it a write",
)
edit(
    "git.config.get-list",
    GIT,
    'if positionals[:1] in (["get"], ["list"]):',
    "if False:",
    "git config get/list (2.46+) are reads",
)
edit(
    "git.config.read-flags",
    GIT,
    "    if flags & _CONFIG_READ_FLAGS:\n        return True\n",
    "",
    "a config read flag makes it a read",
)
edit(
    "git.config.one-positional",
    GIT,
    "return len(positionals) == 1  # legacy",
    "return True  # legacy",
    "git config name value writes",
)
drop(
    "git.config.read-flag",
    GIT,
    "_CONFIG_READ_FLAGS",
    [
        "--get",
        "--get-all",
        "--get-regexp",
        "--get-urlmatch",
        "--get-color",
        "--get-colorbool",
        "-l",
        "--list",
    ],
    "this config flag reads",
)
drop(
    "git.config.write-flag",
    GIT,
    "_CONFIG_WRITE_FLAGS",
    [
        "--add",
        "--replace-all",
        "--unset",
        "--unset-all",
        "--rename-section",
        "--remove-section",
        "-e",
        "--edit",
    ],
    "this config flag writes",
)
drop(
    "git.config.value-option",
    GIT,
    "_CONFIG_VALUE_OPTIONS",
    ["-f", "--file", "--blob", "--type", "--default"],
    "this config option takes a value",
)
edit(
    "git.remote.words",
    GIT,
    'return not words or words[0] in ("get-url", "show")',
    "return True",
    "remote add/set-url/remove write",
)
edit(
    "git.remote.show",
    GIT,
    'return not words or words[0] in ("get-url", "show")',
    'return not words or words[0] in ("get-url",)',
    "git remote show is a read",
)
edit(
    "git.listing.write-options",
    GIT,
    "    if _writes_listing(args, long_writes, short):\n        return False\n",
    "",
    "a branch/tag write option makes it a write",
)
edit(
    "git.listing.list-flag",
    GIT,
    'listing = "--list" in args or "-l" in args',
    "listing = False",
    "branch/tag --list with a pattern is a read",
)
edit(
    "git.listing.positional",
    GIT,
    "return listing or not _positionals(args, _LIST_VALUE_OPTIONS)",
    "return True",
    "branch/tag with a name creates it",
)
edit(
    "git.listing.long-value",
    GIT,
    'if arg.partition("=")[0] in long_writes:',
    "if arg in long_writes:",
    "--set-upstream-to=x is the write option --set-upstream-to",
)
drop(
    "git.branch-write",
    GIT,
    "_BRANCH_WRITE",
    [
        "--delete",
        "--move",
        "--copy",
        "--set-upstream-to",
        "--unset-upstream",
        "--edit-description",
        "--force",
        "--track",
        "--no-track",
        "--create-reflog",
        "--recurse-submodules",
    ],
    "this branch option writes",
)
drop("git.branch-write-short", GIT, "_BRANCH_WRITE_SHORT", "dDmMcCuft", "this branch flag writes")
drop(
    "git.tag-write",
    GIT,
    "_TAG_WRITE",
    [
        "--delete",
        "--annotate",
        "--sign",
        "--local-user",
        "--force",
        "--message",
        "--file",
        "--edit",
        "--cleanup",
        "--create-reflog",
    ],
    "this tag option writes",
)
drop("git.tag-write-short", GIT, "_TAG_WRITE_SHORT", "dasufmFe", "this tag flag writes")
drop(
    "git.list-value-option",
    GIT,
    "_LIST_VALUE_OPTIONS",
    ["--contains", "--no-contains", "--merged", "--no-merged", "--points-at", "--format", "--sort"],
    "this branch/tag listing option takes a value",
)
edit(
    "git.symbolic-ref.delete",
    GIT,
    'if any(arg in ("-d", "--delete", "-m") for arg in args):',
    "if False:",
    "symbolic-ref -d deletes",
)
edit(
    "git.symbolic-ref.delete-long",
    GIT,
    'if any(arg in ("-d", "--delete", "-m") for arg in args):',
    'if any(arg in ("-d", "-m") for arg in args):',
    "symbolic-ref --delete deletes",
)
edit(
    "git.symbolic-ref.one-positional",
    GIT,
    'return len(_positionals(args, frozenset({"-m"}))) == 1',
    "return True",
    "symbolic-ref HEAD ref writes",
)
edit(
    "git.worktree-stash.words",
    GIT,
    "return bool(words) and words[0] in allowed",
    "return bool(words)",
    "worktree add / stash push write",
)
edit(
    "git.worktree-stash.bare",
    GIT,
    "return bool(words) and words[0] in allowed",
    "return not words or words[0] in allowed",
    "a bare git stash pushes",
)
edit(
    "git.stash.show",
    GIT,
    'allowed = ("list",) if sub == "worktree" else ("list", "show")',
    'allowed = ("list",)',
    "git stash show is a read",
)
edit(
    "git.sub.read-only",
    GIT,
    "    if sub in _READ_ONLY:\n        return True\n",
    "",
    "listed read-only sub-commands pass",
)
edit(
    "git.sub.unknown-refused",
    GIT,
    "        return bool(words) and words[0] in allowed\n    return False\n",
    "        return bool(words) and words[0] in allowed\n    return True\n",
    "an unknown sub-command (or alias) is refused",
)
edit(
    "git.command.empty",
    GIT,
    "    if not argv:\n        return False\n",
    "",
    "an empty argv is refused",
)
edit(
    "git.command.program-wins",
    GIT,
    "name = _program_name(program or argv[0])",
    "name = _program_name(argv[0])",
    "the executable decides, not argv[0]",
)
edit(
    "git.command.exe",
    GIT,
    'name[:-4] if name.lower().endswith(".exe") else name',
    "name",
    "git.exe is git",
)
edit(
    "git.command.shell",
    GIT,
    'if name in _SHELLS and len(argv) == 3 and argv[1] == "-c":',
    "if False:",
    "sh -c with one read-only git command passes",
)
edit(
    "git.command.shell-c",
    GIT,
    'if name in _SHELLS and len(argv) == 3 and argv[1] == "-c":',
    "if name in _SHELLS and len(argv) == 3:",
    "only sh -c LINE is parsed as a command line",
)
drop("git.shells", GIT, "_SHELLS", ["sh", "bash", "dash", "zsh", "ksh"], "this shell is known")
edit(
    "git.shell.meta",
    GIT,
    "    if _SHELL_META & set(command):\n        return False\n",
    "",
    "a shell line with an operator or expansion is refused",
)
drop("git.shell.meta-char", GIT, "_SHELL_META", ";&|>$`\n*?", "a shell line with it is refused")
edit(
    "git.shell.unparseable",
    GIT,
    "    except ValueError:\n        return False\n",
    "    except ValueError:\n        return True\n",
    "a shell line shlex cannot split is refused",
)
edit(
    "git.shell.program-is-git",
    GIT,
    'return bool(words) and _program_name(words[0]) == "git" and is_read_only_git(words[1:], env)',
    "return bool(words) and is_read_only_git(words[1:], env)",
    "the shell line must run git",
)

# Elements of mutated frozensets with no mutant of their own (reasons in EQUIVALENT).
UNMUTATED_ENTRIES: dict[str, set[str]] = {
    "_GLOBAL_WITH_VALUE": {"-C", "-c"},
    "_CONFIG_VALUE_OPTIONS": {"--comment"},
    "_SHELL_META": set("<()[]{}~!#\\"),
}

# Edits left out on purpose: no test could tell them from the original.
EQUIVALENT: dict[str, str] = {
    "hook: drop the `event not in candidates` early return": (
        "performance only: _check finds no rule for a non-candidate event and returns"
    ),
    "hook: drop the fast path for open() in read mode": (
        "performance only: _open returns None for the same flags"
    ),
    "_dir_fds_inside: drop the under-a-root filter": (
        "performance only: a base outside every root yields paths no scope covers"
    ),
    "_GLOBAL_WITH_VALUE: drop -C or -c": (
        '_split_globals tests arg in ("-C", "-c") before consulting the set'
    ),
    "_CONFIG_VALUE_OPTIONS: drop --comment": (
        "--comment only goes with a write (name value), refused by the positional count anyway"
    ),
    "_CONFIG_WRITE_FLAGS vs. the config set/unset/... sub-command words": (
        "each of those forms has two or more positionals, refused by the count anyway"
    ),
    'branch: drop the `"--show-current" in args` short-cut': (
        "without a name, branch --show-current is a listing anyway (and git refuses "
        "--show-current with any other mode: usage error, exit 129)"
    ),
    "_SHELL_META: drop one of < ( ) [ ] { } ~ ! # \\": (
        "alone it cannot make sh write (`<` reads, a lone bracket is a syntax error or a "
        "literal, `[..]` and `{a,b}` need both brackets, `#` only truncates, `!` is "
        "interactive only, `~` and `\\` only change an argument's spelling)"
    ),
    "_open: O_TMPFILE test as `flags & O_TMPFILE` (any bit)": (
        "the other bit is O_DIRECTORY; a write-flagged directory open fails (EISDIR)"
    ),
    "symlink/link/mkdir/rmdir/copytree/rmtree: flip follow": (
        "the new name must not exist (EEXIST), rmdir/rmtree refuse symlinks"
    ),
}
