"""Small batched linear-algebra helpers shared by the core (Hermitian parts, traces, blocks)."""

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


def hermitian_part(matrix: Tensor) -> Tensor:
    """(A + Aᴴ)/2 of (..., n, n) matrices: removes round-off asymmetry before ``eigh``."""
    return 0.5 * (matrix + matrix.mH)


def real_trace(matrix: Tensor) -> Tensor:
    """Real part of the trace of (..., n, n) matrices, shape (...)."""
    return torch.diagonal(matrix, dim1=-2, dim2=-1).sum(-1).real


def identity_like(matrix: Tensor) -> Tensor:
    """Identity with the shape (..., n, n), dtype and device of ``matrix``."""
    n = matrix.shape[-1]
    eye = torch.eye(n, dtype=matrix.dtype, device=matrix.device)
    return eye.expand(matrix.shape)


def squared_magnitude(values: Tensor) -> Tensor:
    """|x|² = Re(x)² + Im(x)² elementwise, real, same shape (on the CPU faster than ``abs()²``
    and than summing the squared real view over its last axis)."""
    if values.is_complex():
        return values.real.square() + values.imag.square()
    return values.square()


def real_inner(a: Tensor, b: Tensor, dim: int = -1) -> Tensor:
    """Re Σ conj(a)·b along ``dim`` for same-shaped tensors, real (for complex inputs through
    Re(a)Re(b) + Im(a)Im(b): no complex product is formed)."""
    if a.is_complex():
        return (a.real * b.real + a.imag * b.imag).sum(dim)
    return (a * b).sum(dim)


def block_diagonal(blocks: Tensor) -> Tensor:
    """Assemble (..., K, n, m) blocks into block-diagonal (..., K·n, K·m) matrices."""
    k, n, m = blocks.shape[-3:]
    eye = torch.eye(k, dtype=blocks.dtype, device=blocks.device)
    dense = torch.einsum("kl,...kij->...kilj", eye, blocks)
    return dense.reshape(*blocks.shape[:-3], k * n, k * m)


def kron_identity(matrix: Tensor, copies: int) -> Tensor:
    """I_K ⊗ A for (..., n, m) matrices A, e.g. the channel H = I_K ⊗ H̄: (..., K·n, K·m)."""
    if copies < 1:
        raise ValueError(f"copies (channel uses K) must be >= 1, got {copies}")
    blocks = matrix.unsqueeze(-3).expand(*matrix.shape[:-2], copies, *matrix.shape[-2:])
    return block_diagonal(blocks)


def diagonal_blocks(matrix: Tensor, copies: int) -> Tensor:
    """The K diagonal blocks (..., K, n, n) of block-structured (..., K·n, K·n) matrices."""
    size = matrix.shape[-1]
    if size % copies:
        raise ValueError(f"matrix size {size} is not a multiple of copies {copies}")
    n = size // copies
    shaped = matrix.reshape(*matrix.shape[:-2], copies, n, copies, n)
    return torch.diagonal(shaped, dim1=-4, dim2=-2).permute(*range(matrix.dim() - 2), -1, -3, -2)


#: Smallest batch of matrices that the per-matrix LAPACK routines below split over CPU threads.
PARALLEL_MIN_BATCH = 1024
_POOL: ThreadPoolExecutor | None = None


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


def _on_threads(fn: Callable[..., Any], *matrices: Tensor) -> Any:
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


def hermitian_eigh(matrix: Tensor) -> tuple[Tensor, Tensor]:
    """``torch.linalg.eigh`` of Hermitian (..., n, n) matrices (ascending eigenvalues), split
    over CPU threads for large batches (exactly the same result)."""
    return _on_threads(torch.linalg.eigh, matrix)


_DEVICE_SIDE_CHECKS = False


@contextmanager
def device_side_checks() -> Iterator[None]:
    """Check tensor values the way the accelerator path does, also on the CPU.

    Inside, :func:`check_on_host` is False everywhere: value checks become device-side asserts
    (``torch._assert_async``) instead of host branches, so tests can prove on a CPU that a step
    never reads a tensor value on the host.
    """
    global _DEVICE_SIDE_CHECKS
    previous, _DEVICE_SIDE_CHECKS = _DEVICE_SIDE_CHECKS, True
    try:
        yield
    finally:
        _DEVICE_SIDE_CHECKS = previous


def check_on_host(tensor: Tensor) -> bool:
    """Whether value checks on ``tensor`` may read it on the host (CPU tensors, outside
    :func:`device_side_checks`); otherwise use ``torch._assert_async``."""
    return tensor.device.type == "cpu" and not _DEVICE_SIDE_CHECKS


def check_factorization(info: Tensor, name: str) -> None:
    """Raise if a ``torch.linalg.*_ex`` factorization failed (``info`` ≠ 0 anywhere).

    ``ValueError`` on the CPU; on accelerators a device-side assert, so the caller never waits
    for the device.
    """
    if check_on_host(info):
        if bool((info != 0).any()):
            raise ValueError(f"{name} failed: the matrix is singular or not positive definite")
    else:
        torch._assert_async((info == 0).all(), f"{name} failed")


def cholesky(matrix: Tensor, name: str = "Cholesky factorization") -> Tensor:
    """Lower Cholesky factor of Hermitian PD (..., n, n) matrices (checked, see above)."""
    factor, info = torch.linalg.cholesky_ex(matrix)
    check_factorization(info, name)
    return factor


def solve(matrix: Tensor, rhs: Tensor, name: str = "linear solve") -> Tensor:
    """A⁻¹ B for invertible (..., n, n) A and (..., n, k) B (checked, see above)."""
    result, info = torch.linalg.solve_ex(matrix, rhs)
    check_factorization(info, name)
    return result
