"""Scoped writes under the kernel layer where the git directory is on another filesystem.

A scoped write command's files are replaced atomically (a temp file, then
``rename(2)``) under a lock file, neither in its scope: ``kitty_fs._scratch``
puts them where ``git status`` never looks. When the worktree's git directory
is on another filesystem than the worktree (a linked worktree on disk whose
repository is on tmpfs), ``rename(2)`` cannot come from there, and the temp
file goes to ``.kitty-fs-scratch`` above the worktree. The kernel layer must
leave exactly that place writable, or the write fails with ``EACCES`` where the
audit-hook layer alone lets it through (``record-analysis`` did, with a
misleading "no directory outside the worktree" error).

The layout is the repository on ``/dev/shm`` and the worktree under pytest's
temp dir on disk. The other way round (the fault test's worktree on tmpfs)
shows nothing here: ``/dev/shm`` is writable under the kernel layer anyway (POSIX
semaphores live there, ``default_allowed_extras``).

Each command is the real ``spec-kitty`` in a subprocess, with the kernel layer on
(the app's policy is ``kernel="auto"``). ``agent status emit`` appends (one
``O_APPEND`` write, no temp file), so it needs no scratch place and is checked
for not regressing; ``record-analysis`` replaces ``analysis.md`` atomically and
is the one that failed. A plugin scoped write command shows that the scope is
still the limit: its atomic write across filesystems succeeds, and its writes
outside the scope from C code (no audit hook sees them) get ``EACCES`` from the
kernel; with the kernel layer off the same writes get through. A last pair
replaces an existing one-file scope atomically under the kernel (a rename into
its directory, which needs rights there), in a plain repository too, while C
appends to that directory's other files still get ``EACCES``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_support import PLUGIN_ENV, PROJECT_FILES, cli_env, git, make_project, run_cli
from tmpfs_support import tmpfs_dir

from kitty_fs._kernel import kernel_status

HERE = Path(__file__).resolve().parent
PACKAGE = "kitty_scratch_plugin"
MISSION = "001-login-flow"
LOG = f"kitty-specs/{MISSION}/status.events.jsonl"
ANALYSIS = f"kitty-specs/{MISSION}/analysis.md"
NOTES = f"kitty-specs/{MISSION}/notes.md"

NEEDS_KERNEL = pytest.mark.skipif(
    not kernel_status().available, reason=f"kernel layer: {kernel_status().describe()}"
)

PLUGIN_SOURCE = '''\
"""A scoped write command that writes its scope atomically, then outside it from C."""

from __future__ import annotations

import ctypes
import os

import typer

from kitty_fs import ScopedWriteContext
from kitty_fs.commands import CommandRegistry, Invocation

commands = CommandRegistry()


def _c_appends(paths: list[str]) -> dict[str, int]:
    """fopen(path, "a") from C (no audit hook sees it) for each path: 0 or the errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fopen.restype = ctypes.c_void_p
    errors = {}
    for path in paths:
        handle = libc.fopen(path.encode(), b"a")
        errors[path] = 0 if handle else ctypes.get_errno()
        if handle:
            libc.fclose(ctypes.c_void_p(handle))
    return errors


@commands.scoped_write(
    "scratch probe", "Writes notes.md, then tries C writes.", writes=("kitty-specs/{mission}",)
)
def probe(
    repo: ScopedWriteContext,
    inv: Invocation,
    mission: str = typer.Option(..., "--mission"),
    outside: list[str] = typer.Option([], "--outside"),
) -> int:
    repo.write_text(f"kitty-specs/{mission}/notes.md", "notes\\n")
    errors = _c_appends(outside)
    inv.output.result({"errno": errors}, [repr(errors)])
    return 0


@commands.scoped_write(
    "scratch replace",
    "Replaces its one-file scope atomically.",
    writes=("kitty-specs/{mission}/status.events.jsonl",),
)
def replace(
    repo: ScopedWriteContext,
    inv: Invocation,
    mission: str = typer.Option(..., "--mission"),
    outside: list[str] = typer.Option([], "--outside"),
) -> int:
    repo.write_text(f"kitty-specs/{mission}/status.events.jsonl", "replaced\\n")
    inv.output.result({"errno": _c_appends(outside)}, ["replaced"])
    return 0
'''


@dataclass(frozen=True)
class Layout:
    """A linked worktree on disk (``worktree``) whose repository is on tmpfs (``repo``)."""

    repo: Path
    worktree: Path
    scratch: Path  # where _scratch puts its temp files: .kitty-fs-scratch above the worktree
    state: Path


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[Layout]:
    with tmpfs_dir(tmp_path) as base:
        files = {**PROJECT_FILES, LOG: '{"wp": "WP00", "to": "planned"}\n'}
        repo = make_project(base / "repo", files=files)
        worktree = tmp_path / "wt"
        git(repo, "worktree", "add", "-q", "-b", "on-disk", os.fspath(worktree))
        yield Layout(repo, worktree.resolve(), tmp_path.resolve() / ".kitty-fs-scratch", tmp_path)


def _porcelain(worktree: Path) -> set[str]:
    return set(git(worktree, "status", "--porcelain", "--ignored").splitlines())


@NEEDS_KERNEL
def test_status_emit_appends_one_line_in_a_worktree_whose_git_dir_is_elsewhere(
    layout: Layout,
) -> None:
    before, lines = _porcelain(layout.worktree), (layout.worktree / LOG).read_text().splitlines()
    argv = ["agent", "status", "emit", "--mission", MISSION, "--wp", "WP01", "--to", "doing"]
    run = run_cli([*argv, "--json"], cwd=layout.worktree, env=cli_env(layout.state / "state"))
    assert run.returncode == 0, run.describe()
    after = (layout.worktree / LOG).read_text().splitlines()
    assert after[:-1] == lines and len(after) == len(lines) + 1
    assert json.loads(after[-1])["wp"] == "WP01"
    assert _porcelain(layout.worktree) - before == {f" M {LOG}"}


@NEEDS_KERNEL
def test_record_analysis_writes_atomically_across_filesystems_under_the_kernel(
    layout: Layout,
) -> None:
    before = _porcelain(layout.worktree)
    argv = ["record-analysis", "--mission", MISSION, "--summary", "across filesystems"]
    run = run_cli([*argv, "--json"], cwd=layout.worktree, env=cli_env(layout.state / "state"))
    assert run.returncode == 0, run.describe()
    assert "across filesystems" in (layout.worktree / ANALYSIS).read_text()
    assert _porcelain(layout.worktree) - before == {f"?? {ANALYSIS}"}
    assert layout.scratch.is_dir() and list(layout.scratch.iterdir()) == []  # renamed away


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scratch-plugin")
    (root / PACKAGE).mkdir()
    (root / PACKAGE / "__init__.py").write_text("")
    (root / PACKAGE / "commands.py").write_text(PLUGIN_SOURCE)
    return root


def _plugin_env(layout: Layout, plugin_dir: Path, *, kernel: bool) -> dict[str, str]:
    paths = [str(plugin_dir), str(HERE), str(HERE.parent / "shared")]
    env = cli_env(layout.state / "state", PYTHONPATH=os.pathsep.join(paths))
    env[PLUGIN_ENV] = f"{PACKAGE}.commands"
    if not kernel:
        env["KITTY_FS_KERNEL"] = "off"
    return env


def _probe(
    layout: Layout, plugin_dir: Path, outside: list[Path], *, kernel: bool
) -> dict[str, int]:
    env = _plugin_env(layout, plugin_dir, kernel=kernel)
    argv = ["scratch", "probe", "--mission", MISSION, "--json"]
    for path in outside:
        argv += ["--outside", os.fspath(path)]
    run = run_cli(argv, cwd=layout.worktree, env=env)
    assert run.returncode == 0, run.describe()
    assert (layout.worktree / NOTES).read_text() == "notes\n"
    errors = run.json()["errno"]
    assert isinstance(errors, dict)
    return {str(path): int(code) for path, code in errors.items()}


def _outside(layout: Layout) -> list[Path]:
    """Tracked files out of the scope, and a file beside the scratch dir (its parent is not
    writable: only the scratch dir itself was opened)."""
    return [
        layout.worktree / ".kittify" / "config.yaml",
        layout.worktree / "kitty-specs" / "002-search" / "spec.md",
        layout.scratch.parent / "beside-the-scratch-dir.txt",
    ]


@NEEDS_KERNEL
def test_the_scope_is_still_the_limit_for_the_kernel(layout: Layout, plugin_dir: Path) -> None:
    outside = _outside(layout)
    before = _porcelain(layout.worktree)
    errors = _probe(layout, plugin_dir, outside, kernel=True)
    assert errors == {os.fspath(path): 13 for path in outside}  # EACCES, from the kernel
    assert not outside[-1].exists()
    assert _porcelain(layout.worktree) - before == {f"?? {NOTES}"}


def test_without_the_kernel_layer_those_c_writes_get_through(
    layout: Layout, plugin_dir: Path
) -> None:
    """What the test above would see if the kernel were not what refuses: the C writes land."""
    outside = _outside(layout)
    before = _porcelain(layout.worktree)
    errors = _probe(layout, plugin_dir, outside, kernel=False)
    assert errors == {os.fspath(path): 0 for path in outside}
    assert outside[-1].exists()
    assert _porcelain(layout.worktree) - before == {f"?? {NOTES}"}  # fopen "a" wrote no bytes


def _replace(worktree: Path, env: dict[str, str], outside: list[Path]) -> dict[str, int]:
    """Run ``scratch replace`` (an atomic write of its existing one-file scope, then C appends
    to ``outside``); the errno of each append."""
    argv = ["scratch", "replace", "--mission", MISSION, "--json"]
    for path in outside:
        argv += ["--outside", os.fspath(path)]
    run = run_cli(argv, cwd=worktree, env=env)
    assert run.returncode == 0, run.describe()
    assert (worktree / LOG).read_text() == "replaced\n"
    errors = run.json()["errno"]
    assert isinstance(errors, dict)
    return {str(path): int(code) for path, code in errors.items()}


def _beside_the_log(worktree: Path) -> list[Path]:
    """Files of the one-file scope's own directory, and the config: not in the scope."""
    return [
        worktree / f"kitty-specs/{MISSION}/spec.md",
        worktree / f"kitty-specs/{MISSION}/meta.json",
        worktree / ".kittify" / "config.yaml",
    ]


@NEEDS_KERNEL
def test_replacing_an_existing_one_file_scope_under_the_kernel(
    layout: Layout, plugin_dir: Path
) -> None:
    """The rename into the log's directory is allowed; writing its neighbours still is not."""
    before = _porcelain(layout.worktree)
    outside = _beside_the_log(layout.worktree)
    env = _plugin_env(layout, plugin_dir, kernel=True)
    assert _replace(layout.worktree, env, outside) == {os.fspath(p): 13 for p in outside}
    assert _porcelain(layout.worktree) - before == {f" M {LOG}"}


@NEEDS_KERNEL
def test_replacing_a_one_file_scope_in_an_ordinary_repository_under_the_kernel(
    tmp_path: Path, plugin_dir: Path
) -> None:
    """The same in a plain repository (temp file in .git/kitty-fs, renamed into the mission)."""
    files = {**PROJECT_FILES, LOG: '{"wp": "WP00", "to": "planned"}\n'}
    repo = make_project(tmp_path / "repo", files=files)
    before = _porcelain(repo)
    paths = [str(plugin_dir), str(HERE), str(HERE.parent / "shared")]
    env = cli_env(tmp_path / "state", PYTHONPATH=os.pathsep.join(paths))
    env[PLUGIN_ENV] = f"{PACKAGE}.commands"
    outside = _beside_the_log(repo)
    assert _replace(repo, env, outside) == {os.fspath(p): 13 for p in outside}
    assert _porcelain(repo) - before == {f" M {LOG}"}


def test_replacing_an_existing_one_file_scope_with_the_hook_alone(
    layout: Layout, plugin_dir: Path
) -> None:
    """The same command without the kernel layer: it replaces, and the C appends land."""
    outside = _beside_the_log(layout.worktree)
    env = _plugin_env(layout, plugin_dir, kernel=False)
    assert _replace(layout.worktree, env, outside) == {os.fspath(p): 0 for p in outside}
