"""Small batched linear-algebra helpers shared by the core (Hermitian parts, traces, blocks)."""

from __future__ import annotations

import torch
from torch import Tensor

from semgym._runtime import host_checks_allowed, on_threads


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


def hermitian_eigh(matrix: Tensor) -> tuple[Tensor, Tensor]:
    """``torch.linalg.eigh`` of Hermitian (..., n, n) matrices (ascending eigenvalues), split
    over CPU threads for large batches (exactly the same result)."""
    return on_threads(torch.linalg.eigh, matrix)


def check_on_host(tensor: Tensor) -> bool:
    """Whether value checks on ``tensor`` may read it on the host (CPU tensors, outside
    :func:`semgym._runtime.device_side_checks`); otherwise use ``torch._assert_async``."""
    return host_checks_allowed(tensor)


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
