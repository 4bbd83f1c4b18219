"""Finding the root a command acts on, and the git worktree around it, without running git."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from kitty_fs.commands._exit import ExitCode
from kitty_fs.commands._failure import CommandFailure

__all__ = ["find_root", "git_worktree_top"]

_BARE = re.compile(r"^\s*bare\s*=\s*true\s*$", re.M | re.I)


def _is_bare_repository(folder: Path) -> bool:
    """A git dir of its own (HEAD, objects/) whose config says ``bare = true``."""
    if not ((folder / "HEAD").is_file() and (folder / "objects").is_dir()):
        return False
    try:
        return _BARE.search((folder / "config").read_text(errors="replace")) is not None
    except OSError:
        return False


def find_root(
    start: Path, markers: Sequence[str] = (".git",), *, hint: str = "", kind: str = ""
) -> Path:
    """The nearest directory at or above ``start`` holding one of ``markers``.

    A marker is a file or directory name (``.git`` may be a directory, or the
    file of a linked worktree or submodule). A bare repository has no worktree
    and is refused rather than taken as a project.
    """
    try:
        here = Path(os.path.realpath(start))
    except OSError as exc:
        raise CommandFailure(
            f"cannot resolve {start}: {exc.strerror}", ExitCode.USAGE, "pass an existing directory"
        ) from exc
    if not here.is_dir():
        raise CommandFailure(
            f"{start} is not a directory", ExitCode.USAGE, "pass --repo an existing directory"
        )
    for folder in (here, *here.parents):
        if any(os.path.lexists(folder / marker) for marker in markers):
            return folder
        if _is_bare_repository(folder):
            raise CommandFailure(
                f"{folder} is a bare git repository (it has no worktree)",
                ExitCode.NOT_INITIALIZED,
                "run the command in a clone or a linked worktree of it "
                "(`git clone` or `git worktree add`)",
            )
    names = " or ".join(markers)
    raise CommandFailure(
        f"{here} is not inside a {kind or f'project (no {names} here or above)'}",
        ExitCode.NOT_INITIALIZED,
        hint or "cd into your project (or pass --repo DIR)",
    )


def git_worktree_top(root: Path) -> Path | None:
    """The top of the git worktree containing ``root`` (where ``.git`` is), or ``None``.

    A project may sit below the top of its repository (a monorepo's
    ``services/api``): anything inside the worktree, not only inside the project,
    shows in ``git status``.
    """
    from kitty_fs._scratch import worktree_of

    return worktree_of(root)
