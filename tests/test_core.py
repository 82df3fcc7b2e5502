"""The exact math of semgym.core against brute force and generic solvers."""

from __future__ import annotations

import contextlib
import itertools

import numpy as np
import pytest
import torch
from helpers import CDTYPE, crandn, random_hpd, random_pair
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from semgym import core
from semgym._runtime import device_side_checks
from semgym.core import reference
from semgym.core.alignment import least_squares_alignment


# --- captured energy ---------------------------------------------------------------------------
@pytest.mark.parametrize(("rows", "modes"), [(6, 6), (3, 7), (9, 4)])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 30.0])
def test_captured_energy_matches_the_inverse(
    rows: int, modes: int, scale: float, gen: torch.Generator
) -> None:
    """tr((I + A)⁻¹ A diag(w)), A = Sᴴ S: the push-through path and the Gram reference equal the
    explicit inverse, for wide, tall and square S and weak to strong signals."""
    signal = scale * crandn(5, rows, modes, gen=gen)
    weights = torch.rand(5, modes, dtype=torch.float64, generator=gen)
    gram = signal.mH @ signal
    eye = torch.eye(modes, dtype=CDTYPE)
    brute = torch.diagonal(torch.linalg.inv(eye + gram) @ gram, dim1=-2, dim2=-1).real
    expected = (brute * weights).sum(-1)
    assert torch.allclose(core.captured_energy(signal, weights), expected, rtol=1e-10, atol=0)
    assert torch.allclose(
        reference.gram_captured_energy(gram, weights), expected, rtol=1e-10, atol=0
    )


# --- packing and whitening -------------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 6, 7])
def test_packing_round_trip_and_layout(d: int, gen: torch.Generator) -> None:
    s = torch.randn(5, d, dtype=torch.float64, generator=gen)
    x = core.real_to_complex(s)
    assert x.shape == (5, (d + 1) // 2)
    assert torch.equal(x.real[:, 0], s[:, 0])  # first half is the real part
    if d > 1:
        assert torch.equal(x.imag[:, 0], s[:, (d + 1) // 2])
    assert torch.equal(core.complex_to_real(x, d), s)
    with pytest.raises(ValueError, match="real_dim"):
        core.complex_to_real(x, d + 2)


def test_whitener_gives_identity_covariance_and_inverts(gen: torch.Generator) -> None:
    raw = crandn(400, 6, gen=gen) @ crandn(6, 6, gen=gen) + 3.0
    w = core.fit_whitener(raw, jitter=0.0)
    z = w.apply(raw)
    assert torch.allclose(z.mean(0), torch.zeros(6, dtype=CDTYPE), atol=1e-12)
    assert torch.allclose(core.sample_covariance(z), torch.eye(6, dtype=CDTYPE), atol=1e-10)
    assert torch.allclose(w.invert(z), raw, atol=1e-10)


def test_whitener_rank_deficient_stays_finite(gen: torch.Generator) -> None:
    raw = torch.cat([crandn(50, 3, gen=gen), torch.zeros(50, 2, dtype=CDTYPE)], -1)
    z = core.fit_whitener(raw).apply(raw)
    assert torch.isfinite(torch.view_as_real(z)).all()
    with pytest.raises(ValueError, match="NaN"):
        core.fit_whitener(torch.full((4, 2), float("nan")))


# --- closed-form MSE --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(10))
def test_closed_form_mse_equals_empirical(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    n, dx, dy, b, a = 300, 12, 9, 6, 5
    x, y = random_pair(n, dx, dy, gen=gen)
    stats = core.semantic_statistics(x, y)
    precoder = crandn(b, dx, gen=gen) * 0.7
    direct = crandn(a, b, gen=gen)
    noise_cov = random_hpd(size=a, gen=gen)
    g = core.wiener_equalizer(stats.cross_covariance, precoder, direct, noise_cov)
    empirical = reference.empirical_mse(x, y, g, direct, precoder, noise_cov)
    effective = core.effective_channel(direct, noise_cov)
    closed = core.alignment_mse(precoder, effective, stats.cross_gram, stats.target_energy)
    assert closed.item() == pytest.approx(empirical.item(), rel=1e-9)
    # the paper's own (I + Fᴴ R_H F)⁻¹ form, with d_x × d_x matrices, agrees too
    eye = torch.eye(dx, dtype=CDTYPE)
    ppH = stats.cross_covariance.mH @ stats.cross_covariance
    paper = (
        stats.target_energy
        - stats.aligned_energy
        + torch.linalg.solve(eye + precoder.mH @ effective @ precoder, ppH).diagonal().sum().real
    )
    assert closed.item() == pytest.approx(paper.item(), rel=1e-9)
    # the Wiener receiver is optimal: perturbing it raises the empirical MSE
    worse = reference.empirical_mse(
        x, y, g + 0.01 * crandn(*g.shape, gen=gen), direct, precoder, noise_cov
    )
    assert worse > empirical


def test_structured_precoder_mse_equals_waterfilling_form(gen: torch.Generator) -> None:
    n, dx, dy, k, nt, nr = 500, 16, 12, 2, 4, 4
    m = k * nt
    x, y = random_pair(n, dx, dy, gen=gen)
    stats = core.semantic_statistics(x, y)
    direct = core.kron_identity(crandn(nr, nt, gen=gen), k)
    noise_cov = random_hpd(size=k * nr, gen=gen)
    effective = core.effective_channel(direct, noise_cov)
    gains, modes = core.effective_channel_modes(effective)
    weights = stats.semantic_weights(m)
    powers = core.semantic_waterfill(weights, gains, k * 1.0)
    f = core.structured_precoder(modes, powers, stats.semantic_directions(m))
    general = core.alignment_mse(f, effective, stats.cross_gram, stats.target_energy)
    wf_form = stats.target_energy - core.semantic_utility(weights, gains, powers)
    structured = reference.structured_mse(effective, modes, powers, weights, stats.target_energy)
    whitened = core.whitened_channel(direct, noise_cov)  # the fast path: R_H through its factor
    fast = core.structured_mse_whitened(
        whitened, core.mode_factor(modes, powers), weights, stats.target_energy
    )
    assert general.item() == pytest.approx(wf_form.item(), rel=1e-10)
    assert structured.item() == pytest.approx(wf_form.item(), rel=1e-10)
    assert fast.item() == pytest.approx(wf_form.item(), rel=1e-10)
    assert torch.allclose(f @ f.mH, core.structured_covariance(modes, powers), atol=1e-12)
    assert (f.abs().square().sum() - k).abs() < 1e-9  # the budget is met with equality
    # a stale V (not diagonalizing R_H) is still exact in structured_mse
    other = core.effective_channel(direct, random_hpd(size=k * nr, gen=gen))
    assert reference.structured_mse(other, modes, powers, weights, stats.target_energy).item() == (
        pytest.approx(
            core.alignment_mse(f, other, stats.cross_gram, stats.target_energy).item(), rel=1e-10
        )
    )


def test_semantic_weights_zero_past_rank(gen: torch.Generator) -> None:
    x, y = random_pair(200, 10, 3, gen=gen)
    stats = core.semantic_statistics(x, y)
    w = stats.semantic_weights(8)
    assert w.shape == (8,) and bool((w[3:] == 0).all()) and bool((w[:3] > 0).all())
    assert stats.semantic_directions(8).shape == (10, 8)
    with pytest.raises(ValueError, match="K·N_T"):
        stats.semantic_weights(11)


# --- water-filling against a generic solver ---------------------------------------------------
def _scipy_waterfill(w, lam, budget, costs=None, cap=None) -> float:
    """Generic constrained maximization (SLSQP), scaled so p = budget · u."""
    w, lam = np.asarray(w, float), np.asarray(lam, float)
    g = lam * budget
    scale = max((w * g / (1 + g)).max(), 1e-300)  # objective of order one

    def neg(u):
        s = g * u
        return -(w * s / (1 + s)).sum() / scale

    def jac(u):
        return -(w * g / (1 + g * u) ** 2) / scale

    cons = [{"type": "ineq", "fun": lambda u: 1.0 - u.sum(), "jac": lambda u: -np.ones_like(u)}]
    bounds = [(0, None)] * len(w)
    cb = None if costs is None else np.asarray(costs, float) * budget
    if costs is not None and cap == 0:  # I_max = 0: modes that reach a primary are switched off
        bounds = [(0, 0) if c > 0 else (0, None) for c in costs]
    elif costs is not None:
        cap_scale = max(cap, 1e-300) if cap > 0 else 1.0
        cons.append(
            {
                "type": "ineq",
                "fun": lambda u: (cap - cb @ u) / cap_scale,
                "jac": lambda u: -cb / cap_scale,
            }
        )
    best = -np.inf
    for start in (np.full(len(w), 1.0 / len(w)) * 0.5, np.eye(len(w))[np.argmax(w * g)] * 0.5):
        start = np.where([b[1] == 0 for b in bounds], 0.0, start)
        for _ in range(5):  # restart SLSQP from its own answer: it often stops early
            res = minimize(
                neg,
                start,
                jac=jac,
                bounds=bounds,
                constraints=cons,
                method="SLSQP",
                options={"ftol": 1e-16, "maxiter": 2000},
            )
            u = np.clip(res.x, 0, None)
            if u.sum() > 1:
                u = u / u.sum()
            if cb is not None and cb @ u > cap:  # SLSQP's constraint tolerance: make feasible
                u = np.where(cb > 0, 0.0, u) if cap == 0 else u * cap / (cb @ u)
            value = -neg(u) * scale
            if value <= best * (1 + 1e-15):
                break
            best, start = value, u
    return best


def _scipy_waterfill_snr(w, lam, budget, costs=None, cap=None) -> float:
    """The same problem in per-mode SNR t = λ p (objective Σ w t/(1+t)): SLSQP fails on other
    instances in this parametrization, so the reference is the better of the two."""
    w, lam = np.asarray(w, float), np.asarray(lam, float)
    scale = max(w.max(), 1e-300)
    per_t = 1.0 / (lam * budget)  # budget constraint per_t · t <= 1
    cons = [{"type": "ineq", "fun": lambda t: 1 - per_t @ t, "jac": lambda t: -per_t}]
    bounds = [(0, None)] * len(w)
    priced = None
    if costs is not None and cap == 0:
        bounds = [(0, 0) if c > 0 else (0, None) for c in costs]
    elif costs is not None:
        priced = np.asarray(costs, float) / (lam * cap)
        cons.append({"type": "ineq", "fun": lambda t: 1 - priced @ t, "jac": lambda t: -priced})

    def neg(t):
        return -(w * t / (1 + t)).sum() / scale

    best = -np.inf
    for start in (np.zeros(len(w)), np.full(len(w), 1e-3)):
        for _ in range(5):
            res = minimize(
                neg,
                start,
                jac=lambda t: -(w / (1 + t) ** 2) / scale,
                bounds=bounds,
                constraints=cons,
                method="SLSQP",
                options={"ftol": 1e-16, "maxiter": 3000},
            )
            t = np.clip(res.x, 0, None)
            violation = max(per_t @ t, 1.0 if priced is None else priced @ t)
            t = t / max(violation, 1.0)
            if costs is not None and cap == 0:
                t = np.where(np.asarray(costs) > 0, 0.0, t)
            value = -neg(t) * scale
            if value <= best * (1 + 1e-15):
                break
            best, start = value, t
    return best


def _random_instances(count: int, seed: int):
    rng = np.random.default_rng(seed)
    for i in range(count):
        m = int(rng.integers(1, 12))
        w = rng.exponential(1.0, m) * 10.0 ** rng.uniform(-2, 2)
        w[rng.random(m) < 0.25] = 0.0  # zero-weight modes (past rank(P))
        lam = rng.exponential(1.0, m) * 10.0 ** rng.uniform(-3, 3, m)
        budget = [1e-6, 1e-2, 1.0, 10.0, 1e4][i % 5]
        yield w, lam, budget


def test_waterfill_matches_generic_solver_on_200_instances() -> None:
    checked = 0
    for w, lam, budget in _random_instances(200, seed=7):
        p = core.semantic_waterfill(torch.tensor(w), torch.tensor(lam), budget)
        assert bool((p >= 0).all())
        ours = core.semantic_utility(torch.tensor(w), torch.tensor(lam), p).item()
        reference = max(_scipy_waterfill(w, lam, budget), _scipy_waterfill_snr(w, lam, budget))
        if (w * lam).max() > 0:
            assert p.sum().item() == pytest.approx(budget, rel=1e-9)  # budget met with equality
        assert bool((p[torch.tensor(w) == 0] == 0).all())
        assert ours >= reference * (1 - 1e-7)  # never worse (round-off at tiny budgets aside)
        assert ours == pytest.approx(reference, rel=1e-6, abs=1e-300)
        checked += 1
    assert checked == 200


#: The priced water-filling's two execution paths: the host's (safeguarded Newton on the rows
#: that need it) and the accelerators' (fixed multisection on every row, no host reads).
PRICED_PATHS = {"host": contextlib.nullcontext, "device": device_side_checks}


@pytest.mark.parametrize("path", PRICED_PATHS)
def test_priced_waterfill_matches_generic_solver_on_200_instances(path: str) -> None:
    rng = np.random.default_rng(11)
    binding = 0
    for w, lam, budget in _random_instances(200, seed=3):
        costs = rng.exponential(1.0, len(w)) * 10.0 ** rng.uniform(-2, 2)
        costs[rng.random(len(w)) < 0.2] = 0.0
        plain = core.semantic_waterfill(torch.tensor(w), torch.tensor(lam), budget)
        cap = float(costs @ plain.numpy()) * rng.choice([0.0, 0.1, 0.5, 2.0])
        with PRICED_PATHS[path]():
            p = core.priced_semantic_waterfill(
                torch.tensor(w), torch.tensor(lam), budget, torch.tensor(costs), cap
            )
        assert bool((p >= 0).all()) and p.sum().item() <= budget * (1 + 1e-9)
        assert float(costs @ p.numpy()) <= cap * (1 + 1e-9) + 1e-12
        ours = core.semantic_utility(torch.tensor(w), torch.tensor(lam), p).item()
        reference = max(
            _scipy_waterfill(w, lam, budget, costs, cap),
            _scipy_waterfill_snr(w, lam, budget, costs, cap),
        )
        binding += float(costs @ plain.numpy()) > cap
        assert ours >= reference * (1 - 1e-7)
        assert ours == pytest.approx(reference, rel=1e-6, abs=1e-12 * max(w.max(), 1e-300))
    assert binding > 50  # the cap really was active on many instances


def _padded_priced_instances(count: int, seed: int, modes: int = 40) -> tuple[torch.Tensor, ...]:
    """``count`` random priced instances in one batch (weights, gains, budgets, costs, caps),
    padded to ``modes`` with zero-weight modes (which take no power)."""
    rng = np.random.default_rng(seed)
    w, lam, costs = np.zeros((count, modes)), np.ones((count, modes)), np.zeros((count, modes))
    budgets, caps = np.zeros(count), np.zeros(count)
    for i, (wi, li, budget) in enumerate(_random_instances(count, seed)):
        m = len(wi)
        ci = rng.exponential(1.0, m) * 10.0 ** rng.uniform(-2, 2)
        ci[rng.random(m) < 0.2] = 0.0
        plain = core.semantic_waterfill(torch.tensor(wi), torch.tensor(li), budget).numpy()
        w[i, :m], lam[i, :m], costs[i, :m], budgets[i] = wi, li, ci, budget
        caps[i] = float(ci @ plain) * rng.choice([0.0, 1e-6, 0.01, 0.1, 0.5, 0.99, 2.0])
    return tuple(torch.tensor(x) for x in (w, lam, budgets, costs, caps))


@pytest.mark.parametrize("path", PRICED_PATHS)
def test_priced_waterfill_matches_nested_bisection_on_1000_instances(path: str) -> None:
    """Both paths against the nested bisection, batched."""
    w, lam, budgets, costs, caps = _padded_priced_instances(1000, seed=5)
    with PRICED_PATHS[path]():
        ours = core.priced_semantic_waterfill(w, lam, budgets, costs, caps)
    bisected = reference.bisected_priced_waterfill(w, lam, budgets, costs, caps)
    assert bool((ours >= 0).all())
    assert bool((ours.sum(-1) <= budgets * (1 + 1e-12)).all())
    assert bool(((costs * ours).sum(-1) <= caps * (1 + 1e-12) + 1e-300).all())
    binding = (costs * core.semantic_waterfill(w, lam, budgets)).sum(-1) > caps
    assert int(binding.sum()) > 500
    value = core.semantic_utility(w, lam, ours)
    reference_value = core.semantic_utility(w, lam, bisected)
    # equal up to the round-off resolution of the multiplier ν on extreme instances (and
    # the bisection's 1e-300 W leftovers under a zero cap)
    scale = torch.maximum(reference_value, 1e-12 * w.amax(-1)).clamp_min(1e-300)
    shortfall = (reference_value - value) / scale
    assert float(shortfall.max()) < 1e-6
    assert float(shortfall.quantile(0.99)) < 1e-10


@pytest.mark.parametrize("path", PRICED_PATHS)
def test_priced_waterfill_without_binding_cap_is_plain(gen: torch.Generator, path: str) -> None:
    w, lam = (
        torch.rand(5, 6, generator=gen, dtype=torch.float64),
        torch.rand(5, 6, generator=gen, dtype=torch.float64),
    )
    costs = torch.rand(5, 6, generator=gen, dtype=torch.float64)
    plain = core.semantic_waterfill(w, lam, 2.0)
    with PRICED_PATHS[path]():
        priced = core.priced_semantic_waterfill(w, lam, 2.0, costs, 1e9)
    assert torch.equal(plain, priced)


@pytest.mark.parametrize("m", [2, 3, 4, 5])
def test_descending_pairing_beats_every_permutation(m: int) -> None:
    rng = np.random.default_rng(m)
    for _ in range(10):
        sigma2 = np.sort(rng.exponential(1.0, m))[::-1].copy()
        lam = np.sort(rng.exponential(1.0, m) * 10.0 ** rng.uniform(-1, 1, m))[::-1].copy()
        budget = float(10.0 ** rng.uniform(-1, 1))

        def value(weights: np.ndarray, lam=lam, budget=budget) -> float:
            wt, lt = torch.tensor(weights), torch.tensor(lam)
            return core.semantic_utility(wt, lt, core.semantic_waterfill(wt, lt, budget)).item()

        paired = value(sigma2)
        for perm in itertools.permutations(range(m)):
            assert value(sigma2[list(perm)]) <= paired * (1 + 1e-12)


def test_waterfill_bad_input() -> None:
    with pytest.raises(ValueError, match="weights"):
        core.semantic_waterfill(torch.tensor([1.0, -1.0]), torch.ones(2), 1.0)
    with pytest.raises(ValueError, match="budget"):
        core.semantic_waterfill(torch.ones(2), torch.ones(2), float("nan"))
    with pytest.raises(ValueError, match="differ"):
        core.semantic_waterfill(torch.ones(2), torch.ones(3), 1.0)
    with pytest.raises(ValueError, match="cap"):
        core.priced_semantic_waterfill(torch.ones(2), torch.ones(2), 1.0, torch.ones(2), -1.0)


# --- projections ------------------------------------------------------------------------------
def test_project_to_budget_is_the_euclidean_projection() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        v = rng.normal(0, 2, 6)
        budget = float(rng.uniform(0.1, 5))
        ours = core.project_to_budget(torch.tensor(v), budget).numpy()
        res = minimize(
            lambda p, v=v: ((p - v) ** 2).sum(),
            np.zeros(6),
            jac=lambda p, v=v: 2 * (p - v),
            bounds=[(0, None)] * 6,
            method="SLSQP",
            options={"ftol": 1e-14},
            constraints=[{"type": "ineq", "fun": lambda p, b=budget: b - p.sum()}],
        )
        assert np.allclose(ours, res.x, atol=1e-6)
        assert ours.min() >= 0 and ours.sum() <= budget + 1e-12


def test_scale_to_caps_keeps_feasible_powers_and_puts_the_rest_on_the_caps() -> None:
    gen = torch.Generator().manual_seed(3)
    costs = torch.rand(200, 7, generator=gen, dtype=torch.float64) * 2
    powers = torch.rand(200, 7, generator=gen, dtype=torch.float64) ** 3
    scaled, load = core.scale_to_caps(powers, costs)
    np.testing.assert_allclose(load, (costs * powers).sum(-1), rtol=1e-15)
    inside = load <= 1
    assert 10 < int(inside.sum()) < 190  # both cases are exercised
    assert torch.equal(scaled[inside], powers[inside])  # feasible: untouched, bit for bit
    np.testing.assert_allclose((costs * scaled)[~inside].sum(-1), 1.0, rtol=1e-12)
    # same direction: the largest feasible multiple t·p (t ≤ 1) of every over-cap vector
    ratio = scaled[~inside] / powers[~inside]
    np.testing.assert_allclose(ratio, ratio[:, :1].expand_as(ratio), rtol=1e-12)


def test_project_to_power_ball(gen: torch.Generator) -> None:
    f = crandn(3, 4, 5, gen=gen)
    z = core.project_to_power_ball(f, 2.0)
    energy = z.abs().square().sum((-2, -1))
    assert torch.allclose(energy, torch.full((3,), 2.0, dtype=torch.float64))
    small = f * 1e-3
    assert torch.equal(core.project_to_power_ball(small, 2.0), small)


# --- dense vs block best response -------------------------------------------------------------
def _game_instance(gen: torch.Generator, batch: tuple[int, ...] = ()):
    n_links, n_uses, n_ant = 3, 4, 3
    hbar = crandn(*batch, n_links, n_links, n_ant, n_ant, gen=gen)
    blocks = random_hpd(*batch, n_links, n_uses, size=n_ant, gen=gen) * 0.1
    weights = torch.rand(*batch, n_links, n_uses * n_ant, generator=gen, dtype=torch.float64)
    weights = weights.sort(-1, descending=True).values
    return hbar, blocks, weights, n_uses


def _block_response(hbar, blocks, sigma2, weights, budget):
    """core.best_response per channel use: MUI from factors of the covariance blocks."""
    index = core.interferer_index(hbar.shape[-4])
    adjoint = core.interferer_channels(hbar, index).mH.contiguous()
    mui = core.interference_by_block(adjoint, torch.linalg.cholesky(blocks), index)
    sigma2 = torch.as_tensor(sigma2, dtype=torch.float64)
    noise = core.add_noise(mui, sigma2[..., None] if sigma2.dim() else sigma2)
    direct = core.direct_channels(hbar).unsqueeze(-3)
    effective = core.effective_channel(direct, noise)
    return core.best_response(effective, weights, budget)


def test_block_best_response_equals_dense(gen: torch.Generator) -> None:
    hbar, blocks, weights, k = _game_instance(gen, batch=(2,))
    dense_h = core.kron_identity(hbar, k)
    dense_cov = core.block_diagonal(blocks)
    dense = reference.dense_best_response(dense_h, dense_cov, 0.05, weights, float(k))
    block = _block_response(hbar, blocks, 0.05, weights, float(k))
    assert torch.allclose(dense.gains, block.gains, rtol=1e-10, atol=1e-12)
    assert torch.allclose(dense.powers, block.powers, rtol=1e-9, atol=1e-12)
    assert torch.allclose(
        core.block_diagonal(block.covariance_blocks),
        dense.covariance_blocks[..., 0, :, :],
        atol=1e-10,
    )
    # the block modes diagonalize the dense effective channel with the same gains
    noise = reference.interference_covariance(dense_h, dense_cov, 0.05)
    effective = core.effective_channel(core.direct_channels(dense_h), noise)
    target = torch.ones(weights.shape[:-1], dtype=torch.float64) * 10
    for res in (dense, block):
        mse = reference.structured_mse(effective, res.modes, res.powers, weights, target)
        wf = target - core.semantic_utility(weights, res.gains, res.powers)
        assert torch.allclose(mse, wf, rtol=1e-10)


@pytest.mark.parametrize("n_links", [1, 2, 4])
def test_interference_by_block_equals_dense_mui(gen: torch.Generator, n_links: int) -> None:
    """Per-block MUI from factors equals the dense Σ_{j≠l} H Q Hᴴ with H = I_K ⊗ H̄ and
    block-diagonal Q = blkdiag(F_k F_kᴴ), block by block (off-diagonal blocks are zero)."""
    n_uses, n_rx, n_tx, rank = 3, 4, 3, 2
    hbar = crandn(2, n_links, n_links, n_rx, n_tx, gen=gen)
    factors = crandn(2, n_links, n_uses, n_tx, rank, gen=gen)
    index = core.interferer_index(n_links)
    adjoint = core.interferer_channels(hbar, index).mH.contiguous()
    blocks = core.interference_by_block(adjoint, factors, index)
    assert blocks.shape == (2, n_links, n_uses, n_rx, n_rx)
    dense = reference.received_interference(
        core.kron_identity(hbar, n_uses), core.block_diagonal(factors @ factors.mH)
    )
    assert torch.allclose(core.block_diagonal(blocks), dense, rtol=1e-12, atol=1e-12)
    if n_links == 1:
        assert bool((blocks == 0).all())


def test_add_noise_broadcasts_and_leaves_its_input(gen: torch.Generator) -> None:
    mui = random_hpd(3, size=4, gen=gen)  # (L, A, A), no batch
    before = mui.clone()
    sigma2 = torch.tensor([0.5, 2.0], dtype=torch.float64)  # a batch of two noise powers
    noise = core.add_noise(mui, sigma2)
    eye = torch.eye(4, dtype=mui.dtype)
    assert noise.shape == (2, 3, 4, 4)
    for b in range(2):
        assert torch.equal(noise[b], mui + sigma2[b] * eye)
    assert torch.equal(core.add_noise(mui.real, 0.25), mui.real + 0.25 * eye.real)
    assert torch.equal(mui, before)


def test_gaussian_rate_equals_log_det_and_real_composite_halves_it(gen: torch.Generator) -> None:
    """log₂ det(I + R⁻¹ S) against NumPy's determinant of R⁻¹ S formed by an explicit inverse;
    the real-composite matrices of a proper signal and noise give the same rate (½ per real
    dimension); an improper (real) signal of the same power on the real axis only carries less."""
    signal = random_hpd(5, size=4, gen=gen, floor=0.0)
    noise = random_hpd(5, size=4, gen=gen)
    rate = core.gaussian_rate(signal, noise)
    s, n = signal.numpy(), noise.numpy()
    expected = np.log2(np.abs(np.linalg.det(np.eye(4) + np.linalg.inv(n) @ s)))
    np.testing.assert_allclose(rate.numpy(), expected, rtol=1e-12)
    real = core.gaussian_rate(core.real_composite(signal) / 2, core.real_composite(noise) / 2)
    torch.testing.assert_close(real, rate, rtol=1e-12, atol=1e-12)
    eye = torch.eye(4, dtype=torch.float64)
    on_axis = torch.block_diag(eye, 0 * eye)  # power 4 on the real parts only, none imaginary
    improper = core.gaussian_rate(on_axis, torch.eye(8, dtype=torch.float64) / 2)
    proper = core.gaussian_rate(eye.to(CDTYPE) * 1.0, eye.to(CDTYPE))
    assert float(improper) < float(proper)
    assert float(improper) == pytest.approx(0.5 * 4 * np.log2(1 + 1 / 0.5))


# --- batching: a batch of 7 equals one by one -------------------------------------------------
def test_core_functions_batch_equals_one_by_one(gen: torch.Generator) -> None:
    b = 7
    n, dx, dy = 60, 6, 5
    pairs = [random_pair(n, dx, dy, gen=gen) for _ in range(b)]
    x = torch.stack([p[0] for p in pairs])
    y = torch.stack([p[1] for p in pairs])
    hbar, blocks, weights, k = _game_instance(gen, batch=(b,))
    dense_h = core.kron_identity(hbar, k)
    dense_cov = core.block_diagonal(blocks)
    sigma2 = torch.rand(b, generator=gen, dtype=torch.float64) + 0.01
    budget = torch.rand(b, generator=gen, dtype=torch.float64) * 5
    costs = torch.rand(b, 3, k * 3, generator=gen, dtype=torch.float64)
    f = crandn(b, k * 3, dx, gen=gen)

    def run(i):
        sl = slice(None) if i is None else i
        xs, ys = x[sl], y[sl]
        raw = xs * 2 + 1
        stats = core.semantic_statistics(xs, ys)
        noise = reference.interference_covariance(dense_h[sl], dense_cov[sl], sigma2[sl])
        eff = core.effective_channel(core.direct_channels(dense_h[sl]), noise)
        gains, modes = core.effective_channel_modes(eff)
        br = _block_response(hbar[sl], blocks[sl], sigma2[sl], weights[sl], budget[sl, None])
        return {
            "whiten": core.fit_whitener(raw).apply(raw),
            "sigma": stats.singular_values,
            "noise": noise,
            "mui": reference.mui_power(dense_h[sl], dense_cov[sl]),
            "gains": gains,
            "wf": core.semantic_waterfill(weights[sl], gains, budget[sl, None]),
            "priced": core.priced_semantic_waterfill(
                weights[sl], gains, budget[sl, None], costs[sl], 0.3
            ),
            "proj": core.project_to_budget(weights[sl] * 3, budget[sl, None]),
            "mse": core.alignment_mse(
                f[sl], eff[..., 0, :, :], stats.cross_gram, stats.target_energy
            ),
            "wiener": core.wiener_equalizer(
                stats.cross_covariance,
                f[sl],
                core.direct_channels(dense_h[sl])[..., 0, :, :],
                noise[..., 0, :, :],
            ),
            "br_powers": br.powers,
            "br_cov": br.covariance_blocks,
            "dense_br": reference.dense_best_response(
                dense_h[sl], dense_cov[sl], sigma2[sl], weights[sl], budget[sl, None]
            ).powers,
            "precoder": core.structured_precoder(
                modes[..., 0, :, :dx], weights[sl][..., 0, :dx], stats.semantic_directions(dx)
            ),
            "structured_mse": reference.structured_mse(
                eff, modes, weights[sl], weights[sl], stats.target_energy[..., None]
            ),
            "ball": core.project_to_power_ball(f[sl], budget[sl]),
            "unpack": core.complex_to_real(xs, 2 * dx - 1),
            "kron": core.kron_identity(hbar[sl], 2),
            "lstsq": least_squares_alignment(xs.real, ys.real)[0],
        }

    batched = run(None)
    singles = [run(i) for i in range(b)]
    for key, value in batched.items():
        stacked = torch.stack([s[key] for s in singles])
        assert torch.allclose(value, stacked, rtol=1e-9, atol=1e-12), key


# --- simulation -------------------------------------------------------------------------------
def test_transmit_noise_statistics_and_superposition(gen: torch.Generator) -> None:
    n_links, n, a, b = 2, 20000, 3, 2
    h = crandn(n_links, n_links, a, b, gen=gen)
    s = torch.zeros(n_links, n, b, dtype=CDTYPE)
    r = core.transmit(s, h, 0.5, generator=torch.Generator().manual_seed(0))
    assert r.shape == (n_links, n, a)
    assert core.sample_covariance(r[0]).diagonal().real.mean().item() == pytest.approx(
        0.5, rel=0.02
    )
    s = crandn(n_links, 4, b, gen=gen)
    clean = core.transmit(s, h, 0.0)
    expected = s[0] @ h[0, 1].mT + s[1] @ h[1, 1].mT
    assert torch.allclose(clean[1], expected)


def test_prepare_pair_round_trip(gen: torch.Generator) -> None:
    tx = torch.randn(300, 9, dtype=torch.float64, generator=gen) * 3 + 1
    rx = tx[:, :7] @ torch.randn(7, 7, dtype=torch.float64, generator=gen) - 2
    pair = core.prepare_pair(tx, rx)
    x = pair.tx_symbols(tx)
    assert x.shape == (300, 5)
    assert torch.allclose(core.sample_covariance(x), torch.eye(5, dtype=CDTYPE), atol=1e-5)
    assert torch.allclose(pair.rx_latents(pair.rx_targets(rx)), rx, atol=1e-10)
    assert pair.stats.target_energy.item() == pytest.approx(
        pair.rx_targets(rx).abs().square().sum(-1).mean().item(), rel=1e-12
    )
    with pytest.raises(ValueError, match="real"):
        core.prepare_pair(x, x)


def test_simulated_network_mse_matches_closed_form_with_mui(gen: torch.Generator) -> None:
    """Monte-Carlo over a test set through F, H, MUI, noise and G equals the closed form."""
    n_links, n, k, n_ant = 3, 20000, 2, 2
    pairs = [random_pair(n, 6, 5, gen=gen, noise=0.5) for _ in range(n_links)]
    stats = [core.semantic_statistics(x, y) for x, y in pairs]
    hbar = crandn(n_links, n_links, n_ant, n_ant, gen=gen)
    h = core.kron_identity(hbar, k)
    precoders = [crandn(k * n_ant, 6, gen=gen) * 0.4 for _ in range(n_links)]
    cov = torch.stack([f @ f.mH for f in precoders])
    noise_cov = reference.interference_covariance(h, cov, 0.2)
    direct = core.direct_channels(h)
    g = [
        core.wiener_equalizer(s.cross_covariance, f, direct[i], noise_cov[i])
        for i, (s, f) in enumerate(zip(stats, precoders, strict=True))
    ]
    estimates = core.simulate_network(
        [x for x, _ in pairs], precoders, h, 0.2, g, generator=torch.Generator().manual_seed(5)
    )
    effective = core.effective_channel(direct, noise_cov)
    for i, (est, (_, y)) in enumerate(zip(estimates, pairs, strict=True)):
        measured = (est - y).abs().square().sum(-1).mean().item()
        closed = core.alignment_mse(
            precoders[i], effective[i], stats[i].cross_gram, stats[i].target_energy
        ).item()
        assert measured == pytest.approx(closed, rel=0.03)
    # ignoring the MUI in the receiver is measurably worse: the MUI really is simulated
    quiet = reference.interference_covariance(torch.zeros_like(h), cov, 0.2)
    g_blind = core.wiener_equalizer(stats[1].cross_covariance, precoders[1], direct[1], quiet[1])
    blind = core.simulate_network(
        [x for x, _ in pairs],
        precoders,
        h,
        0.2,
        [g[0], g_blind, g[2]],
        generator=torch.Generator().manual_seed(5),
    )[1]
    assert (blind - pairs[1][1]).abs().square().sum(-1).mean() > (
        (estimates[1] - pairs[1][1]).abs().square().sum(-1).mean()
    )


def test_threaded_eigh_equals_torch_eigh(gen: torch.Generator) -> None:
    """Large CPU batches are split over threads; every matrix is still solved alone."""
    from semgym._runtime import PARALLEL_MIN_BATCH
    from semgym.core.linalg import hermitian_eigh

    raw = torch.complex(
        torch.randn(7 * (PARALLEL_MIN_BATCH // 7 + 1), 8, 8, generator=gen),
        torch.randn(7 * (PARALLEL_MIN_BATCH // 7 + 1), 8, 8, generator=gen),
    )
    matrices = (raw @ raw.mH).reshape(-1, 7, 8, 8)
    values, vectors = hermitian_eigh(matrices)
    ref_values, ref_vectors = torch.linalg.eigh(matrices)
    assert torch.equal(values, ref_values) and torch.equal(vectors, ref_vectors)


@pytest.mark.parametrize("processing", ["linear", "widely_linear"])
@pytest.mark.parametrize("primary_users", [0, 2])
def test_evaluation_in_pieces_equals_one_call(monkeypatch, processing, primary_users) -> None:
    """The operator computes MUI, R_n, the whitened channel, R_H and the MSE in pieces of games
    on the worker threads; every value equals the one-call evaluation exactly (and the pieces
    are really taken: the batch is split into several)."""
    from semgym import _runtime
    from semgym.scenarios import GameOperator, InterferenceScenario

    scenario = InterferenceScenario.create(
        latents="synthetic",
        n_antennas=2,
        channel_uses=3,
        primary_users=primary_users,
        processing=processing,
    )
    seeds = list(range(40))
    game = scenario.sample(seeds, dtype=torch.complex64)
    op = GameOperator(game)
    state = op.initial_state(seed=seeds)
    runs: list[int] = []
    run_pieces = _runtime._run_pieces

    def counted(fn, batch, flat, piece):
        runs.append(-(-batch.numel() // piece))
        return run_pieces(fn, batch, flat, piece)

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        monkeypatch.setattr(_runtime, "_run_pieces", counted)
        monkeypatch.setattr(_runtime, "PIECE_ELEMENTS", 1 << 8)
        pieced = op.evaluate(state)
        assert runs and max(runs) > 4
        monkeypatch.setattr(_runtime, "PIECE_ELEMENTS", 1 << 40)
        whole = op.evaluate(state)
    finally:
        torch.set_num_threads(threads)
    for name in ("noise_covariance", "mui_power", "whitened", "effective"):
        assert torch.equal(getattr(pieced.received, name), getattr(whole.received, name)), name
    assert torch.equal(pieced.mse, whole.mse)
    assert torch.equal(pieced.response.powers, whole.response.powers)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.integers(0, 3), max_size=4), min_size=1, max_size=4))
def test_broadcast_shapes_is_torchs(shapes: list[list[int]]) -> None:
    """The runtime's broadcast (no symbolic-shape import, no Python reference code) against
    torch's, shapes with zeros and ones included."""
    from semgym._runtime import broadcast_shapes

    try:
        expected = torch.broadcast_shapes(*shapes)
    except RuntimeError:
        with pytest.raises(ValueError, match="broadcast"):
            broadcast_shapes(*shapes)
        return
    assert broadcast_shapes(*shapes) == expected


@pytest.mark.parametrize("n_neighbours", [1, 2, 4])
def test_interference_neighbourhood_equals_brute_force(gen: torch.Generator, n_neighbours: int):
    """The opt-in neighbourhood: each receiver's k strongest interferers (brute-force ranking of
    ‖H_jl‖²_F) summed exactly, per channel-use block, plus every other interferer as white
    noise g_jl·tr(Φ_jk Φ_jkᴴ) per receive dimension; k >= L − 1 leaves nothing to the noise."""
    n_links, n_uses, n_rx, n_tx, rank = 6, 3, 4, 3, 2
    hbar = crandn(2, n_links, n_links, n_rx, n_tx, gen=gen)
    hbar = hbar * torch.rand(2, n_links, n_links, 1, 1, generator=gen, dtype=torch.float64)
    factors = crandn(2, n_links, n_uses, n_tx, rank, gen=gen)
    gain = core.isotropic_gain(hbar)
    index = core.neighbour_index(gain, n_neighbours)
    far = core.far_gain(gain, index)
    mui = core.interference_by_block(
        core.interferer_channels(hbar, index).mH.contiguous(), factors, index
    ) + torch.diag_embed(
        core.far_interference(far, factors.abs().square().sum((-2, -1)))[..., None].expand(
            -1, -1, -1, n_rx
        )
    )
    cov = factors @ factors.mH  # (2, L, K, N_T, N_T)
    for b, rx in itertools.product(range(2), range(n_links)):
        others = [j for j in range(n_links) if j != rx]
        energy = {j: float(hbar[b, j, rx].abs().square().sum()) for j in others}
        ranked = sorted(others, key=lambda j: -energy[j])
        near, rest = ranked[:n_neighbours], ranked[n_neighbours:]
        assert sorted(index[b, rx].tolist()) == sorted(near)
        for k in range(n_uses):
            h = hbar[b, :, rx]  # (L, N_R, N_T)
            want = sum(h[j] @ cov[b, j, k] @ h[j].mH for j in near)
            white = sum(energy[j] / (n_tx * n_rx) * cov[b, j, k].trace().real for j in rest)
            want = want + white * torch.eye(n_rx, dtype=want.dtype)
            assert torch.allclose(mui[b, rx, k], want, rtol=1e-12, atol=1e-12)
    # every interferer a neighbour: the far gains vanish and the MUI is the exact one
    everyone = core.neighbour_index(gain, n_links)
    assert everyone.shape[-1] == n_links - 1 and bool((core.far_gain(gain, everyone) == 0).all())
    exact = core.interference_by_block(
        core.interferer_channels(hbar, core.interferer_index(n_links)).mH.contiguous(),
        factors,
        core.interferer_index(n_links),
    )
    batched = core.interference_by_block(
        core.interferer_channels(hbar, everyone).mH.contiguous(), factors, everyone
    )
    assert torch.allclose(batched, exact, rtol=1e-12, atol=1e-12)
