"""The benchmarks' shared clock."""

from __future__ import annotations

import time
from collections.abc import Callable


def seconds_per_call(fn: Callable[[], object], seconds: float) -> float:
    """Seconds per call of ``fn``, after one warm-up call: calls repeated for at least
    ``seconds`` and at least twice."""
    fn()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or count < 2:
        fn()
        count += 1
    return (time.perf_counter() - start) / count
