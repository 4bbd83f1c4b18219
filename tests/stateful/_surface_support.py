"""Support for the stateful test of the ``spec-kitty`` command surface.

Everything here is real: git repositories made with ``git``, the installed
``spec-kitty`` console script run as a child process, file trees fingerprinted
from disk. The model's expectations are computed independently of
``specify_cli`` where the design fixes the rule (``node_id``, ``build_id``, the
clean-tree allowlist), so a drift on the product side shows up as a failure
instead of cancelling out.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from git_support import git
from ruamel.yaml import YAML
from spec_kitty_samples import LEGACY_CONFIG
from tree_listing import tree_state as whole_tree

from kitty_fs.testing import make_git_repo

__all__ = [
    "COMPLETE_BUILD_ID",
    "CONFIG",
    "Binding",
    "CliResult",
    "Identity",
    "TreeState",
    "closed_port",
    "config_data",
    "expected_build_id",
    "expected_node_id",
    "git",
    "make_surface_repo",
    "porcelain_paths",
    "porcelain_raw",
    "real_dirt",
    "resolved_identity",
    "run_cli",
    "tracker_binding",
    "tree_state",
]

CONFIG: Final = ".kittify/config.yaml"

# A build_id on disk that is *not* the derived one: it must be returned unchanged.
COMPLETE_BUILD_ID: Final = "0f0e0d0c-0b0a-4909-8807-060504030201"

# The design's rule, restated here rather than imported: build_id = uuid5(NS, "uuid:node").
_BUILD_ID_NS: Final = uuid.uuid5(uuid.NAMESPACE_URL, "spec-kitty:identity:build_id")

# Git independent of the user's and the system's configuration for spec-kitty's own git calls
# (record-analysis runs git). The test's calls go through git_support (kitty_fs.testing.run_git),
# which also skips optional index writes; spec-kitty's git runs as it would for a user.
_GIT_ISOLATION: Final = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}

Identity = tuple[str, str, str, str]  # project_uuid, project_slug, node_id, build_id
Binding = tuple[str, str, str]  # provider, project_slug, binding_ref


def make_surface_repo(path: Path, variant: str) -> Path:
    """A committed repository: two source files, one mission, and the config ``variant``.

    ``legacy``: identity without ``build_id`` plus a tracker binding; ``complete``:
    the same with a stored ``build_id``; ``bare``: no ``.kittify/`` at all.
    """
    path.mkdir(parents=True)
    files = {
        "README.md": "surface test repository\n",
        "src/app.py": 'print("hello")\n',
        "kitty-specs/001-login/spec.md": "# Login\n",
        "kitty-specs/001-login/meta.json": '{"mission": "001-login"}\n',
    }
    if variant == "legacy":
        files[CONFIG] = LEGACY_CONFIG
    elif variant == "complete":
        files[CONFIG] = LEGACY_CONFIG.replace(
            "  node_id: abcdef012345\n",
            f"  node_id: abcdef012345\n  build_id: {COMPLETE_BUILD_ID}\n",
        )
    elif variant != "bare":
        raise ValueError(f"unknown repository variant {variant!r}")
    return make_git_repo(path, files)


# -- the worktree as the invariants see it -------------------------------------------------


@dataclass(frozen=True)
class TreeState:
    """Every file below the root (``.git`` excluded): sha256, ``mtime_ns`` and mode; every dir.

    Wider than a tracked-file snapshot on purpose: a stray temp or lock file, an
    untracked file rewritten, an empty directory left behind all show.
    """

    files: Mapping[str, tuple[str, int, int]]
    dirs: frozenset[str]

    def changed_files(self, later: TreeState) -> set[str]:
        names = set(self.files) | set(later.files)
        return {n for n in names if self.files.get(n) != later.files.get(n)}

    def describe(self, later: TreeState) -> list[str]:
        out = []
        for name in sorted(self.changed_files(later)):
            old, new = self.files.get(name), later.files.get(name)
            if old is None or new is None:
                out.append(f"{name}: {'created' if old is None else 'deleted'}")
            else:
                kinds = ("bytes", "mtime", "mode")
                what = [w for w, a, b in zip(kinds, old, new, strict=True) if a != b]
                out.append(f"{name}: {', '.join(what)} changed")
        out += [f"{d}/: directory created" for d in sorted(later.dirs - self.dirs)]
        out += [f"{d}/: directory removed" for d in sorted(self.dirs - later.dirs)]
        return out


def tree_state(root: Path) -> TreeState:
    """The suite's whole-tree listing (``tree_listing``) as files and directories apart."""
    files: dict[str, tuple[str, int, int]] = {}
    dirs: set[str] = set()
    for rel, entry in whole_tree(root).items():
        if entry[0] == "dir":
            dirs.add(rel)
        elif entry[0] == "file":
            _kind, mode, mtime, digest = entry
            assert isinstance(mode, int) and isinstance(mtime, int) and isinstance(digest, str)
            files[rel] = (digest, mtime, mode)
    return TreeState(files, frozenset(dirs))


def porcelain_raw(root: Path) -> str:
    return git(root, "status", "--porcelain", "-z", "--untracked-files=all")


def porcelain_paths(root: Path) -> set[str]:
    """The paths ``git status`` reports (we never stage, so there are no rename records)."""
    return {entry[3:] for entry in porcelain_raw(root).split("\0") if entry}


def _matches(path: str, pattern: str) -> bool:
    """Glob match one segment at a time: ``*`` never crosses ``/`` (shell and gitignore style)."""
    import fnmatch

    parts, wanted = path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=True)
    )


# The gate's documented allowlist (record-analysis --help); never .kittify/config.yaml.
_ALLOWLIST: Final = ("kitty-specs/*/meta.json", ".kittify/encoding-provenance/*")


def real_dirt(dirty: set[str]) -> set[str]:
    """The dirty paths that are not the gate's documented bookkeeping."""
    return {p for p in dirty if not any(_matches(p, pattern) for pattern in _ALLOWLIST)}


# -- the resolved state, read the way a read command reads it -------------------------------


def resolved_identity(root: Path) -> Identity | None:
    from kitty_fs import read_context
    from specify_cli.identity import NotInitialized, resolve_identity

    found = resolve_identity(read_context(root, reason="stateful test: identity"))
    if isinstance(found, NotInitialized):
        return None
    return (str(found.project_uuid), found.project_slug, found.node_id, found.build_id)


def tracker_binding(root: Path) -> Binding | None:
    from kitty_fs import read_context
    from specify_cli.tracker import load_tracker_config

    config = load_tracker_config(read_context(root, reason="stateful test: tracker"))
    if config.provider is None and config.binding_ref is None and config.project_slug is None:
        return None
    return (config.provider or "", config.project_slug or "", config.binding_ref or "")


def config_data(root: Path) -> dict[str, object] | None:
    """The config as plain data (``None`` when the file is absent)."""
    path = root / CONFIG
    if not path.is_file():
        return None
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    return dict(data) if isinstance(data, dict) else {}


def expected_node_id() -> str:
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return hashlib.sha256(f"{socket.gethostname()}:{user}".encode()).hexdigest()[:12]


def expected_build_id(project_uuid: str, node_id: str) -> str:
    return str(uuid.uuid5(_BUILD_ID_NS, f"{uuid.UUID(project_uuid)}:{node_id}"))


# -- the command line ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CliResult:
    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def payload(self) -> dict[str, object]:
        """The last JSON object on stdout (``--json`` prints one per result)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        if not lines:
            raise AssertionError(f"{self.describe()}: no JSON on stdout")
        value = json.loads(lines[-1])
        assert isinstance(value, dict), self.describe()
        return value

    def describe(self) -> str:
        return (
            f"spec-kitty {' '.join(self.argv)} -> exit {self.code}\n"
            f"  stdout: {self.stdout.strip()[:600]}\n  stderr: {self.stderr.strip()[:600]}"
        )


def _spec_kitty() -> list[str]:
    script = Path(sys.executable).with_name("spec-kitty")
    if script.is_file():
        return [os.fspath(script)]
    return [sys.executable, "-c", "from specify_cli.cli import main; main()"]


def run_cli(root: Path, argv: Sequence[str], env: Mapping[str, str]) -> CliResult:
    """Run ``spec-kitty ARGV`` in ``root`` (or a directory below it) with exactly ``env``'s
    spec-kitty settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SPEC_KITTY_")}
    done = subprocess.run(
        [*_spec_kitty(), *argv],
        cwd=root,
        env={**base, **_GIT_ISOLATION, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return CliResult(tuple(argv), done.returncode, done.stdout, done.stderr)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
