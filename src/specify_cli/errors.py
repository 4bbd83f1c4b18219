"""The one exception hierarchy of the ``specify_cli`` domain.

Every error the domain raises on purpose is a ``SpecKittyError``, and each of
them is a ``kitty_fs.commands.CommandFailure``: the one user-error type of the
CLI, which the dispatcher prints and exits with as it is, no mapping between.
It carries a stable machine ``code`` (for ``--json`` output and scripts), a
one-line ``message`` saying what happened, a ``hint`` saying what to do, the
``path`` concerned when there is one, ``details`` for structured extras, and an
``exit_code`` (a value of ``specify_cli.cli._exit.ExitCode``)::

    CommandFailure (kitty_fs.commands)
    └── SpecKittyError               SPEC_KITTY_ERROR     70  base; never raised directly
        ├── InvalidEvent             INVALID_EVENT         2
        ├── NotInitializedError      NOT_INITIALIZED       3
        │   └── TrackerNotBound      TRACKER_NOT_BOUND     3
        ├── InvalidConfig            INVALID_CONFIG        4
        ├── SyncError                SYNC_UNAVAILABLE      6  queued events stay queued
        │   ├── SyncDisabled         SYNC_DISABLED         6
        │   ├── Unauthenticated      UNAUTHENTICATED       6
        │   ├── ServerUnreachable    SERVER_UNREACHABLE    6
        │   │   └── ServerTimeout    SERVER_TIMEOUT        6  (so ``except ServerUnreachable``
        │   │                                                 also catches a timeout)
        │   ├── ServerError          SERVER_ERROR          6
        │   └── BadResponse          BAD_RESPONSE          6
        ├── StaleBinding             STALE_BINDING         7
        ├── MissionOutsideRepo       MISSION_OUTSIDE_REPO  9
        └── OutboxError              OUTBOX_UNAVAILABLE    9

Errors from ``kitty_fs`` (``ConfigParseError``, ``ConfigSchemaError``,
``PathEscapeError``...) pass through unchanged: they already name the file and
the fix, and the dispatcher maps them to ``INVALID_CONFIG`` (4) or
``FILESYSTEM`` (9). Nothing here is raised after a partial write: every error
leaves the worktree and the outbox as they were.

==========================  ========================  ====  ======================================
class                       code                      exit  when
==========================  ========================  ====  ======================================
``SpecKittyError``          ``SPEC_KITTY_ERROR``      70    base class; never raised directly
``InvalidEvent``            ``INVALID_EVENT``         2     an event type/payload cannot be sent
``NotInitializedError``     ``NOT_INITIALIZED``       3     no ``project.uuid``: run ``init``
``TrackerNotBound``         ``TRACKER_NOT_BOUND``     3     no binding: run ``tracker bind``
``InvalidConfig``           ``INVALID_CONFIG``        4     a malformed value in a config file
``SyncError``               ``SYNC_UNAVAILABLE``      6     base of the sync failures below
``SyncDisabled``            ``SYNC_DISABLED``         6     sync not enabled, or no server URL
``Unauthenticated``         ``UNAUTHENTICATED``       6     no token, or the server refused it
``ServerUnreachable``       ``SERVER_UNREACHABLE``    6     refused / reset / dropped, after retries
``ServerTimeout``           ``SERVER_TIMEOUT``        6     no answer within the timeout
``ServerError``             ``SERVER_ERROR``          6     5xx or 429 after retries; a 4xx refusal
``BadResponse``             ``BAD_RESPONSE``          6     an answer that is not the protocol
``StaleBinding``            ``STALE_BINDING``         7     the server no longer knows the binding
``MissionOutsideRepo``      ``MISSION_OUTSIDE_REPO``  9     a mission is a symlink out of the repo
``OutboxError``             ``OUTBOX_UNAVAILABLE``    9     the SQLite outbox cannot be used
==========================  ========================  ====  ======================================

Every ``SyncError`` leaves queued events queued.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from kitty_fs.commands import CommandFailure

__all__ = [
    "BadResponse",
    "InvalidConfig",
    "InvalidEvent",
    "MissionOutsideRepo",
    "NotInitializedError",
    "OutboxError",
    "ServerError",
    "ServerTimeout",
    "ServerUnreachable",
    "SpecKittyError",
    "StaleBinding",
    "SyncDisabled",
    "SyncError",
    "TrackerNotBound",
    "Unauthenticated",
]


class SpecKittyError(CommandFailure):
    """Base of every deliberate ``specify_cli`` error.

    Subclasses set ``code`` and ``exit_code`` as class attributes and usually a
    ``default_hint``; an instance may override the hint. The instance carries
    them as ``CommandFailure`` does, so the dispatcher needs no mapping.
    """

    code: str = "SPEC_KITTY_ERROR"
    exit_code: int = 70
    default_hint: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: Path | str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        cls = type(self)
        hint = cls.default_hint if hint is None else hint
        super().__init__(message, cls.exit_code, hint, code=cls.code, details=details)
        self.path = Path(path) if path is not None else None
        # ``str(err)`` is the message and its fix, as before it was a CommandFailure
        # (whose own ``str`` is the message alone).
        self.args = (f"{message} ({hint})" if hint else message,)


class InvalidEvent(SpecKittyError):
    """The caller handed the emitter an event it cannot serialise or name."""

    code = "INVALID_EVENT"
    exit_code = 2
    default_hint = "event types are dotted words (e.g. mission.started); payloads are JSON objects"


class NotInitializedError(SpecKittyError):
    """The project has no ``project.uuid`` yet; read commands never invent one."""

    code = "NOT_INITIALIZED"
    exit_code = 3
    default_hint = "run `spec-kitty init` to create the project identity"


class TrackerNotBound(NotInitializedError):
    """The ``tracker:`` section has no provider or binding to talk to the server about."""

    code = "TRACKER_NOT_BOUND"
    default_hint = "run `spec-kitty tracker bind --provider NAME --project-slug SLUG`"


class InvalidConfig(SpecKittyError):
    """A value in a config file is malformed; ``path`` names the file. Nothing was written."""

    code = "INVALID_CONFIG"
    exit_code = 4


class SyncError(SpecKittyError):
    """Base of every failure to reach or use the SaaS; queued events always stay queued."""

    code = "SYNC_UNAVAILABLE"
    exit_code = 6


class SyncDisabled(SyncError):
    code = "SYNC_DISABLED"
    default_hint = (
        "set SPEC_KITTY_ENABLE_SAAS_SYNC=1 and SPEC_KITTY_SAAS_URL (events stay queued meanwhile)"
    )


class Unauthenticated(SyncError):
    code = "UNAUTHENTICATED"
    default_hint = (
        "set SPEC_KITTY_SAAS_TOKEN or put a token in $SPEC_KITTY_HOME/auth.json "
        "(events stay queued meanwhile)"
    )


class ServerUnreachable(SyncError):
    code = "SERVER_UNREACHABLE"
    default_hint = "check the server URL and your network, then retry; events stay queued"


class ServerTimeout(ServerUnreachable):
    code = "SERVER_TIMEOUT"
    default_hint = (
        "the server is slow or overloaded: retry later or raise SPEC_KITTY_SYNC_TIMEOUT; "
        "events stay queued"
    )


class ServerError(SyncError):
    code = "SERVER_ERROR"
    default_hint = "the server failed; retry later (events stay queued)"


class BadResponse(SyncError):
    code = "BAD_RESPONSE"
    default_hint = (
        "the server did not speak the spec-kitty sync protocol: check SPEC_KITTY_SAAS_URL "
        "(events stay queued)"
    )


class StaleBinding(SpecKittyError):
    """The server no longer recognises the stored tracker binding; nothing was written."""

    code = "STALE_BINDING"
    exit_code = 7
    default_hint = (
        "rebind with `spec-kitty tracker bind --provider NAME --project-slug SLUG` "
        "(config.yaml was not changed)"
    )


class MissionOutsideRepo(SpecKittyError):
    """A mission folder or file is a symlink out of the repository. Nothing was read there."""

    code = "MISSION_OUTSIDE_REPO"
    exit_code = 9  # ExitCode.FILESYSTEM: the tree on disk is not what spec-kitty can read


class OutboxError(SpecKittyError):
    """The SQLite outbox in the state directory cannot be opened or written."""

    code = "OUTBOX_UNAVAILABLE"
    exit_code = 9
    default_hint = (
        "check that $SPEC_KITTY_HOME (default ~/.spec-kitty) is writable and not full; "
        "no event was lost"
    )
