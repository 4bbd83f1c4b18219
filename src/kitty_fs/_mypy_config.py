"""Configuration of the kitty_fs mypy plugin: which packages are guarded, where minting is allowed.

mypy ignores config sections it does not own, so the plugin reads its own
section from the file mypy was configured with:

* ``mypy.ini`` / ``setup.cfg`` / ``.mypy.ini``: section ``[kitty_fs.mypy_plugin]``,
  values separated by commas and/or newlines;
* ``pyproject.toml``: table ``[tool.kitty_fs.mypy_plugin]``, values as lists of
  strings (a comma-separated string works too).

Keys: ``guarded_packages`` (required, non-empty: the plugin checks nothing
outside them) and ``write_boundaries`` (module names where minting a
``WriteContext`` is allowed; ``*`` and ``?`` are globs, and ``*`` crosses dots,
so ``app.commands.*`` covers every module below ``app.commands``). An unknown
key or a malformed name is an error, because a typo would silently switch a
check off.

This module does not import mypy: it is plain data and matching, tested directly.
"""

from __future__ import annotations

import configparser
import fnmatch
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import attrs

from kitty_fs._errors import KittyFsError

__all__ = [
    "INI_SECTION",
    "TOML_TABLE",
    "ModuleRole",
    "PluginConfig",
    "PluginConfigError",
    "load_plugin_config",
    "parse_names",
]

INI_SECTION: Final = "kitty_fs.mypy_plugin"
TOML_TABLE: Final = ("tool", "kitty_fs", "mypy_plugin")
_KEYS: Final = frozenset({"guarded_packages", "write_boundaries"})
# kitty_fs implements the capabilities, so it necessarily mints and writes.
_NEVER_GUARDED: Final = "kitty_fs"
_PACKAGE: Final = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_BOUNDARY: Final = re.compile(r"^[A-Za-z_*?][\w*?]*(\.[\w*?]+)*$")


class PluginConfigError(KittyFsError, ValueError):
    """The plugin's config section is missing or malformed; the message says how to fix it."""


@attrs.frozen(slots=True)
class ModuleRole:
    """What the plugin enforces in one module.

    ``package`` is the guarded package the module belongs to (``None``: the
    module is not checked at all); ``boundary`` says it may mint a ``WriteContext``.
    """

    package: str | None
    boundary: bool


_UNGUARDED: Final = ModuleRole(None, False)


@attrs.frozen(slots=True)
class PluginConfig:
    """The parsed section. ``section`` is how messages name it, e.g. ``[kitty_fs.mypy_plugin]``."""

    guarded_packages: tuple[str, ...]
    write_boundaries: tuple[str, ...]
    section: str = f"[{INI_SECTION}]"

    def role_of(self, module: str) -> ModuleRole:
        """Classify ``module`` (a dotted module name)."""
        if module == _NEVER_GUARDED or module.startswith(_NEVER_GUARDED + "."):
            return _UNGUARDED
        package = next(
            (p for p in self.guarded_packages if module == p or module.startswith(p + ".")),
            None,
        )
        if package is None:
            return _UNGUARDED
        boundary = any(fnmatch.fnmatchcase(module, b) for b in self.write_boundaries)
        return ModuleRole(package, boundary)


def parse_names(value: object, *, key: str, where: str) -> tuple[str, ...]:
    """Split a config value (comma/newline separated string, or list of strings) into names."""
    if isinstance(value, str):
        items: Iterable[object] = re.split(r"[,\s]+", value)
    elif isinstance(value, list):
        items = value
    else:
        raise PluginConfigError(f"{where}: {key} must be a list of module names")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise PluginConfigError(f"{where}: {key} must be a list of module names, got {item!r}")
        if item.strip():
            names.append(item.strip())
    return tuple(dict.fromkeys(names))


def _check(names: tuple[str, ...], pattern: re.Pattern[str], *, key: str, where: str) -> None:
    for name in names:
        if not pattern.match(name):
            raise PluginConfigError(f"{where}: {key}: {name!r} is not a dotted module name")


def _build(raw: dict[str, object], where: str, section: str) -> PluginConfig:
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise PluginConfigError(
            f"{where}: unknown option {', '.join(unknown)} (expected: {', '.join(sorted(_KEYS))})"
        )
    guarded = parse_names(raw.get("guarded_packages", ""), key="guarded_packages", where=where)
    boundaries = parse_names(raw.get("write_boundaries", ""), key="write_boundaries", where=where)
    if not guarded:
        raise PluginConfigError(
            f"{where}: guarded_packages is empty, so the plugin would check nothing; "
            "name the packages whose writes must go through kitty_fs"
        )
    _check(guarded, _PACKAGE, key="guarded_packages", where=where)
    _check(boundaries, _BOUNDARY, key="write_boundaries", where=where)
    return PluginConfig(guarded, boundaries, section)


def load_plugin_config(config_file: str | None) -> PluginConfig:
    """Read the plugin's section from mypy's config file (``options.config_file``)."""
    if config_file is None:
        raise PluginConfigError(
            "kitty_fs.mypy_plugin needs a config file with a "
            f"[{INI_SECTION}] section (or [tool.kitty_fs.mypy_plugin] in pyproject.toml)"
        )
    path = Path(config_file)
    if path.suffix == ".toml":
        section = "[" + ".".join(TOML_TABLE) + "]"
        where = f"{config_file}: {section}"
        with path.open("rb") as handle:
            table: object = tomllib.load(handle)
        for key in TOML_TABLE:
            table = table.get(key) if isinstance(table, dict) else None
        if not isinstance(table, dict):
            raise PluginConfigError(f"{config_file}: no {section} table for kitty_fs.mypy_plugin")
        return _build(dict(table), where, section)
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    section = f"[{INI_SECTION}]"
    if not parser.has_section(INI_SECTION):
        raise PluginConfigError(
            f"{config_file}: no {section} section for kitty_fs.mypy_plugin; add one with "
            "guarded_packages = <your package> and write_boundaries = <modules that may mint>"
        )
    raw: dict[str, object] = dict(parser.items(INI_SECTION, raw=True))
    return _build(raw, f"{config_file}: {section}", section)
