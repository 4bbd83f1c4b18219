"""A worker function a ``spawn`` child can import by name (tests/kitty_fs is on its sys.path)."""

from __future__ import annotations


def write(path: str) -> str:
    """Try to write ``path``; what happened, as a string the parent can compare."""
    try:
        with open(path, "w") as handle:
            handle.write("worker")
    except OSError as exc:
        return f"{type(exc).__name__} {exc.errno}"
    return "written"
