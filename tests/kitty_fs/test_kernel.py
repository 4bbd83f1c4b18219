"""The kernel layer (Landlock) and ``kitty-fs run --read-only``, against real processes.

Landlock is irreversible and inherited, so it is never applied inside the
pytest worker: every restricted test runs a fresh interpreter that restricts
itself and then tries to write, in Python, through ``ctypes``, in a shell and
in a ``spawn`` worker. Tests that need the kernel skip, with the reason the
layer gives, where it is unavailable (the report header says which).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from guard_support import child_json
from hypothesis import given, settings
from hypothesis import strategies as st
from old_python import old_python

from kitty_fs import _run, _run_cli
from kitty_fs._kernel import ENV_SWITCH, KernelStatus, kernel_status

_STATUS = kernel_status()
needs_kernel = pytest.mark.skipif(
    not _STATUS.available, reason=f"kernel layer unavailable: {_STATUS.reason}"
)

_PRELUDE = """\
import json, os, sys
from kitty_fs._kernel import default_allowed_extras, restrict_writes
ALLOWED = sys.argv[1]
ROOT = sys.argv[2]
STATUS = restrict_writes([ALLOWED, *default_allowed_extras()])
assert STATUS.applied, STATUS
os.chdir(ROOT)
def refused(act):
    try:
        act()
    except PermissionError as exc:
        return exc.errno
    return None
"""


def _restricted(code: str, allowed: Path, root: Path, *extra: str) -> Any:
    """Run ``code`` in a fresh interpreter restricted to ``allowed``; its last line, as JSON."""
    here = str(Path(__file__).parent)  # kitty_fs_spawn_target, for spawn workers
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, "-c", _PRELUDE + textwrap.dedent(code), str(allowed), str(root)]
    return child_json([*argv, *extra], env=env)


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (
            p.read_bytes() if p.is_file() else b"<dir>",
            p.stat().st_mtime_ns,
        )
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    """(allowed, root): beside each other, the root with a file in it."""
    allowed, root = tmp_path / "allowed", tmp_path / "root"
    allowed.mkdir()
    root.mkdir()
    (root / "data.txt").write_text("original\n")
    (root / "sub").mkdir()
    return allowed, root


def test_status_is_cheap_cached_and_switchable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert kernel_status() is kernel_status() or not _STATUS.available
    if _STATUS.available:
        assert _STATUS.abi >= 1 and _STATUS.reason == ""
        assert _STATUS.describe() == f"Landlock ABI {_STATUS.abi} (available)"
    else:
        assert _STATUS.abi == 0 and _STATUS.reason
    monkeypatch.setenv(ENV_SWITCH, "off")
    off = kernel_status()
    assert (off.available, off.abi, off.applied) == (False, 0, False)
    assert off.reason == "switched off by KITTY_FS_KERNEL=off"
    assert off.describe() == "off (switched off by KITTY_FS_KERNEL=off)"
    with pytest.raises(AttributeError, match="frozen"):
        off.available = True
    assert off == KernelStatus(False, 0, "switched off by KITTY_FS_KERNEL=off")


def test_switched_off_applies_nothing_and_does_not_raise(places: tuple[Path, Path]) -> None:
    allowed, root = places
    code = f"""\
import os, json
os.environ["{ENV_SWITCH}"] = "off"
from kitty_fs._kernel import restrict_writes
status = restrict_writes([{str(allowed)!r}])
open({str(root / "data.txt")!r}, "w").write("written")
print(json.dumps([status.applied, status.reason]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [False, "switched off by KITTY_FS_KERNEL=off"]
    assert (root / "data.txt").read_text() == "written"


def test_import_loads_no_ctypes_and_makes_no_syscall() -> None:
    code = "import sys, kitty_fs._kernel; print('ctypes' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@needs_kernel
def test_every_write_route_outside_the_allowed_places_is_refused(places: tuple[Path, Path]) -> None:
    allowed, root = places
    before = _tree(root)
    result = _restricted(
        """\
import ctypes, subprocess
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
out = {
    "open_w": refused(lambda: open("data.txt", "w")),
    "open_a": refused(lambda: open("data.txt", "a")),
    "create": refused(lambda: open("new.txt", "x")),
    "mkdir": refused(lambda: os.mkdir("newdir")),
    "remove": refused(lambda: os.remove("data.txt")),
    "rmdir": refused(lambda: os.rmdir("sub")),
    "rename": refused(lambda: os.rename("data.txt", "sub/moved.txt")),
    "symlink": refused(lambda: os.symlink("data.txt", "link")),
    "mkfifo": refused(lambda: os.mkfifo("fifo")),
    "fopen_null": libc.fopen(b"data.txt", b"w") is None,
    "sh": subprocess.run(["sh", "-c", "echo x > data.txt"], capture_output=True).returncode,
    "sh_new": subprocess.run(["sh", "-c", "echo x > other.txt"], capture_output=True).returncode,
    "read": open("data.txt").read(),
    "listdir": sorted(os.listdir(".")),
}
if STATUS.abi >= 3:
    out["truncate"] = refused(lambda: os.truncate("data.txt", 0))
open(os.path.join(ALLOWED, "ok.txt"), "w").write("allowed")
os.mkdir(os.path.join(ALLOWED, "d"))
os.rename(os.path.join(ALLOWED, "ok.txt"), os.path.join(ALLOWED, "d", "ok.txt"))
with open("/dev/null", "w") as null:
    null.write("x")
print(json.dumps(out))
""",
        allowed,
        root,
    )
    for route in ("open_w", "open_a", "create", "mkdir", "remove", "rmdir", "symlink", "mkfifo"):
        assert result[route] == errno.EACCES, route
    assert result["rename"] in (errno.EACCES, errno.EXDEV)  # EXDEV on ABI 1
    assert result.get("truncate", errno.EACCES) == errno.EACCES
    assert result["fopen_null"] is True
    assert result["sh"] != 0 and result["sh_new"] != 0
    assert result["read"] == "original\n"
    assert result["listdir"] == ["data.txt", "sub"]
    assert _tree(root) == before
    assert (allowed / "d" / "ok.txt").read_text() == "allowed"


@needs_kernel
def test_a_spawn_worker_inherits_the_restriction(places: tuple[Path, Path]) -> None:
    allowed, root = places
    before = _tree(root)
    result = _restricted(
        """\
import multiprocessing
from kitty_fs_spawn_target import write
ctx = multiprocessing.get_context("spawn")
with ctx.Pool(1) as pool:
    got = pool.apply(write, (os.path.join(ROOT, "from-worker.txt"),))
    side = pool.apply(write, (os.path.join(ALLOWED, "from-worker.txt"),))
print(json.dumps([got, side]))
""",
        allowed,
        root,
    )
    assert result == ["PermissionError 13", "written"]
    assert _tree(root) == before
    assert (allowed / "from-worker.txt").read_text() == "worker"


@needs_kernel
@settings(max_examples=8, deadline=None)
@given(
    names=st.lists(
        st.text(
            st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=12
        ).filter(lambda n: n not in (".", "..")),
        min_size=1,
        max_size=6,
        unique=True,
    )
)
def test_no_name_in_the_root_can_be_created(
    tmp_path_factory: pytest.TempPathFactory, names: list[str]
) -> None:
    base = tmp_path_factory.mktemp("names")
    allowed, root = base / "allowed", base / "root"
    allowed.mkdir()
    root.mkdir()
    result = _restricted(
        """\
names = json.loads(sys.argv[3])
print(json.dumps([refused(lambda n=n: open(n, "w")) for n in names]))
""",
        allowed,
        root,
        json.dumps(names),
    )
    assert result == [errno.EACCES] * len(names)
    assert list(root.iterdir()) == []


# --- kitty-fs run --read-only ---


def _run_cmd(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kitty_fs.cli", "run", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_the_help_documents_the_exit_statuses_and_they_agree() -> None:
    assert (
        _run.EXIT_NO_KERNEL,
        _run.EXIT_USAGE,
        _run.EXIT_CANNOT_EXECUTE,
        _run.EXIT_NOT_FOUND,
    ) == (
        _run_cli.EXIT_NO_KERNEL,
        _run_cli.EXIT_USAGE,
        _run_cli.EXIT_CANNOT_EXECUTE,
        _run_cli.EXIT_NOT_FOUND,
    )
    done = _run_cmd("--help")
    assert done.returncode == 0
    for code in ("124", "125", "126", "127", "128+N"):
        assert code in done.stdout
    assert "--fallback-audit-hook" in done.stdout and "Landlock" in done.stdout


@needs_kernel
def test_run_read_only_keeps_the_file_and_exits_with_the_shells_status(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("as it was\n")
    before = _tree(tmp_path)
    done = _run_cmd(
        "--read-only", "--root", str(tmp_path), "--", "sh", "-c", "echo x > t.txt", cwd=tmp_path
    )
    plain = subprocess.run(
        ["sh", "-c", "echo x > /nonexistent-kitty/t.txt"], capture_output=True, check=False
    )
    assert done.returncode == 2 and plain.returncode == 2  # sh's status for a failed redirection
    assert "Permission denied" in done.stderr
    assert _tree(tmp_path) == before
    status = _run_cmd("--read-only", "--root", str(tmp_path), "--", "sh", "-c", "exit 7")
    assert status.returncode == 7


@needs_kernel
def test_run_writable_lets_writes_through_and_tmp_is_private(tmp_path: Path) -> None:
    root, out = tmp_path / "root", tmp_path / "root" / "out"
    out.mkdir(parents=True)
    script = 'echo x > "$1/w.txt" && echo y > "$TMPDIR/scratch" && echo "$TMPDIR"'
    done = _run_cmd(
        "--read-only",
        "--root",
        str(root),
        "--writable",
        str(out),
        "--",
        "sh",
        "-c",
        script,
        "sh",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert (out / "w.txt").read_text() == "x\n"
    private = Path(done.stdout.strip())
    assert private.name.startswith("kitty-fs-run-") and not private.exists()  # removed after
    assert root not in private.parents


@needs_kernel
def test_run_leaves_a_git_worktree_clean(git_repo: Path) -> None:
    index = git_repo / ".git" / "index"
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    done = _run_cmd("--read-only", "--", "git", "status", "--porcelain", cwd=git_repo)
    assert done.returncode == 0, done.stderr
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before
    commit = _run_cmd(
        "--read-only", "--", "git", "commit", "--allow-empty", "-m", "no", cwd=git_repo
    )
    assert commit.returncode != 0


@needs_kernel
def test_run_forwards_a_signal_death_as_128_plus_n(tmp_path: Path) -> None:
    done = _run_cmd("--read-only", "--root", str(tmp_path), "--", "sh", "-c", "kill -TERM $$")
    assert done.returncode == 128 + 15


def _read_only_without_kernel(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``kitty-fs run --read-only --root ROOT ARGS`` in ``root`` (holding ``t.txt``), kernel off."""
    (root / "t.txt").write_text("as it was\n")
    env = {**os.environ, ENV_SWITCH: "off"}
    return _run_cmd("--read-only", "--root", str(root), *args, env=env, cwd=root)


def test_run_without_the_kernel_refuses_with_its_own_status(tmp_path: Path) -> None:
    done = _read_only_without_kernel(tmp_path, "--", "sh", "-c", "echo x > t.txt")
    assert done.returncode == _run.EXIT_NO_KERNEL
    assert (
        "switched off by KITTY_FS_KERNEL=off" in done.stderr
        and "--fallback-audit-hook" in done.stderr
    )
    assert (tmp_path / "t.txt").read_text() == "as it was\n"


def test_run_with_the_fallback_guards_python_children_only(tmp_path: Path) -> None:
    write = "open('t.txt', 'w').write('x')"
    py = _read_only_without_kernel(
        tmp_path, "--fallback-audit-hook", "--", sys.executable, "-c", write
    )
    assert py.returncode == 1 and "WriteViolation" in py.stderr
    assert "kernel layer off" in py.stderr
    assert (tmp_path / "t.txt").read_text() == "as it was\n"
    shell = _read_only_without_kernel(
        tmp_path, "--fallback-audit-hook", "--", "sh", "-c", "echo x > t.txt; exit 5"
    )
    assert shell.returncode == 5  # it ran; a shell is not guarded by the fallback (weaker)
    assert (tmp_path / "t.txt").read_text() == "x\n"


def test_run_with_the_fallback_refuses_a_python_child_too_old_to_guard(tmp_path: Path) -> None:
    old = old_python()
    if old is None:
        pytest.skip("no CPython older than 3.10 installed to run an unguardable child")
    done = _read_only_without_kernel(
        tmp_path, "--fallback-audit-hook", "--", old, "-c", "open('t.txt', 'w').write('x')"
    )
    assert done.returncode == 125, done.stderr
    assert "cannot be guarded" in done.stderr and "supports Python 3.11 and newer" in done.stderr
    assert (tmp_path / "t.txt").read_text() == "as it was\n"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--", "true"], 125, "--read-only"),
        (["--read-only"], 125, "no command"),
        (["--read-only", "--", "no-such-program-kitty"], 127, "command not found"),
        (["--read-only", "--root", "/no/such/dir", "--", "true"], 125, "not a directory"),
    ],
)
def test_run_usage_errors(args: list[str], code: int, message: str) -> None:
    done = _run_cmd(*args)
    assert done.returncode == code and message in done.stderr


def test_run_refuses_a_writable_dir_that_contains_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    done = _run_cmd("--read-only", "--root", str(root), "--writable", str(tmp_path), "--", "true")
    assert done.returncode == 125 and "contains the root" in done.stderr
    not_exec = tmp_path / "script"
    not_exec.write_text("#!/bin/sh\n")
    done = _run_cmd("--read-only", "--root", str(root), "--", str(not_exec))
    assert done.returncode == 126
