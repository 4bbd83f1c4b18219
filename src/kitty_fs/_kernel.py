# ruff: noqa: PTH100, PTH112, S108
# (str paths for O_PATH descriptors: no pathlib import; /dev/shm is named on purpose)
"""The kernel layer: a Linux Landlock ruleset that lets a process write only beneath named places.

The audit-hook guard sees only what CPython announces; C code, ``ctypes``, a
``spawn`` worker or any non-Python child writes unseen. Landlock (Linux 5.13+,
unprivileged) closes that structurally: once a process restricts itself, the
kernel refuses (``EACCES``) every handled access outside the allowed
hierarchies, for that process **and every child it starts afterwards**,
whatever the language. It is irreversible, so it is applied only to processes
that exist for one command (``kitty-fs run``, a read command's process).

What is handled (best effort over ABI versions, as the kernel documentation
recommends: the running ABI is queried and only the rights it knows are
asked for): the write-like file-system rights ``WRITE_FILE``, ``REMOVE_DIR``,
``REMOVE_FILE``, ``MAKE_CHAR``, ``MAKE_DIR``, ``MAKE_REG``, ``MAKE_SOCK``,
``MAKE_FIFO``, ``MAKE_BLOCK``, ``MAKE_SYM``, then ``REFER`` (ABI 2: renames
and links across directories) and ``TRUNCATE`` (ABI 3). Read and execute
rights are never handled, so reads stay untouched. Gaps by ABI: on ABI 1 a
rename or hard link into another directory is always refused (``EXDEV``; most
programs fall back to copying); below ABI 3 ``truncate(2)`` of an existing
file is not restricted (``open(O_TRUNC)`` still needs ``WRITE_FILE``).

Cost: with ``TRUNCATE`` handled the kernel works out, on every ``open`` (reads
too), whether the descriptor may truncate: about 1 µs per open on the
development machine (docs/guard.md has the figures). Kept: without it
``truncate(2)`` or ``open(O_RDONLY | O_TRUNC)`` empties any file.

``IOCTL_DEV`` (ABI 5) is deliberately *not* handled: it restricts ``ioctl`` on
character and block devices only, never on the regular files and directories
a worktree holds, so it protects nothing this layer is for; handling it would
break programs that drive devices (a GPU driver's ``/dev/nvidia*``, sound,
``/dev/ptmx`` for a new pseudo-terminal, terminal ioctls on a re-opened
``/dev/tty`` unless listed). Network (ABI 4) and scoping (ABI 6) rights are
not handled either: they are not about writing files.

Why a ctypes binding and not the PyPI ``landlock`` package: that package is a
development release (``1.0.0.dev5``, last published 2025-05), a dependency of
every install for a feature only Linux has, and its ABI coverage follows its
own release pace; what is needed here is three syscalls, one ``prctl`` and two
small structs, a stable kernel ABI that only grows. About 150 lines we can
read, test on every ABI the machine offers and keep; standard library only.
Nothing is loaded at import (not even ``ctypes``): the syscalls happen in
``kernel_status()`` and ``restrict_writes()``, so importing is free and works
on any OS.

``KITTY_FS_KERNEL=off`` switches the layer off (``kernel_status()`` reports
it, ``restrict_writes()`` applies nothing).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ENV_SWITCH",
    "KernelStatus",
    "Restriction",
    "default_allowed_extras",
    "kernel_status",
    "prepare_restriction",
    "restrict_writes",
]

ENV_SWITCH = "KITTY_FS_KERNEL"

# Syscall numbers: the generic table every architecture took for syscalls added
# after 5.1 (alpha and the MIPS ABIs offset theirs; they are not supported here).
_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_MACHINES = frozenset(
    {"x86_64", "amd64", "i386", "i686", "aarch64", "arm64", "armv7l", "armv6l", "riscv64"}
    | {"ppc64le", "ppc64", "s390x", "loongarch64"}
)
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_WRITE_FILE = 1 << 1
_REMOVE_DIR = 1 << 4
_REMOVE_FILE = 1 << 5
_MAKE_CHAR = 1 << 6
_MAKE_DIR = 1 << 7
_MAKE_REG = 1 << 8
_MAKE_SOCK = 1 << 9
_MAKE_FIFO = 1 << 10
_MAKE_BLOCK = 1 << 11
_MAKE_SYM = 1 << 12
_REFER = 1 << 13  # ABI 2
_TRUNCATE = 1 << 14  # ABI 3
_ABI1_WRITES = (
    _WRITE_FILE
    | _REMOVE_DIR
    | _REMOVE_FILE
    | _MAKE_CHAR
    | _MAKE_DIR
    | _MAKE_REG
    | _MAKE_SOCK
    | _MAKE_FIFO
    | _MAKE_BLOCK
    | _MAKE_SYM
)
# Rights that make sense on a file that is not a directory (a device such as /dev/null):
# giving a directory-only right to a non-directory is EINVAL.
_FILE_RIGHTS = _WRITE_FILE | _TRUNCATE
# What replacing a file by rename(2) needs of its directory: Landlock grants these per
# directory, never per entry (a new name is linked, the old entry removed, the temp file
# moved in from another directory).
_REPLACE_RIGHTS = _MAKE_REG | _REMOVE_FILE | _REFER


class KernelStatus:
    """Whether the kernel layer can run here, and whether it was applied.

    ``available``: Landlock can be used in this process; ``abi`` its version
    (0 when unavailable); ``reason``: why it is off (empty when available);
    ``applied``: a ruleset was put on this process by ``restrict_writes``;
    ``allowed``: the absolute paths it left writable (existing ones only);
    ``skipped``: the requested paths that did not exist and got no rule.
    """

    __slots__ = ("abi", "allowed", "applied", "available", "reason", "skipped")

    available: bool
    abi: int
    reason: str
    applied: bool
    allowed: tuple[str, ...]
    skipped: tuple[str, ...]

    # Frozen by hand (not a dataclass: importing dataclasses costs ~9 ms, this module ~0).
    def __init__(
        self,
        available: bool,
        abi: int,
        reason: str,
        applied: bool = False,
        allowed: tuple[str, ...] = (),
        skipped: tuple[str, ...] = (),
    ) -> None:
        for name, value in (
            ("available", available),
            ("abi", abi),
            ("reason", reason),
            ("applied", applied),
            ("allowed", allowed),
            ("skipped", skipped),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"KernelStatus is frozen: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"KernelStatus is frozen: cannot delete {name}")

    def _key(self) -> tuple[object, ...]:
        return (self.available, self.abi, self.reason, self.applied, self.allowed, self.skipped)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KernelStatus) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("available", "abi", "reason", "applied", "allowed", "skipped")
        )
        return f"KernelStatus({fields})"

    def describe(self) -> str:
        """One line for a report header or ``capabilities``: the layer and its state."""
        if not self.available:
            return f"off ({self.reason})"
        state = "applied" if self.applied else "available"
        return f"Landlock ABI {self.abi} ({state})"


def _handled(abi: int) -> int:
    rights = _ABI1_WRITES
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    return rights


_CACHE: dict[str, object] = {}


def _libc() -> object:
    import ctypes

    if "libc" not in _CACHE:
        _CACHE["libc"] = ctypes.CDLL(None, use_errno=True)
    return _CACHE["libc"]


def _probe() -> KernelStatus:
    if not sys.platform.startswith("linux"):
        return KernelStatus(False, 0, f"not Linux ({sys.platform})")
    machine = os.uname().machine
    if machine not in _MACHINES:
        return KernelStatus(False, 0, f"no known Landlock syscall numbers for {machine}")
    import ctypes
    import errno

    libc = _libc()
    syscall = libc.syscall  # type: ignore[attr-defined]
    syscall.restype = ctypes.c_long
    abi = syscall(
        ctypes.c_long(_SYS_CREATE_RULESET),
        ctypes.c_void_p(None),
        ctypes.c_size_t(0),
        ctypes.c_uint32(_CREATE_RULESET_VERSION),
    )
    if abi >= 1:
        return KernelStatus(True, int(abi), "")
    err = ctypes.get_errno()
    if err == errno.ENOSYS:
        return KernelStatus(False, 0, "kernel has no Landlock (ENOSYS)")
    if err == errno.EOPNOTSUPP:
        return KernelStatus(False, 0, "Landlock disabled at boot (EOPNOTSUPP)")
    if err == errno.EPERM:
        return KernelStatus(False, 0, "Landlock refused by a seccomp policy (EPERM)")
    return KernelStatus(
        False, 0, f"Landlock version query failed ({errno.errorcode.get(err, err)})"
    )


def _cached_probe() -> KernelStatus:
    status = _CACHE.get("status")
    if not isinstance(status, KernelStatus):
        status = _CACHE["status"] = _probe()
    return status


def kernel_status() -> KernelStatus:
    """Whether the kernel layer is available here (cached after the first call; one syscall).

    ``KITTY_FS_KERNEL=off`` in the environment makes it unavailable, with that
    as the reason (read at every call, so a test can switch it).
    """
    if os.environ.get(ENV_SWITCH, "").strip().lower() in ("off", "0", "no", "false"):
        return KernelStatus(False, 0, f"switched off by {ENV_SWITCH}=off")
    return _cached_probe()


def default_allowed_extras() -> list[str]:
    """What any process needs writable whatever it does: the null device and the terminal.

    ``/dev/null``, ``/dev/zero``, ``/dev/full``, ``/dev/tty`` (the controlling
    terminal, re-opened by prompts and pagers), ``/dev/pts`` (pseudo-terminals),
    ``/dev/ptmx`` (opening a new one: ``script``, ``tmux``, test runners) and
    ``/dev/shm``: POSIX semaphores live there (``sem_open`` creates
    ``/dev/shm/sem.*``), so without it every ``multiprocessing`` lock, queue or
    pool fails, as does ``multiprocessing.shared_memory``. It is a tmpfs that
    no worktree lives in; a caller whose protected root lies beneath one of
    these must drop it (``kitty-fs run`` refuses such a root).
    """
    return ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/pts", "/dev/ptmx", "/dev/shm"]


def _fail(what: str, path: str | None = None) -> OSError:
    import ctypes

    err = ctypes.get_errno()
    where = f" for {path}" if path else ""
    return OSError(err, f"kitty-fs kernel layer: {what}{where} failed: {os.strerror(err)}")


class Restriction:
    """A Landlock ruleset built and not yet applied (``prepare_restriction``).

    ``apply()`` is two syscalls (``prctl``, ``landlock_restrict_self``) on a
    ruleset whose rules are already in: cheap and allocation-light, so it can
    run between ``fork`` and ``exec`` (``subprocess``'s ``preexec_fn``), which
    is how ``kitty-fs run`` restricts only the program and not itself.
    ``status`` describes the ruleset (``applied`` false until ``apply``).
    """

    __slots__ = ("_fd", "status")

    def __init__(self, fd: int, status: KernelStatus) -> None:
        self._fd = fd
        self.status = status

    def apply(self) -> KernelStatus:
        """Restrict the calling process (irreversible); the status with ``applied`` true."""
        import ctypes

        libc = _libc()
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:  # type: ignore[attr-defined]
            raise _fail("prctl(PR_SET_NO_NEW_PRIVS)")
        done = libc.syscall(  # type: ignore[attr-defined]
            ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_int(self._fd), ctypes.c_uint32(0)
        )
        if done < 0:
            raise _fail("landlock_restrict_self")
        s = self.status
        return KernelStatus(True, s.abi, "", True, s.allowed, s.skipped)

    def close(self) -> None:
        """Release the ruleset descriptor (a process that applied it keeps the restriction)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def prepare_restriction(
    allowed: Sequence[str | os.PathLike[str]],
    replaceable: Sequence[str | os.PathLike[str]] = (),
) -> Restriction | None:
    """Build the ruleset ``restrict_writes`` would apply, without applying it.

    ``None`` when the layer is unavailable (``kernel_status()`` says why).
    Raises ``OSError`` when the kernel refuses the ruleset or a rule.
    """
    status = kernel_status()
    if not status.available:
        return None
    import ctypes

    handled = _handled(status.abi)
    syscall = _libc().syscall  # type: ignore[attr-defined]
    syscall.restype = ctypes.c_long

    class RulesetAttr(ctypes.Structure):
        _fields_ = (("handled_access_fs", ctypes.c_uint64),)

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))

    attr = RulesetAttr(handled)
    ruleset = syscall(
        ctypes.c_long(_SYS_CREATE_RULESET),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
        ctypes.c_uint32(0),
    )
    if ruleset < 0:
        raise _fail("landlock_create_ruleset")
    kept: list[str] = []
    skipped: list[str] = []
    # None: the rights a path's kind gets; a number: only those (a replaceable file's folder).
    rules: dict[str, int | None] = {os.path.abspath(os.fspath(p)): None for p in allowed}
    for path in replaceable:
        folder = os.fspath(Path(os.path.abspath(os.fspath(path))).parent)
        if folder not in rules:
            rules[folder] = handled & _REPLACE_RIGHTS
    try:
        for entry, only in rules.items():
            try:
                fd = os.open(entry, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                skipped.append(entry)
                continue
            try:
                if only is not None:  # a replaceable file's folder: what a rename needs
                    rights = only
                elif os.path.isdir(entry):
                    rights = handled
                else:
                    rights = handled & _FILE_RIGHTS
                rule = PathBeneath(rights, fd)
                done = syscall(
                    ctypes.c_long(_SYS_ADD_RULE),
                    ctypes.c_int(ruleset),
                    ctypes.c_int(_RULE_PATH_BENEATH),
                    ctypes.byref(rule),
                    ctypes.c_uint32(0),
                )
                if done < 0:
                    raise _fail("landlock_add_rule", entry)
            finally:
                os.close(fd)
            kept.append(entry)
    except BaseException:
        os.close(ruleset)
        raise
    return Restriction(
        ruleset, KernelStatus(True, status.abi, "", False, tuple(kept), tuple(skipped))
    )


def restrict_writes(
    allowed: Sequence[str | os.PathLike[str]],
    *,
    replaceable: Sequence[str | os.PathLike[str]] = (),
) -> KernelStatus:
    """Let this process and all its future children write only beneath ``allowed``.

    Irreversible. Each existing path gets a rule (a directory: every handled
    right beneath it; another file, such as ``/dev/null``: writing and
    truncating it); paths that do not exist are skipped and listed in the
    result's ``skipped``. A file listed in ``replaceable`` (and in ``allowed``)
    may also be replaced by ``rename(2)``, an atomic write: its directory gets
    the rights a rename needs there (``MAKE_REG``, ``REMOVE_FILE``, ``REFER``).
    Landlock grants them per directory, so other entries of that directory can
    then be created, removed or renamed over as well, though still not written
    in place. Symlinks are followed (the rule is on the target).
    When the layer is unavailable (other OS, old kernel, disabled, switched
    off), nothing is applied and the returned status says why; nothing raises.
    Raises ``OSError`` only on a real failure part-way (a rule the kernel
    refuses, ``prctl`` refused), naming the step and the path.
    """
    restriction = prepare_restriction(allowed, replaceable)
    if restriction is None:
        return kernel_status()
    try:
        return restriction.apply()
    finally:
        restriction.close()
