"""The one exception hierarchy of kitty_fs.

Every error carries the file it concerns and a hint saying what to do, so a CLI
can print ``str(err)`` as one clear line without a traceback.

``PathEscapeError`` and ``WriteViolation`` also subclass ``PermissionError``:
callers that already handle permission problems keep working, and importlib
(which swallows ``OSError`` while writing bytecode caches) is not broken by a
guard that refuses a ``__pycache__`` write.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigBusyError",
    "ConfigError",
    "ConfigFileError",
    "ConfigParseError",
    "ConfigSchemaError",
    "KittyFsError",
    "MintError",
    "PathEscapeError",
    "ScopeViolation",
    "WriteViolation",
]


class KittyFsError(Exception):
    """Base of every error raised by kitty_fs.

    ``path`` is the file concerned (absolute, or ``None``), ``hint`` says what
    the user should do about it.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, hint: str = "") -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text

    def __reduce__(self) -> tuple[object, ...]:
        # The default rebuilds with cls(*args), which fails for the keyword-only
        # arguments below: such an error could not cross a process boundary
        # (multiprocessing, concurrent.futures) and would turn into a TypeError.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type[KittyFsError], args: tuple[object, ...], state: dict[str, object]) -> object:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class PathEscapeError(KittyFsError, PermissionError):
    """A path given to a context resolves outside the context's root."""


class MintError(KittyFsError, TypeError):
    """A ``WriteContext`` was constructed other than through ``write_boundary``."""


class WriteViolation(KittyFsError, PermissionError):
    """The runtime guard refused a filesystem mutation inside a read scope.

    ``operation`` is the audit event (``open``, ``os.rename``...), ``path`` the
    absolute target and ``reason`` the read scope's reason (the command name).
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        path: Path | str | None,
        reason: str,
        hint: str = "",
    ) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(message, path=path, hint=hint)


class ScopeViolation(WriteViolation):
    """A scoped write capability was asked to write outside its scope; nothing was written."""


class ConfigError(KittyFsError):
    """The config file cannot be used; nothing was written."""


class ConfigFileError(ConfigError):
    """The config path is not a usable regular file (directory, symlink out, too big...)."""


class ConfigParseError(ConfigError):
    """The config file does not parse; ``line`` is 1-based when known."""

    def __init__(
        self, message: str, *, path: Path | str | None, line: int | None = None, hint: str = ""
    ) -> None:
        self.line = line
        super().__init__(message, path=path, hint=hint)


class ConfigSchemaError(ConfigError):
    """A section of the config has the wrong type (for example a list where a mapping belongs)."""


class ConfigBusyError(KittyFsError):
    """Another program (one that does not take the lock) kept rewriting the config during a save.

    Not a ``ConfigError``: the file may be perfectly usable, it just would not
    hold still. Nothing was written; retrying later is the fix.
    """
