"""kitty-fs beside upstream spec-kitty, from the package index, as a maintainer would adopt it.

1. The library wheel installed into a venv that holds upstream
   ``spec-kitty-cli==3.2.3`` leaves upstream working (``--version``), keeps
   ``pip check`` clean (filelock 4.x is allowed), and its guard works there.
2. ``kitty-fs``, installed alone in a venv of its own (as pipx does), audits
   upstream's ``spec-kitty`` in upstream's venv, where kitty_fs is not
   installed: on a legacy identity (no ``build_id``) with sync on, 3.2.3's
   read-only ``sync routes`` persists a ``build_id`` through ``ensure_identity``
   (the bug upstream fixed in 3.2.4), and 3.2.4 writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging_support import Venv
from spec_kitty_samples import LEGACY_CONFIG

from kitty_fs.pytest_plugin import make_git_repo

pytest_plugins = ["packaging_fixtures"]

GUARD_SNIPPET = textwrap.dedent(
    """\
    import sys
    from pathlib import Path
    from kitty_fs import WriteViolation, read_context, read_scope
    root = Path(sys.argv[1])
    with read_scope(read_context(root, reason="coexistence check")):
        try:
            (root / "written.txt").write_text("no")
        except WriteViolation as exc:
            print("refused:", exc.path)
    print("exists:", (root / "written.txt").exists())
    """
)


def _tree_digest(package: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow
def test_the_library_installs_beside_upstream_spec_kitty_and_guards_there(
    coexisting_venv: Venv, library_wheel: Path, adopter_wheels: Path, tmp_path: Path
) -> None:
    venv = coexisting_venv
    (site,) = venv.path.glob("lib/python3*/site-packages")
    upstream_before = _tree_digest(site / "specify_cli")
    script_before = venv.bin("spec-kitty").read_bytes()
    # Its dependencies as the index offers them (downloaded once per session).
    venv.pip(
        "install", "--quiet", "--no-index", "--find-links", str(adopter_wheels), str(library_wheel)
    )
    assert _tree_digest(site / "specify_cli") == upstream_before  # nothing of upstream replaced
    assert venv.bin("spec-kitty").read_bytes() == script_before
    version = venv.run("spec-kitty", "--version")
    assert version.returncode == 0, version.stderr
    assert "spec-kitty-cli version 3.2.3" in version.stdout
    check = venv.pip("check")  # raises on a conflict, e.g. filelock 4.x against a <3.30 pin
    assert "No broken requirements found" in check.stdout, check.stdout
    root = tmp_path / "repo"
    root.mkdir()
    guarded = venv.run("python", "-c", GUARD_SNIPPET, str(root))
    assert guarded.returncode == 0, guarded.stderr
    assert guarded.stdout.splitlines() == [f"refused: {root / 'written.txt'}", "exists: False"]


# The identity part of the shared legacy config (spec-kitty 3.1: no build_id); without the
# tracker section, so upstream's sync has no tracker to call out to.
LEGACY_IDENTITY = LEGACY_CONFIG.split("\n# tracker binding")[0] + "\n"


def _legacy_repo(tmp_path: Path) -> Path:
    repo = make_git_repo(tmp_path / "legacy")
    (repo / ".kittify").mkdir()
    (repo / ".kittify" / "config.yaml").write_text(LEGACY_IDENTITY)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "spec-kitty 3.1 identity"], cwd=repo, check=True)
    return repo


def _audit_upstream(
    kitty_fs: Venv, upstream: Venv, repo: Path, home: Path
) -> tuple[int, dict[str, object]]:
    """``kitty-fs audit --json`` of upstream's ``sync routes``, sync on, HOME a scratch dir.

    ``--allow-subprocess``: upstream probes ``brew --prefix`` at every start (install-method
    detection), which the audit would otherwise count as a child that may write.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(HOME=str(home), SPEC_KITTY_ENABLE_SAAS_SYNC="1")
    done = kitty_fs.run(
        "kitty-fs",
        "audit",
        "--json",
        "--allow-subprocess",
        "--root",
        str(repo),
        "--",
        str(upstream.bin("spec-kitty")),
        "sync",
        "routes",
        env=env,
        cwd=repo,
    )
    report = json.loads(done.stdout)
    assert isinstance(report, dict), done.stdout
    return done.returncode, report


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.2.3", "3.2.4"])
def test_kitty_fs_installed_apart_audits_upstream_sync_routes(
    kitty_fs_alone: Venv,
    upstream_venv: Callable[[str], Venv],
    tmp_path: Path,
    version: str,
) -> None:
    upstream = upstream_venv(version)
    probe = upstream.run("python", "-c", "import kitty_fs")
    assert probe.returncode != 0  # the audited program's venv has no kitty_fs
    repo = _legacy_repo(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    code, report = _audit_upstream(kitty_fs_alone, upstream, repo, home)
    processes = report["processes"]
    assert isinstance(processes, list) and processes
    assert all(p["guarded"] and p["prefix"] == str(upstream.path) for p in processes)
    attempts = report["attempts"]
    assert isinstance(attempts, list)
    if version == "3.2.4":  # the fixed release: a read is a read
        assert (code, report["result"], attempts) == (0, "clean", []), report
        return
    assert (code, report["result"]) == (1, "writes")
    (replace,) = [a for a in attempts if a["rel"] == ".kittify/config.yaml"]
    assert replace["operation"] == "rename/replace onto"
    functions = [(Path(f["file"]).parent.name, f["function"]) for f in replace["frames"]]
    assert ("identity", "ensure_identity") in functions
    site = f"{os.sep}site-packages{os.sep}specify_cli{os.sep}"
    origin = replace["origin"]
    assert isinstance(origin, dict)
    assert str(upstream.path) in origin["file"] and site in origin["file"]
    changes = report["worktree_changes"]
    assert isinstance(changes, list) and "status now shows: ' M .kittify/config.yaml'" in changes
