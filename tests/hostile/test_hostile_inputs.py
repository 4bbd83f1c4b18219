"""Every row of the hostile-input catalog, run as a real ``spec-kitty`` subprocess.

Each row gets a fresh temporary git repository (or whatever the input needs:
a bare repository, a plain directory, a read-only mount), a state directory
outside it, and a loopback reference SaaS, and is run twice: for a person and
with ``--json``. What a demanding user expects from every row:

* the exit code the catalog documents (one of ``ExitCode``), and no traceback;
* the catalog's first line; an error is ``spec-kitty CMD: error [CODE]: message``
  naming the file concerned, followed by a ``  fix: ...`` line; ``--json`` prints
  exactly one object carrying the same code, message, hint and exit code;
* no file changed (bytes, mtime, mode, links; ``git status`` too), except where
  a write command is meant to create the config (or the files its row names).

Rows marked ``xfail`` are known CLI defects (strict: they fail the run the day
the fix lands, so the mark is removed with it). ``KITTY_WRITE_CATALOG=1``
rewrites ``docs/hostile-inputs.md`` from the table; without it a test checks
the committed document still matches.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hostile_cases import CASES, Case, Run, err
from hostile_envs import CONFIG_REL, Env, other_filesystem_missing, write_big_config
from hostile_report import normalize, render_markdown
from tree_listing import tree_state

import specify_cli.cli._exit as exit_module
from specify_cli.cli._exit import ExitCode
from specify_cli.saas_reference import ReferenceServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "hostile-inputs.md"
TOKEN = "hostile-token"
_DOCUMENTED = {int(code) for code in ExitCode}


def _executable() -> str:
    beside = Path(sys.executable).with_name("spec-kitty")
    if beside.is_file():
        return os.fspath(beside)
    found = shutil.which("spec-kitty")
    assert found is not None, "spec-kitty is not installed (pip install -e .)"
    return found


def _refused(probe: list[str]) -> str | None:
    if shutil.which(probe[0]) is None:
        return f"{probe[0]} is not installed"
    done = subprocess.run(probe, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"{' '.join(probe)} is refused here: {(done.stderr or done.stdout).strip()}"
    return None


@functools.cache
def _unavailable(needs: str | None) -> str | None:
    """Why this machine cannot build the input, or ``None`` (probed once per process)."""
    if needs == "drop-dac" and os.geteuid() == 0:
        return _refused(["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", "true"])
    if needs == "ro-mount":
        userns = [] if os.geteuid() == 0 else ["-r"]
        with tempfile.TemporaryDirectory(prefix="kitty-ro-probe-") as folder:
            mount = 'mount --bind -o ro "$0" "$0" 2>&1'
            return _refused(["unshare", *userns, "-m", "--", "sh", "-c", mount, folder])
    if needs == "other-fs":
        return other_filesystem_missing(Path(tempfile.gettempdir()))
    return None  # as anyone but root, permission bits need no help


def _params() -> list[object]:
    params: list[object] = []
    for case in CASES:
        for run in case.runs:
            marks: list[pytest.MarkDecorator] = []
            if run.defect is not None:
                reason = f"known defect: {run.defect.reason}"
                marks.append(pytest.mark.xfail(strict=True, raises=KnownDefect, reason=reason))
            missing = _unavailable(case.needs)
            if missing:
                marks.append(pytest.mark.skip(reason=f"cannot make this input: {missing}"))
            name = f"{case.id}:{run.command.replace(' ', '-')}"
            params.append(pytest.param(case, run, id=name, marks=marks))
    return params


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    """A loopback SaaS offering the binding the base config stores (``bind-001``)."""
    with ReferenceServer(token=TOKEN, binding_ref="bind-001") as srv:
        yield srv


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """The 50 MB config, written on first use, once per worker; cases hard-link it."""
    folder = tmp_path_factory.mktemp("big")

    @functools.cache
    def make() -> Path:
        return write_big_config(folder / "config.yaml")

    return make


def _environ(env: Env, server: ReferenceServer) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SPEC_KITTY_")}
    environ.update(
        SPEC_KITTY_HOME=os.fspath(env.home),
        SPEC_KITTY_ENABLE_SAAS_SYNC="1",
        SPEC_KITTY_SAAS_URL=server.url,
        SPEC_KITTY_SAAS_TOKEN=TOKEN,
        SPEC_KITTY_SYNC_RETRIES="0",
        SPEC_KITTY_SYNC_TIMEOUT="10",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
    )
    environ.update(env.env)
    return environ


def _porcelain(env: Env) -> str | None:
    if not (env.repo / ".git").exists():
        return None
    done = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored"],
        cwd=env.repo,
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8", "surrogateescape")


Done = subprocess.CompletedProcess[str]
Snapshot = tuple[dict[str, tuple[object, ...]], str | None]


def _snapshot(env: Env) -> Snapshot:
    return tree_state(env.tmp, skip=[env.home]), _porcelain(env)


def _check_changes(run: Run, env: Env, before: Snapshot, after: Snapshot, what: str) -> None:
    """Nothing changed; for a run meant to write, nothing but the config (and its folder)."""
    files, files_after = before[0], after[0]
    changed = {
        key for key in files.keys() | files_after.keys() if files.get(key) != files_after.get(key)
    }
    status = set((before[1] or "").split("\0")) ^ set((after[1] or "").split("\0"))
    if run.changes:
        meant = [
            Path(c.replace("<repo>", os.fspath(env.repo)).replace("<tmp>", os.fspath(env.tmp)))
            for c in run.changes
        ]
        changed -= {os.path.relpath(path, env.tmp) for path in meant}
        in_repo = tuple(os.path.relpath(p, env.repo) for p in meant if p.is_relative_to(env.repo))
        status = {line for line in status if not line.endswith(in_repo)}
    if run.writes:
        config = env.repo / CONFIG_REL
        assert stat.S_ISREG(config.lstat().st_mode), f"{what} wrote no config"
        allowed = {os.path.relpath(config, env.tmp), os.path.relpath(config.parent, env.tmp)}
        changed -= allowed
        status = {line for line in status if not line.endswith((CONFIG_REL, ".kittify/"))}
    assert not changed, f"{what} changed {sorted(changed)}"
    assert not status, f"{what} changed git status: {sorted(status)}"


class KnownDefect(Exception):
    """Raised when a row still shows its catalogued defect (the only failure xfail accepts)."""


def _check_human(
    case: Case, command: str, exit_code: ExitCode, line: str, env: Env, done: Done, full: bool
) -> None:
    assert done.returncode == int(exit_code), f"exit {done.returncode}, want {int(exit_code)}"
    err_lines = done.stderr.splitlines()
    out_lines = done.stdout.splitlines()
    if exit_code == ExitCode.OK:
        first = (err_lines or out_lines or [""])[0]
        assert normalize(first, env) == line
        return
    assert done.stdout == "", "an error prints nothing on stdout"
    assert len(err_lines) >= 2, f"want an error line and a fix line, got {done.stderr!r}"
    assert normalize(err_lines[0], env) == line
    fix = normalize(err_lines[1], env)
    assert fix.startswith("  fix: ") and fix[7:].strip(), f"no fix line: {fix!r}"
    if full and case.names:
        assert case.names in line, f"the message does not name {case.names}"
    if full and case.fix:
        assert case.fix in fix, f"the fix line does not say {case.fix!r}: {fix!r}"


def _check_json(
    case: Case, command: str, exit_code: ExitCode, line: str, env: Env, done: Done, full: bool
) -> None:
    assert done.returncode == int(exit_code), f"exit {done.returncode}, want {int(exit_code)}"
    assert done.stderr == "", "--json prints nothing on stderr"
    assert done.stdout.count("\n") == 1 and done.stdout.endswith("\n"), "one JSON line"
    payload = json.loads(done.stdout)
    assert payload["command"] == command
    assert payload["ok"] is (exit_code == ExitCode.OK)
    if exit_code == ExitCode.OK:
        return
    error = payload["error"]
    assert error["exit_code"] == int(exit_code)
    assert normalize(err(command, error["code"], error["message"]), env) == line
    assert error["hint"].strip(), "the JSON error has no hint"
    if full and case.names:
        assert case.names in line, f"the message does not name {case.names}"
    if full and case.fix:
        assert case.fix in normalize(error["hint"], env)


def _verdict(case: Case, run: Run, env: Env, done: Done, as_json: bool) -> str | None:
    """``None`` when the run does what the catalog says; else what a known defect looks like.

    A row with a ``defect`` that behaves neither as catalogued nor as its defect
    fails outright (the xfail mark accepts only ``KnownDefect``).
    """
    check = _check_json if as_json else _check_human
    today = run.today()
    if today is None:
        check(case, run.command, run.exit, run.line, env, done, True)
        return None
    try:
        check(case, run.command, run.exit, run.line, env, done, True)
    except AssertionError as missed:
        check(case, run.command, *today, env, done, False)
        return str(missed).splitlines()[0]
    return None


@pytest.mark.parametrize(("case", "run"), _params())
def test_hostile_input(
    case: Case, run: Run, tmp_path: Path, server: ReferenceServer, big: Callable[[], Path]
) -> None:
    defects: list[str] = []
    for as_json in (False, True):
        where = tmp_path / ("json" if as_json else "human")
        where.mkdir()
        env = case.setup(where, big)
        try:
            before = _snapshot(env)
            argv = [*env.wrap, _executable(), *run.argv, *(["--json"] if as_json else [])]
            done = subprocess.run(
                argv,
                cwd=env.cwd,
                env=_environ(env, server),
                capture_output=True,
                text=True,
                errors="surrogateescape",
                timeout=300,  # a hang is a failure, not a wait; no timing is asserted
                check=False,
            )
            after = _snapshot(env)
        finally:
            for path in env.cleanup:
                shutil.rmtree(path, ignore_errors=True)
        mode = "--json" if as_json else "human"
        shown = f"{mode} run of {run.command}: rc={done.returncode}\n{done.stderr}{done.stdout}"
        assert "Traceback" not in done.stderr + done.stdout, shown
        assert done.returncode in _DOCUMENTED, shown
        _check_changes(run, env, before, after, f"{mode} run of {run.command}")
        try:
            defect = _verdict(case, run, env, done, as_json)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{shown}") from None
        if defect is not None:
            defects.append(f"{mode}: {defect}")
    if defects:
        assert len(defects) == 2, f"only one mode shows the defect: {defects}"
        raise KnownDefect("; ".join(defects))


def test_catalog_document() -> None:
    """``docs/hostile-inputs.md`` is the table, rendered; KITTY_WRITE_CATALOG=1 rewrites it."""
    text = render_markdown(CASES)
    if os.environ.get("KITTY_WRITE_CATALOG") == "1":
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
    assert DOC.is_file(), f"{DOC} is missing: run with KITTY_WRITE_CATALOG=1"
    assert DOC.read_text(encoding="utf-8") == text, (
        f"{DOC} differs from the table: KITTY_WRITE_CATALOG=1 python -m pytest "
        "tests/hostile -k catalog_document"
    )


def test_catalog_table_is_well_formed() -> None:
    """Unique ids, documented exit codes, error lines in the CLI's format."""
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    doc = exit_module.__doc__ or ""
    for case in CASES:
        assert case.runs, case.id
        for run in case.runs:
            assert re.search(rf"^{int(run.exit)}\s+{run.exit.name}\s", doc, re.M), run
            for exit_code, line in (run.today() or (run.exit, run.line), (run.exit, run.line)):
                if exit_code == ExitCode.OK:
                    assert "error [" not in line, run
                else:
                    assert line.startswith(f"spec-kitty {run.command}: error ["), run
