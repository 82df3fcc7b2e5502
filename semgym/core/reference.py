"""Straightforward reference paths, kept for tests and benchmarks only.

Each computes a quantity that :mod:`semgym.core` computes faster by exploiting structure, so
tests can check the fast path against the definition and benchmarks can time both:

- :func:`received_interference`, :func:`interference_covariance`, :func:`mui_power`: the MUI
  (5) from dense transmit covariances F_j F_jᴴ (the fast path works on factors, per channel
  use: :func:`~semgym.core.interference_by_block`);
- :func:`structured_mse`: the structured MSE through R_H itself (the fast path uses its
  factor W: :func:`~semgym.core.structured_mse_whitened`);
- :func:`empirical_mse`: the MSE (4) measured on samples (the closed form is
  :func:`~semgym.core.alignment_mse`);
- :func:`dense_best_response`: one (K·N_T)-sized eigenproblem per link on H = I_K ⊗ H̄ (the fast
  path solves K problems of size N_T: :func:`~semgym.core.best_response` on blocks).
"""

from __future__ import annotations

import torch
from torch import Tensor

from semgym.core.best_response import BestResponse, best_response
from semgym.core.interference import add_noise, direct_channels, effective_channel
from semgym.core.linalg import hermitian_part, real_trace
from semgym.core.mse import captured_energy
from semgym.core.precoder import mode_factor


def received_interference(channels: Tensor, tx_covariance: Tensor) -> Tensor:
    """Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ at every receiver l, (..., L, A, A), from channels
    (..., L, L, A, B) (tx-major) and dense covariances (..., L, B, B)."""
    n_links = channels.shape[-4]
    per_pair = channels @ tx_covariance.unsqueeze(-3) @ channels.mH  # (..., j, l, A, A)
    off_diagonal = ~torch.eye(n_links, dtype=torch.bool, device=channels.device)
    mask = off_diagonal.to(per_pair.real.dtype)[..., None, None]
    return hermitian_part((per_pair * mask).sum(-4))


def interference_covariance(
    channels: Tensor, tx_covariance: Tensor, noise_power: Tensor | float
) -> Tensor:
    """R_{n,l} = σ² I + Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ, (..., L, A, A); σ² (W) a float or a
    tensor broadcastable to the leading shape (...)."""
    return add_noise(received_interference(channels, tx_covariance), noise_power)


def mui_power(channels: Tensor, tx_covariance: Tensor) -> Tensor:
    """Interference power tr(Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ) at each receiver, (..., L), W."""
    return real_trace(received_interference(channels, tx_covariance))


def structured_mse(
    effective: Tensor, modes: Tensor, powers: Tensor, weights: Tensor, target_energy: Tensor
) -> Tensor:
    """MSE (...) of F = V diag(√p) Q̃ᴴ under R_H (..., B, B) itself:
    tr(R_y) − tr((I + A)⁻¹ A diag(w)) with A = diag(√p) Vᴴ R_H V diag(√p)."""
    scaled = mode_factor(modes, powers)
    return target_energy - captured_energy(scaled.mH @ effective @ scaled, weights)


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


def dense_best_response(
    channels: Tensor,
    tx_covariance: Tensor,
    noise_power: Tensor | float,
    weights: Tensor,
    budget: Tensor | float,
) -> BestResponse:
    """Best responses (15) from dense channels (..., L, L, A, B) and dense covariances
    (..., L, B, B): one B × B eigenproblem per link (a single block)."""
    noise_cov = interference_covariance(channels, tx_covariance, noise_power)
    effective = effective_channel(direct_channels(channels), noise_cov)
    return best_response(effective.unsqueeze(-3), weights, budget)
