"""An installed CPython older than kitty_fs supports, for tests of what such a child meets."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["old_python"]


def old_python() -> str | None:
    """A CPython 3.7 to 3.9 that starts (on PATH or from pyenv), or ``None``."""
    for version in ("3.9", "3.8", "3.7"):
        found = shutil.which(f"python{version}")
        candidates = [found] if found else []
        candidates += sorted(
            str(p) for p in Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}")
        )
        for candidate in candidates:
            probe = subprocess.run([candidate, "-c", "0"], capture_output=True, check=False)
            if probe.returncode == 0:
                return candidate
    return None
