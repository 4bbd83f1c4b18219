"""Every public name is listed once in spirit, and the three lists that spell it agree.

``kitty_fs``, ``specify_cli.sync`` and ``specify_cli.tracker`` name each
export three times: under ``TYPE_CHECKING`` (what mypy sees), in ``__all__``
(what users see) and in the lazy table (what the interpreter loads). A name
missing from one of them is a name mypy accepts and the interpreter refuses,
or the reverse; this reads the source and compares, then loads each name as
users do.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

LAZY_PACKAGES = ["kitty_fs", "specify_cli.sync", "specify_cli.tracker"]
EAGER_PACKAGES = ["kitty_fs.commands", "kitty_fs.testing"]


def _type_checking_imports(package: str) -> dict[str, str]:
    """``name -> module`` of the imports inside ``if TYPE_CHECKING:`` of ``package``."""
    source = Path(importlib.import_module(package).__file__ or "").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module is not None
                for alias in stmt.names:
                    names[alias.asname or alias.name] = stmt.module
    return names


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_type_checking_imports_all_and_the_lazy_table_agree(package: str) -> None:
    module = importlib.import_module(package)
    table: dict[str, str] = vars(module)["_LAZY"]
    typed = _type_checking_imports(package)
    assert typed, f"{package} has no TYPE_CHECKING imports"
    assert set(typed) == set(table), "TYPE_CHECKING imports and _LAZY name different things"
    assert {name: f"{package}.{sub}" for name, sub in table.items()} == typed
    eager = {name for name in module.__all__ if name not in table}
    assert set(table) <= set(module.__all__), "a lazily loaded name missing from __all__"
    for name in eager:
        assert name in vars(module), f"{package}.{name} is in __all__ but neither lazy nor defined"


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_lazy_name_is_defined_where_the_table_says(package: str) -> None:
    # A fresh interpreter, so no earlier test has loaded the submodules already.
    code = (
        f"import importlib, {package} as p\n"
        "for name, sub in sorted(p._LAZY.items()):\n"
        "    assert name not in vars(p), name\n"
        "    real = getattr(importlib.import_module(p.__name__ + '.' + sub), name)\n"
        "    assert getattr(p, name) is real, name\n"
        "    assert vars(p)[name] is real and name in dir(p), name\n"
        "print(len(p._LAZY))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    table = vars(importlib.import_module(package))["_LAZY"]
    assert table and int(done.stdout) == len(table)  # every name was loaded and checked


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_an_unknown_name_is_an_attribute_error_naming_the_package(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match=rf"module '{package}' has no attribute 'nope'"):
        _ = module.nope


@pytest.mark.parametrize("package", LAZY_PACKAGES + EAGER_PACKAGES)
def test_every_name_in_all_resolves(package: str) -> None:
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__), "a name listed twice"
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


def test_types_in_public_signatures_are_exported() -> None:
    import kitty_fs

    assert {"RelPath", "GuardMode", "WriteScope"} <= set(kitty_fs.__all__)
