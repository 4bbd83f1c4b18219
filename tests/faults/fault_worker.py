"""Child processes of the fault tests: a direct ``save_config`` writer, and a watcher.

Separate processes, not threads of the test: the save lock and the atomic
replace are promises between processes. Each prints ``ready`` once set up, then
one JSON line with what it saw when the file ``STOP`` exists; the test decides.

``writer ROOT SECTION KEY STOP MIN_SAVES [int|str]``
    saves ``SECTION.KEY`` = 1, 2, 3... (or ``"v000001"``... with ``str``)
    through ``kitty_fs.save_config`` until ``STOP`` exists (and at least
    ``MIN_SAVES`` times). Only this process writes that key, so before each save
    the file must hold exactly the value it saved last. Prints ``{"saves",
    "changed", "errors"}``.
``watch ROOT STOP SECTION.KEY=int|str...``
    reads the config in a loop through ``load_config``. Each watched key only
    ever grows (its writers write increasing values of that kind), so a read
    showing a smaller value than an earlier read, or a value of another kind
    after one of the right kind, means an update was reverted on disk, if only
    for a moment (the writer's own check misses a revert it overwrites before
    its next read). Also records any read that fails to parse. Prints
    ``{"reads", "errors"}``.
``rewrite ROOT STOP``
    the user restoring the committed config in place, in a loop, without any
    lock: ``git show HEAD:.kittify/config.yaml > .kittify/config.yaml`` through
    a real shell (the file stays empty while git starts), alternating with a
    Python ``open(w)`` truncate and write, with short random pauses. Before
    each rewrite it reads the file: a non-empty file that lacks a committed
    section or the committed uuid is a lost section. Prints ``{"rewrites",
    "losses"}``; it stops on ``STOP`` after its current rewrite.
``race ROOT STOP MIN_SAVES TAG``
    a kitty-fs writer racing the rewrite: alternately ``save_config`` of
    ``race_TAG.n`` and an ``update_config`` of ``project`` that mints a uuid
    only when none is stored (what ``init`` does). Prints ``{"saves",
    "refusals"}``: the messages of saves refused with a KittyFsError.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from kitty_fs import (
    KittyFsError,
    load_config,
    read_context,
    save_config,
    update_config,
    write_boundary,
)

_CONFIG = ".kittify/config.yaml"


def _value(n: int, kind: str) -> object:
    return n if kind == "int" else f"v{n:06d}"


def writer(root: str, section: str, key: str, stop: str, min_saves: str, kind: str = "int") -> None:
    ctx = write_boundary(root, reason=f"fault test: writer of {section}.{key}")
    stop_file = Path(stop)
    previous = (load_config(ctx, _CONFIG).section(section) or {}).get(key)
    errors: list[str] = []
    saves = changed = 0
    print("ready", flush=True)
    while saves < int(min_saves) or not stop_file.exists():
        current = (load_config(ctx, _CONFIG).section(section) or {}).get(key)
        if current != previous:
            errors.append(f"before save {saves + 1}: {key}={current!r}, last saved {previous!r}")
        saves += 1
        value = _value(saves, kind)
        changed += save_config(ctx, section, {key: value}, rel=_CONFIG)
        previous = value
    print(json.dumps({"saves": saves, "changed": changed, "errors": errors}), flush=True)


def _sort_key(value: object, kind: str) -> str | None:
    """``value`` as a string that sorts like the writer's values, ``None`` if not of ``kind``."""
    if kind == "int":
        return f"{value:020d}" if isinstance(value, int) and not isinstance(value, bool) else None
    return value if isinstance(value, str) else None


def watch(root: str, stop: str, *specs: str) -> None:
    ctx = read_context(root, reason="fault test: watcher")
    stop_file = Path(stop)
    keys = []
    for spec in specs:
        name, kind = spec.split("=")
        section, key = name.split(".", 1)
        keys.append((name, section, key, kind))
    highest: dict[str, tuple[str, object]] = {}  # spec -> (sort key, value) of the top read
    reads = 0
    errors: list[str] = []
    print("ready", flush=True)
    while not stop_file.exists():
        reads += 1
        try:
            view = load_config(ctx, _CONFIG)
        except KittyFsError as exc:
            errors.append(f"read {reads}: {type(exc).__name__}: {exc}")
            continue
        for name, section, key, kind in keys:
            value = (view.section(section) or {}).get(key)
            sort_key = _sort_key(value, kind)
            top = highest.get(name)
            if top is not None and (sort_key is None or sort_key < top[0]):
                # An older value (or one of another kind) came back.
                errors.append(f"{name} went back from {top[1]!r} to {value!r}")
            elif sort_key is not None:
                highest[name] = (sort_key, value)
    print(json.dumps({"reads": reads, "errors": errors}), flush=True)


# What must survive every save: the committed sections and the committed identity.
_MUST_HOLD = (b"\nproject:\n", b"\ntracker:\n", b"uuid: 12345678-1234-5678-1234-567812345678\n")


def rewrite(root: str, stop: str) -> None:
    path = Path(root, _CONFIG)
    committed = subprocess.run(
        ["git", "show", f"HEAD:{_CONFIG}"], cwd=root, capture_output=True, check=True
    ).stdout
    assert all(part in committed for part in _MUST_HOLD), committed
    stop_file = Path(stop)
    rng = random.Random()
    rewrites = 0
    losses: list[str] = []
    print("ready", flush=True)
    while not stop_file.exists():
        current = path.read_bytes()
        if current and not all(part in current for part in _MUST_HOLD):
            losses.append(current.decode("utf-8", "replace"))
        if rewrites % 2 == 0:
            shell = f"git show HEAD:{_CONFIG} > {_CONFIG}"
            subprocess.run(["sh", "-c", shell], cwd=root, check=True)
        else:
            with path.open("wb") as handle:  # truncates, then writes: in place
                handle.write(committed)
        rewrites += 1
        time.sleep(rng.uniform(0, 0.004))
    current = path.read_bytes()
    if not all(part in current for part in _MUST_HOLD):
        losses.append(current.decode("utf-8", "replace"))
    print(json.dumps({"rewrites": rewrites, "losses": losses}), flush=True)


def race(root: str, stop: str, min_saves: str, tag: str) -> None:
    ctx = write_boundary(root, reason=f"fault test: racer {tag}")
    stop_file = Path(stop)
    saves = 0
    refusals: list[str] = []

    def mint(current: Mapping[str, object]) -> Mapping[str, object]:
        return {} if current.get("uuid") else {"uuid": f"minted-by-{tag}-{saves}"}

    print("ready", flush=True)
    while saves < int(min_saves) or not stop_file.exists():
        saves += 1
        try:
            if saves % 2:
                save_config(ctx, f"race_{tag}", {"n": saves}, rel=_CONFIG)
            else:
                update_config(ctx, "project", mint, rel=_CONFIG)
        except KittyFsError as exc:
            refusals.append(str(exc))
        # A pause as real writers have: back-to-back saves would starve the CLI runs of the
        # lock (filelock polls; it does not queue waiters).
        time.sleep(random.uniform(0, 0.03))
    print(json.dumps({"saves": saves, "refusals": refusals}), flush=True)


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "writer":
        writer(*args)
    elif role == "watch":
        watch(*args)
    elif role == "rewrite":
        rewrite(*args)
    elif role == "race":
        race(*args)
    else:
        raise SystemExit(f"unknown role {role!r}")
