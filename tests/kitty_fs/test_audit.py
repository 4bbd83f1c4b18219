"""``kitty-fs audit`` against real programs, real child processes and real git repositories.

Most tests call ``kitty_fs.cli.main`` in-process (the audited program still
runs as a real child process, with the real bootstrap); one runs the installed
console script end to end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from old_python import old_python

import kitty_fs
from kitty_fs._audit import SCHEMA, AuditResult, resolve_command
from kitty_fs.cli import main

WRITER = """\
import os
import pathlib
root = pathlib.Path({root!r})
(root / "one.txt").write_text("1")
os.replace(root / "one.txt", root / "two.txt")
os.mkdir(root / "three")
"""

READER = """\
import os
import pathlib
import subprocess
import tempfile
root = pathlib.Path({root!r})
print((root / "README.md").read_text().strip())
print(sorted(os.listdir(root)))
subprocess.run(["git", "status", "--porcelain"], cwd=root, check=True)
subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True)
with tempfile.NamedTemporaryFile() as scratch:
    scratch.write(b"the temp dir is outside the root")
"""


def _script(tmp_path: Path, name: str, template: str, root: Path) -> Path:
    path = tmp_path / name
    path.write_text(template.format(root=str(root)))
    return path


def _audit_json(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["audit", "--json", *args])
    out = capfd.readouterr().out
    return code, json.loads(out)


def _attempts(report: dict[str, Any]) -> list[dict[str, Any]]:
    attempts = report["attempts"]
    assert isinstance(attempts, list)
    return attempts


def test_three_write_routes_are_reported_with_file_and_line(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = _script(tmp_path, "writer.py", WRITER, git_repo)
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", "python", str(script))
    assert code == 1 and report["exit_code"] == 1 and report["clean"] is False
    found = [(a["operation"], a["rel"], a["origin"]) for a in _attempts(report)]
    assert found == [
        ("open for writing, mode 'w'", "one.txt", _frame(script, 4)),
        ("rename/replace onto", "two.txt", _frame(script, 5)),
        ("mkdir", "three", _frame(script, 6)),
    ]
    for attempt in _attempts(report):
        frames = attempt["frames"]
        assert isinstance(frames, list) and attempt["origin"] in frames
        assert attempt["kind"] == "write" and attempt["blocked"] is False
    assert report["worktree_changes"] == ["status now shows: '?? two.txt'"]


def _frame(script: Path, line: int) -> dict[str, object]:
    return {"file": str(script), "line": line, "function": "<module>"}


def test_the_text_report_names_each_attempt_and_its_frames(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = _script(tmp_path, "writer.py", WRITER, git_repo)
    assert main(["audit", "--root", str(git_repo), "--", "python", str(script)]) == 1
    out = capfd.readouterr().out
    assert "3 write attempt(s) inside the root:" in out
    assert f"1. open for writing, mode 'w': one.txt by {script}:4" in out
    assert f"2. rename/replace onto: two.txt by {script}:5" in out
    assert f"3. mkdir: three by {script}:6" in out
    assert f"at {script}:4 (<module>)" in out
    assert "status now shows: '?? two.txt'" in out
    assert out.rstrip().endswith("result: WRITES DETECTED (exit 1)")


def test_a_read_only_script_exits_zero(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = _script(tmp_path, "reader.py", READER, git_repo)
    code = main(["audit", "--root", str(git_repo), "--", sys.executable, str(script)])
    out = capfd.readouterr().out
    assert code == 0, out
    assert "test repository" in out  # the program's own output passes through
    assert "result: clean: nothing inside the root was written (exit 0)" in out


def test_a_shell_command_writing_a_file_is_caught_by_the_diff(
    git_repo: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(git_repo)  # the command runs in the audit's working directory
    (git_repo / "README.md").write_text("dirty before the audit\n")  # already dirty: ignored
    code, report = _audit_json(
        capfd, "--root", str(git_repo), "--", "sh", "-c", "echo x > shell.txt; touch README.md"
    )
    assert code == 1
    assert _attempts(report) == [] and report["processes"] == []  # no Python ran
    changes = report["worktree_changes"]
    assert isinstance(changes, list)
    assert "status now shows: '?? shell.txt'" in changes
    assert any(c.startswith("README.md: mtime_ns changed") for c in changes)


def test_python_children_are_audited_too(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    child = _script(tmp_path, "child.py", WRITER, git_repo)
    parent = tmp_path / "parent.py"
    parent.write_text(
        f"import subprocess, sys\nsubprocess.run([sys.executable, {str(child)!r}], check=True)\n"
    )
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", "python", str(parent))
    assert code == 1
    processes = report["processes"]
    assert isinstance(processes, list) and len(processes) == 2
    assert all(p["guarded"] for p in processes)
    kinds = [(a["kind"], a["rel"]) for a in _attempts(report)]
    assert kinds[0] == ("subprocess", f"{sys.executable} {child}")  # the parent spawning
    assert kinds[1:] == [("write", "one.txt"), ("write", "two.txt"), ("write", "three")]
    pids = {a["pid"] for a in _attempts(report)}
    assert len(pids) == 2


def test_allow_subprocess_and_side_channels(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (git_repo / ".gitignore").write_text(".state/\n")
    subprocess.run(["git", "add", ".gitignore"], cwd=git_repo, check=True)
    subprocess.run(["git", "commit", "-qm", "ignore state"], cwd=git_repo, check=True)
    state = git_repo / ".state"
    script = tmp_path / "side.py"
    script.write_text(
        "import pathlib, subprocess\n"
        f"state = pathlib.Path({str(state)!r})\n"
        "state.mkdir()\n"
        "(state / 'outbox.json').write_text('{}')\n"
        "subprocess.run(['true'], check=True)\n"
    )
    args = ["--root", str(git_repo), "--side-channel", str(state)]
    code, report = _audit_json(capfd, *args, "--allow-subprocess", "--", "python", str(script))
    assert (code, _attempts(report), report["worktree_changes"]) == (0, [], [])
    shutil.rmtree(state)
    code, report = _audit_json(capfd, *args, "--", "python", str(script))
    assert code == 1 and [a["rel"] for a in _attempts(report)] == ["true"]


def _importable(folder: Path, module: str, source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Write ``module`` into ``folder``, first on ``PYTHONPATH``: the audited program imports it."""
    folder.mkdir()
    (folder / f"{module}.py").write_text(source)
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(folder), path) if p))


def test_module_form_console_script_and_atexit(
    git_repo: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = (
        "import atexit, pathlib, sys\n"
        "root = pathlib.Path(sys.argv[1])\n"
        "atexit.register(lambda: (root / 'at-exit.txt').write_text('x'))\n"
    )
    _importable(tmp_path / "pkgs", "kfs_audit_demo", demo, monkeypatch)
    code, report = _audit_json(
        capfd, "--root", str(git_repo), "--", "-m", "kfs_audit_demo", str(git_repo)
    )
    assert code == 1 and [a["rel"] for a in _attempts(report)] == ["at-exit.txt"]
    tool = tmp_path / "bin" / "demo-tool"
    tool.parent.mkdir()
    tool.write_text(f"#!{sys.executable}\nimport runpy\nrunpy.run_module('kfs_audit_demo')\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    (git_repo / "at-exit.txt").unlink()
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", "demo-tool", str(git_repo))
    assert code == 1 and [a["rel"] for a in _attempts(report)] == ["at-exit.txt"]
    assert report["resolved_command"] == [str(tool), str(git_repo)]


def test_an_existing_sitecustomize_still_runs(
    git_repo: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chained = "import builtins\nbuiltins.KFS_CHAINED = True\n"
    _importable(tmp_path / "site", "sitecustomize", chained, monkeypatch)
    script = tmp_path / "check.py"
    script.write_text("import builtins\nprint('chained:', getattr(builtins, 'KFS_CHAINED', 0))\n")
    assert main(["audit", "--root", str(git_repo), "--", "python", str(script)]) == 0
    assert "chained: True" in capfd.readouterr().out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--"], 2, "no command given"),
        (["--", "python"], 2, "python needs a script"),
        (["--", "-m"], 2, "-m needs an argument"),
        (["--", "kfs-no-such-command-anywhere"], 3, "command not found on PATH"),
        (["--", "./no/such/script.py"], 3, "no such file"),
        (["--root", "/nonexistent/dir", "--", "true"], 2, "not a directory"),
    ],
)
def test_usage_errors(
    git_repo: Path,
    capfd: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(git_repo)
    assert main(["audit", *args]) == code
    assert message in capfd.readouterr().err


def test_a_root_outside_git_is_a_usage_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, report = _audit_json(capfd, "--root", str(plain), "--", "true")
    assert code == 2 and report["schema"] == SCHEMA
    assert "not inside a git worktree" in str(report["error"])


def test_json_schema(git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    script = _script(tmp_path, "writer.py", WRITER + "print('program output')\n", git_repo)
    code = main(["audit", "--json", "--root", str(git_repo), "--", "python", str(script)])
    captured = capfd.readouterr()
    report = json.loads(captured.out)  # the program's stdout went to stderr
    assert "program output" in captured.err
    assert code == report["exit_code"] == 1
    assert set(report) == {
        "schema",
        "root",
        "command",
        "resolved_command",
        "command_exit",
        "exit_code",
        "result",
        "clean",
        "incomplete",
        "attempts",
        "bytecode_writes",
        "worktree_changes",
        "processes",
    }
    assert report["schema"] == "kitty-fs-audit/1"
    assert report["root"] == str(git_repo)
    assert report["command"] == ["python", str(script)]
    assert report["resolved_command"] == [sys.executable, str(script)]
    assert report["command_exit"] == 0 and report["bytecode_writes"] == 0
    assert (report["result"], report["incomplete"]) == ("writes", [])
    attempt = _attempts(report)[0]
    assert set(attempt) == {
        "kind",
        "operation",
        "event",
        "path",
        "rel",
        "reason",
        "blocked",
        "thread",
        "pid",
        "origin",
        "frames",
        "written",
    }
    assert attempt["written"] is None  # no kitty_fs store declared another target
    assert attempt["path"] == str(git_repo / "one.txt") and attempt["event"] == "open"
    assert isinstance(attempt["pid"], int) and attempt["thread"] == "MainThread"
    (process,) = report["processes"]
    assert set(process) == {"pid", "argv", "executable", "prefix", "guarded", "error"}
    assert process["guarded"] is True and process["error"] is None
    assert process["prefix"] == sys.prefix


def test_the_command_exit_status_is_reported_not_propagated(
    git_repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", "-c", "raise SystemExit(7)")
    assert (code, report["command_exit"]) == (0, 7)
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", "sh", "-c", "kill -TERM $$")
    assert (code, report["command_exit"]) == (0, -15)
    text = AuditResult(git_repo, ["x"], ["x"], command_exit=-15).render()
    assert "command exit status: killed by signal 15" in text


def test_a_foreign_interpreter_is_guarded_too(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    foreign = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    if foreign is None or os.path.realpath(foreign) == os.path.realpath(sys.executable):
        pytest.skip("no second Python interpreter here")
    script = _script(tmp_path, "writer.py", WRITER, git_repo)
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", foreign, str(script))
    assert code == 1 and [a["rel"] for a in _attempts(report)] == ["one.txt", "two.txt", "three"]
    (process,) = report["processes"]
    assert process["guarded"] is True and process["executable"] == foreign


def _bare_venv(tmp_path: Path) -> Path:
    """A venv with nothing installed (no pip even): kitty_fs and its deps are not importable."""
    venv = tmp_path / "other-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv


def test_a_venv_interpreter_keeps_its_venv(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    venv = _bare_venv(tmp_path)
    python = venv / "bin" / "python"
    assert python.is_symlink()  # the case path.resolve() used to break
    code = main(
        ["audit", "--root", str(git_repo), "--", str(python), "-c", "import sys; print(sys.prefix)"]
    )
    out = capfd.readouterr().out
    assert code == 0, out
    assert out.splitlines()[0] == str(venv)
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", str(python), "-c", "0")
    assert report["resolved_command"][0] == str(python)
    (process,) = report["processes"]
    assert (process["prefix"], process["guarded"]) == (str(venv), True)


PROBE_ELSEWHERE = """import importlib.util, pathlib, sys
missing = [m for m in ("kitty_fs", "attrs", "ruamel", "filelock") if importlib.util.find_spec(m)]
print("importable:", missing, "loaded:", sorted(m for m in sys.modules if "kitty" in m))
def save(path):
    path.write_text("x")
save(pathlib.Path({root!r}) / "elsewhere.txt")
"""


def test_a_program_in_another_environment_is_guarded_without_kitty_fs_on_its_path(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    venv = _bare_venv(tmp_path)
    script = _script(tmp_path, "probe.py", PROBE_ELSEWHERE, git_repo)
    code, report = _audit_json(
        capfd, "--root", str(git_repo), "--", str(venv / "bin" / "python"), str(script)
    )
    assert code == 1 and report["result"] == "writes"
    (attempt,) = _attempts(report)
    assert attempt["rel"] == "elsewhere.txt"
    assert attempt["origin"] == {"file": str(script), "line": 5, "function": "save"}
    assert [f["line"] for f in attempt["frames"] if f["file"] == str(script)] == [5, 6]
    (process,) = report["processes"]
    assert process["guarded"] is True and process["prefix"] == str(venv)


def test_nothing_of_kitty_fs_or_its_dependencies_is_importable_in_the_audited_program(
    git_repo: Path, tmp_path: Path
) -> None:
    venv = _bare_venv(tmp_path)
    script = _script(tmp_path, "probe.py", PROBE_ELSEWHERE, git_repo)
    # The tool imports the kitty_fs under test (a patched copy in the mutation check) from
    # its own sys.path, not from PYTHONPATH: the audited program inherits the environment,
    # and a PYTHONPATH naming kitty_fs is the user's choice, not something audit adds.
    src = str(Path(kitty_fs.__file__).resolve().parent.parent)
    launcher = f"import sys; sys.path.insert(0, {src!r}); from kitty_fs.cli import main; "
    launcher += "sys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    audit = ["audit", "--root", str(git_repo), "--", str(venv / "bin" / "python"), str(script)]
    result = subprocess.run(
        [sys.executable, "-c", launcher, *audit],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    # Only the private hook package is loaded; nothing kitty-fs depends on can be imported.
    assert (
        "importable: [] loaded: ['_kitty_fs_audit_hook', '_kitty_fs_audit_hook._audit_child'"
        in (result.stdout)
    )
    assert f"1. open for writing, mode 'w': elsewhere.txt by {script}:5" in result.stdout


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (["-m", "kfs_no_such_module_anywhere"], "the program did not start"),
        (["python", "kfs-no-such-script.py"], "the program did not start"),
        (["python", "-I", "-c", "0"], "no audit hook ran in it"),
    ],
)
def test_an_audit_that_saw_nothing_is_incomplete_not_clean(
    git_repo: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    reason: str,
) -> None:
    monkeypatch.chdir(git_repo)
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", *command)
    assert (code, report["result"], report["clean"]) == (4, "incomplete", False)
    assert any(reason in r for r in report["incomplete"]), report["incomplete"]
    assert main(["audit", "--root", str(git_repo), "--", *command]) == 4
    out = capfd.readouterr().out
    assert "result: INCOMPLETE" in out and reason in out
    assert "exit 4" in out


def test_a_child_that_could_not_be_guarded_makes_the_audit_incomplete(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    old = old_python()
    if old is None:
        pytest.skip("no CPython older than 3.10 installed to run an unguardable child")
    parent = tmp_path / "parent.py"
    parent.write_text(f"import subprocess\nsubprocess.run([{old!r}, '-c', '0'], check=True)\n")
    code, report = _audit_json(
        capfd, "--root", str(git_repo), "--allow-subprocess", "--", "python", str(parent)
    )
    assert (code, report["result"]) == (4, "incomplete")
    guarded = sorted(bool(p["guarded"]) for p in report["processes"])
    assert guarded == [False, True]
    (reason,) = report["incomplete"]
    assert "ran without the guard: cannot load the kitty_fs audit hook in Python 3." in reason


def test_a_failing_command_is_shown_beside_the_result(
    git_repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--root", str(git_repo), "--", "-c", "raise SystemExit(7)"]) == 0
    out = capfd.readouterr().out
    assert out.rstrip().endswith(
        "result: clean: nothing inside the root was written (exit 0);"
        " the command itself exited with status 7"
    )


LOCKED_SAVE = """import pathlib
from filelock import FileLock
from kitty_fs._intent import write_intent
root = pathlib.Path({root!r})
config = root / ".kittify" / "config.yaml"
with write_intent(config):
    with FileLock(root / ".git" / "kitty-fs" / "config.yaml.lock"):
        pass
"""


def test_a_declared_write_intent_names_the_target_and_the_lock_as_detail(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (git_repo / ".git" / "kitty-fs").mkdir()
    script = _script(tmp_path, "locked.py", LOCKED_SAVE, git_repo)
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", "python", str(script))
    assert code == 1
    attempts = _attempts(report)
    # filelock may probe its directory first (mkdir, a temp file): all serve the config.
    assert {(a["rel"], a["path"]) for a in attempts} == {
        (".kittify/config.yaml", str(git_repo / ".kittify" / "config.yaml"))
    }
    (first,) = [a for a in attempts if a["written"]["rel"].endswith(".lock")]
    assert first["written"]["rel"] == ".git/kitty-fs/config.yaml.lock"
    assert first["written"]["path"] == str(git_repo / ".git" / "kitty-fs" / "config.yaml.lock")
    # The call site is the user's line, not filelock's (a library) nor kitty_fs's.
    assert first["origin"] == {"file": str(script), "line": 7, "function": "<module>"}
    assert any("filelock" in f["file"] for f in first["frames"])
    main(["audit", "--root", str(git_repo), "--", "python", str(script)])
    out = capfd.readouterr().out
    assert f": .kittify/config.yaml (written: .git/kitty-fs/config.yaml.lock) by {script}:7" in out


REAL_SAVE = """from kitty_fs import save_config, write_boundary
ctx = write_boundary({root!r}, reason="audit test")
save_config(ctx, "tracker", {{"binding_ref": "b2"}}, rel=".kittify/config.yaml")
"""


def test_a_real_save_config_names_the_config_at_the_users_line(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The store declares its write intent: every helper write it makes names the config."""
    (git_repo / ".kittify").mkdir()
    (git_repo / ".kittify" / "config.yaml").write_text("project:\n  uuid: x\n")
    script = _script(tmp_path, "save.py", REAL_SAVE, git_repo)
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", "python", str(script))
    assert code == 1
    attempts = _attempts(report)
    assert attempts and {a["rel"] for a in attempts} == {".kittify/config.yaml"}
    assert {a["origin"]["file"] for a in attempts} == {str(script)}
    assert {a["origin"]["line"] for a in attempts} == {3}
    assert any(a["written"] and ".git/kitty-fs" in a["written"]["rel"] for a in attempts)


def test_resolve_command() -> None:
    assert resolve_command(["-m", "json.tool"]) == [sys.executable, "-m", "json.tool"]
    assert resolve_command(["python3", "-X", "dev", "x.py"]) == [
        sys.executable,
        "-X",
        "dev",
        "x.py",
    ]
    assert resolve_command(["sh", "-c", "true"])[0] == shutil.which("sh")


def test_the_console_script_end_to_end(git_repo: Path, tmp_path: Path) -> None:
    script = _script(tmp_path, "writer.py", WRITER, git_repo)
    tool = Path(sys.executable).with_name("kitty-fs")
    if not tool.exists():
        pytest.skip("kitty-fs console script not installed next to this interpreter")
    result = subprocess.run(
        [str(tool), "audit", "--", "python", str(script)],
        cwd=git_repo,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    assert f"by {script}:4" in result.stdout
    helped = subprocess.run([str(tool), "audit", "--help"], capture_output=True, text=True)
    assert "exit status:" in helped.stdout and "kitty-fs-audit/1" in helped.stdout
    assert textwrap.dedent(helped.stdout) == helped.stdout


ENFORCED = """\
import pathlib
from kitty_fs import WriteViolation, read_context, read_scope
root = pathlib.Path({root!r})
with read_scope(read_context(root, reason="status")):
    try:
        (root / "refused.txt").write_text("x")
    except WriteViolation:
        print("refused by the program's own guard")
(root / "after.txt").write_text("x")
"""


def test_an_attempt_the_programs_own_guard_refused_is_reported_blocked(
    git_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = _script(tmp_path, "enforced.py", ENFORCED, git_repo)
    code, report = _audit_json(capfd, "--root", str(git_repo), "--", "python", str(script))
    assert code == 1
    found = [(a["rel"], a["blocked"], a["origin"]["line"]) for a in _attempts(report)]
    assert found == [("refused.txt", True, 6), ("after.txt", False, 9)]


def test_the_bootstrap_refuses_the_pythons_the_package_does_not_support() -> None:
    """The child bootstrap's oldest Python is ``requires-python``'s: written twice, kept equal."""
    import re

    bootstrap = Path(kitty_fs.__file__).parent / "_child" / "sitecustomize.py"
    # The module starts the guard when run; read its constant without running it.
    source = bootstrap.read_text(encoding="utf-8")
    found = re.search(r"^OLDEST_SUPPORTED = \((\d+), (\d+)\)$", source, re.M)
    assert found is not None, "OLDEST_SUPPORTED is not a literal pair any more"
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = re.search(r'^requires-python = ">=(\d+)\.(\d+)"', pyproject.read_text(), re.M)
    assert declared is not None
    assert found.groups() == declared.groups()
