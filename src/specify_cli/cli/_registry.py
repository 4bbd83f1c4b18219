"""Command declarations: every ``spec-kitty`` command states its capability where it is defined.

``read_command`` accepts only a body whose first parameter is a ``ReadContext``:
a body asking for a ``WriteContext`` is not assignable (parameters are
contravariant), so declaring a writing function as a read command is a plain
mypy error, plugin or not. ``write_command`` bodies receive a ``WriteContext``.
Declaring registers the command in ``REGISTRY``, which the dispatcher, the
``capabilities`` command and the INV-1 contract test all read: a new read
command is covered by the contract test the moment it is declared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Literal, ParamSpec

import attrs

from kitty_fs import ReadContext, WriteContext

if TYPE_CHECKING:
    from specify_cli.cli._dispatch import Invocation

__all__ = ["REGISTRY", "Capability", "Command", "read_command", "write_command"]

Capability = Literal["read", "write"]
P = ParamSpec("P")
Body = Callable[Concatenate[Any, "Invocation", P], int | None]

REGISTRY: dict[str, Command[...]] = {}


@attrs.frozen(slots=True)
class Command(Generic[P]):
    """A declared command. Calling ``run`` dispatches it with its capability."""

    name: str
    capability: Capability
    summary: str
    body: Body[P] = attrs.field(repr=False)
    # Arguments the INV-1 contract test passes (for commands with required arguments).
    contract_argv: tuple[str, ...] = ()
    # False for commands that make sense anywhere (``capabilities``): outside a
    # project they run on the current directory, still read-only and guarded.
    needs_project: bool = True

    def run(self, as_json: bool, /, *args: P.args, **kwargs: P.kwargs) -> None:
        from specify_cli.cli._dispatch import dispatch

        dispatch(self, as_json, lambda repo, inv: self.body(repo, inv, *args, **kwargs))


def _register(command: Command[P]) -> Command[P]:
    if command.name in REGISTRY:
        raise ValueError(f"command {command.name!r} declared twice")
    REGISTRY[command.name] = command
    return command


def read_command(
    name: str, summary: str, *, contract_argv: tuple[str, ...] = (), needs_project: bool = True
) -> Callable[[Callable[Concatenate[ReadContext, Invocation, P], int | None]], Command[P]]:
    """Declare ``name`` a read command: it runs with a ``ReadContext`` under the runtime guard."""

    def declare(body: Callable[Concatenate[ReadContext, Invocation, P], int | None]) -> Command[P]:
        return _register(Command(name, "read", summary, body, contract_argv, needs_project))

    return declare


def write_command(
    name: str, summary: str, *, contract_argv: tuple[str, ...] = ()
) -> Callable[[Callable[Concatenate[WriteContext, Invocation, P], int | None]], Command[P]]:
    """Declare ``name`` a write boundary: the dispatcher mints a ``WriteContext`` for it."""

    def declare(
        body: Callable[Concatenate[WriteContext, Invocation, P], int | None],
    ) -> Command[P]:
        return _register(Command(name, "write", summary, body, contract_argv))

    return declare
