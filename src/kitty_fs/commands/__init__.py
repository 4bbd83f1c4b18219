"""kitty_fs.commands: declare each command's capability once; the dispatcher enforces it.

The pieces, for any Python CLI::

    commands = CommandRegistry()

    @commands.read("status", "Show the project's state.")
    def status(repo: ReadContext, inv: Invocation) -> int:
        inv.output.result({"files": repo.listdir()}, ["..."])
        return 0

    policy = AppPolicy(program="notes", root_markers=(".notes", ".git"))
    dispatcher = Dispatcher(commands, policy)
    app = typer_app(dispatcher, help="...")      # or dispatcher.run("status", {...})

* ``CommandRegistry``: ``read`` / ``scoped_write(writes=[...])`` / ``write``
  decorators, typed so that a body asking for more than it declared is a mypy error.
* ``Dispatcher`` + ``AppPolicy``: mints exactly the declared capability, runs
  read and scoped-write bodies under the audit-hook guard (and the kernel layer
  where available), maps errors to documented exit codes, prints one ``--json``
  object or one error line plus its fix.
* ``ExitCode``: the base exit codes; the app adds its own enum.
* ``typer_app``: the typer front end (``pip install kitty-fs[typer]``).
* ``add_capabilities_command``: the built-in ``capabilities`` listing.

See ``docs/commands.md`` for the whole story and ``kitty_fs.testing`` for the
contract test that covers every declared command.
"""

from kitty_fs._context import ReadContext, ScopedWriteContext, WriteContext
from kitty_fs._scope import WriteScope
from kitty_fs.commands._builtin import add_capabilities_command
from kitty_fs.commands._declare import Capability, Command, CommandRegistry
from kitty_fs.commands._dispatch import Dispatcher, run_main
from kitty_fs.commands._exit import ExitCode, documented_exit_codes
from kitty_fs.commands._failure import CommandFailure
from kitty_fs.commands._invocation import Enforcement, Invocation
from kitty_fs.commands._output import Output
from kitty_fs.commands._policy import AppPolicy, KernelMode
from kitty_fs.commands._roots import find_root, git_worktree_top
from kitty_fs.commands._typer import JSON_HELP, typer_app

__all__ = [
    "JSON_HELP",
    "AppPolicy",
    "Capability",
    "Command",
    "CommandFailure",
    "CommandRegistry",
    "Dispatcher",
    "Enforcement",
    "ExitCode",
    "Invocation",
    "KernelMode",
    "Output",
    "ReadContext",
    "ScopedWriteContext",
    "WriteContext",
    "WriteScope",
    "add_capabilities_command",
    "documented_exit_codes",
    "find_root",
    "git_worktree_top",
    "run_main",
    "typer_app",
]
