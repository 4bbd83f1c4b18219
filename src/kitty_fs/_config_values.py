"""The config store's value model: what a config holds, as readers see it and as saves compare it.

Readers get a ``ConfigView``, deeply immutable plain Python (mappings as
read-only proxies, lists as tuples), so no caller can change a document that
another caller shares. Saves compare documents with ``plain``, which keeps
each scalar's kind: Python says ``True == 1 == 1.0``, a config does not.

Two of ruamel's node types need a case of their own (a tagged scalar, an
anchored boolean, which is an ``int``), yet a reader that never parses with
ruamel must not pay for importing it (``_yaml_subset``): so this module looks
the types up in ``sys.modules`` (``_ruamel_kinds``). A value of a ruamel type
can only exist once its module is loaded, so the lookup misses nothing.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Set
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import attrs

from kitty_fs._errors import ConfigSchemaError

__all__ = [
    "ConfigView",
    "Decide",
    "Plan",
    "check_value",
    "freeze",
    "kind_of",
    "plain",
    "wrong_type",
]

# What a save does with the section as stored: the keys to set, and those to delete.
Decide = Callable[[Mapping[str, object]], tuple[Mapping[str, object], Collection[str]]]


# A NamedTuple, not attrs: it is built on every cold start (docs/commands.md, "Cold start").
class Plan(NamedTuple):
    """What a save decided from one read: the new bytes (``None``: nothing to change), and
    whether the document read had no section at all (what a rewrite in progress looks like)."""

    data: bytes | None
    empty: bool


class _NoRuamel:
    """Stands for a ruamel type while ruamel is not loaded: nothing is an instance of it."""


def _ruamel_kinds() -> tuple[type[Any], type[Any]]:
    """ruamel's ``TaggedScalar`` and ``ScalarBoolean``, each once its module is loaded."""
    comments = sys.modules.get("ruamel.yaml.comments")
    scalarbool = sys.modules.get("ruamel.yaml.scalarbool")
    return (
        getattr(comments, "TaggedScalar", _NoRuamel),
        getattr(scalarbool, "ScalarBoolean", _NoRuamel),
    )


def freeze(value: object) -> object:
    """``value`` as immutable plain Python: mappings as read-only proxies, lists as tuples."""
    tagged, boolean = _ruamel_kinds()
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, Set):
        return frozenset(freeze(v) for v in value)
    if isinstance(value, tagged):  # a scalar with an application tag (`!foo bar`)
        return str(value.value)
    if isinstance(value, bool | boolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)  # drop ruamel's ScalarInt subclasses (they carry mutable attributes)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)  # drop ruamel's ScalarString subclasses
    return value


def plain(value: object) -> object:
    """``value`` in a form where ``==`` means "the same YAML data".

    Scalars carry their kind, because Python says ``True == 1 == 1.0`` and a
    save that turns ``1`` into ``true`` must not be taken for a no-op.
    """
    tagged, boolean = _ruamel_kinds()
    if isinstance(value, Mapping):
        return {repr(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return ["seq", *(plain(v) for v in value)]
    if isinstance(value, Set):
        return ("set", frozenset(repr(plain(v)) for v in value))
    if isinstance(value, tagged):
        return ("tagged", str(value.tag), str(value.value))
    if isinstance(value, bool | boolean):
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


def check_value(value: object, where: str) -> None:
    """Refuse what a config cannot hold before anything is locked or written."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                kind = type(key).__name__
                raise TypeError(f"config key {where}.{key!r} must be a str, not {kind}")
            check_value(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_value(item, f"{where}[{index}]")
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
            raise wrong_type(self.path, name, value)
        return value


def kind_of(value: object) -> str:
    """What a YAML author calls ``value``'s type (the view holds lists as tuples)."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool | _ruamel_kinds()[1]):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, datetime.datetime):
        return "a timestamp"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, Set):
        return "a set"
    return "a tagged value"  # never a Python type name: the reader wrote YAML, not Python


def wrong_type(path: Path, name: str, value: object) -> ConfigSchemaError:
    return ConfigSchemaError(
        f"{path}: section '{name}' must be a mapping, found {kind_of(value)}",
        path=path,
        hint=f"rewrite '{name}:' as key: value lines (nothing was written)",
    )
