"""The notes commands, each declared once with the capability it needs.

``list`` and ``show`` only read; ``add`` may write one note file and nothing else
(a scoped write: ``notes.yaml`` is out of its reach, by type and at run time);
``title`` is the write boundary that persists the config.
"""

from __future__ import annotations

import typer

from kitty_fs import ReadContext, ScopedWriteContext, WriteContext, load_config, save_config
from kitty_fs.commands import CommandFailure, CommandRegistry, ExitCode, Invocation

CONFIG = "notes.yaml"

commands = CommandRegistry()


def _title(repo: ReadContext) -> str:
    section = load_config(repo, CONFIG).section("notes") or {}
    return str(section.get("title", "(untitled)"))


@commands.read("list", "List the notes.")
def list_notes(repo: ReadContext, inv: Invocation) -> int:
    """List every note under notes/ with the collection's title."""
    names = (
        [n[:-3] for n in repo.listdir("notes") if n.endswith(".md")] if repo.is_dir("notes") else []
    )
    inv.state.write_text("last-list.txt", "\n".join(names))  # a cache in the side channel
    inv.output.result({"title": _title(repo), "notes": names}, [_title(repo), *names])
    return 0


@commands.read("show", "Print one note.", contract_argv=("first",))
def show(repo: ReadContext, inv: Invocation, name: str = typer.Argument(...)) -> int:
    """Print notes/NAME.md."""
    if not repo.is_file(f"notes/{name}.md"):
        raise CommandFailure(f"no note {name!r}", ExitCode.USAGE, "see `notes list`")
    text = repo.read_text(f"notes/{name}.md")
    inv.output.result({"name": name, "text": text}, [text.rstrip("\n")])
    return 0


@commands.scoped_write(
    "add",
    "Add or replace one note.",
    writes=["notes/{name}.md"],
    contract_argv=("second", "--text", "hello"),
)
def add(
    repo: ScopedWriteContext,
    inv: Invocation,
    name: str = typer.Argument(...),
    text: str = typer.Option("", "--text", help="The note's text."),
) -> int:
    """Write notes/NAME.md (SCOPED WRITE: that file only)."""
    changed = repo.write_text(f"notes/{name}.md", text + "\n")
    inv.output.result({"name": name, "changed": changed}, [f"wrote notes/{name}.md"])
    return 0


@commands.write("title", "Set the collection's title in notes.yaml.")
def title(repo: WriteContext, inv: Invocation, value: str = typer.Argument(...)) -> int:
    """Persist the title (WRITE: the one command that changes notes.yaml)."""
    changed = save_config(repo, "notes", {"title": value}, rel=CONFIG)
    inv.output.result({"title": value, "changed": changed}, [f"title: {value}"])
    return 0
