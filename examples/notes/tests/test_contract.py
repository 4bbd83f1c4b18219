"""The notes app's contract: every read and scoped-write command, in each setup, for real."""

from __future__ import annotations

import os

from notes_cli.app import build_registry

from kitty_fs.testing import (
    ContractSetup,
    ContractSuite,
    Prepared,
    SetupRequest,
    console_script,
    make_git_repo,
)


def _env(request: SetupRequest) -> dict[str, str]:
    return {**os.environ, "NOTES_HOME": str(request.tmp_path / "state")}


def _with_notes(request: SetupRequest) -> Prepared:
    files = {"notes.yaml": "# my notes\nnotes:\n  title: Ideas\n", "notes/first.md": "one\n"}
    return Prepared(make_git_repo(request.tmp_path / "repo", files), _env(request))


def _without_config(request: SetupRequest) -> Prepared:
    files = {"notes/first.md": "one\n"}
    return Prepared(make_git_repo(request.tmp_path / "repo", files), _env(request))


SUITE = ContractSuite(
    build_registry,
    [console_script("notes")],
    [
        ContractSetup("with-notes", _with_notes, all_succeed=True),
        ContractSetup("without-config", _without_config),
    ],
    scope_values={"add": {"name": "second"}},  # NAME is positional in add's contract argv
)

test_every_command_keeps_its_contract = SUITE.pytest_test()
