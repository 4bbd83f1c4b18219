"""``events emit --payload @FILE`` and ``--payload -``: large payloads reach our checks.

One command-line argument is capped at 128 KiB on Linux, below the 256 KiB payload
limit, so without these a too-large payload would die in ``exec`` with the shell's
error instead of ours.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_support import TreeState, make_project, spec_kitty_executable

from specify_cli.cli.commands.events import MAX_PAYLOAD_BYTES

pytest_plugins = ["cli_fixtures"]


def _emit(repo: Path, env: dict[str, str], payload: str, stdin: bytes = b"") -> tuple[int, str]:
    done = subprocess.run(
        [spec_kitty_executable(), "events", "emit", "mission.started", "--payload", payload],
        cwd=repo,
        env=env,
        input=stdin,
        capture_output=True,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).decode()


def test_payload_from_a_file_and_from_stdin(tmp_path: Path, offline_env: dict[str, str]) -> None:
    repo = make_project(tmp_path / "repo")
    before = TreeState.take(repo)
    big = {"notes": "x" * (200 * 1024)}  # over the argv cap, under the payload limit
    source = tmp_path / "payload.json"
    source.write_text(json.dumps(big))
    code, text = _emit(repo, offline_env, f"@{source}")
    assert code == 0, text
    code, text = _emit(repo, offline_env, "-", stdin=json.dumps({"from": "stdin"}).encode())
    assert code == 0, text
    assert before.changes_since(TreeState.take(repo)) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: f"@{d / 'missing.json'}", "cannot read"),
        (
            lambda d: _write(d / "huge.json", b'{"a": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'),
            "over the limit",
        ),
        (lambda d: _write(d / "latin1.json", b'{"a": "caf\xe9"}'), "not valid UTF-8"),
        (lambda d: _write(d / "list.json", b"[1, 2]"), "must be a JSON object"),
    ],
    ids=["missing-file", "over-the-limit", "not-utf8", "not-an-object"],
)
def test_bad_payload_files_are_usage_errors(
    tmp_path: Path, offline_env: dict[str, str], make: object, message: str
) -> None:
    repo = make_project(tmp_path / "repo")
    assert callable(make)
    code, text = _emit(repo, offline_env, make(tmp_path))
    assert code == 2, text
    assert message in text and "fix:" in text and "Traceback" not in text


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return f"@{path}"
