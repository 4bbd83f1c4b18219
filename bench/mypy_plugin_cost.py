"""What the kitty_fs mypy plugin costs: cold mypy over ``src/`` with the plugin against without.

Both runs use the repository's mypy.ini; the "without" run gets a copy with the
``plugins`` line removed. Every run is a fresh process with a fresh cache
directory (cold: typeshed and all), so the figure includes importing the plugin
(and with it the ``kitty_fs`` package). Runs alternate (off, on, on, off, ...)
so that drift on a shared machine hits both sides alike; medians are compared.

    .venv/bin/python bench/mypy_plugin_cost.py [--reps N]

Prints the medians and the ratio (target: under 1.2). Default 5 pairs;
KITTY_FULL=1 makes it 11.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _configs(workdir: Path) -> tuple[Path, Path]:
    text = (REPO / "mypy.ini").read_text(encoding="utf-8")
    with_plugin = workdir / "with-plugin.ini"
    without = workdir / "without-plugin.ini"
    # mypy resolves mypy_path and files relative to the cwd, which is the repository.
    with_plugin.write_text(text, encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.strip().startswith("plugins")]
    without.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return with_plugin, without


def _cold_run(config: Path, cache: Path) -> float:
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(config),
        "--cache-dir",
        str(cache),
        "src",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: type errors, which cost the same on both sides
        raise SystemExit(f"mypy failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = 11 if os.environ.get("KITTY_FULL") == "1" else 5
    parser.add_argument(
        "--reps", type=int, default=default, help="pairs of runs (default %(default)s)"
    )
    args = parser.parse_args()
    on: list[float] = []
    off: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mypy-plugin-cost-") as tmp:
        workdir = Path(tmp)
        with_plugin, without = _configs(workdir)
        for rep in range(args.reps):
            order = [(without, off), (with_plugin, on)]
            if rep % 2:
                order.reverse()
            for config, sink in order:
                sink.append(_cold_run(config, workdir / f"cache-{rep}-{config.stem}"))
    median_off = statistics.median(off)
    median_on = statistics.median(on)
    print(f"cold mypy over src/, {args.reps} interleaved pairs, fresh cache each run")
    print(f"  without plugin: median {median_off:.2f} s  (min {min(off):.2f}, max {max(off):.2f})")
    print(f"  with plugin:    median {median_on:.2f} s  (min {min(on):.2f}, max {max(on):.2f})")
    print(f"  ratio with/without: {median_on / median_off:.3f}  (target < 1.2)")


if __name__ == "__main__":
    main()
