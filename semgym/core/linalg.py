"""Small batched linear-algebra helpers shared by the core (Hermitian parts, traces, blocks)."""

from __future__ import annotations

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
