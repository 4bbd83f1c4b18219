"""``CommandFailure``: the one error type a command raises for a failure the user can act on."""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = ["CommandFailure"]


class CommandFailure(Exception):
    """A failure printed as one line plus its fix (or one JSON error), never a traceback.

    ``exit_code`` is a member of ``ExitCode`` or of the app's own exit-code enum;
    ``code`` is the machine-readable name in ``--json`` (default: the exit
    code's name); ``details`` is extra structured data for ``--json``.
    """

    def __init__(
        self,
        message: str,
        exit_code: int,
        hint: str = "",
        *,
        code: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = int(exit_code)
        self.hint = hint
        default = exit_code.name if isinstance(exit_code, enum.Enum) else f"EXIT_{exit_code}"
        self.code = code or default
        self.details: dict[str, object] = dict(details or {})
