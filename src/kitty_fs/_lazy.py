"""One lazy loader for packages whose public names live in submodules (PEP 562).

A CLI's cold start should pay only for what a command touches, so
``kitty_fs`` and ``specify_cli.sync`` name their exports in a table
(``name -> submodule``) and import the submodule on first access. The loaded
value is stored in the package's namespace, so the second access is an
ordinary attribute lookup that never reaches ``__getattr__`` again.

Use, at the bottom of the package's ``__init__.py``::

    __getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)

mypy sees the real imports under ``TYPE_CHECKING``; a test checks that the
three lists (those imports, ``__all__`` and the table) agree.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, table: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``table`` maps a name to its submodule."""
    listed = frozenset(public)

    def __getattr__(name: str) -> object:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | listed)

    return __getattr__, __dir__
