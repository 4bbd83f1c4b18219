# ruff: noqa: E501  (expected mypy messages are long on purpose: they are compared verbatim)
"""Type-level cases: code samples and the exact mypy output each must produce.

Each case is one or more modules. A line carrying ``# E: <message>  [code]``
must produce exactly that error on that line (``# N:`` for a note); every other
line must produce nothing. ``$NAME`` placeholders expand to the texts in
``TEXTS``, spelled out here rather than imported from the plugin, so that a
change of wording in the plugin fails these tests.

The plugin run configures (see ``PLUGIN_SECTION``): guarded packages
``guarded_pkg`` and ``other_guarded``; write boundaries ``guarded_pkg.dispatch``
(exact) and ``guarded_pkg.commands.*`` (glob). ``free_pkg`` and ``guarded_pkgx``
are unguarded; ``guarded_pkg.legacy`` switches ``kitty-fs-write`` off the way a
team would for a module not yet migrated. ``PLAIN_CASES`` run without the plugin.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from string import Template

__all__ = ["PLAIN_CASES", "PLUGIN_CASES", "PLUGIN_SECTION", "Case", "Expected"]

PLUGIN_SECTION = """\
[mypy-guarded_pkg.legacy]
disable_error_code = kitty-fs-write

[kitty_fs.mypy_plugin]
guarded_packages = guarded_pkg, other_guarded
write_boundaries =
    guarded_pkg.dispatch
    guarded_pkg.commands.*
"""

_BOUNDARY_TAIL = "or add the module to write_boundaries in [kitty_fs.mypy_plugin]"
TEXTS = {
    "G": 'in guarded package "guarded_pkg"',
    "CONTENT": "persist through a kitty_fs WriteContext (ctx.write_text / ctx.write_bytes / save_config) taken at a write boundary",
    "MKDIR": "persist through a kitty_fs WriteContext (ctx.mkdir) taken at a write boundary",
    "REMOVE": "persist through a kitty_fs WriteContext (ctx.remove) taken at a write boundary",
    "MOVE": "persist through a kitty_fs WriteContext (ctx.write_bytes replaces atomically) taken at a write boundary",
    "META": 'do it in kitty_fs behind a WriteContext taken at a write boundary, or mark a deliberate exception with "# type: ignore[kitty-fs-write]"',
    "TEMP": "write through a kitty_fs WriteContext rooted at a side channel (a state or temp directory) handed down by the dispatcher",
    "READ_MODE": 'to only read, pass a literal mode such as "r" or "rb"',
    "READ_FLAGS": "to only read, pass os.O_RDONLY (optionally | os.O_CLOEXEC and the like)",
    "MINTED": f"which is not a write boundary; take the WriteContext as a parameter from the command that owns the write, {_BOUNDARY_TAIL}",
    "EVOLVED": f"which is not a write boundary; evolve can re-root a capability: take the WriteContext for that root as a parameter from the command that owns the write, {_BOUNDARY_TAIL}",
    "SUBCLASSED": f"which is not a write boundary; a subclass's constructor escapes the mint check: take a WriteContext as a parameter and wrap it instead, {_BOUNDARY_TAIL}",
    "CONSTRUCTED": "the constructor refuses at run time: call kitty_fs.write_boundary(root, reason=...) in a write-boundary module, or take the WriteContext as a parameter",
    "SUBCLASS_CONSTRUCTED": "a subclass can skip the mint check: call kitty_fs.write_boundary(root, reason=...) in a write-boundary module, or take the WriteContext as a parameter",
}


@dataclass(frozen=True)
class Expected:
    module: str
    line: int
    severity: str
    message: str

    def render(self) -> str:
        return f"{self.module}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Case:
    """``files`` maps module names to sources (with ``# E:`` marks and ``$`` placeholders)."""

    name: str
    files: dict[str, str]

    def sources(self) -> dict[str, str]:
        return {
            module: Template(textwrap.dedent(text).lstrip("\n")).substitute(TEXTS)
            for module, text in self.files.items()
        }

    def expected(self) -> list[str]:
        found: list[Expected] = []
        for module, text in self.sources().items():
            for number, line in enumerate(text.splitlines(), start=1):
                for marker, severity in (("# E: ", "error"), ("# N: ", "note")):
                    for part in line.split(marker)[1:]:
                        message = part.split("  # ")[0].rstrip()
                        found.append(Expected(module, number, severity, message))
        return sorted(e.render() for e in found)


def _case(name: str, module: str, source: str) -> Case:
    return Case(name, {module: source})


PLUGIN_CASES: list[Case] = [
    # ----------------------------------------------------------------- raw writes: openers
    _case(
        "open_writing_modes",
        "guarded_pkg.cases.open_modes",
        """
        def save(path: str) -> None:
            open(path, "w")  # E: Raw filesystem write "open" (mode "w") in guarded package "guarded_pkg"; persist through a kitty_fs WriteContext (ctx.write_text / ctx.write_bytes / save_config) taken at a write boundary  [kitty-fs-write]
            open(path, "a")  # E: Raw filesystem write "open" (mode "a") $G; $CONTENT  [kitty-fs-write]
            open(path, "r+")  # E: Raw filesystem write "open" (mode "r+") $G; $CONTENT  [kitty-fs-write]
            open(path, mode="xb")  # E: Raw filesystem write "open" (mode "xb") $G; $CONTENT  [kitty-fs-write]
            open(file=path, mode="wt", encoding="utf-8")  # E: Raw filesystem write "open" (mode "wt") $G; $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "open_mode_not_a_literal",
        "guarded_pkg.cases.open_dynamic",
        """
        from typing import Literal

        def save(path: str, mode: str, either: Literal["r", "w"], append: bool) -> None:
            open(path, mode)  # E: Raw filesystem write "open" (mode is not a read-only literal) $G; $READ_MODE; to write, $CONTENT  [kitty-fs-write]
            open(path, either)  # E: Raw filesystem write "open" (mode "w") $G; $CONTENT  [kitty-fs-write]
            open(path, "a" if append else "r")  # E: Raw filesystem write "open" (mode "a") $G; $CONTENT  [kitty-fs-write]
            open(path, mode.lower())  # E: Raw filesystem write "open" (mode is not a read-only literal) $G; $READ_MODE; to write, $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "other_openers",
        "guarded_pkg.cases.openers",
        """
        import bz2
        import codecs
        import gzip
        import io
        import lzma
        import tarfile
        import zipfile

        def pack(path: str) -> None:
            io.open(path, "w")  # E: Raw filesystem write "io.open" (mode "w") $G; $CONTENT  [kitty-fs-write]
            codecs.open(path, "w", "utf-8")  # E: Raw filesystem write "codecs.open" (mode "w") $G; $CONTENT  [kitty-fs-write]
            gzip.open(path, "wb")  # E: Raw filesystem write "gzip.open" (mode "wb") $G; $CONTENT  [kitty-fs-write]
            bz2.open(path, "wt")  # E: Raw filesystem write "bz2.open" (mode "wt") $G; $CONTENT  [kitty-fs-write]
            lzma.open(path, "ab")  # E: Raw filesystem write "lzma.open" (mode "ab") $G; $CONTENT  [kitty-fs-write]
            tarfile.open(path, "w:gz")  # E: Raw filesystem write "tarfile.open" (mode "w:gz") $G; $CONTENT  [kitty-fs-write]
            zipfile.ZipFile(path, "a")  # E: Raw filesystem write "zipfile.ZipFile" (mode "a") $G; $CONTENT  [kitty-fs-write]
        """,
    ),
    # ----------------------------------------------------------------- raw writes: pathlib
    _case(
        "path_content_writes",
        "guarded_pkg.cases.path_content",
        """
        from pathlib import Path

        def save(path: Path) -> None:
            path.write_text("x", encoding="utf-8")  # E: Raw filesystem write "pathlib.Path.write_text" $G; $CONTENT  [kitty-fs-write]
            path.write_bytes(b"x")  # E: Raw filesystem write "pathlib.Path.write_bytes" $G; $CONTENT  [kitty-fs-write]
            path.touch()  # E: Raw filesystem write "pathlib.Path.touch" $G; $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "path_tree_changes",
        "guarded_pkg.cases.path_tree",
        """
        from pathlib import Path

        def reshape(path: Path) -> None:
            path.mkdir(parents=True)  # E: Raw filesystem write "pathlib.Path.mkdir" $G; $MKDIR  [kitty-fs-write]
            path.unlink(missing_ok=True)  # E: Raw filesystem write "pathlib.Path.unlink" $G; $REMOVE  [kitty-fs-write]
            path.rmdir()  # E: Raw filesystem write "pathlib.Path.rmdir" $G; $REMOVE  [kitty-fs-write]
            path.rename("b")  # E: Raw filesystem write "pathlib.Path.rename" $G; $MOVE  [kitty-fs-write]
            path.replace("c")  # E: Raw filesystem write "pathlib.Path.replace" $G; $MOVE  [kitty-fs-write]
        """,
    ),
    _case(
        "path_metadata_and_links",
        "guarded_pkg.cases.path_meta",
        """
        from pathlib import Path

        def relink(path: Path) -> None:
            path.chmod(0o600)  # E: Raw filesystem write "pathlib.Path.chmod" $G; $META  [kitty-fs-write]
            path.symlink_to("target")  # E: Raw filesystem write "pathlib.Path.symlink_to" $G; $META  [kitty-fs-write]
            path.hardlink_to("target")  # E: Raw filesystem write "pathlib.Path.hardlink_to" $G; $META  [kitty-fs-write]
        """,
    ),
    _case(
        "path_open_modes",
        "guarded_pkg.cases.path_open",
        """
        from pathlib import Path

        def save(path: Path, mode: str) -> None:
            path.open("w")  # E: Raw filesystem write "pathlib.Path.open" (mode "w") $G; $CONTENT  [kitty-fs-write]
            path.open(mode="ab")  # E: Raw filesystem write "pathlib.Path.open" (mode "ab") $G; $CONTENT  [kitty-fs-write]
            path.open(mode)  # E: Raw filesystem write "pathlib.Path.open" (mode is not a read-only literal) $G; $READ_MODE; to write, $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "path_subclasses_and_unbound_calls",
        "guarded_pkg.cases.path_subclass",
        """
        from pathlib import Path, PosixPath

        class Mine(PosixPath):
            pass

        def save(path: Path) -> None:
            PosixPath("x").touch()  # E: Raw filesystem write "pathlib.Path.touch" $G; $CONTENT  [kitty-fs-write]
            Mine("x").unlink()  # E: Raw filesystem write "pathlib.Path.unlink" $G; $REMOVE  [kitty-fs-write]
            Path.write_text(path, "x")  # E: Raw filesystem write "pathlib.Path.write_text" $G; $CONTENT  [kitty-fs-write]
        """,
    ),
    # ----------------------------------------------------------------- raw writes: os
    _case(
        "os_open_write_flags",
        "guarded_pkg.cases.os_open_flags",
        """
        import os
        from os import O_RDWR

        def save(path: str) -> None:
            os.open(path, os.O_WRONLY | os.O_CREAT)  # E: Raw filesystem write "os.open" (flags include os.O_WRONLY) $G; $CONTENT  [kitty-fs-write]
            os.open(path, os.O_RDONLY | os.O_TRUNC)  # E: Raw filesystem write "os.open" (flags include os.O_TRUNC) $G; $CONTENT  [kitty-fs-write]
            os.open(path, O_RDWR)  # E: Raw filesystem write "os.open" (flags include os.O_RDWR) $G; $CONTENT  [kitty-fs-write]
            os.open(path, flags=os.O_CLOEXEC | os.O_APPEND)  # E: Raw filesystem write "os.open" (flags include os.O_APPEND) $G; $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "os_open_flags_not_provable",
        "guarded_pkg.cases.os_open_dynamic",
        """
        import os

        def save(path: str, flags: int, append: bool) -> None:
            os.open(path, flags)  # E: Raw filesystem write "os.open" (flags are not provably read-only) $G; $READ_FLAGS; to write, $CONTENT  [kitty-fs-write]
            os.open(path, 1)  # E: Raw filesystem write "os.open" (flags are not provably read-only) $G; $READ_FLAGS; to write, $CONTENT  [kitty-fs-write]
            os.open(path, os.O_APPEND if append else os.O_RDONLY)  # E: Raw filesystem write "os.open" (flags are not provably read-only) $G; $READ_FLAGS; to write, $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "os_moves",
        "guarded_pkg.cases.os_moves",
        """
        import os

        def move(a: str, b: str) -> None:
            os.rename(a, b)  # E: Raw filesystem write "os.rename" $G; $MOVE  [kitty-fs-write]
            os.renames(a, b)  # E: Raw filesystem write "os.renames" $G; $MOVE  [kitty-fs-write]
            os.replace(a, b)  # E: Raw filesystem write "os.replace" $G; $MOVE  [kitty-fs-write]
        """,
    ),
    _case(
        "os_removals",
        "guarded_pkg.cases.os_removals",
        """
        import os

        def drop(path: str) -> None:
            os.remove(path)  # E: Raw filesystem write "os.remove" $G; $REMOVE  [kitty-fs-write]
            os.unlink(path)  # E: Raw filesystem write "os.unlink" $G; $REMOVE  [kitty-fs-write]
            os.rmdir(path)  # E: Raw filesystem write "os.rmdir" $G; $REMOVE  [kitty-fs-write]
            os.removedirs(path)  # E: Raw filesystem write "os.removedirs" $G; $REMOVE  [kitty-fs-write]
        """,
    ),
    _case(
        "os_directories",
        "guarded_pkg.cases.os_dirs",
        """
        import os

        def make(path: str) -> None:
            os.mkdir(path)  # E: Raw filesystem write "os.mkdir" $G; $MKDIR  [kitty-fs-write]
            os.makedirs(path, exist_ok=True)  # E: Raw filesystem write "os.makedirs" $G; $MKDIR  [kitty-fs-write]
        """,
    ),
    _case(
        "os_metadata_and_links",
        "guarded_pkg.cases.os_meta",
        """
        import os

        def touch_up(path: str) -> None:
            os.truncate(path, 0)  # E: Raw filesystem write "os.truncate" $G; $CONTENT  [kitty-fs-write]
            os.chmod(path, 0o600)  # E: Raw filesystem write "os.chmod" $G; $META  [kitty-fs-write]
            os.chown(path, 0, 0)  # E: Raw filesystem write "os.chown" $G; $META  [kitty-fs-write]
            os.utime(path)  # E: Raw filesystem write "os.utime" $G; $META  [kitty-fs-write]
            os.link(path, "b")  # E: Raw filesystem write "os.link" $G; $META  [kitty-fs-write]
            os.symlink(path, "c")  # E: Raw filesystem write "os.symlink" $G; $META  [kitty-fs-write]
            os.mkfifo(path)  # E: Raw filesystem write "os.mkfifo" $G; $META  [kitty-fs-write]
        """,
    ),
    # ----------------------------------------------------------------- raw writes: shutil, tempfile
    _case(
        "shutil_copies",
        "guarded_pkg.cases.shutil_copies",
        """
        import shutil

        def copy(a: str, b: str) -> None:
            shutil.copy(a, b)  # E: Raw filesystem write "shutil.copy" $G; $MOVE  [kitty-fs-write]
            shutil.copy2(a, b)  # E: Raw filesystem write "shutil.copy2" $G; $MOVE  [kitty-fs-write]
            shutil.copyfile(a, b)  # E: Raw filesystem write "shutil.copyfile" $G; $MOVE  [kitty-fs-write]
            shutil.copytree(a, b)  # E: Raw filesystem write "shutil.copytree" $G; $MOVE  [kitty-fs-write]
            shutil.copymode(a, b)  # E: Raw filesystem write "shutil.copymode" $G; $META  [kitty-fs-write]
            shutil.copystat(a, b)  # E: Raw filesystem write "shutil.copystat" $G; $META  [kitty-fs-write]
        """,
    ),
    _case(
        "shutil_move_rmtree_archives",
        "guarded_pkg.cases.shutil_move",
        """
        import shutil

        def tidy(a: str, b: str) -> None:
            shutil.move(a, b)  # E: Raw filesystem write "shutil.move" $G; $MOVE  [kitty-fs-write]
            shutil.rmtree(a)  # E: Raw filesystem write "shutil.rmtree" $G; $REMOVE  [kitty-fs-write]
            shutil.make_archive(a, "zip")  # E: Raw filesystem write "shutil.make_archive" $G; $CONTENT  [kitty-fs-write]
            shutil.unpack_archive(a, b)  # E: Raw filesystem write "shutil.unpack_archive" $G; $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "tempfile_creation",
        "guarded_pkg.cases.temp",
        """
        import tempfile

        def scratch() -> None:
            tempfile.mkstemp()  # E: Raw filesystem write "tempfile.mkstemp" $G; $TEMP  [kitty-fs-write]
            tempfile.mkdtemp()  # E: Raw filesystem write "tempfile.mkdtemp" $G; $TEMP  [kitty-fs-write]
            tempfile.NamedTemporaryFile()  # E: Raw filesystem write "tempfile.NamedTemporaryFile" $G; $TEMP  [kitty-fs-write]
            tempfile.TemporaryFile()  # E: Raw filesystem write "tempfile.TemporaryFile" $G; $TEMP  [kitty-fs-write]
            tempfile.TemporaryDirectory()  # E: Raw filesystem write "tempfile.TemporaryDirectory" $G; $TEMP  [kitty-fs-write]
            tempfile.SpooledTemporaryFile()  # E: Raw filesystem write "tempfile.SpooledTemporaryFile" $G; $TEMP  [kitty-fs-write]
        """,
    ),
    # ----------------------------------------------------------------- how and where the call is written
    _case(
        "import_aliases",
        "guarded_pkg.cases.aliases",
        """
        import io as stream
        import shutil as sh
        from os import replace as swap
        from pathlib import Path as P

        def save(a: str, b: str) -> None:
            swap(a, b)  # E: Raw filesystem write "os.replace" $G; $MOVE  [kitty-fs-write]
            sh.rmtree(a)  # E: Raw filesystem write "shutil.rmtree" $G; $REMOVE  [kitty-fs-write]
            P(a).write_text(b)  # E: Raw filesystem write "pathlib.Path.write_text" $G; $CONTENT  [kitty-fs-write]
            stream.open(a, "w")  # E: Raw filesystem write "io.open" (mode "w") $G; $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "every_call_site",
        "guarded_pkg.cases.sites",
        """
        import os
        from collections.abc import Callable

        os.mkdir("top")  # E: Raw filesystem write "os.mkdir" $G; $MKDIR  [kitty-fs-write]

        class Store:
            os.mkdir("class-body")  # E: Raw filesystem write "os.mkdir" $G; $MKDIR  [kitty-fs-write]

            def method(self) -> None:
                os.remove("m")  # E: Raw filesystem write "os.remove" $G; $REMOVE  [kitty-fs-write]

        def outer() -> Callable[[], None]:
            def inner() -> None:
                os.remove("n")  # E: Raw filesystem write "os.remove" $G; $REMOVE  [kitty-fs-write]

            return inner

        drop: Callable[[str], None] = lambda p: os.remove(p)  # E: Raw filesystem write "os.remove" $G; $REMOVE  [kitty-fs-write]
        fds = [os.open(p, os.O_WRONLY) for p in ("a", "b")]  # E: Raw filesystem write "os.open" (flags include os.O_WRONLY) $G; $CONTENT  [kitty-fs-write]

        def deferred() -> None:
            open(LATER, "w")  # E: Raw filesystem write "open" (mode "w") $G; $CONTENT  [kitty-fs-write]

        LATER = str(fds)

        def nested_in_overloaded_calls(path: str) -> str:
            max(os.open(path, os.O_RDWR), 3)  # E: Raw filesystem write "os.open" (flags include os.O_RDWR) $G; $CONTENT  [kitty-fs-write]
            return str(open(path, "w"))  # E: Raw filesystem write "open" (mode "w") $G; $CONTENT  [kitty-fs-write]
        """,
    ),
    _case(
        "raw_write_in_a_boundary_is_still_a_raw_write",
        "guarded_pkg.dispatch",
        """
        from pathlib import Path

        from kitty_fs import write_boundary

        def run(root: str) -> None:
            ctx = write_boundary(root, reason="init")
            ctx.path("a").write_text("x")  # E: Raw filesystem write "pathlib.Path.write_text" $G; $CONTENT  [kitty-fs-write]
            Path(root, "b").unlink()  # E: Raw filesystem write "pathlib.Path.unlink" $G; $REMOVE  [kitty-fs-write]
        """,
    ),
    Case(
        "deep_modules_and_a_second_package",
        {
            "guarded_pkg.sub.deeper.mod": """
            import os

            os.remove("x")  # E: Raw filesystem write "os.remove" $G; $REMOVE  [kitty-fs-write]
            """,
            "other_guarded.mod": """
            import os

            os.remove("x")  # E: Raw filesystem write "os.remove" in guarded package "other_guarded"; $REMOVE  [kitty-fs-write]
            """,
        },
    ),
    # ----------------------------------------------------------------- minting
    _case(
        "mint_outside_a_boundary",
        "guarded_pkg.tracker.service",
        """
        import kitty_fs
        from kitty_fs import write_boundary as mint
        from kitty_fs._context import write_boundary

        def refresh(root: str) -> None:
            kitty_fs.write_boundary(root, reason="refresh")  # E: WriteContext minted in "guarded_pkg.tracker.service", which is not a write boundary; take the WriteContext as a parameter from the command that owns the write, or add the module to write_boundaries in [kitty_fs.mypy_plugin]  [kitty-fs-mint]
            mint(root, reason="refresh")  # E: WriteContext minted in "guarded_pkg.tracker.service", $MINTED  [kitty-fs-mint]
            write_boundary(root, reason="refresh")  # E: WriteContext minted in "guarded_pkg.tracker.service", $MINTED  [kitty-fs-mint]
        """,
    ),
    Case(
        "constructor_is_flagged_even_in_a_boundary",
        {
            "guarded_pkg.cases.construct": """
            from free_pkg.tools import Mine
            from kitty_fs import WriteContext

            def forge(root: str) -> WriteContext:
                Mine(root, "forged", _token=object())  # E: WriteContext subclass "free_pkg.tools.Mine" constructed in "guarded_pkg.cases.construct"; $SUBCLASS_CONSTRUCTED  [kitty-fs-mint]
                return WriteContext(root, "forged", _token=object())  # E: WriteContext constructed directly in "guarded_pkg.cases.construct"; $CONSTRUCTED  [kitty-fs-mint]
            """,
            "guarded_pkg.commands.construct": """
            from kitty_fs import WriteContext

            def forge(root: str) -> WriteContext:
                return WriteContext(root, "forged", _token=object())  # E: WriteContext constructed directly in "guarded_pkg.commands.construct"; $CONSTRUCTED  [kitty-fs-mint]
            """,
        },
    ),
    _case(
        "evolve_of_a_write_context",
        "guarded_pkg.cases.evolve",
        """
        import attr
        import attrs

        from kitty_fs import WriteContext

        def reroot(state: WriteContext, repo: str) -> None:
            attrs.evolve(state, root=repo)  # E: WriteContext copied with attrs.evolve in "guarded_pkg.cases.evolve", $EVOLVED  [kitty-fs-mint]
            attr.evolve(state, root=repo)  # E: WriteContext copied with attrs.evolve in "guarded_pkg.cases.evolve", $EVOLVED  [kitty-fs-mint]
        """,
    ),
    _case(
        "subclass_of_write_context",
        "guarded_pkg.cases.subclass",
        """
        import attrs

        from kitty_fs import WriteContext

        @attrs.frozen(slots=True)
        class Escalated(WriteContext):  # E: WriteContext subclassed in "guarded_pkg.cases.subclass", $SUBCLASSED  [kitty-fs-mint]
            pass

        @attrs.frozen(slots=True)
        class Further(Escalated):  # only direct bases reach the class hook; constructing it is caught
            pass

        def forge(root: str) -> None:
            Further(root, "x", _token=object())  # E: WriteContext subclass "guarded_pkg.cases.subclass.Further" constructed in "guarded_pkg.cases.subclass"; $SUBCLASS_CONSTRUCTED  [kitty-fs-mint]
        """,
    ),
    Case(
        "boundary_names_are_exact_and_globs_need_a_dot",
        {
            "guarded_pkg.commands": """
            from kitty_fs import write_boundary

            def run(root: str) -> None:
                write_boundary(root, reason="x")  # E: WriteContext minted in "guarded_pkg.commands", $MINTED  [kitty-fs-mint]
            """,
            "guarded_pkg.dispatch_helpers": """
            from kitty_fs import write_boundary

            def run(root: str) -> None:
                write_boundary(root, reason="x")  # E: WriteContext minted in "guarded_pkg.dispatch_helpers", $MINTED  [kitty-fs-mint]
            """,
        },
    ),
    # ----------------------------------------------------------------- deliberate exceptions
    _case(
        "type_ignore_with_the_code_silences_one_finding",
        "guarded_pkg.cases.ignores",
        """
        import os

        from kitty_fs import write_boundary

        def legacy(root: str) -> None:
            os.replace("a", "b")  # type: ignore[kitty-fs-write]  # migration shim, removed in 2.0
            write_boundary(root, reason="legacy")  # type: ignore[kitty-fs-mint]
            os.remove("c")  # type: ignore[kitty-fs-mint]  # E: Raw filesystem write "os.remove" $G; $REMOVE  [kitty-fs-write]  # E: Unused "type: ignore" comment  [unused-ignore]  # N: Error code "kitty-fs-write" not covered by "type: ignore[kitty-fs-mint]" comment
            open("d")  # type: ignore[kitty-fs-write]  # E: Unused "type: ignore" comment  [unused-ignore]
        """,
    ),
    _case(
        "error_code_disabled_for_one_module",
        "guarded_pkg.legacy",
        """
        import os

        from kitty_fs import write_boundary

        def migrate(root: str) -> None:
            os.replace("a", "b")
            write_boundary(root, reason="only kitty-fs-write is off here")  # E: WriteContext minted in "guarded_pkg.legacy", $MINTED  [kitty-fs-mint]
        """,
    ),
    # ----------------------------------------------------------------- accepted forms
    _case(
        "read_only_opens",
        "guarded_pkg.cases.reads",
        """
        import gzip
        import io
        import zipfile
        from pathlib import Path
        from typing import Final, Literal

        BINARY: Final = "rb"

        def load(path: str, text: Literal["r", "rt"], binary: bool) -> None:
            open(path)
            open(path, "r")
            open(path, "rb" if binary else "r")
            open(path, BINARY)
            open(path, text)
            open(file=path, mode="rt", encoding="utf-8")
            io.open(path, "rb")
            Path(path).open()
            Path(path).open("rb")
            gzip.open(path)
            zipfile.ZipFile(path)
        """,
    ),
    _case(
        "read_only_os_open",
        "guarded_pkg.cases.os_reads",
        """
        import os
        from os import O_RDONLY

        def load(path: str) -> None:
            os.open(path, os.O_RDONLY)
            os.open(path, O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            os.open(path, flags=os.O_RDONLY | os.O_DIRECTORY)
            os.open(path, 0)
        """,
    ),
    _case(
        "reads_on_a_read_context",
        "guarded_pkg.cases.read_ctx",
        """
        import os
        import shutil
        import tempfile
        from pathlib import Path

        from kitty_fs import ReadContext, load_config, read_context

        def status(root: str) -> str:
            ctx: ReadContext = read_context(root, reason="status")
            view = load_config(ctx, ".kittify/config.yaml")
            if ctx.exists(".kittify/config.yaml") and ctx.is_file("README.md"):
                return ctx.read_text("README.md") + str(view) + str(ctx.listdir())
            os.stat(root)
            os.listdir(root)
            Path(root).read_text()
            Path(root).exists()
            shutil.which("git")
            return tempfile.gettempdir()
        """,
    ),
    _case(
        "writes_through_a_write_context_at_a_boundary",
        "guarded_pkg.commands.init",
        """
        from kitty_fs import save_config, write_boundary

        def init(root: str) -> None:
            ctx = write_boundary(root, reason="init")
            ctx.mkdir(".kittify")
            ctx.write_text("notes.txt", "hello")
            ctx.write_bytes("blob", b"x")
            ctx.remove("stale", missing_ok=True)
            save_config(ctx, "project", {"slug": "demo"}, rel=".kittify/config.yaml")
        """,
    ),
    Case(
        "write_context_passed_down_from_a_boundary",
        {
            "guarded_pkg.commands.tracker.bind": """
            from guarded_pkg.services.store import persist_binding
            from kitty_fs import write_boundary

            def bind(root: str, ref: str) -> None:
                persist_binding(write_boundary(root, reason="tracker bind"), ref)
            """,
            "guarded_pkg.services.store": """
            from kitty_fs import ReadContext, WriteContext, load_config, save_config

            def current(ctx: ReadContext) -> object:
                return load_config(ctx, ".kittify/config.yaml")

            def persist_binding(ctx: WriteContext, ref: str) -> None:
                current(ctx)
                save_config(ctx, "tracker", {"binding_ref": ref}, rel=".kittify/config.yaml")
                ctx.write_text(".kittify/last-bind", ref)
            """,
        },
    ),
    Case(
        "unguarded_packages_are_not_checked",
        {
            "free_pkg.tools": """
            import os
            import shutil
            from pathlib import Path

            from kitty_fs import WriteContext, write_boundary

            class Mine(WriteContext):
                pass

            def anything(root: str) -> None:
                open(root, "w")
                Path(root).write_text("x")
                os.replace(root, "b")
                shutil.rmtree(root)
                write_boundary(root, reason="tests may mint")
                WriteContext(root, "x", _token=object())
            """,
            "guarded_pkgx.tools": """
            import os

            from kitty_fs import write_boundary

            def anything(root: str) -> None:
                os.replace(root, "b")
                write_boundary(root, reason="a prefix is not a package")
            """,
        },
    ),
    _case(
        "same_method_names_on_other_classes",
        "guarded_pkg.cases.lookalikes",
        """
        import datetime

        class Notebook:
            def write_text(self, text: str) -> None: ...
            def unlink(self) -> None: ...
            def open(self, mode: str) -> None: ...
            def mkdir(self) -> None: ...

        def edit(book: Notebook, when: datetime.date) -> str:
            book.write_text("x")
            book.unlink()
            book.open("w")
            book.mkdir()
            when.replace(year=2000)
            return "a".replace("a", "b") + b"a".replace(b"a", b"b").decode()
        """,
    ),
    _case(
        "local_definitions_are_not_confused_with_rules",
        "guarded_pkg.cases.locals",
        """
        from collections.abc import Callable

        def outer() -> int:
            class open:  # noqa: A001 - a local class named like a builtin
                def __init__(self, path: str, mode: str) -> None: ...

            def remove(path: str) -> int:
                return len(path)

            open("x", "w")
            writer: Callable[[str], int] = remove
            return remove("x") + writer("y")
        """,
    ),
    _case(
        "giving_up_authority_is_always_fine",
        "guarded_pkg.cases.downgrade",
        """
        import attrs

        from kitty_fs import ReadContext, WriteContext

        @attrs.frozen
        class Point:
            x: int

        def narrow(ctx: WriteContext, reader: ReadContext) -> ReadContext:
            attrs.evolve(Point(1), x=2)
            attrs.evolve(reader, reason="renamed")
            return ctx.read_only()
        """,
    ),
    _case(
        "evolve_and_subclass_inside_a_boundary",
        "guarded_pkg.commands.advanced",
        """
        import attrs

        from kitty_fs import WriteContext

        @attrs.frozen(slots=True)
        class Audited(WriteContext):
            pass

        def derive(ctx: WriteContext) -> WriteContext:
            return attrs.evolve(ctx, reason="apply")
        """,
    ),
]

PLAIN_CASES: list[Case] = [
    _case(
        "save_config_needs_a_write_context",
        "plain_pkg.save",
        """
        from kitty_fs import ReadContext, save_config

        def upgrade(ctx: ReadContext) -> None:
            save_config(ctx, "tracker", {"binding_ref": "new"}, rel=".kittify/config.yaml")  # E: Argument 1 to "save_config" has incompatible type "ReadContext"; expected "WriteContext"  [arg-type]
        """,
    ),
    _case(
        "read_context_has_no_write_methods",
        "plain_pkg.methods",
        """
        from kitty_fs import ReadContext

        def upgrade(ctx: ReadContext) -> None:
            ctx.write_text("a", "x")  # E: "ReadContext" has no attribute "write_text"  [attr-defined]
            ctx.write_bytes("a", b"x")  # E: "ReadContext" has no attribute "write_bytes"; maybe "read_bytes"?  [attr-defined]
            ctx.mkdir("d")  # E: "ReadContext" has no attribute "mkdir"  [attr-defined]
            ctx.remove("a")  # E: "ReadContext" has no attribute "remove"  [attr-defined]
        """,
    ),
    _case(
        "a_read_context_never_becomes_a_write_context",
        "plain_pkg.convert",
        """
        from kitty_fs import ReadContext, WriteContext, read_context

        def persist(ctx: WriteContext) -> None: ...

        def status(root: str) -> None:
            ctx = read_context(root, reason="status")
            persist(ctx)  # E: Argument 1 to "persist" has incompatible type "ReadContext"; expected "WriteContext"  [arg-type]
            writer: WriteContext = ctx  # E: Incompatible types in assignment (expression has type "ReadContext", variable has type "WriteContext")  [assignment]
            reader: ReadContext = ctx
        """,
    ),
    _case(
        "read_command_whose_body_asks_for_a_write_context",
        "plain_pkg.commands",
        """
        from kitty_fs import WriteContext
        from kitty_fs.commands import CommandRegistry, Invocation

        commands = CommandRegistry()

        @commands.read("sneaky", "a read command that wants to write")  # E: Argument 1 has incompatible type "Callable[[WriteContext, Invocation], int]"; expected "Callable[[ReadContext, Invocation], int | None]"  [arg-type]  # N: This is likely because "sneaky" has named arguments: "repo", "inv". Consider marking them positional-only
        def sneaky(repo: WriteContext, inv: Invocation) -> int:
            return 0

        @commands.read("sneaky-positional", "the same, positional-only")  # E: Argument 1 has incompatible type "Callable[[WriteContext, Invocation], int]"; expected "Callable[[ReadContext, Invocation], int | None]"  [arg-type]
        def sneaky_positional(repo: WriteContext, inv: Invocation, /) -> int:
            return 0
        """,
    ),
    _case(
        "write_command_may_take_a_read_context_body",
        "plain_pkg.write_commands",
        """
        from kitty_fs import ReadContext, WriteContext
        from kitty_fs.commands import CommandRegistry, Invocation

        commands = CommandRegistry()

        @commands.write("apply", "persists through its WriteContext")
        def apply(repo: WriteContext, inv: Invocation) -> int:
            return 0

        @commands.write("check", "a write command whose body only reads is still well typed")
        def check(repo: ReadContext, inv: Invocation) -> int:
            return 0

        @commands.read("status", "a read command")
        def status(repo: ReadContext, inv: Invocation) -> None:
            pass
        """,
    ),
    _case(
        "scoped_write_body_cannot_persist_the_config",
        "plain_pkg.scoped",
        """
        from kitty_fs import ScopedWriteContext, WriteContext, save_config
        from kitty_fs.commands import CommandRegistry, Invocation

        commands = CommandRegistry()

        def persist_binding(ctx: WriteContext) -> None:
            save_config(ctx, "tracker", {"binding_ref": "b2"}, rel=".kittify/config.yaml")

        @commands.scoped_write("status emit", "appends a status line", writes=["kitty-specs/{mission}/status.events.jsonl"])
        def emit(repo: ScopedWriteContext, inv: Invocation, mission: str) -> int:
            repo.append_text(f"kitty-specs/{mission}/status.events.jsonl", "{}\\n")
            save_config(repo, "project", {"build_id": "b"}, rel=".kittify/config.yaml")  # E: Argument 1 to "save_config" has incompatible type "ScopedWriteContext"; expected "WriteContext"  [arg-type]
            persist_binding(repo)  # E: Argument 1 to "persist_binding" has incompatible type "ScopedWriteContext"; expected "WriteContext"  [arg-type]
            full: WriteContext = repo  # E: Incompatible types in assignment (expression has type "ScopedWriteContext", variable has type "WriteContext")  [assignment]
            return 0

        @commands.scoped_write("greedy", "asks for the whole root", writes=["kitty-specs"])  # E: Argument 1 has incompatible type "Callable[[WriteContext, Invocation], int]"; expected "Callable[[ScopedWriteContext, Invocation], int | None]"  [arg-type]  # N: This is likely because "greedy" has named arguments: "repo", "inv". Consider marking them positional-only
        def greedy(repo: WriteContext, inv: Invocation) -> int:
            return 0
        """,
    ),
    _case(
        "scoped_write_accepted_forms",
        "plain_pkg.scoped_ok",
        """
        from kitty_fs import ReadContext, ScopedWriteContext, WriteContext, load_config
        from kitty_fs.commands import CommandRegistry, Invocation

        commands = CommandRegistry()

        def summarize(ctx: ReadContext) -> int:
            return len(load_config(ctx, ".kittify/config.yaml").section("project") or {})

        @commands.scoped_write("record", "writes its mission", writes=["kitty-specs/{mission}"])
        def record(repo: ScopedWriteContext, inv: Invocation, mission: str) -> int:
            repo.write_text(f"kitty-specs/{mission}/analysis.md", "# analysis\\n")
            narrower: ScopedWriteContext = repo.scoped([f"kitty-specs/{mission}/notes"])
            narrower.mkdir(f"kitty-specs/{mission}/notes")
            return summarize(repo) + summarize(repo.read_only())

        @commands.scoped_write("peek", "a scoped writer whose body only reads", writes=["out"])
        def peek(repo: ReadContext, inv: Invocation) -> int:
            return summarize(repo)

        def attenuate(full: WriteContext) -> ScopedWriteContext:
            return full.scoped(["kitty-specs/001-a"])
        """,
    ),
    _case(
        "a_write_context_is_a_read_context",
        "plain_pkg.subtype",
        """
        from kitty_fs import ReadContext, WriteContext, load_config

        def read(ctx: ReadContext) -> None:
            load_config(ctx, ".kittify/config.yaml")

        def write(ctx: WriteContext) -> None:
            read(ctx)
            load_config(ctx, ".kittify/config.yaml")
        """,
    ),
]
