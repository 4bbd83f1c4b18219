"""Sync settings: environment first, then $SPEC_KITTY_HOME/auth.json; never the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitty_fs import WriteContext, read_context
from specify_cli.errors import InvalidConfig, SyncDisabled, Unauthenticated
from specify_cli.sync import SyncSettings, load_settings, state_dir


def test_state_dir(tmp_path: Path) -> None:
    assert state_dir({"SPEC_KITTY_HOME": str(tmp_path)}) == tmp_path
    assert state_dir({}) == Path.home() / ".spec-kitty"


def test_disabled_by_default(state: WriteContext) -> None:
    settings = load_settings(state, environ={})
    assert (settings.enabled, settings.server_url, settings.authenticated) == (False, None, False)
    with pytest.raises(SyncDisabled) as info:
        settings.require()
    assert info.value.code == "SYNC_DISABLED" and info.value.exit_code == 6
    assert "SPEC_KITTY_ENABLE_SAAS_SYNC" in info.value.hint


@pytest.mark.parametrize("flag", ["1", "true", "YES", "on"])
def test_environment(state: WriteContext, flag: str) -> None:
    env = {
        "SPEC_KITTY_ENABLE_SAAS_SYNC": flag,
        "SPEC_KITTY_SAAS_URL": "https://saas.example.com/",
        "SPEC_KITTY_SAAS_TOKEN": "secret-token",
        "SPEC_KITTY_SYNC_TIMEOUT": "2.5",
        "SPEC_KITTY_SYNC_RETRIES": "0",
    }
    settings = load_settings(state, environ=env).require()
    assert settings.server_url == "https://saas.example.com"
    assert (settings.timeout_s, settings.retries, settings.source) == (2.5, 0, "env")
    assert "secret-token" not in repr(settings)


def test_auth_file_in_the_state_directory(state: WriteContext) -> None:
    state.write_text("auth.json", json.dumps({"server_url": "http://127.0.0.1:9", "token": "t"}))
    settings = load_settings(state, environ={"SPEC_KITTY_ENABLE_SAAS_SYNC": "1"}).require()
    assert (settings.server_url, settings.token) == ("http://127.0.0.1:9", "t")
    assert settings.source == str(state.path("auth.json"))
    # the environment wins, key by key
    mixed = load_settings(state, environ={"SPEC_KITTY_SAAS_TOKEN": "from-env"})
    assert (mixed.server_url, mixed.token) == ("http://127.0.0.1:9", "from-env")


def test_auth_file_found_through_spec_kitty_home(state_home: Path) -> None:
    (state_home / "auth.json").write_text('{"token": "t"}')
    settings = load_settings(environ={"SPEC_KITTY_HOME": str(state_home)})
    assert settings.token == "t" and settings.server_url is None


def test_no_token_is_unauthenticated(state: WriteContext) -> None:
    env = {"SPEC_KITTY_ENABLE_SAAS_SYNC": "1", "SPEC_KITTY_SAAS_URL": "http://x"}
    with pytest.raises(Unauthenticated) as info:
        load_settings(state, environ=env).require()
    assert "SPEC_KITTY_SAAS_TOKEN" in info.value.hint


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "must be a JSON object"),
        ('{"token": 5}', "must be a JSON object"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_malformed_auth_file(state: WriteContext, content: str | bytes, message: str) -> None:
    data = content if isinstance(content, bytes) else content.encode()
    state.write_bytes("auth.json", data)
    with pytest.raises(InvalidConfig, match=message) as info:
        load_settings(state, environ={})
    assert info.value.path == state.path("auth.json")


@pytest.mark.parametrize(
    "env",
    [
        {"SPEC_KITTY_SAAS_URL": "ftp://x"},
        {"SPEC_KITTY_SAAS_URL": "localhost:8000"},
        {"SPEC_KITTY_SYNC_TIMEOUT": "soon"},
        {"SPEC_KITTY_SYNC_TIMEOUT": "0"},
        {"SPEC_KITTY_SYNC_RETRIES": "-1"},
    ],
)
def test_malformed_environment(state: WriteContext, env: dict[str, str]) -> None:
    with pytest.raises(InvalidConfig):
        load_settings(state, environ=env)


def test_settings_never_come_from_the_repository(repo: Path, state: WriteContext) -> None:
    (repo / "auth.json").write_text('{"token": "in-repo"}')
    (repo / ".kittify" / "auth.json").write_text('{"token": "in-repo"}')
    settings = load_settings(read_context(state.root, reason="t"), environ={})
    assert settings.token is None
    assert SyncSettings(enabled=True, server_url="http://x").authenticated is False
