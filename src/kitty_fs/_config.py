"""The config store: a read-only view for everyone, a section-scoped save for writers.

``load_config`` accepts any context and returns a deeply immutable view.
``save_config`` takes a ``WriteContext`` (so a read path cannot even call it
under mypy) and changes one top-level section:

* under the file's lock it re-reads the file and applies only its own keys, so
  two writers of different keys or sections never lose each other's update;
* it splices the new text of that one section into the original text, so every
  other section keeps its exact bytes, and ruamel.yaml's round trip keeps the
  comments, key order and quoting of the section it changes;
* before writing it parses the result again and checks that it holds exactly
  the intended data: if the splice cannot be done faithfully (unusual layouts
  such as a top-level flow mapping) it falls back to ruamel's dump of the whole
  document, and if that is not faithful either it writes nothing;
* an unchanged section writes nothing (the mtime stays);
* a file that does not parse is never overwritten; the error names file and line.
"""

from __future__ import annotations

import datetime
import errno
import io
import itertools
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Set
from pathlib import Path
from types import MappingProxyType
from typing import Final

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

from kitty_fs._atomic import atomic_write_bytes, locked, temp_prefix_for
from kitty_fs._context import ReadContext, WriteContext
from kitty_fs._errors import (
    ConfigError,
    ConfigFileError,
    ConfigParseError,
    ConfigSchemaError,
    KittyFsError,
    PathEscapeError,
)
from kitty_fs._paths import RelPath

__all__ = [
    "CONFIG_PATH",
    "MAX_CONFIG_BYTES",
    "MAX_EXPANDED_NODES",
    "MAX_NESTING",
    "ConfigView",
    "load_config",
    "save_config",
    "update_config",
]

CONFIG_PATH: Final = ".kittify/config.yaml"
MAX_CONFIG_BYTES: Final = 1024 * 1024
# A document expanding to more nodes than this through aliases is an alias bomb.
MAX_EXPANDED_NODES: Final = 100_000
# ruamel composes and constructs recursively; far below the interpreter's limit.
MAX_NESTING: Final = 50
_BOM: Final = "\ufeff"
_PARSE_HINT = (
    "fix the YAML by hand (nothing was written), or restore it with `git checkout -- {rel}`"
)
# YAML 1.2 line breaks, exactly as ruamel counts lines for its marks. str.splitlines
# would also split at \x0c, \x1c, \x85, \u2028... and put every later line number off.
_LINE_BREAK: Final = re.compile(r"\r\n|\n|\r")
# Characters YAML 1.1 took for line breaks (NEL, LS, PS); see _to_node.
_NEL_LIKE: Final = frozenset("\x85\u2028\u2029")
_DUPLICATE_KEY: Final = re.compile(r'found duplicate key "(?P<key>.*?)" with value ', re.S)


# --- plain values: the view, and strict comparison -------------------------------------------


def _freeze(value: object) -> object:
    """``value`` as immutable plain Python: mappings as read-only proxies, lists as tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Set):
        return frozenset(_freeze(v) for v in value)
    if isinstance(value, TaggedScalar):  # a scalar with an application tag (`!foo bar`)
        return str(value.value)
    if isinstance(value, bool | ScalarBoolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)  # drop ruamel's ScalarInt subclasses (they carry mutable attributes)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)  # drop ruamel's ScalarString subclasses
    return value


def _plain(value: object) -> object:
    """``value`` in a form where ``==`` means "the same YAML data".

    Scalars carry their kind, because Python says ``True == 1 == 1.0`` and a
    save that turns ``1`` into ``true`` must not be taken for a no-op.
    """
    if isinstance(value, Mapping):
        return {repr(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return ["seq", *(_plain(v) for v in value)]
    if isinstance(value, Set):
        return ("set", frozenset(repr(_plain(v)) for v in value))
    if isinstance(value, TaggedScalar):
        return ("tagged", str(value.tag), str(value.value))
    if isinstance(value, bool | ScalarBoolean):
        return ("bool", bool(value))
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", repr(float(value)))  # repr: nan equals nan, -0.0 differs from 0.0
    if isinstance(value, str):
        return ("str", str(value))
    if value is None:
        return ("null",)
    return (type(value).__name__, value)


_SCALARS: Final = (type(None), bool, int, float, str, datetime.date)


def _check_value(value: object, where: str) -> None:
    """Refuse what a config cannot hold before anything is locked or written."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                kind = type(key).__name__
                raise TypeError(f"config key {where}.{key!r} must be a str, not {kind}")
            _check_value(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_value(item, f"{where}[{index}]")
    elif not isinstance(value, _SCALARS):
        raise TypeError(
            f"config value {where} has type {type(value).__name__}; use str, int, float, bool, "
            "None, a date, a list or a mapping"
        )


# --- the view --------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class ConfigView(Mapping[str, object]):
    """An immutable snapshot of the config document (top-level sections by name)."""

    path: Path
    exists: bool
    _data: Mapping[str, object] = attrs.field(alias="data")

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def section(self, name: str) -> Mapping[str, object] | None:
        """The mapping under ``name``, ``None`` when absent; a non-mapping is a schema error."""
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise _wrong_type(self.path, name, value)
        return value


def _kind(value: object) -> str:
    """What a YAML author calls ``value``'s type (the view holds lists as tuples)."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool | ScalarBoolean):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def _wrong_type(path: Path, name: str, value: object) -> ConfigSchemaError:
    return ConfigSchemaError(
        f"{path}: section '{name}' must be a mapping, found {_kind(value)}",
        path=path,
        hint=f"rewrite '{name}:' as key: value lines (nothing was written)",
    )


# --- reading and parsing ---------------------------------------------------------------------


@attrs.frozen(slots=True)
class _Layout:
    """What the splice needs to know about a text, from ruamel's event stream."""

    keys: tuple[tuple[int, str], ...]  # (line, name) of each top-level key, in order
    protected: frozenset[int]  # lines inside a multi-line scalar: content, never comment


@attrs.frozen(slots=True)
class _Parsed:
    text: str  # without the BOM
    bom: bool
    doc: CommentedMap
    indent: tuple[int, int, int]
    newline: str


def _yaml(indent: tuple[int, int, int] = (2, 2, 0)) -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _split_lines(text: str) -> list[str]:
    """``text`` split after each YAML line break, keeping the breaks."""
    lines: list[str] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def _newline(text: str) -> str:
    match = _LINE_BREAK.search(text)
    return match.group() if match else "\n"


def _is_filler(line: str) -> bool:
    """A blank or comment-only line (unless it lies inside a multi-line scalar)."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _guess_indent(text: str) -> tuple[int, int, int]:
    """Mapping indent, sequence indent and dash offset as most of the file writes them."""
    mapping_steps: Counter[int] = Counter()
    dash_offsets: Counter[int] = Counter()
    lines = [line for line in _split_lines(text) if not _is_filler(line)]
    for prev, line in itertools.pairwise(lines):
        stripped = line.lstrip(" ")
        depth = len(line) - len(stripped)
        prev_depth = len(prev) - len(prev.lstrip(" "))
        if not prev.rstrip().endswith(":"):
            continue
        if stripped.startswith("- "):
            dash_offsets[depth - prev_depth] += 1
        elif depth > prev_depth:
            mapping_steps[depth - prev_depth] += 1
    mapping = mapping_steps.most_common(1)[0][0] if mapping_steps else 2
    offset = dash_offsets.most_common(1)[0][0] if dash_offsets else 0
    return mapping, max(mapping, offset + 2), offset


def _may_nest_deeply(text: str) -> bool:
    """Cheap upper bound on nesting: flow brackets plus block indentation.

    Block nesting needs more indentation (or another ``- ``/``? `` prefix) per
    level, so nesting depth is at most the bracket count plus the longest
    prefix of those characters. Ordinary configs stay far below the limit and
    skip the exact (as costly as a parse) check.
    """
    bound = text.count("[") + text.count("{")
    for line in _split_lines(text):
        bound_line = len(line) - len(line.lstrip(" -?:"))
        if bound + bound_line >= MAX_NESTING:
            return True
    return False


def _layout(yaml: YAML, text: str, path: Path) -> _Layout:
    """One pass over ruamel's events: nesting check, top-level key lines, multi-line scalars.

    The event parser is a state machine, so it cannot overflow the stack on a
    hostile ``[[[[...`` file the way composing it would.
    """
    depth = 0
    expect_key = False
    keys: list[tuple[int, str]] = []
    protected: set[int] = set()
    for event in yaml.parse(text):
        if isinstance(event, NodeEvent) and depth == 1:
            if expect_key:
                name = event.value if isinstance(event, ScalarEvent) else "?"
                keys.append((event.start_mark.line, str(name)))
            expect_key = not expect_key
        if isinstance(event, ScalarEvent) and event.end_mark.line > event.start_mark.line:
            last = event.end_mark.line if event.end_mark.column else event.end_mark.line - 1
            protected.update(range(event.start_mark.line + 1, last + 1))
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth == 1:
                expect_key = True
            if depth > MAX_NESTING:
                line = event.start_mark.line + 1
                raise ConfigParseError(
                    f"{path}:{line}: nested more than {MAX_NESTING} levels deep",
                    path=path,
                    line=line,
                    hint="a config nests a few levels; check what wrote it (nothing was written)",
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return _Layout(keys=tuple(keys), protected=frozenset(protected))


def _file_error(action: str, path: Path, exc: OSError) -> ConfigFileError:
    """An ``OSError`` as a one-line error naming the config (and the other file, if any)."""
    detail = exc.strerror or str(exc)
    # A failed rename names our temp file first and the config second: the config
    # is the one that matters. A temp file of ours is gone: name its directory.
    other = exc.filename2 if exc.filename2 is not None else exc.filename
    if other is not None:
        shown = Path(os.fsdecode(other))
        if shown.name.startswith(temp_prefix_for(path)):
            shown = shown.parent
        if shown != path:
            detail = f"{detail}: {shown}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        hint = "make the file and its directory writable (or readable); nothing was changed"
    elif exc.errno == errno.EROFS:
        hint = "the filesystem is mounted read-only; nothing was changed"
    elif exc.errno == errno.ENOSPC:
        hint = "free some disk space; nothing was changed"
    elif exc.errno == errno.ENOTDIR:
        blocker = next((p for p in reversed(path.parents) if not p.is_dir()), path.parent)
        hint = f"{blocker} is a file where a directory belongs: move it aside; nothing was changed"
    else:
        hint = "fix the cause and retry; nothing was changed"
    return ConfigFileError(f"cannot {action} {path}: {detail}", path=path, hint=hint)


def _read_raw(path: Path, rel: str) -> bytes | None:
    """The file's bytes, ``None`` when it does not exist; refuses anything but a small file."""
    hint = f"replace {rel} with a regular file (nothing was written)"
    try:
        # O_NONBLOCK: a FIFO must not hang us; O_NOFOLLOW: ``path`` is resolved, so
        # a link here appeared since (or is a loop) and is not followed.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _file_error("read", path, exc) from exc
    try:
        kind = stat.S_IFMT(os.fstat(fd).st_mode)
        if kind == stat.S_IFDIR:
            raise ConfigFileError(f"{path} is a directory, not a config file", path=path, hint=hint)
        if kind != stat.S_IFREG:
            raise ConfigFileError(f"{path} is not a regular file", path=path, hint=hint)
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise _file_error("read", path, exc) from exc
    finally:
        os.close(fd)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigFileError(
            f"{path} is over the {MAX_CONFIG_BYTES}-byte limit for a config file",
            path=path,
            hint="a spec-kitty config is a few KiB; check what wrote there (nothing was written)",
        )
    return raw


def _parse_error(path: Path, rel: str, problem: str, line: int | None) -> ConfigParseError:
    where = f"{path}:{line}" if line else str(path)
    return ConfigParseError(
        f"{where}: {problem}", path=path, line=line, hint=_PARSE_HINT.format(rel=rel)
    )


def _parse(path: Path, rel: str, raw: bytes) -> _Parsed:
    """Decode and parse ``raw`` into a round-trip document, refusing what is not a config."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _parse_error(
            path, rel, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line
        ) from exc
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    indent = _guess_indent(text)
    yaml = _yaml(indent)
    try:
        if _may_nest_deeply(text):
            _layout(yaml, text, path)  # raises when nested too deeply
        doc = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        duplicate = _DUPLICATE_KEY.match(problem)
        if duplicate is not None:
            # ruamel quotes both whole values: a duplicated section would fill the screen.
            problem = (
                f'duplicate key "{duplicate["key"]}" (a key may appear only once in a mapping)'
            )
        raise _parse_error(path, rel, problem, mark.line + 1 if mark else None) from exc
    except ReaderError as exc:  # a character YAML does not allow
        at = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        raise _parse_error(path, rel, f"character {shown} is not allowed in YAML", at) from exc
    except YAMLError as exc:
        raise _parse_error(path, rel, str(exc), None) from exc
    except RecursionError as exc:  # backstop for the nesting check
        raise _parse_error(path, rel, "nested too deeply", None) from exc
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ConfigSchemaError(
            f"{path}: the document must be a mapping of sections, found {_kind(doc)}",
            path=path,
            hint="start the file with `project:` / `tracker:` sections (nothing was written)",
        )
    if _expanded_size(doc, {}) > MAX_EXPANDED_NODES:
        raise ConfigParseError(
            f"{path}: aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?)",
            path=path,
            hint="remove the repeated anchors/aliases (nothing was written)",
        )
    return _Parsed(text=text, bom=bom, doc=doc, indent=indent, newline=_newline(text))


def _expanded_size(node: object, memo: dict[int, int]) -> int:
    # Shared (aliased) nodes are counted once per reference: that is the size a
    # consumer walking the document would see, and what an alias bomb inflates.
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # cycles (recursive aliases) count once
    total = 1
    if isinstance(node, Mapping):
        for k, v in node.items():
            total += _expanded_size(k, memo) + _expanded_size(v, memo)
    elif isinstance(node, list):
        for v in node:
            total += _expanded_size(v, memo)
    memo[key] = total
    return total


def _config_path(ctx: ReadContext, rel: RelPath) -> Path:
    lexical = ctx.root / os.fspath(rel)
    try:
        path = ctx.path(rel)
    except PathEscapeError as exc:
        if Path(os.path.realpath(lexical)).is_relative_to(ctx.root):
            raise  # not a link out (a symlink loop...): the error says what it is
        # The user passed no path: the config (or a directory above it) is a link out.
        raise PathEscapeError(
            exc.message,
            path=exc.path,
            hint=f"{rel} (or a directory above it) is a symlink out of {ctx.root}: replace the "
            "link with a regular file inside the repository (nothing was read or written)",
        ) from None
    if lexical.is_symlink() and not path.exists():
        raise ConfigFileError(
            f"{lexical} is a dangling or looping symlink (to {lexical.readlink()})",
            path=lexical,
            hint=f"remove the link or point it at a real file inside {ctx.root}",
        )
    return path


def load_config(ctx: ReadContext, rel: RelPath = CONFIG_PATH) -> ConfigView:
    """Read the config below ``ctx.root``; a missing file is an empty view with ``exists=False``."""
    path = _config_path(ctx, rel)
    raw = _read_raw(path, os.fspath(rel))
    if raw is None:
        return ConfigView(path=path, exists=False, data=MappingProxyType({}))
    last = _LAST_VIEW.get(path)
    if last is not None and last[0] == raw:
        return last[1]
    parsed = _parse(path, os.fspath(rel), raw)
    frozen = _freeze(parsed.doc)
    assert isinstance(frozen, Mapping)
    view = ConfigView(path=path, exists=True, data=frozen)
    _LAST_VIEW[path] = (raw, view)
    return view


# The last view of each config, keyed by its bytes: a command reads one config several
# times (identity, tracker, emitter) and the parse is the expensive part. Views are
# immutable, and equal bytes parse to an equal view, so sharing one is safe.
_LAST_VIEW: dict[Path, tuple[bytes, ConfigView]] = {}


# --- changing one section --------------------------------------------------------------------


def _to_node(value: object) -> object:
    """A plain value as ruamel nodes, ready to dump."""
    if isinstance(value, Mapping):
        node = CommentedMap()
        for k, v in value.items():
            node[_to_node(k)] = _to_node(v)
        return node
    if isinstance(value, list | tuple):
        return CommentedSeq(_to_node(v) for v in value)
    if isinstance(value, str) and not isinstance(value, ScalarString) and _NEL_LIKE & set(value):
        # ruamel's emitter takes these for line breaks in plain and single-quoted style and
        # the text reads back changed; double quotes escape them (\N, \L, \P).
        return DoubleQuotedScalarString(value)
    return value


def _repair_floats(node: object, representer: RoundTripRepresenter) -> None:
    """Turn floats ruamel would re-emit with other digits into plain floats, in place.

    ruamel keeps a loaded float's notation and re-emits it by truncating the
    digits to that width: ``3.628534946533736e+57`` comes back as ``...735e+57``,
    a different number. Where that happens, the value is written as Python's
    shortest exact repr instead (the notation is lost, the number is not).
    """
    if isinstance(node, CommentedMap):
        items: list[tuple[object, object]] = list(node.non_merged_items())
    elif isinstance(node, CommentedSeq):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        if isinstance(value, ScalarFloat) and math.isfinite(value):
            text = representer.represent_scalar_float(value).value
            try:
                exact = float(text.replace("_", "")) == float(value)
            except ValueError:
                exact = False
            if not exact:
                node[key] = float(value)
        else:
            _repair_floats(value, representer)


def _assign(target: CommentedMap, key: str, value: object) -> None:
    """Set ``target[key]`` to ``value``, reusing existing nodes so their comments survive."""
    current = target.get(key)
    # Emptied in place, a container keeps comments ruamel then emits in places that
    # do not parse (`[]` at column 0 after a comment line): an empty value gets a new node.
    if isinstance(value, Mapping) and value and isinstance(current, CommentedMap):
        for stale in [k for k in current if k not in value]:
            del current[stale]
        for k, v in value.items():
            _assign(current, str(k), v)
        return
    if key in target and _plain(current) == _plain(value):
        return
    if isinstance(value, list | tuple) and value and isinstance(current, CommentedSeq):
        _assign_items(current, value)
        return
    if key in target:
        target[key] = _to_node(value)
    else:
        target[_to_node(key)] = _to_node(value)


def _assign_items(target: CommentedSeq, values: list[object] | tuple[object, ...]) -> None:
    """Make ``target`` hold ``values``, keeping the items (quotes, comments) that stay equal."""
    for index, value in enumerate(values):
        if index >= len(target):
            target.append(_to_node(value))
            continue
        current = target[index]
        if _plain(current) == _plain(value):
            continue
        if isinstance(value, Mapping) and value and isinstance(current, CommentedMap):
            for stale in [k for k in current if k not in value]:
                del current[stale]
            for k, v in value.items():
                _assign(current, str(k), v)
        else:
            target[index] = _to_node(value)
    del target[len(values) :]


@attrs.frozen(slots=True)
class _Span:
    start: int  # the key's line
    end: int  # after the block's last content line
    next_start: int  # the next top-level key's line (or the line count)


def _spans(lines: list[str], shape: _Layout) -> dict[str, _Span]:
    """Where each top-level key's block lies, by line.

    Comment and blank lines that close a block (``end`` to ``next_start``) are
    not part of it: they read as the header of whatever follows, so they stay
    where they are when the block before them is rewritten or grows.
    """
    starts = sorted(shape.keys)
    spans: dict[str, _Span] = {}
    for index, (line, key) in enumerate(starts):
        next_start = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        end = next_start
        while end > line + 1 and end - 1 not in shape.protected and _is_filler(lines[end - 1]):
            end -= 1
        spans[key] = _Span(line, end, next_start)
    return spans


def _without_run(block: list[str], run: list[str], protected: Collection[int]) -> list[str]:
    """``block`` minus the last occurrence of the filler lines ``run`` outside any scalar.

    ruamel hangs the comments that close a section on its last node and dumps
    them after it, so the block carries a copy of lines that stay in place in
    the original. Only the last occurrence can be that copy (keys added since
    come after it, and carry no comments); lines inside a block scalar are
    content, never a copy.
    """
    if not run:
        return block
    wanted = [line.rstrip() for line in run]
    for index in range(len(block) - len(run), -1, -1):
        window = range(index, index + len(run))
        if any(i in protected for i in window):
            continue
        if [block[i].rstrip() for i in window] == wanted:
            return block[:index] + block[index + len(run) :]
    return block


def _with_newline(lines: list[str], newline: str) -> list[str]:
    if newline == "\n":
        return lines
    return [line[:-1] + newline if line.endswith("\n") else line for line in lines]


def _dump(parsed: _Parsed, doc: CommentedMap | None = None) -> str:
    buffer = io.StringIO()
    _yaml(parsed.indent).dump(parsed.doc if doc is None else doc, buffer)
    return buffer.getvalue()


def _section_alone(doc: CommentedMap, section: str) -> CommentedMap:
    """A document holding only ``section`` (same key object, same comment on its line).

    Dumping only the section being saved keeps ruamel's emitter away from the
    other sections: it has bugs with some comment placements there, and their
    text is kept from the original anyway.
    """
    alone = CommentedMap()
    for key, value in doc.non_merged_items():
        if key == section:
            alone[key] = value
            if key in doc.ca.items:
                alone.ca.items[key] = doc.ca.items[key]
    return alone


def _old_layout(parsed: _Parsed, lines: list[str], section: str, path: Path) -> _Layout:
    """The original text's layout, without parsing the whole file again.

    Key lines come from ruamel's line records; multi-line scalars matter only
    in the block being replaced, so only that block goes through the event
    parser (a block is a YAML document of its own; if it does not parse alone,
    say through a tag directive, no lines are protected and the check after
    the splice decides).
    """
    # Own keys only: keys merged in through `<<: *anchor` have no line of their own.
    own = [k for k, _v in parsed.doc.non_merged_items()]
    keys = tuple(sorted((parsed.doc.lc.key(k)[0], str(k)) for k in own))
    span = _spans(lines, _Layout(keys=keys, protected=frozenset())).get(section)
    if span is None:
        return _Layout(keys=keys, protected=frozenset())
    try:
        block = _layout(_yaml(), "".join(lines[span.start : span.next_start]), path)
    except (YAMLError, ConfigParseError):
        return _Layout(keys=keys, protected=frozenset())
    return _Layout(keys=keys, protected=frozenset(span.start + i for i in block.protected))


def _splice(parsed: _Parsed, old_keys: _Layout, section: str, path: Path) -> str | None:
    """The new file text: the original with only ``section``'s block replaced."""
    dumped = _dump(parsed, _section_alone(parsed.doc, section))
    new_lines = _split_lines(dumped)
    new_shape = _layout(_yaml(parsed.indent), dumped, path)
    new_span = _spans(new_lines, new_shape).get(section)
    if new_span is None:  # a key the event stream names differently (complex keys...)
        return None
    block = new_lines[new_span.start : new_span.next_start]
    protected = {i - new_span.start for i in new_shape.protected}

    old_lines = _split_lines(parsed.text)
    if old_lines and not old_lines[-1].endswith(("\n", "\r")):
        old_lines[-1] += parsed.newline
    old = _spans(old_lines, old_keys).get(section)
    if old is not None:
        # ruamel carries the closing comments inside the block (after the last value);
        # they stay in place in the original text, so drop their copy from the block.
        block = _without_run(block, old_lines[old.end : old.next_start], protected)
    while block and len(block) - 1 not in protected and _is_filler(block[-1]):
        block.pop()
    block = _with_newline(block, parsed.newline)
    if old is None:
        return "".join(old_lines + block)
    old_lines[old.start : old.end] = block
    return "".join(old_lines)


def _faithful(text: str, expected: object) -> bool:
    """Does ``text`` parse to exactly ``expected`` (a ``_plain`` document)?"""
    try:
        return _plain(_yaml().load(text)) == expected
    except Exception:  # any failure to read it back means "not faithful"
        return False


def _uncommented(node: object) -> object:
    """A copy of ``node`` without comments (keys, order and scalar styles kept)."""
    if isinstance(node, CommentedMap):
        fresh = CommentedMap()
        for key, value in node.items():
            fresh[key] = _uncommented(value)
        return fresh
    if isinstance(node, CommentedSeq):
        return CommentedSeq(_uncommented(value) for value in node)
    return node


def _render(parsed: _Parsed, old_layout: _Layout, section: str, path: Path) -> str:
    """The text to write, checked to parse back to the intended document."""
    expected = _plain(parsed.doc)
    try:
        spliced = _splice(parsed, old_layout, section, path)
    except YAMLError:  # ruamel's dump does not parse alone (a %TAG directive it drops...)
        spliced = None
    if spliced is not None and _faithful(spliced, expected):
        return spliced
    # The splice lost something (a layout it cannot cut cleanly): take ruamel's dump of the
    # whole document. Other sections may change format then, but never content.
    dumped = "".join(_with_newline(_split_lines(_dump(parsed)), parsed.newline))
    if _faithful(dumped, expected):
        return dumped
    # Some comment placements inside the saved section cannot be emitted by ruamel at all
    # (a comment between null items of a list): last resort, that section without its own
    # comments, spliced so that every other byte of the file stays.
    parsed.doc[section] = _uncommented(parsed.doc[section])
    try:
        spliced = _splice(parsed, old_layout, section, path)
    except YAMLError:
        spliced = None
    if spliced is not None and _faithful(spliced, expected):
        return spliced
    raise ConfigError(
        f"{path}: cannot write section '{section}' so that it reads back as saved",
        path=path,
        hint="nothing was written; please report this file's layout as a kitty_fs bug",
    )


def save_config(
    ctx: WriteContext,
    section: str,
    changes: Mapping[str, object],
    *,
    remove: Collection[str] = (),
    rel: RelPath = CONFIG_PATH,
) -> bool:
    """Set ``changes`` and delete ``remove`` in the top-level ``section``; True if the file changed.

    Keys of ``section`` not named are left as they are on disk *at the time of
    the save* (re-read under the lock), so concurrent writers of different keys
    compose. A nested mapping value replaces the nested mapping, keeping the
    comments of the keys that stay. Values must be str, int, float, bool, None,
    dates, lists or str-keyed mappings of those (``TypeError`` otherwise).

    Raises ``ConfigParseError`` / ``ConfigSchemaError`` when the file on disk is
    not a usable config, ``ConfigFileError`` when it cannot be read or replaced;
    in every case the file is left as it was.
    """
    _check_value(dict(changes), section)
    return _save(ctx, section, lambda _current: (changes, remove), rel)


def update_config(
    ctx: WriteContext,
    section: str,
    compute: Callable[[Mapping[str, object]], Mapping[str, object]],
    *,
    rel: RelPath = CONFIG_PATH,
) -> bool:
    """Read-modify-write of one section that no other writer can interleave with.

    ``compute`` is called under the write lock with the section as it is on
    disk at that moment (a read-only mapping, empty when absent) and returns the
    keys to set, as for ``save_config`` (an empty mapping writes nothing). Use
    it when the new values depend on the stored ones: "mint a uuid unless one is
    stored" decided outside the lock lets two writers each mint one and the last
    save win. True if the file changed.
    """

    def decide(current: Mapping[str, object]) -> tuple[Mapping[str, object], Collection[str]]:
        changes = compute(current)
        _check_value(dict(changes), section)
        return changes, ()

    return _save(ctx, section, decide, rel)


_Decide = Callable[[Mapping[str, object]], tuple[Mapping[str, object], Collection[str]]]


def _save(ctx: WriteContext, section: str, decide: _Decide, rel: RelPath) -> bool:
    path = _config_path(ctx, rel)
    rel_text = os.fspath(rel)
    try:
        with locked(path):
            raw = _read_raw(path, rel_text)
            parsed = _parse(path, rel_text, raw or b"")
            doc = parsed.doc
            # Before the section changes: ruamel's line records are those of the original.
            old_layout = _old_layout(parsed, _split_lines(parsed.text), section, path)
            existing = doc.get(section)
            if existing is not None and not isinstance(existing, CommentedMap):
                raise _wrong_type(path, section, existing)
            current = _freeze(existing) if existing is not None else MappingProxyType({})
            assert isinstance(current, Mapping)
            changes, remove = decide(current)
            before = _plain(existing)
            others = {str(k): _plain(v) for k, v in doc.items() if k != section}
            if existing is None:
                existing = CommentedMap()
                doc[section if section in doc else _to_node(section)] = existing
            for key in remove:
                existing.pop(key, None)
            for key, value in changes.items():
                _assign(existing, key, value)
            if _plain(existing) == before or (before == ("null",) and not existing):
                return False
            if {str(k): _plain(v) for k, v in doc.items() if k != section} != others:
                raise ConfigSchemaError(
                    f"{path}: section '{section}' shares YAML anchors with other sections, "
                    "so saving it would change them too",
                    path=path,
                    hint=f"replace the aliases (*name) in or to '{section}' by plain values",
                )
            _repair_floats(doc, RoundTripRepresenter())
            text = _render(parsed, old_layout, section, path)
            data = (_BOM + text if parsed.bom else text).encode("utf-8")
            if raw is None:
                path.parent.mkdir(parents=True, exist_ok=True)
            return atomic_write_bytes(path, data, lock=False)
    except KittyFsError:
        raise
    except OSError as exc:
        raise _file_error("write", path, exc) from exc
