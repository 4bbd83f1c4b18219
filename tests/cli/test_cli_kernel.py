"""Through the real ``spec-kitty`` dispatcher: writes no audit hook sees, stopped by the kernel.

Three read commands, declared in a plugin module as the bad-command tests do,
write ``.kittify/config.yaml`` by routes the audit-hook guard cannot see: C code
(``ctypes`` calling ``fopen(path, "w")``, which truncates), a shell child started
by C code (libc ``system("sh -c 'echo x >> file'")``), and a ``spawn`` worker (a fresh
interpreter without the hook). With the kernel layer on (the default where
Landlock is available) the tree is unchanged after each (porcelain, bytes,
mtime) and the exit code says what happened. With it switched off
(``KITTY_FS_KERNEL=off``) the same commands show the audit-hook layer alone:
the spawn launch is refused by the hook, the other two get through.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import (
    CliRun,
    TreeState,
    cli_env,
    make_project,
    plugin_env,
    run_cli,
    write_plugin,
)

from kitty_fs._kernel import kernel_status

PACKAGE = "kitty_kernel_plugin"

PLUGIN_SOURCE = '''\
"""Read commands that write the tracked config by routes no audit hook sees."""

from __future__ import annotations

import ctypes
import multiprocessing

from kitty_fs import ReadContext
from kitty_fs.commands import CommandRegistry, Invocation

CONFIG = ".kittify/config.yaml"

commands = CommandRegistry()


def _append(path: str) -> None:
    with open(path, "a") as handle:  # in a spawned worker: no hook here
        handle.write("# written by a spawn worker\\\\n")


@commands.read("hidden fopen", "Truncates the config from C.")
def fopen(repo: ReadContext, inv: Invocation) -> int:
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    handle = libc.fopen(str(repo.path(CONFIG)).encode(), b"w")
    if handle:
        libc.fclose(ctypes.c_void_p(handle))
    inv.output.result({"opened": bool(handle)}, [f"fopen returned {bool(handle)}"])
    return 0 if handle else 9


@commands.read("hidden shell", "Appends to the config from a shell child started by C code.")
def shell(repo: ReadContext, inv: Invocation) -> int:
    # libc's system() forks and execs sh itself: no audit event, as with any C extension.
    status = ctypes.CDLL(None).system(f"sh -c 'echo x >> {repo.path(CONFIG)}'".encode())
    inv.output.result({"sh": status}, [f"sh exited {status}"])
    return 0 if status == 0 else 9


@commands.read("hidden spawn", "Appends to the config from a spawn worker.")
def spawn(repo: ReadContext, inv: Invocation) -> int:
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_append, args=(str(repo.path(CONFIG)),))
    worker.start()
    worker.join(60)
    inv.output.result({"worker": worker.exitcode}, [f"worker exited {worker.exitcode}"])
    return 0 if worker.exitcode == 0 else 9
'''

ON = kernel_status().available
NEEDS_KERNEL = pytest.mark.skipif(not ON, reason=f"kernel layer: {kernel_status().describe()}")


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plugin(tmp_path_factory.mktemp("kernel-plugin"), PACKAGE, PLUGIN_SOURCE)


COMMANDS = ["hidden fopen", "hidden shell", "hidden spawn"]


def _run(name: str, plugin_dir: Path, tmp_path: Path, *, kernel: bool) -> tuple[CliRun, list[str]]:
    """Run the plugin command ``name`` in a fresh project; the run and what changed in the tree."""
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    off = {} if kernel else {"KITTY_FS_KERNEL": "off"}
    env = plugin_env(tmp_path / "state", plugin_dir, f"{PACKAGE}.commands", **off)
    run = run_cli([*name.split(), "--json"], cwd=repo, env=env)
    return run, before.changes_since(TreeState.take(repo))


@NEEDS_KERNEL
@pytest.mark.parametrize("name", COMMANDS)
def test_the_kernel_layer_stops_what_no_hook_sees(
    name: str, plugin_dir: Path, tmp_path: Path
) -> None:
    run, changes = _run(name, plugin_dir, tmp_path, kernel=True)
    assert changes == [], run.describe()
    # The write failed where it was attempted: fopen got NULL, sh and the worker failed
    # (the command reports it as 9, FILESYSTEM); the spawn launch itself is refused by the
    # hook first (8).
    expected = 8 if name == "hidden spawn" else 9
    assert run.returncode == expected, run.describe()


@pytest.mark.parametrize("name", COMMANDS)
def test_without_the_kernel_layer_only_the_hook_is_left(
    name: str, plugin_dir: Path, tmp_path: Path
) -> None:
    """The audit-hook layer alone: spawn is refused; C code and shell children get through."""
    run, changes = _run(name, plugin_dir, tmp_path, kernel=False)
    if name == "hidden spawn":
        assert run.returncode == 8 and changes == [], run.describe()
        assert "spawn" in run.stdout or "subprocess" in run.stdout, run.describe()
    else:
        assert run.returncode == 0, run.describe()
        assert any(".kittify/config.yaml" in change for change in changes), changes


@NEEDS_KERNEL
def test_capabilities_reports_the_layers_in_effect(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    on = run_cli(["capabilities", "--json"], cwd=repo, env=cli_env(tmp_path / "state")).json()
    off = run_cli(
        ["capabilities", "--json"],
        cwd=repo,
        env={**cli_env(tmp_path / "state"), "KITTY_FS_KERNEL": "off"},
    ).json()
    assert on["enforcement"] == {
        "guard": True,
        "kernel": True,
        "kernel_detail": f"Landlock ABI {kernel_status().abi} (applied)",
    }
    assert off["enforcement"] == {
        "guard": True,
        "kernel": False,
        "kernel_detail": "off (switched off by KITTY_FS_KERNEL=off)",
    }
