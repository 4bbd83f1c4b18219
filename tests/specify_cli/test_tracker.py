"""Tracker: config round trip, read operations that report and never write, bind/apply."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sk_support import fingerprint, porcelain
from spec_kitty_samples import LEGACY_CONFIG

from kitty_fs import ConfigSchemaError, load_config, read_context, write_boundary
from specify_cli._paths import CONFIG_PATH
from specify_cli.errors import (
    BadResponse,
    InvalidConfig,
    StaleBinding,
    SyncDisabled,
    SyncError,
    TrackerNotBound,
    Unauthenticated,
)
from specify_cli.saas_reference import STALE_CODES, ReferenceServer
from specify_cli.sync import SyncSettings
from specify_cli.tracker import (
    DoctrineConfig,
    TrackerConfig,
    TrackerReadResult,
    TrackerService,
    load_tracker_config,
    save_tracker_config,
)

READS: dict[str, Callable[[TrackerService, Path], TrackerReadResult]] = {
    "status": lambda svc, repo: svc.status(read_context(repo, reason="tracker status")),
    "pull": lambda svc, repo: svc.pull(read_context(repo, reason="tracker pull")),
    "push": lambda svc, repo: svc.push(
        read_context(repo, reason="tracker push"), [{"local": "WP01", "state": "done"}]
    ),
    "run": lambda svc, repo: svc.run(read_context(repo, reason="tracker run")),
    "map_list": lambda svc, repo: svc.map_list(read_context(repo, reason="tracker map list")),
}


def _comment_lines(text: str) -> list[str]:
    """Every comment of the file, in order (the text after each ``#``)."""
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


# -- config ---------------------------------------------------------------------------------


def test_load_parses_every_field(repo: Path) -> None:
    config = load_tracker_config(read_context(repo, reason="t"))
    assert config.provider == "jira" and config.binding_ref == "bind-001"
    assert config.project_slug == "demo-project" and config.display_label == "Demo (Jira)"
    assert config.workspace == "acme"
    assert dict(config.provider_context or {}) == {"site": "acme.atlassian.net"}
    assert config.doctrine == DoctrineConfig(mode="push", field_owners={"title": "local"})
    assert dict(config.extra) == {"custom_key": "keep me"}
    assert config.is_bound


def test_unchanged_round_trip_writes_nothing(repo: Path) -> None:
    path = repo / ".kittify" / "config.yaml"
    before = fingerprint(path)
    ctx = write_boundary(repo, reason="t")
    assert save_tracker_config(ctx, load_tracker_config(ctx)) is False
    assert fingerprint(path) == before


def test_save_keeps_comments_and_unknown_keys(repo: Path) -> None:
    path = repo / ".kittify" / "config.yaml"
    ctx = write_boundary(repo, reason="t")
    config = load_tracker_config(ctx)
    updated = TrackerConfig(
        provider="linear",
        binding_ref=config.binding_ref,
        project_slug=config.project_slug,
        display_label=None,  # removed
        provider_context=config.provider_context,
        workspace=config.workspace,
        doctrine=config.doctrine,
        extra=config.extra,
    )
    assert save_tracker_config(ctx, updated) is True
    text = path.read_text()
    # ruamel keeps a changed scalar's comment (its column may move by the value's length)
    assert re.search(r"^  provider: linear +# the provider$", text, re.MULTILINE)
    assert "display_label" not in text
    assert "custom_key: keep me  # unknown keys must survive" in text
    assert _comment_lines(text) == _comment_lines(LEGACY_CONFIG)
    assert load_tracker_config(ctx) == updated


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("tracker:\n  provider: [a, b]\n", "tracker.provider must be a string"),
        ("tracker:\n  provider_context: nope\n", "tracker.provider_context must be a mapping"),
        ("tracker:\n  doctrine: 3\n", "tracker.doctrine must be a mapping"),
        ("tracker:\n  doctrine:\n    mode: [x]\n", "tracker.doctrine.mode must be a string"),
        (
            "tracker:\n  doctrine:\n    field_owners:\n      title: [x]\n",
            "tracker.doctrine.field_owners.title must be a string",
        ),
    ],
)
def test_wrong_types_are_invalid_config(
    new_repo: Callable[..., Path], section: str, message: str
) -> None:
    repo = new_repo("bad", config=section)
    with pytest.raises(InvalidConfig) as info:
        load_tracker_config(read_context(repo, reason="t"))
    assert message in info.value.message
    assert info.value.path == repo / ".kittify" / "config.yaml"


_scalars = st.one_of(
    st.integers(-1000, 1000), st.booleans(), st.text("abcxyz -_", min_size=1, max_size=8)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), inner, max_size=3)
    ),
    max_leaves=6,
)


@hsettings(max_examples=25, deadline=None)
@given(
    extra=st.dictionaries(st.from_regex(r"x_[a-z]{1,6}", fullmatch=True), _values, max_size=3),
    owners=st.dictionaries(st.sampled_from(["title", "state", "body"]), st.just("local")),
)
def test_unknown_keys_survive_a_round_trip(
    extra: dict[str, object], owners: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as root:
        ctx = write_boundary(root, reason="t")
        config = TrackerConfig(
            provider="jira",
            binding_ref="b",
            doctrine=DoctrineConfig(mode="pull", field_owners=owners, extra={"x_new": 1}),
            extra=extra,
        )
        save_tracker_config(ctx, config)
        loaded = load_tracker_config(ctx)
        assert loaded.to_section() == config.to_section()
        assert loaded.doctrine is not None and dict(loaded.doctrine.extra) == {"x_new": 1}
        # Loading what was saved and saving it again changes nothing.
        assert save_tracker_config(ctx, loaded) is False


# -- read operations ------------------------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(READS))
def test_read_operations_report_an_upgrade_and_write_nothing(
    repo: Path, server: ReferenceServer, settings: SyncSettings, operation: str
) -> None:
    path = repo / ".kittify" / "config.yaml"
    before, status_before = fingerprint(path), porcelain(repo)
    service = TrackerService(settings)
    same = READS[operation](service, repo)
    assert same.pending_binding_upgrade is None
    server.configure(binding_ref="bind-002")
    result = READS[operation](service, repo)
    assert result.pending_binding_upgrade == "bind-002"
    assert result.binding_ref == "bind-001"
    assert "spec-kitty tracker apply" in result.hint
    assert fingerprint(path) == before
    assert porcelain(repo) == status_before == ""


def test_read_results_carry_the_server_data(
    repo: Path, server: ReferenceServer, settings: SyncSettings
) -> None:
    service = TrackerService(settings)
    ctx = read_context(repo, reason="t")
    status = service.status(ctx)
    assert (status.state, status.mappings, status.provider) == ("bound", 2, "jira")
    mappings = service.map_list(ctx)
    assert [m["local"] for m in mappings.mappings] == ["WP01", "WP02"]
    pushed = service.push(ctx, [{"local": "WP01", "state": "done"}])
    assert pushed.pushed == 1 and pushed.pulled == ()
    pulled = service.pull(ctx)
    assert len(pulled.pulled) == 2 and pulled.pushed == 0
    ran = service.run(ctx, [{"local": "WP02"}])
    assert ran.operation == "run" and ran.pushed == 1 and len(ran.pulled) == 2


@pytest.mark.parametrize("code", STALE_CODES)
@pytest.mark.parametrize("operation", ["status", "map_list", "pull"])
def test_stale_binding_is_a_clear_error_and_no_write(
    repo: Path,
    server: ReferenceServer,
    settings: SyncSettings,
    code: str,
    operation: str,
) -> None:
    path = repo / ".kittify" / "config.yaml"
    before = fingerprint(path)
    server.configure(stale=code, binding_ref="bind-999")
    with pytest.raises(StaleBinding) as info:
        READS[operation](TrackerService(settings), repo)
    err = info.value
    assert err.code == "STALE_BINDING" and err.exit_code == 7
    assert code in err.message and "bind-001" in err.message
    assert "spec-kitty tracker bind --provider jira --project-slug demo-project" in err.hint
    assert fingerprint(path) == before
    # apply cannot paper over a stale binding either
    with pytest.raises(StaleBinding):
        TrackerService(settings).apply(write_boundary(repo, reason="tracker apply"))
    assert fingerprint(path) == before


def test_unbound_project_is_told_to_bind(
    new_repo: Callable[..., Path], settings: SyncSettings
) -> None:
    repo = new_repo("unbound", config="tracker:\n  provider: jira\n")
    with pytest.raises(TrackerNotBound) as info:
        TrackerService(settings).status(read_context(repo, reason="t"))
    assert info.value.exit_code == 3 and "tracker.binding_ref" in info.value.message
    assert "spec-kitty tracker bind" in info.value.hint


# -- write operations -----------------------------------------------------------------------


def test_apply_asks_the_server_and_keeps_every_comment(
    repo: Path, server: ReferenceServer, settings: SyncSettings
) -> None:
    path = repo / ".kittify" / "config.yaml"
    server.configure(binding_ref="bind-002")
    result = TrackerService(settings).apply(write_boundary(repo, reason="tracker apply"))
    assert (result.previous_binding_ref, result.binding_ref, result.changed) == (
        "bind-001",
        "bind-002",
        True,
    )
    text = path.read_text()
    assert text == LEGACY_CONFIG.replace("binding_ref: bind-001", "binding_ref: bind-002")
    assert porcelain(repo) == " M .kittify/config.yaml\n"
    # Applied: reads report nothing pending, and a second apply writes nothing.
    assert (
        TrackerService(settings).status(read_context(repo, reason="t")).pending_binding_upgrade
        is None
    )
    after = fingerprint(path)
    again = TrackerService(settings).apply(write_boundary(repo, reason="tracker apply"))
    assert again.changed is False and fingerprint(path) == after


def test_apply_of_a_reported_value_is_offline(repo: Path, settings: SyncSettings) -> None:
    offline = SyncSettings(enabled=False, server_url=None)
    reported = "bind-777"
    result = TrackerService(offline).apply(write_boundary(repo, reason="t"), binding_ref=reported)
    assert result.changed and result.binding_ref == reported
    assert (repo / ".kittify" / "config.yaml").read_text() == LEGACY_CONFIG.replace(
        "bind-001", reported
    )


def test_bind_asks_the_server_even_when_the_old_binding_is_stale(
    repo: Path, server: ReferenceServer, settings: SyncSettings
) -> None:
    server.configure(stale="binding_not_found", binding_ref="bind-new")
    ctx = write_boundary(repo, reason="tracker bind")
    result = TrackerService(settings).bind(ctx, provider="jira", project_slug="demo-project")
    assert result.changed and result.previous_binding_ref == "bind-001"
    config = load_tracker_config(ctx)
    assert config.binding_ref == "bind-new"
    assert config.doctrine is not None and config.doctrine.mode == "push"
    assert dict(config.extra) == {"custom_key": "keep me"}
    text = (repo / ".kittify" / "config.yaml").read_text()
    assert _comment_lines(text) == _comment_lines(LEGACY_CONFIG.replace("bind-001", "bind-new"))


def test_bind_a_fresh_project(new_repo: Callable[..., Path], settings: SyncSettings) -> None:
    repo = new_repo("fresh", config=None)
    ctx = write_boundary(repo, reason="tracker bind")
    result = TrackerService(settings).bind(
        ctx, provider="linear", project_slug="demo", display_label="Demo", workspace="w1"
    )
    assert result.previous_binding_ref is None
    section = load_config(ctx, CONFIG_PATH).section("tracker")
    assert section is not None
    assert dict(section) == {
        "provider": "linear",
        "binding_ref": "bind-001",
        "project_slug": "demo",
        "display_label": "Demo",
        "workspace": "w1",
    }


@pytest.mark.parametrize("operation", sorted(READS))
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("disabled", SyncDisabled),
        ("unauthenticated", Unauthenticated),
        ("garbage", BadResponse),
        ("no-binding-ref", BadResponse),
    ],
)
def test_sync_unavailable_reads_fail_clearly_and_write_nothing(
    repo: Path,
    server: ReferenceServer,
    settings: SyncSettings,
    operation: str,
    fault: str,
    error: type[SyncError],
) -> None:
    path = repo / ".kittify" / "config.yaml"
    before = fingerprint(path)
    if fault == "disabled":
        settings = SyncSettings(enabled=False, server_url=None)
    elif fault == "unauthenticated":
        settings = attrs.evolve(settings, token="wrong")
    elif fault == "garbage":
        server.configure(garbage=True)
    else:
        server.configure(binding_ref="")
    with pytest.raises(error) as info:
        READS[operation](TrackerService(settings), repo)
    assert info.value.exit_code == 6
    assert fingerprint(path) == before


def test_a_tracker_section_of_the_wrong_type_is_a_schema_error(
    new_repo: Callable[..., Path],
) -> None:
    repo = new_repo("list-section", config="tracker:\n  - jira\n")
    with pytest.raises(ConfigSchemaError, match="section 'tracker' must be a mapping"):
        load_tracker_config(read_context(repo, reason="t"))
