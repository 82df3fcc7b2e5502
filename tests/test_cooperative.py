"""The cooperative optimum, the gradient-friendly MSE it searches on, presets and seed ranges."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from semgym import core, interference_v0
from semgym.channels import InterferenceChannelConfig
from semgym.policies import Cooperative, evaluate
from semgym.presets import HELD_OUT_SEEDS, PAPER_SEEDS, PRESETS, TRAINING_SEEDS, get_preset
from semgym.scenarios import GameOperator, InterferenceScenario
from semgym.solvers import best_response_dynamics, cooperative_optimum
from semgym.solvers.cooperative import precoder_state
from semgym.vector import InterferenceVecEnv

SMALL = {"latents": "synthetic", "n_antennas": 2, "channel_uses": 2}


def _game(alpha: float = 1.0, primary_users: int = 0, seeds=(27, 42)):
    scenario = InterferenceScenario.create(**SMALL, alpha=alpha, primary_users=primary_users)
    return scenario.sample(list(seeds))


@pytest.mark.parametrize("primary_users", [0, 2])
def test_mse_of_a_state_equals_the_evaluation(primary_users):
    game = _game(primary_users=primary_users)
    gen = torch.Generator().manual_seed(0)
    for structure in ("block", "dense"):
        op = GameOperator(game, structure)
        state = op.initial_state(seed=[3, 4])
        assert torch.allclose(op.mse(state), op.evaluate(state).mse, rtol=1e-12)
    # any precoder in the semantic basis (the env's precoder mode), through the dense path
    shape = (game.batch_size, game.n_links, game.n_modes, game.n_modes, 2)
    fbar = torch.view_as_complex(torch.randn(*shape, dtype=torch.float64, generator=gen))
    state = precoder_state(fbar * 0.3)
    op = GameOperator(game, "dense")
    assert torch.allclose(op.mse(state), op.evaluate(state).mse, rtol=1e-12)


def test_mse_gradient_matches_finite_differences():
    game = _game()
    op = GameOperator(game, "block")
    state = op.initial_state(seed=[1, 2])
    blocks = state.mode_blocks.clone().requires_grad_(True)

    def network(blocks):
        moved = type(state)("block", blocks, state.power_blocks, state.rank)
        return op.mse(moved).sum()

    (gradient,) = torch.autograd.grad(network(blocks), blocks)
    gen = torch.Generator().manual_seed(5)
    direction = torch.view_as_complex(
        torch.randn(*blocks.shape, 2, dtype=torch.float64, generator=gen)
    )
    h = 1e-6
    with torch.no_grad():
        numeric = (network(blocks + h * direction) - network(blocks - h * direction)) / (2 * h)
    analytic = (gradient.conj() * direction).real.sum()  # autograd gives ∂f/∂conj(z)
    assert torch.isfinite(gradient).all()
    assert abs(float(numeric - analytic)) < 1e-5 * abs(float(numeric))


def test_cooperative_search_beats_every_start_and_stays_feasible():
    game = _game(alpha=0.5)
    search = cooperative_optimum(game, iterations=150)
    assert search.start_names[:3] == ("equilibrium", "uniform", "mui-less")
    assert (search.score <= search.start_scores.min(0).values + 1e-12).all()
    assert (search.price_of_anarchy >= 1.0).all()
    # strong interference: the network gains from cooperation (a search that cannot move fails)
    assert float(search.price_of_anarchy.max()) > 1.005
    # the history is the best so far: non-increasing, ending at the reported score
    assert (search.history[1:] <= search.history[:-1] + 1e-15).all()
    assert torch.allclose(search.history[-1], search.score)
    power = core.squared_magnitude(search.precoders).sum((-2, -1))
    assert (power <= game.budget * (1 + 1e-9)).all()
    # the equilibrium start is an equilibrium: the same one the dynamics reach
    trace = best_response_dynamics(game, scheme="gauss_seidel", max_iters=100)
    assert torch.allclose(search.equilibrium_score, trace.network_nmse[-1], rtol=1e-9)


def test_cooperative_search_keeps_the_primaries_caps():
    game = _game(alpha=0.5, primary_users=2)
    search = cooperative_optimum(game, iterations=40, random_starts=0)
    cov = core.diagonal_blocks(search.state.tx_covariance, game.channel_uses)
    assert game.primary.caps_hold(cov).all()


def test_cooperative_policy_plays_the_search_in_the_env():
    env = interference_v0.parallel_env(
        **SMALL, alpha=0.5, action_mode="precoder", max_cycles=2, primary_users=1
    )
    policy = Cooperative(env, iterations=40)
    row = evaluate({"cooperative": policy}, env, seeds=(42,), show=False)[0]
    expected = policy.search.metrics.nmse[0].numpy()
    assert np.allclose(row["per_link_nmse"], expected, rtol=1e-5)
    assert row["exploitability"] > 0  # not an equilibrium
    with pytest.raises(ValueError, match="precoder"):
        Cooperative(interference_v0.parallel_env(**SMALL))


def test_cooperative_bad_input_is_named():
    game = _game()
    with pytest.raises(ValueError, match="objective"):
        cooperative_optimum(game, objective="rate")
    with pytest.raises(ValueError, match="iterations"):
        cooperative_optimum(game, iterations=0)
    with pytest.raises(ValueError, match="game"):
        cooperative_optimum(InterferenceChannelConfig())


def test_presets_and_the_training_seed_range():
    with pytest.raises(ValueError, match="preset"):
        get_preset("nope")
    for preset in PRESETS.values():
        if preset.env == "interference":
            venv = preset.vector_env(2, latents="synthetic", n_antennas=2, channel_uses=2)
            assert venv.n_links == preset.kwargs.get("n_links", 3)
            if preset.kwargs.get("topology") == "random":  # the square its density sets
                venv.reset(seed=[HELD_OUT_SEEDS[0], HELD_OUT_SEEDS[1]])
                side = 1000 * (preset.kwargs["n_links"] / preset.kwargs["density_per_km2"]) ** 0.5
                tx = venv.batch.game.positions[:, 0]
                assert bool(((tx >= 0) & (tx <= side)).all()) and tx.amax() > 0.6 * side
                assert not torch.equal(tx[0], tx[1])  # each seed its own topology
    low, high = 5_000, 5_010
    venv = InterferenceVecEnv(3, **SMALL, max_cycles=1, seed_range=(low, high))
    venv.reset(seed=0)
    seen = set()
    for _ in range(6):  # every step ends the episodes: autoreset draws from the range
        venv.step(venv.best_response_actions())
        seen.update(venv.batch.channel_seeds)
    assert seen and all(low <= s < high for s in seen)
    # the evaluation seeds lie outside the training range
    assert max(*HELD_OUT_SEEDS, *PAPER_SEEDS) < TRAINING_SEEDS[0]
    with pytest.raises(ValueError, match="seed_range"):
        InterferenceVecEnv(1, **SMALL, seed_range=(10, 10))


def test_cooperative_powers_improve_on_the_equilibrium_with_its_modes():
    """Power allocation alone on the equilibrium's modes: feasible powers, never worse than the
    start, better with close interferers, and a batch of games equals the games one by one."""
    from semgym.solvers import cooperative_powers

    game = _game(alpha=0.5, seeds=(27, 42, 100))
    equilibrium = best_response_dynamics(game, scheme="gauss_seidel", max_iters=60)
    state, metrics = cooperative_powers(game, equilibrium.state, iterations=200)
    powers = state.powers
    assert bool((powers >= 0).all()) and bool((powers.sum(-1) <= game.budget * (1 + 1e-9)).all())
    start = equilibrium.network_nmse[-1]
    assert bool((metrics.network_nmse <= start + 1e-12).all())
    assert float((start - metrics.network_nmse).mean()) > 1e-4
    one = _game(alpha=0.5, seeds=(42,))
    single = best_response_dynamics(one, scheme="gauss_seidel", max_iters=60)
    _, alone = cooperative_powers(one, single.state, iterations=200)
    torch.testing.assert_close(alone.network_nmse[0], metrics.network_nmse[1], rtol=1e-9, atol=0)
    with pytest.raises(ValueError, match="primary"):
        cooperative_powers(_game(primary_users=1), equilibrium.state)


def test_interference_neighbourhood_in_the_game():
    """mui_neighbours: the block and dense paths receive the same R_n (the far interferers'
    white noise spread over the K channel uses), k >= L − 1 is the exact game, and the
    approximation moves a state's NMSE by little when most interferers are neighbours."""
    kwargs = {**SMALL, "n_links": 5, "topology": "random", "density_per_km2": 1000.0}
    exact = InterferenceScenario.create(**kwargs).sample([27, 42])
    near = dataclasses.replace(exact, mui_neighbours=2)
    block = GameOperator(near, "block")
    assert block.far_gain is not None and block.interferer_index.shape == (2, 5, 2)
    factors = GameOperator(exact, "block").initial_state(seed=[3, 4]).factors
    by_block = block.received(factors).noise_covariance  # (B, L, K, A, A)
    dense_factors = core.block_diagonal(factors).unsqueeze(2)  # (B, L, 1, K·A, K·r)
    dense = GameOperator(near, "dense").received(dense_factors).noise_covariance[:, :, 0]
    assert torch.allclose(dense, core.block_diagonal(by_block), rtol=1e-12, atol=1e-15)
    whole = dataclasses.replace(exact, mui_neighbours=4)
    state = GameOperator(exact).initial_state(seed=[3, 4])
    assert GameOperator(whole).far_gain is None
    assert torch.equal(
        GameOperator(whole).evaluate(state).nmse, GameOperator(exact).evaluate(state).nmse
    )
    error = GameOperator(near).evaluate(state).nmse / GameOperator(exact).evaluate(state).nmse - 1
    assert bool((error.abs() < 0.2).all()) and bool((error.abs() > 0).any())
    with pytest.raises(ValueError, match="mui_neighbours"):
        InterferenceScenario.create(**kwargs, mui_neighbours=0)
