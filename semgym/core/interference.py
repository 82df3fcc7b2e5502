"""Multi-user interference and the effective channel (interference paper (5), (8)).

Channels are stacked as ``channels[..., j, l, :, :]`` = H_{j,l}, the matrix from transmitter j
to receiver l, shape (..., L, L, A, B) with A receive and B transmit dimensions (A = K·N_R,
B = K·N_T for the dense H = I_K ⊗ H̄, or N_R, N_T per channel use on the block path, where the
channel uses are a leading batch dimension). Transmit covariances F_j F_jᴴ are (..., L, B, B).
"""

from __future__ import annotations

import torch
from torch import Tensor

from semgym.core.linalg import hermitian_part, identity_like, real_trace


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


def interference_covariance(
    channels: Tensor, tx_covariance: Tensor, noise_power: Tensor | float
) -> Tensor:
    """MUI+noise covariance R_{n,l} = σ² I + Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ, (..., L, A, A).

    ``noise_power`` σ² (watts) is a float or a tensor broadcastable to the leading shape (...).
    """
    interference = received_interference(channels, tx_covariance)
    sigma2 = torch.as_tensor(noise_power, dtype=interference.real.dtype, device=channels.device)
    return interference + sigma2[..., None, None, None] * identity_like(interference)


def mui_power(channels: Tensor, tx_covariance: Tensor) -> Tensor:
    """Interference power tr(Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ) at each receiver, (..., L), W."""
    return real_trace(received_interference(channels, tx_covariance))


def effective_channel(direct: Tensor, noise_covariance: Tensor) -> Tensor:
    """R_H = Hᴴ R_n⁻¹ H, (..., B, B), from H (..., A, B) and R_n (..., A, A) (Hermitian PD).

    Computed through the Cholesky factor of R_n, so the result is Hermitian PSD by construction.
    """
    chol = torch.linalg.cholesky(noise_covariance)
    whitened = torch.linalg.solve_triangular(chol, direct, upper=False)
    return hermitian_part(whitened.mH @ whitened)


def effective_channel_modes(effective: Tensor) -> tuple[Tensor, Tensor]:
    """Eigen-decomposition R_H = V Λ Vᴴ with λ descending and clamped at 0.

    Returns (λ (..., B) real, V (..., B, B)).
    """
    eigenvalues, eigenvectors = torch.linalg.eigh(hermitian_part(effective))
    return eigenvalues.flip(-1).clamp_min(0.0), eigenvectors.flip(-1)
