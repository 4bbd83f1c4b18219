"""Parsing a YAML config: decoding, the limits a hostile file meets, and the text's layout.

``parse_yaml`` turns bytes into ruamel's round-trip document (comments, key
order and quoting kept for the save), refusing what is not a config with an
error that names the file and line: invalid UTF-8, a character YAML forbids,
duplicate keys, nesting deeper than ``MAX_NESTING`` (checked on the event
stream, a state machine that cannot overflow the stack), and alias bombs
(more than ``MAX_EXPANDED_NODES`` nodes once aliases are expanded).

``layout_of`` reads the same event stream for what the splice needs: the line
of each top-level key and the lines inside multi-line scalars.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.reader import ReaderError

from kitty_fs._config_read import BOM, MAX_EXPANDED_NODES, MAX_NESTING, parse_error
from kitty_fs._config_values import kind_of
from kitty_fs._errors import ConfigParseError, ConfigSchemaError

__all__ = [
    "BOM",
    "MAX_EXPANDED_NODES",
    "MAX_NESTING",
    "Layout",
    "Parsed",
    "is_filler",
    "layout_of",
    "parse_error",
    "parse_yaml",
    "round_trip_yaml",
    "split_lines",
]

# YAML 1.2 line breaks, exactly as ruamel counts lines for its marks. str.splitlines
# would also split at \x0c, \x1c, \x85, \u2028... and put every later line number off.
_LINE_BREAK: Final = re.compile(r"\r\n|\n|\r")
_DUPLICATE_KEY: Final = re.compile(r'found duplicate key "(?P<key>.*?)" with value ', re.S)


@attrs.frozen(slots=True)
class Layout:
    """What the splice needs to know about a text, from ruamel's event stream."""

    keys: tuple[tuple[int, str], ...]  # (line, name) of each top-level key, in order
    protected: frozenset[int]  # lines inside a multi-line scalar: content, never comment


@attrs.frozen(slots=True)
class Parsed:
    text: str  # without the BOM
    bom: bool
    doc: CommentedMap
    indent: tuple[int, int, int]
    newline: str


def round_trip_yaml(indent: tuple[int, int, int] = (2, 2, 0)) -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def split_lines(text: str) -> list[str]:
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


def is_filler(line: str) -> bool:
    """A blank or comment-only line (unless it lies inside a multi-line scalar)."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _guess_indent(text: str) -> tuple[int, int, int]:
    """Mapping indent, sequence indent and dash offset as most of the file writes them."""
    mapping_steps: Counter[int] = Counter()
    dash_offsets: Counter[int] = Counter()
    lines = [line for line in split_lines(text) if not is_filler(line)]
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
    for line in split_lines(text):
        bound_line = len(line) - len(line.lstrip(" -?:"))
        if bound + bound_line >= MAX_NESTING:
            return True
    return False


def layout_of(yaml: YAML, text: str, path: Path) -> Layout:
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
    return Layout(keys=tuple(keys), protected=frozenset(protected))


def parse_yaml(path: Path, rel: str, raw: bytes) -> Parsed:
    """Decode and parse ``raw`` into a round-trip document, refusing what is not a config."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise parse_error(
            path, rel, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line
        ) from exc
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    indent = _guess_indent(text)
    yaml = round_trip_yaml(indent)
    try:
        if _may_nest_deeply(text):
            layout_of(yaml, text, path)  # raises when nested too deeply
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
        raise parse_error(path, rel, problem, mark.line + 1 if mark else None) from exc
    except ReaderError as exc:  # a character YAML does not allow
        at = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        raise parse_error(path, rel, f"character {shown} is not allowed in YAML", at) from exc
    except YAMLError as exc:
        raise parse_error(path, rel, str(exc), None) from exc
    except RecursionError as exc:  # backstop for the nesting check
        raise parse_error(path, rel, "nested too deeply", None) from exc
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ConfigSchemaError(
            f"{path}: the document must be a mapping of sections, found {kind_of(doc)}",
            path=path,
            hint="write one `name:` line per section, at column 0 (nothing was written)",
        )
    if _expanded_size(doc, {}) > MAX_EXPANDED_NODES:
        raise ConfigParseError(
            f"{path}: aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?)",
            path=path,
            hint="remove the repeated anchors/aliases (nothing was written)",
        )
    return Parsed(text=text, bom=bom, doc=doc, indent=indent, newline=_newline(text))


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
