"""The best of repeated runs: the one timing helper the micro-benchmarks share."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["best_of"]


def best_of(
    run: Callable[[], None], inner: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """The smallest ``clock`` time of ``inner`` calls of ``run``.

    The minimum, not the mean: on a shared machine the slower runs measure the
    neighbours. ``time.process_time`` as the clock leaves out the time spent
    descheduled altogether (CPU time: user + system).
    """
    best = float("inf")
    for _ in range(inner):
        start = clock()
        run()
        best = min(best, clock() - start)
    return best
