"""Capabilities: ``ReadContext`` and ``WriteContext``.

Holding the object is the permission. A ``ReadContext`` reads below one root; a
``WriteContext`` is a ``ReadContext`` that can also write there. The only way to
obtain a ``WriteContext`` is ``write_boundary(root, reason=...)``: one explicit,
greppable call that names why this code may persist, like cap-std's
``ambient_authority()``. Nothing turns a ``ReadContext`` into a ``WriteContext``
(``attrs.evolve`` keeps the class, and the write class refuses construction
without the private mint token).

Attenuation, as cap-std's ``Dir::open_dir``: ``WriteContext.scoped(patterns)``
hands out a ``ScopedWriteContext``, which reads the whole root but writes only
beneath the given patterns. It is *not* a ``WriteContext``, so code holding it
cannot call ``save_config`` or any function that asks for full write authority:
that is a type error, and its own write methods refuse paths outside the scope
at run time. ``ScopedWriteContext.scoped`` narrows further; nothing widens.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

import attrs

from kitty_fs._atomic import atomic_write_bytes
from kitty_fs._errors import KittyFsError, MintError, ScopeViolation
from kitty_fs._paths import RelPath, confine
from kitty_fs._scope import WriteScope

__all__ = ["ReadContext", "ScopedWriteContext", "WriteContext", "read_context", "write_boundary"]


@attrs.frozen(slots=True)
class _Mint:
    """Proof that ``write_boundary`` minted a ``WriteContext`` for ``root``.

    Private: only ``write_boundary`` makes one, so ``WriteContext(...)`` elsewhere
    fails at run time (and the mypy plugin flags it at type-check time). It is
    bound to the root so that ``attrs.evolve(ctx, root=elsewhere)`` cannot carry
    write authority over to a directory nobody granted it for.
    """

    root: Path
    # None for a full WriteContext; the scope a ScopedWriteContext was attenuated to.
    scope: WriteScope | None = None


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
        if not isinstance(value, _Mint) or value.scope is not None:
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

    def write_bytes(self, rel: RelPath, data: bytes, *, durable: bool = True) -> bool:
        """Atomically replace ``rel`` with ``data``; returns False (and writes nothing) if equal.

        ``durable=False`` skips the fsyncs: still atomic for readers and against a
        killed writer, but a power loss may leave the old bytes. For files the
        program rewrites anyway (a daemon's snapshot), not for anything a user keeps.
        """
        return atomic_write_bytes(self.path(rel), data, durable=durable)

    def write_text(
        self, rel: RelPath, text: str, *, encoding: str = "utf-8", durable: bool = True
    ) -> bool:
        return self.write_bytes(rel, text.encode(encoding), durable=durable)

    def append_bytes(self, rel: RelPath, data: bytes) -> None:
        """Append ``data`` to ``rel`` (created if missing) in one ``write``, then fsync."""
        _append(self.path(rel), data)

    def append_text(self, rel: RelPath, text: str, *, encoding: str = "utf-8") -> None:
        self.append_bytes(rel, text.encode(encoding))

    def remove(self, rel: RelPath, *, missing_ok: bool = False) -> None:
        """Remove the file, symlink or empty directory ``rel``.

        A symlink is removed itself, never the file it points to (as ``os.remove``
        does): following it would delete a file under another name.
        """
        _remove(self.root, rel, missing_ok=missing_ok)

    def mkdir(self, rel: RelPath, *, parents: bool = True, exist_ok: bool = True) -> Path:
        target = self.path(rel)
        target.mkdir(parents=parents, exist_ok=exist_ok)
        return target

    def scoped(self, patterns: Iterable[str], *, reason: str | None = None) -> ScopedWriteContext:
        """Attenuate: a capability that may write only beneath ``patterns`` (see ``WriteScope``)."""
        scope = WriteScope.of(patterns)
        return ScopedWriteContext(
            self.root, reason or self.reason, scope, _token=_Mint(self.root, scope)
        )


@attrs.frozen(slots=True)
class ScopedWriteContext(ReadContext):
    """Permission to read below ``root`` and to write only inside ``scope``.

    Obtained from ``WriteContext.scoped`` (or a command declared with a write
    scope). Deliberately not a ``WriteContext``: ``save_config`` and every
    function that needs the whole repository reject it at type-check time.
    """

    scope: WriteScope
    _token: object = attrs.field(default=None, repr=False, eq=False, alias="_token")

    @_token.validator
    def _check_token(self, _attribute: object, value: object) -> None:
        if not isinstance(value, _Mint) or value.scope is None:
            raise MintError(
                "ScopedWriteContext constructed directly",
                hint="attenuate a WriteContext with ctx.scoped(patterns)",
            )
        if value.root != self.root or value.scope != self.scope:
            raise MintError(
                f"ScopedWriteContext minted for {value.root} ({value.scope}) cannot be "
                f"re-rooted or re-scoped to {self.root} ({self.scope})",
                path=self.root,
                hint="attenuate a WriteContext that holds the wider authority",
            )

    @property
    def can_write(self) -> bool:
        return True

    def allows(self, rel: RelPath) -> bool:
        """Whether a write to ``rel`` is inside this capability's scope."""
        return self.scope.allows_absolute(os.fspath(self.root), os.fspath(self.path(rel)))

    def _checked(self, rel: RelPath, operation: str, *, follow_symlinks: bool = True) -> Path:
        target = confine(self.root, rel, follow_symlinks=follow_symlinks)
        if not self.scope.allows_absolute(os.fspath(self.root), os.fspath(target)):
            raise ScopeViolation(
                f"{self.reason} may write only {self.scope}; refused to {operation} "
                f"{self.relative(target)}",
                operation=operation,
                path=target,
                reason=self.reason,
                hint="write inside the command's declared scope, or declare the path in it",
            )
        return target

    def write_bytes(self, rel: RelPath, data: bytes, *, durable: bool = True) -> bool:
        """Atomically replace ``rel`` (inside the scope) with ``data``; False if unchanged."""
        return atomic_write_bytes(self._checked(rel, "write"), data, durable=durable)

    def write_text(
        self, rel: RelPath, text: str, *, encoding: str = "utf-8", durable: bool = True
    ) -> bool:
        return self.write_bytes(rel, text.encode(encoding), durable=durable)

    def append_bytes(self, rel: RelPath, data: bytes) -> None:
        _append(self._checked(rel, "append to"), data)

    def append_text(self, rel: RelPath, text: str, *, encoding: str = "utf-8") -> None:
        self.append_bytes(rel, text.encode(encoding))

    def remove(self, rel: RelPath, *, missing_ok: bool = False) -> None:
        self._checked(rel, "remove", follow_symlinks=False)
        _remove(self.root, rel, missing_ok=missing_ok)

    def mkdir(self, rel: RelPath, *, parents: bool = True, exist_ok: bool = True) -> Path:
        """Create ``rel`` (inside the scope); missing parents only if they are in scope too."""
        target = self._checked(rel, "create directory")
        if parents:
            missing = [p for p in (target, *target.parents) if not p.exists()]
            for folder in missing:
                if not self.scope.allows_absolute(os.fspath(self.root), os.fspath(folder)):
                    raise ScopeViolation(
                        f"{self.reason} may write only {self.scope}; refused to create "
                        f"directory {self.relative(folder)} (a missing parent of "
                        f"{self.relative(target)})",
                        operation="create directory",
                        path=folder,
                        reason=self.reason,
                        hint="create the parent at a wider boundary, or widen the scope",
                    )
        target.mkdir(parents=parents, exist_ok=exist_ok)
        return target

    def scoped(self, patterns: Iterable[str], *, reason: str | None = None) -> ScopedWriteContext:
        """Narrow further: every new pattern must lie inside this scope."""
        scope = WriteScope.of(patterns)
        if not scope.within(self.scope):
            raise MintError(
                f"cannot widen a write scope: {scope} is not inside {self.scope}",
                path=self.root,
                hint="attenuate from the WriteContext that holds the wider authority",
            )
        return ScopedWriteContext(
            self.root, reason or self.reason, scope, _token=_Mint(self.root, scope)
        )

    def read_only(self) -> ReadContext:
        return ReadContext(self.root, self.reason)


def _append(target: Path, data: bytes) -> None:
    """One ``O_APPEND`` write, fsynced: concurrent appenders never interleave within a line.

    Linux holds the inode lock for a whole ``write`` to a regular file, so each
    record lands in one piece; no scratch file is needed, and a killed appender
    leaves at most the records it completed.
    """
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(root: Path, rel: RelPath, *, missing_ok: bool) -> None:
    target = confine(root, rel, follow_symlinks=False)
    if target == root:
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
