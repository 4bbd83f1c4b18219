"""Cold wall time of every ``spec-kitty`` read command, side by side with upstream spec-kitty-cli.

Each run is a fresh process (``subprocess.run`` of the console script, as a
user types it), so a command pays its interpreter start and its imports every
time. Our read commands come from the command registry, so a new one is timed
the moment it is declared. Upstream's published CLI is installed by this script
into a venv of its own (see ``bench/_upstream.py``: pinned release plus
``typer==0.24.1``, which every 3.2.x release needs to start), reused when present.

Both sides get an equivalent throwaway project, in its own HOME and state dir:

* ours: a git repo whose ``.kittify/config.yaml`` is the legacy fixture (identity
  without ``build_id``, a tracker binding) and one mission under ``kitty-specs/``;
* upstream: a git repo made by upstream ``spec-kitty init`` with the same
  ``tracker:`` section, and one mission from ``agent mission create``.

One untimed warm-up run per command (bytecode caches, upstream's first-run
setup), then ``--runs`` rounds; in each round our commands and upstream's
alternate, in a shuffled order, so both sides share the machine's noise.
Reported: median and min per command, each of ours divided by upstream's
``sync status`` (the target: at most 0.15) and by its nearest upstream command.
Exit codes are reported, not judged: a failing upstream command is still timed.
The script exits 0 whatever it measures; commands over the target are listed.

Sync is disabled by default (``SPEC_KITTY_ENABLE_SAAS_SYNC`` unset). ``--saas``
starts the loopback reference server and enables sync on both sides (upstream
then also registers its ``tracker`` commands; it cannot log in to our server,
so those exit 1). Afterwards ``-X importtime`` profiles our slowest command and
prints where its import time goes.

    .venv/bin/python bench/cli_latency.py [--runs N] [--saas] [--json]
        [--upstream-venv PATH] [--upstream-version V] [--only NAME ...]

Defaults: 7 runs per command; KITTY_FULL=1 uses 15.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

# bench/ is not a package: run as a script, its directory is on sys.path.
from _upstream import (
    NEAREST,
    REFERENCE,
    UPSTREAM_VERSION,
    Counterpart,
    default_venv,
    ensure_venv,
    prepare_project,
    upstream_argv,
)

TARGET = 0.15
TIMEOUT_EXIT = -1  # exit code recorded for a run killed by --timeout

# The legacy fixture of tests/specify_cli/sk_support.py: identity written before
# build_id existed (the emission path completes it in memory), a tracker binding.
PROJECT_YAML = """\
# spec-kitty project configuration (tracked in git)
project:
  # identity written by spec-kitty 3.1, before build_id existed
  uuid: 12345678-1234-5678-1234-567812345678
  slug: demo-project  # chosen at init
  node_id: abcdef012345

"""
TRACKER_YAML = """\
# tracker binding
tracker:
  provider: jira  # the provider
  binding_ref: bind-001
  project_slug: demo-project
  display_label: "Demo (Jira)"
  workspace: acme
  provider_context:
    site: acme.atlassian.net
  doctrine:
    mode: push  # who wins on conflicts
    field_owners:
      title: local
  custom_key: keep me  # unknown keys must survive
"""
SAAS_TOKEN = "bench-token"


@attrs.define
class Target:
    """One command line to time, and what its runs gave."""

    side: str  # "ours" or "upstream"
    name: str  # ours: the registry name; upstream: the argv joined
    argv: tuple[str, ...]
    cwd: Path
    env: dict[str, str]
    times: list[float] = attrs.field(factory=list)
    exits: list[int] = attrs.field(factory=list)
    warmup_exit: int | None = None
    tail: str = ""

    def run(self, timeout: float) -> tuple[float, int, str]:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return time.perf_counter() - start, TIMEOUT_EXIT, f"timed out after {timeout} s"
        elapsed = time.perf_counter() - start
        words = " ".join((done.stdout + done.stderr).split())
        return elapsed, done.returncode, words if len(words) <= 160 else "…" + words[-160:]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def exit_label(self) -> str:
        codes = sorted(set(self.exits))
        return "/".join("timeout" if c == TIMEOUT_EXIT else str(c) for c in codes)


def our_read_commands(only: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(name, extra argv) of every read command in the registry, in registry order.

    The extra argv is the command's ``contract_argv``: what the INV-1 contract
    test passes too (a required argument, a bounded daemon loop).
    """
    from specify_cli.cli._app import build_registry

    found = [
        (c.name, c.contract_argv)
        for c in build_registry().of_capability("read")
        if not only or c.name in only
    ]
    missing = set(only) - {name for name, _ in found}
    if missing:
        raise SystemExit(f"not read commands in the registry: {', '.join(sorted(missing))}")
    return found


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def make_our_project(repo: Path) -> None:
    """A committed repo with the legacy config and one mission at the `specified` stage."""
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@example.com")
    _git(repo, "config", "user.name", "Bench")
    _git(repo, "config", "commit.gpgsign", "false")
    (repo / "README.md").write_text("demo\n")
    (repo / ".kittify").mkdir()
    (repo / ".kittify" / "config.yaml").write_text(PROJECT_YAML + TRACKER_YAML)
    mission = repo / "kitty-specs" / "demo"
    (mission / "tasks").mkdir(parents=True)
    (mission / "spec.md").write_text("# Demo\n\nA mission for the latency benchmark.\n")
    (mission / "meta.json").write_text('{"mission_slug": "demo", "mission_type": "software-dev"}\n')
    (mission / "tasks" / "README.md").write_text("# Tasks\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "initial")


def base_env(home: Path) -> dict[str, str]:
    """The caller's environment minus anything that would change either CLI, HOME in scratch.

    Drops ``SPEC_KITTY_*``, ``PYTHON*``, ``XDG_*`` (so both CLIs keep their
    files under the scratch HOME) and ``VIRTUAL_ENV``. Fixes the terminal width
    and disables upstream's upgrade check (a network call).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPEC_KITTY_", "PYTHON", "XDG_")) and k != "VIRTUAL_ENV"
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        SPEC_KITTY_HOME=str(home / ".spec-kitty"),
        SPEC_KITTY_NO_UPGRADE_CHECK="1",
        COLUMNS="100",
        NO_COLOR="1",
    )
    return env


@contextmanager
def reference_server() -> Iterator[str]:
    """The loopback reference SaaS in a child process; yields its base URL."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specify_cli.saas_reference",
            "--port",
            "0",
            "--token",
            SAAS_TOKEN,
            "--binding-ref",
            "bind-002",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"reference server did not start (printed {url!r})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


FLOOR_TARGET = 2.0  # every read command at most this multiple of `python -c "import typer"`


def interleave(ours: list[Target], upstream: list[Target], rng: random.Random) -> list[Target]:
    """One round: both sides shuffled, then alternated (ours, upstream, ours, ...)."""
    a, b = ours[:], upstream[:]
    rng.shuffle(a)
    rng.shuffle(b)
    out: list[Target] = []
    for i in range(max(len(a), len(b))):
        out.extend(t for t in (a[i] if i < len(a) else None, b[i] if i < len(b) else None) if t)
    return out


# A module imported at depth 0: by the console script itself, or from inside a
# function (a lazy import); importtime cannot tell the two apart.
TOP_LEVEL = "(top level: the script or a function)"
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)\s*$")


def import_profile(target: Target, top: int, tries: int = 3) -> dict[str, Any]:
    """Where ``target``'s import time goes (``PYTHONPROFILEIMPORTTIME``, best of ``tries``).

    Returns the total (sum of self times), the top packages by summed self time
    with the module that first imported each, and the top modules by self time.
    """
    best: list[tuple[int, int, int, str]] | None = None
    for _ in range(tries):
        env = dict(target.env, PYTHONPROFILEIMPORTTIME="1")
        done = subprocess.run(
            target.argv, cwd=target.cwd, env=env, capture_output=True, text=True, check=False
        )
        rows = []
        for line in done.stderr.splitlines():
            m = _IMPORT_LINE.match(line)
            if m:
                depth = (len(m.group(3)) - 1) // 2
                rows.append((int(m.group(1)), int(m.group(2)), depth, m.group(4)))
        if best is None or sum(r[0] for r in rows) < sum(r[0] for r in best):
            best = rows
    rows = best or []
    # importtime prints children before their parent: a row's importer is the
    # next row one level up.
    importer: dict[str, str] = {}
    for i, (_, _, depth, name) in enumerate(rows):
        parent = next((r[3] for r in rows[i + 1 :] if r[2] < depth), TOP_LEVEL)
        importer.setdefault(name, parent)
    packages: dict[str, int] = {}
    first_module: dict[str, str] = {}
    for self_us, _, _, name in rows:
        pkg = name.split(".")[0]
        packages[pkg] = packages.get(pkg, 0) + self_us
        first_module.setdefault(pkg, name)
    by_pkg = sorted(packages.items(), key=lambda kv: -kv[1])[:top]
    return {
        "command": target.name,
        "total_ms": sum(r[0] for r in rows) / 1000,
        "modules": len(rows),
        "packages": [
            {
                "package": pkg,
                "self_ms": us / 1000,
                "first_imported_by": _first_outside(pkg, first_module[pkg], importer),
            }
            for pkg, us in by_pkg
        ],
        "top_modules": [
            {"module": name, "self_ms": s / 1000, "cumulative_ms": c / 1000}
            for s, c, _, name in sorted(rows, key=lambda r: -r[0])[:top]
        ],
    }


def _first_outside(pkg: str, module: str, importer: dict[str, str]) -> str:
    """The first module outside ``pkg`` on the import chain that brought ``pkg`` in."""
    seen = module
    for _ in range(100):
        parent = importer.get(seen, TOP_LEVEL)
        if parent.split(".")[0] != pkg:
            return parent
        seen = parent
    return seen


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def render(report: dict[str, Any]) -> str:
    """The markdown the README quotes, then the list of commands over the target."""
    ref = report["reference"]
    mode = (
        "sync enabled against the loopback reference server" if report["saas"] else "sync disabled"
    )
    limit = ref["median_s"] * TARGET
    lines = [
        f"`spec-kitty` read commands, cold (a fresh process per run, after one untimed warm-up;"
        f" {report['runs']} runs each, interleaved with upstream's; {mode}), against upstream"
        " spec-kitty-cli"
        f" {report['upstream_version']}. Target: every read command at most {TARGET} of"
        f" upstream's `sync status` ({_ms(ref['median_s'])} ms here, exit {ref['exit']};"
        f" so at most {_ms(limit)} ms).",
        "",
        "| command | exit | median ms | min ms | / upstream `sync status` | target"
        " | / `import typer` | nearest upstream command | exit | median ms | ours / nearest |",
        "|---|---|---:|---:|---:|:---:|---:|---|---|---:|---:|",
    ]
    for row in report["commands"]:
        near = row["nearest"]
        if near is None:
            near_cells = "— | | | |"
        elif near.get("skipped"):
            near_cells = f"`{near['argv']}` ({near['skipped']}) | | | |"
        else:
            near_cells = (
                f"`{near['argv']}` | {near['exit']} | {_ms(near['median_s'])}"
                f" | {row['ratio_nearest']:.3f} |"
            )
        ok = "ok" if row["ratio_reference"] <= TARGET else "**over**"
        lines.append(
            f"| `{row['command']}` | {row['exit']} | {_ms(row['median_s'])} | {_ms(row['min_s'])}"
            f" | {row['ratio_reference']:.3f} | {ok} | {row['ratio_floor']:.2f}x | {near_cells}"
        )
    lines.append("")
    lines.append(
        f"Machine: {report['machine']}. Ratios are of medians. Upstream commands that exited"
        " non-zero were timed all the same:"
    )
    failing = [u for u in report["upstream"] if u["exit"] != "0"]
    for u in failing:
        lines.append(f"- `{u['argv']}` exit {u['exit']}: {u['tail']}")
    if not failing:
        lines[-1] = lines[-1].rsplit(".", 1)[0] + "."
    over = [r for r in report["commands"] if r["ratio_reference"] > TARGET]
    ours_failing = [r for r in report["commands"] if r["exit"] != "0"]
    floor = report["floor"]
    over_floor = [r for r in report["commands"] if r["ratio_floor"] > FLOOR_TARGET]
    lines.append(
        f"Floor: `{floor['argv']}` {_ms(floor['median_s'])} ms median in the same rounds;"
        f" target every read command at most {FLOOR_TARGET}x of it: "
        + (
            "all within."
            if not over_floor
            else "over: "
            + ", ".join(f"`{r['command']}` ({r['ratio_floor']:.2f}x)" for r in over_floor)
        )
    )
    lines.append("")
    if over:
        names = ", ".join(f"`{r['command']}` ({r['ratio_reference']:.3f})" for r in over)
        lines.append(f"OVER TARGET ({len(over)} of {len(report['commands'])}): {names}")
    else:
        lines.append(f"All {len(report['commands'])} read commands are within the {TARGET} target.")
    for r in ours_failing:
        lines.append(f"note: ours `{r['command']}` exit {r['exit']}: {r['tail']}")
    if report["worktree_changed"]:
        lines.append(f"WARNING: our worktree changed during the run:\n{report['worktree_changed']}")
    prof = report.get("importtime")
    if prof:
        lines += [
            "",
            f"Import profile of the slowest command, `{prof['command']}`:"
            f" {prof['modules']} modules, {prof['total_ms']:.0f} ms of import"
            " (self times summed; best of 3):",
            "",
            "| package | self ms | first imported by |",
            "|---|---:|---|",
        ]
        lines += [
            f"| {p['package']} | {p['self_ms']:.1f} | {p['first_imported_by']} |"
            for p in prof["packages"]
        ]
        lines += ["", "| module | self ms | cumulative ms |", "|---|---:|---:|"]
        lines += [
            f"| {m['module']} | {m['self_ms']:.1f} | {m['cumulative_ms']:.1f} |"
            for m in prof["top_modules"]
        ]
    return "\n".join(lines)


def compile_our_packages() -> None:
    """Byte-compile ``kitty_fs`` and ``specify_cli`` where they are installed, as pip does.

    A wheel install is compiled by pip; an editable one (this repository's
    ``.venv``) is not, and a read command cannot cache what it imports after
    the kernel layer is on (Landlock refuses the ``__pycache__`` write). Timing a
    fresh clone without this would time the compiler on every run.
    """
    for package in ("kitty_fs", "specify_cli"):
        spec = importlib.util.find_spec(package)
        folders = spec.submodule_search_locations if spec is not None else None
        for folder in folders or []:
            compileall.compile_dir(folder, quiet=1)


def _parser() -> argparse.ArgumentParser:
    full = os.environ.get("KITTY_FULL") == "1"
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15 if full else 7, help="timed runs each")
    parser.add_argument("--saas", action="store_true", help="sync on, reference server up")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--upstream-venv",
        type=Path,
        default=default_venv(),
        help="venv for upstream (created if absent; default: %(default)s)",
    )
    parser.add_argument("--upstream-version", default=UPSTREAM_VERSION)
    parser.add_argument("--only", action="append", default=[], help="time only this command")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument(
        "--importtime", type=int, default=12, help="rows of import profile (0: off)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the per-round shuffles")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    commands = our_read_commands(args.only)
    compile_our_packages()
    upstream_exe = ensure_venv(args.upstream_venv.expanduser(), args.upstream_version)
    our_exe = Path(sys.executable).parent / "spec-kitty"
    with tempfile.TemporaryDirectory(prefix="kitty-fs-cli-latency-") as scratch_name:
        scratch = Path(scratch_name).resolve()
        ours_env = base_env(scratch / "home-ours")
        up_env = base_env(scratch / "home-upstream")
        our_repo = scratch / "ours" / "demo-project"
        make_our_project(our_repo)
        print("preparing the upstream project (init, mission create) ...", file=sys.stderr)
        mission = prepare_project(
            upstream_exe, scratch / "upstream" / "demo-project", up_env, TRACKER_YAML
        )
        up_repo = scratch / "upstream" / "demo-project"
        with _saas(args.saas) as url:
            if url is not None:
                for env in (ours_env, up_env):
                    env.update(
                        SPEC_KITTY_ENABLE_SAAS_SYNC="1",
                        SPEC_KITTY_SAAS_URL=url,
                        SPEC_KITTY_SAAS_TOKEN=SAAS_TOKEN,
                    )
            report = measure(
                args, commands, our_exe, our_repo, ours_env, upstream_exe, up_repo, up_env, mission
            )
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


@contextmanager
def _saas(enabled: bool) -> Iterator[str | None]:
    if not enabled:
        yield None
        return
    with reference_server() as url:
        yield url


def measure(
    args: argparse.Namespace,
    commands: list[tuple[str, tuple[str, ...]]],
    our_exe: Path,
    our_repo: Path,
    ours_env: dict[str, str],
    upstream_exe: Path,
    up_repo: Path,
    up_env: dict[str, str],
    mission: str,
) -> dict[str, Any]:
    """Warm up, time the interleaved rounds, and build the report."""
    ours = [
        Target("ours", name, (str(our_exe), *name.split(), *extra), our_repo, ours_env)
        for name, extra in commands
    ]
    upstream: dict[tuple[str, ...], Target] = {}
    skipped: dict[str, str] = {}

    def up_target(counterpart: Counterpart) -> Target | None:
        if counterpart.saas_only and not args.saas:
            return None
        rest = upstream_argv(counterpart, mission)
        if rest not in upstream:
            argv = (str(upstream_exe), *rest)
            shown = " ".join(upstream_argv(counterpart, "<mission>"))
            upstream[rest] = Target("upstream", shown, argv, up_repo, up_env)
        return upstream[rest]

    reference = up_target(REFERENCE)
    assert reference is not None
    nearest: dict[str, Target | None] = {}
    for name, _ in commands:
        counterpart = NEAREST.get(name)
        nearest[name] = up_target(counterpart) if counterpart else None
        if counterpart and nearest[name] is None:
            skipped[name] = " ".join(upstream_argv(counterpart, "<mission>"))
    # The floor: the interpreter plus typer, which any typer CLI pays before its first line.
    floor = Target(
        "floor",
        "python -c 'import typer'",
        (sys.executable, "-c", "import typer"),
        our_repo,
        ours_env,
    )
    everything = [*ours, *upstream.values(), floor]
    before = _git(our_repo, "status", "--porcelain", "--untracked-files=all", "--ignored")
    load_start = os.getloadavg()[0]

    print(f"warm-up: {len(everything)} commands ...", file=sys.stderr)
    for target in everything:
        _, target.warmup_exit, target.tail = target.run(args.timeout)
    rng = random.Random(args.seed)
    for round_no in range(args.runs):
        print(f"round {round_no + 1}/{args.runs} ...", file=sys.stderr)
        for target in [*interleave(ours, list(upstream.values()), rng), floor]:
            elapsed, code, tail = target.run(args.timeout)
            target.times.append(elapsed)
            target.exits.append(code)
            if code != 0:
                target.tail = tail
    after = _git(our_repo, "status", "--porcelain", "--untracked-files=all", "--ignored")
    load_end = os.getloadavg()[0]

    def near_row(name: str) -> dict[str, Any] | None:
        target = nearest[name]
        if target is None:
            if name in skipped:
                return {"argv": skipped[name], "skipped": "needs --saas upstream"}
            return None
        return {
            "argv": target.name,
            "exit": target.exit_label,
            "median_s": target.median,
            "min_s": target.best,
        }

    rows = []
    for target in ours:
        near = nearest[target.name]
        rows.append(
            {
                "command": target.name,
                "argv": list(target.argv[1:]),
                "exit": target.exit_label,
                "median_s": target.median,
                "min_s": target.best,
                "samples_s": target.times,
                "ratio_reference": target.median / reference.median,
                "ratio_reference_min": target.best / reference.best,
                "over_target": target.median / reference.median > TARGET,
                "nearest": near_row(target.name),
                "ratio_nearest": target.median / near.median if near else None,
                "ratio_floor": target.median / floor.median,
                "tail": target.tail,
            }
        )
    report: dict[str, Any] = {
        "runs": args.runs,
        "saas": args.saas,
        "target": TARGET,
        "upstream_version": args.upstream_version,
        "upstream_venv": str(args.upstream_venv),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}; 1-minute load average {load_start:.1f} at the"
        f" start, {load_end:.1f} at the end",
        "reference": {
            "argv": reference.name,
            "exit": reference.exit_label,
            "median_s": reference.median,
            "min_s": reference.best,
        },
        "floor": {"argv": floor.name, "median_s": floor.median, "min_s": floor.best},
        "floor_target": FLOOR_TARGET,
        "commands": rows,
        "upstream": [
            {
                "argv": t.name,
                "exit": t.exit_label,
                "median_s": t.median,
                "min_s": t.best,
                "samples_s": t.times,
                "tail": t.tail,
            }
            for t in upstream.values()
        ],
        "worktree_changed": "" if before == after else f"before:\n{before}after:\n{after}",
    }
    if args.importtime > 0 and ours:
        slowest = max(ours, key=lambda t: t.median)
        report["importtime"] = import_profile(slowest, args.importtime)
    return report


if __name__ == "__main__":
    raise SystemExit(main())
