"""Process-wide execution machinery: CPU worker threads for per-matrix LAPACK routines and the
switch that makes value checks behave as on an accelerator.

This is the only stateful part beneath the scenario layer; :mod:`semgym.core` calls into it
(:func:`on_threads`, :func:`host_checks_allowed`) and stays a set of pure functions.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor

#: Smallest batch of matrices that :func:`on_threads` splits over CPU threads.
PARALLEL_MIN_BATCH = 1024

_POOL: ThreadPoolExecutor | None = None
_DEVICE_SIDE_CHECKS = False


@functools.cache
def _openmp_runtime() -> ctypes.CDLL | None:
    """The OpenMP runtime torch loaded (libgomp or libiomp), found in the process's memory map
    (Linux); None where it cannot be found."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "omp" in line.rsplit("/", 1)[-1]}
    except OSError:
        return None
    for path in sorted(paths):
        name = path.rsplit("/", 1)[-1]
        if name.startswith(("libgomp", "libiomp")):
            try:
                runtime = ctypes.CDLL(path)
                runtime.omp_set_num_threads  # noqa: B018 (the symbol must exist)
            except (OSError, AttributeError):
                continue
            return runtime
    return None


def _single_threaded_worker() -> None:
    """Pool initializer: one OpenMP thread in this worker (a per-thread setting). Without it,
    after a worker's first LAPACK call the main thread's multi-threaded MKL calls ran 10× slower
    on 2 cores (measured: a batch of 80 × 80 eigh went from 0.10 s to 1.0 s)."""
    runtime = _openmp_runtime()
    if runtime is not None:
        runtime.omp_set_num_threads(1)


def _pool(workers: int) -> ThreadPoolExecutor | None:
    """The worker threads, or None where their OpenMP threads cannot be pinned to one."""
    global _POOL
    if _openmp_runtime() is None:
        return None
    if _POOL is None or _POOL._max_workers != workers:
        _POOL = ThreadPoolExecutor(
            max_workers=workers,
            thread_name_prefix="semgym-linalg",
            initializer=_single_threaded_worker,
        )
    return _POOL


def on_threads(fn: Callable[..., Any], *matrices: Tensor) -> Any:
    """``fn(*matrices)`` for batched (..., n, m) inputs; on the CPU a large batch is split into
    ``torch.get_num_threads()`` chunks solved on as many threads.

    Torch runs its CPU LAPACK routines (eigh, Cholesky, triangular solves) one matrix after
    another on one thread; each matrix is still solved alone here, so the result is exactly
    ``fn``'s. Measured on 2 cores it pays for ``eigh`` (8 × 8: 1.4× faster), not for Cholesky
    factors or triangular solves (fast enough that the split costs more). Outputs (a tensor or
    a tuple of tensors) keep the broadcast batch shape.
    """
    batch = torch.broadcast_shapes(*(m.shape[:-2] for m in matrices))
    threads = torch.get_num_threads()
    count = math.prod(batch)
    if matrices[0].device.type != "cpu" or threads < 2 or count < PARALLEL_MIN_BATCH:
        return fn(*matrices)
    pool = _pool(threads)
    if pool is None:
        return fn(*matrices)
    flat = [m.expand(*batch, *m.shape[-2:]).reshape(count, *m.shape[-2:]) for m in matrices]
    chunks = zip(*(f.chunk(threads) for f in flat), strict=True)
    parts = list(pool.map(lambda args: fn(*args), chunks))
    if isinstance(parts[0], Tensor):
        out = torch.cat(parts)
        return out.reshape(*batch, *out.shape[1:])
    joined = [torch.cat(group) for group in zip(*parts, strict=True)]
    return tuple(o.reshape(*batch, *o.shape[1:]) for o in joined)


@contextmanager
def device_side_checks() -> Iterator[None]:
    """Check tensor values the way the accelerator path does, also on the CPU.

    Inside, :func:`host_checks_allowed` is False everywhere: value checks become device-side
    asserts (``torch._assert_async``) instead of host branches, so tests can prove on a CPU
    that a step never reads a tensor value on the host.
    """
    global _DEVICE_SIDE_CHECKS
    previous, _DEVICE_SIDE_CHECKS = _DEVICE_SIDE_CHECKS, True
    try:
        yield
    finally:
        _DEVICE_SIDE_CHECKS = previous


def host_checks_allowed(tensor: Tensor) -> bool:
    """Whether value checks on ``tensor`` may read it on the host (CPU tensors, outside
    :func:`device_side_checks`)."""
    return tensor.device.type == "cpu" and not _DEVICE_SIDE_CHECKS
