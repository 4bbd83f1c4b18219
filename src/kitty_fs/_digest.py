"""SHA-1 and SHA-256 without loading OpenSSL: the interpreter's own C code, where it has it.

``import hashlib`` loads ``_hashlib``, the OpenSSL binding, and with it
libcrypto: about 3 ms of a cold command's start (4 to 5 ms on a busy machine),
paid by every command that names a lock file or derives an identity, for a
digest of a few dozen bytes. CPython also builds these hashes in C without
OpenSSL (``_sha1``; ``_sha256`` up to 3.11, ``_sha2`` from 3.12), which load in
about 0.3 ms and give the same digests. A build configured without them
(``--with-builtin-hashlib-hashes`` leaving them out) falls back to hashlib.

Bulk hashing (the tree snapshots of ``kitty_fs.testing``) keeps hashlib:
OpenSSL is faster per byte, and there the import is paid once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

__all__ = ["Digest", "sha1", "sha256"]


class Digest(Protocol):
    """What callers use of a hash object: the same calls as ``hashlib``'s."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...


_Constructor = Callable[[bytes], Digest]


def _builtin(name: str, modules: tuple[str, ...]) -> _Constructor | None:
    for module_name in modules:
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        constructor: _Constructor = getattr(module, name)
        return constructor
    return None


_SHA1: Final = _builtin("sha1", ("_sha1",))
_SHA256: Final = _builtin("sha256", ("_sha2", "_sha256"))


def _hashlib(name: str) -> _Constructor:
    import hashlib

    constructor: _Constructor = getattr(hashlib, name)
    return constructor


def sha1(data: bytes = b"") -> Digest:
    """``hashlib.sha1(data)``, without OpenSSL where the interpreter allows."""
    return (_SHA1 or _hashlib("sha1"))(data)


def sha256(data: bytes = b"") -> Digest:
    """``hashlib.sha256(data)``, without OpenSSL where the interpreter allows."""
    return (_SHA256 or _hashlib("sha256"))(data)
