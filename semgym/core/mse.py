"""Wiener equalizer and the closed-form alignment MSE (interference paper (7), (8), (12)–(14)).

All statistics are normalized by the number of pilots n: with R_x = I,
MSE(F) = tr(R_y) − tr(P Pᴴ) + tr((I + Fᴴ R_H F)⁻¹ Pᴴ P), which equals the empirical
(1/n) Σ_i ‖y_i − G H F x_i‖² + tr(G R_n Gᴴ) of the Wiener receiver G (the empirical form and
the R_H form of the structured MSE are kept in :mod:`semgym.core.reference` as test oracles).
"""

from __future__ import annotations

import torch
from torch import Tensor

from semgym.core.linalg import (
    cholesky,
    identity_like,
    real_trace,
    squared_magnitude,
)


def wiener_equalizer(
    cross_covariance: Tensor, precoder: Tensor, direct: Tensor, noise_covariance: Tensor
) -> Tensor:
    """G = P Fᴴ Hᴴ (H F Fᴴ Hᴴ + R_n)⁻¹, (..., d_y, A): the MMSE receiver (normalized (7)).

    Shapes: P (..., d_y, d_x), F (..., B, d_x), H (..., A, B), R_n (..., A, A).
    """
    link = direct @ precoder  # (..., A, d_x)
    received_cov = link @ link.mH + noise_covariance
    return torch.linalg.solve(received_cov, link @ cross_covariance.mH).mH


def alignment_mse(
    precoder: Tensor, effective: Tensor, cross_gram: Tensor, target_energy: Tensor
) -> Tensor:
    """Closed-form MSE (8) per sample (...), summed over complex dims, of any precoder F with the
    Wiener receiver: F (..., B, d_x), R_H (..., B, B), C = Pᴴ P (..., d_x, d_x), tr(R_y) (...).

    Uses (I + Fᴴ R_H F)⁻¹ = I − Fᴴ (I + R_H F Fᴴ)⁻¹ R_H F, so only B × B systems are solved
    and the receiver's width d_y never appears: MSE = tr(R_y) − tr((I + R_H F Fᴴ)⁻¹ R_H F C Fᴴ).
    """
    tx_cov = precoder @ precoder.mH
    system = identity_like(tx_cov) + effective @ tx_cov
    shaped = precoder @ cross_gram @ precoder.mH  # F C Fᴴ, (..., B, B)
    captured = real_trace(torch.linalg.solve(system, effective @ shaped))
    return target_energy - captured


def structured_mse_whitened(
    whitened: Tensor, factor: Tensor, weights: Tensor, target_energy: Tensor | float
) -> Tensor:
    """MSE (...) of the structured precoder F = V diag(√p) Q̃ᴴ (11) under an effective channel
    given by its factor W (R_H = Wᴴ W, :func:`~semgym.core.whitened_channel`), (..., A, B).

    ``factor`` is V diag(√p) (..., B, M) (:func:`~semgym.core.mode_factor`); V need not
    diagonalize R_H (a stale precoder after the others moved): with
    A = (W V diag(√p))ᴴ (W V diag(√p)), MSE = tr(R_y) − tr((I + A)⁻¹ A diag(w)), exact. When V
    does diagonalize R_H this is tr(R_y) − Σ_m w_m λ_m p_m/(1 + λ_m p_m), the water-filling
    objective.
    """
    return target_energy - captured_energy(whitened @ factor, weights)


def mse_noise_sensitivity(
    direct: Tensor, noise_covariance: Tensor, factor: Tensor, weights: Tensor
) -> Tensor:
    """Π = ∂MSE/∂R_n, (..., A, A) Hermitian PSD: how fast the MSE (8) of the structured
    precoder grows with the noise-plus-interference covariance its Wiener receiver sees,
    d MSE = tr(Π dR_n) to first order.

    With T = H Φ (Φ = V diag(√p), ``factor`` (..., B, M); H ``direct`` (..., A, B)),
    Σ = T Tᴴ + R_n (R_n ``noise_covariance`` (..., A, A)) and the captured energy
    tr(diag(w) Tᴴ Σ⁻¹ T) (w ``weights`` (..., M)), Π = Gᴴ G for the weighted receiver
    G = diag(√w) Tᴴ Σ⁻¹. This is what a receiver announces in interference pricing: a watt on
    an interferer's mode v that reaches it through H_j costs vᴴ H_jᴴ Π H_j v of its MSE.
    """
    signal = direct @ factor  # T, (..., A, M)
    total = noise_covariance + signal @ signal.mH
    factorization = cholesky(total, "Cholesky factorization of H F Fᴴ Hᴴ + R_n")
    receiver = torch.cholesky_solve(signal, factorization)  # Σ⁻¹ T
    weighted = receiver * weights.clamp_min(0.0).sqrt().unsqueeze(-2).to(receiver.dtype)
    return weighted @ weighted.mH


def captured_energy(signal: Tensor, weights: Tensor) -> Tensor:
    """tr((I + A)⁻¹ A diag(w)) for A = Sᴴ S, from S (..., A, M) and w (..., M), shape (...).

    By the push-through identity the m-th diagonal entry of (I + Sᴴ S)⁻¹ Sᴴ S is
    s_mᴴ (I + S Sᴴ)⁻¹ s_m = ‖L⁻¹ s_m‖² with I + S Sᴴ = L Lᴴ (Cholesky): one factorization and
    one triangular solve, no inverse formed, and a sum of squares, so weak modes lose nothing
    to cancellation. (The same trace from A itself is kept in :mod:`semgym.core.reference`.)
    """
    outer = signal @ signal.mH  # S Sᴴ, (..., A, A)
    factor = cholesky(identity_like(outer) + outer, "Cholesky factorization of I + S Sᴴ")
    normalized = torch.linalg.solve_triangular(factor, signal, upper=False)
    return (squared_magnitude(normalized).sum(-2) * weights).sum(-1)


def normalized_mse(mse: Tensor, target_energy: Tensor) -> Tensor:
    """NMSE = MSE / tr(R_y): 1.0 means nothing was conveyed (predicting the mean)."""
    return mse / target_energy


def per_element_mse(estimates: Tensor, targets: Tensor) -> Tensor:
    """Mean of |estimate − target|² over samples and features, (...), from (..., n, d) each:
    the per-element MSE of simulated estimates against their targets (e.g. a receiver's
    de-whitened latents against its own latents on the test split)."""
    if estimates.shape[-2:] != targets.shape[-2:]:
        raise ValueError(
            f"estimates {tuple(estimates.shape)} and targets {tuple(targets.shape)} must end "
            "in the same (n, d)"
        )
    return squared_magnitude(estimates - targets).mean((-2, -1))
