"""Read commands that load the config stay clear of ruamel.yaml, filelock, the save machinery
and OpenSSL.

The legacy config lies in the plain YAML subset that ``kitty_fs`` reads
without ruamel (``kitty_fs._yaml_subset``); importing ruamel is most of what
such a command would otherwise pay on top of typer (issue 10's latency
target). The digests of a cold start (lock names, ``build_id``) come from the
interpreter's own SHA code (``kitty_fs._digest``), not from hashlib's OpenSSL.

The command runs as the console script runs it (``main()``, in a fresh
interpreter) and reports ``sys.modules`` as it exits, so any import that drags
one of them back onto the read path fails here with its name. (Not
``-X importtime``: it does not see modules loaded through
``importlib.import_module``, as ``kitty_fs``'s lazy names are.)
"""

from __future__ import annotations

import sys
import textwrap
from importlib.util import find_spec
from pathlib import Path

import pytest
from cli_support import cli_env, make_project

from kitty_fs.testing import run_program

# The read commands of bench/cli_latency.py that load .kittify/config.yaml.
COMMANDS = [
    ("sync", "status"),
    ("tracker", "status"),
    ("sync", "routes"),
    ("dossier", "sync"),
    ("lifecycle", "fanout"),
    ("events", "emit", "mission.started"),
]
HEAVY: tuple[str, ...] = ("ruamel", "filelock", "kitty_fs._config_yaml", "kitty_fs._config_splice")
if find_spec("_sha1") and (find_spec("_sha2") or find_spec("_sha256")):
    HEAVY += ("_hashlib",)  # an interpreter built without its own SHA code falls back to it
MAIN = textwrap.dedent(
    """\
    import atexit, sys
    atexit.register(lambda: print("MODULES", *sorted(sys.modules), file=sys.stderr))
    from specify_cli.cli import main
    sys.argv[0] = "spec-kitty"
    sys.exit(main())
    """
)


@pytest.mark.parametrize("argv", COMMANDS, ids=["-".join(argv) for argv in COMMANDS])
def test_a_read_command_loads_the_config_without_ruamel(tmp_path: Path, argv: tuple[str]) -> None:
    repo = make_project(tmp_path / "repo")
    done = run_program([sys.executable, "-c", MAIN], argv, cwd=repo, env=cli_env(tmp_path / "s"))
    reports = [line.split()[1:] for line in done.stderr.splitlines() if line.startswith("MODULES")]
    assert len(reports) == 1, done.describe()
    imported = reports[0]
    assert "kitty_fs._config" in imported, done.describe()  # it did read the config
    heavy = [name for name in imported if name.startswith(HEAVY)]
    assert heavy == [], f"{' '.join(argv)} imported {heavy}"
