"""The federated downlink environment (``broadcast_v0``, ``semgym/Broadcast-v0``) and its
reference policies: PettingZoo's and Gymnasium's checkers, exact closed form, solver parity."""

from __future__ import annotations

import functools
import types
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch

import semgym
from semgym import broadcast_v0, core
from semgym.core import reference
from semgym.envs.broadcast import AGENT
from semgym.policies import (
    BestResponse,
    FederatedADMM,
    FirstK,
    MultiLink,
    RandomPolicy,
    TopK,
    Uniform,
    evaluate,
)
from semgym.scenarios import cached_bank
from semgym.scenarios.latents import downlink_encoders
from semgym.solvers import federated_admm, first_k, multi_link, top_k

# small, fast scenarios on the synthetic bank (d_x = 128): L = 3 users, M = K·N_T = 8 modes
SMALL = {"latents": "synthetic", "n_users": 3, "n_tx": 2, "n_rx": 2, "channel_uses": 4}
pytestmark = pytest.mark.usefixtures("one_torch_thread")
MODES = ("precoder", "power")


def _env(**extra) -> broadcast_v0.BroadcastEnv:
    return broadcast_v0.parallel_env(**{**SMALL, **extra})


def _step(env, action) -> dict:
    _, _, _, _, infos = env.step({AGENT: action})
    return infos[AGENT]


@pytest.mark.parametrize("action_mode", MODES)
def test_pettingzoo_battery(action_mode: str) -> None:
    from pettingzoo.test import (
        api_test,
        max_cycles_test,
        parallel_api_test,
        parallel_seed_test,
        seed_test,
        state_test,
    )

    kw = {**SMALL, "action_mode": action_mode, "max_cycles": 6}
    api_test(broadcast_v0.env(**kw), num_cycles=8)
    parallel_api_test(broadcast_v0.parallel_env(**kw), num_cycles=8)
    seed_test(functools.partial(broadcast_v0.env, **kw), num_cycles=8)
    parallel_seed_test(functools.partial(broadcast_v0.parallel_env, **kw), num_cycles=8)
    state_test(broadcast_v0.env(**kw), broadcast_v0.parallel_env(**kw), num_cycles=4)
    base = {**SMALL, "action_mode": action_mode}
    module = types.SimpleNamespace(
        parallel_env=functools.partial(broadcast_v0.parallel_env, **base),
        env=functools.partial(broadcast_v0.env, **base),
    )
    max_cycles_test(module)


def test_render_modes() -> None:
    """PettingZoo's render test (both modes), and the picture: an RGB image that changes when
    the precoder does, through the Gymnasium id too."""
    from pettingzoo.test import render_test

    render_test(functools.partial(broadcast_v0.env, **SMALL, max_cycles=6))
    env = _env(render_mode="rgb_array", action_mode="power")
    env.reset(seed=1)
    first = env.render()
    assert first.dtype == np.uint8 and first.ndim == 3 and first.shape[-1] == 3
    _step(env, np.eye(env.n_modes, dtype=np.float32)[0] * env.budget)
    assert env.render().shape == first.shape and not np.array_equal(env.render(), first)
    env.close()
    gym_env = gym.make("semgym/Broadcast-v0", render_mode="rgb_array", **SMALL)
    gym_env.reset(seed=1)
    assert gym_env.render().shape == first.shape
    gym_env.close()


@pytest.mark.parametrize("action_mode", MODES)
def test_gym_id_passes_gymnasium_and_sb3_checkers(action_mode: str) -> None:
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make("semgym/Broadcast-v0", action_mode=action_mode, max_cycles=5, **SMALL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env.unwrapped, warn=True)
    messages = [str(w.message) for w in caught]
    if action_mode == "precoder":
        assert not messages, messages
    else:  # documented: the watts action space is not symmetric
        assert all("symmetric" in m or "normalized" in m or "[-1, 1]" in m for m in messages), (
            messages
        )
    assert "semgym/Broadcast-v0" in gym.registry
    assert semgym.broadcast_v0 is broadcast_v0


def test_closed_form_equals_simulation_on_pilots() -> None:
    """The reward's closed-form MSE (core.alignment_mse) equals the empirical error of each
    user's Wiener receiver on its pilots (noise in expectation, and noise simulated), and the
    objective of the formed Wiener receivers (core.alignment_objective)."""
    env = _env()
    env.reset(seed=5)
    info = _step(env, env.action_space(AGENT).sample())
    f = env.precoder
    bank = cached_bank("synthetic")
    n = env.n_pilots
    scene = env.downlink.select(0)
    objective = core.alignment_objective(
        scene.wiener_equalizers(f),
        scene.dense,
        f,
        scene.cross_covariance,
        scene.target_energy,
        scene.noise_covariance,
    )
    torch.testing.assert_close(torch.as_tensor(info["user_mse"]), objective, rtol=1e-10, atol=0)
    x = env.pairs[0].tx_symbols(
        torch.as_tensor(bank.train(env.ap_encoder)[:n], dtype=torch.float64)
    )
    sent = (x @ f.mT).expand(len(env.pairs), 1, -1, -1)
    received = core.transmit(
        sent,
        scene.dense[:, None, None],
        scene.noise_power[:, None],
        generator=torch.Generator().manual_seed(0),
    )[:, 0]
    for user, (pair, enc) in enumerate(zip(env.pairs, env.user_encoders, strict=True)):
        y = pair.rx_targets(torch.as_tensor(bank.train(enc)[:n], dtype=torch.float64))
        h, noise = scene.dense[user], scene.noise_covariance[user]
        g = core.wiener_equalizer(pair.stats.cross_covariance, f, h, noise)
        expected = reference.empirical_mse(x, y, g, h, f, noise)
        # R_x = I up to the whitener's jitter (1e-6 of the mean eigenvalue)
        assert float(expected) == pytest.approx(info["user_mse"][user], rel=1e-5)
        simulated = (y - received[user] @ g.mT).abs().square().sum(-1).mean()
        assert float(simulated) == pytest.approx(info["user_mse"][user], rel=2e-2)


def test_federated_admm_played_in_the_env_matches_the_solver() -> None:
    env = _env(max_cycles=3)
    policy = FederatedADMM(env, rho=1.0, iterations=40)
    for seed in (27, 42):
        obs, _ = env.reset(seed=seed)
        for _ in range(env.max_cycles):
            info = _step(env, policy.act(obs[AGENT]))
            trace = federated_admm(env.downlink, policy.settings)
            torch.testing.assert_close(
                torch.as_tensor(info["user_nmse"]), trace.nmse[-1, 0], rtol=1e-5, atol=0
            )
            assert info["nmse"] == pytest.approx(float(trace.network_nmse[-1, 0]), rel=1e-5)
            assert info["power"] <= env.budget * (1 + 1e-9) and not info["projected"]
        assert policy.trace is not None and policy.trace.nmse.shape == (40, 1, 3)


@pytest.mark.parametrize(("policy_cls", "solver"), [(FirstK, first_k), (TopK, top_k)])
def test_baselines_played_in_the_env_match_the_solvers(policy_cls, solver) -> None:
    env = gym.make("semgym/Broadcast-v0", max_cycles=2, **SMALL)  # the Gymnasium view too
    policy = policy_cls(env)
    obs, _ = env.reset(seed=100)
    _, reward, _, _, info = env.step(policy.act(obs))
    base = env.unwrapped.multi
    expected = solver(base.downlink)
    torch.testing.assert_close(
        torch.as_tensor(info["user_nmse"]), expected.nmse[0], rtol=1e-5, atol=0
    )
    assert reward == pytest.approx(-float(expected.network_nmse[0]), rel=1e-5)
    assert info["power"] <= base.budget * (1 + 1e-9)


def test_multi_link_serves_each_user_its_single_user_optimum() -> None:
    """Round robin: at step t user t mod L gets exactly multi_link's NMSE, which lower-bounds
    that user's NMSE under every shared precoder the other policies transmit."""
    env = _env(max_cycles=6)
    obs, _ = env.reset(seed=123)
    policy = MultiLink(env)
    bound = multi_link(env.downlink).nmse[0]
    for t in range(env.max_cycles):
        info = _step(env, policy.act(obs[AGENT]))
        user = t % 3
        assert info["user_nmse"][user] == pytest.approx(float(bound[user]), rel=1e-5)
    env.reset(seed=123)
    for policy in (FederatedADMM(env), FirstK(env), TopK(env)):
        info = _step(env, policy.act(None))
        assert np.all(info["user_nmse"] >= bound.numpy() * (1 - 1e-6)), type(policy).__name__


def test_power_mode_and_precoder_mode_agree_and_stay_feasible() -> None:
    power_env, pre_env = _env(action_mode="power"), _env()
    power_env.reset(seed=7)
    pre_env.reset(seed=7)
    m = power_env.n_modes
    rng = np.random.default_rng(0)
    for _ in range(4):
        p = rng.dirichlet(np.ones(m)) * power_env.budget * rng.uniform(0.2, 1.0)
        info_p = _step(power_env, p.astype(np.float32))
        f = power_env.batch.pooled.precoder(torch.as_tensor(p, dtype=torch.float64))[0]
        info_f = _step(pre_env, pre_env.encode_precoder(f))
        np.testing.assert_allclose(info_f["user_nmse"], info_p["user_nmse"], rtol=1e-5)
        obs = power_env.state()
        np.testing.assert_allclose(obs[2 * m : 3 * m], p / power_env.budget, rtol=1e-4, atol=1e-6)
    # over budget, negative, out of the box: projected onto the feasible set and reported
    info = _step(power_env, np.full(m, power_env.budget, np.float32))
    assert info["projected"] and info["power"] == pytest.approx(power_env.budget)
    info = _step(power_env, -np.ones(m, np.float32))
    assert info["projected"] and info["power"] == 0.0 and info["nmse"] == pytest.approx(1.0)
    for action in (np.ones(pre_env._action_size), 3.0 * np.ones(pre_env._action_size)):
        info = _step(pre_env, action.astype(np.float32))
        assert info["projected"] and info["power"] == pytest.approx(pre_env.budget)
    policy = RandomPolicy.for_env(power_env, seed=1)
    uniform = Uniform.for_env(power_env)
    obs, _ = power_env.reset(seed=7)
    start = power_env.state()
    assert _step(power_env, uniform.act(obs[AGENT]))["power"] == pytest.approx(power_env.budget)
    np.testing.assert_array_equal(power_env.state(), start)  # uniform is the starting state
    for _ in range(3):
        info = _step(power_env, policy.act(start))
        assert info["power"] <= power_env.budget * (1 + 1e-12) and not info["projected"]
    with pytest.raises(ValueError, match="BestResponse"):
        BestResponse.for_env(power_env)


def test_invalid_input_raises_named_errors() -> None:
    for kwargs, field in (
        ({"n_users": 0}, "n_users"),
        ({"n_tx": -1}, "n_tx"),
        ({"snr_db": float("nan")}, "snr_db"),
        ({"power": 0.0}, "power"),
        ({"pilot_fraction": 0.0}, "pilot_fraction"),
        ({"pilot_fraction": 1.5}, "pilot_fraction"),
        ({"user_group": "mixed"}, "user_group"),
        ({"user_encoders": ["nope"] * 3}, "user_encoders"),
        ({"user_encoders": ["rx"] * 2}, "user_encoders"),
        ({"ap_encoder": "nope"}, "ap_encoder"),
        ({"channel_uses": 100}, "channel_uses"),
        ({"reward": "snr"}, "reward"),
        ({"action_mode": "normalized"}, "action_mode"),
        ({"max_cycles": 0}, "max_cycles"),
        ({"latents": "nope"}, "latents: unknown bank"),
        ({"render_mode": "ansi"}, "render_mode"),
    ):
        with pytest.raises(ValueError, match=field):
            _env(**kwargs)
    env = _env()
    env.reset(seed=1)
    size = env._action_size
    for bad, message in (
        (np.full(size, np.nan), "NaN"),
        (np.full(size, np.inf), "NaN or inf"),
        (np.zeros(3), "shape"),
    ):
        with pytest.raises(ValueError, match=message):
            env.step({AGENT: bad})
    with pytest.raises(ValueError, match="missing"):
        env.step({})
    with pytest.raises(ValueError, match="rho"):
        FederatedADMM(env, rho=0.0)
    with pytest.raises(ValueError, match="iterations"):
        FederatedADMM(env, iterations=0)
    for design in (FederatedADMM, FirstK, TopK, MultiLink):
        with pytest.raises(ValueError, match="precoder"):
            design(_env(action_mode="power"))
    with pytest.raises(ValueError, match="precoder must have shape"):
        env.encode_precoder(torch.zeros(2, 2, dtype=torch.complex128))


@pytest.mark.parametrize("group", ["heterogeneous", "homogeneous"])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 1.0])
def test_user_groups_and_pilot_fractions_run(group: str, fraction: float) -> None:
    env = _env(user_group=group, pilot_fraction=fraction, max_cycles=2, info_accuracy=True)
    expected = ["rx", "tx", "rx"] if group == "heterogeneous" else ["rx"] * 3
    assert env.ap_encoder == "tx" and env.user_encoders == expected
    assert env.n_pilots == {0.1: 160, 0.5: 800, 1.0: 1600}[fraction]  # of 1,600 train samples
    obs, _ = env.reset(seed=42)
    policy = FederatedADMM(env, iterations=10)
    info = _step(env, policy.act(obs[AGENT]))
    assert np.all(np.isfinite(info["user_nmse"])) and 0.0 < info["nmse"] < 1.0
    assert 0.0 <= info["accuracy"] <= 1.0 and info["user_accuracy"].shape == (3,)


def test_embedded_bank_default_groups(tmp_path) -> None:
    """On a bank with the embedded banks' encoder names (a small file bank), the AP runs
    resnet10t and the groups are the documented ones; the env runs on a bank file."""
    from semgym.latents import make_bank, save_bank

    rng = np.random.default_rng(0)
    names = ("effnet_lite0", "effnet_lite1", "levit_128s", "resnet10t", "mlp")
    latents = {name: rng.standard_normal((60, 16)) for name in names}
    labels = np.arange(60) % 3
    path = str(
        save_bank(
            make_bank("tiny", latents, labels, np.arange(40), np.arange(40, 60)),
            tmp_path / "tiny.npz",
        )
    )
    ap, users = downlink_encoders(path, 4, "heterogeneous")
    users = list(users)
    assert ap == "resnet10t" and users == ["levit_128s", "mlp", "effnet_lite0", "levit_128s"]
    assert list(downlink_encoders(path, 3, "homogeneous")[1]) == ["levit_128s"] * 3
    env = broadcast_v0.parallel_env(latents=path, n_users=4, n_tx=2, n_rx=2, max_cycles=1)
    obs, _ = env.reset(seed=0)
    info = _step(env, FederatedADMM(env, iterations=5).act(obs[AGENT]))
    assert env.user_encoders == users and np.all(np.isfinite(info["user_nmse"]))


@pytest.mark.parametrize("snr_db", [-30.0, 60.0])
def test_observations_finite_at_extreme_snr(snr_db: float) -> None:
    env = _env(snr_db=snr_db, action_mode="power")
    space = env.observation_space(AGENT)
    obs, _ = env.reset(seed=3)
    policy = RandomPolicy.for_env(env, seed=0)
    for _ in range(3):
        assert np.all(np.isfinite(obs[AGENT])) and space.contains(obs[AGENT])
        obs, rewards, *_ = env.step({AGENT: policy.act(obs[AGENT])})
        assert np.isfinite(rewards[AGENT])


def test_rewards_follow_the_configured_kind_and_seeds_repeat() -> None:
    for reward in ("nmse", "mse", "accuracy"):
        env = _env(reward=reward, max_cycles=2)
        env.reset(seed=5)
        action = FirstK(env).act(None)
        _, rewards, _, _, infos = env.step({AGENT: action})
        key = {"nmse": "nmse", "mse": "mse", "accuracy": "accuracy"}[reward]
        sign = 1.0 if reward == "accuracy" else -1.0
        assert rewards[AGENT] == pytest.approx(sign * infos[AGENT][key])
    first, second = _env(), _env()
    outcomes = []
    for env in (first, second, first):
        obs, _ = env.reset(seed=9)
        env.action_space(AGENT).seed(0)
        action = env.action_space(AGENT).sample()
        obs2, rewards, _, _, infos = env.step({AGENT: action})
        outcomes.append((obs[AGENT], obs2[AGENT], rewards[AGENT], infos[AGENT]["user_mse"]))
    for other in outcomes[1:]:
        for a, b in zip(outcomes[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
    obs_other, _ = first.reset(seed=10)
    assert not np.array_equal(obs_other[AGENT], outcomes[0][0])


def test_evaluate_reports_per_user_rows() -> None:
    env = _env(max_cycles=2)
    rows = evaluate(
        {"federated": FederatedADMM(env), "first-K": FirstK(env), "top-K": TopK(env)},
        env,
        seeds=(27, 42),
        show=False,
    )
    for row in rows:
        assert len(row["per_link_nmse"]) == 3 and np.isnan(row["exploitability"])
        assert 0.0 < row["network_nmse"] < 1.0
    from semgym.policies.evaluation import format_table

    assert "exploitability" not in format_table(rows)
