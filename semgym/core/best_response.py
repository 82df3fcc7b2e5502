"""The best response B_l of a link (interference paper (15)): R_H → eigenmodes → water-filling.

The effective channel R_H,l = H_llᴴ R_n,l⁻¹ H_ll is given by diagonal blocks, (..., nb, n, n):
with H = I_K ⊗ H̄ and block-diagonal transmit covariances every R_n,l and R_H,l is
block-diagonal over the K channel uses, so nb = K blocks of n = N_T (K eigenproblems of N_T × N_T
instead of one of K·N_T × K·N_T), and best responses keep the covariances block-diagonal. A
single block (nb = 1, n = K·N_T) is the dense problem. The modes of all blocks are merged and
sorted by gain, and the m-th strongest mode carries the m-th semantic direction (the optimal
pairing, see :mod:`semgym.core.waterfill`).

Applied to an interference-free R_H (R_n = σ² I) this is also the interference-free design of
the MUI-less bound, the MUI-agnostic water-filling and each user's single-link design.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from semgym.core.interference import effective_channel_modes
from semgym.core.linalg import block_diagonal, squared_magnitude
from semgym.core.precoder import structured_covariance
from semgym.core.waterfill import priced_semantic_waterfill, semantic_waterfill


@dataclass(frozen=True)
class BestResponse:
    """Best responses of a batch of links.

    Attributes:
        gains: λ of the mode carrying semantic direction m, (..., M) descending, M = nb·n.
        block_modes: eigenvectors of R_H per block, (..., nb, n, n) (ascending within a block).
        order: flat index (block·n + column) of the mode carrying direction m, (..., M) int64.
        rank: the semantic direction each mode carries, (..., nb, n) int64 (inverse of order).
        powers: water-filling powers by semantic direction, (..., M), W.
        costs: interference price c_m per watt by semantic direction (..., M) with primary
            users (the priced water-filling keeps Σ_m c_m p_m ≤ 1), else None.
    """

    gains: Tensor
    block_modes: Tensor
    order: Tensor
    rank: Tensor
    powers: Tensor
    costs: Tensor | None = None

    @property
    def power_blocks(self) -> Tensor:
        """p per mode, laid out like the modes, (..., nb, n), W."""
        return self.powers.gather(-1, self.rank.flatten(-2)).view(self.rank.shape)

    @property
    def modes(self) -> Tensor:
        """Dense V, (..., M, M) block-diagonal; column m is the mode carrying direction m."""
        dense = block_diagonal(self.block_modes)
        index = self.order.unsqueeze(-2).expand(*self.order.shape[:-1], dense.shape[-2], -1)
        return dense.gather(-1, index)

    @property
    def covariance_blocks(self) -> Tensor:
        """F Fᴴ = V diag(p) Vᴴ by blocks, (..., nb, n, n)."""
        return structured_covariance(self.block_modes, self.power_blocks)


def interference_prices(primary_channels: Tensor, block_modes: Tensor, caps: Tensor) -> Tensor:
    """c = Σ_p ‖H_{l→p} v‖² / cap_p for every mode v, (..., nb, n) per watt (journal abstract).

    ``primary_channels`` H_{l→p} (..., P, A_p, n) and ``caps`` (..., P) W broadcast against the
    leading (..., nb) of ``block_modes`` (..., nb, n, n).
    """
    leak = squared_magnitude(primary_channels @ block_modes.unsqueeze(-3)).sum(-2)
    return (leak / caps.unsqueeze(-1)).sum(-2)


def best_response(
    effective: Tensor,
    weights: Tensor,
    budget: Tensor | float,
    *,
    primary_channels: Tensor | None = None,
    primary_caps: Tensor | None = None,
) -> BestResponse:
    """Best responses (15) to R_H given by blocks (..., nb, n, n), weights w = σ̃² (..., M)
    descending and the budget K·P_max (W).

    Exactly tied gains (e.g. identical channel uses without MUI) keep block order (a stable
    sort), so the result is reproducible. With ``primary_channels`` and ``primary_caps`` (see
    :func:`interference_prices`) the water-filling is priced and keeps Σ_m c_m p_m ≤ 1.
    """
    block_gains, block_modes = effective_channel_modes(effective, descending=False)
    gains, order = block_gains.flatten(-2).sort(dim=-1, descending=True, stable=True)
    weights = weights.expand(gains.shape)
    costs = None
    if primary_channels is None:
        powers = semantic_waterfill(weights, gains, budget)
    else:
        if primary_caps is None:
            raise ValueError("primary_caps are needed with primary_channels")
        prices = interference_prices(primary_channels, block_modes, primary_caps)
        costs = prices.flatten(-2).gather(-1, order)
        powers = priced_semantic_waterfill(weights, gains, budget, costs, 1.0)
    steps = torch.arange(order.shape[-1], device=order.device).expand_as(order)
    rank = torch.empty_like(order).scatter_(-1, order, steps).view(block_gains.shape)
    return BestResponse(gains, block_modes, order, rank, powers, costs)
