"""Identity: read-only resolution is stable and writes nothing; ensure_identity persists."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sk_support import fingerprint, git, porcelain
from spec_kitty_samples import LEGACY_CONFIG

from kitty_fs import ConfigSchemaError, load_config, read_context, write_boundary
from specify_cli._paths import CONFIG_PATH
from specify_cli.errors import InvalidConfig, NotInitializedError
from specify_cli.identity import (
    BUILD_ID_NAMESPACE,
    NotInitialized,
    ProjectIdentity,
    derive_build_id,
    derive_node_id,
    ensure_identity,
    kebab,
    origin_url,
    resolve_identity,
    slug_from_remote_url,
)
from specify_cli.identity._derive import uuid5

UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def test_build_id_test_vector() -> None:
    assert derive_build_id(UUID, "abcdef012345") == "3ebbf95f-c987-5565-b8b6-6debe8cdfd43"
    assert uuid.uuid5(uuid.NAMESPACE_URL, "spec-kitty:identity:build_id") == BUILD_ID_NAMESPACE


@given(st.uuids(), st.text(max_size=80))
def test_our_uuid5_is_the_standard_librarys(namespace: uuid.UUID, name: str) -> None:
    assert uuid5(namespace, name) == uuid.uuid5(namespace, name)


def test_node_id_rule() -> None:
    expected = hashlib.sha256(b"host-a:alice").hexdigest()[:12]
    assert derive_node_id("host-a", "alice") == expected
    assert len(derive_node_id()) == 12
    assert derive_node_id() == derive_node_id()


def test_legacy_identity_is_stable_and_never_written(repo: Path) -> None:
    config = repo / ".kittify" / "config.yaml"
    before = fingerprint(config)
    status_before = porcelain(repo)
    ctx = read_context(repo, reason="test: resolve")
    results = [resolve_identity(ctx) for _ in range(10)]
    first = results[0]
    assert isinstance(first, ProjectIdentity)
    assert all(repr(r) == repr(first) for r in results)
    assert first.project_uuid == UUID
    assert first.project_slug == "demo-project"
    assert first.node_id == "abcdef012345"
    assert first.build_id == "3ebbf95f-c987-5565-b8b6-6debe8cdfd43"
    assert first.derived == ("build_id",)
    assert fingerprint(config) == before
    assert porcelain(repo) == status_before == ""


def test_build_id_on_disk_is_returned_unchanged(new_repo: Callable[..., Path]) -> None:
    text = LEGACY_CONFIG.replace(
        "  node_id: abcdef012345\n", "  node_id: abcdef012345\n  build_id: not-even-a-uuid\n"
    )
    repo = new_repo("with-build", config=text)
    identity = resolve_identity(read_context(repo, reason="test"))
    assert isinstance(identity, ProjectIdentity)
    assert identity.build_id == "not-even-a-uuid"
    assert identity.derived == ()


@pytest.mark.parametrize(
    "config",
    [None, "", "project:\n  slug: x\n", "tracker:\n  provider: jira\n", "project:\n  uuid: ''\n"],
    ids=["no-file", "empty", "no-uuid", "no-project", "blank-uuid"],
)
def test_no_uuid_is_not_initialized(new_repo: Callable[..., Path], config: str | None) -> None:
    repo = new_repo("fresh", config=config)
    before = porcelain(repo)
    result = resolve_identity(read_context(repo, reason="test"))
    assert isinstance(result, NotInitialized)
    assert result.config_exists is (config is not None)
    assert "spec-kitty init" in result.hint
    err = result.error()
    assert isinstance(err, NotInitializedError)
    assert err.code == "NOT_INITIALIZED" and err.exit_code == 3
    assert porcelain(repo) == before
    assert not (repo / ".kittify" / "config.yaml").exists() or config is not None


def test_invalid_uuid_names_the_file(new_repo: Callable[..., Path]) -> None:
    repo = new_repo("bad", config="project:\n  uuid: not-a-uuid\n")
    with pytest.raises(InvalidConfig) as info:
        resolve_identity(read_context(repo, reason="test"))
    err = info.value
    assert err.code == "INVALID_CONFIG" and err.exit_code == 4
    assert err.path == repo / ".kittify" / "config.yaml"
    assert "config.yaml" in str(err) and "not-a-uuid" in str(err)


def test_non_string_value_is_invalid(new_repo: Callable[..., Path]) -> None:
    repo = new_repo("int", config=f"project:\n  uuid: {UUID}\n  node_id: 123456789012\n")
    with pytest.raises(InvalidConfig, match=r"project\.node_id must be a string"):
        resolve_identity(read_context(repo, reason="test"))


def test_project_section_of_wrong_type(new_repo: Callable[..., Path]) -> None:
    repo = new_repo("list", config="project:\n  - a\n")
    with pytest.raises(ConfigSchemaError):
        resolve_identity(read_context(repo, reason="test"))


def test_slug_from_origin_remote(new_repo: Callable[..., Path]) -> None:
    config = f"project:\n  uuid: {UUID}\n"
    repo = new_repo("local-dir", config=config, origin="git@github.com:Acme/Spec_Kitty.App.git")
    ctx = read_context(repo, reason="test")
    assert origin_url(ctx) == "git@github.com:Acme/Spec_Kitty.App.git"
    identity = resolve_identity(ctx)
    assert isinstance(identity, ProjectIdentity)
    assert identity.project_slug == "spec-kitty-app"
    assert set(identity.derived) == {"project_slug", "node_id", "build_id"}
    assert identity.build_id == derive_build_id(UUID, identity.node_id)


def test_slug_falls_back_to_directory_name(new_repo: Callable[..., Path]) -> None:
    repo = new_repo("My Demo_Repo", config=f"project:\n  uuid: {UUID}\n")
    identity = resolve_identity(read_context(repo, reason="test"))
    assert isinstance(identity, ProjectIdentity)
    assert identity.project_slug == "my-demo-repo"


def test_origin_read_from_a_linked_worktree(repo: Path, tmp_path: Path) -> None:
    git(repo, "remote", "add", "origin", "https://example.com/acme/widgets.git")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", os.fspath(linked))
    assert (linked / ".git").is_file()
    ctx = read_context(linked, reason="test")
    assert origin_url(ctx) == "https://example.com/acme/widgets.git"
    text = (
        (linked / ".kittify" / "config.yaml")
        .read_text()
        .replace("  slug: demo-project  # chosen at init\n", "")
    )
    (linked / ".kittify" / "config.yaml").write_text(text)
    identity = resolve_identity(ctx)
    assert isinstance(identity, ProjectIdentity)
    assert identity.project_slug == "widgets"


def test_origin_with_quotes_comments_and_other_remotes(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text(
        '[core]\n\tbare = false\n[remote "upstream"]\n\turl = https://x/up.git\n'
        '[Remote "origin"] ; comment\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n'
        '\tURL = "https://host/team/the\\"repo.git" # trailing comment\n'
    )
    assert origin_url(read_context(root, reason="test")) == 'https://host/team/the"repo.git'


def test_no_git_at_all(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    assert origin_url(read_context(root, reason="test")) is None


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://github.com/org/repo.git", "repo"),
        ("git@github.com:Org/My_Repo.git", "my-repo"),
        ("ssh://git@host:22/org/Widgets/", "widgets"),
        ("/srv/git/Local.Repo.git", "local-repo"),
        ("git@host:repo.git", "repo"),
        ("https://host/org/---", None),
    ],
)
def test_slug_from_remote_url(url: str, slug: str | None) -> None:
    assert slug_from_remote_url(url) == slug


@given(st.text(max_size=40))
def test_kebab_is_lower_kebab_and_idempotent(text: str) -> None:
    slug = kebab(text)
    assert all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in slug)
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
    assert kebab(slug) == slug


def test_ensure_identity_persists_build_id_keeping_comments(repo: Path) -> None:
    config = repo / ".kittify" / "config.yaml"
    ctx = write_boundary(repo, reason="test: init")
    identity = ensure_identity(ctx)
    assert identity.build_id == "3ebbf95f-c987-5565-b8b6-6debe8cdfd43"
    assert identity.derived == ()
    text = config.read_text()
    for line in LEGACY_CONFIG.splitlines():
        assert line in text  # every original line (comments included) survives
    assert "build_id: 3ebbf95f-c987-5565-b8b6-6debe8cdfd43" in text
    resolved = resolve_identity(read_context(repo, reason="test"))
    assert isinstance(resolved, ProjectIdentity)
    assert resolved.derived == ()
    assert resolved.as_config() == identity.as_config()
    # A complete identity writes nothing.
    before = fingerprint(config)
    assert ensure_identity(ctx) == identity
    assert fingerprint(config) == before


def test_ensure_identity_mints_a_uuid_for_a_new_project(new_repo: Callable[..., Path]) -> None:
    repo = new_repo("new", config=None)
    identity = ensure_identity(write_boundary(repo, reason="test: init"))
    assert identity.project_uuid.version == 4
    section = load_config(read_context(repo, reason="t"), CONFIG_PATH).section("project")
    assert section is not None
    assert section["uuid"] == str(identity.project_uuid)
    assert section["build_id"] == derive_build_id(identity.project_uuid, identity.node_id)
    assert resolve_identity(read_context(repo, reason="t")) == identity
