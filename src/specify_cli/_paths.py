"""Where spec-kitty keeps its files, relative to the project root.

The config store in kitty_fs takes a config's path from its caller and knows
no default: spec-kitty's layout is spec-kitty's, so the constant lives here.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CONFIG_PATH"]

# The project's config (identity, tracker binding...), tracked in git.
CONFIG_PATH: Final = ".kittify/config.yaml"
