"""Child processes for the config-store tests: writers, a reader, a crash victim, one save.

Run as ``python _fs_workers.py <role> ...``; each role prints one JSON line with
what it saw, so the test (the parent) decides pass or fail. Real processes, not
threads: the lock and the atomic replace are inter-process promises.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from kitty_fs import KittyFsError, load_config, save_config, write_boundary

# The config these tests use (kitty_fs itself has no default path). Defined here, in the
# script the children run, so a child needs nothing from the tests' shared helpers.
CONFIG_PATH = ".kittify/config.yaml"
SECTION = "tracker"


def crash_contents(which: int) -> dict[str, object]:
    """Two tracker sections (~4 KiB of YAML) the crash victim alternates between."""
    fill = "ab"[which] * 40
    return {
        f"key{i:03d}": {"value": f"{fill}-{i}", "flag": bool((i + which) % 2), "n": i * (which + 1)}
        for i in range(40)
    }


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.001)


def writer(root: str, index: str, count: str, go: str) -> None:
    """Save ``k<index>`` = 0..count-1 and append each value to ``log<index>``.

    Only this process writes those keys, so before each save the file must hold
    exactly the previous ones: anything else is an update another writer lost.
    """
    ctx = write_boundary(root, reason=f"writer-{index}")
    key, log_key = f"k{index}", f"log{index}"
    errors: list[str] = []
    changed = 0
    print("ready", flush=True)
    _wait_for(Path(go))
    for i in range(int(count)):
        section = load_config(ctx, CONFIG_PATH).section(SECTION) or {}
        log = str(section.get(log_key, ""))
        expected_log = ",".join(str(n) for n in range(i))
        if i and (section.get(key) != i - 1 or log != expected_log):
            errors.append(f"before save {i}: {key}={section.get(key)!r} {log_key}={log!r}")
        new_log = f"{log},{i}" if log else str(i)
        changed += save_config(ctx, SECTION, {key: i, log_key: new_log}, rel=CONFIG_PATH)
    print(json.dumps({"errors": errors, "changed": changed}), flush=True)


def reader(root: str, stop: str, project_block: str) -> None:
    """Read the config until ``stop`` exists: raw bytes with ruamel, and through load_config.

    A read that does not parse, lacks the untouched ``project`` block, or shows
    a counter going backwards (a lost update) is recorded.
    """
    ctx = write_boundary(root, reason="reader").read_only()
    path = ctx.path(".kittify/config.yaml")
    block = Path(project_block).read_bytes()
    yaml = YAML()
    reads = 0
    problems: list[str] = []
    highest: dict[str, int] = {}
    distinct: set[bytes] = set()
    stop_path = Path(stop)
    while not stop_path.exists():
        raw = path.read_bytes()
        reads += 1
        distinct.add(raw)
        try:
            doc = yaml.load(raw)
            view = load_config(ctx, CONFIG_PATH)
        except Exception as exc:  # any failure is what this test exists to catch
            problems.append(f"read {reads}: {type(exc).__name__}: {exc}")
            continue
        if block not in raw or not raw.endswith(b"\n"):
            problems.append(f"read {reads}: partial file ({len(raw)} bytes)")
        tracker = view.section(SECTION) or {}
        # load_config read the file again: compare only when nobody saved in between.
        if path.read_bytes() == raw and dict(doc[SECTION]) != dict(tracker):
            problems.append(f"read {reads}: raw parse and load_config disagree")
        for key, value in tracker.items():
            if key.startswith("k") and isinstance(value, int):
                if value < highest.get(key, -1):
                    problems.append(f"read {reads}: {key} went back from {highest[key]} to {value}")
                highest[key] = max(value, highest.get(key, -1))
    print(json.dumps({"reads": reads, "distinct": len(distinct), "problems": problems}))


def _crash_loop(root: str) -> None:
    ctx = write_boundary(root, reason="crasher")
    which = 1
    while True:
        save_config(ctx, SECTION, crash_contents(which), rel=CONFIG_PATH)
        which = 1 - which


def launcher(root: str) -> None:
    """Fork crash victims on demand: ``fork`` starts one and prints its pid, ``reap PID``
    collects it after the test killed it and prints how it died.

    Forking from this process (single-threaded, kitty_fs already imported)
    makes each victim start in milliseconds, so many kills fit in a short test.
    """
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "fork":
            pid = os.fork()
            if pid == 0:
                try:
                    _crash_loop(root)
                finally:
                    os._exit(1)  # never back into the parent's loop
            print(pid, flush=True)
        elif command == "reap":
            _pid, status = os.waitpid(int(arg), 0)
            signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
            print(json.dumps({"signal": signum}), flush=True)
        else:
            return


def save(root: str, section: str, changes: str) -> None:
    """One save; prints its result or the error it raised (type, message, path)."""
    try:
        ctx = write_boundary(root, reason="one-save")
        result: object = save_config(ctx, section, json.loads(changes), rel=CONFIG_PATH)
    except KittyFsError as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc), "path": str(exc.path)}))
        return
    print(json.dumps({"result": result}))


if __name__ == "__main__":
    roles: dict[str, Callable[..., None]] = {
        "writer": writer,
        "reader": reader,
        "launcher": launcher,
        "save": save,
    }
    roles[sys.argv[1]](*sys.argv[2:])
