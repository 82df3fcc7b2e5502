"""Structured pre-equalizer (interference paper (10), (11)) and power projections."""

from __future__ import annotations

import torch
from torch import Tensor


def scale_columns(matrix: Tensor, scale: Tensor) -> Tensor:
    """A diag(s): column m of (..., n, M) ``matrix`` times the real s_m of ``scale`` (..., M).

    The scale stays real (cast to the matrix's real dtype): on the CPU a complex × real product
    is faster than the complex × complex one it would otherwise be promoted to.
    """
    real = matrix.real.dtype if matrix.is_complex() else matrix.dtype
    return matrix * scale.to(real).unsqueeze(-2)


def mode_factor(modes: Tensor, powers: Tensor) -> Tensor:
    """V diag(√p), (..., B, M): the structured precoder before its semantic directions, from
    V (..., B, M) and p (..., M) in W (negative powers count as 0)."""
    return scale_columns(modes, powers.clamp_min(0.0).sqrt())


def structured_precoder(modes: Tensor, powers: Tensor, directions: Tensor) -> Tensor:
    """F = V diag(√p) Q̃ᴴ, (..., B, d_x), from V (..., B, M), p (..., M) in W, Q̃ (..., d_x, M)."""
    return mode_factor(modes, powers) @ directions.mH


def structured_covariance(modes: Tensor, powers: Tensor) -> Tensor:
    """F Fᴴ = V diag(p) Vᴴ of the structured precoder (Q̃ᴴ Q̃ = I), (..., B, B)."""
    return scale_columns(modes, powers) @ modes.mH


def project_to_budget(powers: Tensor, budget: Tensor | float) -> Tensor:
    """Euclidean projection of (..., M) onto {p ≥ 0, Σ p ≤ budget} (W).

    Negative entries go to zero; an over-budget vector is projected onto the simplex
    Σ p = budget (sort-based, exact). The simplex step works on p − max(p) (the projection
    is invariant to that shift): the entries that can stay positive lie within ``budget`` of the
    largest, so their sums keep full precision however large p is.
    """
    budget = torch.as_tensor(budget, dtype=powers.dtype, device=powers.device).expand(
        powers.shape[:-1]
    )
    clipped = powers.clamp_min(0.0)
    over = clipped.sum(-1) > budget
    shifted = powers - powers.amax(-1, keepdim=True)
    ordered = shifted.sort(-1, descending=True).values
    cumulative = ordered.cumsum(-1) - budget.unsqueeze(-1)
    index = torch.arange(1, powers.shape[-1] + 1, device=powers.device, dtype=powers.dtype)
    valid = ordered - cumulative / index > 0
    count = valid.sum(-1, keepdim=True).clamp_min(1)
    threshold = cumulative.gather(-1, count - 1) / count.to(powers.dtype)
    simplex = (shifted - threshold).clamp_min(0.0)
    return torch.where(over.unsqueeze(-1), simplex, clipped)


def scale_to_caps(powers: Tensor, costs: Tensor) -> tuple[Tensor, Tensor]:
    """Powers (..., M) W scaled onto a link's share of the primaries' caps: with the interference
    load ℓ = Σ_m c_m p_m (c_m per watt, :func:`~semgym.core.interference_prices`; ℓ = 1 is at
    the caps), p / max(1, ℓ). The direction is kept and feasible powers are left exactly as
    they are (the priced best response is one). Returns (powers, load (...))."""
    load = (costs * powers).sum(-1)
    return powers / load.clamp_min(1.0).unsqueeze(-1), load


def project_to_power_ball(precoder: Tensor, budget: Tensor | float) -> Tensor:
    """Projection of F (..., B, d) onto {tr(F Fᴴ) ≤ budget}: rescale when outside (ADMM Z step)."""
    budget = torch.as_tensor(budget, dtype=precoder.real.dtype, device=precoder.device)
    energy = precoder.abs().square().sum((-2, -1))
    scale = torch.where(energy > budget, (budget / energy.clamp_min(1e-300)).sqrt(), 1.0)
    return precoder * scale[..., None, None].to(precoder.dtype)
