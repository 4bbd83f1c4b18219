"""The deterministic rules that complete an identity in memory.

They are pure functions of their inputs, so a read path can fill a missing
field on every run and always get the same value, with nothing persisted.
``derive_build_id`` is exactly upstream spec-kitty's rule, so an identity
completed here and one completed by upstream agree.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

from kitty_fs._digest import sha1, sha256

__all__ = [
    "BUILD_ID_NAMESPACE",
    "derive_build_id",
    "derive_node_id",
    "kebab",
    "slug_from_remote_url",
    "uuid5",
]


def uuid5(namespace: uuid.UUID, name: str) -> uuid.UUID:
    """``uuid.uuid5(namespace, name)``, computed as RFC 4122 defines it (and CPython does).

    Not ``uuid.uuid5`` itself: it imports hashlib, and with it OpenSSL, which
    costs a read command about 3 ms of its start for one SHA-1 of 60 bytes.
    """
    digest = sha1(namespace.bytes + name.encode("utf-8")).digest()
    return uuid.UUID(bytes=digest[:16], version=5)


BUILD_ID_NAMESPACE: Final = uuid5(uuid.NAMESPACE_URL, "spec-kitty:identity:build_id")
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")


def derive_build_id(project_uuid: uuid.UUID, node_id: str) -> str:
    """``str(uuid5(NS, f"{project_uuid}:{node_id}"))``: one stable build per (project, machine)."""
    return str(uuid5(BUILD_ID_NAMESPACE, f"{project_uuid}:{node_id}"))


def _hostname() -> str:
    import socket

    return socket.gethostname()


def _username() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "unknown"


def derive_node_id(hostname: str | None = None, username: str | None = None) -> str:
    """The first 12 hex characters of sha256 of ``"{hostname}:{username}"``."""
    host = _hostname() if hostname is None else hostname
    user = _username() if username is None else username
    return sha256(f"{host}:{user}".encode()).hexdigest()[:12]


def kebab(text: str) -> str:
    """Lower-case kebab: every run of characters other than ``a-z0-9`` becomes one dash."""
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def slug_from_remote_url(url: str) -> str | None:
    """The repository name of a git remote URL as a slug, ``None`` if it has none.

    Handles ``https://host/org/repo.git``, ``ssh://git@host:22/org/repo``,
    scp-like ``git@host:org/repo.git`` and local paths alike: the last path
    segment, without ``.git``.
    """
    tail = url.strip().rstrip("/")
    tail = tail.rsplit("/", 1)[-1]
    tail = tail.rsplit(":", 1)[-1]  # scp-like with no slash: git@host:repo.git
    if tail.endswith(".git"):
        tail = tail[: -len(".git")]
    return kebab(tail) or None
