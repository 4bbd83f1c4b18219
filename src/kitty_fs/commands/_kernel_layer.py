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
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kitty_fs._scope import WriteScope
from kitty_fs.commands._exit import ExitCode
from kitty_fs.commands._failure import CommandFailure

__all__ = ["apply_kernel_layer", "kernel_paths_for"]


def kernel_paths_for(root: Path, scope: WriteScope) -> list[Path]:
    """The existing paths the kernel must leave writable so the scope can be written."""
    paths: list[Path] = []
    for prefix in scope.literal_prefixes():
        path = root / prefix if prefix else root
        while not path.exists() and path != root:
            path = path.parent
        paths.append(path)
    return paths


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
    if scope is not None:
        allowed += kernel_paths_for(root, scope)
    applied = restrict_writes(allowed)
    return applied.applied, applied.describe()
