"""``AppPolicy``: what a dispatcher needs to know about the app it serves."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import attrs

from kitty_fs.commands._exit import documented_exit_codes
from kitty_fs.commands._failure import CommandFailure
from kitty_fs.commands._roots import find_root

__all__ = ["AppPolicy", "KernelMode"]

KernelMode = Literal["auto", "off", "require"]


@attrs.frozen(slots=True)
class AppPolicy:
    """The app's side of dispatching.

    ``program``: the name in messages (``spec-kitty tracker status: error ...``).
    ``root_markers``: names that mark a project root, searched upwards from the
    current directory (or ``--repo``); ``find_root`` replaces that search.
    ``not_found_hint``: the fix printed when no root is found, ``project_kind``
    what the message calls a project (``"git repository or notes project"``).
    ``state_dir``: returns the app's state directory, the side channel read
    commands may write (``Invocation.state``); it must lie outside every git
    worktree it serves (``side_channel_hint``: the fix printed when it is not).
    ``side_channels``: more writable places, given the root.
    ``map_error``: turns the app's own exceptions into ``CommandFailure``
    (return ``None`` for "not mine"). ``exit_codes``: the app's ``IntEnum`` of
    extra codes. ``debug_env``: the variable that makes internal errors print
    their traceback. ``kernel``: ``auto`` applies the kernel layer where the
    system offers it, ``off`` never, ``require`` refuses to run without it.
    """

    program: str
    root_markers: tuple[str, ...] = (".git",)
    find_root: Callable[[Path], Path] | None = None
    not_found_hint: str = ""
    project_kind: str = ""
    side_channel_hint: str = ""
    state_dir: Callable[[], Path] | None = None
    side_channels: Callable[[Path], Iterable[Path]] | None = None
    map_error: Callable[[BaseException], CommandFailure | None] | None = None
    exit_codes: type[enum.IntEnum] | None = None
    debug_env: str | None = None
    kernel: KernelMode = "auto"
    repo_option: bool = True

    def __attrs_post_init__(self) -> None:
        documented_exit_codes(self.exit_codes)  # refuses a value with two names now, not later

    def locate_root(self, start: Path) -> Path:
        if self.find_root is not None:
            return self.find_root(start)
        return find_root(start, self.root_markers, hint=self.not_found_hint, kind=self.project_kind)

    def exit_code_table(self) -> dict[int, str]:
        return dict(documented_exit_codes(self.exit_codes))
