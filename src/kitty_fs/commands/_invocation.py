"""What a command body gets besides its capability: the ``Invocation``."""

from __future__ import annotations

from pathlib import Path

import attrs

from kitty_fs._context import WriteContext
from kitty_fs.commands._output import Output

__all__ = ["Enforcement", "Invocation"]


@attrs.frozen(slots=True)
class Enforcement:
    """The layers that enforce a command's capability in this process.

    ``guard``: the audit-hook guard is active around the body. ``kernel``: the
    kernel (Landlock) restricts writes for this process and its children;
    ``kernel_detail`` says which ABI, or why the layer is off.
    """

    guard: bool
    kernel: bool
    kernel_detail: str

    def as_dict(self) -> dict[str, object]:
        return {"guard": self.guard, "kernel": self.kernel, "kernel_detail": self.kernel_detail}


@attrs.frozen(slots=True)
class Invocation:
    """One run of a command.

    ``root`` is the project root the capability is bound to; ``output`` prints
    results (one JSON object with ``--json``); ``state`` is the app's state
    directory as a ``WriteContext``, the side channel a read command may write
    (outbox, caches), never the repository.
    """

    command: str
    program: str
    root: Path
    output: Output
    enforcement: Enforcement
    _state: WriteContext | None = attrs.field(default=None, alias="state")

    @property
    def state(self) -> WriteContext:
        if self._state is None:
            raise RuntimeError(
                f"{self.program} has no state directory: set AppPolicy(state_dir=...) "
                "to give commands a side channel"
            )
        return self._state
