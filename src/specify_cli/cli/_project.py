"""Finding the project root a command acts on, without writing and without running git."""

from __future__ import annotations

import os
import re
from pathlib import Path

from specify_cli.cli._exit import ExitCode
from specify_cli.cli._failure import CommandFailure

__all__ = ["find_project_root"]


_BARE = re.compile(r"^\s*bare\s*=\s*true\s*$", re.M | re.I)


def _is_bare_repository(folder: Path) -> bool:
    """A git dir of its own (HEAD, objects/) whose config says ``bare = true``; no git run."""
    if not ((folder / "HEAD").is_file() and (folder / "objects").is_dir()):
        return False
    try:
        return _BARE.search((folder / "config").read_text(errors="replace")) is not None
    except OSError:
        return False


def find_project_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``.kittify/`` or ``.git``.

    ``.git`` may be a directory (a normal clone) or a file (a linked worktree or
    submodule). A ``.kittify/`` below the git top level wins, since that is where
    spec-kitty keeps its state. A bare repository has neither and is refused.
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
        if (folder / ".kittify").is_dir() or (folder / ".git").exists():
            return folder
        if _is_bare_repository(folder):
            raise CommandFailure(
                f"{folder} is a bare git repository (it has no worktree)",
                ExitCode.NOT_INITIALIZED,
                "run spec-kitty in a clone or a linked worktree of it "
                "(`git clone` or `git worktree add`)",
            )
    raise CommandFailure(
        f"{here} is not inside a git repository or spec-kitty project",
        ExitCode.NOT_INITIALIZED,
        "cd into your repository (or pass --repo DIR), then run `spec-kitty init` if needed",
    )
