"""Declaring commands: name, summary and capability, once, where the body is defined.

A body's first parameter is its capability and its second the ``Invocation``;
the rest are the command's own arguments (typer options or arguments as
defaults, or plain parameters for a framework-neutral caller). The decorators
are typed so that the capability is checked by plain mypy, without the plugin:

* ``@commands.read(...)`` takes only a body whose first parameter accepts a
  ``ReadContext``. A body asking for a ``WriteContext`` is not assignable
  (parameters are contravariant): declaring a writer as a reader is an error.
* ``@commands.scoped_write(..., writes=[...])`` bodies get a
  ``ScopedWriteContext``, which is no ``WriteContext``: such a body cannot call
  ``save_config`` nor hand its capability to code that needs the whole root.
* ``@commands.write(...)`` bodies get a full ``WriteContext`` (``init``-like).

A ``CommandRegistry`` is a plain object: a module declares into its own
registry, and the app assembles the modules' registries with ``include``; no
global is filled behind anyone's back.
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Literal, ParamSpec

import attrs

from kitty_fs._context import ReadContext, ScopedWriteContext, WriteContext
from kitty_fs._scope import WriteScope, scope_pattern

if TYPE_CHECKING:
    from kitty_fs.commands._invocation import Invocation

__all__ = ["Capability", "Command", "CommandRegistry"]

Capability = Literal["read", "scoped-write", "write"]
P = ParamSpec("P")
Body = Callable[Concatenate[Any, "Invocation", P], int | None]


def _field_names(pattern: str) -> list[str]:
    return [field for _text, field, _spec, _conv in string.Formatter().parse(pattern) if field]


def _check_segment(option: str, value: object) -> str:
    if not isinstance(value, str) or value in ("", ".", "..") or "/" in value or "\x00" in value:
        raise ValueError(
            f"{option} must be a single path segment (no '/', not '.' or '..'), not {value!r}"
        )
    return value


@attrs.frozen(slots=True)
class Command(Generic[P]):
    """One declared command.

    ``writes`` (scoped writers only) are scope patterns relative to the root;
    ``{name}`` placeholders are filled from the command's arguments at dispatch,
    each value a single path segment; ``check`` validates those arguments first.
    ``contract_argv`` is what the contract test passes to a command with required
    arguments. ``needs_project=False`` lets a
    read command run outside any project (on the current directory).
    """

    name: str
    capability: Capability
    summary: str
    body: Body[P] = attrs.field(repr=False)
    writes: tuple[str, ...] = ()
    contract_argv: tuple[str, ...] = ()
    needs_project: bool = True
    # Scoped writers: validates the arguments the scope is built from, before it is
    # (raise CommandFailure with the app's own message and fix).
    check: Callable[[Mapping[str, object]], None] | None = attrs.field(default=None, repr=False)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.split())

    @property
    def help(self) -> str:
        """The body's docstring (or the summary), for ``--help``."""
        doc = inspect.cleandoc(self.body.__doc__ or "")
        return doc or self.summary

    def scope_for(self, arguments: Mapping[str, object]) -> WriteScope:
        """The write scope of one invocation: ``writes`` with its placeholders filled."""
        if self.check is not None:
            self.check(arguments)
        values = {
            name: _check_segment(f"--{name.replace('_', '-')}", arguments.get(name))
            for pattern in self.writes
            for name in _field_names(pattern)
        }
        return WriteScope.of(pattern.format_map(values) for pattern in self.writes)


class CommandRegistry:
    """The commands of one module or of a whole app, in declaration order.

    ``groups`` holds help texts for command groups (``"tracker"`` for
    ``tracker status``); ``include`` merges another registry in.
    """

    def __init__(self) -> None:
        self._commands: dict[str, Command[...]] = {}
        self.groups: dict[str, str] = {}

    def __iter__(self) -> Iterator[Command[...]]:
        return iter(self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)

    def __contains__(self, name: object) -> bool:
        return name in self._commands

    def __getitem__(self, name: str) -> Command[...]:
        return self._commands[name]

    def names(self) -> list[str]:
        return sorted(self._commands)

    def of_capability(self, *capabilities: Capability) -> list[Command[...]]:
        """Commands with one of ``capabilities``, sorted by name."""
        return sorted(
            (c for c in self._commands.values() if c.capability in capabilities),
            key=lambda c: c.name,
        )

    def group(self, words: str, help: str) -> None:
        """Help text of the command group ``words`` (e.g. ``"tracker"``, ``"tracker map"``)."""
        self.groups[" ".join(words.split())] = help

    def add(self, command: Command[P]) -> Command[P]:
        name = " ".join(command.name.split())
        if not name or name != command.name:
            raise ValueError(f"command name {command.name!r} must be words separated by spaces")
        if name in self._commands:
            raise ValueError(f"command {name!r} declared twice")
        self._commands[name] = command
        return command

    def include(self, other: CommandRegistry) -> None:
        """Add every command and group help of ``other`` (a name declared twice is an error)."""
        for command in other:
            self.add(command)
        self.groups.update(other.groups)

    def read(
        self,
        name: str,
        summary: str,
        *,
        contract_argv: Sequence[str] = (),
        needs_project: bool = True,
    ) -> Callable[[Callable[Concatenate[ReadContext, Invocation, P], int | None]], Command[P]]:
        """Declare a read command: it gets a ``ReadContext`` and runs under enforcement."""

        def declare(
            body: Callable[Concatenate[ReadContext, Invocation, P], int | None],
        ) -> Command[P]:
            command = Command(name, "read", summary, body, (), tuple(contract_argv), needs_project)
            return self.add(command)

        return declare

    def scoped_write(
        self,
        name: str,
        summary: str,
        *,
        writes: Sequence[str],
        contract_argv: Sequence[str] = (),
        check: Callable[[Mapping[str, object]], None] | None = None,
    ) -> Callable[
        [Callable[Concatenate[ScopedWriteContext, Invocation, P], int | None]], Command[P]
    ]:
        """Declare a writer of ``writes`` only: it gets a ``ScopedWriteContext`` for them.

        Everything else below the root stays as protected as for a read command
        (the guard refuses it, and the kernel layer where it is on).
        """
        patterns = tuple(writes)
        if not patterns:
            raise ValueError(f"scoped write command {name!r} needs at least one writes= pattern")
        for pattern in patterns:
            scope_pattern(pattern.replace("{", "").replace("}", ""))

        def declare(
            body: Callable[Concatenate[ScopedWriteContext, Invocation, P], int | None],
        ) -> Command[P]:
            command = Command(
                name, "scoped-write", summary, body, patterns, tuple(contract_argv), check=check
            )
            return self.add(command)

        return declare

    def write(
        self, name: str, summary: str, *, contract_argv: Sequence[str] = ()
    ) -> Callable[[Callable[Concatenate[WriteContext, Invocation, P], int | None]], Command[P]]:
        """Declare a write boundary: the dispatcher mints a ``WriteContext`` on the whole root."""

        def declare(
            body: Callable[Concatenate[WriteContext, Invocation, P], int | None],
        ) -> Command[P]:
            return self.add(Command(name, "write", summary, body, (), tuple(contract_argv)))

        return declare
