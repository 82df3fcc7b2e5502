"""Semantic water-filling (interference paper (14), (15)) and its primary-user pricing variant.

Both maximize the semantic utility Σ_m w_m λ_m p_m / (1 + λ_m p_m) over powers p ≥ 0 with
Σ_m p_m ≤ budget (W), where w_m = σ̃_m² are semantic weights and λ_m effective-channel gains.
The m-th largest λ pairs with the m-th largest σ̃ (see tests: it is the optimal pairing).
KKT: w λ / (1 + λ p)² = μ (+ ν c), so p_m = [(√(w_m λ_m / μ) − 1) / λ_m]₊.
"""

from __future__ import annotations

import torch
from torch import Tensor

from semgym.core.linalg import check_on_host

#: Geometric bisection steps; each halves log(hi/lo), so 64 steps resolve a bracket spanning
#: 1e-250 to machine precision.
_BISECTION_STEPS = 64
_BRACKET_SPAN = 1e-250


def semantic_utility(weights: Tensor, gains: Tensor, powers: Tensor) -> Tensor:
    """Σ_m w_m λ_m p_m / (1 + λ_m p_m), (...) from (..., M) inputs: tr(R_y) − MSE of (14)."""
    snr = gains * powers
    return (weights * snr / (1.0 + snr)).sum(-1)


def _check_inputs(weights: Tensor, gains: Tensor, budget: Tensor | float) -> Tensor:
    if weights.shape != gains.shape:
        raise ValueError(f"weights {tuple(weights.shape)} and gains {tuple(gains.shape)} differ")
    budget = torch.as_tensor(budget, dtype=gains.dtype, device=gains.device)
    for name, value in (("weights", weights), ("gains", gains), ("budget", budget)):
        valid = (torch.isfinite(value) & (value >= 0)).all()
        if check_on_host(value):
            if not bool(valid):
                raise ValueError(f"{name} must be finite and >= 0")
        else:  # no host synchronization on accelerators: a device-side assert
            torch._assert_async(valid, f"{name} must be finite and >= 0")
    return budget.expand(gains.shape[:-1])


def semantic_waterfill(weights: Tensor, gains: Tensor, budget: Tensor | float) -> Tensor:
    """Optimal powers (..., M) (W) of max Σ w λ p/(1+λp) s.t. p ≥ 0, Σ p ≤ budget.

    Exact, not bisected: with a_m = w_m λ_m the active modes are those with the largest a_m,
    and for k active modes 1/√μ = (budget + Σ_k 1/λ) / Σ_k √(w/λ). The budget is met with
    equality whenever some a_m > 0; modes with zero weight or gain get zero power.
    """
    budget = _check_inputs(weights, gains, budget)
    dtype = torch.promote_types(gains.dtype, torch.float64)
    w, lam, total = weights.to(dtype), gains.to(dtype), budget.to(dtype)
    merit = w * lam
    order = merit.argsort(-1, descending=True)
    merit_sorted = merit.gather(-1, order)
    lam_sorted = lam.gather(-1, order)
    w_sorted = w.gather(-1, order)
    useful = merit_sorted > 0
    safe_lam = torch.where(useful, lam_sorted, torch.ones_like(lam_sorted))
    inv_lam = torch.where(useful, 1.0 / safe_lam, torch.zeros_like(lam_sorted))
    root = torch.where(useful, (w_sorted / safe_lam).sqrt(), torch.zeros_like(lam_sorted))
    inv_sqrt_mu = (total.unsqueeze(-1) + inv_lam.cumsum(-1)) / root.cumsum(-1).clamp_min(1e-300)
    active = useful & (merit_sorted.sqrt() * inv_sqrt_mu > 1.0)
    # active sets are prefixes of the sorted order: the largest valid k is the number active
    count = active.sum(-1, keepdim=True).clamp_min(1)
    scale = inv_sqrt_mu.gather(-1, count - 1)
    in_prefix = torch.arange(lam.shape[-1], device=lam.device) < count
    p_sorted = torch.where(in_prefix & useful, root * scale - inv_lam, torch.zeros_like(lam_sorted))
    p_sorted = p_sorted.clamp_min(0.0)
    powers = torch.empty_like(p_sorted).scatter_(-1, order, p_sorted)
    return _meet_exactly(powers, total).to(gains.dtype)


def _meet_exactly(powers: Tensor, budget: Tensor) -> Tensor:
    """Rescale powers whose sum differs from ``budget`` by round-off so Σ p = budget exactly."""
    spent = powers.sum(-1, keepdim=True)
    scale = torch.where(spent > 0, budget.unsqueeze(-1) / spent.clamp_min(1e-300), 1.0)
    return powers * scale


def _priced_powers(w: Tensor, lam: Tensor, price: Tensor) -> Tensor:
    """p_m = [(√(w λ / price) − 1)/λ]₊ elementwise (price > 0), written as
    (wλ − price) / (price · λ · (√(wλ/price) + 1)) to avoid cancellation near the water level."""
    merit = w * lam
    useful = merit > price
    safe_lam = torch.where(useful, lam, torch.ones_like(lam))
    p = (merit - price) / (price * safe_lam * ((merit / price).sqrt() + 1.0))
    return torch.where(useful, p, torch.zeros_like(p))


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


def priced_semantic_waterfill(
    weights: Tensor,
    gains: Tensor,
    budget: Tensor | float,
    costs: Tensor,
    cap: Tensor | float,
) -> Tensor:
    """Water-filling with primary-user protection (journal abstract): powers (..., M), W.

    Adds Σ_m c_m p_m ≤ cap, where c_m ≥ 0 is the interference mode m puts on the primary
    receivers per watt and cap is I_max (W). KKT: p_m = [(√(w λ/(μ + ν c_m)) − 1)/λ]₊ with
    μ, ν ≥ 0 from complementary slackness: ν = 0 if the plain water-filling meets the cap,
    otherwise ν solves Σ c p = cap by bisection, each ν with its own μ (bisection, or μ = 0
    when the budget is slack).
    """
    budget = _check_inputs(weights, gains, budget)
    if (
        costs.shape != gains.shape
        or not bool(torch.isfinite(costs).all())
        or bool((costs < 0).any())
    ):
        raise ValueError("costs must be finite, >= 0 and shaped like gains")
    cap = torch.as_tensor(cap, dtype=gains.dtype, device=gains.device)
    if not bool(torch.isfinite(cap).all()) or bool((cap < 0).any()):
        raise ValueError("cap (I_max) must be finite and >= 0")
    dtype = torch.promote_types(gains.dtype, torch.float64)
    w, lam, c = weights.to(dtype), gains.to(dtype), costs.to(dtype)
    total = budget.to(dtype)
    cap = cap.to(dtype).expand(total.shape)
    merit = w * lam

    plain = semantic_waterfill(w, lam, total)
    if bool(((c * plain).sum(-1) <= cap).all()):
        return plain.to(gains.dtype)

    merit_max = merit.amax(-1).clamp_min(1e-300)

    def inner_mu(nu: Tensor) -> Tensor:
        """μ(ν) ≥ 0 meeting the budget, or 0 when the budget is slack at μ = 0."""
        nu_ = nu.unsqueeze(-1)
        free = _priced_powers(w, lam, (nu_ * c).clamp_min(1e-300))
        unbounded = ((merit > 0) & (nu_ * c <= 0)).any(-1)
        slack = ~unbounded & (free.sum(-1) <= total)

        def spent(mu: Tensor) -> Tensor:
            return _priced_powers(w, lam, mu.unsqueeze(-1) + nu_ * c).sum(-1)

        mu = _bisect(spent, merit_max, total)
        return torch.where(slack, torch.zeros_like(mu), mu)

    def interference(nu: Tensor) -> Tensor:
        mu = inner_mu(nu)
        price = (mu.unsqueeze(-1) + nu.unsqueeze(-1) * c).clamp_min(1e-300)
        return (c * _priced_powers(w, lam, price)).sum(-1)

    positive = c > 0
    nu_max = torch.where(positive, merit / torch.where(positive, c, torch.ones_like(c)), 0.0)
    nu_hi = nu_max.amax(-1).clamp_min(1e-300)
    needs_price = (c * plain).sum(-1) > cap
    nu = _bisect(interference, nu_hi, cap)
    nu = torch.where(needs_price, nu, torch.zeros_like(nu))
    mu = inner_mu(nu)
    priced = _priced_powers(w, lam, (mu.unsqueeze(-1) + nu.unsqueeze(-1) * c).clamp_min(1e-300))
    # bisection returns the feasible end; remove what round-off may still leave over
    over = torch.maximum(
        priced.sum(-1) / total.clamp_min(1e-300),
        (c * priced).sum(-1) / cap.clamp_min(1e-300),
    )
    priced = priced / over.clamp_min(1.0).unsqueeze(-1)
    return torch.where(needs_price.unsqueeze(-1), priced, plain).to(gains.dtype)
