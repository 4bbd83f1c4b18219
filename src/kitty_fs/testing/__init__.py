"""kitty_fs.testing: the contract test for any command registry, and the tree tools it uses.

``ContractSuite(registry, program, setups)`` parametrizes one test per
(command, setup) over every read and scoped-write command the registry
declares, runs each as a real subprocess of the app's console script and
checks INV-1 (or the write scope), the exit code, tracebacks and ``--json``::

    suite = ContractSuite(build_registry, [console_script("notes")], SETUPS)
    test_commands_keep_their_contract = suite.pytest_test()

``TreeState`` is the evidence (porcelain with ignored files, hashes and mtimes
of tracked files, the whole listing) and ``Change`` one named difference;
``run_program``/``CliRun`` run a command line; ``parse_porcelain`` reads
``git status --porcelain -z``; ``make_git_repo`` builds a committed repository.
pytest is imported only by the functions that need it.
"""

from kitty_fs._porcelain import Porcelain, PorcelainEntry, parse_porcelain
from kitty_fs._repos import make_git_repo
from kitty_fs._snapshot import WorktreeChanged, WorktreeSnapshot, run_git
from kitty_fs.testing._contract import (
    ContractCase,
    ContractSetup,
    ContractSuite,
    Prepared,
    SetupRequest,
)
from kitty_fs.testing._runner import CliRun, console_script, run_program
from kitty_fs.testing._tree import Change, TreeState

__all__ = [
    "Change",
    "CliRun",
    "ContractCase",
    "ContractSetup",
    "ContractSuite",
    "Porcelain",
    "PorcelainEntry",
    "Prepared",
    "SetupRequest",
    "TreeState",
    "WorktreeChanged",
    "WorktreeSnapshot",
    "console_script",
    "make_git_repo",
    "parse_porcelain",
    "run_git",
    "run_program",
]
