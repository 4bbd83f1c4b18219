"""Capabilities: ``ReadContext`` and ``WriteContext``.

Holding the object is the permission. A ``ReadContext`` reads below one root; a
``WriteContext`` is a ``ReadContext`` that can also write there. The only way to
obtain a ``WriteContext`` is ``write_boundary(root, reason=...)``: one explicit,
greppable call that names why this code may persist, like cap-std's
``ambient_authority()``. Nothing turns a ``ReadContext`` into a ``WriteContext``
(``attrs.evolve`` keeps the class, and the write class refuses construction
without the private mint token).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

import attrs

from kitty_fs._atomic import atomic_write_bytes
from kitty_fs._errors import KittyFsError, MintError
from kitty_fs._paths import RelPath, confine

__all__ = ["ReadContext", "WriteContext", "read_context", "write_boundary"]

# Private: only write_boundary() holds it, so WriteContext(...) elsewhere fails at run time
# (and the mypy plugin flags it at type-check time).
_MINT_TOKEN: Final = object()


def _absolute_root(root: str | os.PathLike[str]) -> Path:
    path = Path(os.path.realpath(os.fspath(root)))
    if not path.is_dir():
        raise KittyFsError(
            f"context root {path} is not a directory", path=path, hint="pass an existing directory"
        )
    return path


def _check_reason(_instance: object, _attribute: object, value: str) -> None:
    if not value.strip():
        raise ValueError("a context needs a non-empty reason (the command or job it serves)")


@attrs.frozen(slots=True)
class ReadContext:
    """Permission to read below ``root``, on behalf of ``reason`` (usually the command name)."""

    root: Path = attrs.field(converter=_absolute_root)
    reason: str = attrs.field(validator=_check_reason)

    @property
    def can_write(self) -> bool:
        return False

    def path(self, rel: RelPath = ".") -> Path:
        """The absolute, confined path of ``rel``; raises ``PathEscapeError`` if it leaves the root."""
        return confine(self.root, rel)

    def relative(self, absolute: Path) -> str:
        """``absolute`` as a root-relative POSIX string, for messages."""
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return str(absolute)

    def exists(self, rel: RelPath) -> bool:
        return self.path(rel).exists()

    def is_file(self, rel: RelPath) -> bool:
        return self.path(rel).is_file()

    def is_dir(self, rel: RelPath) -> bool:
        return self.path(rel).is_dir()

    def stat(self, rel: RelPath) -> os.stat_result:
        return self.path(rel).stat()

    def read_bytes(self, rel: RelPath) -> bytes:
        return self.path(rel).read_bytes()

    def read_text(self, rel: RelPath, *, encoding: str = "utf-8") -> str:
        return self.path(rel).read_text(encoding=encoding)

    def listdir(self, rel: RelPath = ".") -> list[str]:
        """Sorted entry names of a directory below the root."""
        return sorted(os.listdir(self.path(rel)))

    def read_only(self) -> ReadContext:
        """A plain ``ReadContext`` on the same root: giving up authority is always allowed."""
        return ReadContext(self.root, self.reason)


@attrs.frozen(slots=True)
class WriteContext(ReadContext):
    """Permission to read *and write* below ``root``. Mint it with ``write_boundary``."""

    _token: object = attrs.field(repr=False, eq=False, alias="_token")

    @_token.validator
    def _check_token(self, _attribute: object, value: object) -> None:
        if value is not _MINT_TOKEN:
            raise MintError(
                "WriteContext constructed directly",
                hint="mint it with kitty_fs.write_boundary(root, reason=...) at a write boundary",
            )

    @property
    def can_write(self) -> bool:
        return True

    def write_bytes(self, rel: RelPath, data: bytes) -> bool:
        """Atomically replace ``rel`` with ``data``; returns False (and writes nothing) if equal."""
        return atomic_write_bytes(self.path(rel), data)

    def write_text(self, rel: RelPath, text: str, *, encoding: str = "utf-8") -> bool:
        return self.write_bytes(rel, text.encode(encoding))

    def remove(self, rel: RelPath, *, missing_ok: bool = False) -> None:
        target = self.path(rel)
        if target == self.root:
            raise KittyFsError("refusing to remove the context root", path=target)
        mode = target.lstat().st_mode if target.exists() else None
        if mode is not None and stat.S_ISDIR(mode):
            target.rmdir()
        else:
            target.unlink(missing_ok=missing_ok)

    def mkdir(self, rel: RelPath, *, parents: bool = True, exist_ok: bool = True) -> Path:
        target = self.path(rel)
        target.mkdir(parents=parents, exist_ok=exist_ok)
        return target


def read_context(root: str | os.PathLike[str], *, reason: str) -> ReadContext:
    """A ``ReadContext`` for ``root``. Anyone may read; this needs no boundary."""
    return ReadContext(root, reason)


def write_boundary(root: str | os.PathLike[str], *, reason: str) -> WriteContext:
    """Mint a ``WriteContext``: the one explicit place where authority to persist is created.

    Call it only in a write-boundary module (a user-initiated command such as
    ``init`` or ``tracker bind``); the mypy plugin reports any other call site.
    ``reason`` names the command, and shows in logs and guard messages.
    """
    return WriteContext(root, reason, _token=_MINT_TOKEN)
