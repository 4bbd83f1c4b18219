"""What handling Landlock's ``TRUNCATE`` right costs an ``open``, side by side, by path depth.

Why: the kernel layer misses its target (kernel-only within 1.02 of no
enforcement on 10,000 reads), and the cost was put down to ``TRUNCATE``: with it
handled, Landlock's ``file_open`` hook asks for the truncate right on *every*
open (reads too: it records on the new descriptor whether ``ftruncate`` may
follow), and a right no rule grants means a walk from the file up to ``/``. If
that is the cause, the extra time per open grows with the path's depth when
``TRUNCATE`` is handled and stays flat without it. This measures exactly that.

States, each in a fresh interpreter (a ruleset cannot be removed), shuffled per
round: ``none`` (no ruleset); ``full`` (the kernel layer's own ruleset,
``kitty_fs._kernel.restrict_writes``); ``notrunc`` (the same rights less
``TRUNCATE``); ``trunc-only`` (only ``TRUNCATE`` handled); and, on x86_64,
``notrunc+seccomp``, a prototype of closing the ``TRUNCATE`` gap another way:
the ``notrunc`` ruleset plus a seccomp filter that refuses ``truncate(2)`` and
``open``/``openat`` with ``O_RDONLY|O_TRUNC`` everywhere (the two things only
``TRUNCATE`` stops: every other truncation needs a descriptor open for writing,
which ``WRITE_FILE`` already refuses in the root) and ``openat2``/``io_uring``
(flags it cannot inspect). The prototype ignores 32-bit and x32 system calls
and other architectures; it is a measurement, not a layer.

Each worker opens, reads and closes a 512-byte file ``--opens`` times at each
depth (best CPU time of ``--inner``), plus ``os.stat`` as a control Landlock does not
look at; the orchestrator runs ``--reps`` rounds and reports, per state and
depth, the median time per open and the spread over rounds (min-max), the
extra time over ``none``, and the slope of that extra time per path component.

    .venv/bin/python bench/landlock_truncate.py [--reps R] [--opens N] [--depths 4,12,28]
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _timing import best_of

STATES = ("none", "full", "notrunc", "trunc-only", "notrunc+seccomp")
_TRUNCATE = 1 << 14


def _restrict(state: str, allowed: Path) -> None:
    from kitty_fs import _kernel

    if state == "none":
        return
    full = _kernel._handled(_kernel.kernel_status().abi)
    handled = {
        "full": full,
        "notrunc": full & ~_TRUNCATE,
        "notrunc+seccomp": full & ~_TRUNCATE,
        "trunc-only": _TRUNCATE,
    }[state]
    # The real ruleset builder, told which rights to handle (a benchmark may reach in).
    setattr(_kernel, "_handled", lambda _abi: handled)  # noqa: B010
    status = _kernel.restrict_writes([allowed, *_kernel.default_allowed_extras()])
    assert status.applied, status
    if state == "notrunc+seccomp":
        _seccomp_truncate_filter()


# --- the seccomp prototype (x86_64 only) ----------------------------------------------------

_AUDIT_ARCH_X86_64 = 0xC000003E
_NR = {"open": 2, "truncate": 76, "openat": 257, "io_uring_setup": 425, "openat2": 437}
_O_TRUNC, _O_ACCMODE = 0o1000, 0o3
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


class _Insn(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class _Prog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Insn)))


def _seccomp_program() -> list[tuple[int, int, int, int]]:
    ld_abs, jeq, jge, ret, and_k = 0x20, 0x15, 0x35, 0x06, 0x54
    nr_at, arch_at, args_at = 0, 4, 16  # struct seccomp_data offsets (x86_64: little-endian)
    eacces, enosys = _RET_ERRNO | errno.EACCES, _RET_ERRNO | errno.ENOSYS
    return [
        (ld_abs, 0, 0, arch_at),  # 0
        (jeq, 1, 0, _AUDIT_ARCH_X86_64),  # 1: x86_64 -> 3
        (ret, 0, 0, _RET_ALLOW),  # 2: another arch (prototype: not handled)
        (ld_abs, 0, 0, nr_at),  # 3
        (jge, 5, 0, 0x40000000),  # 4: x32 -> 10 (prototype: not handled)
        (jeq, 12, 0, _NR["truncate"]),  # 5 -> 18
        (jeq, 10, 0, _NR["openat2"]),  # 6 -> 17
        (jeq, 9, 0, _NR["io_uring_setup"]),  # 7 -> 17
        (jeq, 2, 0, _NR["open"]),  # 8 -> 11
        (jeq, 3, 0, _NR["openat"]),  # 9 -> 13
        (ret, 0, 0, _RET_ALLOW),  # 10
        (ld_abs, 0, 0, args_at + 8),  # 11: open's flags (args[1], low word)
        (0x05, 0, 0, 1),  # 12: ja -> 14
        (ld_abs, 0, 0, args_at + 16),  # 13: openat's flags (args[2], low word)
        (and_k, 0, 0, _O_ACCMODE | _O_TRUNC),  # 14
        (jeq, 2, 0, _O_TRUNC),  # 15: O_RDONLY|O_TRUNC -> 18
        (ret, 0, 0, _RET_ALLOW),  # 16
        (ret, 0, 0, enosys),  # 17
        (ret, 0, 0, eacces),  # 18
    ]


def _seccomp_truncate_filter() -> None:
    if platform.machine() != "x86_64":
        raise SystemExit("the seccomp prototype knows x86_64 system call numbers only")
    program = _seccomp_program()
    insns = (_Insn * len(program))(*(_Insn(*i) for i in program))
    prog = _Prog(len(program), insns)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def _probe_protection(root: Path, allowed: Path) -> dict[str, str]:
    """What the state leaves of the two truncations only ``TRUNCATE`` (or the filter) stops."""
    victim = root / "victim.txt"
    results: dict[str, str] = {}

    def attempt(name: str, act: Callable[[], object]) -> None:
        try:
            act()
        except OSError as exc:
            results[name] = errno.errorcode.get(exc.errno or 0, str(exc.errno))
        else:
            results[name] = "done"

    attempt("truncate(2) in root", lambda: os.truncate(victim, 0))
    attempt("O_RDONLY|O_TRUNC in root", lambda: os.close(os.open(victim, os.O_RDONLY | os.O_TRUNC)))
    results["root file intact"] = str(victim.stat().st_size > 0)
    scratch = allowed / "scratch.txt"
    attempt("write+truncate in allowed dir", lambda: scratch.write_bytes(b"x"))
    fd = os.open(scratch, os.O_WRONLY)
    attempt("ftruncate in allowed dir", lambda: os.ftruncate(fd, 0))
    os.close(fd)
    return results


def worker(state: str, root: Path, depths: list[int], opens: int, inner: int) -> dict[str, object]:
    allowed = root / "allowed"
    _restrict(state, allowed)
    timings: dict[str, float] = {}
    for depth in depths:
        name = os.fspath(_target(root, depth))

        def do_opens(name: str = name) -> None:
            for _ in range(opens):
                with open(name, "rb") as handle:
                    handle.read()

        timings[f"open@{depth}"] = best_of(do_opens, inner, time.process_time) / opens
    name = os.fspath(_target(root, depths[0]))

    def do_stats() -> None:
        for _ in range(opens):
            os.stat(name)

    timings["stat"] = best_of(do_stats, inner, time.process_time) / opens
    return {"timings": timings, "protection": _probe_protection(root, allowed)}


def _target(root: Path, depth: int) -> Path:
    """The file whose absolute path has ``depth`` components (``/a/b/f`` has 3)."""
    below = depth - len(root.parts)  # root.parts counts "/" itself, the file adds one
    assert below >= 0, f"depth {depth} is less than the temp dir's own {len(root.parts)}"
    folder = root.joinpath(*[f"d{i}" for i in range(below)])
    return folder / "data.txt"


def _setup(root: Path, depths: list[int]) -> None:
    (root / "allowed").mkdir()
    (root / "victim.txt").write_bytes(b"tracked bytes\n")
    for depth in depths:
        target = _target(root, depth)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x" * 512)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--opens", type=int, default=5_000)
    parser.add_argument("--inner", type=int, default=3)
    parser.add_argument("--depths", default="6,14,30")
    parser.add_argument("--states", default=",".join(STATES))
    parser.add_argument("--worker", choices=STATES)
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    depths = [int(d) for d in args.depths.split(",")]
    if args.worker:
        print(json.dumps(worker(args.worker, args.root, depths, args.opens, args.inner)))
        return

    from kitty_fs._kernel import kernel_status

    status = kernel_status()
    if not status.available:
        raise SystemExit(f"needs the kernel layer: {status.reason}")
    states = [s for s in STATES if s in {"none", *args.states.split(",")}]
    if platform.machine() != "x86_64" and "notrunc+seccomp" in states:
        states.remove("notrunc+seccomp")
    samples: dict[str, dict[str, list[float]]] = {s: {} for s in states}
    protection: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="kl-") as scratch:
        root = Path(scratch).resolve()
        _setup(root, depths)
        order = list(states)
        for _ in range(args.reps):
            random.shuffle(order)
            for state in order:
                command = [sys.executable, __file__, "--worker", state, "--root", str(root)]
                command += ["--depths", args.depths, "--opens", str(args.opens)]
                command += ["--inner", str(args.inner)]
                out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                result = json.loads(out)
                protection[state] = result["protection"]
                for key, seconds in result["timings"].items():
                    samples[state].setdefault(key, []).append(seconds)
                _setup_reset(root)
    _report(args, status.abi, states, samples, protection, depths)


def _setup_reset(root: Path) -> None:
    (root / "victim.txt").write_bytes(b"tracked bytes\n")
    (root / "allowed" / "scratch.txt").unlink(missing_ok=True)


def _report(
    args: argparse.Namespace,
    abi: int,
    states: list[str],
    samples: dict[str, dict[str, list[float]]],
    protection: dict[str, object],
    depths: list[int],
) -> None:
    print(
        f"Landlock ABI {abi}: {args.reps} rounds, states shuffled per round, best of "
        f"{args.inner} x {args.opens:,} per worker; median over rounds [min-max], us per call"
    )
    keys = [f"open@{d}" for d in depths] + ["stat"]
    base = {k: statistics.median(samples["none"][k]) for k in keys}
    for state in states:
        cells = []
        for key in keys:
            values = samples[state][key]
            med = statistics.median(values)
            extra = (
                ""
                if state == "none"
                else f" {med / base[key]:.3f}x {1e9 * (med - base[key]):+.0f}ns"
            )
            cells.append(
                f"{key} {1e6 * med:.3f} [{1e6 * min(values):.3f}-{1e6 * max(values):.3f}]{extra}"
            )
        print(f"{state:<16} " + "  ".join(cells))
    print("\nextra ns per open over none, by depth; slope = ns per path component:")
    for state in states[1:]:
        extras = [
            1e9 * (statistics.median(samples[state][f"open@{d}"]) - base[f"open@{d}"])
            for d in depths
        ]
        slope = (extras[-1] - extras[0]) / (depths[-1] - depths[0])
        shown = ", ".join(f"{d}: {e:+.0f}" for d, e in zip(depths, extras, strict=True))
        print(f"{state:<16} {shown}   slope {slope:+.1f} ns/component")
    print("\nwhat each state leaves of the truncations only TRUNCATE stops:")
    for state in states:
        print(f"{state:<16} {protection[state]}")


if __name__ == "__main__":
    main()
