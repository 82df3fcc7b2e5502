"""Wiener equalizer and the closed-form alignment MSE (interference paper (7), (8), (12)–(14)).

All statistics are normalized by the number of pilots n (SPEC §4): with R_x = I,
MSE(F) = tr(R_y) − tr(P Pᴴ) + tr((I + Fᴴ R_H F)⁻¹ Pᴴ P), which equals the empirical
(1/n) Σ_i ‖y_i − G H F x_i‖² + tr(G R_n Gᴴ) of the Wiener receiver G.
"""

from __future__ import annotations

import torch
from torch import Tensor

from semgym.core.linalg import cholesky, identity_like, real_inner, real_trace
from semgym.core.precoder import mode_factor
from semgym.core.statistics import SemanticStatistics


def wiener_equalizer(
    cross_covariance: Tensor, precoder: Tensor, direct: Tensor, noise_covariance: Tensor
) -> Tensor:
    """G = P Fᴴ Hᴴ (H F Fᴴ Hᴴ + R_n)⁻¹, (..., d_y, A): the MMSE receiver (normalized (7)).

    Shapes: P (..., d_y, d_x), F (..., B, d_x), H (..., A, B), R_n (..., A, A).
    """
    link = direct @ precoder  # (..., A, d_x)
    received_cov = link @ link.mH + noise_covariance
    return torch.linalg.solve(received_cov, link @ cross_covariance.mH).mH


def alignment_mse(precoder: Tensor, effective: Tensor, stats: SemanticStatistics) -> Tensor:
    """Closed-form MSE per sample (...), summed over complex dims, for any precoder F (..., B, d_x).

    Uses (I + Fᴴ R_H F)⁻¹ = I − Fᴴ (I + R_H F Fᴴ)⁻¹ R_H F, so only B × B systems are solved:
    MSE = tr(R_y) − tr((I + R_H F Fᴴ)⁻¹ R_H F Pᴴ P Fᴴ).
    """
    aligned = precoder @ stats.cross_covariance.mH  # F Pᴴ, (..., B, d_y)
    tx_cov = precoder @ precoder.mH
    system = identity_like(tx_cov) + effective @ tx_cov
    captured = real_trace(torch.linalg.solve(system, effective @ aligned @ aligned.mH))
    return stats.target_energy - captured


def structured_mse(
    effective: Tensor, modes: Tensor, powers: Tensor, weights: Tensor, target_energy: Tensor
) -> Tensor:
    """MSE (...) of the structured precoder F = V diag(√p) Q̃ᴴ (11) under an effective channel.

    ``modes`` V (..., B, M) need not diagonalize ``effective`` R_H (..., B, B) (a stale
    precoder after the others moved): with A = diag(√p) Vᴴ R_H V diag(√p),
    MSE = tr(R_y) − tr((I + A)⁻¹ A diag(w)), exact. When V does diagonalize R_H this is
    tr(R_y) − Σ_m w_m λ_m p_m/(1 + λ_m p_m), the water-filling objective.
    """
    scaled = mode_factor(modes, powers)
    return target_energy - captured_energy(scaled.mH @ effective @ scaled, weights)


def structured_mse_whitened(
    whitened: Tensor, modes: Tensor, powers: Tensor, weights: Tensor, target_energy: Tensor
) -> Tensor:
    """:func:`structured_mse` with R_H = Wᴴ W given by its factor W (..., A, B) (see
    :func:`~semgym.core.whitened_channel`): A = (W V diag(√p))ᴴ (W V diag(√p)), one product
    fewer and exactly Hermitian."""
    signal = whitened @ mode_factor(modes, powers)
    return target_energy - captured_energy(signal.mH @ signal, weights)


def captured_energy(gram: Tensor, weights: Tensor) -> Tensor:
    """tr((I + A)⁻¹ A diag(w)) for Hermitian PSD A (..., M, M) and w (..., M), shape (...).

    Through the Cholesky factor I + A = L Lᴴ: (I + A)⁻¹ = Yᴴ Y with Y = L⁻¹, and the diagonal
    of Yᴴ (Y A) is summed with the weights (no cancellation for weak modes).
    """
    eye = identity_like(gram)
    factor = cholesky(eye + gram, "Cholesky factorization of I + A")
    inverse_factor = torch.linalg.solve_triangular(factor, eye, upper=False)
    diagonal = real_inner(inverse_factor, inverse_factor @ gram, dim=-2)
    return (diagonal * weights).sum(-1)


def normalized_mse(mse: Tensor, target_energy: Tensor) -> Tensor:
    """NMSE = MSE / tr(R_y): 1.0 means nothing was conveyed (predicting the mean)."""
    return mse / target_energy


def empirical_mse(
    tx_symbols: Tensor,
    rx_targets: Tensor,
    equalizer: Tensor,
    direct: Tensor,
    precoder: Tensor,
    noise_covariance: Tensor,
) -> Tensor:
    """(1/n) Σ_i ‖y_i − G H F x_i‖² + tr(G R_n Gᴴ), (...), with the noise in expectation.

    Samples are rows: tx (..., n, d_x), rx (..., n, d_y).
    """
    end_to_end = equalizer @ direct @ precoder  # (..., d_y, d_x)
    residual = rx_targets - tx_symbols @ end_to_end.mT
    fit = residual.abs().square().sum((-2, -1)) / rx_targets.shape[-2]
    return fit + real_trace(equalizer @ noise_covariance @ equalizer.mH)
