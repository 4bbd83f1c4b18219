"""kitty_fs.commands without typer: the framework-neutral core, called as an argparse CLI would.

A tiny "notes" app (not spec-kitty) is declared here with the public API only;
its commands run in this process through ``Dispatcher.run`` against real git
repositories. The kernel layer is off (``kernel="off"``): it is irreversible and
would restrict the test process itself; subprocess tests cover it.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import attrs
import pytest

from kitty_fs import ReadContext, ScopedWriteContext, WriteContext
from kitty_fs.commands import (
    AppPolicy,
    CommandFailure,
    CommandRegistry,
    Dispatcher,
    ExitCode,
    Invocation,
    add_capabilities_command,
    documented_exit_codes,
)
from kitty_fs.testing import TreeState, make_git_repo


class NotesExit(enum.IntEnum):
    NO_SUCH_NOTE = 5


commands = CommandRegistry()


@commands.read("show", "Print a note.")
def show(repo: ReadContext, inv: Invocation, name: str) -> int:
    if not repo.is_file(f"notes/{name}.md"):
        raise CommandFailure(f"no note {name!r}", NotesExit.NO_SUCH_NOTE, "list them with `ls`")
    inv.state.write_text("last-shown", name)  # the side channel
    inv.output.result({"text": repo.read_text(f"notes/{name}.md")}, [name])
    return 0


@commands.read("sneak", "A read command that writes (a bug).")
def sneak(repo: ReadContext, inv: Invocation) -> int:
    repo.path("notes/a.md").write_text("changed\n")
    return 0


@commands.read("swallow", "A read command that hides the guard's refusal (a bug).")
def swallow(repo: ReadContext, inv: Invocation) -> int:
    with contextlib.suppress(PermissionError):
        repo.path("notes/a.md").write_text("changed\n")
    inv.output.result({"fine": True}, ["fine"])
    return 0


@commands.read("temp", "Uses a temp file (a side channel).")
def temp(repo: ReadContext, inv: Invocation) -> int:
    fd, name = tempfile.mkstemp()
    os.close(fd)
    inv.output.result({"temp": name}, [name])
    return 0


@commands.read("crash", "An internal error.")
def crash(repo: ReadContext, inv: Invocation) -> int:
    raise RuntimeError("boom")


def _check_name(arguments: Mapping[str, object]) -> None:
    if arguments.get("name") == "bad":
        raise CommandFailure("the name 'bad' is reserved", ExitCode.USAGE, "pick another")


@commands.scoped_write("edit", "Rewrite one note.", writes=["notes/{name}.md"], check=_check_name)
def edit(repo: ScopedWriteContext, inv: Invocation, name: str, text: str) -> int:
    repo.write_text(f"notes/{name}.md", text)
    if text == "escape":
        repo.path("README.md").write_text("escaped\n")
    inv.output.result({"edited": name}, [f"edited {name}"])
    return 0


@commands.write("init", "Create the notes folder.")
def init(repo: WriteContext, inv: Invocation) -> int:
    repo.mkdir("notes")
    inv.output.result({"created": "notes"}, ["created notes/"])
    return 0


add_capabilities_command(commands, dict(documented_exit_codes(NotesExit)))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_git_repo(tmp_path / "repo", {"README.md": "notes\n", "notes/a.md": "first\n"})


def _dispatcher(repo: Path, state: Path) -> Dispatcher:
    policy = AppPolicy(
        program="notes",
        root_markers=(".git",),
        state_dir=lambda: state,
        exit_codes=NotesExit,
        debug_env="NOTES_DEBUG",
        kernel="off",
    )
    dispatcher = Dispatcher(commands, policy)
    dispatcher.start = repo
    return dispatcher


def _one_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    value = json.loads(lines[0])
    assert isinstance(value, dict)
    return value


def test_an_argparse_front_end_runs_a_read_command(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="notes")
    parser.add_argument("--json", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show").add_argument("name")
    args = parser.parse_args(["--json", "show", "a"])
    before = TreeState.take(repo)
    code = _dispatcher(repo, tmp_path / "state").run(
        args.command, {"name": args.name}, as_json=args.json
    )
    assert code == 0
    assert _one_json(capsys) == {"ok": True, "command": "show", "text": "first\n"}
    assert (tmp_path / "state" / "last-shown").read_text() == "a"
    assert before.changes_since(TreeState.take(repo)) == []


def test_a_state_dir_whose_parents_are_missing_is_made_with_them(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh HOME (or XDG tree) may lack several levels above the state directory."""
    state = tmp_path / "fresh-home" / ".local" / "state" / "notes"
    before = TreeState.take(repo)
    assert _dispatcher(repo, state).run("show", {"name": "a"}, as_json=True) == 0
    assert _one_json(capsys)["ok"] is True
    assert (state / "last-shown").read_text() == "a"
    assert before.changes_since(TreeState.take(repo)) == []


def test_an_app_failure_has_the_app_exit_code_and_one_json_error(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _dispatcher(repo, tmp_path / "state").run("show", {"name": "zz"}, as_json=True)
    assert code == 5
    error = _one_json(capsys)["error"]
    assert error == {
        "code": "NO_SUCH_NOTE",
        "message": "no note 'zz'",
        "hint": "list them with `ls`",
        "exit_code": 5,
    }


def test_text_failures_are_one_line_plus_the_fix(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dispatcher(repo, tmp_path / "state").run("show", {"name": "zz"})
    err = capsys.readouterr().err
    assert err == "notes show: error [NO_SUCH_NOTE]: no note 'zz'\n  fix: list them with `ls`\n"


def test_a_read_command_that_writes_is_stopped_and_nothing_changes(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = TreeState.take(repo)
    code = _dispatcher(repo, tmp_path / "state").run("sneak", as_json=True)
    assert code == ExitCode.WRITE_VIOLATION
    error = _one_json(capsys)["error"]
    assert isinstance(error, dict) and "notes/a.md" in str(error["message"])
    assert before.changes_since(TreeState.take(repo)) == []


def test_a_swallowed_violation_still_fails_before_any_result(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _dispatcher(repo, tmp_path / "state").run("swallow", as_json=True)
    assert code == ExitCode.WRITE_VIOLATION
    result = _one_json(capsys)
    assert result["ok"] is False and "swallowed the guard's error" in str(result["error"])


def test_a_scoped_writer_writes_its_scope_and_nothing_else(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dispatcher = _dispatcher(repo, tmp_path / "state")
    assert dispatcher.run("edit", {"name": "a", "text": "second\n"}) == 0
    assert (repo / "notes/a.md").read_text() == "second\n"
    assert dispatcher.run("edit", {"name": "a", "text": "escape"}, as_json=True) == 8
    capsys.readouterr()
    assert (repo / "README.md").read_text() == "notes\n"
    assert dispatcher.run("edit", {"name": "../README", "text": "x"}, as_json=True) == 2
    assert "single path segment" in str(_one_json(capsys)["error"])
    assert dispatcher.run("edit", {"name": "bad", "text": "x"}, as_json=True) == 2
    assert "reserved" in str(_one_json(capsys)["error"])


def test_a_bad_scope_segment_is_named_as_the_front_end_spells_it(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An argparse front end passes its own spellings; without any, typer's and argparse's
    # spelling of an undeclared option. (typer_app passes typer's: test_commands_lazy.)
    spelled = CommandRegistry()

    @spelled.scoped_write("put", "Put one note.", writes=["notes/{slug}.md"])
    def put(repo: ScopedWriteContext, inv: Invocation, slug: str) -> int:
        return 0

    @spelled.scoped_write("plain", "No labels at all.", writes=["notes/{note_slug}.md"])
    def plain(repo: ScopedWriteContext, inv: Invocation, note_slug: str) -> int:
        return 0

    dispatcher = Dispatcher(spelled, _dispatcher(repo, tmp_path / "state").policy)
    dispatcher.start = repo
    for name, argument, labels, label in [
        ("put", "slug", {"slug": "SLUG"}, "SLUG"),
        ("put", "slug", {"slug": "--note-slug"}, "--note-slug"),
        ("plain", "note_slug", None, "--note-slug"),
    ]:
        assert dispatcher.run(name, {argument: "a/b"}, as_json=True, labels=labels) == 2
        message = str(_one_json(capsys)["error"])
        assert f"{label} must be a single path segment" in message, (name, message)


def test_a_write_boundary_gets_the_whole_root(repo: Path, tmp_path: Path) -> None:
    (repo / "notes" / "a.md").unlink()
    (repo / "notes").rmdir()
    assert _dispatcher(repo, tmp_path / "state").run("init") == 0
    assert (repo / "notes").is_dir()


def test_an_internal_error_is_exit_70_with_the_debug_variable_in_the_fix(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _dispatcher(repo, tmp_path / "state").run("crash") == 70
    err = capsys.readouterr().err
    assert "unexpected RuntimeError: boom" in err and "NOTES_DEBUG=1" in err


@pytest.mark.parametrize("where", ["parent", "itself"])
def test_a_state_dir_that_contains_the_repository_is_refused(
    repo: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    state = repo.parent if where == "parent" else repo
    before = TreeState.take(repo)
    code = _dispatcher(repo, state).run("show", {"name": "a"}, as_json=True)
    assert code == ExitCode.INVALID_CONFIG
    message = str(_one_json(capsys)["error"])
    assert "contains the repository" in message or "inside the repository" in message
    assert before.changes_since(TreeState.take(repo)) == []
    assert not (state / "last-shown").exists()


def test_a_state_dir_inside_the_git_worktree_of_a_nested_project_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = make_git_repo(tmp_path / "mono", {"services/api/notes/a.md": "first\n"})
    project = top / "services" / "api"
    (project / ".notes").mkdir()
    policy = AppPolicy(
        program="notes", root_markers=(".notes", ".git"), state_dir=lambda: top / ".state"
    )
    dispatcher = Dispatcher(commands, attrs.evolve(policy, kernel="off"))
    dispatcher.start = project
    code = dispatcher.run("show", {"name": "a"}, as_json=True)
    assert code == ExitCode.INVALID_CONFIG
    assert "inside the git worktree" in str(_one_json(capsys)["error"])
    assert not (top / ".state").exists()


def test_a_temp_dir_inside_the_repository_is_replaced_without_a_probe_file(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inside = repo / "tmp"
    inside.mkdir()
    monkeypatch.setenv("TMPDIR", str(inside))
    monkeypatch.setattr(tempfile, "tempdir", None)
    before = TreeState.take(repo)
    assert _dispatcher(repo, tmp_path / "state").run("temp", as_json=True) == 0
    made = Path(str(_one_json(capsys)["temp"]))
    assert made.parent == (tmp_path / "state" / "tmp").resolve()
    assert before.changes_since(TreeState.take(repo)) == []  # tmp/'s mtime included
    assert tempfile.tempdir is None and os.environ["TMPDIR"] == str(inside)  # restored


def test_capabilities_lists_scopes_and_enforcement(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _dispatcher(repo, tmp_path / "state").run("capabilities", as_json=True) == 0
    result = _one_json(capsys)
    rows = {r["command"]: r for r in result["commands"]}  # type: ignore[attr-defined]
    assert rows["edit"]["capability"] == "scoped-write"
    assert rows["edit"]["writes"] == ["notes/{name}.md"]
    assert rows["init"]["capability"] == "write" and rows["show"]["capability"] == "read"
    assert result["enforcement"] == {
        "guard": True,
        "kernel": False,
        "kernel_detail": "off (the app's policy switches the kernel layer off)",
    }
    assert result["exit_codes"]["5"] == "NO_SUCH_NOTE"  # type: ignore[index]


def test_an_app_exit_code_may_not_rename_a_base_one() -> None:
    class Clash(enum.IntEnum):
        OOPS = 8

    with pytest.raises(ValueError, match="exit code 8 is WRITE_VIOLATION"):
        AppPolicy(program="x", exit_codes=Clash)


def test_a_command_is_declared_once() -> None:
    registry = CommandRegistry()

    @registry.read("a", "first")
    def first(repo: ReadContext, inv: Invocation) -> int:
        return 0

    with pytest.raises(ValueError, match="declared twice"):

        @registry.read("a", "again")
        def again(repo: ReadContext, inv: Invocation) -> int:
            return 0


_RUN_MAIN = """\
import atexit, gc, sys
from kitty_fs.commands import run_main

seen = {}
atexit.register(
    lambda: print("exit handlers ran; frozen since:", gc.get_freeze_count() > seen["n"] + 500)
)


def build():
    print("building; collector on:", gc.isenabled())
    def app():
        print("command ran; collector on:", gc.isenabled(), "; start-up frozen:",
              gc.get_freeze_count() > 0, flush=False)  # left in the buffer: the exit must flush it
        seen["n"] = gc.get_freeze_count()
        seen["kept"] = [[] for _ in range(1000)]  # tracked objects made after the first freeze
        if sys.argv[1] != "0":
            raise SystemExit(int(sys.argv[1]))
    return app


run_main(build, "demo")
"""


@pytest.mark.parametrize("code", [0, 6])
def test_run_main_ends_the_process_with_its_exit_code_and_its_handlers(code: int) -> None:
    """run_main pauses the collector while it builds, runs the command with it on, and
    freezes the heap again before the interpreter's last collection; exit stays whole."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN_MAIN, str(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert done.stdout.splitlines() == [
        "building; collector on: False",
        "command ran; collector on: True ; start-up frozen: True",
        "exit handlers ran; frozen since: True",
    ]


_EXITING = """\
import atexit, sys, time
from kitty_fs.commands import run_main


def slow_exit():
    print("exiting", flush=True)
    time.sleep(1.0)  # a Ctrl-C lands here, after the command's result


atexit.register(slow_exit)
run_main(lambda: lambda: print("done", flush=True), "demo")
"""


def test_a_ctrl_c_after_the_command_while_the_process_exits_changes_nothing() -> None:
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-c", _EXITING],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    assert [proc.stdout.readline(), proc.stdout.readline()] == ["done\n", "exiting\n"]
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, "")
