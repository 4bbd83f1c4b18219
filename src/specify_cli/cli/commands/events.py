"""``spec-kitty events emit TYPE [--payload JSON]``: queue one status event (a read command).

Emission is the path that used to mint and persist a fresh identity on every
checkout. Here it resolves the identity read-only (a legacy config missing
``build_id`` gets the deterministic one, in memory) and writes only the outbox.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Final

import typer

from kitty_fs import ReadContext
from kitty_fs.commands import CommandFailure, CommandRegistry, Invocation
from specify_cli._kinds import kind_of
from specify_cli.cli._exit import ExitCode

__all__ = ["MAX_PAYLOAD_BYTES", "commands", "parse_payload", "read_payload_argument"]

commands = CommandRegistry()
commands.group("events", "Status events (READ: queued in the outbox).")

MAX_PAYLOAD_BYTES: Final = 256 * 1024
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def _usage(message: str, hint: str) -> CommandFailure:
    return CommandFailure(message, ExitCode.USAGE, hint, code="INVALID_EVENT")


_UTF8_HINT = "pass UTF-8 text (\\ud800-\\udfff escapes only as high/low pairs)"


def _bad_char(char: str) -> str:
    """A character that is not UTF-8; argv's undecodable bytes arrive as U+DC80..U+DCFF."""
    code = ord(char)
    return f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"


def read_payload_argument(value: str) -> str:
    """``--payload`` as given: inline JSON, ``@FILE`` or ``-`` (stdin).

    Linux caps one command-line argument at 128 KiB, so large payloads need a file
    or a pipe to reach the size check at all. Reading is allowed on a read path.
    """
    if value == "-":
        data = sys.stdin.buffer.read(MAX_PAYLOAD_BYTES + 1)
        where = "standard input"
    elif value.startswith("@"):
        name = value[1:]
        try:
            with open(name, "rb") as handle:  # a read: the guard lets it through
                data = handle.read(MAX_PAYLOAD_BYTES + 1)
        except OSError as exc:
            raise _usage(
                f"--payload {value}: cannot read {name}: {exc.strerror}",
                "pass @PATH of a readable JSON file, - for standard input, or inline JSON",
            ) from None
        where = name
    else:
        return value
    if len(data) > MAX_PAYLOAD_BYTES:
        raise _usage(
            f"--payload from {where} is over the limit of {MAX_PAYLOAD_BYTES} bytes",
            "send large data as a reference (a URL or a path), not inline",
        )
    return data.decode("utf-8", "surrogateescape")


def parse_payload(raw: str) -> dict[str, object]:
    """The ``--payload`` text as a JSON object, or a usage error saying what is wrong."""
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_PAYLOAD_BYTES:
        raise _usage(
            f"--payload is {size} bytes; the limit is {MAX_PAYLOAD_BYTES}",
            "send large data as a file reference, not inline",
        )
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _usage(
            f"--payload is not valid UTF-8 ({_bad_char(raw[exc.start])} at character {exc.start})",
            _UTF8_HINT,
        ) from None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _usage(
            f"--payload is not valid JSON: {exc}",
            """quote it for the shell: --payload '{"k": 1}'""",
        ) from exc
    if not isinstance(value, dict):
        raise _usage(
            f"--payload must be a JSON object, not {kind_of(value)}",
            """wrap the value: --payload '{"value": ...}'""",
        )
    try:  # a \ud800 escape decodes to a lone surrogate: no server can store it
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start]
        raise _usage(
            f"--payload has a lone surrogate (U+{ord(char):04X}), which is not valid Unicode",
            _UTF8_HINT,
        ) from None
    return value


PAYLOAD_OPTION = typer.Option(
    "{}",
    "--payload",
    help="The event's data as a JSON object (at most 256 KiB): inline, "
    "@FILE to read it from a file, or - for standard input.",
)


def check_event_type(event_type: str) -> None:
    if not _EVENT_TYPE.match(event_type):
        raise _usage(
            f"invalid event type {event_type!r}",
            "use dotted lower-case names, e.g. mission.started or wp.status_changed",
        )


@commands.read(
    "events emit",
    "Queue one status event for the SaaS (never writes the worktree).",
    contract_argv=("mission.started",),
)
def emit(
    repo: ReadContext,
    inv: Invocation,
    event_type: str = typer.Argument(..., metavar="TYPE", help="e.g. mission.started"),
    payload: str = PAYLOAD_OPTION,
) -> int:
    """Queue a status event with the project's identity; `sync push` delivers it.

    Works offline and with sync disabled. Without a project identity it queues
    nothing and says to run `spec-kitty init` (exit 0).
    """
    from specify_cli.cli.commands._shared import open_outbox
    from specify_cli.sync import EventEmitter

    check_event_type(event_type)
    data = parse_payload(read_payload_argument(payload))
    with open_outbox(inv) as outbox:
        result = EventEmitter(repo, outbox).emit(event_type, data)
    if result.not_initialized is not None:
        # A status hook must not break the user's flow: nothing queued, say why, exit 0.
        inv.output.note(f"note: {result.not_initialized.message}; fix: {result.hint}")
        inv.output.result(
            {"emitted": 0, "skipped": result.code},
            [f"not emitted: {result.not_initialized.message}"],
        )
        return 0
    envelope = result.envelopes[0]
    inv.output.result(
        {"emitted": 1, "envelope": envelope.to_dict()},
        [
            f"queued {event_type} {envelope.event_id} for project {envelope.project_uuid} "
            f"(build {envelope.build_id}); deliver with `spec-kitty sync push`"
        ],
    )
    return 0
