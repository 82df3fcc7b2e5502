"""One best response B_l of every link (interference paper (15)): R_n → R_H → eig → water-filling.

Two exact paths give the same result when every transmit covariance F_j F_jᴴ is
block-diagonal over the K channel uses (SPEC §8):

- dense: H = I_K ⊗ H̄ as (K·N_R) × (K·N_T) matrices, one eigenproblem of size K·N_T per link;
- block: H̄ per channel use, K eigenproblems of size N_T per link (channel uses are a batch
  dimension), modes merged and sorted by gain afterwards. Best responses keep the covariances
  block-diagonal, so the block path is closed under the game dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from semgym.core.interference import (
    direct_channels,
    effective_channel,
    effective_channel_modes,
    interference_covariance,
)
from semgym.core.linalg import block_diagonal
from semgym.core.precoder import structured_covariance
from semgym.core.waterfill import semantic_waterfill


@dataclass(frozen=True)
class BestResponse:
    """Every link's best response.

    Attributes:
        gains: λ of R_H per mode, descending, (..., L, M).
        modes: V, (..., L, B, M) dense eigenvectors, column m pairs with λ_m and σ̃_m.
        powers: water-filling powers p, (..., L, M), W.
        tx_covariance: V diag(p) Vᴴ, (..., L, B, B) dense or (..., L, K, N_T, N_T) blocks.
    """

    gains: Tensor
    modes: Tensor
    powers: Tensor
    tx_covariance: Tensor


def dense_best_response(
    channels: Tensor,
    tx_covariance: Tensor,
    noise_power: Tensor | float,
    weights: Tensor,
    budget: Tensor | float,
) -> BestResponse:
    """Best responses from dense channels (..., L, L, A, B) and covariances (..., L, B, B)."""
    noise_cov = interference_covariance(channels, tx_covariance, noise_power)
    effective = effective_channel(direct_channels(channels), noise_cov)
    gains, modes = effective_channel_modes(effective)
    powers = semantic_waterfill(weights, gains, budget)
    return BestResponse(gains, modes, powers, structured_covariance(modes, powers))


def block_best_response(
    channels: Tensor,
    tx_covariance_blocks: Tensor,
    noise_power: Tensor | float,
    weights: Tensor,
    budget: Tensor | float,
) -> BestResponse:
    """Best responses from per-channel-use channels H̄ (..., L, L, N_R, N_T) and block-diagonal
    covariances given by their blocks (..., L, K, N_T, N_T). ``modes`` is returned dense
    (block-diagonal V with columns sorted by gain); ``tx_covariance`` as blocks."""
    n_uses, n_tx = tx_covariance_blocks.shape[-3], tx_covariance_blocks.shape[-1]
    per_use_cov = tx_covariance_blocks.movedim(-3, -4)  # (..., K, L, N_T, N_T)
    per_use_channels = channels.unsqueeze(-5)  # (..., 1, L, L, N_R, N_T)
    sigma2 = torch.as_tensor(noise_power, dtype=channels.real.dtype, device=channels.device)
    noise_cov = interference_covariance(per_use_channels, per_use_cov, sigma2.unsqueeze(-1))
    effective = effective_channel(direct_channels(per_use_channels), noise_cov)
    block_gains, block_modes = effective_channel_modes(effective)  # (..., K, L, N_T[, N_T])
    block_gains = block_gains.movedim(-3, -2)  # (..., L, K, N_T)
    block_modes = block_modes.movedim(-4, -3)  # (..., L, K, N_T, N_T)
    flat_gains = block_gains.flatten(-2)
    gains, order = flat_gains.sort(-1, descending=True)
    powers = semantic_waterfill(weights, gains, budget)
    modes = block_diagonal(block_modes).gather(
        -1, order.unsqueeze(-2).expand(*order.shape[:-1], n_uses * n_tx, order.shape[-1])
    )
    block_powers = torch.empty_like(powers).scatter_(-1, order, powers)
    block_powers = block_powers.unflatten(-1, (n_uses, n_tx))
    blocks = structured_covariance(block_modes, block_powers)
    return BestResponse(gains, modes, powers, blocks)
