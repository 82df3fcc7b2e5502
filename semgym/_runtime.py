"""Process-wide execution machinery: CPU worker threads for per-matrix LAPACK routines and for
batches evaluated in pieces, and the switch that makes value checks behave as on an
accelerator.

This is the only stateful part beneath the scenario layer; :mod:`semgym.core` calls into it
(:func:`on_threads`, :func:`host_checks_allowed`) and stays a set of pure functions; the
scenarios' evaluation runs its batch in pieces through :func:`in_pieces`.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor

#: Smallest batch of matrices that :func:`on_threads` splits over CPU threads.
PARALLEL_MIN_BATCH = 1024
#: Most elements of its largest argument that :func:`in_pieces` hands its function at once
#: (2 MiB of float32).
PIECE_ELEMENTS = 1 << 19

_WORKER_PREFIX = "semgym-linalg"
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
            thread_name_prefix=_WORKER_PREFIX,
            initializer=_single_threaded_worker,
        )
    return _POOL


def on_threads(fn: Callable[..., Any], *matrices: Tensor) -> Any:
    """``fn(*matrices)`` for batched (..., n, m) inputs; on the CPU a large batch is split into
    ``torch.get_num_threads()`` chunks solved on as many threads.

    Torch runs its CPU LAPACK routines (eigh, Cholesky, triangular solves) one matrix after
    another on one thread; each matrix is still solved alone here, so the result is exactly
    ``fn``'s. Measured on 2 cores it pays for ``eigh`` (8 × 8: 1.4× faster), not for Cholesky
    factors or triangular solves on their own (fast enough that the split costs more; see
    :func:`in_pieces` for whole computations). Outputs (a tensor or a tuple of tensors) keep
    the broadcast batch shape.
    """
    arguments = [(matrix, 2) for matrix in matrices]
    batch = _batch_shape(arguments)
    count, threads = math.prod(batch), torch.get_num_threads()
    if count < PARALLEL_MIN_BATCH or threads < 2 or not _may_split(arguments):
        return fn(*matrices)
    return _run_pieces(fn, batch, _flattened(arguments, batch), -(-count // threads))


def in_pieces(
    fn: Callable[..., Tensor | tuple[Tensor, ...]], *arguments: tuple[Tensor | None, int]
) -> Any:
    """``fn(*tensors)`` for ``arguments`` given as (tensor or None, number of trailing core
    dims), the tensors sharing a broadcast batch shape before their core dims; on the CPU
    computed on pieces of the batch, each at most :data:`PIECE_ELEMENTS` elements of its
    largest argument, on the worker threads, every piece's outputs written into the result
    as soon as they are computed.

    For whole computations (products, factorizations and solves of every matrix of a batch):
    every batch entry is computed alone as before, so the values are exactly ``fn``'s, but a
    piece's temporaries are a fraction of the batch's: small enough to stay in cache and to be
    reused by the C allocator instead of being handed back to the kernel and faulted in again
    at the next step, and the pieces run on all threads. Outputs (a tensor or a tuple of
    tensors, each with the piece's entries first) keep the batch shape. Computations that
    autograd records, and other devices, run in one call.
    """
    batch = _batch_shape(arguments)
    largest = max(math.prod(t.shape[t.dim() - core :]) for t, core in arguments if t is not None)
    piece = max(1, PIECE_ELEMENTS // max(1, largest))
    if math.prod(batch) <= piece or not _may_split(arguments):
        return fn(*(tensor for tensor, _ in arguments))
    return _run_pieces(fn, batch, _flattened(arguments, batch), piece)


def _may_split(arguments: Sequence[tuple[Tensor | None, int]]) -> bool:
    """Whether a batched computation may be split over the worker threads: CPU tensors that
    autograd does not record, a pool to run them, and not already on a worker (a piece that
    split itself would wait on the workers it occupies)."""
    tensors = [tensor for tensor, _ in arguments if tensor is not None]
    if tensors[0].device.type != "cpu" or torch.get_num_threads() < 2:
        return False
    if threading.current_thread().name.startswith(_WORKER_PREFIX):
        return False
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        return False
    return _pool(torch.get_num_threads()) is not None


def broadcast_shapes(*shapes: Sequence[int]) -> torch.Size:
    """The broadcast of ``shapes`` (NumPy's rules), written out rather than
    ``torch.broadcast_shapes``: that one's first call imports torch's symbolic-shape machinery
    (0.4 s of a new process's first step) and every call runs Python reference code."""
    ndim = max((len(shape) for shape in shapes), default=0)
    padded = [(1,) * (ndim - len(shape)) + tuple(shape) for shape in shapes]
    out = []
    for sizes in zip(*padded, strict=True):
        other = {size for size in sizes if size != 1}
        if len(other) > 1:
            raise ValueError(f"shapes {[tuple(s) for s in shapes]} do not broadcast")
        out.append(other.pop() if other else 1)
    return torch.Size(out)


def _batch_shape(arguments: Sequence[tuple[Tensor | None, int]]) -> torch.Size:
    """The broadcast batch shape of ``arguments`` (their shapes before their core dims)."""
    return broadcast_shapes(*(t.shape[: t.dim() - core] for t, core in arguments if t is not None))


def _flattened(
    arguments: Sequence[tuple[Tensor | None, int]], batch: torch.Size
) -> list[Tensor | None]:
    """Each tensor of ``arguments`` with the batch shape ``batch`` flattened into its first
    dim (None stays None)."""
    count = math.prod(batch)
    flat: list[Tensor | None] = []
    for tensor, core in arguments:
        if tensor is None:
            flat.append(None)
            continue
        trailing = tensor.shape[tensor.dim() - core :]
        flat.append(tensor.expand(*batch, *trailing).reshape(count, *trailing))
    return flat


def _run_pieces(
    fn: Callable[..., Any], batch: torch.Size, flat: list[Tensor | None], piece: int
) -> Any:
    """``fn`` on consecutive pieces of ``piece`` batch entries of the flattened arguments, on
    the worker threads; outputs allocated by the first piece done, each piece copied into them
    by the thread that computed it."""
    count = math.prod(batch)
    outputs: list[Tensor] = []
    single = True
    lock = threading.Lock()

    def run(start: int) -> None:
        nonlocal single
        result = fn(*(None if f is None else f[start : start + piece] for f in flat))
        parts = (result,) if isinstance(result, Tensor) else tuple(result)
        with lock:
            if not outputs:
                single = isinstance(result, Tensor)
                outputs.extend(p.new_empty((count, *p.shape[1:])) for p in parts)
        for out, part in zip(outputs, parts, strict=True):
            out[start : start + part.shape[0]].copy_(part)

    pool = _pool(torch.get_num_threads())
    assert pool is not None  # checked by the callers
    list(pool.map(run, range(0, count, piece)))
    shaped = [out.reshape(*batch, *out.shape[1:]) for out in outputs]
    return shaped[0] if single else tuple(shaped)


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


def _after_fork_in_child() -> None:
    """A forked child (Gymnasium's async vector env, SuperSuit's multi-process concatenation,
    a ``multiprocessing`` pool) inherits the parent's thread pools without their threads:
    OpenMP's team (libgomp waits in its barrier for threads that do not exist: the child hangs
    in its first parallel LAPACK call) and semgym's worker pool. The child starts with one
    intra-op thread (the processes are the parallelism) and a fresh worker pool."""
    global _POOL
    _POOL = None
    torch.set_num_threads(1)


os.register_at_fork(after_in_child=_after_fork_in_child)
