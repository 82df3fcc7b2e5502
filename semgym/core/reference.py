"""Straightforward reference paths, kept for tests and benchmarks only.

Each computes a quantity that :mod:`semgym.core` computes faster by exploiting structure, so
tests can check the fast path against the definition and benchmarks can time both:

- :func:`received_interference`, :func:`interference_covariance`, :func:`mui_power`: the MUI
  (5) from dense transmit covariances F_j F_jᴴ (the fast path works on factors, per channel
  use: :func:`~semgym.core.interference_by_block`);
- :func:`structured_mse`, :func:`gram_captured_energy`: the structured MSE through R_H itself
  and tr((I + A)⁻¹ A diag(w)) through A (the fast path uses the factor W of R_H and the
  push-through identity: :func:`~semgym.core.structured_mse_whitened`,
  :func:`~semgym.core.captured_energy`);
- :func:`empirical_mse`: the MSE (4) measured on samples (the closed form is
  :func:`~semgym.core.alignment_mse`);
- :func:`dense_best_response`: one (K·N_T)-sized eigenproblem per link on H = I_K ⊗ H̄ (the fast
  path solves K problems of size N_T: :func:`~semgym.core.best_response` on blocks);
- :func:`bisected_priced_waterfill`: the priced water-filling by nested geometric bisection,
  64 × 65 evaluations (the fast path takes safeguarded Newton steps:
  :func:`~semgym.core.priced_semantic_waterfill`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from semgym.core.best_response import BestResponse, best_response
from semgym.core.interference import add_noise, direct_channels, effective_channel
from semgym.core.linalg import cholesky, hermitian_part, identity_like, real_inner, real_trace
from semgym.core.precoder import mode_factor
from semgym.core.waterfill import (
    _BISECTION_STEPS,
    _BRACKET_SPAN,
    _budget_slack,
    _price_ceiling,
    _priced_powers,
    semantic_waterfill,
)


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
    return target_energy - gram_captured_energy(scaled.mH @ effective @ scaled, weights)


def gram_captured_energy(gram: Tensor, weights: Tensor) -> Tensor:
    """tr((I + A)⁻¹ A diag(w)) for Hermitian PSD A (..., M, M) and w (..., M), shape (...),
    from A itself: with I + A = L Lᴴ, (I + A)⁻¹ = Yᴴ Y for Y = L⁻¹, and the diagonal of
    Yᴴ (Y A) is summed with the weights."""
    eye = identity_like(gram)
    factor = cholesky(eye + gram, "Cholesky factorization of I + A")
    inverse_factor = torch.linalg.solve_triangular(factor, eye, upper=False)
    diagonal = real_inner(inverse_factor, inverse_factor @ gram, dim=-2)
    return (diagonal * weights).sum(-1)


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


def _bisect(fn, hi: Tensor, target: Tensor) -> Tensor:
    """Root of the decreasing ``fn`` on (0, hi] where fn = target, batched, by geometric
    bisection on [hi·1e-250, hi]; returns the upper end (fn(result) <= target)."""
    lo = hi * _BRACKET_SPAN
    for _ in range(_BISECTION_STEPS):
        mid = (lo * hi).sqrt()
        above = fn(mid) > target
        lo = torch.where(above, mid, lo)
        hi = torch.where(above, hi, mid)
    return hi


def bisected_priced_waterfill(
    weights: Tensor, gains: Tensor, budget: Tensor | float, costs: Tensor, cap: Tensor | float
) -> Tensor:
    """The priced water-filling's powers (..., M), W, by nested geometric bisection: ν on
    Σ c p = cap outside, μ(ν) on Σ p = budget inside (μ = 0 when the budget is slack).
    Inputs as :func:`~semgym.core.priced_semantic_waterfill`, valid (not checked)."""
    dtype = torch.promote_types(gains.dtype, torch.float64)
    w, lam, c = weights.to(dtype), gains.to(dtype), costs.to(dtype)
    total = torch.as_tensor(budget, dtype=dtype, device=gains.device).expand(gains.shape[:-1])
    cap = torch.as_tensor(cap, dtype=dtype, device=gains.device).expand(total.shape)
    merit = w * lam
    plain = semantic_waterfill(w, lam, total)
    if bool(((c * plain).sum(-1) <= cap).all()):
        return plain.to(gains.dtype)
    merit_max = merit.amax(-1).clamp_min(1e-300)

    def inner_mu(nu: Tensor) -> Tensor:
        nu_ = nu.unsqueeze(-1)
        slack = _budget_slack(w, lam, nu_ * c, total)

        def spent(mu: Tensor) -> Tensor:
            return _priced_powers(w, lam, mu.unsqueeze(-1) + nu_ * c).sum(-1)

        mu = _bisect(spent, merit_max, total)
        return torch.where(slack, torch.zeros_like(mu), mu)

    def interference(nu: Tensor) -> Tensor:
        mu = inner_mu(nu)
        price = (mu.unsqueeze(-1) + nu.unsqueeze(-1) * c).clamp_min(1e-300)
        return (c * _priced_powers(w, lam, price)).sum(-1)

    needs_price = (c * plain).sum(-1) > cap
    nu = _bisect(interference, _price_ceiling(merit, c), cap)
    nu = torch.where(needs_price, nu, torch.zeros_like(nu))
    mu = inner_mu(nu)
    priced = _priced_powers(w, lam, (mu.unsqueeze(-1) + nu.unsqueeze(-1) * c).clamp_min(1e-300))
    over = torch.maximum(
        priced.sum(-1) / total.clamp_min(1e-300), (c * priced).sum(-1) / cap.clamp_min(1e-300)
    )
    priced = priced / over.clamp_min(1.0).unsqueeze(-1)
    return torch.where(needs_price.unsqueeze(-1), priced, plain).to(gains.dtype)
