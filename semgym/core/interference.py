"""Multi-user interference and the effective channel (interference paper (5), (8)).

Channels are stacked as ``channels[..., j, l, :, :]`` = H_{j,l}, the matrix from transmitter j
to receiver l, shape (..., L, L, A, B) with A receive and B transmit dimensions (A = K·N_R,
B = K·N_T for the dense H = I_K ⊗ H̄, or N_R, N_T per channel use on the block path, where the
channel uses are a leading batch dimension). Transmit covariances F_j F_jᴴ are (..., L, B, B).
"""

from __future__ import annotations

import torch
from torch import Tensor

from semgym.core.linalg import (
    cholesky,
    hermitian_eigh,
    hermitian_part,
    identity_like,
    real_trace,
)


def direct_channels(channels: Tensor) -> Tensor:
    """H_{l,l} for every link: (..., L, L, A, B) → (..., L, A, B)."""
    return torch.diagonal(channels, dim1=-4, dim2=-3).movedim(-1, -3)


def received_interference(channels: Tensor, tx_covariance: Tensor) -> Tensor:
    """Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ at every receiver l, (..., L, A, A) (the MUI of (5))."""
    n_links = channels.shape[-4]
    per_pair = channels @ tx_covariance.unsqueeze(-3) @ channels.mH  # (..., j, l, A, A)
    off_diagonal = ~torch.eye(n_links, dtype=torch.bool, device=channels.device)
    mask = off_diagonal.to(per_pair.real.dtype)[..., None, None]
    return hermitian_part((per_pair * mask).sum(-4))


def interferer_index(n_links: int, device: torch.device | str | None = None) -> Tensor:
    """(L, L − 1) int64: row l lists the interferers j ≠ l of receiver l, ascending."""
    rows = [[j for j in range(n_links) if j != rx] for rx in range(n_links)]
    return torch.tensor(rows, dtype=torch.int64, device=device).reshape(n_links, n_links - 1)


def interferer_channels(channels: Tensor, index: Tensor) -> Tensor:
    """H_{j,l} of the L − 1 interferers j ≠ l of every receiver l, (..., L, L − 1, A, B), from
    (..., L, L, A, B) channels (tx-major) and :func:`interferer_index`."""
    rx = torch.arange(index.shape[0], device=index.device)[:, None].expand_as(index)
    return channels[..., index, rx, :, :]


def interference_factor(
    interferers: Tensor, tx_factors: Tensor, index: Tensor, blocks: int = 1
) -> Tensor:
    """C_l with C_l C_lᴴ = Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ (the MUI of (5)), per column block.

    Arguments:
        interferers: H_{j,l} from :func:`interferer_channels`, (..., L, L − 1, A, B).
        tx_factors: F_j, (..., L, B, blocks·r): any factor of the transmit covariance (e.g.
            V diag(√p)); with ``blocks`` > 1 its columns hold ``blocks`` factors that share
            the channel (the K channel uses on the block path), each of r columns.
        index: :func:`interferer_index`.

    Returns C, (..., L, blocks, A, (L − 1)·r); the MUI power of block k at receiver l is
    ‖C_lk‖²_F. It skips the j = l products that :func:`received_interference` computes, and
    multiplies each H_{j,l} once for all blocks.
    """
    products = interferers @ tx_factors[..., index, :, :]  # (..., L, L−1, A, blocks·r)
    *lead, n_links, n_int, rows, cols = products.shape
    r = cols // blocks
    split = products.reshape(*lead, n_links, n_int, rows, blocks, r)
    d = len(lead)
    order = (*range(d), d, d + 3, d + 2, d + 1, d + 4)  # (..., L, blocks, A, L−1, r)
    return split.permute(order).reshape(*lead, n_links, blocks, rows, n_int * r)


def interference_covariance(
    channels: Tensor, tx_covariance: Tensor, noise_power: Tensor | float
) -> Tensor:
    """MUI+noise covariance R_{n,l} = σ² I + Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ, (..., L, A, A).

    ``noise_power`` σ² (watts) is a float or a tensor broadcastable to the leading shape (...).
    """
    return add_noise(received_interference(channels, tx_covariance), noise_power)


def add_noise(interference: Tensor, noise_power: Tensor | float) -> Tensor:
    """σ² I + MUI: R_{n,l} (..., L, A, A) from the received MUI covariances (..., L, A, A)."""
    sigma2 = torch.as_tensor(noise_power, dtype=interference.real.dtype, device=interference.device)
    return interference + sigma2[..., None, None, None] * identity_like(interference)


def mui_power(channels: Tensor, tx_covariance: Tensor) -> Tensor:
    """Interference power tr(Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ) at each receiver, (..., L), W."""
    return real_trace(received_interference(channels, tx_covariance))


def whitened_channel(direct: Tensor, noise_covariance: Tensor) -> Tensor:
    """W = C⁻¹ H with R_n = C Cᴴ (Cholesky), (..., A, B): the channel after noise whitening,
    so R_H = Wᴴ W. From H (..., A, B) and R_n (..., A, A) (Hermitian PD)."""
    chol = cholesky(noise_covariance, "Cholesky factorization of R_n")
    return torch.linalg.solve_triangular(chol, direct, upper=False)


def effective_channel(direct: Tensor, noise_covariance: Tensor) -> Tensor:
    """R_H = Hᴴ R_n⁻¹ H = Wᴴ W, (..., B, B), from H (..., A, B) and R_n (..., A, A) (Hermitian
    PD), through :func:`whitened_channel`, so the result is Hermitian PSD by construction."""
    whitened = whitened_channel(direct, noise_covariance)
    return hermitian_part(whitened.mH @ whitened)


def effective_channel_modes(effective: Tensor, descending: bool = True) -> tuple[Tensor, Tensor]:
    """Eigen-decomposition R_H = V Λ Vᴴ with λ clamped at 0, descending (or, with
    ``descending=False``, ascending, which saves reordering V).

    Reads the lower triangle of ``effective`` (Hermitian up to round-off is enough).
    Returns (λ (..., B) real, V (..., B, B)).
    """
    eigenvalues, eigenvectors = hermitian_eigh(effective)
    if not descending:
        return eigenvalues.clamp_min(0.0), eigenvectors
    return eigenvalues.flip(-1).clamp_min(0.0), eigenvectors.flip(-1)
