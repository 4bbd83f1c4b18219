"""The typer integration: each declared command becomes a typer command, declared nowhere else.

The CLI function typer sees is made from the body: same parameters after the
capability and the ``Invocation`` (typer options and arguments are their
defaults, as in any typer app), plus ``--json``; its docstring is the body's,
with the capability appended so ``--help`` says what the command may change.
Calling it dispatches the command. typer is imported only here, and only when
an app builds its typer front end (``pip install kitty-fs[typer]``).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kitty_fs.commands._declare import Command

if TYPE_CHECKING:
    import typer

    from kitty_fs.commands._dispatch import Dispatcher

__all__ = ["JSON_HELP", "typer_app"]

JSON_HELP = (
    'Print one JSON object on stdout: {"ok": true, "command": ..., ...} or '
    '{"ok": false, "error": {"code", "message", "hint", "exit_code"}}.'
)

_CAPABILITY_NOTE = {
    "read": "Capability: read (runs under enforcement; never changes the worktree).",
    "scoped-write": "Capability: scoped write (may change only: {scope}).",
    "write": "Capability: write (a write boundary: may change the project).",
}


def capability_note(command: Command[...]) -> str:
    return _CAPABILITY_NOTE[command.capability].format(scope=", ".join(command.writes))


# The parameter of the generated typer function that receives typer's context.
_CONTEXT = "kitty_fs_typer_context"


def _annotation(body: Any, parameter: inspect.Parameter) -> object:
    """The parameter's annotation as an object (the body may use postponed annotations)."""
    annotation = parameter.annotation
    if isinstance(annotation, str):
        namespace = dict(getattr(body, "__globals__", {}))
        try:
            return eval(annotation, namespace)  # noqa: S307 (the body's own annotation text)
        except Exception as exc:
            raise TypeError(
                f"cannot evaluate the annotation {annotation!r} of parameter "
                f"{parameter.name!r} of {body.__qualname__}: {exc}; import the type at run time"
            ) from exc
    return annotation


def _cli_function(dispatcher: Dispatcher, command: Command[...]) -> Any:
    import typer

    signature = inspect.signature(command.body)
    own = list(signature.parameters.values())[2:]
    if any(p.name == "as_json" for p in own):
        raise TypeError(f"{command.name}: 'as_json' is reserved for the --json option")
    if any(p.name == _CONTEXT for p in own):
        raise TypeError(f"{command.name}: {_CONTEXT!r} is reserved for the typer context")
    parameters = [
        p.replace(annotation=_annotation(command.body, p), kind=inspect.Parameter.KEYWORD_ONLY)
        for p in own
    ]
    parameters.append(
        inspect.Parameter(
            "as_json",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(False, "--json", help=JSON_HELP),
            annotation=bool,
        )
    )
    parameters.append(
        inspect.Parameter(_CONTEXT, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
    )

    def cli(**kwargs: Any) -> None:
        as_json = bool(kwargs.pop("as_json", False))
        context: typer.Context = kwargs.pop(_CONTEXT)
        dispatcher.exit(command.name, kwargs, as_json=as_json, labels=_labels(context))

    cli.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    cli.__annotations__ = {p.name: p.annotation for p in parameters}
    cli.__doc__ = f"{command.help}\n\n{capability_note(command)}"
    cli.__name__ = command.name.replace(" ", "_").replace("-", "_")
    return cli


def _labels(context: Any) -> dict[str, str]:
    """How the user types each parameter of the running command, as typer built it.

    An option: its first long flag (else its first flag); an argument: its metavar or
    upper-case name. Typer has already read the body's defaults and ``Annotated``
    metadata, so every spelling it accepts is covered without reading them again here.
    """
    labels: dict[str, str] = {}
    for parameter in context.command.params:
        if parameter.name is None:
            continue
        if parameter.param_type_name == "option":
            flags = [*parameter.opts, *parameter.secondary_opts]
            labels[parameter.name] = next((f for f in flags if f.startswith("--")), flags[0])
        else:
            labels[parameter.name] = parameter.metavar or parameter.name.upper()
    return labels


def _first_word(argv: Sequence[str], value_options: frozenset[str]) -> str | None:
    """The first command word of ``argv`` (``sync`` in ``--repo X sync status``), if plain."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in value_options:
            skip = True
        elif token.startswith("-"):
            if token.split("=", 1)[0] not in value_options:
                return None  # --help, or an option typer will judge: build everything
        else:
            return token
    return None


def typer_app(
    dispatcher: Dispatcher, *, help: str = "", argv: Sequence[str] | None = None
) -> typer.Typer:
    """A typer application with the commands of the dispatcher's registry.

    Groups come from the command names (``tracker map list`` lives in group
    ``tracker``, subgroup ``map``); their help from ``registry.group(...)``.
    With ``policy.repo_option`` a global ``--repo DIR`` picks the project.

    ``argv`` is the command line about to be parsed (``sys.argv[1:]``): when its
    first word names a module included with ``include_lazily``, only that module
    is imported and only its commands are built, so a cold start pays for one
    group. Without it (or for ``--help``, or any other word) the app has them all.
    """
    import typer

    value_options = frozenset({"--repo"} if dispatcher.policy.repo_option else ())
    word = None if argv is None else _first_word(argv, value_options)
    part = None if word is None else dispatcher.registry.only(word)
    shown = dispatcher.registry if part is None else part

    def new_group(help_text: str) -> typer.Typer:
        return typer.Typer(
            help=help_text,
            no_args_is_help=True,
            add_completion=False,
            pretty_exceptions_enable=False,
            rich_markup_mode=None,
        )

    app = new_group(help)
    if dispatcher.policy.repo_option:

        @app.callback()
        def _root(
            repo: Path | None = typer.Option(
                None,
                "--repo",
                help="Project directory to act on (default: the current directory; the root "
                "is found by walking up from it).",
            ),
        ) -> None:
            dispatcher.start = repo

    groups: dict[tuple[str, ...], typer.Typer] = {(): app}

    def group_of(words: tuple[str, ...]) -> typer.Typer:
        if words not in groups:
            parent = group_of(words[:-1])
            child = new_group(shown.groups.get(" ".join(words), ""))
            parent.add_typer(child, name=words[-1])
            groups[words] = child
        return groups[words]

    for command in sorted(shown, key=lambda c: c.name):
        *path, leaf = command.words
        group_of(tuple(path)).command(leaf, short_help=command.summary)(
            _cli_function(dispatcher, command)
        )
    return app
