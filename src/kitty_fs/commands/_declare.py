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

import importlib
import inspect
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
    import string  # only scoped writes have patterns: a cold read command skips the module

    return [field for _text, field, _spec, _conv in string.Formatter().parse(pattern) if field]


def _check_segment(label: str, value: object) -> str:
    if not isinstance(value, str) or value in ("", ".", "..") or "/" in value or "\x00" in value:
        raise ValueError(
            f"{label} must be a single path segment (no '/', not '.' or '..'), not {value!r}"
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

    def scope_for(
        self, arguments: Mapping[str, object], labels: Mapping[str, str] | None = None
    ) -> WriteScope:
        """The write scope of one invocation: ``writes`` with its placeholders filled.

        ``labels``: how the front end spells each argument (``--note-slug``, ``SLUG``),
        for the message when a value is not a single segment; by default ``--name`` with
        dashes, typer's and argparse's spelling of an undeclared option.
        """
        if self.check is not None:
            self.check(arguments)
        spelled = labels or {}
        values = {
            name: _check_segment(
                spelled.get(name) or f"--{name.replace('_', '-')}", arguments.get(name)
            )
            for pattern in self.writes
            for name in _field_names(pattern)
        }
        return WriteScope.of(pattern.format_map(values) for pattern in self.writes)


class CommandRegistry:
    """The commands of one module or of a whole app, in declaration order.

    ``groups`` holds help texts for command groups (``"tracker"`` for
    ``tracker status``); ``include`` merges another registry in, and
    ``include_lazily`` names a module whose registry is imported only when one
    of its commands is needed (so a CLI's cold start pays for one command group,
    not for all of them). Everything that looks at the whole registry
    (iterating, ``len``, ``names``, ``groups``...) imports what is pending first.
    """

    def __init__(self) -> None:
        self._commands: dict[str, Command[...]] = {}
        self._groups: dict[str, str] = {}
        # First word of a command name -> "module:attribute" not imported yet.
        self._pending: dict[str, str] = {}

    def __iter__(self) -> Iterator[Command[...]]:
        self.load_all()
        return iter(self._commands.values())

    def __len__(self) -> int:
        self.load_all()
        return len(self._commands)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def __getitem__(self, name: str) -> Command[...]:
        command = self._find(name)
        if command is None:
            raise KeyError(name)
        return command

    def _find(self, name: str) -> Command[...] | None:
        # Only the module that can declare ``name`` is imported.
        if name not in self._commands and name.split(" ", 1)[0] in self._pending:
            self.load(name.split(" ", 1)[0])
        return self._commands.get(name)

    @property
    def groups(self) -> Mapping[str, str]:
        """Help text of each command group, by its words (``"tracker map"``)."""
        self.load_all()
        return self._groups

    def names(self) -> list[str]:
        return sorted(c.name for c in self)

    def of_capability(self, *capabilities: Capability) -> list[Command[...]]:
        """Commands with one of ``capabilities``, sorted by name."""
        return sorted((c for c in self if c.capability in capabilities), key=lambda c: c.name)

    def group(self, words: str, help: str) -> None:
        """Help text of the command group ``words`` (e.g. ``"tracker"``, ``"tracker map"``)."""
        self._groups[" ".join(words.split())] = help

    def add(self, command: Command[P]) -> Command[P]:
        name = " ".join(command.name.split())
        if not name or name != command.name:
            raise ValueError(f"command name {command.name!r} must be words separated by spaces")
        if name in self._commands:
            raise ValueError(f"command {name!r} declared twice")
        first = name.split(" ", 1)[0]
        if first in self._pending:
            raise ValueError(
                f"command {name!r} is declared here, but {first!r} belongs to "
                f"{self._pending[first]}, included lazily: declare it in that module"
            )
        self._commands[name] = command
        return command

    def include(self, other: CommandRegistry) -> None:
        """Add every command and group help of ``other`` (a name declared twice is an error)."""
        for command in other:
            self.add(command)
        self._groups.update(other.groups)

    def include_lazily(
        self, module: str, *, words: Sequence[str], attribute: str = "commands"
    ) -> None:
        """Include ``module``'s registry (its ``attribute``) when first needed, not now.

        ``words`` are the first words of the command names the module declares
        (``["tracker"]`` for ``tracker status``, ``tracker bind``...). The module is
        imported when a command starting with one of them is looked up, when
        ``load(word)`` is called (``typer_app(..., argv=)`` does it for the command
        line about to run), or when anything looks at the whole registry. A module
        that declares a command under another first word is refused when it loads.
        """
        if not words:
            raise ValueError(f"include_lazily({module!r}) needs the words its commands start with")
        for word in words:
            if " " in word or not word:
                raise ValueError(f"include_lazily({module!r}): {word!r} is not one word")
            taken = self._pending.get(word) or next(
                (c.name for c in self._commands.values() if c.name.split(" ", 1)[0] == word), None
            )
            if taken is not None:
                raise ValueError(
                    f"include_lazily({module!r}): {word!r} is already taken by {taken}"
                )
        for word in words:
            self._pending[word] = f"{module}:{attribute}"

    def is_pending(self, word: str) -> bool:
        """Whether ``word`` names a lazily included module not imported yet."""
        return word in self._pending

    def load(self, word: str) -> None:
        """Import the lazily included module that declares the commands starting with ``word``."""
        where = self._pending.get(word)
        if where is None:
            return
        module_name, attribute = where.split(":")
        words = sorted(w for w, m in self._pending.items() if m == where)
        for w in words:
            del self._pending[w]
        other = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(other, CommandRegistry):
            raise TypeError(
                f"{module_name}.{attribute} is a {type(other).__name__}, not a CommandRegistry"
            )
        for command in other:
            if command.name.split(" ", 1)[0] not in words:
                raise ValueError(
                    f"{module_name} declares {command.name!r}, outside the words it was included "
                    f"with ({', '.join(words)}): add {command.name.split(' ', 1)[0]!r} to words="
                )
        self.include(other)

    def only(self, word: str) -> CommandRegistry | None:
        """The commands starting with ``word`` and their groups' help, as a registry of their own.

        Imports only the module ``word`` is pending for; ``None`` when no module is
        (an eager command, an unknown word: the caller then wants the whole registry).
        """
        if word not in self._pending:
            return None
        self.load(word)
        part = CommandRegistry()
        for command in self._commands.values():
            if command.words[0] == word:
                part.add(command)
        for words, help_text in self._groups.items():
            if words.split(" ", 1)[0] == word:
                part.group(words, help_text)
        return part

    def load_all(self) -> None:
        """Import every lazily included module."""
        while self._pending:
            self.load(next(iter(self._pending)))

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
