"""Semantic statistics of a latent pair, computed once per pair and reused (SPEC §4).

With whitened transmitter symbols x (R_x = X Xᴴ/n = I) and centered receiver targets y:
P = Y Xᴴ/n (cross-covariance), R_y = Y Yᴴ/n, P = U Σ Qᴴ (SVD). The semantic weights of the
M transmit modes are w_m = σ̃_m² (zero beyond rank(P)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from semgym.core.linalg import real_trace
from semgym.core.whitening import sample_covariance


@dataclass(frozen=True)
class SemanticStatistics:
    """Statistics of one latent pair (or a batch of pairs with equal widths).

    Attributes:
        cross_covariance: P, (..., d_y, d_x) complex.
        target_covariance: R_y, (..., d_y, d_y) complex.
        singular_values: σ of P, (..., min(d_x, d_y)) real, descending.
        right_vectors: all d_x right singular vectors Q of P, (..., d_x, d_x), ordered like σ.
        target_energy: tr(R_y), (...) real — the MSE of predicting zero (NMSE = MSE/tr(R_y)).
        aligned_energy: tr(P Pᴴ) = Σ σ², (...) real.
    """

    cross_covariance: Tensor
    target_covariance: Tensor
    singular_values: Tensor
    right_vectors: Tensor
    target_energy: Tensor
    aligned_energy: Tensor

    @property
    def tx_dim(self) -> int:
        """d_x: complex width of the transmitter symbols."""
        return self.cross_covariance.shape[-1]

    @property
    def rx_dim(self) -> int:
        """d_y: complex width of the receiver targets."""
        return self.cross_covariance.shape[-2]

    def semantic_weights(self, n_modes: int) -> Tensor:
        """w_m = σ̃_m² for the first ``n_modes`` = K·N_T modes, (..., n_modes), zero past rank."""
        check_mode_count(n_modes, self.tx_dim)
        w = self.singular_values.square()
        if w.shape[-1] >= n_modes:
            return w[..., :n_modes]
        return torch.nn.functional.pad(w, (0, n_modes - w.shape[-1]))

    def semantic_directions(self, n_modes: int) -> Tensor:
        """Q̃: the first ``n_modes`` right singular vectors of P, (..., d_x, n_modes)."""
        check_mode_count(n_modes, self.tx_dim)
        return self.right_vectors[..., :n_modes]


def check_mode_count(n_modes: int, tx_dim: int) -> None:
    """Raise ``ValueError`` unless 1 <= K·N_T <= d_x (the structured precoder needs it)."""
    if not 1 <= n_modes <= tx_dim:
        raise ValueError(
            f"number of transmit modes K·N_T = {n_modes} must be in [1, d_x = {tx_dim}] "
            "(transmitter latent width / 2); use fewer channel uses or antennas"
        )


def semantic_statistics(tx_symbols: Tensor, rx_targets: Tensor) -> SemanticStatistics:
    """Statistics from paired samples: tx (..., n, d_x) whitened, rx (..., n, d_y) centered."""
    if tx_symbols.shape[-2] != rx_targets.shape[-2]:
        raise ValueError(
            f"tx and rx need the same number of samples, got {tx_symbols.shape[-2]} "
            f"and {rx_targets.shape[-2]}"
        )
    n = tx_symbols.shape[-2]
    cross = rx_targets.mT @ tx_symbols.conj() / n
    target_cov = sample_covariance(rx_targets)
    _, sigma, vh = torch.linalg.svd(cross, full_matrices=True)
    return SemanticStatistics(
        cross_covariance=cross,
        target_covariance=target_cov,
        singular_values=sigma,
        right_vectors=vh.mH,
        target_energy=real_trace(target_cov),
        aligned_energy=sigma.square().sum(-1),
    )
