"""``CommandRegistry.include_lazily``: a command line imports only its own command module.

Real module files on ``sys.path`` (each test writes its own, under a name no
other test uses, so ``sys.modules`` never answers for a module that was not
imported here), a real typer app run through ``typer.testing``.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kitty_fs.commands import AppPolicy, CommandRegistry, Dispatcher, typer_app
from kitty_fs.testing import make_git_repo

MODULE = """\
from kitty_fs.commands import CommandRegistry, Invocation, ReadContext

commands = CommandRegistry()
commands.group("{word}", "The {word} commands.")


@commands.read("{word} hello", "Say hello.")
def hello(repo: ReadContext, inv: Invocation) -> int:
    inv.output.result({{"hello": "{word}"}}, ["hello from {word}"])
    return 0
"""

MakeModule = Callable[..., str]


@pytest.fixture
def make_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeModule:
    """Write a command module declaring ``<word> hello`` (or ``text``); its unique name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(word: str, text: str = MODULE) -> str:
        name = f"lazy_cmds_{word.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text).format(word=word))
        return name

    return make


def test_a_lazy_module_is_imported_only_when_one_of_its_commands_is_looked_up(
    make_module: MakeModule,
) -> None:
    notes, tags = make_module("notes"), make_module("tags")
    registry = CommandRegistry()
    registry.include_lazily(notes, words=["notes"])
    registry.include_lazily(tags, words=["tags"])
    assert notes not in sys.modules and tags not in sys.modules

    assert registry["notes hello"].capability == "read"
    assert notes in sys.modules
    assert tags not in sys.modules
    assert registry.is_pending("tags") and not registry.is_pending("notes")

    assert registry.names() == ["notes hello", "tags hello"]  # the whole view loads the rest
    assert tags in sys.modules
    assert registry.groups == {"notes": "The notes commands.", "tags": "The tags commands."}


def test_an_unknown_name_under_a_lazy_word_is_missing_after_that_module_loaded(
    make_module: MakeModule,
) -> None:
    notes = make_module("notes")
    registry = CommandRegistry()
    registry.include_lazily(notes, words=["notes"])
    assert "notes nope" not in registry
    assert notes in sys.modules
    with pytest.raises(KeyError):
        registry["notes nope"]


def test_a_module_declaring_outside_its_words_is_refused_with_the_fix(
    make_module: MakeModule,
) -> None:
    stray = make_module(
        "notes",
        MODULE.replace('"{word} hello"', '"other hello"'),
    )
    registry = CommandRegistry()
    registry.include_lazily(stray, words=["notes"])
    with pytest.raises(ValueError, match=r"declares 'other hello'.*add 'other' to words="):
        registry.load_all()


def test_a_word_may_belong_to_one_module_only(make_module: MakeModule) -> None:
    registry = CommandRegistry()
    registry.include_lazily(make_module("notes"), words=["notes"])
    with pytest.raises(ValueError, match="'notes' is already taken"):
        registry.include_lazily(make_module("notes"), words=["notes"])

    def status(repo: object, inv: object) -> int:
        return 0

    registry.read("status", "An eager command.")(status)

    with pytest.raises(ValueError, match="'status' is already taken by status"):
        registry.include_lazily(make_module("status"), words=["status"])
    with pytest.raises(ValueError, match="included lazily: declare it in that module"):
        registry.read("notes extra", "Declared outside the lazy module.")(status)
    with pytest.raises(ValueError, match="needs the words"):
        registry.include_lazily(make_module("x"), words=[])


def test_a_registry_attribute_that_is_no_registry_is_named(make_module: MakeModule) -> None:
    odd = make_module("odd", "commands = 42\n")
    registry = CommandRegistry()
    registry.include_lazily(odd, words=["odd"])
    with pytest.raises(TypeError, match=rf"{odd}.commands is a int, not a CommandRegistry"):
        registry.load("odd")


def _app_for(tmp_path: Path, registry: CommandRegistry, argv: list[str] | None) -> object:
    policy = AppPolicy(
        program="notes", root_markers=(".git",), state_dir=lambda: tmp_path / "state", kernel="off"
    )
    return typer_app(Dispatcher(registry, policy), help="Notes.", argv=argv)


def test_the_typer_app_for_a_command_line_builds_only_its_group(
    make_module: MakeModule, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_git_repo(tmp_path / "repo", {"README.md": "r\n"})
    monkeypatch.chdir(repo)
    notes, tags = make_module("notes"), make_module("tags")
    registry = CommandRegistry()
    registry.include_lazily(notes, words=["notes"])
    registry.include_lazily(tags, words=["tags"])
    argv = ["--repo", str(repo), "notes", "hello", "--json"]

    done = CliRunner().invoke(_app_for(tmp_path, registry, argv), argv)  # type: ignore[arg-type]

    assert done.exit_code == 0, done.output
    assert '"hello": "notes"' in done.output
    assert notes in sys.modules and tags not in sys.modules


@pytest.mark.parametrize(
    "argv",
    [["--help"], [], ["unknown", "words"], ["--repo=.", "--help"]],
    ids=["help", "no-args", "unknown-word", "option-first"],
)
def test_help_or_any_other_line_builds_every_group(
    make_module: MakeModule, tmp_path: Path, argv: list[str]
) -> None:
    notes, tags = make_module("notes"), make_module("tags")
    registry = CommandRegistry()
    registry.include_lazily(notes, words=["notes"])
    registry.include_lazily(tags, words=["tags"])

    done = CliRunner().invoke(_app_for(tmp_path, registry, argv), ["--help"])  # type: ignore[arg-type]

    assert done.exit_code == 0, done.output
    assert "notes" in done.output and "tags" in done.output
    assert notes in sys.modules and tags in sys.modules


SPELLINGS = """\
from __future__ import annotations

from typing import Annotated

import typer

from kitty_fs.commands import CommandRegistry, Invocation, ScopedWriteContext

commands = CommandRegistry()
commands.group("{word}", "The {word} commands.")


@commands.scoped_write("{word} put", "Put one note.", writes=["notes/{{slug}}.md"])
def put(repo: ScopedWriteContext, inv: Invocation, slug: Annotated[str, typer.Argument()]) -> int:
    return 0


@commands.scoped_write("{word} file", "File one note.", writes=["notes/{{slug}}.md"])
def file(
    repo: ScopedWriteContext, inv: Invocation, slug: Annotated[str, typer.Argument(metavar="NOTE")]
) -> int:
    return 0


@commands.scoped_write("{word} tag", "Tag one note.", writes=["notes/{{slug}}.md"])
def tag(
    repo: ScopedWriteContext, inv: Invocation, slug: Annotated[str, typer.Option("--note-slug")]
) -> int:
    return 0


@commands.scoped_write("{word} move", "Move one note.", writes=["notes/{{slug}}.md"])
def move(repo: ScopedWriteContext, inv: Invocation, slug: str = typer.Argument(...)) -> int:
    return 0


@commands.scoped_write("{word} mark", "Mark one note.", writes=["notes/{{slug}}.md"])
def mark(
    repo: ScopedWriteContext, inv: Invocation, slug: str = typer.Option(..., "--note-slug")
) -> int:
    return 0


@commands.scoped_write("{word} keep", "Keep one note.", writes=["notes/{{note_slug}}.md"])
def keep(repo: ScopedWriteContext, inv: Invocation, note_slug: str = typer.Option(...)) -> int:
    return 0
"""


@pytest.mark.parametrize(
    ("line", "label"),
    [
        (["put", "a/b"], "SLUG"),
        (["file", "a/b"], "NOTE"),
        (["tag", "--note-slug", "a/b"], "--note-slug"),
        (["move", "a/b"], "SLUG"),
        (["mark", "--note-slug", "a/b"], "--note-slug"),
        (["keep", "--note-slug", "a/b"], "--note-slug"),
    ],
    ids=[
        "argument",
        "argument-metavar",
        "option",
        "default-argument",
        "default-option",
        "undeclared",
    ],
)
def test_a_bad_scope_segment_is_named_as_the_user_types_it(
    make_module: MakeModule,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    line: list[str],
    label: str,
) -> None:
    # Both typer spellings (Annotated, which typer recommends, and defaults), in a module
    # that postpones annotations as most do: the label is typer's own, from its context.
    repo = make_git_repo(tmp_path / "repo", {"README.md": "r\n"})
    monkeypatch.chdir(repo)
    registry = CommandRegistry()
    registry.include_lazily(make_module("notes", SPELLINGS), words=["notes"])
    argv = ["--repo", str(repo), "notes", *line, "--json"]

    done = CliRunner().invoke(_app_for(tmp_path, registry, argv), argv)  # type: ignore[arg-type]

    assert done.exit_code == 2, done.output
    assert f"{label} must be a single path segment" in done.output, done.output
