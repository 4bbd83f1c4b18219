"""The plugin's rule tables, checked against what Python really does."""

from __future__ import annotations

import builtins
import importlib
import itertools
import os
import pathlib
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kitty_fs._mypy_rules import (
    FUNCTION_RULES,
    PATH_METHOD_RULES,
    PATH_METHODS_REMOVED,
    READ_SAFE_OPEN_FLAGS,
    RULES_DIGEST,
    is_read_only_mode,
)

# Functions the table lists for other platforms (BSD/macOS); absent on Linux.
_OTHER_PLATFORMS = {"os.lchmod", "os.chflags", "os.lchflags"}


def test_read_only_modes_are_exactly_the_modes_that_cannot_write(tmp_path: Path) -> None:
    """Every mode of up to three distinct letters that ``open`` accepts, against ``writable()``."""
    checked = 0
    for size in (1, 2, 3):
        for mode in map("".join, itertools.permutations("rwax+bt", size)):
            target = tmp_path / f"file-{checked}-{mode.replace('+', 'plus')}"
            if "x" not in mode:
                target.write_bytes(b"data")
            try:
                handle = open(target, mode)  # noqa: SIM115
            except ValueError:
                continue  # not a mode Python accepts
            with handle:
                assert is_read_only_mode(mode) is not handle.writable(), mode
            checked += 1
    assert checked >= 40


@given(st.text(alphabet="rwax+btU:|gz", max_size=6))
def test_a_mode_is_read_only_iff_it_has_no_writing_letter(mode: str) -> None:
    assert is_read_only_mode(mode) is not any(c in mode for c in "wax+")


def test_read_safe_flags_carry_no_write_bits() -> None:
    write_bits = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_EXCL
    tmpfile = getattr(os, "O_TMPFILE", 0)
    present = [name for name in READ_SAFE_OPEN_FLAGS if hasattr(os, name)]
    assert "O_RDONLY" in present and "O_CLOEXEC" in present
    combined = 0
    for name in present:
        flag = getattr(os, name)
        combined |= flag
        assert flag & write_bits == 0, name
    assert combined & write_bits == 0
    assert not tmpfile or combined & tmpfile != tmpfile


def test_read_safe_flags_really_open_read_only(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"data")
    before = target.stat()
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
    fd = os.open(target, flags)
    try:
        with pytest.raises(OSError):
            os.write(fd, b"x")
    finally:
        os.close(fd)
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


@pytest.mark.parametrize("fullname", sorted(FUNCTION_RULES))
def test_every_function_rule_names_a_real_callable(fullname: str) -> None:
    """A typo in the table would silently switch a rule off."""
    if fullname in _OTHER_PLATFORMS:
        pytest.skip("not on this platform")
    module_name, _, attribute = fullname.rpartition(".")
    module = builtins if module_name == "builtins" else importlib.import_module(module_name)
    assert callable(getattr(module, attribute))


@pytest.mark.parametrize("name", sorted(PATH_METHOD_RULES))
def test_every_path_rule_names_a_real_path_method(name: str) -> None:
    removed = PATH_METHODS_REMOVED.get(name)
    if removed is not None and sys.version_info >= removed:
        assert not hasattr(pathlib.Path, name)  # really gone: the entry is not a stale excuse
        return
    assert callable(getattr(pathlib.Path, name))
    assert PATH_METHOD_RULES[name].api == f"pathlib.Path.{name}"


def test_rules_digest_is_a_short_hex_string() -> None:
    assert len(RULES_DIGEST) == 16
    int(RULES_DIGEST, 16)
