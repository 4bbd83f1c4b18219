"""A reader for the plainest YAML configs, so that loading one does not import ruamel.

A read command that loads a config pays for importing ruamel.yaml and its
pure-Python round-trip parse, though most configs are a few nested
``key: value`` lines. ``parse_subset`` reads those with a few regular
expressions and returns exactly what the ruamel path returns (the frozen
document of ``freeze(parse_yaml(...).doc)``), or ``None`` for any text outside
its subset. ruamel stays the authority: on ``None`` the caller parses with it,
so every error, every message and every document beyond the subset is ruamel's.

The subset, chosen so that each accepted line means one thing only:

* printable ASCII and ``\\n`` only (a leading BOM is dropped, as ruamel does):
  a tab, ``\\r``, a control or non-ASCII character anywhere means ``None``;
* blank lines, and comment lines at any indentation;
* block mappings indented by spaces, at most ``max_depth`` levels deep; keys
  are plain words (``[A-Za-z_][A-Za-z0-9_.-]*``) that no YAML version reads as
  a boolean or null, each once per mapping (ruamel raises on a duplicate);
* block sequences of scalars, indented under their key or at its column;
* one-line scalars, each followed by an optional `` #`` comment: ``'single'``
  (``''`` for a quote) and ``"double"`` quoted without escapes; ``~``,
  ``null``, ``true``, ``false`` and an empty value; decimal integers (``0``,
  ``42``, ``-7``); plain text whose YAML 1.2 resolution is certain.

Plain text is certain when it starts with a letter, ``_`` or ``/`` and is not
a boolean or null word in another spelling (``True``, ``NULL``, ``yes``,
``on``: those go to ruamel). Text that starts with a digit is certain only
when no number or timestamp can match it: it does not start like a date
(four digits and ``-``), and it holds a character no number has or a sign
that does not follow an exponent's ``e`` (as in a uuid,
``12345678-1234-5678-1234-567812345678``). Everything else (floats, ``0x1f``,
``1_000``, ``007``, ``+1``, ``.inf``, flow collections, anchors, tags, block
scalars, multi-line plain scalars, ``---``, ``%`` directives, ``?`` keys,
items that are mappings) goes to ruamel. ``tests/kitty_fs/test_yaml_subset.py``
checks the subset against ruamel, node by node and type by type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["parse_subset"]

_OUTSIDE: Final = re.compile(r"[^\n\x20-\x7e]")
_KEY_LINE: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]{0,127}):(?: +(.*))?")
_ITEM_LINE: Final = re.compile(r"- +(.*)")
_SINGLE: Final = re.compile(r"'((?:[^']|'')*)'(?: +#.*| *)")
_DOUBLE: Final = re.compile(r'"([^"\\]*)"(?: +#.*| *)')
_COMMENT: Final = re.compile(r" +#")
# A word of plain text: no indicator YAML could read, no ':' that would end a key.
_WORD: Final = r"[A-Za-z0-9_./@+:-]*[A-Za-z0-9_./@+-]"
_PLAIN: Final = re.compile(rf"[A-Za-z0-9_/](?:{_WORD})?(?: +{_WORD})*")
_DECIMAL: Final = re.compile(r"0|-?[1-9][0-9]*")
_DATE_LIKE: Final = re.compile(r"[0-9]{4}-")
_INNER_SIGN: Final = re.compile(r"[^eE][-+]")
# Every character an int, a float or a timestamp that starts with a digit may hold
# (a timestamp's ':', 'T', 'Z' and spaces come after its "dddd-", refused apart).
_NUMBER_CHARS: Final = frozenset("0123456789abcdefABCDEFxXoObB_.+-")
# Words some YAML version reads as a boolean or null, in any spelling; only these
# spellings are taken here (YAML 1.2's core schema, ruamel's default).
_RESERVED: Final = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})
_KEYWORDS: Final[Mapping[str, object]] = {"true": True, "false": False, "null": None}


class _Outside(Exception):
    """The text uses YAML beyond the subset: ruamel decides what it means."""


def parse_subset(text: str, *, max_depth: int) -> Mapping[str, object] | None:
    """The frozen document of ``text`` if it lies in the subset, else ``None``.

    ``max_depth`` is the store's nesting limit (the top-level mapping is
    level 1): deeper text is left to ruamel's path, which refuses it.
    """
    text = text.removeprefix("\ufeff")
    if _OUTSIDE.search(text):
        return None
    lines: list[tuple[int, str]] = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if body and not body.startswith("#"):
            lines.append((len(line) - len(body), body))
    reader = _Reader(lines, max_depth)
    try:
        return reader.mapping(0, 1)
    except _Outside:
        return None


class _Reader:
    """Recursive descent over the content lines (``(indent, text)``), bounded by ``max_depth``."""

    def __init__(self, lines: list[tuple[int, str]], max_depth: int) -> None:
        self.lines = lines
        self.max_depth = max_depth
        self.pos = 0

    def mapping(self, indent: int, depth: int) -> Mapping[str, object]:
        if depth > self.max_depth:
            raise _Outside
        items: dict[str, object] = {}
        while self.pos < len(self.lines):
            line_indent, body = self.lines[self.pos]
            if line_indent < indent:
                break
            match = _KEY_LINE.fullmatch(body)
            if line_indent > indent or match is None:
                raise _Outside
            key, rest = match[1], match[2]
            if key.lower() in _RESERVED or key in items:
                raise _Outside
            self.pos += 1
            if rest and not rest.startswith("#"):
                items[key] = _scalar(rest)
            else:
                items[key] = self._block(indent, depth)
        return MappingProxyType(items)

    def _block(self, indent: int, depth: int) -> object:
        """What a key with nothing after its colon holds: the block below it, or null."""
        if self.pos == len(self.lines):
            return None
        next_indent, body = self.lines[self.pos]
        if _is_item(body) and next_indent >= indent:
            return self._sequence(next_indent, depth + 1)
        if next_indent > indent:
            return self.mapping(next_indent, depth + 1)
        return None

    def _sequence(self, indent: int, depth: int) -> tuple[object, ...]:
        if depth > self.max_depth:
            raise _Outside
        items: list[object] = []
        while self.pos < len(self.lines):
            line_indent, body = self.lines[self.pos]
            if line_indent < indent or (line_indent == indent and not _is_item(body)):
                break
            match = _ITEM_LINE.fullmatch(body)
            if line_indent > indent or match is None:
                raise _Outside  # a continuation line, or a bare "-" (null or a nested block)
            rest = match[1]
            if not rest or rest.startswith("#"):
                raise _Outside
            items.append(_scalar(rest))
            self.pos += 1
        return tuple(items)


def _is_item(body: str) -> bool:
    return body == "-" or body.startswith("- ")


def _scalar(text: str) -> object:
    """The value of a one-line scalar (``text`` starts at its first character)."""
    if text[0] == "'":
        single = _SINGLE.fullmatch(text)
        if single is None:
            raise _Outside
        return single[1].replace("''", "'")
    if text[0] == '"':
        double = _DOUBLE.fullmatch(text)
        if double is None:
            raise _Outside
        return double[1]
    comment = _COMMENT.search(text)
    plain = (text[: comment.start()] if comment else text).rstrip(" ")
    if plain == "~":
        return None
    if _DECIMAL.fullmatch(plain):
        return int(plain)
    if _PLAIN.fullmatch(plain) is None:
        raise _Outside
    if plain.lower() in _RESERVED:
        if plain not in _KEYWORDS:
            raise _Outside
        return _KEYWORDS[plain]
    if plain[0].isdigit() and not _surely_text(plain):
        raise _Outside
    return plain


def _surely_text(plain: str) -> bool:
    """Can no YAML 1.2 number or timestamp match ``plain`` (which starts with a digit)?

    Timestamps start with four digits and ``-``. Ints and floats hold only
    ``_NUMBER_CHARS``, and a sign inside one always follows the exponent's
    ``e``: so a foreign character, or a sign after anything else, makes text.
    """
    if _DATE_LIKE.match(plain):
        return False
    if not set(plain) <= _NUMBER_CHARS:
        return True
    return _INNER_SIGN.search(plain) is not None
