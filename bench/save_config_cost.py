"""What a safe ``save_config`` costs against a plain, unsafe write of the same file.

Both sides change ``tracker.binding_ref`` in a realistic, commented
``.kittify/config.yaml`` inside a real git repository, once per iteration, to a
new value each time (so neither side can skip the write):

* ``plain``: ``Path.write_text`` of the new text, computed before the clock
  starts (no parse, no lock, no fsync: what upstream did, torn file and all);
* ``save_config``: the kitty_fs store: lock, re-read and parse under the
  lock, splice the section, verify, temp file, fsync, ``os.replace``, fsync of
  the directory.

Rounds alternate the two sides; the median per-save time of each is reported
with the ratio save_config/plain. Most of the difference is the two fsyncs,
which is the price of "old or new, never torn".

    .venv/bin/python bench/save_config_cost.py [--saves N] [--rounds R]

Defaults: 100 saves, 5 rounds; KITTY_FULL=1 makes it 15 rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kitty_fs import save_config, write_boundary
from specify_cli._paths import CONFIG_PATH

CONFIG = """\
# spec-kitty project configuration (tracked in git)
project:
  uuid: 12345678-1234-5678-1234-567812345678
  slug: demo-project  # chosen at init
  node_id: abcdef012345
  build_id: 3ebbf95f-c987-5565-b8b6-6debe8cdfd43

# tracker binding
tracker:
  provider: jira  # the provider
  binding_ref: bind-000
  project_slug: demo-project
  display_label: "Demo (Jira)"
  provider_context:
    site: acme.atlassian.net
  doctrine:
    mode: push  # who wins on conflicts
"""


def _repo(base: Path) -> Path:
    repo = base / "repo"
    (repo / ".kittify").mkdir(parents=True)
    (repo / ".kittify" / "config.yaml").write_text(CONFIG)
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def _plain(config: Path, saves: int, offset: int) -> float:
    texts = [
        CONFIG.replace("bind-000", f"bind-{offset + i:06d}") for i in range(saves)
    ]  # built before the clock: the plain side pays only for the write
    start = time.perf_counter()
    for text in texts:
        config.write_text(text)
    return (time.perf_counter() - start) / saves


def _safe(repo: Path, saves: int, offset: int) -> float:
    ctx = write_boundary(repo, reason="bench: save_config")
    start = time.perf_counter()
    for i in range(saves):
        save_config(ctx, "tracker", {"binding_ref": f"safe-{offset + i:06d}"}, rel=CONFIG_PATH)
    return (time.perf_counter() - start) / saves


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=100)
    default_rounds = 15 if os.environ.get("KITTY_FULL") == "1" else 5
    parser.add_argument("--rounds", type=int, default=default_rounds)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    plain: list[float] = []
    safe: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kitty-bench-") as tmp:
        repo = _repo(Path(tmp))
        config = repo / ".kittify" / "config.yaml"
        _safe(repo, 5, 0)  # warm: imports, lock directory
        for n in range(args.rounds):
            offset = (n + 1) * args.saves
            if n % 2:
                safe.append(_safe(repo, args.saves, offset))
                plain.append(_plain(config, args.saves, offset))
            else:
                plain.append(_plain(config, args.saves, offset))
                safe.append(_safe(repo, args.saves, offset))
    p, s = statistics.median(plain), statistics.median(safe)
    result = {
        "saves": args.saves,
        "rounds": args.rounds,
        "plain_ms": round(p * 1000, 3),
        "save_config_ms": round(s * 1000, 3),
        "ratio": round(s / p, 1),
    }
    if args.json:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"{args.saves} saves x {args.rounds} rounds (median per save)")
        print(f"  plain write_text   {result['plain_ms']:8.3f} ms")
        print(f"  save_config        {result['save_config_ms']:8.3f} ms")
        print(f"  ratio save_config/plain: {result['ratio']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
