"""The dispatcher's use of the kernel layer (Linux Landlock), where the system offers it.

Applied to the process that runs one command, before its body, and inherited by
every child it starts: from then on the process tree may write only the side
channels, the command's scope and the few device files any process needs
(``default_allowed_extras``). It is irreversible, which is why an app that
runs commands inside a long-lived process (or a test runner) sets
``AppPolicy(kernel="off")`` (or ``KITTY_FS_KERNEL=off``).

A scope pattern is handed to the kernel as the nearest existing path of its
literal prefix (``kitty-specs/*/log`` gives ``kitty-specs``; a file that does
not exist yet gives its directory): the kernel allows beneath paths, not
patterns, so it is the looser net, and the audit-hook guard on top checks the
pattern itself.

A scope's files are written atomically (``kitty_fs._atomic``: a temp file, then
``rename(2)``) under a lock file, and neither lies in the scope: ``kitty_fs._scratch``
puts them where ``git status`` never looks, which for a linked worktree whose git
directory is on another filesystem is ``.kitty-fs-scratch`` above the worktree.
``scratch_paths_for`` asks ``_scratch`` the same question the writer will ask, for
each scope path, so the kernel leaves exactly those places writable (and they are
created first: once the ruleset is on, nothing could create them).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kitty_fs._errors import KittyFsError
from kitty_fs._scope import WriteScope
from kitty_fs.commands._exit import ExitCode
from kitty_fs.commands._failure import CommandFailure

__all__ = ["apply_kernel_layer", "kernel_paths_for", "scratch_paths_for"]


def kernel_paths_for(root: Path, scope: WriteScope) -> list[Path]:
    """The existing paths the kernel must leave writable so the scope can be written."""
    paths: list[Path] = []
    for prefix in scope.literal_prefixes():
        path = root / prefix if prefix else root
        while not path.exists() and path != root:
            path = path.parent
        paths.append(path)
    return paths


# Any name will do: where a target's temp and lock files go depends on its directory only.
_ANY_NAME = "kitty-fs-target"


def scratch_paths_for(root: Path, scope: WriteScope) -> list[Path]:
    """The temp and lock directories the atomic writer will use for the scope's files, made now.

    Per scope path (``kernel_paths_for``): ``_scratch.temp_dir_for`` and the
    directory of ``_scratch.lock_path_for`` for a file in it (or for it, when it
    is an existing file), the very calls ``_atomic`` makes when it writes. A temp
    dir that is the target's own directory (no repository) adds nothing for a
    directory scope, which is already writable; for an existing single-file scope
    it is left out: it would open the file's whole directory (``kernel_paths_for``
    gives the file only). Where ``_scratch`` finds no safe place (the worktree is
    a mount point) nothing is added: the write itself then fails with
    ``_scratch``'s error, which names the file and the fix. The places are
    computed at the nearest existing path of each prefix; a mount point further
    down inside the scope is not looked for.
    """
    return _scratch_places(kernel_paths_for(root, scope))


def _scratch_places(in_scope: Iterable[Path]) -> list[Path]:
    from kitty_fs._scratch import lock_path_for, temp_dir_for

    places: list[Path] = []
    for path in in_scope:
        target = path / _ANY_NAME if path.is_dir() else path
        try:
            temp = temp_dir_for(target)
            lock = lock_path_for(target).parent
        except (KittyFsError, OSError):
            continue
        if temp != target.parent:
            places.append(temp)
        places.append(lock)
    return list(dict.fromkeys(places))


def apply_kernel_layer(
    mode: str, root: Path, side_channels: Iterable[Path], scope: WriteScope | None
) -> tuple[bool, str]:
    """Restrict this process tree's writes; ``(applied, what is in effect)``."""
    if mode == "off":
        return False, "off (the app's policy switches the kernel layer off)"
    from kitty_fs._kernel import default_allowed_extras, kernel_status, restrict_writes

    status = kernel_status()
    if not status.available:
        if mode == "require":
            raise CommandFailure(
                f"the kernel layer is required but unavailable: {status.reason}",
                ExitCode.FILESYSTEM,
                "run on Linux 5.13+ with Landlock enabled, or let the app fall back to the "
                "audit-hook guard (kernel='auto')",
            )
        return False, status.describe()
    allowed: list[str | Path] = [*side_channels, *default_allowed_extras()]
    replaceable: list[Path] = []
    if scope is not None:
        in_scope = kernel_paths_for(root, scope)
        allowed += in_scope
        allowed += _scratch_places(in_scope)
        # An existing one-file scope reaches the kernel as that file; writing it is a
        # rename into its directory, which needs directory rights (see restrict_writes).
        replaceable = [path for path in in_scope if path.is_file()]
    applied = restrict_writes(allowed, replaceable=replaceable)
    return applied.applied, applied.describe()
