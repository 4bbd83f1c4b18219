"""The error hierarchy: stable codes, the documented exit codes, hints everywhere."""

from __future__ import annotations

import inspect

import pytest

import specify_cli.errors as errors
from specify_cli.cli._exit import ExitCode

CLASSES = [
    obj
    for name, obj in vars(errors).items()
    if inspect.isclass(obj) and issubclass(obj, errors.SpecKittyError) and name in errors.__all__
]


def test_every_class_is_exported_and_documented() -> None:
    assert {c.__name__ for c in CLASSES} == set(errors.__all__)
    doc = errors.__doc__ or ""
    for cls in CLASSES:
        assert f"``{cls.__name__}``" in doc
        assert f"``{cls.code}``" in doc


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_exit_codes_are_the_cli_ones(cls: type[errors.SpecKittyError]) -> None:
    ExitCode(cls.exit_code)  # raises if the CLI does not know the code
    row = next(
        line
        for line in (errors.__doc__ or "").splitlines()
        if line.startswith(f"``{cls.__name__}`` ")
    )
    assert f" {cls.exit_code} " in row


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_message_hint_and_details(cls: type[errors.SpecKittyError]) -> None:
    err = cls("something failed", path="/tmp/x", details={"k": 1})
    assert err.message == "something failed"
    assert str(err).startswith("something failed")
    assert err.hint == cls.default_hint and (err.hint in str(err))
    assert str(err.path) == "/tmp/x" and err.details == {"k": 1}
    assert cls("m", hint="do this").hint == "do this"


def test_sync_failures_share_one_exit_code() -> None:
    sync = [c for c in CLASSES if issubclass(c, errors.SyncError)]
    assert len(sync) == 7
    assert {c.exit_code for c in sync} == {ExitCode.SYNC_UNAVAILABLE}
    assert errors.StaleBinding.exit_code == ExitCode.STALE_BINDING
    assert errors.NotInitializedError.exit_code == ExitCode.NOT_INITIALIZED
    assert errors.InvalidConfig.exit_code == ExitCode.INVALID_CONFIG
