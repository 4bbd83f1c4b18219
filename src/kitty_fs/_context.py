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

import attrs

from kitty_fs._atomic import atomic_write_bytes
from kitty_fs._errors import KittyFsError, MintError
from kitty_fs._paths import RelPath, confine

__all__ = ["ReadContext", "WriteContext", "read_context", "write_boundary"]


@attrs.frozen(slots=True)
class _Mint:
    """Proof that ``write_boundary`` minted a ``WriteContext`` for ``root``.

    Private: only ``write_boundary`` makes one, so ``WriteContext(...)`` elsewhere
    fails at run time (and the mypy plugin flags it at type-check time). It is
    bound to the root so that ``attrs.evolve(ctx, root=elsewhere)`` cannot carry
    write authority over to a directory nobody granted it for.
    """

    root: Path


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
        """The absolute, confined path of ``rel``; ``PathEscapeError`` if it leaves the root."""
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
        return sorted(entry.name for entry in self.path(rel).iterdir())

    def read_only(self) -> ReadContext:
        """A plain ``ReadContext`` on the same root: giving up authority is always allowed."""
        return ReadContext(self.root, self.reason)


@attrs.frozen(slots=True)
class WriteContext(ReadContext):
    """Permission to read *and write* below ``root``. Mint it with ``write_boundary``."""

    _token: object = attrs.field(default=None, repr=False, eq=False, alias="_token")

    @_token.validator
    def _check_token(self, _attribute: object, value: object) -> None:
        # attrs runs validators after every field is set, so self.root is the converted root.
        if not isinstance(value, _Mint):
            raise MintError(
                "WriteContext constructed directly",
                hint="mint it with kitty_fs.write_boundary(root, reason=...) at a write boundary",
            )
        if value.root != self.root:
            raise MintError(
                f"WriteContext minted for {value.root} cannot be re-rooted at {self.root}",
                path=self.root,
                hint="call kitty_fs.write_boundary for the other root at a write boundary",
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
        """Remove the file, symlink or empty directory ``rel``.

        A symlink is removed itself, never the file it points to (as ``os.remove``
        does): following it would delete a file under another name.
        """
        target = confine(self.root, rel, follow_symlinks=False)
        if target == self.root:
            raise KittyFsError("refusing to remove the context root", path=target)
        try:
            mode = target.lstat().st_mode
        except FileNotFoundError:
            if missing_ok:
                return
            raise
        if stat.S_ISDIR(mode):
            target.rmdir()
        else:
            target.unlink()

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
    absolute = _absolute_root(root)
    return WriteContext(absolute, reason, _token=_Mint(absolute))
