"""The config store: byte-exact round trips, no-op saves, and clear refusals of bad files."""

from __future__ import annotations

import datetime
import json
import math
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from _fs_repo import CONFIG_PATH, git, immutable, make_repo, status, worker_cmd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import config_keys, config_values, section_contents

from kitty_fs import (
    ConfigError,
    ConfigFileError,
    ConfigParseError,
    ConfigSchemaError,
    KittyFsError,
    PathEscapeError,
    WriteContext,
    load_config,
    read_context,
    save_config,
    write_boundary,
)
from kitty_fs._config import MAX_CONFIG_BYTES, MAX_NESTING

SAMPLE = b"""\
# spec-kitty project configuration
# (head comment, two lines)

project:   # the project section
  # the project's identity
  uuid: "6f1c6c1e-3d1c-4a8f-9c57-0d6a0f5e9f10"
  name: 'demo project'    # single quotes stay
  slug: demo
  tags: [alpha, "beta"]
  owners:
    - alice   # first owner
    - bob
  nested:
    deep:
      level: 3        # deep comment
  unknown_key: keep me

# Tracker section header comment
tracker:
  # provider comment
  provider: "jira"
  url: 'https://example.invalid/jira'
  project_key: KIT  # eol comment
  labels:
    - one
    - "two"
  options:
    sync: true   # nested comment
    interval: 300
  extra: {a: 1, b: 'x'}
  # closing comment inside tracker

# comment before agents
agents:
  available: [claude, codex]
# tail comment
"""
# Everything before the tracker block, and everything from its closing comment on.
SAMPLE_HEAD = SAMPLE[: SAMPLE.index(b"tracker:\n")]
SAMPLE_TAIL = SAMPLE[SAMPLE.index(b"  # closing comment inside tracker") :]
PROJECT_BLOCK = SAMPLE[SAMPLE.index(b"project:") : SAMPLE.index(b"\n# Tracker section")]


def kind(value: object) -> object:
    """``value`` with every scalar tagged by its kind: ``True``, ``1`` and ``1.0`` differ."""
    if isinstance(value, Mapping):
        return {str(k): kind(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return ["seq", *(kind(v) for v in value)]
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(float(value)))
    if isinstance(value, str):
        return ("str", str(value))
    if isinstance(value, datetime.date):
        return ("date", value.isoformat())
    assert value is None, repr(value)
    return None


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {CONFIG_PATH: SAMPLE})


@pytest.fixture
def ctx(repo: Path) -> WriteContext:
    return write_boundary(repo, reason="test-config")


def config_bytes(ctx: WriteContext) -> bytes:
    return ctx.read_bytes(CONFIG_PATH)


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "remove", "old", "new"),
    [
        (
            {"project_key": "NEW"},
            (),
            b"  project_key: KIT  # eol comment\n",
            b"  project_key: NEW  # eol comment\n",
        ),
        (
            {"added": "value"},
            (),
            b"  extra: {a: 1, b: 'x'}\n",
            b"  extra: {a: 1, b: 'x'}\n  added: value\n",
        ),
        ({}, ("extra",), b"  extra: {a: 1, b: 'x'}\n", b""),
        (
            {"options": {"sync": False, "interval": 300}},
            (),
            b"    sync: true   # nested comment\n",
            b"    sync: false  # nested comment\n",
        ),
        ({"labels": ["one"]}, (), b'    - "two"\n', b""),
        (
            {"labels": ["one", "two", "three"]},
            (),
            b'    - "two"\n',
            b'    - "two"\n    - three\n',
        ),
    ],
)
def test_saving_tracker_changes_only_the_lines_it_must(
    ctx: WriteContext,
    changes: dict[str, object],
    remove: tuple[str, ...],
    old: bytes,
    new: bytes,
) -> None:
    assert SAMPLE.count(old) == 1
    assert save_config(ctx, "tracker", changes, remove=remove, rel=CONFIG_PATH) is True
    assert config_bytes(ctx) == SAMPLE.replace(old, new)


def test_saving_project_leaves_tracker_byte_identical(ctx: WriteContext) -> None:
    tracker_block = SAMPLE[SAMPLE.index(b"# Tracker section") :]
    assert save_config(ctx, "project", {"slug": "renamed", "new_key": [1, 2]}, rel=CONFIG_PATH)
    data = config_bytes(ctx)
    assert data.endswith(tracker_block)
    assert b"  slug: renamed\n" in data
    assert data.startswith(SAMPLE[: SAMPLE.index(b"  slug: demo")])
    view = load_config(ctx, CONFIG_PATH)
    assert view.section("project") is not None
    assert view.section("project")["new_key"] == (1, 2)  # type: ignore[index]
    assert view.section("tracker")["provider"] == "jira"  # type: ignore[index]


def test_a_new_section_is_appended_and_the_rest_kept(ctx: WriteContext) -> None:
    assert save_config(ctx, "vcs", {"type": "git"}, rel=CONFIG_PATH)
    assert config_bytes(ctx) == SAMPLE + b"vcs:\n  type: git\n"


def test_a_file_is_created_with_its_directory(tmp_path: Path) -> None:
    ctx = write_boundary(tmp_path, reason="init")
    assert not load_config(ctx, CONFIG_PATH).exists
    assert save_config(ctx, "project", {"name": "x", "tags": ["a", "b"]}, rel=CONFIG_PATH)
    assert (tmp_path / CONFIG_PATH).read_bytes() == b"project:\n  name: x\n  tags:\n  - a\n  - b\n"
    assert load_config(ctx, CONFIG_PATH).exists


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=section_contents())
def test_random_tracker_contents_round_trip_and_the_rest_keeps_its_bytes(
    tmp_path: Path, changes: dict[str, object]
) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    (root / ".kittify").mkdir()
    (root / CONFIG_PATH).write_bytes(SAMPLE)
    ctx = write_boundary(root, reason="hypothesis")
    old = load_config(ctx, CONFIG_PATH).section("tracker")
    assert old is not None
    save_config(ctx, "tracker", changes, rel=CONFIG_PATH)
    data = (root / CONFIG_PATH).read_bytes()
    assert data.startswith(SAMPLE_HEAD)
    assert data.endswith(SAMPLE_TAIL)
    assert kind(load_config(ctx, CONFIG_PATH).section("tracker")) == kind({**old, **changes})
    assert kind(load_config(ctx, CONFIG_PATH).section("project")) == kind(
        load_config(read_context(root, reason="x"), CONFIG_PATH).section("project")
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=section_contents(), second=section_contents(), name=config_keys())
def test_sections_saved_in_turn_read_back_and_keep_each_others_bytes(
    tmp_path: Path, first: dict[str, object], second: dict[str, object], name: str
) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    ctx = write_boundary(root, reason="hypothesis")
    save_config(ctx, "project", first, rel=CONFIG_PATH)
    before = (root / CONFIG_PATH).read_bytes() if first else b""
    other = name if name != "project" else "other"
    save_config(ctx, other, second, rel=CONFIG_PATH)
    view = load_config(ctx, CONFIG_PATH)
    assert kind(view.section("project") or {}) == kind(first)
    assert kind(view.section(other) or {}) == kind(second)
    assert (root / CONFIG_PATH).read_bytes().startswith(before) if view.exists else not first


@settings(max_examples=40, deadline=None)
@given(value=config_values())
def test_any_value_reads_back_as_saved(value: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ctx = write_boundary(folder, reason="hypothesis")
        save_config(ctx, "tracker", {"v": value}, rel=CONFIG_PATH)
        assert kind(load_config(ctx, CONFIG_PATH).section("tracker")) == kind({"v": value})


def test_a_block_scalar_with_blank_lines_survives_a_neighbour_save(ctx: WriteContext) -> None:
    text = b"tracker:\n  notes: |\n    line1\n\n    line2\n  b: 2\n\nproject:\n  a: 1\n"
    ctx.write_bytes(CONFIG_PATH, text)
    assert save_config(ctx, "tracker", {"b": 3}, rel=CONFIG_PATH)
    assert config_bytes(ctx) == text.replace(b"b: 2", b"b: 3")
    assert load_config(ctx, CONFIG_PATH).section("tracker")["notes"] == "line1\n\nline2\n"  # type: ignore[index]


def test_a_comment_line_inside_a_block_scalar_is_content(ctx: WriteContext) -> None:
    text = b"tracker:\n  b: 1\n  script: |\n    echo hi\n    # not a comment\n\nproject:\n  a: 1\n"
    ctx.write_bytes(CONFIG_PATH, text)
    assert save_config(ctx, "tracker", {"b": 2}, rel=CONFIG_PATH)
    assert load_config(ctx, CONFIG_PATH).section("tracker") == {
        "b": 2,
        "script": "echo hi\n# not a comment\n",
    }
    assert config_bytes(ctx).endswith(b"\nproject:\n  a: 1\n")


def test_a_top_level_flow_mapping_is_saved_correctly(ctx: WriteContext) -> None:
    ctx.write_bytes(CONFIG_PATH, b"{project: {a: 1}, tracker: {b: 2}}\n")
    assert save_config(ctx, "project", {"a": 5}, rel=CONFIG_PATH)
    assert save_config(ctx, "tracker", {"c": 3}, rel=CONFIG_PATH)
    view = load_config(ctx, CONFIG_PATH)
    assert view.section("project") == {"a": 5}
    assert view.section("tracker") == {"b": 2, "c": 3}


def test_crlf_files_keep_their_line_breaks(ctx: WriteContext) -> None:
    text = b"# head\r\ntracker:\r\n  a: 1\r\n\r\nproject:\r\n  x: 1\r\n"
    ctx.write_bytes(CONFIG_PATH, text)
    assert save_config(ctx, "tracker", {"a": 2, "b": "new"}, rel=CONFIG_PATH)
    assert config_bytes(ctx) == text.replace(b"a: 1\r\n", b"a: 2\r\n  b: new\r\n")


def test_a_utf8_bom_is_kept(ctx: WriteContext) -> None:
    text = "\ufeff# head ✓\ntracker:\n  a: 1\nproject:\n  name: 'café'\n".encode()
    ctx.write_bytes(CONFIG_PATH, text)
    assert load_config(ctx, CONFIG_PATH).section("project") == {"name": "café"}
    assert save_config(ctx, "tracker", {"a": 2}, rel=CONFIG_PATH)
    assert config_bytes(ctx) == text.replace(b"a: 1", b"a: 2")


def test_the_other_quoting_styles_and_unknown_keys_survive(ctx: WriteContext) -> None:
    assert save_config(
        ctx, "tracker", {"provider": "github", "url": "https://x.invalid"}, rel=CONFIG_PATH
    )
    data = config_bytes(ctx)
    assert b'  provider: "github"\n' in data
    assert b"  url: 'https://x.invalid'\n" in data
    assert PROJECT_BLOCK in data
    assert b"  unknown_key: keep me\n" in data


# --- no-op saves and types ---------------------------------------------------------------------


def test_saving_an_identical_section_writes_nothing(ctx: WriteContext) -> None:
    path = ctx.path(CONFIG_PATH)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = path.stat()
    current = load_config(ctx, CONFIG_PATH).section("tracker")
    assert current is not None
    assert save_config(ctx, "tracker", dict(current), rel=CONFIG_PATH) is False
    assert (
        save_config(ctx, "tracker", {"project_key": "KIT"}, remove=["nonexistent"], rel=CONFIG_PATH)
        is False
    )
    assert save_config(ctx, "absent", {}, rel=CONFIG_PATH) is False
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert config_bytes(ctx) == SAMPLE


@pytest.mark.parametrize(
    ("old", "new"), [(1, True), (0, False), (1, 1.0), ("1", 1), (None, ""), ([1], (True,))]
)
def test_values_equal_in_python_but_not_in_yaml_are_saved(
    tmp_path: Path, old: object, new: object
) -> None:
    ctx = write_boundary(tmp_path, reason="types")
    save_config(ctx, "tracker", {"v": old}, rel=CONFIG_PATH)
    assert save_config(ctx, "tracker", {"v": new}, rel=CONFIG_PATH) is True
    assert kind(load_config(ctx, CONFIG_PATH).section("tracker")) == kind({"v": new})


def test_values_a_config_cannot_hold_are_refused_before_writing(ctx: WriteContext) -> None:
    for bad in ({"v": {1, 2}}, {"v": object()}, {"v": {1: "int key"}}, {"v": [b"bytes"]}):
        with pytest.raises(TypeError, match="v"):
            save_config(ctx, "tracker", bad, rel=CONFIG_PATH)
    assert config_bytes(ctx) == SAMPLE


def test_the_view_is_read_only(ctx: WriteContext) -> None:
    view = load_config(ctx, CONFIG_PATH)
    tracker = view.section("tracker")
    assert tracker is not None
    with pytest.raises(TypeError):
        view["tracker"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        tracker["provider"] = "x"  # type: ignore[index]
    assert tracker["labels"] == ("one", "two")
    assert type(tracker["provider"]) is str
    assert view.path == ctx.path(CONFIG_PATH)
    assert list(view) == ["project", "tracker", "agents"] and len(view) == 3


def test_sections_that_share_anchors_are_not_silently_changed(ctx: WriteContext) -> None:
    text = b"project: &shared\n  a: 1\ntracker: *shared\n"
    ctx.write_bytes(CONFIG_PATH, text)
    with pytest.raises(ConfigSchemaError, match="anchors"):
        save_config(ctx, "tracker", {"a": 2}, rel=CONFIG_PATH)
    assert config_bytes(ctx) == text


# --- modes -------------------------------------------------------------------------------------


def test_the_file_mode_is_kept(ctx: WriteContext) -> None:
    path = ctx.path(CONFIG_PATH)
    path.chmod(0o640)
    assert save_config(ctx, "tracker", {"project_key": "NEW"}, rel=CONFIG_PATH)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_config_gets_the_umask_default(tmp_path: Path) -> None:
    saved = os.umask(0o027)
    try:
        ctx = write_boundary(tmp_path, reason="init")
        assert save_config(ctx, "project", {"name": "x"}, rel=CONFIG_PATH)
    finally:
        os.umask(saved)
    assert stat.S_IMODE((tmp_path / CONFIG_PATH).stat().st_mode) == 0o640


# --- bad files: clear errors, nothing written --------------------------------------------------

_LAUGHS = b"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + b"".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n".encode()
    for i in range(8)
)

BAD_FILES: dict[str, tuple[bytes, type[Exception], int | None]] = {
    "malformed": (b"project:\n  name: x\ntracker:\n  a: [1, 2\n", ConfigParseError, None),
    "bad-indent": (b"project:\n  name: x\n bad: y\n", ConfigParseError, 3),
    "not-utf8": (b"project:\n  name: x\n  city: caf\xe9\n", ConfigParseError, 3),
    "duplicate-keys": (b"tracker:\n  a: 1\n  a: 2\n", ConfigParseError, 3),
    "control-char": (b"project:\n  name: a\x07b\n", ConfigParseError, 2),
    "two-documents": (b"project: {}\n---\ntracker: {}\n", ConfigParseError, None),
    "top-level-list": (b"- project\n- tracker\n", ConfigSchemaError, None),
    "top-level-string": (b"just words\n", ConfigSchemaError, None),
    "alias-bomb": (_LAUGHS, ConfigParseError, None),
    "deep-nesting": (b"a: " + b"[" * 3000 + b"]" * 3000 + b"\n", ConfigParseError, 1),
    "huge": (b"# " + b"x" * MAX_CONFIG_BYTES + b"\n", ConfigFileError, None),
}


def _scratch_temps(repo: Path) -> list[str]:
    scratch = repo / ".git" / "kitty-fs"
    return [p.name for p in scratch.iterdir() if ".tmp" in p.name] if scratch.is_dir() else []


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_by_load_and_by_save(tmp_path: Path, case: str) -> None:
    data, error, line = BAD_FILES[case]
    repo = make_repo(tmp_path / "repo", {CONFIG_PATH: data})
    ctx = write_boundary(repo, reason="test-config")
    path = ctx.path(CONFIG_PATH)
    mtime = path.stat().st_mtime_ns
    for attempt in (
        lambda: load_config(ctx, CONFIG_PATH),
        lambda: save_config(ctx, "tracker", {"k": 1}, rel=CONFIG_PATH),
    ):
        with pytest.raises(error) as info:
            attempt()
        message = str(info.value)
        assert str(path) in message, message
        assert isinstance(info.value, KittyFsError) and info.value.path == path
        assert "nothing was written" in message or "git checkout" in message
        if line is not None:
            assert f"{path}:{line}:" in message
            assert isinstance(info.value, ConfigParseError) and info.value.line == line
    assert path.read_bytes() == data
    assert path.stat().st_mtime_ns == mtime
    assert status(repo) == []
    assert _scratch_temps(repo) == []


@pytest.mark.parametrize("value", [b"[a, b]", b"- a\n  - b", b"hello", b"3", b"!!set {a}"])
def test_a_section_of_the_wrong_type_is_refused(tmp_path: Path, value: bytes) -> None:
    data = b"project:\n  name: x\ntracker: " + value + b"\n"
    if value.startswith(b"- "):
        data = b"project:\n  name: x\ntracker:\n  " + value + b"\n"
    repo = make_repo(tmp_path / "repo", {CONFIG_PATH: data})
    ctx = write_boundary(repo, reason="test-config")
    path = ctx.path(CONFIG_PATH)
    view = load_config(ctx, CONFIG_PATH)
    assert view.section("project") == {"name": "x"}
    with pytest.raises(ConfigSchemaError, match="'tracker' must be a mapping") as info:
        view.section("tracker")
    assert str(path) in str(info.value)
    with pytest.raises(ConfigSchemaError, match="'tracker' must be a mapping"):
        save_config(ctx, "tracker", {"k": 1}, rel=CONFIG_PATH)
    assert path.read_bytes() == data
    assert status(repo) == []


def _make_directory(root: Path) -> None:
    (root / CONFIG_PATH).mkdir(parents=True)


def _make_dangling(root: Path) -> None:
    (root / ".kittify").mkdir()
    (root / CONFIG_PATH).symlink_to("gone.yaml")


def _make_loop(root: Path) -> None:
    (root / ".kittify").mkdir()
    (root / CONFIG_PATH).symlink_to("config.yaml")


def _make_fifo(root: Path) -> None:
    (root / ".kittify").mkdir()
    os.mkfifo(root / CONFIG_PATH)


def _make_kittify_file(root: Path) -> None:
    (root / ".kittify").write_bytes(b"not a directory\n")


SPECIAL_FILES = {
    "directory": (_make_directory, ConfigFileError, "is a directory"),
    "dangling-symlink": (_make_dangling, ConfigFileError, "dangling"),
    "symlink-loop": (_make_loop, KittyFsError, "loop"),
    "fifo": (_make_fifo, ConfigFileError, "not a regular file"),
    "kittify-is-a-file": (_make_kittify_file, ConfigFileError, "Not a directory"),
}


@pytest.mark.parametrize("case", sorted(SPECIAL_FILES))
def test_a_config_path_that_is_not_a_file_is_refused(tmp_path: Path, case: str) -> None:
    make, error, words = SPECIAL_FILES[case]
    repo = make_repo(tmp_path / "repo")
    make(repo)
    before = status(repo)
    ctx = write_boundary(repo, reason="test-config")
    for attempt in (
        lambda: load_config(ctx, CONFIG_PATH),
        lambda: save_config(ctx, "tracker", {"k": 1}, rel=CONFIG_PATH),
    ):
        with pytest.raises(error, match=words) as info:
            attempt()
        assert ".kittify" in str(info.value)
    assert status(repo) == before
    assert _scratch_temps(repo) == []


@pytest.mark.parametrize("link", [CONFIG_PATH, ".kittify"])
def test_a_config_linked_out_of_the_repo_is_refused(tmp_path: Path, link: str) -> None:
    outside = tmp_path / "outside"
    (outside / ".kittify").mkdir(parents=True)
    (outside / CONFIG_PATH).write_bytes(SAMPLE)
    repo = make_repo(tmp_path / "repo")
    (repo / link).parent.mkdir(parents=True, exist_ok=True)
    (repo / link).symlink_to(outside / link)
    ctx = write_boundary(repo, reason="test-config")
    for attempt in (
        lambda: load_config(ctx, CONFIG_PATH),
        lambda: save_config(ctx, "tracker", {"k": 1}, rel=CONFIG_PATH),
    ):
        with pytest.raises(PathEscapeError, match="outside the root") as info:
            attempt()
        assert CONFIG_PATH in str(info.value)
    assert (outside / CONFIG_PATH).read_bytes() == SAMPLE


# --- permission denied, read-only directory or filesystem --------------------------------------


def _assert_refused_cleanly(repo: Path, error: ConfigFileError | dict[str, str]) -> None:
    path = repo / CONFIG_PATH
    message = error["message"] if isinstance(error, dict) else str(error)
    assert str(path) in message, message
    assert "nothing was changed" in message
    assert path.read_bytes() == SAMPLE
    assert status(repo) == []
    assert _scratch_temps(repo) == []


@pytest.mark.parametrize("frozen", [".kittify", CONFIG_PATH])
def test_an_immutable_directory_or_file_gives_a_clear_error(repo: Path, frozen: str) -> None:
    ctx = write_boundary(repo, reason="test-config")
    with immutable(repo / frozen):
        with pytest.raises(ConfigFileError, match="Operation not permitted") as info:
            save_config(ctx, "tracker", {"project_key": "NEW"}, rel=CONFIG_PATH)
        assert load_config(ctx, CONFIG_PATH).section("tracker") is not None  # reading still works
    _assert_refused_cleanly(repo, info.value)


@pytest.fixture
def world_readable_repo() -> Iterator[Path]:
    """A repo another user can reach (pytest's temp root is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="kitty-fs-perm-"))
    base.chmod(0o755)
    try:
        yield make_repo(base / "repo", {CONFIG_PATH: SAMPLE})
    finally:
        shutil.rmtree(base)


def _blocked_ancestor(path: Path) -> Path | None:
    """The outermost directory above ``path`` that other users cannot traverse, if any."""
    for parent in reversed(path.parents):
        if not parent.stat().st_mode & stat.S_IXOTH:
            return parent
    return None


def _as_nobody(*args: str) -> dict[str, str]:
    """Run the worker as uid/gid 65534, with this interpreter.

    The interpreter may live where that user cannot go (pyenv's Pythons under root's 0700
    home: the loader cannot open their shared libpython). Then the worker runs in a private
    mount namespace in which a world-traversable stand-in covers the blocking directory and
    exposes only the interpreter's installation, bind-mounted; the real directory and its
    permissions are untouched, and the mounts vanish with the namespace.
    """
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run a writer as an unprivileged user")
    command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *worker_cmd(*args)]
    base = Path(sys.base_prefix)
    blocked = _blocked_ancestor(base)
    stand_in: Path | None = None
    if blocked is not None:
        unshare = shutil.which("unshare")
        if unshare is None:
            pytest.skip(f"{base} is not reachable by other users and unshare is missing")
        stand_in = Path(tempfile.mkdtemp(prefix="kitty-fs-stand-in-"))
        inner = stand_in / base.relative_to(blocked)
        inner.mkdir(parents=True)
        for level in [inner, *inner.parents]:
            level.chmod(0o755)
            if level == stand_in:
                break
        script = (
            f"mount --bind {shlex.quote(str(base))} {shlex.quote(str(inner))}"
            f" && mount --rbind {shlex.quote(str(stand_in))} {shlex.quote(str(blocked))}"
            f" && exec {shlex.join(command)}"
        )
        command = [unshare, "--mount", "--propagation", "private", "sh", "-c", script]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            timeout=60,
        )
    finally:
        if stand_in is not None:  # rmdir, never rmtree: were a bind mount still there, fail
            for level in [inner, *inner.parents]:
                level.rmdir()
                if level == stand_in:
                    break
    if blocked is not None and done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"cannot expose {base} to another user here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    result: dict[str, str] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("scratch_exists", [False, True])
def test_permission_denied_gives_a_clear_error(
    world_readable_repo: Path, scratch_exists: bool
) -> None:
    repo = world_readable_repo
    if scratch_exists:  # root saved before: the lock file is root's, the user cannot open it
        ctx = write_boundary(repo, reason="test-config")
        assert save_config(ctx, "tracker", {"project_key": "KIT"}, rel=CONFIG_PATH) is False
        git(repo, "status")
    (repo / ".kittify").chmod(0o555)
    outcome = _as_nobody("save", str(repo), "tracker", '{"project_key": "NEW"}')
    assert outcome.get("error") == "ConfigFileError", outcome
    assert "Permission denied" in outcome["message"]
    _assert_refused_cleanly(repo, outcome)


def test_a_read_only_filesystem_gives_a_clear_error(world_readable_repo: Path) -> None:
    repo = world_readable_repo
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("needs root and unshare for a private read-only bind mount")
    quoted = shlex.quote(str(repo))
    save = shlex.join(worker_cmd("save", str(repo), "tracker", json.dumps({"project_key": "NEW"})))
    script = f"mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} && exec {save}"
    done = subprocess.run(
        [unshare, "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"cannot make a read-only bind mount here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome.get("error") == "ConfigFileError", outcome
    assert "Read-only file system" in outcome["message"]
    _assert_refused_cleanly(repo, outcome)


# --- where lock and temp files go --------------------------------------------------------------


def test_saves_leave_nothing_in_git_status(ctx: WriteContext, repo: Path) -> None:
    for i in range(5):
        save_config(ctx, "tracker", {"round": i}, rel=CONFIG_PATH)
    save_config(ctx, "vcs", {"type": "git"}, rel=CONFIG_PATH)
    save_config(ctx, "tracker", {}, remove=["round"], rel=CONFIG_PATH)
    assert status(repo) == [" M .kittify/config.yaml"]
    names = [p.name for p in (repo / ".git" / "kitty-fs").iterdir()]
    assert len(names) == 1 and names[0].endswith(".lock")


def test_a_first_save_in_a_repo_shows_only_the_new_config(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    ctx = write_boundary(repo, reason="init")
    assert save_config(ctx, "project", {"name": "x"}, rel=CONFIG_PATH)
    assert status(repo) == ["?? .kittify/config.yaml"]


def test_saves_in_a_worktree_leave_nothing_in_git_status(repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(worktree))
    assert (worktree / ".git").is_file()
    ctx = write_boundary(worktree, reason="test-config")
    assert save_config(ctx, "tracker", {"project_key": "WT"}, rel=CONFIG_PATH)
    assert save_config(ctx, "tracker", {"project_key": "WT2"}, rel=CONFIG_PATH)
    assert status(worktree) == [" M .kittify/config.yaml"]
    assert status(repo) == []
    assert (repo / CONFIG_PATH).read_bytes() == SAMPLE
    assert (repo / ".git" / "worktrees" / "wt" / "kitty-fs").is_dir()


def test_saves_outside_git_work_and_leave_nothing_beside_the_file(tmp_path: Path) -> None:
    ctx = write_boundary(tmp_path, reason="init")
    for i in range(3):
        assert save_config(ctx, "project", {"n": i}, rel=CONFIG_PATH)
    assert load_config(ctx, CONFIG_PATH).section("project") == {"n": 2}
    assert [p.name for p in (tmp_path / ".kittify").iterdir()] == ["config.yaml"]


def test_errors_are_config_errors(ctx: WriteContext) -> None:
    assert issubclass(ConfigParseError, ConfigError)
    assert issubclass(ConfigFileError, KittyFsError)


def test_nesting_is_fine_up_to_the_limit(tmp_path: Path) -> None:
    ctx = write_boundary(tmp_path, reason="nesting")
    deep: object = "bottom"
    for _ in range(MAX_NESTING - 2):  # the document and the section are two levels
        deep = {"d": deep}
    assert save_config(ctx, "tracker", {"d": deep}, rel=CONFIG_PATH)
    assert load_config(ctx, CONFIG_PATH).section("tracker") is not None
    text = (tmp_path / CONFIG_PATH).read_text()
    (tmp_path / CONFIG_PATH).write_text(text.replace("bottom", "{x: [1]}"))
    with pytest.raises(ConfigParseError, match=f"nested more than {MAX_NESTING} levels"):
        load_config(ctx, CONFIG_PATH)


def test_top_level_merge_keys_do_not_confuse_the_splice(ctx: WriteContext) -> None:
    text = b"base: &b {x: 1}\n<<: *b\ntracker:\n  a: 1\n"
    ctx.write_bytes(CONFIG_PATH, text)
    assert save_config(ctx, "tracker", {"a": 2}, rel=CONFIG_PATH)
    assert config_bytes(ctx) == text.replace(b"a: 1", b"a: 2")


def test_a_file_that_cannot_be_rendered_faithfully_is_left_alone(ctx: WriteContext) -> None:
    # ruamel drops the %TAG directive when it dumps, so the section cannot be cut out of
    # its dump; the save must refuse rather than write something that reads back changed.
    text = b"%TAG !e! tag:example.com,2000:\n---\ntracker:\n  a: !e!foo 1\nproject: {}\n"
    ctx.write_bytes(CONFIG_PATH, text)
    with pytest.raises(ConfigError, match="reads back") as info:
        save_config(ctx, "tracker", {"c": 1}, rel=CONFIG_PATH)
    assert str(ctx.path(CONFIG_PATH)) in str(info.value)
    assert config_bytes(ctx) == text


def test_a_no_op_save_creates_nothing(tmp_path: Path) -> None:
    ctx = write_boundary(tmp_path, reason="init")
    assert save_config(ctx, "tracker", {}, rel=CONFIG_PATH) is False
    assert save_config(ctx, "tracker", {}, remove=["gone"], rel=CONFIG_PATH) is False
    assert list(tmp_path.iterdir()) == []


def _top_level_line(line: bytes) -> bool:
    return bool(line) and line[:1] not in b" #\n\r\t-" and not line.startswith((b"---", b"..."))


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sections=st.lists(
        st.tuples(st.sampled_from(["project", "agents", "vcs"]), section_contents()),
        min_size=1,
        max_size=3,
        unique_by=lambda item: item[0],
    ),
    tracker=section_contents(),
    comments=st.lists(st.tuples(st.integers(0, 400), st.sampled_from(["# c", "", "  # i"]))),
    changes=section_contents(),
    tracker_at=st.integers(0, 3),
)
def test_saving_one_section_of_a_random_commented_file_keeps_the_other_bytes(
    tmp_path: Path,
    sections: list[tuple[str, dict[str, object]]],
    tracker: dict[str, object],
    comments: list[tuple[int, str]],
    changes: dict[str, object],
    tracker_at: int,
) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    ctx = write_boundary(root, reason="hypothesis")
    order = list(sections)
    order.insert(min(tracker_at, len(order)), ("tracker", {**tracker, "anchor_key": 1}))
    for name, content in order:
        save_config(ctx, name, content, rel=CONFIG_PATH)
    lines = (root / CONFIG_PATH).read_bytes().splitlines(keepends=True)
    for position, comment in sorted(comments, reverse=True):
        lines.insert(position % (len(lines) + 1), comment.encode() + b"\n")
    text = b"".join(lines)
    (root / CONFIG_PATH).write_bytes(text)
    try:
        before = load_config(ctx, CONFIG_PATH)
    except ConfigError:
        return  # a comment landed where YAML does not allow it; nothing to save over
    if before.section("tracker") is None:
        return  # the comments turned the file into something else; covered elsewhere
    start = next(i for i, line in enumerate(lines) if line.startswith(b"tracker:"))
    end = next((i for i in range(start + 1, len(lines)) if _top_level_line(lines[i])), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip()[:1] == b"#"):
        end -= 1
    head, tail = b"".join(lines[:start]), b"".join(lines[end:])

    save_config(ctx, "tracker", changes, rel=CONFIG_PATH)
    after = (root / CONFIG_PATH).read_bytes()
    assert after.startswith(head)
    assert after.endswith(tail)
    view = load_config(ctx, CONFIG_PATH)
    assert kind(view.section("tracker")) == kind({**(before.section("tracker") or {}), **changes})
    for name in before:
        if name != "tracker":
            assert kind(view[name]) == kind(before[name])


def test_a_section_ruamel_cannot_re_emit_is_kept_as_written(ctx: WriteContext) -> None:
    # ruamel dumps this project section as "- false -" (it does not parse back): the save
    # of tracker must not depend on re-emitting the other sections.
    project = b"project:\n  a:\n# c\n  - {}\n  - false\n  - - x\n    - y\n# c\n    - z\n"
    ctx.write_bytes(CONFIG_PATH, project + b"tracker:\n  k: 1\n")
    assert save_config(ctx, "tracker", {"k": 2}, rel=CONFIG_PATH)
    assert config_bytes(ctx) == project + b"tracker:\n  k: 2\n"


@pytest.mark.parametrize("literal", ["3.628534946533736e+57", "5e-324", "1_000.5", "1.0E+3"])
def test_floats_keep_their_value_when_their_section_is_saved(
    ctx: WriteContext, literal: str
) -> None:
    ctx.write_bytes(CONFIG_PATH, f"tracker:\n  f: {literal}\n  k: 1\n".encode())
    value = load_config(ctx, CONFIG_PATH).section("tracker")["f"]  # type: ignore[index]
    assert save_config(ctx, "tracker", {"k": 2}, rel=CONFIG_PATH)
    assert load_config(ctx, CONFIG_PATH).section("tracker") == {"f": value, "k": 2}


def test_a_comment_ruamel_cannot_emit_costs_only_the_saved_sections_comments(
    tmp_path: Path,
) -> None:
    """Found by hypothesis: a comment among null list items makes ruamel emit a nested list.

    Neither the splice nor a whole-file dump reads back as saved, so the store writes the
    saved section without its own comments and keeps every other byte, instead of refusing.
    """
    text = (
        "tracker:\n  items:\n# c\n  - {}\n  - \n  - \n  a:\n    b: 1\nproject:\n  uuid: x  # keep\n"
    )
    (tmp_path / ".kittify").mkdir()
    (tmp_path / CONFIG_PATH).write_text(text)
    ctx = write_boundary(tmp_path, reason="test")
    assert save_config(ctx, "tracker", {"a": None}, rel=CONFIG_PATH) is True
    after = (tmp_path / CONFIG_PATH).read_text()
    assert after.endswith("project:\n  uuid: x  # keep\n")
    assert load_config(ctx, CONFIG_PATH).section("tracker") == {
        "items": ({}, None, None),
        "a": None,
    }
