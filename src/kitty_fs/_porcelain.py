"""Parsing ``git status --porcelain -z``: the one parser every part of kitty_fs uses.

Each record is ``XY path``; a rename or copy (``R``/``C`` in either column) is
followed by a second NUL-terminated field, its source. Paths are relative to
the top of the worktree and may be any bytes: they are decoded with the
filesystem encoding (``surrogateescape``), so nothing is lost.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Porcelain", "PorcelainEntry", "parse_porcelain"]


@dataclass(frozen=True, slots=True)
class PorcelainEntry:
    """One path git reports: its two status letters, the path and a rename's source."""

    status: str
    path: str
    source: str | None = None

    @property
    def is_rename(self) -> bool:
        return "R" in self.status

    def __str__(self) -> str:
        text = f"{self.status} {self.path}"
        return f"{text} (from {self.source})" if self.source is not None else text


@dataclass(frozen=True, slots=True)
class Porcelain:
    """The entries of one ``git status --porcelain -z`` output, in git's order."""

    entries: tuple[PorcelainEntry, ...]

    def __iter__(self) -> Iterator[PorcelainEntry]:
        return iter(self.entries)

    def paths(self) -> list[str]:
        """Every changed path, a rename's source included (it is removed: a change too)."""
        found: list[str] = []
        for entry in self.entries:
            found.append(entry.path)
            if entry.source is not None and entry.is_rename:
                found.append(entry.source)
        return found


def parse_porcelain(raw: bytes) -> Porcelain:
    fields = raw.split(b"\0")
    entries: list[PorcelainEntry] = []
    i = 0
    while i < len(fields):
        record = fields[i]
        i += 1
        if not record:
            continue
        text = os.fsdecode(record)
        status, path = text[:2], text[3:]
        source = None
        if "R" in status or "C" in status:
            source = os.fsdecode(fields[i]) if i < len(fields) else "?"
            i += 1
        entries.append(PorcelainEntry(status, path, source))
    return Porcelain(tuple(entries))
