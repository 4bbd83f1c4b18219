"""Driver for test_guard_holes: a multiprocessing pool started inside a read scope.

Run as a script in a fresh interpreter (a spawn child re-imports the main
module, which must not be a pytest worker): ``ROOT METHOD MODE WARM``, where
METHOD is a start method, ``futures-spawn`` (``ProcessPoolExecutor``) or
``spawn-lock`` (a spawn-context lock, which starts the resource tracker), and
WARM=1 starts the pool machinery (the forkserver) before the scope. Prints one
JSON object: what the worker did or the refusal, and the scope's violations.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import sys

from kitty_fs._errors import WriteViolation
from kitty_fs._guard import GuardMode, GuardScope


def write(path: str) -> str:
    """The worker: writes ``path`` (a spawn worker runs without the guard)."""
    with open(path, "w") as handle:
        handle.write("worker")
    return "written"


def _pool(method: str, target: str) -> str:
    if method == "spawn-lock":  # a named semaphore: starts only the resource tracker
        lock = multiprocessing.get_context("spawn").Lock()
        with lock:
            return "locked"
    if method == "futures-spawn":
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as executor:
            return executor.submit(write, target).result()
    with multiprocessing.get_context(method).Pool(1) as pool:
        return str(pool.apply(write, (target,)))


def main() -> None:
    root, method, mode, warm = sys.argv[1:5]
    assert mode in ("enforce", "report")
    guard_mode: GuardMode = "enforce" if mode == "enforce" else "report"
    if warm == "1":
        _pool(method, os.path.join(os.path.dirname(root), "warm.txt"))
    result: dict[str, object] = {}
    with GuardScope(root, "multiprocessing test", mode=guard_mode) as scope:
        try:
            result["worker"] = _pool(method, os.path.join(root, "from-worker.txt"))
        except WriteViolation as exc:
            result["refused"] = str(exc)
    result["violations"] = [[v.kind, v.operation, v.event] for v in scope.violations]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
