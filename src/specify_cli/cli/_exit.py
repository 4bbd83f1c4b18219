"""Exit codes of ``spec-kitty``: kitty_fs's base codes plus spec-kitty's own, in one enum.

Everything in ``specify_cli`` reads this enum; ``AppPolicy`` checks at start-up
that every value shared with ``kitty_fs.commands.ExitCode`` has the same name,
and a test checks the README's table against it.

====  ================  ==============================================================
code  name              meaning
====  ================  ==============================================================
0     OK                the command did what was asked
1     CHECK_FAILED      ``sync status --check``: events wait, or sync cannot run
2     USAGE             bad command line (unknown option, malformed ``--payload``...)
3     NOT_INITIALIZED   no project here, or no ``project.uuid``: run ``spec-kitty init``
4     INVALID_CONFIG    ``.kittify/config.yaml`` unusable (parse error, wrong type...)
5     DIRTY_WORKTREE    ``record-analysis`` refused: uncommitted changes
6     SYNC_UNAVAILABLE  sync disabled, unauthenticated, server down/slow/garbage
7     STALE_BINDING     the tracker binding is stale on the server: rebind
8     WRITE_VIOLATION   the guard stopped a write the command may not make (a bug)
9     FILESYSTEM        the filesystem refused (read-only, permission, not a dir)
70    INTERNAL          unexpected error; ``SPEC_KITTY_DEBUG=1`` prints the traceback
130   INTERRUPTED       interrupted (Ctrl-C)
141   PIPE_CLOSED       the reader of stdout went away: stopped quietly
143   TERMINATED        SIGTERM (e.g. a service manager stopping ``dashboard run``)
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
    INTERRUPTED = 130
    PIPE_CLOSED = 141
    TERMINATED = 143
