"""The mypy plugin's configuration: parsing its section and classifying modules."""

from __future__ import annotations

import fnmatch
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kitty_fs._mypy_config import (
    PluginConfig,
    PluginConfigError,
    load_plugin_config,
    parse_names,
)

REPO = Path(__file__).resolve().parents[2]
_identifier = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)
_module = st.lists(_identifier, min_size=1, max_size=4).map(".".join)


def _ini(tmp_path: Path, body: str) -> str:
    path = tmp_path / "mypy.ini"
    path.write_text("[mypy]\nstrict = True\n\n" + textwrap.dedent(body), encoding="utf-8")
    return str(path)


def test_commas_newlines_and_duplicates(tmp_path: Path) -> None:
    config = load_plugin_config(
        _ini(
            tmp_path,
            """\
            [kitty_fs.mypy_plugin]
            guarded_packages = app,  other ,app
            write_boundaries =
                app.cli._dispatch, app.commands.*
                app.cli._dispatch
            """,
        )
    )
    assert config.guarded_packages == ("app", "other")
    assert config.write_boundaries == ("app.cli._dispatch", "app.commands.*")
    assert config.section == "[kitty_fs.mypy_plugin]"


def test_pyproject_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.kitty_fs.mypy_plugin]\nguarded_packages = ["app"]\nwrite_boundaries = "app.cli"\n',
        encoding="utf-8",
    )
    config = load_plugin_config(str(path))
    assert config == PluginConfig(("app",), ("app.cli",), "[tool.kitty_fs.mypy_plugin]")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[other]\nx = 1\n", "no [kitty_fs.mypy_plugin] section"),
        ("[kitty_fs.mypy_plugin]\nguarded = app\n", "unknown option guarded"),
        ("[kitty_fs.mypy_plugin]\nguarded_packages =\n", "guarded_packages is empty"),
        ("[kitty_fs.mypy_plugin]\nguarded_packages = app.\n", "'app.' is not a dotted"),
        (
            "[kitty_fs.mypy_plugin]\nguarded_packages = app\nwrite_boundaries = app/cli\n",
            "write_boundaries: 'app/cli' is not a dotted",
        ),
    ],
)
def test_bad_ini_sections_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = _ini(tmp_path, body)
    with pytest.raises(PluginConfigError) as caught:
        load_plugin_config(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(path)  # the message names the file


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[tool.mypy]\nstrict = true\n", "no [tool.kitty_fs.mypy_plugin] table"),
        ("[tool.kitty_fs.mypy_plugin]\nguarded_packages = [1]\n", "got 1"),
        ("[tool.kitty_fs.mypy_plugin]\nguarded_packages = 3\n", "must be a list"),
    ],
)
def test_bad_pyproject_tables_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(PluginConfigError, match=message.replace("[", r"\[")):
        load_plugin_config(str(path))


def test_no_config_file_at_all() -> None:
    with pytest.raises(PluginConfigError, match="needs a config file"):
        load_plugin_config(None)


def test_parse_names_keeps_order_and_drops_blanks() -> None:
    assert parse_names(" b,\n a ,, b\n", key="k", where="w") == ("b", "a")
    assert parse_names(["x", " y "], key="k", where="w") == ("x", "y")


@given(module=_module, package=_module)
def test_a_module_is_guarded_by_its_package_and_nothing_else(module: str, package: str) -> None:
    role = PluginConfig((package,), ()).role_of(module)
    inside = module == package or module.startswith(package + ".")
    assert (role.package == package) is inside
    assert role.package in (None, package)


@given(module=_module, boundary=_module, glob=st.booleans())
def test_boundaries_are_exact_names_or_globs(module: str, boundary: str, glob: bool) -> None:
    pattern = boundary + ".*" if glob else boundary
    package = module.split(".")[0]
    role = PluginConfig((package,), (pattern,)).role_of(module)
    expected = module.startswith(boundary + ".") if glob else module == boundary
    assert role.boundary is expected
    assert role.boundary is fnmatch.fnmatchcase(module, pattern)


@given(rest=st.lists(_identifier, max_size=3).map(".".join))
def test_kitty_fs_itself_is_never_checked(rest: str) -> None:
    module = "kitty_fs" + ("." + rest if rest else "")
    config = PluginConfig(("kitty_fs", "app"), ("*",))
    assert config.role_of(module).package is None
    assert config.role_of(module).boundary is False


def test_the_repository_configuration() -> None:
    """mypy.ini guards specify_cli and lets only its dispatcher mint."""
    config = load_plugin_config(str(REPO / "mypy.ini"))
    assert config.role_of("specify_cli.cli._dispatch").boundary
    assert config.role_of("specify_cli.cli._registry").package == "specify_cli"
    assert not config.role_of("specify_cli.cli._registry").boundary
    assert config.role_of("kitty_fs._context").package is None
