"""The hook directory ``kitty-fs audit`` puts on the audited program's ``PYTHONPATH``.

The audited program may run in any environment: its own venv, a system
Python, next to kitty-fs installed apart (pipx). So the directory holds only
what the hook needs, standard library only:

* ``sitecustomize.py`` (the bootstrap, ``_child/sitecustomize.py``), and
* ``_kitty_fs_audit_hook/``: a private copy of the child half
  (``_audit_child``) and of the guard modules it imports, found by following
  their top-level ``from kitty_fs.X import`` lines, with those imports
  pointed at the private package.

Not ``kitty_fs`` itself: putting this installation's kitty_fs on the path
would shadow the program's own kitty_fs (another version, or the one it is
built on) and need attrs/ruamel.yaml/filelock there. A module of the closure
that imports anything outside the standard library at top level would break
the hook in a bare interpreter; ``tests/kitty_fs/test_audit.py`` audits a
program in a venv with nothing installed to keep that true.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["HOOK_PACKAGE", "build_hook_dir"]

HOOK_PACKAGE = "_kitty_fs_audit_hook"
_SOURCE = Path(__file__).parent
_ENTRY = "_audit_child"
_IMPORT = re.compile(r"^(?P<indent>[ \t]*)from kitty_fs\.(?P<module>\w+) import", re.MULTILINE)


def _closure(entry: str) -> dict[str, str]:
    """Module name -> source text, for ``entry`` and the kitty_fs modules it imports."""
    sources: dict[str, str] = {}
    pending = [entry]
    while pending:
        name = pending.pop()
        if name in sources:
            continue
        text = (_SOURCE / f"{name}.py").read_text(encoding="utf-8")
        sources[name] = text
        # Only unindented imports run; `if TYPE_CHECKING:` ones are rewritten, never loaded.
        pending += [m["module"] for m in _IMPORT.finditer(text) if not m["indent"]]
    return sources


def build_hook_dir(directory: Path) -> Path:
    """Write the bootstrap and the private hook package into ``directory``; return it."""
    package = directory / HOOK_PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        '"""Private copy of the kitty_fs audit hook (made by kitty-fs audit)."""\n',
        encoding="utf-8",
    )
    for name, text in _closure(_ENTRY).items():
        rewritten = _IMPORT.sub(rf"\g<indent>from {HOOK_PACKAGE}.\g<module> import", text)
        (package / f"{name}.py").write_text(rewritten, encoding="utf-8")
    bootstrap = (_SOURCE / "_child" / "sitecustomize.py").read_text(encoding="utf-8")
    (directory / "sitecustomize.py").write_text(bootstrap, encoding="utf-8")
    return directory
