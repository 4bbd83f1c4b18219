"""Pieces the guard tests share: a sample tree, all that is observable in it, a child's answer.

The audit-hook tests (``test_guard.py``, ``test_guard_events.py``) act on one
sample tree and check afterwards that a refused write changed nothing, down to
the directories' mtimes and the files' extended attributes. The tests that need
a fresh interpreter (a multiprocessing start method, the kernel layer, which
cannot be undone in the pytest worker) read the child's verdict from its last
line of stdout, as JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import subprocess
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["child_json", "populate", "sources", "tree", "with_dir_fd"]


def populate(base: Path) -> Path:
    """The files every write route expects below ``base``; ``base`` resolved.

    ``a.txt``, ``b.txt``, ``d/f.txt``, and the empty directories ``e`` and ``e2/sub``.
    """
    base.mkdir(parents=True, exist_ok=True)
    (base / "a.txt").write_text("alpha\n")
    (base / "b.txt").write_text("beta\n")
    (base / "d").mkdir()
    (base / "d" / "f.txt").write_text("in d\n")
    (base / "e").mkdir()
    (base / "e2" / "sub").mkdir(parents=True)
    return base.resolve()


def sources(base: Path) -> Path:
    """What routes copy, link or unpack from, outside every root; ``base`` resolved.

    ``s.txt``, ``tree/x.txt`` and ``a.zip`` (holding ``member.txt``).
    """
    (base / "tree").mkdir(parents=True)
    (base / "s.txt").write_text("source\n")
    (base / "tree" / "x.txt").write_text("x\n")
    with zipfile.ZipFile(base / "a.zip", "w") as archive:
        archive.writestr("member.txt", "unpacked\n")
    return base.resolve()


def tree(base: Path) -> dict[str, tuple[object, ...]]:
    """Everything observable below ``base``: mode, owner, size, times, links, content."""
    found: dict[str, tuple[object, ...]] = {}
    for path in [base, *sorted(base.rglob("*"))]:
        st = path.lstat()
        content: object = None
        if stat.S_ISREG(st.st_mode):
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            content = os.readlink(path)
        with contextlib.suppress(OSError):
            content = (content, tuple(sorted(os.listxattr(path, follow_symlinks=False))))
        key = path.relative_to(base).as_posix()
        found[key] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, content)
    return found


def with_dir_fd(base: Path, use: Callable[[int], object]) -> None:
    """``use(fd)`` for a descriptor on ``base``, the cwd elsewhere (only the fd leads to base)."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.chdir(base.parent.parent):
            use(fd)
    finally:
        os.close(fd)


def child_json(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Run ``argv`` (a child interpreter); it must exit 0. Its last stdout line, as JSON."""
    done = subprocess.run(
        list(argv),
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
