"""kitty_fs has one exception hierarchy, and its docstring draws all of it.

Every exception class a kitty_fs module defines is a ``KittyFsError`` (except
``CommandFailure``, the protocol between an app and the dispatcher, which the
docstring says is outside on purpose), and the tree in ``_errors``'s docstring
names each of them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import kitty_fs
from kitty_fs._errors import KittyFsError
from kitty_fs.commands import CommandFailure

_OUTSIDE = {CommandFailure}


def _exception_classes() -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for info in pkgutil.walk_packages(kitty_fs.__path__, "kitty_fs."):
        if "._child" in info.name:
            continue  # the child's sitecustomize acts on import; it defines no error
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Exception)
                and obj.__module__ == info.name
                and not name.startswith("_")
            ):
                found.add(obj)
    return found


def test_every_kitty_fs_exception_is_in_the_one_hierarchy() -> None:
    classes = _exception_classes()
    assert len(classes) >= 15
    strays = sorted(c.__qualname__ for c in classes - _OUTSIDE if not issubclass(c, KittyFsError))
    assert strays == []


def test_the_docstring_tree_names_every_exception() -> None:
    import kitty_fs._errors as errors

    tree = errors.__doc__ or ""
    for cls in _exception_classes():
        assert f"{cls.__name__}" in tree, cls


def test_second_bases_keep_the_except_clauses_callers_write(tmp_path: Path) -> None:
    from kitty_fs._audit import AuditUsageError
    from kitty_fs._mypy_config import PluginConfigError
    from kitty_fs._snapshot import WorktreeChanged
    from kitty_fs.testing import run_git

    assert issubclass(WorktreeChanged, AssertionError)
    assert issubclass(PluginConfigError, ValueError)
    assert issubclass(kitty_fs.GitCommandError, RuntimeError)
    assert AuditUsageError("no command", 2).exit_code == 2
    with pytest.raises(RuntimeError, match="git rev-parse") as caught:
        run_git(tmp_path, "rev-parse", "--verify", "no-such-ref")
    assert isinstance(caught.value, kitty_fs.GitCommandError) and caught.value.path == tmp_path
