"""The one exception hierarchy of kitty_fs.

Every error carries the file it concerns and a hint saying what to do, so a CLI
can print ``str(err)`` as one clear line without a traceback. Every exception
kitty_fs raises on purpose is a ``KittyFsError``; a second base beside it keeps
the ``except`` clauses callers already write (``PermissionError``,
``AssertionError``...) working::

    KittyFsError(Exception)              base; message, path, hint
    ├── PathEscapeError(PermissionError) a context path resolves outside its root
    ├── MintError(TypeError)             a WriteContext made outside write_boundary
    ├── WriteViolation(PermissionError)  the guard refused a write in a read scope
    │   └── ScopeViolation               a scoped write outside its declared scope
    ├── ConfigError                      the config cannot be used; nothing written
    │   ├── ConfigFileError              not a usable regular file (dir, link out, big)
    │   ├── ConfigParseError             does not parse; ``line`` when known
    │   └── ConfigSchemaError            a section of the wrong type
    ├── ConfigBusyError                  another program kept rewriting it during a save
    ├── GitCommandError(RuntimeError)    a git call failed (``_snapshot.run_git``)
    ├── WorktreeChanged(AssertionError)  the worktree differs from a snapshot (``_snapshot``)
    ├── PluginConfigError(ValueError)    the mypy plugin's section is bad (``_mypy_config``)
    ├── AuditUsageError                  ``kitty-fs audit`` cannot start (``_audit``)
    ├── ReportUsageError                 ``kitty-fs report-writes`` cannot run (``_write_report``)
    └── RunUsageError                    ``kitty-fs run`` cannot start (``_run``)

``WorktreeChanged``, ``PluginConfigError`` and the usage errors of the
``kitty-fs`` subcommands live beside the code that raises them and are exported from
where users meet them (``kitty_fs.testing``, ``kitty_fs.pytest_plugin``); the
audit and run usage errors carry the ``exit_code`` their command exits with.

Outside the tree on purpose:

* ``kitty_fs.commands.CommandFailure`` is what a *command body* raises: the
  dispatcher prints it and exits with its code. It is a protocol between an
  app and the dispatcher, not a kitty_fs failure (an app's own user errors,
  such as ``specify_cli.errors.SpecKittyError``, subclass it).
* Misuse of the API (an empty reason, a bad scope pattern, a ``GuardScope``
  entered twice) raises the builtin ``ValueError`` / ``TypeError`` /
  ``RuntimeError``, as the standard library does: a bug in the caller, not a
  condition to handle.
* The kernel layer (``_kernel``) raises ``OSError`` carrying the errno the
  kernel gave, because callers decide by errno whether to degrade.

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
    "GitCommandError",
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


class GitCommandError(KittyFsError, RuntimeError):
    """A git call kitty_fs makes (read-only ones, and a test repository's set-up) failed.

    ``path`` is the repository; the message holds the command and git's stderr.
    Also a ``RuntimeError``, which is what it was before it joined the hierarchy.
    """
