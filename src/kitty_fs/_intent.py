"""Write intent: the file a kitty_fs store means to change while it touches helper files.

A config save writes a lock and a temp file (in ``<git-dir>/kitty-fs/``) before
it replaces the config; a report that names only those helper paths points the
user at the wrong file. So the store declares its target around the write::

    with write_intent(config_path):
        ...  # lock, temp file, os.replace

and whoever observes the write (``kitty-fs audit``'s hook) asks
``current_intent()`` to name the config, keeping the helper path as detail.

A ``ContextVar``, so threads and async tasks each see only their own intent.
Standard library only, and looked up by the audit hook through
``sys.modules["kitty_fs._intent"]``: the hook runs as a separate copy of the
guard in the audited process and must find the *program's* kitty_fs, whatever
version it is, without importing anything itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["current_intent", "write_intent"]

_INTENT: ContextVar[str | None] = ContextVar("kitty_fs_write_intent", default=None)


@contextmanager
def write_intent(target: str | os.PathLike[str]) -> Iterator[str]:
    """Declare, for the duration of the block, that writes here serve ``target``.

    Yields the absolute, symlink-resolved target. Nested blocks: the innermost wins.
    """
    path = os.path.realpath(os.fspath(target))
    token = _INTENT.set(path)
    try:
        yield path
    finally:
        _INTENT.reset(token)


def current_intent() -> str | None:
    """The absolute target declared by the innermost active ``write_intent``, or ``None``."""
    return _INTENT.get()
