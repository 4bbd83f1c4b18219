"""The dispatcher's use of the kernel layer (Linux Landlock), where the system offers it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kitty_fs._scope import WriteScope

__all__ = ["apply_kernel_layer"]


def apply_kernel_layer(
    mode: str, root: Path, side_channels: Iterable[Path], scope: WriteScope | None
) -> tuple[bool, str]:
    """Restrict this process's writes to the side channels (and scope); (applied, detail)."""
    if mode == "off":
        return False, "off (the app's policy switches the kernel layer off)"
    return False, "unavailable (this build has no kernel layer)"
