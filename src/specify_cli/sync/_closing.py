"""``with`` support for the sync objects that own one resource and release it in ``close``.

``SaasClient`` (an HTTP connection pool) and ``Outbox`` (a SQLite connection)
are used the same way: ``with X(...) as x:`` and the resource is released on
the way out, whether the block raised or not. The exception is never
swallowed, so ``__exit__`` ignores what it is given.
"""

from __future__ import annotations

from typing import Self

__all__ = ["Closing"]


class Closing:
    """Base of a class whose ``with`` block ends by calling its ``close``."""

    __slots__ = ()

    def close(self) -> None:
        """Release the resource; a subclass must say how."""
        raise NotImplementedError(f"{type(self).__name__} must define close()")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
