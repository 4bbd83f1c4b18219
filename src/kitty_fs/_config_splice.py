"""The splice-and-verify engine: a save rewrites one section's lines and keeps every other byte.

ruamel can dump a whole document, but its emitter reflows what it does not
model (blank lines, some comment placements, indentation of other sections).
So a save dumps only the section it changes, cuts that block out of the
dump, and puts it in place of the section's old lines in the original text.
Where a block ends is decided by the top-level key lines (``Layout``): the
comment and blank lines that close a block belong to whatever follows it, so
they stay; lines inside multi-line scalars are content, never comments.

The result is then verified: parsed again, it must equal the intended
document exactly (``plain`` comparison). If the splice cannot be done
faithfully (a top-level flow mapping, a %TAG directive...), ``render`` falls
back to ruamel's dump of the whole document (other sections may change
format, never content), then to the section without its own comments, and
otherwise refuses: nothing is written. docs/config-store.md has a worked
example.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping
from pathlib import Path
from types import MappingProxyType

import attrs
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter

from kitty_fs._config_assign import assign, repair_floats, to_node
from kitty_fs._config_values import Decide, Plan, freeze, plain, wrong_type
from kitty_fs._config_yaml import (
    BOM,
    Layout,
    Parsed,
    is_filler,
    layout_of,
    parse_yaml,
    round_trip_yaml,
    split_lines,
)
from kitty_fs._errors import ConfigError, ConfigParseError, ConfigSchemaError

__all__ = ["render", "yaml_plan"]


@attrs.frozen(slots=True)
class _Span:
    start: int  # the key's line
    end: int  # after the block's last content line
    next_start: int  # the next top-level key's line (or the line count)


def _spans(lines: list[str], shape: Layout) -> dict[str, _Span]:
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
        while end > line + 1 and end - 1 not in shape.protected and is_filler(lines[end - 1]):
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


def _dump(parsed: Parsed, doc: CommentedMap | None = None) -> str:
    buffer = io.StringIO()
    round_trip_yaml(parsed.indent).dump(parsed.doc if doc is None else doc, buffer)
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


def original_layout(parsed: Parsed, lines: list[str], section: str, path: Path) -> Layout:
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
    span = _spans(lines, Layout(keys=keys, protected=frozenset())).get(section)
    if span is None:
        return Layout(keys=keys, protected=frozenset())
    try:
        block = layout_of(round_trip_yaml(), "".join(lines[span.start : span.next_start]), path)
    except (YAMLError, ConfigParseError):
        return Layout(keys=keys, protected=frozenset())
    return Layout(keys=keys, protected=frozenset(span.start + i for i in block.protected))


def _splice(parsed: Parsed, old_keys: Layout, section: str, path: Path) -> str | None:
    """The new file text: the original with only ``section``'s block replaced."""
    dumped = _dump(parsed, _section_alone(parsed.doc, section))
    new_lines = split_lines(dumped)
    new_shape = layout_of(round_trip_yaml(parsed.indent), dumped, path)
    new_span = _spans(new_lines, new_shape).get(section)
    if new_span is None:  # a key the event stream names differently (complex keys...)
        return None
    block = new_lines[new_span.start : new_span.next_start]
    protected = {i - new_span.start for i in new_shape.protected}

    old_lines = split_lines(parsed.text)
    if old_lines and not old_lines[-1].endswith(("\n", "\r")):
        old_lines[-1] += parsed.newline
    old = _spans(old_lines, old_keys).get(section)
    if old is not None:
        # ruamel carries the closing comments inside the block (after the last value);
        # they stay in place in the original text, so drop their copy from the block.
        block = _without_run(block, old_lines[old.end : old.next_start], protected)
    while block and len(block) - 1 not in protected and is_filler(block[-1]):
        block.pop()
    block = _with_newline(block, parsed.newline)
    if old is None:
        return "".join(old_lines + block)
    old_lines[old.start : old.end] = block
    return "".join(old_lines)


def _faithful(text: str, expected: object) -> bool:
    """Does ``text`` parse to exactly ``expected`` (a ``plain`` document)?"""
    try:
        return plain(round_trip_yaml().load(text)) == expected
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


def render(parsed: Parsed, old_layout: Layout, section: str, path: Path) -> str:
    """The text to write, checked to parse back to the intended document."""
    expected = plain(parsed.doc)
    try:
        spliced = _splice(parsed, old_layout, section, path)
    except YAMLError:  # ruamel's dump does not parse alone (a %TAG directive it drops...)
        spliced = None
    if spliced is not None and _faithful(spliced, expected):
        return spliced
    # The splice lost something (a layout it cannot cut cleanly): take ruamel's dump of the
    # whole document. Other sections may change format then, but never content.
    dumped = "".join(_with_newline(split_lines(_dump(parsed)), parsed.newline))
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


def yaml_plan(path: Path, rel: str, raw: bytes, section: str, decide: Decide) -> Plan:
    """The new file bytes for a save of ``section`` into the YAML text ``raw``."""
    parsed = parse_yaml(path, rel, raw)
    doc = parsed.doc
    # Before the section changes: ruamel's line records are those of the original.
    old_layout = original_layout(parsed, split_lines(parsed.text), section, path)
    existing = doc.get(section)
    if existing is not None and not isinstance(existing, CommentedMap):
        raise wrong_type(path, section, existing)
    current = freeze(existing) if existing is not None else MappingProxyType({})
    assert isinstance(current, Mapping)
    changes, remove = decide(current)
    empty = not doc
    before = plain(existing)
    others = {str(k): plain(v) for k, v in doc.items() if k != section}
    if existing is None:
        existing = CommentedMap()
        doc[section if section in doc else to_node(section)] = existing
    for key in remove:
        existing.pop(key, None)
    for key, value in changes.items():
        assign(existing, key, value)
    if plain(existing) == before or (before == ("null",) and not existing):
        return Plan(None, empty)
    if {str(k): plain(v) for k, v in doc.items() if k != section} != others:
        raise ConfigSchemaError(
            f"{path}: section '{section}' shares YAML anchors with other sections, "
            "so saving it would change them too",
            path=path,
            hint=f"replace the aliases (*name) in or to '{section}' by plain values",
        )
    repair_floats(doc, RoundTripRepresenter())
    text = render(parsed, old_layout, section, path)
    return Plan((BOM + text if parsed.bom else text).encode("utf-8"), empty)
