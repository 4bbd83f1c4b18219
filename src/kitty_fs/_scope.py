"""Write scopes: the paths below a root that an attenuated capability may change.

A scope is a tuple of root-relative patterns. A pattern names a subtree: it
matches the path it spells and everything beneath it. Segments may hold shell
globs (``*``, ``?``, ``[...]``), matched one segment at a time, so ``*`` never
crosses ``/`` (``kitty-specs/*/status.events.jsonl`` does not reach a nested
folder's file of the same name). ``**`` is deliberately not supported: a scope
should be as narrow as the command's real writes, and a pattern that can match
at any depth is how narrow scopes quietly become whole-repository ones.

Why patterns and not directories only: a command such as ``agent status emit``
writes one file of a mission (its status log) and must not touch the mission's
``spec.md``; a directory scope would hand it the whole mission.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from pathlib import PurePosixPath

import attrs

__all__ = ["WriteScope", "scope_pattern"]

_GLOB_CHARS = frozenset("*?[")


def _has_glob(segment: str) -> bool:
    return any(char in _GLOB_CHARS for char in segment)


def scope_pattern(text: str) -> str:
    """``text`` as a normalised scope pattern, or ``ValueError`` saying why it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a write scope pattern must be a non-empty relative path")
    if "\x00" in text:
        raise ValueError(f"write scope pattern {text!r} contains a NUL byte")
    pure = PurePosixPath(text)
    if pure.is_absolute() or text.startswith("\\"):
        raise ValueError(f"write scope pattern {text!r} must be relative to the root")
    parts = [part for part in pure.parts if part != "."]
    if not parts:
        raise ValueError(f"write scope pattern {text!r} names the whole root; use WriteContext")
    if ".." in parts:
        raise ValueError(f"write scope pattern {text!r} may not contain '..'")
    if "**" in parts:
        raise ValueError(f"write scope pattern {text!r}: '**' is not supported (name each level)")
    return "/".join(parts)


def _segments_match(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if len(path) < len(pattern):
        return False
    return all(
        fnmatch.fnmatchcase(part, glob) if _has_glob(glob) else part == glob
        for part, glob in zip(path, pattern, strict=False)
    )


def _normalised(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(scope_pattern(p) for p in items))


@attrs.frozen(slots=True)
class WriteScope:
    """The patterns an attenuated capability may write, relative to its root."""

    patterns: tuple[str, ...] = attrs.field(converter=_normalised)

    @patterns.validator
    def _non_empty(self, _attribute: object, value: tuple[str, ...]) -> None:
        if not value:
            raise ValueError("a write scope needs at least one pattern")

    @classmethod
    def of(cls, patterns: Iterable[str]) -> WriteScope:
        return cls(tuple(patterns))

    def __str__(self) -> str:
        return ", ".join(self.patterns)

    def allows(self, rel: str) -> bool:
        """Whether root-relative POSIX path ``rel`` lies in the scope."""
        parts = tuple(part for part in PurePosixPath(rel).parts if part != ".")
        return any(_segments_match(parts, tuple(p.split("/"))) for p in self.patterns)

    def allows_absolute(self, root: str, path: str) -> bool:
        """Whether absolute, resolved ``path`` lies in the scope of a capability on ``root``."""
        prefix = root if root.endswith(os.sep) else root + os.sep
        if not path.startswith(prefix):
            return False
        return self.allows(path[len(prefix) :].replace(os.sep, "/"))

    def within(self, other: WriteScope) -> bool:
        """Whether every pattern here is covered by one of ``other``'s (attenuation check).

        A pattern is covered when, read as a path, it matches a pattern of
        ``other``: a glob segment here must meet the very same glob there (a
        literal there cannot cover a glob here, which could match more).
        """
        return all(
            any(
                _covers(tuple(mine.split("/")), tuple(theirs.split("/")))
                for theirs in other.patterns
            )
            for mine in self.patterns
        )

    def literal_prefixes(self) -> tuple[str, ...]:
        """Per pattern, its leading segments without globs (``a/*/b`` gives ``a``).

        The kernel layer allows writes beneath directories, not patterns: it is
        given these prefixes (looser), while the audit-hook guard checks the
        patterns themselves.
        """
        prefixes = []
        for pattern in self.patterns:
            literal = []
            for segment in pattern.split("/"):
                if _has_glob(segment):
                    break
                literal.append(segment)
            prefixes.append("/".join(literal))
        return tuple(dict.fromkeys(prefixes))


def _covers(mine: tuple[str, ...], theirs: tuple[str, ...]) -> bool:
    if len(mine) < len(theirs):
        return False
    for part, glob in zip(mine, theirs, strict=False):
        if _has_glob(part):
            if part != glob:
                return False
        elif not (fnmatch.fnmatchcase(part, glob) if _has_glob(glob) else part == glob):
            return False
    return True
