"""How the tests start the reference SaaS: the command line its README gives, on a free port.

A real process, not a thread in the test process, so the CLI under test talks
to a peer exactly as it would talk to the SaaS; its first stdout line is the URL.
"""

from __future__ import annotations

import sys

__all__ = ["reference_server_argv"]


def reference_server_argv(token: str, binding_ref: str) -> list[str]:
    """``python -m specify_cli.saas_reference`` on port 0 with ``token`` and ``binding_ref``."""
    return [
        sys.executable,
        "-m",
        "specify_cli.saas_reference",
        "--port",
        "0",
        "--token",
        token,
        "--binding-ref",
        binding_ref,
    ]
