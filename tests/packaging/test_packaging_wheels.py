"""The two distributions of this repository, built as an installer builds them.

The library wheel must hold only ``kitty_fs`` (installed beside upstream
``spec-kitty-cli``, a ``specify_cli`` in it would overwrite upstream's), with
its LICENSE, its package data and no dependency on the slice's CLI stack.
"""

from __future__ import annotations

import email
import re
import zipfile
from pathlib import Path

from packaging_support import ROOT, wheel_files

pytest_plugins = ["packaging_fixtures"]


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\s\[]", requirement, maxsplit=1)[0]


def test_the_library_wheel_holds_only_kitty_fs_and_its_license(library_wheel: Path) -> None:
    files = wheel_files(library_wheel)
    dist_info = "kitty_fs-0.1.0.dist-info/"
    strays = [f for f in files if not f.startswith(("kitty_fs/", dist_info))]
    assert strays == []
    assert f"{dist_info}licenses/LICENSE" in files
    with zipfile.ZipFile(library_wheel) as archive:
        shipped = archive.read(f"{dist_info}licenses/LICENSE").decode()
    assert shipped == (ROOT / "LICENSE").read_text() and shipped.startswith("MIT License")
    sources = sorted(
        f"kitty_fs/{p.relative_to(ROOT / 'src' / 'kitty_fs')}"
        for p in (ROOT / "src" / "kitty_fs").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert sorted(f for f in files if f.startswith("kitty_fs/")) == sources
    assert {"kitty_fs/py.typed", "kitty_fs/_child/sitecustomize.py"} <= set(files)
    with zipfile.ZipFile(library_wheel) as archive:
        entry_points = archive.read(f"{dist_info}entry_points.txt").decode()
    assert "kitty-fs = kitty_fs.cli:main" in entry_points
    assert "kitty_fs = kitty_fs.pytest_plugin" in entry_points
    assert "spec-kitty" not in entry_points


def test_the_library_depends_on_its_runtime_only_and_typer_is_an_extra(
    library_wheel: Path,
) -> None:
    meta = _metadata(library_wheel)
    assert meta["License-Expression"] == "MIT"
    requires = meta.get_all("Requires-Dist") or []
    runtime = sorted(_name(r) for r in requires if "extra ==" not in r)
    assert runtime == ["attrs", "filelock", "ruamel.yaml"]
    (filelock,) = [r for r in requires if r.startswith("filelock")]
    assert "<5" in filelock  # filelock 4.x is supported
    typer = [r for r in requires if r.startswith("typer")]
    assert typer and all('extra == "typer"' in r for r in typer)
    assert not [r for r in requires if r.startswith(("httpx", "rich"))]


def test_the_slice_wheel_holds_specify_cli_and_depends_on_the_library(slice_wheel: Path) -> None:
    files = wheel_files(slice_wheel)
    assert "specify_cli/__init__.py" in files and "specify_cli/cli/__init__.py" in files
    assert "specify_cli/py.typed" in files
    assert not [f for f in files if f.startswith("kitty_fs/")]
    sources = sorted(
        f"specify_cli/{p.relative_to(ROOT / 'src' / 'specify_cli')}"
        for p in (ROOT / "src" / "specify_cli").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert sorted(f for f in files if f.startswith("specify_cli/")) == sources
    meta = _metadata(slice_wheel)
    assert meta["Name"] == "spec-kitty-slice"
    requires = meta.get_all("Requires-Dist") or []
    assert sorted(_name(r) for r in requires) == ["httpx", "kitty-fs", "typer"]
    (typer,) = [r for r in requires if r.startswith("typer")]
    assert "<0.29" in typer  # typer 0.29 imports pydantic at start-up (+45 ms cold)
