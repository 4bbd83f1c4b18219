"""Shared helpers of the specify_cli tests (imported by conftest and by tests)."""

from __future__ import annotations

import subprocess
from pathlib import Path

LEGACY_CONFIG = """\
# spec-kitty project configuration (tracked in git)
project:
  # identity written by spec-kitty 3.1, before build_id existed
  uuid: 12345678-1234-5678-1234-567812345678
  slug: demo-project  # chosen at init
  node_id: abcdef012345

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


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def make_repo(path: Path, config: str | None = LEGACY_CONFIG, origin: str | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "Test")
    git(path, "config", "commit.gpgsign", "false")
    if origin is not None:
        git(path, "remote", "add", "origin", origin)
    (path / "README.md").write_text("demo\n")
    if config is not None:
        (path / ".kittify").mkdir()
        (path / ".kittify" / "config.yaml").write_text(config)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def fingerprint(path: Path) -> tuple[bytes, int]:
    """Bytes and mtime_ns: what INV-1 says a read must not change."""
    return path.read_bytes(), path.stat().st_mtime_ns


def porcelain(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored")
