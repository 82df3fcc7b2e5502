"""Semantic water-filling (interference paper (14), (15)) and its two priced variants.

All maximize the semantic utility Σ_m w_m λ_m p_m / (1 + λ_m p_m) over powers p ≥ 0 with
Σ_m p_m ≤ budget (W), where w_m = σ̃_m² are semantic weights and λ_m effective-channel gains.
The m-th largest λ pairs with the m-th largest σ̃ (see tests: it is the optimal pairing).
KKT: w λ / (1 + λ p)² = μ (+ ν c), so p_m = [(√(w_m λ_m / μ) − 1) / λ_m]₊. The primary-user
variant adds a constraint Σ c p ≤ cap (:func:`priced_semantic_waterfill`); the interference
pricing variant subtracts a charge Σ c p from the utility
(:func:`semantic_waterfill_with_prices`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from semgym.core.linalg import check_on_host

#: Bisection steps that resolve any bracket to machine precision (in log(ν), a span of 1e-250).
_BISECTION_STEPS = 64
_BRACKET_SPAN = 1e-250
#: Newton steps of the safeguarded root finder before it falls back to bisection only.
_NEWTON_STEPS = 60


def semantic_utility(weights: Tensor, gains: Tensor, powers: Tensor) -> Tensor:
    """Σ_m w_m λ_m p_m / (1 + λ_m p_m), (...) from (..., M) inputs: tr(R_y) − MSE of (14)."""
    snr = gains * powers
    return (weights * snr / (1.0 + snr)).sum(-1)


def _check_values(name: str, value: Tensor, message: str | None = None) -> None:
    """``ValueError`` unless every entry of ``value`` is finite and >= 0 (on accelerators a
    device-side assert: no host synchronization)."""
    message = message or f"{name} must be finite and >= 0"
    valid = (torch.isfinite(value) & (value >= 0)).all()
    if check_on_host(value):
        if not bool(valid):
            raise ValueError(message)
    else:
        torch._assert_async(valid, message)


def _check_inputs(weights: Tensor, gains: Tensor, budget: Tensor | float) -> Tensor:
    if weights.shape != gains.shape:
        raise ValueError(f"weights {tuple(weights.shape)} and gains {tuple(gains.shape)} differ")
    budget = torch.as_tensor(budget, dtype=gains.dtype, device=gains.device)
    for name, value in (("weights", weights), ("gains", gains), ("budget", budget)):
        _check_values(name, value)
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


def semantic_waterfill_with_prices(
    weights: Tensor, gains: Tensor, budget: Tensor | float, prices: Tensor
) -> Tensor:
    """Optimal powers (..., M) (W) of max Σ w λ p/(1+λp) − Σ c_m p_m s.t. p ≥ 0, Σ p ≤ budget:
    the best response of a link charged c_m ≥ 0 (utility per W, (..., M)) for the harm each
    watt on mode m does to the others (interference pricing).

    KKT: w λ/(1 + λp)² = μ + c_m, so p_m = [(√(w λ/(μ + c_m)) − 1)/λ]₊ with μ ≥ 0: μ = 0 when
    those powers fit the budget (possible only if every useful mode is charged; the budget is
    then left partly unspent), else the root of Σ p(μ) = budget, which decreases in μ and lies
    in [μ₀ − max c, min(μ₀, max(wλ − c))] (μ₀ the plain water level). On the host the root is
    found by safeguarded Newton steps on the rows that need one; on accelerators (no host
    synchronization) by a fixed number of bisection steps on log μ, the powers at the
    bracket's two ends mixed to meet the budget exactly. Zero prices give
    :func:`semantic_waterfill`.
    """
    budget = _check_inputs(weights, gains, budget)
    if prices.shape != gains.shape:
        raise ValueError(
            f"prices {tuple(prices.shape)} must be shaped like gains {tuple(gains.shape)}"
        )
    _check_values("prices", prices)
    dtype = torch.promote_types(gains.dtype, torch.float64)
    w, lam, c, total = weights.to(dtype), gains.to(dtype), prices.to(dtype), budget.to(dtype)
    tiny = 1e-300
    merit = w * lam
    # the budget is slack at μ = 0 when no useful mode is free and the charged powers fit
    slack = _budget_slack(w, lam, c, total)
    at_zero = _priced_powers(w, lam, c.clamp_min(tiny))
    # bracket: every mode is off from μ = max(wλ − c) on; at μ₀ − max c every mode gets at
    # least its plain water-filling power, so the powers at least fill the budget
    plain = semantic_waterfill(w, lam, total)
    strongest = merit.argmax(-1, keepdim=True)
    level = merit.gather(-1, strongest) / (1.0 + (lam * plain).gather(-1, strongest)).square()
    level = level.squeeze(-1)
    hi = torch.minimum((merit - c).amax(-1), level).clamp_min(tiny)
    lo = torch.minimum(torch.maximum(level - c.amax(-1), hi * _BRACKET_SPAN), hi)
    if check_on_host(total):
        return _host_priced(w, lam, c, total, slack, at_zero, lo, hi).to(gains.dtype)
    log_lo, log_hi = lo.log(), hi.log()

    def powers_at(log_mu: Tensor) -> Tensor:
        return _priced_powers(w, lam, log_mu.exp().unsqueeze(-1) + c)

    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (log_lo + log_hi)
        over = powers_at(middle).sum(-1) > total
        log_lo = torch.where(over, middle, log_lo)
        log_hi = torch.where(over, log_hi, middle)
    low_end, high_end = powers_at(log_lo), powers_at(log_hi)  # spend ≥ and ≤ the budget
    spent_low, spent_high = low_end.sum(-1), high_end.sum(-1)
    share = (total - spent_high) / (spent_low - spent_high).clamp_min(tiny)
    share = share.clamp(0.0, 1.0).unsqueeze(-1)
    bound = share * low_end + (1.0 - share) * high_end
    powers = torch.where(slack.unsqueeze(-1), at_zero, bound)
    return powers.to(gains.dtype)


def _host_priced(
    w: Tensor,
    lam: Tensor,
    c: Tensor,
    total: Tensor,
    slack: Tensor,
    at_zero: Tensor,
    lo: Tensor,
    hi: Tensor,
) -> Tensor:
    """:func:`semantic_waterfill_with_prices` on the host: μ by safeguarded Newton steps
    (:func:`_newton_root`, from the bracket's upper end) on the rows whose budget binds."""
    modes = w.shape[-1]
    powers = at_zero.reshape(-1, modes).clone()
    bound = (~slack).reshape(-1).nonzero().squeeze(-1)
    if bound.numel() == 0:
        return powers.view(w.shape)
    w_, lam_, c_ = (t.reshape(-1, modes)[bound] for t in (w, lam, c))
    total_, lo_, hi_ = (t.reshape(-1)[bound] for t in (total, lo, hi))

    def spent(mu: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
        p, slopes = _priced_powers_and_slopes(w_[rows], lam_[rows], mu.unsqueeze(-1) + c_[rows])
        return p.sum(-1), -slopes.sum(-1)

    eps = torch.finfo(w.dtype).eps
    mu = _newton_root(spent, lo_, hi_, hi_, total_, 1e-14, 4 * eps, relative=True)
    solved = _priced_powers(w_, lam_, mu.unsqueeze(-1) + c_)
    # the root is resolved to round-off: scale onto the budget exactly (a no-op but for the
    # last bits)
    powers[bound] = _meet_exactly(solved, total_)
    return powers.view(w.shape)


def _meet_exactly(powers: Tensor, budget: Tensor) -> Tensor:
    """Rescale powers whose sum differs from ``budget`` by round-off so Σ p = budget exactly."""
    spent = powers.sum(-1, keepdim=True)
    scale = torch.where(spent > 0, budget.unsqueeze(-1) / spent.clamp_min(1e-300), 1.0)
    return powers * scale


def _priced_powers(w: Tensor, lam: Tensor, price: Tensor) -> Tensor:
    """p_m = [(√(w λ / price) − 1)/λ]₊ elementwise (price > 0), written as
    (wλ − price) / (price · λ · (√(wλ/price) + 1)) to avoid cancellation near the water level."""
    return _priced_powers_and_slopes(w, lam, price)[0]


def _priced_powers_and_slopes(w: Tensor, lam: Tensor, price: Tensor) -> tuple[Tensor, Tensor]:
    """:func:`_priced_powers` and −∂p_m/∂price_m = √(wλ/price) / (2 λ price) (0 where p_m = 0)."""
    merit = w * lam
    useful = merit > price
    safe_lam = torch.where(useful, lam, torch.ones_like(lam))
    ratio = (merit / price).sqrt()
    p = (merit - price) / (price * safe_lam * (ratio + 1.0))
    slope = ratio / (2.0 * safe_lam * price)
    zero = torch.zeros_like(p)
    return torch.where(useful, p, zero), torch.where(useful, slope, zero)


def _budget_slack(w: Tensor, lam: Tensor, offset: Tensor, total: Tensor) -> Tensor:
    """(...,) bool: the budget is slack at μ = 0 under the per-mode prices ``offset`` = ν c
    (..., M): no useful mode is free (ν c = 0) and the powers at those prices fit ``total``."""
    unbounded = ((w * lam > 0) & (offset <= 0)).any(-1)
    return ~unbounded & (_priced_powers(w, lam, offset.clamp_min(1e-300)).sum(-1) <= total)


def _price_ceiling(merit: Tensor, costs: Tensor) -> Tensor:
    """max_m wλ/c over modes with c > 0, (...,): at this ν every mode that reaches a primary is
    switched off (the upper end of the ν bracket)."""
    positive = costs > 0
    ratio = torch.where(positive, merit / torch.where(positive, costs, torch.ones_like(costs)), 0.0)
    return ratio.amax(-1).clamp_min(1e-300)


def _newton_root(
    fn: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]],
    lo: Tensor,
    hi: Tensor,
    start: Tensor,
    target: Tensor,
    rtol: float,
    xtol: float,
    *,
    relative: bool,
) -> Tensor:
    """x (N,) in [lo, hi] with fn(x, rows) = target for decreasing functions of the rows
    ``rows`` (int64 indices into the N) that return (value, slope) at x: Newton steps while they
    stay inside the bracket that every evaluation narrows and keep halving the gap, bisection
    otherwise (and always after :data:`_NEWTON_STEPS` steps, so it terminates). Only
    unconverged rows are evaluated.

    A row converges when |fn − target| ≤ rtol·|target|, or its bracket or Newton step is
    narrower than ``xtol`` (times |x| if ``relative``); then it ends on the feasible side
    fn(x) ≤ target (the bracket's upper end), as bisection would. All arguments are (N,).
    """
    x = start.clone()
    rows = torch.arange(x.shape[0], device=x.device)
    xr = x
    last_gap = torch.full_like(x, math.inf)  # |fn − target| at the previous step
    was_newton = torch.zeros_like(x, dtype=torch.bool)
    for step in range(_NEWTON_STEPS + _BISECTION_STEPS):
        value, slope = fn(xr, rows)
        gap = value - target
        above = gap > 0  # the root lies right of x
        lo = torch.where(above, xr, lo)
        hi = torch.where(above, hi, xr)
        scale = xr.abs() if relative else torch.ones_like(xr)
        newton = xr - gap / slope
        settled = torch.isfinite(newton) & ((newton - xr).abs() <= xtol * scale)
        narrow = hi - lo <= xtol * scale
        close = gap.abs() <= rtol * target.abs()
        feasible = gap <= 0
        # at round-off resolution, end on the feasible side fn ≤ target: the bracket's hi
        done = close | narrow | (settled & feasible)
        x[rows[done]] = torch.where(close | feasible, xr, hi)[done]
        keep = ~done
        if not bool(keep.any()):
            return x
        # Newton while it stays inside the bracket and its last step at least halved the gap
        # (else bisect: a kink between two iterates makes plain Newton cycle)
        stalled = was_newton & (gap.abs() > 0.5 * last_gap)
        use_newton = torch.isfinite(newton) & (newton > lo) & (newton < hi) & ~stalled
        if step >= _NEWTON_STEPS:
            use_newton = torch.zeros_like(use_newton)
        step_to = torch.where(use_newton, newton, 0.5 * (lo + hi))
        step_to = torch.where(settled, torch.nextafter(xr, hi), step_to)  # one ulp right
        xr, last_gap, was_newton = step_to[keep], gap.abs()[keep], use_newton[keep]
        rows, lo, hi, target = rows[keep], lo[keep], hi[keep], target[keep]
    x[rows] = xr
    return x


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
    otherwise ν solves Σ c p = cap, each ν with its own μ (Σ p = budget, or μ = 0 when the
    budget is slack). Both are one-dimensional monotone roots, found by safeguarded Newton
    steps (a few evaluations each; the nested bisection they replace is
    :func:`semgym.core.reference.bisected_priced_waterfill`).
    """
    budget = _check_inputs(weights, gains, budget)
    if costs.shape != gains.shape:
        raise ValueError("costs must be finite, >= 0 and shaped like gains")
    cap = torch.as_tensor(cap, dtype=gains.dtype, device=gains.device)
    _check_values("costs", costs, "costs must be finite, >= 0 and shaped like gains")
    _check_values("cap", cap, "cap (I_max) must be finite and >= 0")
    dtype = torch.promote_types(gains.dtype, torch.float64)
    w, lam, c = weights.to(dtype), gains.to(dtype), costs.to(dtype)
    total = budget.to(dtype)
    cap = cap.to(dtype).expand(total.shape)
    merit = w * lam

    plain = semantic_waterfill(w, lam, total)
    needs_price = (c * plain).sum(-1) > cap
    if not check_on_host(needs_price):
        return _priced_on_device(w, lam, c, total, cap, plain, needs_price).to(gains.dtype)
    if not bool(needs_price.any()):
        return plain.to(gains.dtype)
    # a zero cap switches off every mode that reaches a primary (ν = ∞): the plain
    # water-filling of the others
    shut = needs_price & (cap <= 0)
    if bool(shut.any()):
        closed = semantic_waterfill(torch.where(c > 0, 0.0, w), lam, total)
        plain = torch.where(shut.unsqueeze(-1), closed, plain)
        needs_price = needs_price & ~shut
        if not bool(needs_price.any()):
            return plain.to(gains.dtype)
    # the rows left to price, flattened to (N, M)
    modes = gains.shape[-1]
    which = needs_price.reshape(-1).nonzero().squeeze(-1)
    powers = plain.reshape(-1, modes).clone()
    w, lam, c, merit, plain = (t.reshape(-1, modes)[which] for t in (w, lam, c, merit, plain))
    total, cap = total.reshape(-1)[which], cap.reshape(-1)[which]
    # plain water level μ₀ = wλ/(1 + λp)² of the strongest mode (always active); ν > 0 raises
    # every price, so the budget's μ(ν) lies in [μ₀ − ν·max c, μ₀]
    strongest = merit.argmax(-1, keepdim=True)
    mu_plain = (
        merit.gather(-1, strongest) / (1.0 + (lam * plain).gather(-1, strongest)).square()
    ).squeeze(-1)
    c_max = c.amax(-1)
    eps = torch.finfo(dtype).eps

    def inner_mu(nu: Tensor, rows: Tensor) -> Tensor:
        """μ(ν) ≥ 0 of the rows meeting their budget, or 0 where it is slack at μ = 0."""
        w_, lam_ = w[rows], lam[rows]
        offset = nu.unsqueeze(-1) * c[rows]
        slack = _budget_slack(w_, lam_, offset, total[rows])

        def spent(mu: Tensor, sub: Tensor) -> tuple[Tensor, Tensor]:
            price = mu.unsqueeze(-1) + offset[sub]
            powers, slopes = _priced_powers_and_slopes(w_[sub], lam_[sub], price)
            return powers.sum(-1), -slopes.sum(-1)

        mu = torch.zeros_like(nu)
        bound = ~slack
        if bool(bound.any()):
            top = mu_plain[rows]
            lo = (top - nu * c_max[rows]).clamp_min(0.0)
            solve = bound.nonzero().squeeze(-1)
            mu[solve] = _newton_root(
                lambda m, sub: spent(m, solve[sub]),
                lo[solve],
                top[solve],
                top[solve],
                total[rows][solve],
                1e-14,
                4 * eps,
                relative=True,
            )
        return mu

    def interference(log_nu: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
        """Σ c p at ν = e^x and its slope in x: through μ(ν), −ν Σ s (c − c̄)² with
        s = −∂p/∂price and c̄ = Σ s c / Σ s while the budget binds, else −ν Σ s c²."""
        nu = log_nu.exp()
        mu = inner_mu(nu, rows)
        c_ = c[rows]
        price = (mu.unsqueeze(-1) + nu.unsqueeze(-1) * c_).clamp_min(1e-300)
        powers, slopes = _priced_powers_and_slopes(w[rows], lam[rows], price)
        mean = (slopes * c_).sum(-1) / slopes.sum(-1).clamp_min(1e-300)
        centre = torch.where(mu > 0, mean, torch.zeros_like(mean)).unsqueeze(-1)
        return (c_ * powers).sum(-1), -nu * (slopes * (c_ - centre).square()).sum(-1)

    log_hi = _price_ceiling(merit, c).log()
    log_lo = log_hi + math.log(_BRACKET_SPAN)
    # start where the average price per watt of the plain powers rises by its overshoot
    plain_cost = (c * plain).sum(-1)
    start = mu_plain * (plain_cost / cap.clamp_min(1e-300) - 1.0) * total / plain_cost
    start = torch.minimum(torch.maximum(start.clamp_min(1e-300).log(), log_lo), log_hi)
    log_nu = _newton_root(interference, log_lo, log_hi, start, cap, 1e-12, 4 * eps, relative=False)
    nu = log_nu.exp()
    all_rows = torch.arange(nu.shape[0], device=nu.device)
    mu = inner_mu(nu, all_rows)
    priced = _priced_powers(w, lam, (mu.unsqueeze(-1) + nu.unsqueeze(-1) * c).clamp_min(1e-300))
    # the solves stop at round-off resolution: scale to meet the tighter constraint exactly
    # (the utility increases with every power, so this only gains)
    used = torch.maximum(
        priced.sum(-1) / total.clamp_min(1e-300),
        (c * priced).sum(-1) / cap.clamp_min(1e-300),
    )
    powers[which] = priced / used.clamp_min(1e-300).unsqueeze(-1)
    return powers.view(gains.shape).to(gains.dtype)


#: The device path's search for t = ν/μ: candidates per round and rounds (each round shrinks the
#: log-t bracket by CANDIDATES + 1: 17^16 ≈ 5e19, from a span of at most a few hundred nats to
#: double precision).
_DEVICE_CANDIDATES = 16
_DEVICE_ROUNDS = 16
#: t·c below this leaves every weight w/(1 + t c) equal to w in double precision; above its
#: inverse, w/(1 + t c) = w/(t c) to double precision (the t → ∞ limit).
_NEGLIGIBLE = 1e-18


def _priced_on_device(
    w: Tensor, lam: Tensor, c: Tensor, total: Tensor, cap: Tensor, plain: Tensor, priced: Tensor
) -> Tensor:
    """:func:`priced_semantic_waterfill` without host reads (the accelerator path): no row is
    selected, no loop exits early; rows that need no price keep the plain water-filling.

    Where both constraints bind, the prices are μ(1 + t c_m) with t = ν/μ, and for a fixed t
    the budget-constrained optimum is the plain water-filling with weights w/(1 + t c) (exact,
    :func:`semantic_waterfill`); its interference Σ c p falls as t grows, so t is found by
    multisection on log t (fixed rounds, every candidate at once). Where the budget is slack
    (μ = 0; only without free modes, c_m = 0 with w λ > 0), the cap alone binds: the plain
    water-filling of q = c p with gains λ/c and budget I_max. Same KKT solution as the host
    path, to round-off (tests compare them).
    """
    shape = plain.shape
    modes = shape[-1]
    w, lam, c, plain = (t.reshape(-1, modes) for t in (w, lam, c, plain))
    total, cap, priced = total.reshape(-1), cap.reshape(-1), priced.reshape(-1)
    tiny = 1e-300
    positive = c > 0
    free = ~positive & (w * lam > 0)
    has_free = free.any(-1)
    # a zero cap switches off every mode that reaches a primary (ν = ∞)
    shut = priced & (cap <= 0)
    closed = semantic_waterfill(torch.where(positive, 0.0, w), lam, total)
    # budget slack: the cap alone binds, a water-filling of q = c p
    safe_c = torch.where(positive, c, 1.0)
    q = semantic_waterfill(
        torch.where(positive, w, 0.0), torch.where(positive, lam / safe_c, 0.0), cap
    )
    cap_only = torch.where(positive, q / safe_c, 0.0)
    slack = ~has_free & (cap_only.sum(-1) <= total)
    # both bind: t = ν/μ in [t_lo, t_hi], G(t_lo) > I_max >= G(t_hi)
    c_max = c.amax(-1).clamp_min(tiny)
    c_min = torch.where(positive, c, math.inf).amin(-1).clamp(tiny, 1e300)
    # with free modes, every priced mode is off once its merit is below the free modes'
    # water level μ_free (the budget on free modes alone)
    on_free = semantic_waterfill(torch.where(free, w, 0.0), lam, total)
    merit = w * lam
    strongest = torch.where(free, merit, -1.0).argmax(-1, keepdim=True)
    mu_free = (
        merit.gather(-1, strongest) / (1.0 + (lam * on_free).gather(-1, strongest)).square()
    ).squeeze(-1)
    t_off = torch.where(positive, (merit / mu_free.clamp_min(tiny).unsqueeze(-1)) / safe_c, 0.0)
    t_hi = torch.where(has_free, 2.0 * t_off.amax(-1), 1.0 / (_NEGLIGIBLE * c_min))
    t_hi = torch.maximum(t_hi, 2.0 * _NEGLIGIBLE / c_max)
    lo, hi = (_NEGLIGIBLE / c_max).log(), t_hi.clamp_max(1e300).log()
    fractions = torch.arange(1, _DEVICE_CANDIDATES + 1, dtype=w.dtype, device=w.device) / (
        _DEVICE_CANDIDATES + 1
    )
    for _ in range(_DEVICE_ROUNDS):
        log_t = lo.unsqueeze(-1) + (hi - lo).unsqueeze(-1) * fractions  # (N, K)
        weights = w.unsqueeze(-2) / (1.0 + log_t.exp().unsqueeze(-1) * c.unsqueeze(-2))
        powers = semantic_waterfill(weights, lam.unsqueeze(-2).expand_as(weights), total[:, None])
        over = (c.unsqueeze(-2) * powers).sum(-1) > cap.unsqueeze(-1)  # (N, K): root right
        count = over.sum(-1, keepdim=True)  # G falls with t: the first count candidates are over
        padded = torch.cat([lo.unsqueeze(-1), log_t, hi.unsqueeze(-1)], -1)
        lo, hi = padded.gather(-1, count).squeeze(-1), padded.gather(-1, count + 1).squeeze(-1)
    # both ends meet the budget exactly and bracket the cap: their mixture meeting the cap
    # exactly is optimal to round-off (the interference of a mode at the edge of the active
    # set moves faster in t than double precision resolves)
    ends = semantic_waterfill(
        w.unsqueeze(-2) / (1.0 + torch.stack([lo, hi], -1).exp().unsqueeze(-1) * c.unsqueeze(-2)),
        lam.unsqueeze(-2).expand(-1, 2, -1),
        total[:, None],
    )
    cost = (c.unsqueeze(-2) * ends).sum(-1)  # (N, 2): above and at most the cap
    share = (cap - cost[:, 1]) / (cost[:, 0] - cost[:, 1]).clamp_min(tiny)
    share = share.clamp(0.0, 1.0).unsqueeze(-1)
    solved = share * ends[:, 0] + (1.0 - share) * ends[:, 1]
    solved = torch.where(slack.unsqueeze(-1), cap_only, solved)
    # round-off: scale onto the tighter constraint (a no-op but for the last bits)
    used = torch.maximum(
        solved.sum(-1) / total.clamp_min(tiny), (c * solved).sum(-1) / cap.clamp_min(tiny)
    )
    solved = solved / used.clamp_min(tiny).unsqueeze(-1)
    out = torch.where(shut.unsqueeze(-1), closed, plain)
    out = torch.where((priced & ~shut).unsqueeze(-1), solved, out)
    return out.view(shape)
