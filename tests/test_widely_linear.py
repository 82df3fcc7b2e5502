"""Widely-linear processing: the real-composite form against the papers' complex-linear model.

Widely-linear transceivers contain the linear ones (a complex-linear map is a real map of the
real composite), so their optimum is never worse; on a proper problem (second moments with
the complex structure) the two coincide, mode by mode. Every formula runs on real tensors.
"""

from __future__ import annotations

import copy
import functools
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from helpers import crandn
from test_vector import _compare_with_singles

import semgym  # noqa: F401 (registers the ids)
from semgym import broadcast_v0, core, interference_v0
from semgym.channels import (
    PAPER_SEEDS,
    InterferenceChannelConfig,
    sample_interference_channels,
    sample_rayleigh_downlink,
)
from semgym.core import reference
from semgym.core.whitening import proper_part
from semgym.policies import BestResponse, FederatedADMM, FirstK
from semgym.scenarios import (
    Downlink,
    DownlinkConfig,
    InterferenceGame,
    InterferenceScenario,
    latent_link,
)
from semgym.solvers import best_response_dynamics, multi_link
from semgym.vector import BroadcastVecEnv, InterferenceVecEnv

SMALL = {"latents": "synthetic", "n_antennas": 2, "channel_uses": 2}
WL = {"processing": "widely_linear"}


def _optimum(pair: core.SemanticPair, hbar: torch.Tensor, k: int, noise: float, budget: float):
    """Single-link optimum over F (structured water-filling, Wiener receiver, white noise):
    (MSE, powers); the channel and σ² enter in the pair's processing (real composite: σ²/2)."""
    if pair.widely_linear:
        hbar, noise = core.real_composite(hbar), noise / 2
    h = core.kron_identity(hbar, k)
    effective = core.effective_channel(h, noise * torch.eye(h.shape[-2], dtype=h.dtype))
    gains, _ = core.effective_channel_modes(effective)
    weights = pair.stats.semantic_weights(h.shape[-1])
    powers = core.semantic_waterfill(weights, gains, budget)
    return float(pair.stats.target_energy - core.semantic_utility(weights, gains, powers)), powers


def _latents(n: int, d: int, m: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Real latents with an improper (generic real) linear relation plus noise."""
    tx = torch.randn(n, d, dtype=torch.float64, generator=gen) @ torch.randn(
        d, d, dtype=torch.float64, generator=gen
    )
    mix = torch.randn(d, m, dtype=torch.float64, generator=gen)
    return tx, tx @ mix + 0.5 * torch.randn(n, m, dtype=torch.float64, generator=gen)


# --- the real-composite algebra --------------------------------------------------------------
def test_real_composite_is_a_ring_homomorphism(gen: torch.Generator) -> None:
    a, b = crandn(4, 3, gen=gen), crandn(3, 5, gen=gen)
    assert torch.allclose(
        core.real_composite(a @ b), core.real_composite(a) @ core.real_composite(b)
    )
    assert torch.allclose(core.real_composite(a.mH), core.real_composite(a).mT)
    s = crandn(4, 4, gen=gen)
    hermitian = s @ s.mH
    v = crandn(4, 1, gen=gen)
    v_r = torch.cat([v.real, v.imag])
    quadratic = (v.mH @ hermitian @ v).real
    assert torch.allclose(quadratic, v_r.mT @ core.real_composite(hermitian) @ v_r)
    with pytest.raises(ValueError, match="complex"):
        core.real_composite(a.real)


def test_proper_part_is_the_complex_covariance(gen: torch.Generator) -> None:
    x = crandn(400, 3, gen=gen) + 0.3 * crandn(400, 3, gen=gen).conj().real  # improper
    s = core.symbols(core.complex_to_real(x, 6), widely_linear=True)
    assert torch.allclose(s, torch.cat([x.real, x.imag], -1))
    complex_cov = core.sample_covariance(x)
    assert torch.allclose(proper_part(core.sample_covariance(s)), core.real_composite(complex_cov))


# --- optimum: widely linear never worse, equal when proper --------------------------------------
@pytest.mark.parametrize("whiten_targets", [False, True])
def test_widely_linear_optimum_never_above_linear(whiten_targets: bool) -> None:
    """On random latents, channels and noise, and on the direct links of the paper's channel
    seeds, the widely-linear single-link optimum MSE is at most the linear one."""
    config = InterferenceChannelConfig(n_links=1, n_tx_antennas=3, n_rx_antennas=2)
    paper = sample_interference_channels(config, seed=PAPER_SEEDS, dtype=torch.complex128)
    for trial in range(30):
        gen = torch.Generator().manual_seed(trial)
        tx, rx = _latents(300, 14, 10, gen)
        pairs = {
            wl: core.prepare_pair(tx, rx, whiten_targets=whiten_targets, widely_linear=wl)
            for wl in (False, True)
        }
        if trial < len(PAPER_SEEDS):
            hbar, noise = paper.matrices[trial, 0, 0], float(paper.noise_power[trial]) * 1e3
        else:
            hbar, noise = crandn(2, 3, gen=gen), float(torch.rand(1, generator=gen)) + 1e-3
        linear, _ = _optimum(pairs[False], hbar, 2, noise, 2.0)
        wide, _ = _optimum(pairs[True], hbar, 2, noise, 2.0)
        assert wide <= linear * (1 + 1e-7), (trial, wide, linear)
        assert float(pairs[False].stats.target_energy) == pytest.approx(
            float(pairs[True].stats.target_energy), rel=1e-9
        )


def test_proper_problem_widely_linear_equals_linear_mode_by_mode(gen: torch.Generator) -> None:
    """Samples closed under multiplication by j (hence zero mean) have exactly proper second
    moments; then the real-composite water-filling pairs its 2M modes and reproduces the
    complex solution."""
    x = crandn(300, 6, gen=gen) @ crandn(6, 6, gen=gen)
    y = x @ crandn(6, 5, gen=gen) + 0.4 * crandn(300, 5, gen=gen)
    turns = torch.tensor([1, 1j, -1, -1j], dtype=torch.complex128)
    x, y = (torch.cat([t * v for t in turns]) for v in (x, y))  # proper sample moments
    tx, rx = core.complex_to_real(x, 12), core.complex_to_real(y, 10)
    hbar = crandn(2, 2, gen=gen)
    for whiten in (False, True):
        linear = core.prepare_pair(tx, rx, whiten_targets=whiten)
        wide = core.prepare_pair(tx, rx, whiten_targets=whiten, widely_linear=True)
        mse_c, p_c = _optimum(linear, hbar, 2, 0.2, 2.0)
        mse_r, p_r = _optimum(wide, hbar, 2, 0.2, 2.0)
        assert mse_r == pytest.approx(mse_c, rel=1e-8)
        pairs = p_r.sort(descending=True).values.view(-1, 2)
        assert torch.allclose(pairs[:, 0], pairs[:, 1], rtol=1e-6, atol=1e-9)
        assert torch.allclose(pairs.sum(-1), p_c.sort(descending=True).values, atol=1e-8)


# --- closed form = empirical, in real arithmetic ------------------------------------------------
def test_closed_form_equals_empirical_and_simulated_widely_linear(gen: torch.Generator) -> None:
    tx, rx = _latents(20000, 8, 6, gen)
    raw_x, raw_y = core.symbols(tx, widely_linear=True), core.symbols(rx, widely_linear=True)
    x = core.fit_whitener(raw_x, jitter=0.0).apply(raw_x)  # R_x = I exactly
    y = core.fit_whitener(raw_y, whiten=False).apply(raw_y)
    stats = core.semantic_statistics(x, y)
    h = core.real_composite(crandn(3, 2, gen=gen))  # 6 × 4 real
    f = torch.randn(4, 8, dtype=torch.float64, generator=gen) * 0.5
    noise = 0.1 * torch.eye(6, dtype=torch.float64) + 0.05
    g = core.wiener_equalizer(stats.cross_covariance, f, h, noise)
    effective = core.effective_channel(h, noise)
    closed = core.alignment_mse(f, effective, stats.cross_gram, stats.target_energy)
    empirical = reference.empirical_mse(x, y, g, h, f, noise)
    assert float(closed) == pytest.approx(float(empirical), rel=1e-9)
    received = core.transmit((x @ f.mT)[None], h[None, None], 0.1, generator=gen)[0]
    assert core.sample_covariance(received - x @ (h @ f).mT).diagonal().mean() == pytest.approx(
        0.1, rel=0.03
    )  # real noise of variance σ² per dimension
    with_noise = core.transmit((x @ f.mT)[None], h[None, None], 0.0, generator=gen)[0]
    chol = torch.linalg.cholesky(noise)
    simulated = with_noise + torch.randn(20000, 6, dtype=torch.float64, generator=gen) @ chol.mT
    measured = (simulated @ g.mT - y).square().sum(-1).mean()
    assert float(measured) == pytest.approx(float(closed), rel=0.03)


# --- the downlink: the users' whitened metric is the same, widely linear is never worse --------
def test_downlink_single_user_optima_never_worse_widely_linear() -> None:
    gen = torch.Generator().manual_seed(3)
    tx, _ = _latents(400, 16, 4, gen)
    rx = [tx @ torch.randn(16, m, dtype=torch.float64, generator=gen) for m in (8, 10, 12)]
    rx = [r + 0.5 * torch.randn_like(r) for r in rx]
    config = DownlinkConfig(n_users=3, n_tx=2, n_rx=2, channel_uses=2, snr_db=10.0)
    channels = sample_rayleigh_downlink(3, 2, 2, seed=5, dtype=torch.complex128)
    bounds = {}
    for wl in (False, True):
        pairs = [core.prepare_pair(tx, r, whiten_targets=True, widely_linear=wl) for r in rx]
        scene = Downlink.build(pairs, channels, config, n_pilots=400)
        assert scene.n_modes == (8 if wl else 4) and scene.dense.is_complex() != wl
        bounds[wl] = multi_link(scene).nmse
    assert bool((bounds[True] <= bounds[False] * (1 + 1e-7)).all()), bounds
    with pytest.raises(ValueError, match="all be linear or all widely linear"):
        mixed = [
            core.prepare_pair(tx, r, whiten_targets=True, widely_linear=i == 0)
            for i, r in enumerate(rx)
        ]
        Downlink.build(mixed, channels, config, n_pilots=400)


# --- the game: equilibrium, and widely linear never loses on the paper seeds -------------------
def test_equilibrium_from_observations_widely_linear() -> None:
    """Best response played from observations reaches an ε-equilibrium in widely-linear mode
    (weak interference, α = 30, where the dynamics settle: the real composite of a complex
    channel has its gains in exact pairs, and the MUI splits them only slightly): no random
    unilateral deviation gains more than the measured exploitability."""
    env = interference_v0.parallel_env(
        latents="synthetic", n_antennas=3, channel_uses=1, alpha=30.0, max_cycles=500, **WL
    )
    policy = BestResponse.for_env(env)
    assert policy.n_modes == 6  # 2·K·N_T real modes
    obs, _ = env.reset(seed=42)
    for _ in range(60):
        obs, rewards, _, _, infos = env.step({a: policy.act(obs[a]) for a in env.agents})
    exploit = {a: i["exploitability"] for a, i in infos.items()}
    assert max(exploit[a] / infos[a]["mse"] for a in infos) < 1e-4
    equilibrium = {a: policy.act(obs[a]) for a in env.agents}
    _, base, *_ = copy.deepcopy(env).step(dict(equilibrium))
    rng = np.random.default_rng(0)
    for agent in env.agents:
        for trial in range(100):
            deviation = dict(equilibrium)
            if trial % 2:  # anywhere in the feasible set
                scale = rng.uniform() ** 0.25 * env.budget
                deviation[agent] = rng.dirichlet(np.ones(env.n_modes)) * scale
            else:  # near the equilibrium
                deviation[agent] = equilibrium[agent] * (1 + 0.05 * rng.standard_normal(6))
            _, rewards, *_ = copy.deepcopy(env).step(
                {k: v.astype(np.float32) for k, v in deviation.items()}
            )
            energy = infos[agent]["mse"] / infos[agent]["nmse"]  # tr(R_y): NMSE = MSE / tr(R_y)
            gain = rewards[agent] - base[agent]  # rewards are −NMSE
            assert gain <= (exploit[agent] + 1e-6 * infos[agent]["mse"]) / energy, (agent, gain)


def test_widely_linear_never_loses_on_the_paper_seeds() -> None:
    """Paper setting (L = 3, N = 8, K = 10, thermal noise) on the digits bank's paper links:
    at α ∈ {1, 3, 10} the widely-linear equilibrium's network NMSE is below the linear one's on
    every paper seed."""
    bank_links = InterferenceScenario.create(latents="digits").links
    for alpha in (1.0, 3.0, 10.0):
        config = InterferenceChannelConfig(n_tx_antennas=8, n_rx_antennas=8, alpha=alpha)
        channels = sample_interference_channels(config, seed=PAPER_SEEDS, dtype=torch.complex128)
        nmse = {}
        for processing in ("linear", "widely_linear"):
            links = [latent_link("digits", tx, rx, processing) for tx, rx in bank_links]
            game = InterferenceGame.from_pairs(channels, [link.pair for link in links], 10)
            assert game.widely_linear == (processing == "widely_linear")
            trace = best_response_dynamics(game, scheme="gauss_seidel", max_iters=30, tol=1e-9)
            nmse[processing] = trace.network_nmse[-1]
        assert bool((nmse["widely_linear"] <= nmse["linear"]).all()), (alpha, nmse)


# --- envs: the checker battery and batch = single, in widely-linear mode ------------------------
@pytest.mark.parametrize("action_mode", ["power", "normalized", "precoder"])
def test_interference_env_battery_widely_linear(action_mode: str) -> None:
    from gymnasium.utils.env_checker import check_env
    from pettingzoo.test import parallel_api_test, parallel_seed_test
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    kw = {**SMALL, **WL, "action_mode": action_mode, "primary_users": 1, "max_cycles": 4}
    parallel_api_test(interference_v0.parallel_env(**kw), num_cycles=6)
    parallel_seed_test(functools.partial(interference_v0.parallel_env, **kw), num_cycles=6)
    env = gym.make("semgym/Interference-v0", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env.unwrapped, warn=True)
    m = 2 * 2 * 2  # 2·K·N_T real modes
    expected = m * m if action_mode == "precoder" else m
    assert env.action_space.shape == (3 * expected,)
    assert env.observation_space.shape == (3 * (4 * m + 3),)  # with a primary user


@pytest.mark.parametrize("action_mode", ["precoder", "power"])
def test_broadcast_env_battery_widely_linear(action_mode: str) -> None:
    from gymnasium.utils.env_checker import check_env
    from pettingzoo.test import parallel_api_test

    kw = {"latents": "synthetic", "n_users": 3, "n_tx": 2, "n_rx": 2, "channel_uses": 4}
    kw.update(WL, action_mode=action_mode, max_cycles=3)
    parallel_api_test(broadcast_v0.parallel_env(**kw), num_cycles=4)
    env = gym.make("semgym/Broadcast-v0", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env.unwrapped, skip_render_check=True)
    m, d = 16, 256  # 2·K·N_T real modes, the synthetic AP's 256 real symbols
    assert env.action_space.shape == ((m * d,) if action_mode == "precoder" else (m,))
    base = env.unwrapped.multi
    obs, _ = env.reset(seed=3)
    for design in (FederatedADMM, FirstK):
        if action_mode == "precoder":
            _, _, _, _, info = env.step(design(env).act(obs))
            assert 0.0 < info["nmse"] < 1.0 and not info["projected"]
    assert base.downlink.dense.dtype == torch.float64


def test_vector_envs_equal_single_envs_widely_linear() -> None:
    kwargs = {**SMALL, **WL, "n_links": 3, "max_cycles": 2}
    worst, truncated = _compare_with_singles(
        "semgym/Interference-v0", InterferenceVecEnv, kwargs, 3
    )
    assert truncated and max(worst.values()) < 1e-5, worst
    kwargs = {**kwargs, "action_mode": "precoder", "primary_users": 1}
    worst, _ = _compare_with_singles("semgym/Interference-v0", InterferenceVecEnv, kwargs, 3)
    assert max(worst.values()) < 1e-5, worst
    kw = {"latents": "synthetic", "n_users": 3, "n_tx": 2, "n_rx": 2, "channel_uses": 4, **WL}
    venv = BroadcastVecEnv(2, dtype="float64", **kw)
    singles = [gym.make("semgym/Broadcast-v0", **kw) for _ in range(2)]
    obs, _ = venv.reset(seed=9)
    for i, e in enumerate(singles):
        np.testing.assert_allclose(obs[i].numpy(), e.reset(seed=9 + i)[0], rtol=1e-10)
    actions = np.random.default_rng(0).uniform(-0.02, 0.02, venv.action_space.shape)
    _, rewards, *_ = venv.step(actions)
    for i, e in enumerate(singles):
        assert float(rewards[i]) == pytest.approx(e.step(actions[i])[1], rel=1e-10)
