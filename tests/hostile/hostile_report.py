"""The hostile-input catalog as users read it: normalised output and ``docs/hostile-inputs.md``.

``normalize`` replaces a run's temporary paths, uuids and event ids with
placeholders so a first line can be compared with the catalog's;
``render_markdown`` renders the catalog as the document, which a test compares
with the file in the repository.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence

from hostile_cases import Case
from hostile_envs import Env

__all__ = ["normalize", "render_markdown"]

# --- normalising output ----------------------------------------------------------------------

_UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_ULID_RE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b")
_TEMP_RE = re.compile(r"\.config\.yaml\.[0-9a-f]{16}\.tmp[0-9a-f]+")
_COMMIT_RE = re.compile(r"\(commit [0-9a-f]{12}\)")


def normalize(text: str, env: Env) -> str:
    """``text`` with the run's paths, uuids and event ids as placeholders."""
    places = [
        (env.repo, "<repo>"),
        (env.home, "<home>"),
        (env.tmp, "<tmp>"),
    ]
    for path, name in places:
        for form in {os.fspath(path), os.path.realpath(path)}:
            text = text.replace(form, name)
    text = _UUID_RE.sub("<uuid>", text)
    text = _TEMP_RE.sub("<temp>", text)
    text = _COMMIT_RE.sub("(commit <commit>)", text)
    return _ULID_RE.sub("<event-id>", text)


# --- the document ----------------------------------------------------------------------------

DOC_HEADER = """\
# Hostile inputs

What `spec-kitty` does with broken, hostile or unusual input. Generated from the table in
`tests/hostile/hostile_cases.py`; `tests/hostile/test_hostile_inputs.py` runs every row as a
real `spec-kitty` subprocess in a fresh git repository (state directory outside it, a loopback
SaaS), with and without `--json`, and checks the exit code, the first line shown here, a
`fix:` line under every error, no traceback, and that no file changed (bytes, mtime, mode,
links, `git status`), except where a write command is meant to write the config (or the files
its note names). Rewrite this file with
`KITTY_WRITE_CATALOG=1 python -m pytest tests/hostile -k catalog_document`.

A row marked **known defect** shows what the command does today (the test checks that too)
and what it will do once the fix lands; the test is a strict `xfail` until then.

Placeholders: `<repo>` the project, `<tmp>` the directory holding it, `<home>` the state
directory (`SPEC_KITTY_HOME`), `<uuid>` a uuid, `<event-id>` an event id, `<temp>` a kitty_fs
temp file, `<commit>` a commit's short hash. Exit codes: `spec-kitty --help` and
`src/specify_cli/cli/_exit.py`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    """``text`` as an inline code span; doubled backticks let it hold single ones."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{_cell(text)}{pad}{fence}"


def render_markdown(cases: Sequence[Case]) -> str:
    """The catalog as one Markdown table: what each command does today with each input."""
    rows = [
        "| input | command | exit code | message | note |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case in cases:
        for run in case.runs:
            words = [shlex.quote(word) for word in run.argv]
            if run.shown is not None:
                words[-1] = run.shown
            command = _code(" ".join(["spec-kitty", *words]))
            exit_code, line = run.today() or (run.exit, run.line)
            notes = []
            if run.writes:
                notes.append("writes the config (meant to)")
            if run.changes:
                notes.append(f"changes {', '.join(_code(c) for c in run.changes)} (meant to)")
            if run.defect is not None:
                notes.append(
                    f"**known defect:** {_cell(run.defect.reason)}; after the fix: "
                    f"{int(run.exit)} {run.exit.name}, {_code(run.line)}"
                )
            cells = [
                _cell(case.input),
                command,
                f"{int(exit_code)} {exit_code.name}",
                _code(line),
                "; ".join(notes),
            ]
            rows.append("| " + " | ".join(cells) + " |")
    return DOC_HEADER + "\n" + "\n".join(rows) + "\n"
