"""The config store: a read-only view for everyone, a section-scoped save for writers.

``load_config`` accepts any context and returns a deeply immutable view.
``save_config`` takes a ``WriteContext`` (so a read path cannot even call it
under mypy) and changes one top-level section:

* under the file's lock it re-reads the file and applies only its own keys, so
  two writers of different keys or sections never lose each other's update;
* it splices the new text of that one section into the original text, so every
  other section keeps its exact bytes, and ruamel.yaml's round trip keeps the
  comments, key order and quoting of the section it changes;
* an unchanged section writes nothing (the mtime stays);
* a file that does not parse is never overwritten; the error names file and line.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from kitty_fs._atomic import atomic_write_bytes, locked
from kitty_fs._context import ReadContext, WriteContext
from kitty_fs._errors import (
    ConfigFileError,
    ConfigParseError,
    ConfigSchemaError,
    KittyFsError,
)
from kitty_fs._paths import RelPath

__all__ = ["CONFIG_PATH", "MAX_CONFIG_BYTES", "ConfigView", "load_config", "save_config"]

CONFIG_PATH: Final = ".kittify/config.yaml"
MAX_CONFIG_BYTES: Final = 1024 * 1024
# A document expanding to more nodes than this through aliases is an alias bomb.
MAX_EXPANDED_NODES: Final = 100_000
_BOM: Final = "\ufeff"
_PARSE_HINT = "fix the YAML by hand (nothing was written), or restore it with `git checkout -- {rel}`"


def _freeze(value: object) -> object:
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, str):
        return str(value)  # drop ruamel's ScalarString subclasses
    return value


def _plain(value: object) -> object:
    """ruamel nodes as plain dicts/lists, for equality checks."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


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


def _wrong_type(path: Path, name: str, value: object) -> ConfigSchemaError:
    return ConfigSchemaError(
        f"{path}: section '{name}' must be a mapping, found {type(value).__name__}",
        path=path,
        hint=f"rewrite '{name}:' as key: value lines (nothing was written)",
    )


@attrs.frozen(slots=True)
class _Parsed:
    text: str
    bom: bool
    doc: CommentedMap
    indent: tuple[int, int, int]


def _yaml(indent: tuple[int, int, int] = (2, 2, 0)) -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _guess_indent(text: str) -> tuple[int, int, int]:
    """Mapping indent, sequence indent and dash offset as most of the file writes them."""
    mapping_steps: Counter[int] = Counter()
    dash_offsets: Counter[int] = Counter()
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for prev, line in zip(lines, lines[1:], strict=False):
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


def _read_raw(path: Path, rel: str) -> bytes | None:
    hint = f"replace {rel} with a regular file (nothing was written)"
    if path.is_dir():
        raise ConfigFileError(f"{path} is a directory, not a config file", path=path, hint=hint)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size > MAX_CONFIG_BYTES:
        raise ConfigFileError(
            f"{path} is {size} bytes, over the {MAX_CONFIG_BYTES}-byte limit for a config file",
            path=path,
            hint="a spec-kitty config is a few KiB; check what wrote there",
        )
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise ConfigFileError(
            f"{path} is not readable", path=path, hint="fix its permissions"
        ) from exc


def _parse(path: Path, rel: str, raw: bytes) -> _Parsed:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigParseError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            path=path,
            line=line,
            hint=_PARSE_HINT.format(rel=rel),
        ) from exc
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    indent = _guess_indent(text)
    try:
        doc = _yaml(indent).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        where = f"{path}:{line}" if line else str(path)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigParseError(
            f"{where}: {problem}", path=path, line=line, hint=_PARSE_HINT.format(rel=rel)
        ) from exc
    except YAMLError as exc:
        raise ConfigParseError(
            f"{path}: {exc}", path=path, hint=_PARSE_HINT.format(rel=rel)
        ) from exc
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ConfigSchemaError(
            f"{path}: the document must be a mapping of sections, found {type(doc).__name__}",
            path=path,
            hint="start the file with `project:` / `tracker:` sections (nothing was written)",
        )
    if _expanded_size(doc, {}) > MAX_EXPANDED_NODES:
        raise ConfigParseError(
            f"{path}: aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?)",
            path=path,
            hint="remove the repeated anchors/aliases (nothing was written)",
        )
    return _Parsed(text=text, bom=bom, doc=doc, indent=indent)


def _config_path(ctx: ReadContext, rel: RelPath) -> Path:
    rel_text = os.fspath(rel)
    lexical = ctx.root / rel_text
    path = ctx.path(rel)
    if lexical.is_symlink() and not path.exists():
        raise ConfigFileError(
            f"{lexical} is a dangling symlink (to {os.readlink(lexical)})",
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
    parsed = _parse(path, os.fspath(rel), raw)
    frozen = _freeze(parsed.doc)
    assert isinstance(frozen, Mapping)
    return ConfigView(path=path, exists=True, data=frozen)


def _to_node(value: object) -> object:
    if isinstance(value, Mapping):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = _to_node(v)
        return node
    if isinstance(value, list | tuple):
        return CommentedSeq(_to_node(v) for v in value)
    return value


def _assign(target: CommentedMap, key: str, value: object) -> None:
    """Set ``target[key]`` to ``value``, reusing existing nodes so their comments survive."""
    current = target.get(key)
    if isinstance(value, Mapping) and isinstance(current, CommentedMap):
        for stale in [k for k in current if k not in value]:
            del current[stale]
        for k, v in value.items():
            _assign(current, str(k), v)
        return
    if _plain(current) == _plain(value) and key in target:
        return
    target[key] = _to_node(value)


@attrs.frozen(slots=True)
class _Span:
    start: int  # the key's line
    end: int  # after the block's last content line
    next_start: int  # the next top-level key's line (or the line count)


def _top_level_spans(text: str, doc: CommentedMap) -> dict[str, _Span]:
    """Where each top-level key's block lies in ``text``, by line.

    Comment and blank lines that close a block (``end`` to ``next_start``) are
    not part of it: they read as the header of whatever follows, so they stay
    where they are when the block before them is rewritten or grows.
    """
    lines = text.splitlines()
    starts = sorted((doc.lc.key(k)[0], str(k)) for k in doc)
    spans: dict[str, _Span] = {}
    for index, (line, key) in enumerate(starts):
        next_start = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        end = next_start
        while end > line + 1 and (
            not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
        ):
            end -= 1
        spans[key] = _Span(line, end, next_start)
    return spans


def _without_run(block: list[str], run: list[str]) -> list[str]:
    """``block`` minus the first occurrence of the consecutive lines ``run``."""
    if not run:
        return block
    for index in range(len(block) - len(run) + 1):
        if block[index : index + len(run)] == run:
            return block[:index] + block[index + len(run) :]
    return block


def _render(parsed: _Parsed, old_spans: Mapping[str, _Span], section: str) -> str:
    """The new file text: the original with only ``section``'s block replaced."""
    buffer = io.StringIO()
    _yaml(parsed.indent).dump(parsed.doc, buffer)
    dumped = buffer.getvalue()
    new_lines = dumped.splitlines(keepends=True)
    new_span = _top_level_spans(dumped, _yaml(parsed.indent).load(dumped))[section]
    block = new_lines[new_span.start : new_span.next_start]

    old_lines = parsed.text.splitlines(keepends=True)
    if old_lines and not old_lines[-1].endswith("\n"):
        old_lines[-1] += "\n"
    old = old_spans.get(section)
    if old is None:
        return "".join(old_lines + block)
    # ruamel carries the closing comments inside the block (after the last value);
    # they stay in place in the original text, so drop their copy from the block.
    block = _without_run(block, old_lines[old.end : old.next_start])
    while block and (not block[-1].strip() or block[-1].lstrip().startswith("#")):
        block.pop()
    old_lines[old.start : old.end] = block
    return "".join(old_lines)


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
    comments of the keys that stay.
    """
    path = _config_path(ctx, rel)
    rel_text = os.fspath(rel)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with locked(path):
            raw = _read_raw(path, rel_text)
            parsed = _parse(path, rel_text, raw if raw is not None else b"")
            doc = parsed.doc
            existing = doc.get(section)
            if existing is not None and not isinstance(existing, CommentedMap):
                raise _wrong_type(path, section, existing)
            before = _plain(existing)
            old_spans = _top_level_spans(parsed.text, doc)
            if existing is None:
                existing = CommentedMap()
                doc[section] = existing
            for key in remove:
                existing.pop(key, None)
            for key, value in changes.items():
                _assign(existing, key, value)
            if _plain(existing) == before:
                return False
            text = _render(parsed, old_spans, section)
            data = (_BOM + text if parsed.bom else text).encode("utf-8")
            return atomic_write_bytes(path, data, lock=False)
    except KittyFsError:
        raise
    except PermissionError as exc:
        raise ConfigFileError(
            f"cannot write {path}: permission denied ({exc.strerror})",
            path=path,
            hint="make the file and its directory writable; the config was left as it was",
        ) from exc
    except OSError as exc:
        raise ConfigFileError(
            f"cannot write {path}: {exc.strerror or exc}",
            path=path,
            hint="the config was left as it was; fix the cause and retry",
        ) from exc
