"""The interference environment: PettingZoo's and Gymnasium's own checkers, game behaviour."""

from __future__ import annotations

import collections
import copy
import functools
import types
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
    state_test,
)

import semgym
from semgym import interference_v0
from semgym.policies import BestResponse, RandomPolicy, Uniform, evaluate

# small, fast configurations on the synthetic bank (the maths does not depend on the bank)
SMALL = {"latents": "synthetic", "n_antennas": 2, "channel_uses": 2}
CONFIGS = {  # the papers' watts unless a mode is named (the env's default is "normalized")
    "L2": {"n_links": 2, "action_mode": "power"},
    "L3": {"n_links": 3, "action_mode": "power"},
    "L5": {"n_links": 5, "action_mode": "power"},
    "primary": {"n_links": 3, "primary_users": 2, "action_mode": "power"},
    "normalized": {"n_links": 3, "action_mode": "normalized"},
    "precoder": {"n_links": 3, "action_mode": "precoder"},
    "team": {"n_links": 3, "action_mode": "normalized", "reward_scope": "team"},
    "prices": {"n_links": 3, "action_mode": "normalized", "observe_prices": True},
    "asynchronous": {"n_links": 3, "observe_prices": True, "hold_probability": 0.5},
    "asynchronous-precoder": {"n_links": 3, "action_mode": "precoder", "hold_probability": 0.3},
    "prices-primary": {"n_links": 2, "primary_users": 1, "observe_prices": True},
    "moving-memory": {  # a time-varying channel, late noisy CSI, moving receivers, memory
        "n_links": 3,
        "speed_kmh": 60.0,
        "block_s": 0.05,
        "csi_delay": 2,
        "pilot_snr_db": 10.0,
        "moving_receivers": True,
        "topology": "random",
        "observe_previous": True,
    },
}


def _kwargs(name: str, **extra) -> dict:
    return {**SMALL, **CONFIGS[name], **extra}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_pettingzoo_battery(name: str) -> None:
    kw = _kwargs(name, max_cycles=8)
    api_test(interference_v0.env(**kw), num_cycles=10)
    parallel_api_test(interference_v0.parallel_env(**kw), num_cycles=10)
    seed_test(functools.partial(interference_v0.env, **kw), num_cycles=10)
    parallel_seed_test(functools.partial(interference_v0.parallel_env, **kw), num_cycles=10)
    state_test(interference_v0.env(**kw), interference_v0.parallel_env(**kw), num_cycles=5)
    base = _kwargs(name)
    module = types.SimpleNamespace(
        parallel_env=functools.partial(interference_v0.parallel_env, **base),
        env=functools.partial(interference_v0.env, **base),
    )
    max_cycles_test(module)


def test_render_modes() -> None:
    render_test(functools.partial(interference_v0.env, **_kwargs("L3", max_cycles=6)))


@pytest.mark.parametrize("env_id", ["semgym/Interference-v0", "semgym/InterferenceLink-v0"])
@pytest.mark.parametrize("action_mode", ["power", "normalized", "precoder"])
def test_gym_ids_pass_gymnasium_and_sb3_checkers(env_id: str, action_mode: str) -> None:
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make(env_id, **_kwargs("L3", max_cycles=6, action_mode=action_mode))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env.unwrapped, warn=True)
    messages = [str(w.message) for w in caught]
    if action_mode != "power":
        assert not messages, messages
    else:  # documented: the watts action space is not symmetric
        assert all("symmetric" in m or "normalized" in m or "[-1, 1]" in m for m in messages), (
            messages
        )


def test_registered_ids() -> None:
    import pettingzoo

    assert "semgym/Interference-v0" in gym.registry
    assert "semgym/InterferenceLink-v0" in gym.registry
    env = pettingzoo.make("parallel", "semgym/interference-v0", **_kwargs("L2"))
    assert env.possible_agents == ["link_0", "link_1"]
    assert semgym.interference_v0 is interference_v0


def _play(env, policy, seed: int, steps: int):
    obs, _ = env.reset(seed=seed)
    for _ in range(steps):
        obs, rewards, _, _, infos = env.step({a: policy.act(obs[a]) for a in env.agents})
    return obs, rewards, infos


def test_best_response_from_observation_reaches_equilibrium() -> None:
    """Best response played by every link from its observation alone reaches a Nash
    equilibrium: 200 random unilateral deviations per link never improve that link's reward."""
    kw = {"latents": "synthetic", "n_antennas": 3, "channel_uses": 1, "alpha": 10.0}
    env = interference_v0.parallel_env(max_cycles=500, **kw)
    policy = BestResponse.for_env(env)
    obs, _, infos = _play(env, policy, seed=42, steps=60)
    assert max(i["exploitability"] / i["mse"] for i in infos.values()) < 1e-4
    equilibrium = {a: policy.act(obs[a]) for a in env.agents}
    base_env = copy.deepcopy(env)
    _, base_rewards, *_ = base_env.step(dict(equilibrium))
    rng = np.random.default_rng(0)
    for agent in env.agents:
        for trial in range(200):
            deviation = dict(equilibrium)
            if trial % 2:  # anywhere in the feasible set
                scale = rng.uniform(0.0, 1.0) ** 0.25 * env.budget
                deviation[agent] = rng.dirichlet(np.ones(env.n_modes)) * scale
            else:  # near the equilibrium
                noise = 1 + 0.05 * rng.standard_normal(env.n_modes)
                deviation[agent] = equilibrium[agent] * noise
            probe = copy.deepcopy(env)
            _, rewards, *_ = probe.step({k: v.astype(np.float32) for k, v in deviation.items()})
            assert rewards[agent] <= base_rewards[agent] + 1e-6 * abs(base_rewards[agent])


def test_invalid_actions_raise_and_projection_is_flagged() -> None:
    env = interference_v0.parallel_env(**_kwargs("L2"))
    _obs, _ = env.reset(seed=1)
    good = {a: np.full(env.n_modes, 0.1, np.float32) for a in env.agents}
    for bad in (np.full(env.n_modes, np.nan), np.full(env.n_modes, np.inf), np.zeros(3)):
        with pytest.raises(ValueError, match="link_0"):
            env.step({**good, "link_0": bad})
    with pytest.raises(ValueError, match="missing"):
        env.step({"link_0": good["link_0"]})
    over = {**good, "link_0": np.full(env.n_modes, env.budget, np.float32)}
    _, _, _, _, infos = env.step(over)
    assert infos["link_0"]["projected"] and not infos["link_1"]["projected"]
    assert env.game_state.powers[0, 0].sum().item() == pytest.approx(env.budget)
    _, _, _, _, infos = env.step({**good, "link_1": -np.ones(env.n_modes, np.float32)})
    assert infos["link_1"]["projected"] and env.game_state.powers[0, 1].sum().item() == 0.0


def test_precoder_mode_matches_power_mode_on_structured_precoders() -> None:
    """A precoder action equal to V diag(√p) gives the same rewards as the power action p."""
    power_env = interference_v0.parallel_env(**_kwargs("L2"))
    pre_env = interference_v0.parallel_env(**_kwargs("L2", action_mode="precoder"))
    obs, _ = power_env.reset(seed=9)
    pre_env.reset(seed=9)
    policy = BestResponse.for_env(power_env)
    actions = {a: policy.act(obs[a]) for a in power_env.agents}
    # the same structured precoders, expressed in the precoder action space
    observed = power_env.evaluation.response.state
    pre_actions = {}
    for i, agent in enumerate(power_env.agents):
        p = torch.as_tensor(actions[agent], dtype=torch.float64).clamp_min(0)
        modes = observed.modes[0, i]  # column m carries semantic direction m
        fbar = modes * (p / power_env.budget).sqrt()
        flat = torch.cat([fbar.real.reshape(-1), fbar.imag.reshape(-1)])
        pre_actions[agent] = flat.numpy().astype(np.float32)
    assert all(np.abs(a).max() <= 1 for a in pre_actions.values())
    _, rewards_power, *_ = power_env.step(actions)
    _, rewards_pre, *_ = pre_env.step(pre_actions)
    for agent in rewards_power:
        assert rewards_pre[agent] == pytest.approx(rewards_power[agent], rel=1e-5)
    with pytest.raises(ValueError, match="precoder"):
        BestResponse.for_env(pre_env)
    # the env's own best-response encoding matches the policy's (power) and the rewards (precoder)
    power_env.reset(seed=9)
    pre_env.reset(seed=9)
    env_actions = power_env.best_response_actions()
    for agent in env_actions:
        assert np.allclose(env_actions[agent], actions[agent], rtol=1e-5, atol=1e-6)
    _, rewards_pre_br, *_ = pre_env.step(pre_env.best_response_actions())
    for agent in rewards_power:
        assert rewards_pre_br[agent] == pytest.approx(rewards_power[agent], rel=1e-5)


def test_bad_configuration_raises_named_errors() -> None:
    for kwargs, field in (
        ({"n_links": 0}, "n_links"),
        ({"alpha": -1.0}, "alpha"),
        ({"reward": "snr"}, "reward"),
        ({"action_mode": "x"}, "action_mode"),
        ({"channel_uses": 100}, "channel_uses"),
        ({"tx_encoders": ["nope"] * 3}, "encoder"),
        ({"latents": "nope"}, "latents: unknown bank"),
        ({"latents": "missing/bank.npz"}, "latents: bank file"),
    ):
        with pytest.raises(ValueError, match=field):
            interference_v0.parallel_env(**{**SMALL, **kwargs})


def test_numpy_scalars_configure_the_same_env_and_booleans_are_rejected() -> None:
    """Sizes, factors and seeds from NumPy (a sweep's ``np.arange``, a config loader) give the
    env that the same Python numbers give; a boolean is never taken for a number."""
    plain = {"n_links": 3, "alpha": 2.0, "snr_db": 10.0, "channel_uses": 2}
    numpy_kwargs = {
        "n_links": np.int64(3),
        "alpha": np.float32(2.0),
        "snr_db": np.float64(10.0),
        "channel_uses": np.int32(2),
    }
    env_np = interference_v0.parallel_env(**{**SMALL, **numpy_kwargs})
    env_py = interference_v0.parallel_env(**{**SMALL, **plain})
    obs_np, _ = env_np.reset(seed=np.int64(7))
    obs_py, _ = env_py.reset(seed=7)
    actions = {a: env_py.action_space(a).sample() for a in env_py.agents}
    step_np, step_py = env_np.step(actions), env_py.step(actions)
    for a in env_py.agents:
        np.testing.assert_array_equal(obs_np[a], obs_py[a])
        np.testing.assert_array_equal(step_np[0][a], step_py[0][a])
        assert step_np[1][a] == step_py[1][a]
    for flag in (True, np.bool_(True)):
        with pytest.raises(ValueError, match="n_links must be an integer"):
            interference_v0.parallel_env(**{**SMALL, "n_links": flag})
        with pytest.raises(ValueError, match="alpha must be a finite number"):
            interference_v0.parallel_env(**{**SMALL, "alpha": flag})


@pytest.mark.parametrize("snr_db", [-30.0, 60.0])
@pytest.mark.parametrize("alpha", [0.5, 100.0])
def test_observations_finite_at_extremes(snr_db: float, alpha: float) -> None:
    env = interference_v0.parallel_env(snr_db=snr_db, alpha=alpha, **_kwargs("L3"))
    space = env.observation_space("link_0")
    obs, _ = env.reset(seed=3)
    policy = RandomPolicy.for_env(env, seed=0)
    for _ in range(3):
        for o in obs.values():
            assert np.all(np.isfinite(o)) and space.contains(o)
        obs, rewards, *_ = env.step({a: policy.act(obs[a]) for a in env.agents})
        assert all(np.isfinite(r) for r in rewards.values())


def test_rewards_follow_the_configured_kind() -> None:
    nmse_env = interference_v0.parallel_env(reward="nmse", **_kwargs("L2"))
    mse_env = interference_v0.parallel_env(reward="mse", **_kwargs("L2"))
    acc_env = interference_v0.parallel_env(reward="accuracy", **_kwargs("L2"))
    policy = Uniform.for_env(nmse_env)
    for env in (nmse_env, mse_env, acc_env):
        _, rewards, infos = _play(env, policy, seed=5, steps=2)
        if env is nmse_env:
            assert rewards["link_0"] == pytest.approx(-infos["link_0"]["nmse"])
        elif env is mse_env:
            assert rewards["link_0"] == pytest.approx(-infos["link_0"]["mse"])
        else:
            assert rewards["link_0"] == infos["link_0"]["accuracy"]
            assert 0.0 <= rewards["link_0"] <= 1.0


def test_best_response_beats_uniform_and_random_in_evaluate() -> None:
    env = interference_v0.parallel_env(max_cycles=15, **_kwargs("L3"))
    rows = evaluate(
        {
            "best response": BestResponse.for_env(env),
            "uniform": Uniform.for_env(env),
            "random": RandomPolicy.for_env(env, seed=0),
        },
        env,
        seeds=(27, 42),
        show=False,
    )
    by_name = {r["policy"]: r for r in rows}
    assert by_name["best response"]["network_nmse"] < by_name["uniform"]["network_nmse"]
    assert by_name["best response"]["network_nmse"] < by_name["random"]["network_nmse"]
    assert by_name["best response"]["exploitability"] < by_name["random"]["exploitability"]


def test_primary_caps_hold_under_best_response() -> None:
    env = interference_v0.parallel_env(max_cycles=30, interference_cap=0.01, **_kwargs("primary"))
    _, _, infos = _play(env, BestResponse.for_env(env), seed=7, steps=10)
    assert infos["link_0"]["primary_caps_hold"]


def test_enforced_caps_hold_for_every_action_and_leave_the_best_response_alone() -> None:
    kwargs = {**SMALL, "n_links": 3, "primary_users": 2, "interference_cap": 0.3}
    rng = np.random.default_rng(0)
    held = {}
    for enforce in (False, True):
        env = interference_v0.parallel_env(**kwargs, action_mode="normalized", enforce_caps=enforce)
        holds = []
        for seed in range(4):
            env.reset(seed=seed)
            for _ in range(5):
                shape = env.action_space("link_0").shape
                actions = {a: rng.uniform(-1, 1, shape).astype(np.float32) for a in env.agents}
                _, _, _, _, infos = env.step(actions)
                holds.append(infos["link_0"]["primary_caps_hold"])
                caps = env.game.primary.interference_cap_w[0].numpy()
                load = infos["link_0"]["primary_interference"] / caps
                if enforce:
                    assert float(load.max()) <= 1.0 + 1e-9, load
        held[enforce] = np.mean(holds)
    assert held[True] == 1.0 and held[False] < 0.5, held  # random actions break them unenforced
    # the priced best response already keeps every link's share: enforcing moves nothing
    trajectories = []
    for enforce in (False, True):
        env = interference_v0.parallel_env(**kwargs, action_mode="power", enforce_caps=enforce)
        policy = BestResponse.for_env(env)
        observations, _ = env.reset(seed=5)
        rewards = []
        for _ in range(4):
            observations, reward, _, _, infos = env.step(
                {a: policy.act(observations[a]) for a in env.agents}
            )
            rewards.append([reward[a] for a in env.agents])
            assert not any(infos[a]["projected"] for a in env.agents)
        trajectories.append(np.array(rewards))
    # (the policy reads float32 observations: its load may exceed 1 by float32 rounding)
    np.testing.assert_allclose(trajectories[1], trajectories[0], rtol=1e-6)
    with pytest.raises(ValueError, match="enforce_caps scales powers per mode"):
        interference_v0.parallel_env(**kwargs, action_mode="precoder", enforce_caps=True)


def test_scenario_designs_played_in_the_env_match_the_solvers() -> None:
    """MuiLess and MuiAgnosticADMM played through the precoder action give, after one step, the
    per-link NMSE the solvers compute for the same designs under the real MUI."""
    from semgym.policies import MuiAgnosticADMM, MuiLess
    from semgym.solvers import mui_agnostic_admm, mui_agnostic_design

    kw = {"latents": "synthetic", "n_antennas": 3, "channel_uses": 1, "max_cycles": 3}
    env = interference_v0.parallel_env(action_mode="precoder", **kw)
    for policy in (MuiLess(env), MuiAgnosticADMM(env, iterations=60)):
        obs, _ = env.reset(seed=27)
        _, _, _, _, infos = env.step({a: policy.act(obs[a], a) for a in env.agents})
        if isinstance(policy, MuiLess):
            expected = mui_agnostic_design(env.game).metrics.nmse[0]
        else:
            rho = float(env.game.target_energy.mean()) / env.budget
            expected = mui_agnostic_admm(env.game, env.pairs, rho=rho, iterations=60, seed=27).nmse[
                0
            ]
        got = torch.tensor([infos[a]["nmse"] for a in env.possible_agents], dtype=torch.float64)
        assert torch.allclose(got, expected, rtol=1e-4), (type(policy).__name__, got, expected)
    with pytest.raises(ValueError, match="precoder"):
        MuiLess(interference_v0.parallel_env(**kw))


def test_team_rewards_are_the_network_mean_of_the_link_rewards() -> None:
    """``reward_scope="team"`` gives every agent the mean of what the links earn under the
    default scope, step by step (same seed, same actions), in the PettingZoo env and the vector
    env's per-link rewards."""
    from semgym.vector import InterferenceVecEnv

    link = interference_v0.parallel_env(**_kwargs("L3"), reward="mse")
    team = interference_v0.parallel_env(**_kwargs("L3"), reward="mse", reward_scope="team")
    link.reset(seed=4)
    team.reset(seed=4)
    rng = np.random.default_rng(0)
    for _ in range(3):
        actions = {a: rng.uniform(0, 1, link.n_modes).astype(np.float32) for a in link.agents}
        _, own, *_ = link.step(actions)
        _, shared, *_ = team.step(actions)
        mean = np.mean(list(own.values()))
        assert len(set(own.values())) > 1  # the links earn different rewards alone
        assert all(v == pytest.approx(mean, rel=1e-12) for v in shared.values())
    venv = InterferenceVecEnv(2, **_kwargs("L3"), reward_scope="team")
    venv.reset(seed=4)
    _, rewards, *_ = venv.step_links(venv.best_response_actions().reshape(2, 3, -1))
    torch.testing.assert_close(rewards, rewards.mean(-1, keepdim=True).expand_as(rewards))


# --- random topologies ------------------------------------------------------------------------
@pytest.mark.parametrize("n_links", [3, 10, 30])
def test_random_topology_passes_the_battery(n_links: int) -> None:
    kw = _kwargs("normalized", n_links=n_links, topology="random", max_cycles=4)
    cycles = 6 if n_links < 30 else 3
    api_test(interference_v0.env(**kw), num_cycles=cycles)
    parallel_api_test(interference_v0.parallel_env(**kw), num_cycles=cycles)
    seed_test(functools.partial(interference_v0.env, **kw), num_cycles=cycles)
    parallel_seed_test(functools.partial(interference_v0.parallel_env, **kw), num_cycles=cycles)
    state_test(interference_v0.env(**kw), interference_v0.parallel_env(**kw), num_cycles=3)


def test_random_topology_is_drawn_per_channel_seed_and_reported() -> None:
    """Each channel seed drops its own links (inside the documented geometry), the infos and
    the game carry where they stand, and the channels' gains follow the distances."""
    env = interference_v0.parallel_env(**_kwargs("normalized", n_links=4, topology="random"))
    config = env.channel_config
    side, (d_min, d_max) = config.area_side_m, config.link_distance_range_m
    assert side == pytest.approx(1000 * (4 / 300) ** 0.5)
    drops = []
    for seed in (1, 2, 1):
        _, infos = env.reset(seed=seed)
        tx = np.stack([infos[a]["tx_position"] for a in env.agents])
        rx = np.stack([infos[a]["rx_position"] for a in env.agents])
        np.testing.assert_array_equal(np.stack([tx, rx]), env.game.positions[0].numpy())
        assert np.all((tx >= 0) & (tx <= side))
        link = np.linalg.norm(rx - tx, axis=-1)
        assert np.all((link >= d_min - 1e-9) & (link <= d_max + 1e-9))
        cross = np.linalg.norm(rx[None, :, :] - tx[:, None, :], axis=-1)
        assert cross.min() >= d_min - 1e-9  # no transmitter closer than d_min to a receiver
        drops.append(tx)
    np.testing.assert_array_equal(drops[0], drops[2])
    assert not np.allclose(drops[0], drops[1])
    # the line is unchanged and reports no positions
    line = interference_v0.parallel_env(**_kwargs("normalized"))
    _, infos = line.reset(seed=1)
    assert "tx_position" not in infos["link_0"]


def test_drawn_encoder_pairs_follow_the_topology_seed() -> None:
    """encoder_pairs="drawn": each channel seed draws every link's pair from the bank's
    heterogeneous pairs, reproducibly; the game's weights, the observation's weight shares and
    the accuracy follow the draw; the fixed default is untouched."""
    from semgym.scenarios.latents import heterogeneous_pairs

    kw = {"latents": "digits", "n_antennas": 2, "channel_uses": 2, "n_links": 6}
    env = interference_v0.parallel_env(
        **kw, topology="random", encoder_pairs="drawn", info_accuracy=True
    )
    pool = heterogeneous_pairs("digits")
    assert env.scenario.pair_pool == pool and all(tx != rx for tx, rx in pool)
    draws = {}
    for seed in (3, 4, 3):
        obs, infos = env.reset(seed=seed)
        assert set(env.links) <= set(pool)
        draws.setdefault(seed, []).append(list(env.links))
        shares = np.stack(
            [env.observation_layout.block(obs[a], "weight_share") for a in env.agents]
        )
        for i, link in enumerate(env.latent_links):
            assert (link.tx, link.rx) == env.links[i]
            w = link.pair.stats.semantic_weights(env.n_modes).numpy()
            np.testing.assert_allclose(env.game.weights[0, i].numpy(), w)
            np.testing.assert_allclose(shares[i], w / w.sum(), rtol=1e-5, atol=1e-7)
            assert infos[env.agents[i]]["native_accuracy"] == link.native_accuracy
    assert draws[3][0] == draws[3][1] and draws[3][0] != draws[4][0]
    # over many topologies every pair of the pool turns up, near uniformly
    counts = collections.Counter(
        pair for seed in range(200) for pair in env.scenario.links_of(seed)
    )
    assert set(counts) == set(pool)
    expected = 200 * 6 / len(pool)
    assert max(abs(c - expected) for c in counts.values()) < 5 * expected**0.5
    fixed = interference_v0.parallel_env(**kw, topology="random")
    fixed.reset(seed=3)
    assert fixed.scenario.pair_pool is None and fixed.links == list(fixed.scenario.links)
    with pytest.raises(ValueError, match="encoder_pairs"):
        interference_v0.parallel_env(**kw, encoder_pairs="drawn", tx_encoders=["mlp"] * 6)
    with pytest.raises(ValueError, match="encoder_pairs"):
        interference_v0.parallel_env(**kw, encoder_pairs="random")


def test_random_topology_gains_follow_the_distances() -> None:
    from semgym.channels import InterferenceChannelConfig, path_gain
    from semgym.channels.interference import sample_interference_channels

    config = InterferenceChannelConfig(
        n_links=5, n_tx_antennas=2, n_rx_antennas=2, topology="random", fading="rayleigh"
    )
    seeds = list(range(400))
    channels = sample_interference_channels(config, seed=seeds, dtype=torch.complex128)
    distances = torch.linalg.vector_norm(
        channels.rx_positions[:, None, :, :] - channels.tx_positions[:, :, None, :], dim=-1
    )
    expected = path_gain(distances, config.carrier_hz, config.pathloss_exponent)
    torch.testing.assert_close(channels.path_gain, expected)
    # E|h|² = g per entry: the normalized power averages to one over 400 drops × 100 entries
    power = channels.matrices.abs().square().mean((-1, -2)) / channels.path_gain
    assert float(power.mean()) == pytest.approx(1.0, abs=0.02)
    alone = sample_interference_channels(config, seed=[seeds[7]], dtype=torch.complex128)
    torch.testing.assert_close(alone.matrices[0], channels.matrices[7], rtol=0, atol=0)
    with pytest.raises(ValueError, match="area"):
        InterferenceChannelConfig(
            n_links=50, topology="random", area_m=1.0, link_distance_range_m=(10.0, 10.0)
        ).deployment(0)
    with pytest.raises(ValueError, match="link_distance_range_m"):
        InterferenceChannelConfig(topology="random", link_distance_range_m=(50.0, 10.0))
    with pytest.raises(ValueError, match="topology"):
        InterferenceChannelConfig(topology="grid")
