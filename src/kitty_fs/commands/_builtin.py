"""The built-in ``capabilities`` command: every command with its capability and write scope."""

from __future__ import annotations

from kitty_fs._context import ReadContext
from kitty_fs.commands._declare import CommandRegistry
from kitty_fs.commands._invocation import Invocation

__all__ = ["add_capabilities_command"]


def add_capabilities_command(registry: CommandRegistry, exit_codes: dict[int, str]) -> None:
    """Declare ``capabilities`` in ``registry``, listing the registry it is in.

    It is a read command that runs anywhere (outside a project too), so it also
    shows which enforcement layers a read command gets on this machine.
    """

    @registry.read(
        "capabilities", "List every command and the capability it declares.", needs_project=False
    )
    def capabilities(repo: ReadContext, inv: Invocation) -> int:
        """List every command with its declared capability and, for scoped writers, its scope.

        read: runs under enforcement and never changes the worktree; scoped-write:
        may change only its declared paths; write: a write boundary.
        """
        rows = [
            {
                "command": c.name,
                "capability": c.capability,
                "summary": c.summary,
                "writes": list(c.writes),
            }
            for c in sorted(registry, key=lambda c: c.name)
        ]
        width = max(len(str(r["command"])) for r in rows)
        lines = [
            f"{r['command']:<{width}}  {r['capability']:<12}  {r['summary']}"
            + (f"  [writes: {', '.join(r['writes'])}]" if r["writes"] else "")
            for r in rows
        ]
        layers = inv.enforcement
        lines.append(
            f"enforcement of read commands here: audit-hook guard on; kernel layer "
            f"{'on' if layers.kernel else 'off'} ({layers.kernel_detail})"
        )
        inv.output.result(
            {
                "commands": rows,
                "enforcement": layers.as_dict(),
                "exit_codes": {str(k): v for k, v in exit_codes.items()},
            },
            lines,
        )
        return 0
