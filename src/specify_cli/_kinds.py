"""What a config's or a payload's author calls a value's type.

User-facing messages say "found a list", never "found tuple": the reader wrote
YAML or JSON, and Python's type names (``tuple`` for a list read from a
frozen config view, ``NoneType``, ``CommentedMap``) mean nothing to them.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Set

__all__ = ["kind_of", "shown"]


def kind_of(value: object) -> str:
    """``value``'s kind in YAML/JSON words, with an article: "a mapping", "a list"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime.datetime):
        return "a timestamp"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, Set):
        return "a set"
    return "a value of another kind"


def _thawed(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _thawed(v) for k, v in value.items()}
    if isinstance(value, list | tuple | Set):
        return [_thawed(v) for v in value]
    return value


def shown(value: object, limit: int = 60) -> str:
    """``value`` as its author would write it inline (JSON flow style), cut at ``limit``."""
    text = json.dumps(_thawed(value), default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."
