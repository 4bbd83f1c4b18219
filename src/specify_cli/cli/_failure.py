"""The one error type commands raise for a user-facing failure: message, exit code, fix."""

from __future__ import annotations

from specify_cli.cli._exit import ExitCode

__all__ = ["CommandFailure"]


class CommandFailure(Exception):
    """A failure the user can act on; printed as one line plus a hint, never a traceback.

    ``details`` is extra structured data for ``--json`` (e.g. the offending paths).
    """

    def __init__(
        self,
        message: str,
        exit_code: ExitCode,
        hint: str = "",
        *,
        code: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.hint = hint
        self.code = code or exit_code.name
        self.details = details or {}
