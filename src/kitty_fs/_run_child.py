"""The fallback half of ``kitty-fs run --read-only --fallback-audit-hook``: an enforcing guard.

Started by ``_child/sitecustomize.py`` in every Python process of the run when
the kernel layer is unavailable. The scope is entered and never left, in
enforce mode: a write inside the root raises ``WriteViolation`` (a
``PermissionError``), a subprocess that is not a read-only git command is
refused. Only Python code is seen; that is why it is a fallback.

Configuration: ``KITTY_FS_RUN_ROOT`` (the protected root) and
``KITTY_FS_RUN_WRITABLE`` (``os.pathsep``-separated places that stay writable
even below the root).
"""

from __future__ import annotations

import os
import sys

from kitty_fs._guard import GuardScope

__all__ = ["start"]

_SCOPES: list[GuardScope] = []


def start() -> None:
    """Enter an enforcing scope on the run's root for the life of this interpreter."""
    root = os.environ.get("KITTY_FS_RUN_ROOT")
    if not root or _SCOPES:
        return
    sides = [p for p in os.environ.get("KITTY_FS_RUN_WRITABLE", "").split(os.pathsep) if p]
    argv = " ".join(getattr(sys, "orig_argv", sys.argv))
    scope = GuardScope(root, f"kitty-fs run --read-only {argv}", side_channels=sides)
    scope.__enter__()
    _SCOPES.append(scope)
