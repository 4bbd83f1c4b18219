"""The exit codes every kitty-fs command line shares; an app adds its own beside them.

====  ================  ==============================================================
code  name              meaning
====  ================  ==============================================================
0     OK                the command did what was asked
1     CHECK_FAILED      a ``--check`` style command found something to report
2     USAGE             bad command line (unknown option, malformed argument...)
3     NOT_INITIALIZED   no project here (no root found), or it was never initialized
4     INVALID_CONFIG    a config file is unusable (parse error, wrong type, path escape)
8     WRITE_VIOLATION   the guard stopped a write the command may not make (a bug)
9     FILESYSTEM        the filesystem refused (read-only, permission, not a directory)
70    INTERNAL          unexpected error; the app's debug variable prints the traceback
130   INTERRUPTED       interrupted (Ctrl-C)
141   PIPE_CLOSED       the reader of stdout went away (``cmd | head``): stopped quietly
143   TERMINATED        SIGTERM (a service manager stopping a daemon): unwound cleanly
====  ================  ==============================================================

An app lists its own codes in an ``IntEnum`` of its own (``AppPolicy.exit_codes``);
``documented_exit_codes`` merges the two and refuses a value given two names.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = ["ExitCode", "documented_exit_codes"]


class ExitCode(enum.IntEnum):
    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    NOT_INITIALIZED = 3
    INVALID_CONFIG = 4
    WRITE_VIOLATION = 8
    FILESYSTEM = 9
    INTERNAL = 70
    INTERRUPTED = 130
    PIPE_CLOSED = 141
    TERMINATED = 143


def documented_exit_codes(app_codes: type[enum.IntEnum] | None = None) -> Mapping[int, str]:
    """Every exit code a command can end with, ``{value: NAME}``, base and app together."""
    table = {int(code): code.name for code in ExitCode}
    for code in app_codes or ():
        known = table.get(int(code))
        if known is not None and known != code.name:
            raise ValueError(
                f"exit code {int(code)} is {known} in kitty_fs.commands.ExitCode; "
                f"the app cannot also call it {code.name}"
            )
        table[int(code)] = code.name
    return dict(sorted(table.items()))
