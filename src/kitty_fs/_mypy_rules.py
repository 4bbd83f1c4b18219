"""The tables behind the kitty_fs mypy plugin: which calls write, and what to say instead.

Keys are the fullnames mypy hands to ``get_function_hook``/``get_method_hook``
(checked against mypy 2.4.1's typeshed: ``io.open`` arrives as ``_io.open``,
``shutil.rmtree`` as the method ``shutil._RmtreeType.__call__``). ``pathlib``
methods are keyed by method name alone, because mypy names a method call after
the *receiver's* class (``PosixPath.touch``, ``MyPath.unlink``), and the plugin
checks that the receiver is a ``pathlib.Path`` before reporting.

Three kinds of rule: ``always`` (the call writes), ``mode`` (an opener that
writes unless its ``mode`` argument is a read-only literal; absent means read)
and ``flags`` (``os.open``: writes unless its flags are provably read-only).

This module does not import mypy, so the tables and the mode/flag predicates
are tested directly. ``RULES_DIGEST`` changes whenever a table changes; the
plugin reports it as config data so that cached mypy results are rechecked.
"""

from __future__ import annotations

import hashlib
from typing import Final, Literal

import attrs

__all__ = [
    "FUNCTION_RULES",
    "METHOD_RULES",
    "MINT_BOUNDARY",
    "MINT_CLASS",
    "MINT_EVOLVE",
    "PATH_CLASS",
    "PATH_METHODS_REMOVED",
    "PATH_METHOD_RULES",
    "READ_SAFE_OPEN_FLAGS",
    "RULES_DIGEST",
    "WriteRule",
    "is_read_only_mode",
]

Kind = Literal["always", "mode", "flags"]

# What to use instead, by family of operation. Each names the kitty_fs way.
_CONTENT: Final = (
    "persist through a kitty_fs WriteContext (ctx.write_text / ctx.write_bytes / save_config) "
    "taken at a write boundary"
)
_MKDIR: Final = "persist through a kitty_fs WriteContext (ctx.mkdir) taken at a write boundary"
_REMOVE: Final = "persist through a kitty_fs WriteContext (ctx.remove) taken at a write boundary"
_MOVE: Final = (
    "persist through a kitty_fs WriteContext (ctx.write_bytes replaces atomically) "
    "taken at a write boundary"
)
_METADATA: Final = (
    "do it in kitty_fs behind a WriteContext taken at a write boundary, "
    'or mark a deliberate exception with "# type: ignore[kitty-fs-write]"'
)
_TEMP: Final = (
    "write through a kitty_fs WriteContext rooted at a side channel "
    "(a state or temp directory) handed down by the dispatcher"
)


@attrs.frozen(slots=True)
class WriteRule:
    """One raw write API: how users spell it, when it writes, and what to do instead."""

    api: str
    remedy: str
    kind: Kind = "always"
    # The parameter that decides, for "mode" and "flags" rules.
    param: str = ""


def _always(api: str, remedy: str) -> WriteRule:
    return WriteRule(api, remedy)


def _opener(api: str) -> WriteRule:
    return WriteRule(api, _CONTENT, "mode", "mode")


FUNCTION_RULES: Final[dict[str, WriteRule]] = {
    # Openers that write unless their mode is a read-only literal.
    "builtins.open": _opener("open"),
    "_io.open": _opener("io.open"),
    "io.open": _opener("io.open"),
    "codecs.open": _opener("codecs.open"),
    "gzip.open": _opener("gzip.open"),
    "bz2.open": _opener("bz2.open"),
    "lzma.open": _opener("lzma.open"),
    "tarfile.open": _opener("tarfile.open"),
    "zipfile.ZipFile": _opener("zipfile.ZipFile"),
    "os.open": WriteRule("os.open", _CONTENT, "flags", "flags"),
    # os: every path mutation.
    "os.truncate": _always("os.truncate", _CONTENT),
    "os.mkdir": _always("os.mkdir", _MKDIR),
    "os.makedirs": _always("os.makedirs", _MKDIR),
    "os.remove": _always("os.remove", _REMOVE),
    "os.unlink": _always("os.unlink", _REMOVE),
    "os.rmdir": _always("os.rmdir", _REMOVE),
    "os.removedirs": _always("os.removedirs", _REMOVE),
    "os.rename": _always("os.rename", _MOVE),
    "os.renames": _always("os.renames", _MOVE),
    "os.replace": _always("os.replace", _MOVE),
    "os.chmod": _always("os.chmod", _METADATA),
    "os.lchmod": _always("os.lchmod", _METADATA),
    "os.chown": _always("os.chown", _METADATA),
    "os.lchown": _always("os.lchown", _METADATA),
    "os.chflags": _always("os.chflags", _METADATA),
    "os.lchflags": _always("os.lchflags", _METADATA),
    "os.utime": _always("os.utime", _METADATA),
    "os.link": _always("os.link", _METADATA),
    "os.symlink": _always("os.symlink", _METADATA),
    "os.mkfifo": _always("os.mkfifo", _METADATA),
    "os.mknod": _always("os.mknod", _METADATA),
    "os.setxattr": _always("os.setxattr", _METADATA),
    "os.removexattr": _always("os.removexattr", _METADATA),
    # shutil: copies, moves, removals, archives.
    "shutil.copy": _always("shutil.copy", _MOVE),
    "shutil.copy2": _always("shutil.copy2", _MOVE),
    "shutil.copyfile": _always("shutil.copyfile", _MOVE),
    "shutil.copytree": _always("shutil.copytree", _MOVE),
    "shutil.move": _always("shutil.move", _MOVE),
    "shutil.copymode": _always("shutil.copymode", _METADATA),
    "shutil.copystat": _always("shutil.copystat", _METADATA),
    "shutil.chown": _always("shutil.chown", _METADATA),
    "shutil.rmtree": _always("shutil.rmtree", _REMOVE),
    "shutil.make_archive": _always("shutil.make_archive", _CONTENT),
    "shutil.unpack_archive": _always("shutil.unpack_archive", _CONTENT),
    # tempfile: everything that creates a file or directory (mktemp only names one).
    "tempfile.mkstemp": _always("tempfile.mkstemp", _TEMP),
    "tempfile.mkdtemp": _always("tempfile.mkdtemp", _TEMP),
    "tempfile.NamedTemporaryFile": _always("tempfile.NamedTemporaryFile", _TEMP),
    "tempfile.TemporaryFile": _always("tempfile.TemporaryFile", _TEMP),
    "tempfile.TemporaryDirectory": _always("tempfile.TemporaryDirectory", _TEMP),
    "tempfile.SpooledTemporaryFile": _always("tempfile.SpooledTemporaryFile", _TEMP),
}

METHOD_RULES: Final[dict[str, WriteRule]] = {
    # typeshed declares rmtree as an instance of a callable protocol class.
    "shutil._RmtreeType.__call__": _always("shutil.rmtree", _REMOVE),
}

PATH_CLASS: Final = "pathlib.Path"


def _path(name: str, remedy: str) -> WriteRule:
    return _always(f"{PATH_CLASS}.{name}", remedy)


PATH_METHOD_RULES: Final[dict[str, WriteRule]] = {
    "open": WriteRule(f"{PATH_CLASS}.open", _CONTENT, "mode", "mode"),
    "write_text": _path("write_text", _CONTENT),
    "write_bytes": _path("write_bytes", _CONTENT),
    "touch": _path("touch", _CONTENT),
    "mkdir": _path("mkdir", _MKDIR),
    "unlink": _path("unlink", _REMOVE),
    "rmdir": _path("rmdir", _REMOVE),
    "rename": _path("rename", _MOVE),
    "replace": _path("replace", _MOVE),
    "chmod": _path("chmod", _METADATA),
    "lchmod": _path("lchmod", _METADATA),
    "symlink_to": _path("symlink_to", _METADATA),
    "hardlink_to": _path("hardlink_to", _METADATA),
    "link_to": _path("link_to", _METADATA),
}

# Path methods a rule names that later Pythons removed, with the version that removed them.
# The rule stays: mypy checks code against its configured python_version, and typeshed still
# declares them below these versions, so code targeting 3.11 may call them.
PATH_METHODS_REMOVED: Final[dict[str, tuple[int, int]]] = {"link_to": (3, 12)}

# Minting: the boundary function, the constructor, and attrs.evolve (which can re-root a copy).
MINT_BOUNDARY: Final = "kitty_fs._context.write_boundary"
MINT_CLASS: Final = "kitty_fs._context.WriteContext"
MINT_EVOLVE: Final = frozenset({"attr.evolve", "attrs.evolve"})

# os.open flags that never make an open write. Anything else, or anything the
# plugin cannot read as a `|` of these names (a variable, a call), counts as a write.
READ_SAFE_OPEN_FLAGS: Final = frozenset(
    {
        "O_RDONLY",
        "O_CLOEXEC",
        "O_NOFOLLOW",
        "O_NOFOLLOW_ANY",
        "O_DIRECTORY",
        "O_NONBLOCK",
        "O_NDELAY",
        "O_NOCTTY",
        "O_NOATIME",
        "O_PATH",
        "O_BINARY",
        "O_TEXT",
        "O_NOINHERIT",
        "O_LARGEFILE",
        "O_ASYNC",
        "O_DIRECT",
        "O_SYNC",
        "O_DSYNC",
        "O_RSYNC",
        "O_SEQUENTIAL",
        "O_RANDOM",
        "O_SYMLINK",
        "O_EVTONLY",
    }
)

_WRITING_MODE_CHARS: Final = frozenset("wax+")


def is_read_only_mode(mode: str) -> bool:
    """True when an ``open``-style mode string cannot write (no ``w``, ``a``, ``x`` or ``+``)."""
    return not _WRITING_MODE_CHARS.intersection(mode)


def _digest() -> str:
    parts = [
        repr(sorted((k, attrs.astuple(v)) for k, v in FUNCTION_RULES.items())),
        repr(sorted((k, attrs.astuple(v)) for k, v in METHOD_RULES.items())),
        repr(sorted((k, attrs.astuple(v)) for k, v in PATH_METHOD_RULES.items())),
        repr(sorted(READ_SAFE_OPEN_FLAGS)),
        repr((MINT_BOUNDARY, MINT_CLASS, sorted(MINT_EVOLVE))),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


RULES_DIGEST: Final = _digest()
