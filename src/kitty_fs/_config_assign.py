"""Comment-preserving assignment: plain values written into ruamel's round-trip nodes.

A save changes one section of a document that ruamel loaded with its
comments, key order and quoting. ``assign`` reuses the existing node wherever
the value stays a mapping or a list, so a key's comment survives a change of
its value, and an unchanged value keeps its node (its exact quoting) untouched.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

from kitty_fs._config_values import plain

__all__ = ["assign", "repair_floats", "to_node"]

# Characters YAML 1.1 took for line breaks (NEL, LS, PS); see to_node.
_NEL_LIKE: Final = frozenset("\x85\u2028\u2029")


def to_node(value: object) -> object:
    """A plain value as ruamel nodes, ready to dump."""
    if isinstance(value, Mapping):
        node = CommentedMap()
        for k, v in value.items():
            node[to_node(k)] = to_node(v)
        return node
    if isinstance(value, list | tuple):
        return CommentedSeq(to_node(v) for v in value)
    if isinstance(value, str) and not isinstance(value, ScalarString) and _NEL_LIKE & set(value):
        # ruamel's emitter takes these for line breaks in plain and single-quoted style and
        # the text reads back changed; double quotes escape them (\N, \L, \P).
        return DoubleQuotedScalarString(value)
    return value


def repair_floats(node: object, representer: RoundTripRepresenter) -> None:
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
            repair_floats(value, representer)


def assign(target: CommentedMap, key: str, value: object) -> None:
    """Set ``target[key]`` to ``value``, reusing existing nodes so their comments survive."""
    current = target.get(key)
    # Emptied in place, a container keeps comments ruamel then emits in places that
    # do not parse (`[]` at column 0 after a comment line): an empty value gets a new node.
    if isinstance(value, Mapping) and value and isinstance(current, CommentedMap):
        for stale in [k for k in current if k not in value]:
            del current[stale]
        for k, v in value.items():
            assign(current, str(k), v)
        return
    if key in target and plain(current) == plain(value):
        return
    if isinstance(value, list | tuple) and value and isinstance(current, CommentedSeq):
        _assign_items(current, value)
        return
    if key in target:
        target[key] = to_node(value)
    else:
        target[to_node(key)] = to_node(value)


def _assign_items(target: CommentedSeq, values: list[object] | tuple[object, ...]) -> None:
    """Make ``target`` hold ``values``, keeping the items (quotes, comments) that stay equal."""
    for index, value in enumerate(values):
        if index >= len(target):
            target.append(to_node(value))
            continue
        current = target[index]
        if plain(current) == plain(value):
            continue
        if isinstance(value, Mapping) and value and isinstance(current, CommentedMap):
            for stale in [k for k in current if k not in value]:
                del current[stale]
            for k, v in value.items():
                assign(current, str(k), v)
        else:
            target[index] = to_node(value)
    del target[len(values) :]
