"""Write commands racing another writer of the *same* section, on different keys.

``save_config`` promises that concurrent writers of different keys compose: it
re-reads the file under the lock and sets only the keys it is given. A write
command keeps that promise only if it hands ``save_config`` just the keys it
means to change, and decides "missing" under the lock.

The race is made deterministic instead of hoped for. The test takes the
config's save lock (the same ``filelock`` every ``save_config`` takes), starts
the real ``spec-kitty`` command, and waits until the command polls for that
lock: by then it has read the config and computed what to save. Still holding
the lock, the test plays the other writer and changes one key the command does
not own; then it lets go. The command must keep that change.

A stress variant runs a chain of ``tracker apply`` against a helper process
saving a key of the same section in a tight loop, with a watcher process that
reads the file between saves: the key never goes back, not even for a moment.

Counts: 6 commands in the stress variant by default, 40 with ``KITTY_FULL=1``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
from fault_support import (
    BIND,
    CONFIG,
    CONFIG_REL,
    cli,
    cli_env,
    count,
    make_project,
    porcelain,
    spec_kitty_argv,
    start_worker,
    wait_until,
    worker_result,
)

from kitty_fs import load_config, read_context, write_boundary
from kitty_fs._atomic import atomic_write_bytes, locked
from kitty_fs._scratch import lock_path_for as _lock_path

COMMANDS = count(6, 40)
OTHER_UUID = "0b9e8c0e-1111-4a8f-9c57-0d6a0f5e9f10"


_IN_OPEN = 0x20  # inotify: the watched file was opened


@contextlib.contextmanager
def _opens_of(path: Path) -> Iterator[Callable[[], bool]]:
    """Watch ``path`` with inotify; yields ``opened()``: was it opened since the last call?

    Any version of ``filelock`` opens the lock file on each attempt while it waits (3.x
    with ``O_TRUNC``, which changed the mtime; 4.x without), so an open by someone else
    is the one sign, independent of the version, that a writer waits for the lock.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        pytest.skip(f"inotify unavailable: {os.strerror(ctypes.get_errno())}")
    try:
        if libc.inotify_add_watch(fd, os.fsencode(path), _IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")

        def opened() -> bool:
            try:
                return bool(os.read(fd, 4096))
            except BlockingIOError:
                return False

        yield opened
    finally:
        os.close(fd)


@contextlib.contextmanager
def _holding_save_lock(repo: Path) -> Iterator[Callable[[subprocess.Popen[str]], None]]:
    """Hold the config's save lock; yields ``wait_for_waiter(proc)``.

    A writer that has reached ``save_config`` and waits for us opens the lock file on each
    poll (every 50 ms); the test sees those opens through inotify (``_opens_of``).
    """
    target = write_boundary(repo, reason="fault test: lock").path(CONFIG_REL)
    lock = _lock_path(target)
    with locked(target), _opens_of(lock) as opened:

        def wait_for_waiter(proc: subprocess.Popen[str]) -> None:
            def waiting() -> bool:
                assert proc.poll() is None, f"finished without the lock: {proc.communicate()}"
                return opened()

            wait_until("the command to wait for the save lock", waiting)

        yield wait_for_waiter


def _edit_under_lock(repo: Path, old: str, new: str) -> None:
    """The other writer's change, made while the test holds the lock (so without taking it)."""
    ctx = write_boundary(repo, reason="fault test: other writer")
    path = ctx.path(CONFIG_REL)
    text = path.read_text()
    assert text.count(old) == 1
    assert atomic_write_bytes(path, text.replace(old, new).encode(), lock=False)


@attrs.frozen
class Race:
    args: tuple[str, ...]
    old: str  # the line the other writer changes, as committed
    new: str  # and as it changes it
    section: str
    key: str
    value: str  # what the key must hold at the end
    config: str = CONFIG


RACES = (
    pytest.param(
        Race(
            ("tracker", "apply", "--binding-ref", "r-new"),
            "custom_key: keep me",
            "custom_key: changed meanwhile",
            "tracker",
            "custom_key",
            "changed meanwhile",
        ),
        id="apply-vs-tracker.custom_key",
    ),
    pytest.param(
        Race(
            (*BIND, "--binding-ref", "r-new"),
            "custom_key: keep me",
            "custom_key: changed meanwhile",
            "tracker",
            "custom_key",
            "changed meanwhile",
        ),
        id="bind-vs-tracker.custom_key",
    ),
    pytest.param(
        Race(
            ("init",),
            "  slug: demo-project  #",
            "  slug: renamed-meanwhile  #",
            "project",
            "slug",
            "renamed-meanwhile",
        ),
        id="init-vs-project.slug",
    ),
    pytest.param(
        Race(
            ("init",),
            "project: {}",
            f"project: {{uuid: {OTHER_UUID}}}",  # what a concurrent init stored first
            "project",
            "uuid",
            OTHER_UUID,
            config="project: {}\n" + CONFIG[CONFIG.index("# tracker binding") :],
        ),
        id="init-vs-another-init",
    ),
)


@pytest.mark.parametrize("race", RACES)
def test_write_command_keeps_a_change_made_while_it_waited_for_the_lock(
    race: Race, tmp_path: Path
) -> None:
    repo = make_project(tmp_path / "repo", race.config)
    env = cli_env(tmp_path / "state")
    with _holding_save_lock(repo) as wait_for_waiter:
        proc = subprocess.Popen(
            spec_kitty_argv(repo, *race.args, "--json"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_waiter(proc)  # it has read the config and waits to save
            _edit_under_lock(repo, race.old, race.new)
        except BaseException:
            proc.kill()
            raise
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    section = (
        load_config(read_context(repo, reason="check"), CONFIG_REL).section(race.section) or {}
    )
    assert section[race.key] == race.value, f"the command reverted {race.section}.{race.key}"
    result = json.loads(out)
    if race.key == "uuid":
        # And it told its user the identity that is stored, not one it minted and lost.
        assert result["project_uuid"] == OTHER_UUID
    assert porcelain(repo) == " M .kittify/config.yaml\n"


@pytest.mark.slow
def test_apply_chain_against_a_tight_loop_writer_never_reverts_its_key(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    env = cli_env(tmp_path / "state")
    stop = tmp_path / "stop-workers"
    watcher = start_worker("watch", repo, stop, "tracker.custom_key=int")
    writer = start_worker("writer", repo, "tracker", "custom_key", stop, "20")
    failures: list[str] = []
    try:
        for i in range(COMMANDS):
            args = ("tracker", "apply", "--binding-ref", f"r-{i:03d}")
            done = cli(repo, *args, env=env)
            if done.returncode != 0:
                failures.append(f"{args}: exit {done.returncode}: {done.stderr}")
    finally:
        stop.touch()
        written = worker_result(writer)
        seen = worker_result(watcher)
    assert failures == []
    assert written["errors"] == [], written["errors"][:5]
    # The watcher reads between saves: a revert shows there even when the writer
    # overwrites it again before its own next check.
    assert seen["errors"] == [], f"{len(seen['errors'])} reverts seen: {seen['errors'][:3]}"
    section = load_config(read_context(repo, reason="check"), CONFIG_REL).section("tracker") or {}
    assert section["custom_key"] == written["saves"]
    assert section["binding_ref"] == f"r-{COMMANDS - 1:03d}"
    assert porcelain(repo) == " M .kittify/config.yaml\n"
    print(
        f"\ntracker apply x{COMMANDS} vs {written['saves']} saves of tracker.custom_key: "
        f"watcher {seen['reads']} reads, no revert"
    )
