"""Hypothesis strategies for the YAML subset's differential test: its grammar, and near misses.

``documents()`` draws texts the subset must accept: block mappings at any
indentation step, lists at the key's column or indented, plain, quoted,
numeric and keyword scalars, comments and blank lines anywhere a comment may
be. ``near_misses()`` takes one of them and applies one or two ``MUTATIONS``:
a value or key replaced by one of ``TRICKY_SCALARS``/``TRICKY_KEYS``, a line
shifted, duplicated, dropped or joined, a character YAML treats specially put
in its middle. One defect at a time, so a text is almost, not quite, in the
subset (with many, nearly every text would be refused for the first one).
"""

from __future__ import annotations

import functools
import string
import uuid
from collections.abc import Callable

from hypothesis import strategies as st

__all__ = ["MUTATIONS", "TRICKY_KEYS", "TRICKY_SCALARS", "documents", "near_misses"]

_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}

# Scalars whose YAML 1.2 reading is easy to get wrong, and text beyond the subset.
TRICKY_SCALARS = (
    *("0", "-0", "+0", "+1", "007", "08", "0x1f", "0X1F", "0o17", "0b101", "1_000", "-1_0"),
    *("1.5", "1.", "-1.5", "1e3", "1E3", "1e-3", "1e+3", "1.5e3", ".5", "-.5", "+.5", "1e"),
    *(".inf", "-.inf", "+.inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "nan", "inf"),
    *("2024-01-01", "2024-1-1", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5"),
    *("1:30", "12:30:00", "190:20:30", "1-2", "1+2", "1 2", "123-", "12e4-5", "1.2.3"),
    *("true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~"),
    *("yes", "Yes", "YES", "no", "No", "on", "On", "off", "OFF", "y", "Y", "n", "N"),
    *("=", "<<", "<< x", "@x", "`x", "%x", "-x", "- x", "-", "--", "---", "...", "? x", ":x"),
    *("&a x", "*a", "!!str 1", "!tag x", "!!binary aGk=", "[a, b]", "[]", "{a: 1}", "{}"),
    *("|", "|-", ">", ">+", "'x", "x'", "'it''s'", "'a''", '"x', '"a\\tb"', '"\\u00e9"'),
    *('"x"#c', "'x'#c", "x#c", "x #c", "x:", "x: y", "x:y", "x :y", "a, b", "a,b", "a]"),
    *("caf\u00e9", "a\tb", "a\x07b", "a\x85b", "a\u2028b", "\ufeffx", "x\\y", "\\"),
    *("12345678-1234-5678-1234-567812345678", "1234567e-123e-567e-123e-567812345678"),
)
TRICKY_KEYS = (
    *("True", "null", "Null", "y", "N", "on", "yes", "1", "-1", "1.5", "~", "<<", "=", "a b"),
    *("'q'", '"q"', "? a", "-a", "a#b", "a:b", "a :b", "&x a", "!t a", "[a]", "caf\u00e9"),
)


def _plain_char(extra: str) -> st.SearchStrategy[str]:
    return st.sampled_from(string.ascii_letters + string.digits + extra)


@st.composite
def _plain_words(draw: st.DrawFn) -> str:
    """Plain text that starts with a letter, '_' or '/' and is no boolean or null word."""
    words = []
    for index in range(draw(st.integers(1, 3))):
        first = draw(st.sampled_from(string.ascii_letters + "_/" + ("" if index == 0 else "-@:.+")))
        middle = draw(st.text(_plain_char("_./@+:-"), max_size=6))
        last = draw(st.text(_plain_char("_./@+-"), max_size=1))
        word = first + middle + last
        words.append(word + "x" if word.endswith(":") else word)
        words.append(" " * draw(st.integers(1, 2)))
    text = "".join(words[:-1])
    return text if text.lower() not in _RESERVED else text + "x"


def _joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The parts drawn in turn and concatenated.

    What ``st.from_regex`` of the concatenated pattern draws (the same language), at a
    fraction of its cost per draw: the regex strategies were a fifth of the differential
    tests' time.
    """
    return st.tuples(*parts).map("".join)


_DIGITS = st.text(string.digits, min_size=1, max_size=3)
_LOWER_DIGITS = string.ascii_lowercase + string.digits


def _surely_text_digits() -> st.SearchStrategy[str]:
    """Plain text starting with a digit that no number or timestamp can be."""
    dash_uuids = (
        st.uuids().map(str).filter(lambda u: any(u[i - 1] not in "eE" for i in (8, 13, 18, 23)))
    )
    return st.one_of(
        dash_uuids,
        # [0-9]{1,3}[ghijklmnpqrstuvwz][a-z0-9]{0,4}
        _joined(_DIGITS, st.sampled_from("ghijklmnpqrstuvwz"), st.text(_LOWER_DIGITS, max_size=4)),
        # [0-9]{1,3}-[0-9a-z]{1,4}
        _joined(_DIGITS, st.just("-"), st.text(_LOWER_DIGITS, min_size=1, max_size=4)),
    )


def _quoted() -> st.SearchStrategy[str]:
    single = st.text(_PRINTABLE, max_size=8).map(lambda s: "'" + s.replace("'", "''") + "'")
    double = st.text(_PRINTABLE.replace('"', "").replace("\\", ""), max_size=8)
    return st.one_of(single, double.map(lambda s: f'"{s}"'))


def _scalars() -> st.SearchStrategy[str]:
    """Scalar sources (never empty: an empty value is drawn apart)."""
    return st.one_of(
        _plain_words(),
        _surely_text_digits(),
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(["true", "false", "null", "~", str(uuid.UUID(int=0x1234))]),
        _quoted(),
    )


def _keys() -> st.SearchStrategy[str]:
    # [a-zA-Z_][a-zA-Z0-9_.-]{0,8}
    first = st.sampled_from(string.ascii_letters + "_")
    rest = st.text(string.ascii_letters + string.digits + "_.-", max_size=8)
    return _joined(first, rest).filter(lambda k: k.lower() not in _RESERVED)


Tree = dict[str, "Tree | list[str] | str"]


def _trees() -> st.SearchStrategy[Tree]:
    scalar = _scalars()
    value = st.one_of(scalar, st.just(""))  # "": nothing after the colon
    keys = _keys()
    node = st.recursive(
        value,
        lambda kids: st.one_of(
            st.lists(scalar, min_size=1, max_size=4), st.dictionaries(keys, kids, max_size=4)
        ),
        max_leaves=12,
    )
    return st.dictionaries(keys, node, max_size=5)


_COMMENT = st.text(_PRINTABLE, max_size=8).map(lambda s: "#" + s)
_TAIL = st.one_of(st.just(""), st.just("  "), _COMMENT.map(lambda c: " " * 2 + c))


def _filler(draw: st.DrawFn, lines: list[str], indent: int) -> None:
    """Blank and comment lines, the comments at any column."""
    for _ in range(draw(st.integers(0, 2))):
        column = draw(st.integers(0, indent + 4))
        lines.append(draw(st.sampled_from(["", " " * column, " " * column + draw(_COMMENT)])))


def _render(draw: st.DrawFn, node: Tree, indent: int, lines: list[str]) -> None:
    for key, value in node.items():
        _filler(draw, lines, indent)
        head = " " * indent + key + ":"
        if isinstance(value, str):
            gap = " " * draw(st.integers(1, 2)) if value else ""
            lines.append(head + gap + value + draw(_TAIL))
        elif isinstance(value, list):
            lines.append(head + draw(_TAIL))
            dash = indent + draw(st.sampled_from([0, 1, 2, 4]))
            for item in value:
                _filler(draw, lines, dash)
                gap = " " * draw(st.integers(1, 2))
                lines.append(" " * dash + "-" + gap + item + draw(_TAIL))
        else:
            lines.append(head + draw(_TAIL))
            _render(draw, value, indent + draw(st.sampled_from([1, 2, 4])), lines)


_TREES = _trees()  # built once, not per draw


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    _render(draw, draw(_TREES), 0, lines)
    _filler(draw, lines, 0)
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
    return "\ufeff" + text if draw(st.integers(0, 15)) == 0 else text


# --- near misses: each takes the lines and an index, and returns new lines --------------------


def _content(lines: list[str], i: int) -> int:
    """The first line from ``i`` on (wrapping) that is neither blank nor a comment, else ``i``."""
    for step in range(len(lines)):
        at = (i + step) % len(lines)
        body = lines[at].lstrip(" \ufeff")
        if body and not body.startswith("#"):
            return at
    return i


def _value(scalar: str, lines: list[str], i: int) -> list[str]:
    """The value of a content line (after its key or dash) replaced by ``scalar``."""
    i = _content(lines, i)
    line = lines[i]
    body = line.lstrip(" ")
    head = line[: len(line) - len(body)]
    if body.startswith("-"):
        new = head + "- " + scalar
    else:
        new = head + body.split(":", 1)[0] + ": " + scalar
    return [*lines[:i], new, *lines[i + 1 :]]


def _key(key: str, lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    line = lines[i]
    body = line.lstrip(" ")
    if body.startswith("-") or ":" not in body:
        return lines
    new = line[: len(line) - len(body)] + key + ":" + body.split(":", 1)[1]
    return [*lines[:i], new, *lines[i + 1 :]]


def _indent(by: int, lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    line = lines[i]
    shifted = " " * by + line if by > 0 else line[-by:] if line.startswith(" " * -by) else line
    return [*lines[:i], shifted, *lines[i + 1 :]]


def _duplicate(lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    return [*lines[: i + 1], lines[i], *lines[i + 1 :]]


def _delete(lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    return [*lines[:i], *lines[i + 1 :]]


def _swap(lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    if i + 1 >= len(lines):
        return lines
    return [*lines[:i], lines[i + 1], lines[i], *lines[i + 2 :]]


def _join(lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    if i + 1 >= len(lines):
        return lines
    return [*lines[:i], lines[i] + " " + lines[i + 1].lstrip(" "), *lines[i + 2 :]]


def _insert(text: str, lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    line = lines[i]
    at = len(line) // 2
    return [*lines[:i], line[:at] + text + line[at:], *lines[i + 1 :]]


def _append(text: str, lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    return [*lines[:i], lines[i] + text, *lines[i + 1 :]]


def _line_before(text: str, lines: list[str], i: int) -> list[str]:
    return [*lines[:i], text, *lines[i:]]


def _tab_indent(lines: list[str], i: int) -> list[str]:
    i = _content(lines, i)
    return [*lines[:i], lines[i].replace(" ", "\t", 1), *lines[i + 1 :]]


_INSERTS = (
    *("\t", "\r", "\ufeff", "\u00e9", "\x85", "\x07", "&a", "*", "!t", "?", "{", "[", "]", "}"),
    *("|", ">", "'", '"', "#", ":", "-", "%", "@", "`", "\\", ",", ": ", "- ", " #"),
)
Mutation = Callable[[list[str], int], list[str]]
_STRUCTURAL: tuple[Mutation, ...] = (
    *(functools.partial(_indent, by) for by in (-2, -1, 1, 2, 3)),
    _duplicate,
    _delete,
    _swap,
    _join,
    _tab_indent,
    *(functools.partial(_insert, text) for text in _INSERTS),
    *(functools.partial(_append, text) for text in (":", " :", "#x", " #x", "\r", " ", "'")),
    *(functools.partial(_line_before, text) for text in ("---", "...", "%YAML 1.1", "- x")),
)
MUTATIONS: tuple[Mutation, ...] = (
    *_STRUCTURAL,
    *(functools.partial(_value, scalar) for scalar in TRICKY_SCALARS),
    *(functools.partial(_key, key) for key in TRICKY_KEYS),
)


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A document of the subset with one or two mutations (values, keys, or structure)."""
    lines = draw(documents()).split("\n")
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from([_STRUCTURAL, MUTATIONS[len(_STRUCTURAL) :]]))
        mutate = draw(st.sampled_from(kind))
        lines = mutate(lines, draw(st.integers(0, len(lines) - 1))) or [""]
    return "\n".join(lines)
