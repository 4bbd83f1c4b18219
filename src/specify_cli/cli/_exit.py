"""Exit codes of ``spec-kitty``, one per kind of outcome, so scripts can branch on them.

====  ================  ==============================================================
code  name              meaning
====  ================  ==============================================================
0     OK                the command did what was asked
1     CHECK_FAILED      a ``--check`` found something to report (events waiting)
2     USAGE             bad command line (unknown option, malformed ``--payload``...)
3     NOT_INITIALIZED   no project here, or no ``project.uuid``: run ``spec-kitty init``
4     INVALID_CONFIG    ``.kittify/config.yaml`` unusable (parse error, wrong type...)
5     DIRTY_WORKTREE    ``record-analysis`` refused: uncommitted changes
6     SYNC_UNAVAILABLE  sync disabled, unauthenticated, server down/slow/garbage
7     STALE_BINDING     the tracker binding is stale on the server: rebind
8     WRITE_VIOLATION   the runtime guard stopped a write on a read path (a bug)
9     FILESYSTEM        the filesystem refused (read-only, permission, not a dir)
70    INTERNAL          unexpected error; ``SPEC_KITTY_DEBUG=1`` prints the traceback
====  ================  ==============================================================
"""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


class ExitCode(enum.IntEnum):
    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    NOT_INITIALIZED = 3
    INVALID_CONFIG = 4
    DIRTY_WORKTREE = 5
    SYNC_UNAVAILABLE = 6
    STALE_BINDING = 7
    WRITE_VIOLATION = 8
    FILESYSTEM = 9
    INTERNAL = 70
