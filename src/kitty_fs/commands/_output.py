"""How commands speak: JSON for machines, short lines for people, progress only on a terminal."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

import attrs

__all__ = ["Output"]


def _default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


@attrs.define
class Output:
    """Where a command's result goes.

    With ``as_json`` the command's whole result is one JSON object on stdout
    (``{"ok": true, "command": ..., ...}``) and nothing else is printed there;
    otherwise ``lines`` are printed for a person and ``data`` is ignored.
    """

    program: str
    command: str
    as_json: bool = False
    stdout: TextIO = attrs.field(factory=lambda: sys.stdout)
    stderr: TextIO = attrs.field(factory=lambda: sys.stderr)
    # Called before a result is printed; raises to turn it into a failure instead
    # (the dispatcher uses it to refuse a result after a swallowed guard error).
    before_result: Callable[[], None] | None = None

    def result(self, data: Mapping[str, object], lines: Sequence[str] = ()) -> None:
        if self.before_result is not None:
            self.before_result()
        if self.as_json:
            payload = {"ok": True, "command": self.command, **data}
            self.stdout.write(json.dumps(payload, default=_default, sort_keys=True) + "\n")
        else:
            for line in lines:
                self.stdout.write(line + "\n")
        self.stdout.flush()

    def note(self, line: str) -> None:
        """A side remark for people (hints, warnings): stderr, never in JSON output."""
        if not self.as_json:
            self.stderr.write(line + "\n")

    def failure(
        self,
        *,
        code: str,
        message: str,
        hint: str,
        exit_code: int,
        details: Mapping[str, object] | None = None,
    ) -> None:
        if self.as_json:
            error: dict[str, object] = {
                "code": code,
                "message": message,
                "hint": hint,
                "exit_code": exit_code,
            }
            if details:
                error["details"] = dict(details)
            payload = {"ok": False, "command": self.command, "error": error}
            self.stdout.write(json.dumps(payload, default=_default, sort_keys=True) + "\n")
            self.stdout.flush()
            return
        self.stderr.write(f"{self.program} {self.command}: error [{code}]: {message}\n")
        if hint:
            self.stderr.write(f"  fix: {hint}\n")
        self.stderr.flush()

    def progress(self, total: int, label: str) -> Callable[[int], None]:
        """A callback taking the number done so far; draws a bar only on an interactive stderr."""
        if self.as_json or total <= 0 or not self.stderr.isatty():
            return lambda _done: None
        stream = self.stderr

        def update(done: int) -> None:
            width = 30
            filled = width * min(done, total) // total
            bar = "#" * filled + "-" * (width - filled)
            end = "\n" if done >= total else ""
            stream.write(f"\r{label} [{bar}] {done}/{total}{end}")
            stream.flush()

        return update
