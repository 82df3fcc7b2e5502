"""Interference pricing: the sensitivities receivers announce, the prices they put on every
mode, the priced water-filling, the observation block, the policy and the pricing dynamics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import crandn, random_hpd
from scipy.optimize import minimize

from semgym import core, interference_v0
from semgym._runtime import device_side_checks
from semgym.channels import InterferenceChannelConfig
from semgym.policies import BestResponse, PricedBestResponse
from semgym.scenarios import GameOperator, InterferenceGame, InterferenceScenario
from semgym.solvers import best_response_dynamics
from semgym.vector import InterferenceVecEnv

SMALL = {"latents": "synthetic", "n_antennas": 2, "channel_uses": 2}


# --- the priced water-filling against a generic solver ------------------------------------------
def _scipy_priced(w: np.ndarray, lam: np.ndarray, budget: float, c: np.ndarray) -> float:
    """max Σ w λ p/(1+λp) − Σ c p over p ≥ 0, Σ p ≤ budget by SLSQP in u = p/budget, from
    several starts and restarted from its own answers; the best value found."""
    g, cb = lam * budget, c * budget
    scale = max(float((w * g).max()), 1e-300)

    def value(u: np.ndarray) -> float:
        s = g * u
        return float((w * s / (1 + s)).sum() - cb @ u)

    best = -np.inf
    starts = [np.zeros(len(w)), np.full(len(w), 1.0 / len(w)), np.eye(len(w))[np.argmax(w * g)]]
    for start in starts:
        for _ in range(5):
            res = minimize(
                lambda u: -value(u) / scale,
                start,
                jac=lambda u: -(w * g / (1 + g * u) ** 2 - cb) / scale,
                bounds=[(0, None)] * len(w),
                constraints=[{"type": "ineq", "fun": lambda u: 1.0 - u.sum()}],
                method="SLSQP",
                options={"ftol": 1e-16, "maxiter": 2000},
            )
            u = np.clip(res.x, 0, None)
            u = u / max(u.sum(), 1.0)
            if value(u) <= best * (1 + 1e-15):
                break
            best, start = value(u), u
    return best


@pytest.mark.parametrize("device_path", [False, True])
def test_priced_waterfill_matches_a_generic_solver_on_200_instances(device_path: bool) -> None:
    rng = np.random.default_rng(5)
    slack = 0
    for i in range(200):
        m = int(rng.integers(1, 10))
        w = rng.exponential(1.0, m) * 10.0 ** rng.uniform(-2, 2)
        w[rng.random(m) < 0.2] = 0.0
        lam = rng.exponential(1.0, m) * 10.0 ** rng.uniform(-2, 2, m)
        budget = [1e-3, 1.0, 10.0, 1e3][i % 4]
        c = rng.exponential(1.0, m) * (w * lam).max() * 10.0 ** rng.uniform(-4, 0.5)
        c[rng.random(m) < 0.2] = 0.0
        args = (torch.tensor(w), torch.tensor(lam), budget, torch.tensor(c))
        with device_side_checks() if device_path else torch.no_grad():
            p = core.semantic_waterfill_with_prices(*args).numpy()
        assert (p >= 0).all() and p.sum() <= budget * (1 + 1e-9)
        ours = float((w * lam * p / (1 + lam * p)).sum() - c @ p)
        reference = _scipy_priced(w, lam, budget, c)
        scale = max(float((w * lam).max()) * budget, 1e-300)
        assert ours >= reference - 1e-9 * scale  # never worse than the generic solver
        assert ours == pytest.approx(reference, rel=1e-6, abs=1e-9 * scale)
        slack += p.sum() < budget * (1 - 1e-6)
    assert slack > 20  # the prices really left part of the budget unspent on many instances


def test_zero_prices_give_the_plain_waterfilling_and_bad_prices_are_named(gen) -> None:
    w = torch.rand(4, 6, generator=gen, dtype=torch.float64).sort(-1, descending=True).values
    lam = torch.rand(4, 6, generator=gen, dtype=torch.float64) * 10
    plain = core.semantic_waterfill(w, lam, 3.0)
    priced = core.semantic_waterfill_with_prices(w, lam, 3.0, torch.zeros_like(w))
    torch.testing.assert_close(priced, plain, rtol=1e-12, atol=1e-14)
    # rows of a batch equal the rows alone
    c = torch.rand(4, 6, generator=gen, dtype=torch.float64)
    batch = core.semantic_waterfill_with_prices(w, lam, 3.0, c)
    for i in range(4):
        alone = core.semantic_waterfill_with_prices(w[i], lam[i], 3.0, c[i])
        torch.testing.assert_close(batch[i], alone, rtol=0, atol=0)
    with pytest.raises(ValueError, match="prices"):
        core.semantic_waterfill_with_prices(w, lam, 3.0, -c)
    with pytest.raises(ValueError, match="prices"):
        core.semantic_waterfill_with_prices(w, lam, 3.0, c[:, :3])
    with pytest.raises(ValueError, match="prices"):
        core.semantic_waterfill_with_prices(w, lam, 3.0, c * torch.nan)


# --- the announced sensitivity and the prices against finite differences ------------------------
@pytest.mark.parametrize(("rows", "cols", "modes"), [(3, 4, 4), (4, 2, 2), (2, 3, 3)])
def test_mse_noise_sensitivity_is_the_derivative_of_the_mse(rows, cols, modes, gen) -> None:
    """tr(Π D) equals the central difference of the structured MSE (8) along random
    Hermitian directions D of R_n (complex and real-composite); Π is Hermitian PSD."""
    for complex_ in (True, False):
        if complex_:
            h, factor = crandn(2, rows, cols, gen=gen), crandn(2, cols, modes, gen=gen)
            noise = random_hpd(2, size=rows, gen=gen)
        else:
            h = torch.randn(2, rows, cols, generator=gen, dtype=torch.float64)
            factor = torch.randn(2, cols, modes, generator=gen, dtype=torch.float64)
            x = torch.randn(2, rows, rows, generator=gen, dtype=torch.float64)
            noise = x @ x.mT + 0.1 * torch.eye(rows, dtype=torch.float64)
        w = torch.rand(2, modes, generator=gen, dtype=torch.float64)
        pi = core.mse_noise_sensitivity(h, noise, factor, w)
        torch.testing.assert_close(pi, pi.mH)
        assert float(torch.linalg.eigvalsh(pi).min()) >= -1e-12

        def mse(r: torch.Tensor, h=h, factor=factor, w=w) -> torch.Tensor:
            return core.structured_mse_whitened(core.whitened_channel(h, r), factor, w, 0.0)

        for _ in range(3):
            d = (
                crandn(2, rows, rows, gen=gen)
                if complex_
                else torch.randn(2, rows, rows, generator=gen, dtype=torch.float64)
            )
            d = d + d.mH
            eps = 1e-6
            numeric = (mse(noise + eps * d) - mse(noise - eps * d)) / (2 * eps)
            analytic = core.real_trace(pi @ d)
            torch.testing.assert_close(analytic, numeric, rtol=1e-6, atol=1e-10)


def _game(processing: str = "linear") -> InterferenceGame:
    """Two games of three close links, 3 × 2 antennas, K = 2 (synthetic bank)."""
    scenario = InterferenceScenario.create(
        latents="synthetic",
        channel_uses=2,
        n_links=3,
        n_tx_antennas=3,
        n_rx_antennas=2,
        alpha=0.5,
        processing=processing,
    )
    return scenario.sample([3, 4])


@pytest.mark.parametrize("structure", ["block", "dense"])
@pytest.mark.parametrize("widely_linear", [False, True])
def test_interference_costs_are_the_others_nmse_derivatives(structure, widely_linear) -> None:
    """c_{j,m} = Σ_{l≠j} ∂NMSE_l/∂p_{j,m}: central differences of the other links' NMSE when
    link j moves power on its mode m, for every link and several modes."""
    game = _game("widely_linear" if widely_linear else "linear")
    op = GameOperator(game, structure)
    response = op.evaluate(op.initial_state([1, 2])).response
    # the response's modes, which the prices are for, with power on every mode (a central
    # difference needs room on both sides)
    same = response.state.with_powers(torch.full_like(response.powers, game.budget / 8))
    costs = op.interference_costs(op.sensitivity(same, op.evaluate(same).received), response)
    assert costs.shape == game.weights.shape and bool((costs >= 0).all())
    powers = same.powers
    eps = 1e-6
    for j in range(game.n_links):
        for m in (0, 2, game.weights.shape[-1] - 1):

            def others(delta: float, j: int = j, m: int = m) -> torch.Tensor:
                moved = powers.clone()
                moved[:, j, m] += delta
                nmse = op.mse(same.with_powers(moved)) / game.target_energy
                return nmse.sum(-1) - nmse[:, j]

            numeric = (others(eps) - others(-eps)) / (2 * eps)
            torch.testing.assert_close(costs[:, j, m], numeric, rtol=1e-5, atol=1e-10)


def test_a_single_link_is_never_charged() -> None:
    config = InterferenceChannelConfig(n_links=1, n_tx_antennas=2, n_rx_antennas=2)
    game = InterferenceGame.synthetic(config, channel_uses=2, seed=0)
    op = GameOperator(game)
    state = op.initial_state(0)
    evaluation = op.evaluate(state)
    costs = op.interference_costs(op.sensitivity(state, evaluation.received), evaluation.response)
    assert bool((costs == 0).all())


# --- the observation block ------------------------------------------------------------------------
def test_price_block_holds_the_prices_announced_one_step_earlier() -> None:
    """The block is log10(c · tr(R_y)/Σσ̃² · K·P_max) with c priced by the sensitivities of the
    state before the step (at a reset: the starting state's) on the current modes."""
    env = interference_v0.parallel_env(**SMALL, n_links=3, alpha=0.5, observe_prices=True)
    layout = env.observation_layout
    assert layout.names[-1] == "log_mui_price"
    plain = interference_v0.parallel_env(**SMALL, n_links=3, alpha=0.5)
    assert layout.size == plain.observation_layout.size + env.n_modes
    obs, _ = env.reset(seed=3)
    batch = env.batch
    scale = (batch.game.target_energy / batch.game.weights.sum(-1))[0, :, None]

    def expected(announced_from) -> np.ndarray:
        op = batch.operator
        pi = op.sensitivity(announced_from, op.evaluate(announced_from).received)
        c = op.interference_costs(pi, batch.evaluation.response)[0] * scale * env.budget
        return np.log10(np.clip(c.numpy(), 1e-30, None))

    def observed(observations) -> np.ndarray:
        return np.stack([layout.block(observations[a], "log_mui_price") for a in env.agents])

    np.testing.assert_allclose(observed(obs), expected(batch.state), rtol=1e-5, atol=1e-5)
    policy = BestResponse.for_env(env)
    for _ in range(3):
        before = batch.state
        obs, *_ = env.step({a: policy.act(o) for a, o in obs.items()})
        np.testing.assert_allclose(observed(obs), expected(before), rtol=1e-5, atol=1e-5)
        # the current state's own prices are another thing: the block is one step late
        assert not np.allclose(observed(obs), expected(batch.state), rtol=1e-3)
    # the rest of the observation is the plain env's
    plain_obs, _ = plain.reset(seed=3)
    with_prices, _ = env.reset(seed=3)
    for a in env.agents:
        np.testing.assert_array_equal(with_prices[a][: plain.observation_layout.size], plain_obs[a])


def test_vector_env_prices_equal_the_single_envs_after_partial_resets() -> None:
    venv = InterferenceVecEnv(3, **SMALL, n_links=3, observe_prices=True, dtype="float64")
    obs, _ = venv.reset(seed=[5, 6, 7])
    venv.step(venv.best_response_actions())
    obs, _ = venv.reset(seed=[None, 9, None], options={"reset_mask": [False, True, False]})
    obs, *_ = venv.step(venv.best_response_actions())
    for i, seed in ((0, 5), (2, 7)):  # two steps
        env = interference_v0.parallel_env(**SMALL, n_links=3, observe_prices=True)
        o, _ = env.reset(seed=seed)
        for _ in range(2):
            o, *_ = env.step(env.best_response_actions(np.float64))
        np.testing.assert_allclose(obs[i].numpy(), np.concatenate(list(o.values())), atol=1e-5)
    env = interference_v0.parallel_env(**SMALL, n_links=3, observe_prices=True)
    o, _ = env.reset(seed=9)  # one step after its reset
    o, *_ = env.step(env.best_response_actions(np.float64))
    np.testing.assert_allclose(obs[1].numpy(), np.concatenate(list(o.values())), atol=1e-5)


# --- the policy and the dynamics ------------------------------------------------------------------
def test_priced_best_response_reads_its_blocks_and_is_the_best_response_at_zero_prices() -> None:
    env = interference_v0.parallel_env(**SMALL, n_links=3, observe_prices=True)
    obs, _ = env.reset(seed=1)
    layout = env.observation_layout
    priced = PricedBestResponse.for_env(env, step_size=1.0)
    plain = BestResponse.for_env(env)
    for o in obs.values():
        free = o.copy()
        free[layout.slices["log_mui_price"]] = -30.0  # no price
        np.testing.assert_allclose(priced.act(free), plain.act(o), atol=1e-6)
        # priced: never more power than the budget, less on the expensive modes
        assert np.all(np.abs(priced.act(o)) <= 1.0)
    half = PricedBestResponse.for_env(env, step_size=0.5)
    o = obs["link_0"]
    share = layout.block(o, "power_share")
    full = (priced.act(o) + 1) / 2
    np.testing.assert_allclose((half.act(o) + 1) / 2, share + 0.5 * (full - share), atol=1e-6)
    with pytest.raises(ValueError, match="observe_prices"):
        PricedBestResponse.for_env(interference_v0.parallel_env(**SMALL))
    with pytest.raises(ValueError, match="primary"):
        PricedBestResponse.for_env(
            interference_v0.parallel_env(**SMALL, primary_users=1, observe_prices=True)
        )
    with pytest.raises(ValueError, match="step_size"):
        PricedBestResponse.for_env(env, step_size=1.5)


def test_priced_response_is_optimal_against_unilateral_power_deviations() -> None:
    """The priced response maximizes the link's own captured energy less the priced harm:
    no random feasible powers on the same modes do better."""
    game = _game()
    op = GameOperator(game)
    state = op.initial_state([1, 2])
    evaluation = op.evaluate(state)
    pi = op.sensitivity(state, evaluation.received)
    priced = op.priced_response(pi, evaluation.response)
    costs = op.interference_costs(pi, evaluation.response) * game.target_energy.unsqueeze(-1)

    def net(powers: torch.Tensor) -> torch.Tensor:
        captured = core.semantic_utility(game.weights, evaluation.response.gains, powers)
        return captured - (costs * powers).sum(-1)

    best = net(priced.powers)
    gen = torch.Generator().manual_seed(0)
    for _ in range(200):
        raw = torch.rand(game.weights.shape, generator=gen, dtype=torch.float64) ** 3
        scale = torch.rand((*game.weights.shape[:-1], 1), generator=gen, dtype=torch.float64)
        trial = raw / raw.sum(-1, keepdim=True) * game.budget * scale
        assert bool((net(trial) <= best + 1e-12).all())


def test_pricing_dynamics_end_below_the_equilibrium_with_close_interferers() -> None:
    """With strong interference the pricing dynamics reach a lower network NMSE than the
    best-response equilibrium on every game (their prices are the network objective's cross
    terms); with pricing=True only the Jacobi scheme is offered."""
    config = InterferenceChannelConfig(n_links=3, n_tx_antennas=3, n_rx_antennas=3, alpha=0.5)
    game = InterferenceGame.synthetic(config, channel_uses=2, seed=[0, 1, 2, 3])
    equilibrium = best_response_dynamics(game, scheme="gauss_seidel", max_iters=200)
    priced = best_response_dynamics(game, pricing=True, step_size=0.5, max_iters=200)
    assert bool((priced.network_nmse[-1] < equilibrium.network_nmse[-1]).all())
    with pytest.raises(ValueError, match="Jacobi"):
        best_response_dynamics(game, pricing=True, scheme="gauss_seidel")
