"""Upstream ``spec-kitty-cli`` for side-by-side benchmarks: its venv, its project, its commands.

The published CLI is installed from the package registry into a venv of its own
(never the project venv: it ships a ``specify_cli`` package too), pinned to a
release verified to start. Every published 3.2.x release needs
``typer==0.24.1`` to start, so that pin goes in the same ``pip install``.

Its project is made the way a user makes one (``spec-kitty init`` and
``agent mission create``), plus the same ``tracker:`` section our fixture
config carries, so its read commands run for real instead of failing fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import attrs

__all__ = [
    "NEAREST",
    "REFERENCE",
    "TYPER_PIN",
    "UPSTREAM_VERSION",
    "Counterpart",
    "default_venv",
    "ensure_venv",
    "prepare_project",
    "upstream_argv",
]

# Latest release on PyPI when this was written, verified to start and to run
# `sync status` with TYPER_PIN. Override with --upstream-version.
UPSTREAM_VERSION = "3.2.7"
TYPER_PIN = "typer==0.24.1"

MISSION_PLACEHOLDER = "{mission}"


@attrs.frozen
class Counterpart:
    """The upstream command nearest to one of ours, and why it is the nearest."""

    argv: tuple[str, ...]
    note: str
    # Upstream registers its `tracker` commands only with SPEC_KITTY_ENABLE_SAAS_SYNC=1.
    saas_only: bool = False


# The denominator of the latency target: every read command at most 0.15 of this.
REFERENCE = Counterpart(("sync", "status"), "same command")

# Ours -> nearest upstream command (3.2.x). `{mission}` is the slug of the
# mission made by prepare_project. A command missing here gets no counterpart
# column; the ratio to REFERENCE is reported for every command regardless.
NEAREST: dict[str, Counterpart] = {
    "sync status": REFERENCE,
    "sync push": Counterpart(("sync", "now"), "drains the offline event queue"),
    "sync pull": Counterpart(
        ("tracker", "sync", "pull"), "the only upstream pull from the SaaS", saas_only=True
    ),
    "sync run": Counterpart(("tracker", "sync", "run"), "upstream push+pull", saas_only=True),
    "tracker status": Counterpart(("tracker", "status"), "same command", saas_only=True),
    "tracker map list": Counterpart(("tracker", "map", "list"), "same command", saas_only=True),
    "events emit": Counterpart(
        (
            "agent",
            "status",
            "emit",
            "WP01",
            "--to",
            "planned",
            "--actor",
            "bench",
            "--mission",
            MISSION_PLACEHOLDER,
            "--force",
            "--reason",
            "bench",
        ),
        "status-event emission (writes the mission's event log)",
    ),
    "dashboard tick": Counterpart(("dashboard", "--json"), "dashboard mission registry, no server"),
    "dashboard run": Counterpart(
        ("dashboard", "--json"), "bounded stand-in: upstream's loop is a web server"
    ),
    "dossier sync": Counterpart(
        ("reconcile", "--mission", MISSION_PLACEHOLDER), "dossier vs recorded snapshot"
    ),
    "lifecycle fanout": Counterpart(
        ("agent", "status", "lifecycle", "--mission", MISSION_PLACEHOLDER),
        "a mission's lifecycle state",
    ),
    "capabilities": Counterpart(("--help",), "the command list"),
}


def upstream_argv(counterpart: Counterpart, mission: str) -> tuple[str, ...]:
    """The counterpart's arguments with the mission slug filled in."""
    return tuple(mission if a == MISSION_PLACEHOLDER else a for a in counterpart.argv)


def default_venv() -> Path:
    """``${XDG_CACHE_HOME:-~/.cache}/kitty-fs-bench/upstream-venv``: reused across runs."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache, "kitty-fs-bench", "upstream-venv")


def _installed_version(venv: Path) -> str | None:
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    probe = "import importlib.metadata as m; print(m.version('spec-kitty-cli'))"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_venv(venv: Path, version: str, log: TextIO = sys.stderr) -> Path:
    """The upstream ``spec-kitty`` executable in ``venv``, installing the pin if needed.

    A venv that already holds ``spec-kitty-cli==version`` is reused as is (the
    install takes ~10 s and needs the network); otherwise it is created (or
    reused) and pip installs the pin plus ``typer==0.24.1`` into it.
    """
    exe = venv / "bin" / "spec-kitty"
    if _installed_version(venv) == version and exe.exists():
        return exe
    print(f"installing spec-kitty-cli=={version} and {TYPER_PIN} into {venv} ...", file=log)
    if not (venv / "bin" / "python").exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"spec-kitty-cli=={version}",
            TYPER_PIN,
        ],
        check=True,
    )
    installed = _installed_version(venv)
    if installed != version or not exe.exists():
        raise RuntimeError(f"{venv}: expected spec-kitty-cli {version}, found {installed}")
    return exe


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _spec_kitty(exe: Path, repo: Path, env: Mapping[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(exe), *args],
        cwd=repo,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip()[-2000:]
        raise RuntimeError(
            f"upstream `spec-kitty {' '.join(args)}` exited {done.returncode}:\n{tail}"
        )
    return done.stdout


def prepare_project(exe: Path, repo: Path, env: Mapping[str, str], tracker_yaml: str) -> str:
    """Make ``repo`` an upstream spec-kitty project with one mission; returns the mission slug.

    ``git init`` and a first commit, ``spec-kitty init --ai claude`` (upstream's
    own identity: uuid, slug, node_id, build_id), our fixture's ``tracker:``
    section appended, a commit, then ``agent mission create demo`` on a feature
    branch (upstream refuses to commit planning artifacts to ``main``) and a
    commit of what it leaves uncommitted. ``env`` must point HOME at a scratch
    directory: init and the first run write agent skills there.
    """
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@example.com")
    _git(repo, "config", "user.name", "Bench")
    _git(repo, "config", "commit.gpgsign", "false")
    (repo / "README.md").write_text("demo\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "initial")
    _spec_kitty(exe, repo, env, "init", "--ai", "claude", "--non-interactive")
    config = repo / ".kittify" / "config.yaml"
    with config.open("a") as handle:
        handle.write(tracker_yaml)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "spec-kitty init")
    out = _spec_kitty(
        exe,
        repo,
        env,
        "agent",
        "mission",
        "create",
        "demo",
        "--json",
        "--mission-type",
        "software-dev",
        "--start-branch",
        "feature/demo",
        "--topology",
        "single_branch",
    )
    payload = json.loads(out[out.index("{") :])
    slug = payload["mission_slug"]
    if not isinstance(slug, str):
        raise RuntimeError(f"upstream mission create returned no slug: {out[-500:]}")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "mission scaffold")
    return slug
