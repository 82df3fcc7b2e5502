"""The batched environments: same numbers as single envs, trainer adapters, no host syncs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_returned_data_not_reused
from helpers import made_vector_env, no_host_reads

import semgym
from semgym import interference_v0
from semgym.vector import InterferenceLinkVecEnv, InterferenceVecEnv

PAPER = {"latents": "synthetic", "n_links": 3, "n_antennas": 8, "channel_uses": 10}
SMALL = {"latents": "synthetic", "n_links": 3, "n_antennas": 4, "channel_uses": 2}
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def _compare_with_singles(env_id, venv_cls, kwargs, steps, seed=27, **vec_kwargs):
    """Step a batch and B single gym envs with the same seeds and actions; the largest relative
    differences of observations, rewards and per-link NMSE, and whether truncations matched."""
    b = 3
    venv = venv_cls(b, dtype="float32", **vec_kwargs, **kwargs)
    singles = [gym.make(env_id, dtype="float32", **vec_kwargs, **kwargs) for _ in range(b)]
    obs, _ = venv.reset(seed=seed)
    single_obs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(singles)])
    worst = {"obs": _relative(obs.numpy(), single_obs), "reward": 0.0, "nmse": 0.0}
    rng = np.random.default_rng(0)
    truncated_any = False
    for _ in range(steps):
        actions = rng.uniform(
            venv.single_action_space.low,
            venv.single_action_space.high,
            (b, *venv.action_space.shape[1:]),
        ).astype(np.float32)
        obs, rewards, _, truncated, infos = venv.step(actions)
        outs = [e.step(actions[i]) for i, e in enumerate(singles)]
        assert truncated.tolist() == [o[3] for o in outs]
        truncated_any |= bool(truncated.any())
        if "final_info" in infos:  # ended envs: their last infos, before the autoreset
            done = infos["_final_info"][:, None]
            nmse_now = torch.where(done, infos["final_info"]["nmse"], infos["nmse"])
        else:
            nmse_now = infos["nmse"]
        if isinstance(venv, InterferenceLinkVecEnv):
            ours = nmse_now[:, venv.link_index].numpy()
            theirs = np.array([o[4]["nmse"] for o in outs])
        else:
            ours = nmse_now.numpy()
            theirs = np.array([[v["nmse"] for v in o[4]["links"].values()] for o in outs])
        worst["nmse"] = max(worst["nmse"], _relative(ours, theirs))
        worst["reward"] = max(
            worst["reward"], _relative(rewards.numpy(), np.array([o[1] for o in outs]))
        )
        # autoreset: the vector env returns the new episode's first observation
        single_obs = np.stack(
            [e.reset()[0] if o[3] else o[0] for e, o in zip(singles, outs, strict=True)]
        )
        worst["obs"] = max(worst["obs"], _relative(obs.numpy(), single_obs))
    return worst, truncated_any


@pytest.mark.parametrize("mode", ["power", "normalized"])
def test_batch_equals_single_envs_at_the_paper_setting(mode):
    worst, truncated = _compare_with_singles(
        "semgym/Interference-v0",
        InterferenceVecEnv,
        {**PAPER, "action_mode": mode, "max_cycles": 3},
        steps=5,
    )
    assert truncated  # an autoreset happened on the way
    assert max(worst.values()) < 1e-5, worst


def test_batch_equals_single_envs_with_precoders_and_primaries():
    kwargs = {**SMALL, "action_mode": "precoder", "max_cycles": 2}
    worst, _ = _compare_with_singles("semgym/Interference-v0", InterferenceVecEnv, kwargs, 3)
    assert max(worst.values()) < 1e-5, worst
    kwargs = {**SMALL, "primary_users": 2, "max_cycles": 2}
    worst, _ = _compare_with_singles("semgym/Interference-v0", InterferenceVecEnv, kwargs, 3)
    assert max(worst.values()) < 1e-5, worst
    kwargs = {**kwargs, "action_mode": "normalized", "enforce_caps": True}
    worst, _ = _compare_with_singles("semgym/Interference-v0", InterferenceVecEnv, kwargs, 3)
    assert max(worst.values()) < 1e-5, worst


@pytest.mark.parametrize(
    "extra", [{}, {"primary_users": 1}, {"mui_neighbours": 2}, {"encoder_pairs": "drawn"}]
)
def test_batch_of_random_topologies_equals_single_envs(extra):
    """B random topologies (one per channel seed, autoresets drawing new ones) equal B single
    envs with the same seeds; the positions in the infos too."""
    kwargs = {**SMALL, "topology": "random", "n_links": 4, "max_cycles": 2, **extra}
    worst, truncated = _compare_with_singles(
        "semgym/Interference-v0", InterferenceVecEnv, kwargs, 3
    )
    assert truncated and max(worst.values()) < 1e-5, worst
    venv = InterferenceVecEnv(3, **kwargs, dtype="float64")
    _, infos = venv.reset(seed=[5, 6, 7])
    env = interference_v0.parallel_env(**kwargs)
    _, single = env.reset(seed=6)
    for i, agent in enumerate(env.agents):
        np.testing.assert_array_equal(
            infos["tx_position"][1, i].numpy(), single[agent]["tx_position"]
        )
        np.testing.assert_array_equal(
            infos["rx_position"][1, i].numpy(), single[agent]["rx_position"]
        )


def test_link_batch_equals_single_link_envs():
    kwargs = {**SMALL, "action_mode": "normalized", "max_cycles": 2}
    worst, truncated = _compare_with_singles(
        "semgym/InterferenceLink-v0", InterferenceLinkVecEnv, kwargs, 3, link_index=1
    )
    assert truncated
    assert max(worst.values()) < 1e-5, worst


def test_float32_batch_tracks_float64_single_env():
    venv = InterferenceVecEnv(2, **PAPER, max_cycles=4)
    single = gym.make("semgym/Interference-v0", **PAPER, max_cycles=4)
    venv.reset(seed=42)
    single.reset(seed=42)
    for _ in range(3):
        actions = venv.best_response_actions()
        _, rewards, *_ = venv.step(actions)
        _, reward, *_ = single.step(actions[0].numpy())
    assert abs(float(rewards[0]) - reward) < 1e-3 * abs(reward)


def test_make_vec_vector_entry_point_and_spaces():
    _, _, infos = made_vector_env("semgym/Interference-v0", InterferenceVecEnv, 4, **SMALL)
    assert infos["nmse"].shape == (4, 3)
    link, obs, _ = made_vector_env("semgym/InterferenceLink-v0", InterferenceLinkVecEnv, 2, **SMALL)
    assert obs.shape == (2, link.single_observation_space.shape[0])


def test_returned_data_is_never_reused():
    check_returned_data_not_reused(InterferenceVecEnv(1, **SMALL, max_cycles=2))


def test_partial_reset_and_seeding():
    venv = InterferenceVecEnv(3, **SMALL)
    first, _ = venv.reset(seed=5)
    venv.step(venv.best_response_actions())
    moved = venv.batch.observations().flatten(1)
    again, _ = venv.reset(seed=[None, 6, None], options={"reset_mask": [False, True, False]})
    assert torch.equal(again[1], first[1])  # env 1 restarted with channel seed 6 = 5 + 1
    assert torch.equal(again[0], moved[0]) and torch.equal(again[2], moved[2])
    with pytest.raises(ValueError, match="reset_mask"):
        venv.reset(options={"reset_mask": [True]})


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"primary_users": 2},
        {"primary_users": 1, "enforce_caps": True, "action_mode": "normalized"},
        {"processing": "widely_linear"},
        {"processing": "widely_linear", "primary_users": 1},
        {"differentiable": True, "primary_users": 1},
        {"observe_prices": True, "primary_users": 1},
        {"hold_probability": 0.5, "action_mode": "normalized"},
    ],
    ids=[
        "plain",
        "primaries",
        "enforced-caps",
        "widely-linear",
        "widely-linear-primaries",
        "differentiable",
        "prices",
        "asynchronous",
    ],
)
def test_step_never_reads_tensors_on_the_host(monkeypatch, extra):
    """The accelerator path (device-side checks) runs a whole episode without .item(), bool(),
    .cpu(), .numpy() or .tolist() on any tensor: with primary users (priced water-filling, the
    primaries' infos, enforced caps) and widely-linear processing too."""
    venv = InterferenceVecEnv(4, **{**SMALL, **extra}, max_cycles=100)
    venv.reset(seed=0)
    actions = venv.best_response_actions()
    expected = [venv.step(actions)]
    venv.reset(seed=0)

    with no_host_reads(monkeypatch):
        for _ in range(3):
            if extra.get("differentiable"):
                actions = actions.clone().requires_grad_(True)
            out = venv.step(actions)
            if extra.get("differentiable"):  # and back: the gradient reaches the actions
                (gradient,) = torch.autograd.grad(out[1].sum(), actions)
                assert gradient.shape == actions.shape
            expected.append(out)
            actions = venv.best_response_actions()
    obs, _, _, truncated, infos = out
    assert torch.isfinite(obs).all() and not truncated.any()
    # the device-side path computes what the host path computes
    torch.testing.assert_close(expected[1][0], expected[0][0], rtol=1e-5, atol=1e-5)
    if "primary_users" in extra:
        assert infos["primary_interference"].shape == (4, extra["primary_users"])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="num_envs"):
        InterferenceVecEnv(0, **SMALL)
    with pytest.raises(ValueError, match="accuracy"):
        InterferenceVecEnv(2, **SMALL, reward="accuracy")
    with pytest.raises(ValueError, match="dtype"):
        InterferenceVecEnv(2, **SMALL, dtype="float16")
    with pytest.raises(ValueError, match="alpha"):
        InterferenceVecEnv(2, **SMALL, alpha=-1.0)
    venv = InterferenceVecEnv(2, **SMALL)
    venv.reset(seed=0)
    actions = venv.best_response_actions()
    with pytest.raises(ValueError, match="shape"):
        venv.step(actions[:, :-1])
    actions[1, 5] = float("nan")
    with pytest.raises(ValueError, match="env 1, link 0"):
        venv.step(actions)


def test_best_response_play_reaches_the_solver_equilibrium():
    """Best-response actions in the vector env are the Gauss-free Jacobi dynamics: the NMSE
    stops changing and exploitability goes to ~0 (K = 1, where Jacobi converges)."""
    venv = InterferenceVecEnv(8, **{**SMALL, "channel_uses": 1}, max_cycles=100)
    venv.reset(seed=100)
    for _ in range(40):
        _, _, _, _, infos = venv.step(venv.best_response_actions())
    assert float(infos["exploitability"].max()) < 1e-4 * float(infos["mse"].min())


def test_batch_equals_single_envs_with_asynchronous_updates():
    """Each link's update times are drawn per channel seed, step and link: a batch (with
    autoresets) equals single envs with the same seeds."""
    kwargs = {**SMALL, "action_mode": "normalized", "max_cycles": 3, "hold_probability": 0.5}
    worst, truncated = _compare_with_singles(
        "semgym/Interference-v0", InterferenceVecEnv, kwargs, 5
    )
    assert truncated and max(worst.values()) < 1e-5, worst


@pytest.mark.parametrize("action_mode", ["normalized", "precoder"])
def test_asynchronous_updates_hold_precoders(action_mode):
    """With ``hold_probability`` p a link keeps its precoder exactly (its action unused) at a
    fraction p of its steps (within 4 binomial standard deviations over 960 link-steps), and a
    link that updates plays what it would have played with every link updating."""
    kw = {**SMALL, "n_links": 3, "action_mode": action_mode, "dtype": "float64"}
    venv = InterferenceVecEnv(64, **kw, hold_probability=0.3)
    every = InterferenceVecEnv(64, **kw)
    for v in (venv, every):
        v.reset(seed=7)
    rng = np.random.default_rng(0)
    held = []
    for step in range(5):
        before = venv.batch.state
        actions = rng.uniform(-1.0, 1.0, venv.action_space.shape).astype(np.float32)
        venv.step(actions)
        after = venv.batch.state
        kept = (after.mode_blocks == before.mode_blocks).flatten(2).all(-1) & (
            after.power_blocks == before.power_blocks
        ).flatten(2).all(-1)
        held.append(kept)
        if step == 0:  # from the same start, the links that moved match the synchronous env
            every.step(actions)
            moved = every.batch.state.where(kept, after)
            torch.testing.assert_close(moved.covariance_blocks, every.batch.state.covariance_blocks)
    share = float(torch.stack(held).double().mean())
    assert abs(share - 0.3) < 4 * (0.3 * 0.7 / 960) ** 0.5, share


def test_asynchronous_best_responses_reach_an_equilibrium():
    """Five links at α = 0.5: played by every link at once, best responses do not settle on
    most instances within 80 steps; with links updating at random times (hold 0.5) they reach
    an equilibrium (no link gains by deviating) on most of them."""
    kw = {**SMALL, "n_links": 5, "alpha": 0.5, "max_cycles": 200, "dtype": "float64"}
    medians = {}
    for hold in (0.0, 0.5):
        venv = InterferenceVecEnv(16, **kw, hold_probability=hold)
        venv.reset(seed=100)
        for _ in range(80):
            _, _, _, _, infos = venv.step(venv.best_response_actions())
        relative = (infos["exploitability"] / infos["mse"]).amax(-1)
        medians[hold] = float(relative.median())
    assert medians[0.0] > 1e-3 and medians[0.5] < 1e-6, medians


def _example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sb3_recipe_trains():
    recipe = _example("train_sb3")
    kwargs = {**SMALL, "max_cycles": 4}
    model = recipe.train(4, 96, **kwargs)
    assert model.num_timesteps >= 96
    nmse = recipe.network_nmse(model, 2, 7, **kwargs)
    assert 0.0 < nmse <= 1.0 + 1e-6


def test_sb3_vec_env_conventions():
    from semgym.vector import SB3VecEnv

    venv = SB3VecEnv(InterferenceVecEnv(2, **SMALL, max_cycles=2, action_mode="normalized"))
    obs = venv.reset()
    assert obs.shape == (6, venv.observation_space.shape[0])
    actions = np.zeros((6, *venv.action_space.shape), dtype=np.float32)
    _, rewards, dones, infos = venv.step(actions)
    assert rewards.shape == (6,) and not dones.any()
    _, _, dones, infos = venv.step(actions)
    assert dones.all() and all(i["TimeLimit.truncated"] for i in infos)
    assert infos[0]["terminal_observation"].shape == obs.shape[1:]
    with pytest.raises(ValueError, match="InterferenceVecEnv"):
        SB3VecEnv(InterferenceLinkVecEnv(2, **SMALL))


def test_torchrl_env_specs_and_recipe():
    pytest.importorskip("torchrl")
    from torchrl.envs.utils import check_env_specs

    from semgym.vector import TorchRLEnv

    env = TorchRLEnv(InterferenceVecEnv(3, **SMALL, max_cycles=3, action_mode="normalized"))
    check_env_specs(env)
    rollout = env.rollout(5, break_when_any_done=False)
    assert rollout["next", "agents", "reward"].shape == (3, 5, 3, 1)
    assert rollout["next", "truncated"][:, 2].all()
    _, history = _example("train_torchrl").train(
        4, 2, steps_per_batch=4, epochs=1, **SMALL, max_cycles=4
    )
    assert len(history) == 2 and all(np.isfinite(history))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_equals_cpu():
    cpu = InterferenceVecEnv(4, **PAPER)
    gpu = InterferenceVecEnv(4, **PAPER, device="cuda")
    a, _ = cpu.reset(seed=1)
    b, _ = gpu.reset(seed=1)
    assert _relative(b.cpu().numpy(), a.numpy()) < 1e-4
    for _ in range(3):
        a, *_ = cpu.step(cpu.best_response_actions())
        b, *_ = gpu.step(gpu.best_response_actions())
    assert b.device.type == "cuda"
    assert np.isfinite(b.cpu().numpy()).all()


def test_registration_is_idempotent():
    semgym.envs.registration.register_envs()
    assert (
        gym.spec("semgym/Interference-v0").vector_entry_point == "semgym.vector:InterferenceVecEnv"
    )


@pytest.mark.parametrize(
    ("action_mode", "extra"),
    [("normalized", {}), ("power", {}), ("normalized", {"reward_scope": "team"})],
)
def test_differentiable_rewards_match_finite_differences(action_mode, extra) -> None:
    """``differentiable=True``: the gradient of the rewards with respect to the actions, by
    autograd through the closed form, matches central finite differences (float64)."""
    kw = {**SMALL, "action_mode": action_mode, "dtype": "float64", **extra}
    venv = InterferenceVecEnv(2, differentiable=True, **kw)
    gen = torch.Generator().manual_seed(0)
    shape = venv.action_space.shape
    if action_mode == "power":  # inside the budget: the projection is the identity there
        base = torch.rand(shape, generator=gen, dtype=torch.float64) * venv.batch.budget / 20
    else:
        base = torch.rand(shape, generator=gen, dtype=torch.float64) * 1.6 - 0.8
    weights = torch.rand(2, generator=gen, dtype=torch.float64)

    def objective(actions: torch.Tensor) -> torch.Tensor:
        venv.reset(seed=11)
        _, rewards, *_ = venv.step(actions)
        return (weights * rewards).sum()

    actions = base.clone().requires_grad_(True)
    value = objective(actions)
    assert value.requires_grad
    (gradient,) = torch.autograd.grad(value, actions)
    eps = 1e-6
    for index in [(0, 0), (0, 5), (1, 3), (1, shape[1] - 1), (0, shape[1] // 2)]:
        step = torch.zeros_like(base)
        step[index] = eps
        with torch.no_grad():
            numeric = (objective(base + step) - objective(base - step)) / (2 * eps)
        assert float(gradient[index]) == pytest.approx(float(numeric), rel=1e-5, abs=1e-9)


def test_differentiable_steps_with_asynchronous_updates() -> None:
    """With asynchronous updates a kept precoder is a constant of the step: a training loop
    back-propagates every step's rewards (no graph reaches back into an earlier step), the
    actions of the links that kept their precoders get no gradient and the others' do."""
    kw = {**SMALL, "n_links": 3, "dtype": "float64", "hold_probability": 0.5}
    venv = InterferenceVecEnv(8, differentiable=True, **kw)
    venv.reset(seed=3)
    gen = torch.Generator().manual_seed(1)
    held_links = moved_links = 0
    for _ in range(4):
        actions = torch.rand(venv.action_space.shape, generator=gen, dtype=torch.float64)
        actions = (actions * 1.6 - 0.8).requires_grad_(True)
        before = venv.batch.state.power_blocks.detach()
        _, rewards, *_ = venv.step(actions)
        rewards.sum().backward()
        after = venv.batch.state.power_blocks.detach()
        held = (after == before).flatten(2).all(-1)  # (B, L)
        gradient = actions.grad.view(8, 3, -1).abs().sum(-1)
        assert (gradient[held] == 0).all() and (gradient[~held] > 0).all()
        held_links, moved_links = held_links + int(held.sum()), moved_links + int((~held).sum())
    assert held_links > 0 and moved_links > 0


def test_the_default_step_records_no_graph() -> None:
    venv = InterferenceVecEnv(2, **SMALL)
    venv.reset(seed=0)
    actions = venv.best_response_actions().requires_grad_(True)
    _, rewards, *_ = venv.step(actions)
    assert not rewards.requires_grad


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_differentiable_rewards_on_cuda_equal_cpu() -> None:
    grads = []
    for device in ("cpu", "cuda"):
        venv = InterferenceVecEnv(2, **SMALL, dtype="float64", differentiable=True, device=device)
        venv.reset(seed=3)
        actions = venv.best_response_actions().clone().requires_grad_(True)
        _, rewards, *_ = venv.step(actions)
        grads.append(torch.autograd.grad(rewards.sum(), actions)[0].cpu())
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-6, atol=1e-9)
