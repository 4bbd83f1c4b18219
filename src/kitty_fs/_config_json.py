"""JSON configs: a ``.json`` file stays JSON, with its key order and its indentation style.

A save of one section parses the whole document (Python's ``dict`` keeps key
order), replaces that section's keys, and writes the document back with the
style it was read in: indent width or tab, or one line with the separators it
used, and the same trailing whitespace. Other sections keep their values and
order, not necessarily their exact bytes (``1e2`` comes back as ``100.0``): JSON
has no comments to keep, and the document read back is checked to equal the
intended one before anything is written.

What JSON cannot hold is refused before anything is locked or written: dates
(pass an ISO string), NaN and infinities. A file with duplicate keys, or with
``NaN``/``Infinity`` (which Python's ``json`` would accept), does not parse.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import attrs

from kitty_fs._config_read import BOM, MAX_NESTING, is_json, parse_error
from kitty_fs._config_values import Decide, Plan, freeze, plain, wrong_type
from kitty_fs._errors import ConfigError, ConfigSchemaError

__all__ = ["is_json", "json_plan", "json_value_check", "load_json"]


@attrs.frozen(slots=True)
class _Style:
    indent: str | None  # None: the document is written on one line
    key_sep: str
    item_sep: str
    ensure_ascii: bool
    tail: str  # whitespace after the document


def _style_of(text: str, doc: Mapping[str, object]) -> _Style:
    """The formatting ``text`` uses, as ``json.dumps`` arguments (a new file: 2 spaces).

    The indent is read from the first indented line; of the separator and
    escaping variants, the one that reproduces ``text`` exactly from ``doc``
    wins (a file written by ``json.dumps`` or ``JSON.stringify`` keeps its
    style byte for byte), else the most common style.
    """
    body = text.strip()
    tail = text[len(text.rstrip()) :] if body else "\n"
    indent: str | None = "  "
    if doc and "\n" not in body:  # "{}" says nothing: written like a new file
        indent = None
    for line in body.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            indent = line[: len(line) - len(stripped)]
            break
    if indent is None:
        separators = [(", ", ": "), (",", ":"), (",", ": "), (", ", ":")]
    else:
        separators = [(",", ": "), (",", ":")]
    candidates = [
        _Style(indent, key_sep, item_sep, ensure_ascii, tail)
        for item_sep, key_sep in separators
        for ensure_ascii in (True, False)  # an ASCII file stays ASCII
    ]
    for candidate in candidates:
        if _dump(doc, candidate) == body + tail:
            return candidate
    return candidates[0]


def _dump(doc: Mapping[str, object], style: _Style) -> str:
    text = json.dumps(
        doc,
        indent=style.indent,
        separators=(style.item_sep, style.key_sep),
        ensure_ascii=style.ensure_ascii,
        allow_nan=False,
    )
    return text + style.tail


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f'duplicate key "{key}" (a key may appear only once in an object)')
        result[key] = value
    return result


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON (write a number or a string)")


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _parse(path: Path, rel: str, raw: bytes) -> tuple[dict[str, object], str, bool]:
    """The document, its text (without BOM) and whether a BOM led it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        raise parse_error(path, rel, problem, line) from exc
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    if not text.strip():
        return {}, text, bom
    if text.count("[") + text.count("{") > MAX_NESTING and _may_nest(text):
        raise parse_error(path, rel, f"nested more than {MAX_NESTING} levels deep", None)
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise parse_error(path, rel, f"invalid JSON: {exc.msg}", exc.lineno) from exc
    except ValueError as exc:  # from the hooks above
        raise parse_error(path, rel, str(exc), None) from exc
    except RecursionError as exc:
        raise parse_error(path, rel, "nested too deeply", None) from exc
    if not isinstance(doc, dict):
        kind = "a list" if isinstance(doc, list) else "a single value"
        raise ConfigSchemaError(
            f"{path}: the document must be an object of sections, found {kind}",
            path=path,
            hint='write the file as {"section": {...}} (nothing was written)',
        )
    return doc, text, bom


def _may_nest(text: str) -> bool:
    """Bracket depth outside strings, by a scan that cannot recurse."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif char in "]}":
            depth -= 1
    return False


def load_json(path: Path, rel: str, raw: bytes) -> Mapping[str, object]:
    """The frozen document of a JSON config."""
    doc, _text, _bom = _parse(path, rel, raw)
    frozen = freeze(doc)
    assert isinstance(frozen, Mapping)
    return frozen


def json_value_check(value: object, where: str) -> None:
    """Refuse what a JSON config cannot hold (``check_value`` has vetted the rest)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            json_value_check(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            json_value_check(item, f"{where}[{index}]")
    elif isinstance(value, datetime.date):
        raise TypeError(f"config value {where} is a date; a JSON config holds none (use a string)")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"config value {where} is {value}; JSON has no NaN or infinity")


def _to_json(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def json_plan(path: Path, rel: str, raw: bytes, section: str, decide: Decide) -> Plan:
    """The new file bytes for a save of ``section`` into the JSON text ``raw``."""
    doc, text, bom = _parse(path, rel, raw)
    original = dict(doc)
    existing = doc.get(section)
    if existing is not None and not isinstance(existing, dict):
        raise wrong_type(path, section, existing)
    current = freeze(existing) if existing is not None else MappingProxyType({})
    assert isinstance(current, Mapping)
    changes, remove = decide(current)
    json_value_check(dict(changes), section)
    updated = dict(existing or {})
    for key in remove:
        updated.pop(key, None)
    for key, value in changes.items():
        updated[key] = _to_json(value)
    empty = not text.strip()  # "{}" is a document; only a truncated file has no text
    if plain(updated) == plain(existing) or (existing is None and not updated):
        return Plan(None, empty)
    style = _style_of(text, original)
    doc[section] = updated
    rendered = _dump(doc, style)
    if plain(json.loads(rendered)) != plain(doc):
        raise ConfigError(
            f"{path}: cannot write section '{section}' so that it reads back as saved",
            path=path,
            hint="nothing was written; please report this document as a kitty_fs bug",
        )
    return Plan(((BOM if bom else "") + rendered).encode("utf-8"), empty)
