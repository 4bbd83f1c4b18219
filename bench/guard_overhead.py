"""Cost of the runtime guard, as ratios taken side by side in one run.

Six states of the same workload, each in a fresh interpreter (an audit hook
cannot be removed, so "no hook" needs a process that never installed one):

* ``nohook``: kitty_fs imported, the guard never entered;
* ``noop``:   a Python audit hook that returns at once: the floor any hook pays (the
  interpreter builds the event's arguments and calls into Python for every event);
* ``idle``:   the hook installed (one scope entered and left), no scope active:
  what every process pays after its first read command;
* ``scope``:  inside ``read_scope`` on the repository, with a side channel,
  as the spec-kitty dispatcher runs a read command;
* ``kernel``: the kernel layer only (Landlock restricts the worker to the side
  channel and the ``/dev`` extras), no audit hook;
* ``kernel+scope``: both layers, as a read command runs where Landlock exists.

The kernel states need Landlock; where it is unavailable they are left out
and the reason is printed.

Workloads, all inside the guarded root: ``reads`` (N x open+read+close of a
small file), ``stats`` (N x ``os.stat``; not an audited call, so any cost is
the hook's mere presence), ``load_config`` (M x ``kitty_fs.load_config`` of a
realistic config). Each worker times every workload ``--inner`` times and
keeps its best; the orchestrator runs ``--reps`` rounds, the three states in a
shuffled order per round, and reports the median over rounds and the ratio to
``nohook`` (1.00 = no overhead).

    .venv/bin/python bench/guard_overhead.py [--reps R] [--reads N] [--configs M] [--states S,S]

Defaults: 7 rounds, 10,000 reads and stats, 200 load_config calls, 5 inner
repetitions; KITTY_FULL=1 uses 15 rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import best_of

STATES = ("nohook", "noop", "idle", "scope", "kernel", "kernel+scope")
WORKLOADS = ("reads", "stats", "load_config")

CONFIG = """\
# spec-kitty project configuration
project:
  uuid: 12345678-1234-5678-1234-567812345678
  slug: bench-project
  node_id: 0123456789ab
  repo_slug: example/bench-project
tracker:
  provider: linear
  binding_ref: bind-001
  project_slug: bench
  display_label: "Bench project"
  provider_context:
    team: core
    labels: [a, b, c]
  workspace: acme
  doctrine: default
"""


def worker(state: str, root: Path, reads: int, configs: int, inner: int) -> dict[str, float]:
    """Time the workloads in one fresh interpreter in ``state``; seconds per workload."""
    import kitty_fs
    from specify_cli._paths import CONFIG_PATH

    ctx = kitty_fs.read_context(root, reason="bench: sync status")
    state_dir = root / ".state"
    if state.startswith("kernel"):
        from kitty_fs._kernel import default_allowed_extras, restrict_writes

        status = restrict_writes([state_dir, *default_allowed_extras()])
        assert status.applied, status
    if state == "idle":
        with kitty_fs.read_scope(ctx):
            pass
    if state == "noop":

        def noop_hook(event: str, args: tuple[object, ...]) -> None:
            return None

        sys.addaudithook(noop_hook)
    target = root / "data.txt"
    name = os.fspath(target)

    def do_reads() -> None:
        for _ in range(reads):
            with open(name, "rb") as handle:
                handle.read()

    def do_stats() -> None:
        for _ in range(reads):
            os.stat(name)

    def do_configs() -> None:
        for _ in range(configs):
            kitty_fs.load_config(ctx, CONFIG_PATH)

    def measure() -> dict[str, float]:
        return {
            "reads": best_of(do_reads, inner),
            "stats": best_of(do_stats, inner),
            "load_config": best_of(do_configs, inner),
        }

    if state in ("scope", "kernel+scope"):
        with kitty_fs.read_scope(ctx, side_channels=[state_dir]) as scope:
            result = measure()
        assert scope.violations == (), scope.violations
        return result
    return measure()


def _run_worker(state: str, root: Path, args: argparse.Namespace) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        state,
        "--root",
        str(root),
        "--reads",
        str(args.reads),
        "--configs",
        str(args.configs),
        "--inner",
        str(args.inner),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    full = os.environ.get("KITTY_FULL") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15 if full else 7)
    parser.add_argument("--reads", type=int, default=10_000)
    parser.add_argument("--configs", type=int, default=200)
    parser.add_argument("--inner", type=int, default=5)
    parser.add_argument(
        "--states",
        default=",".join(STATES),
        help="comma-separated states to run (nohook is always run: ratios are to it)",
    )
    parser.add_argument("--worker", choices=STATES)
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    if args.worker:
        timings = worker(args.worker, args.root, args.reads, args.configs, args.inner)
        print(json.dumps(timings))
        return

    from kitty_fs._kernel import kernel_status

    kernel = kernel_status()
    wanted = {"nohook", *args.states.split(",")}
    unknown = wanted - set(STATES)
    if unknown:
        parser.error(f"unknown states: {', '.join(sorted(unknown))}")
    states = tuple(s for s in STATES if s in wanted and (kernel.available or "kernel" not in s))
    samples: dict[str, dict[str, list[float]]] = {s: {w: [] for w in WORKLOADS} for s in states}
    with tempfile.TemporaryDirectory(prefix="kitty-fs-bench-") as scratch:
        root = Path(scratch, "repo").resolve()
        (root / ".kittify").mkdir(parents=True)
        (root / ".kittify" / "config.yaml").write_text(CONFIG)
        (root / "data.txt").write_bytes(b"x" * 512)
        (root / ".state").mkdir()
        order = list(states)
        for _ in range(args.reps):
            random.shuffle(order)
            for state in order:
                for workload, seconds in _run_worker(state, root, args).items():
                    samples[state][workload].append(seconds)

    print(
        f"guard overhead: {args.reps} rounds, best of {args.inner} per worker, median over"
        f" rounds; {args.reads:,} reads/stats, {args.configs} load_config calls"
    )
    medians = {
        state: {w: statistics.median(samples[state][w]) for w in WORKLOADS} for state in states
    }
    for workload in WORKLOADS:
        unit = 1e6 / (args.configs if workload == "load_config" else args.reads)
        base = medians["nohook"][workload]
        print(
            f"{workload:<12} "
            + "  ".join(
                f"{state} {medians[state][workload] * unit:.2f}us"
                + (f" ({medians[state][workload] / base:.3f})" if state != "nohook" else "")
                for state in states
            )
        )
    if not kernel.available:
        print(f"kernel layer states left out: {kernel.reason}")
    if set(STATES[:4]) - set(states):
        return  # the tables below need every hook state
    print()
    print(
        f"{'workload':<12} {'no hook':>10} {'no-op hook':>11} {'idle':>10} {'in scope':>10}"
        "   noop/none  idle/none  scope/none  scope/noop"
    )
    for workload in WORKLOADS:
        base, noop, idle, scope = (medians[s][workload] for s in STATES[:4])
        unit = 1e6 / (args.configs if workload == "load_config" else args.reads)
        print(
            f"{workload:<12} {base * unit:>8.2f}us {noop * unit:>9.2f}us {idle * unit:>8.2f}us"
            f" {scope * unit:>8.2f}us   {noop / base:>9.3f}  {idle / base:>9.3f}"
            f"  {scope / base:>10.3f}  {scope / noop:>10.3f}"
        )
    print("(times per call; ratios 1.000 = no overhead; targets: scope <= 1.10, idle ~ 1.00)")
    if not {"kernel", "kernel+scope"} <= set(states):
        return
    print(f"\nkernel layer (Landlock ABI {kernel.abi}), same rounds:")
    print(
        f"{'workload':<12} {'kernel':>10} {'kernel+scope':>13}"
        "   kernel/none  kernel+scope/none  kernel+scope/scope"
    )
    for workload in WORKLOADS:
        base, scope = medians["nohook"][workload], medians["scope"][workload]
        kern, both = medians["kernel"][workload], medians["kernel+scope"][workload]
        unit = 1e6 / (args.configs if workload == "load_config" else args.reads)
        print(
            f"{workload:<12} {kern * unit:>8.2f}us {both * unit:>11.2f}us"
            f"   {kern / base:>11.3f}  {both / base:>17.3f}  {both / scope:>18.3f}"
        )
    print("(target: kernel/none <= 1.02 on reads)")


if __name__ == "__main__":
    main()
