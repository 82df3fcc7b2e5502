"""The batched downlink (BroadcastVecEnv): a batch of B equals B single envs, solvers act on
its batched scenario, and its step never reads a tensor on the host."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_returned_data_not_reused
from helpers import made_vector_env, no_host_reads

import semgym  # noqa: F401 (registers the ids)
from semgym.solvers import federated_admm, first_k
from semgym.vector import BroadcastVecEnv

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SMALL = {"latents": "synthetic", "n_users": 3, "n_tx": 2, "n_rx": 2, "channel_uses": 4}


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


@pytest.mark.parametrize("action_mode", ["precoder", "power"])
def test_batch_equals_single_envs_through_autoresets(action_mode: str) -> None:
    b, seed = 3, 27
    kwargs = {**SMALL, "action_mode": action_mode, "max_cycles": 2}
    venv = BroadcastVecEnv(b, dtype="float64", **kwargs)
    singles = [gym.make("semgym/Broadcast-v0", **kwargs) for _ in range(b)]
    obs, infos = venv.reset(seed=seed)
    single = [e.reset(seed=seed + i) for i, e in enumerate(singles)]
    assert _relative(obs.numpy(), np.stack([o for o, _ in single])) < 1e-10
    assert (
        _relative(infos["user_nmse"].numpy(), np.stack([i["user_nmse"] for _, i in single])) < 1e-10
    )
    rng = np.random.default_rng(0)
    autoreset = False
    for _ in range(5):
        actions = rng.uniform(
            venv.single_action_space.low, venv.single_action_space.high, venv.action_space.shape
        )
        obs, rewards, terminated, truncated, infos = venv.step(actions)
        outs = [e.step(actions[i]) for i, e in enumerate(singles)]
        assert truncated.tolist() == [o[3] for o in outs] and not terminated.any()
        ended = infos.get("_final_info", torch.zeros(b, dtype=torch.bool))
        user_nmse = infos["final_info"]["user_nmse"] if "final_info" in infos else None
        for i, out in enumerate(outs):
            assert float(rewards[i]) == pytest.approx(out[1], rel=1e-10)
            got = user_nmse[i] if bool(ended[i]) else infos["user_nmse"][i]
            np.testing.assert_allclose(got.numpy(), out[4]["user_nmse"], rtol=1e-10)
        expected = np.stack(
            [e.reset()[0] if o[3] else o[0] for e, o in zip(singles, outs, strict=True)]
        )
        assert _relative(obs.numpy(), expected) < 1e-10
        autoreset |= bool(truncated.any())
    assert autoreset


def test_float32_batch_tracks_float64_single_env() -> None:
    venv = BroadcastVecEnv(2, **SMALL, max_cycles=4)
    single = gym.make("semgym/Broadcast-v0", **SMALL, max_cycles=4)
    venv.reset(seed=42)
    single.reset(seed=42)
    actions = np.random.default_rng(1).uniform(-0.05, 0.05, venv.action_space.shape)
    _, rewards, *_ = venv.step(actions)
    _, reward, *_ = single.step(actions[0])
    assert abs(float(rewards[0]) - reward) < 1e-4 * abs(reward)


def test_solvers_act_on_the_batched_downlink() -> None:
    """Federated ADMM and First-K take the vector env's Downlink as it is; their precoders,
    played through the precoder action, score exactly what the solvers computed."""
    venv = BroadcastVecEnv(3, dtype="float64", **SMALL, max_cycles=5)
    venv.reset(seed=100)
    for result in (federated_admm(venv.downlink), first_k(venv.downlink)):
        z = result.consensus if hasattr(result, "consensus") else result.precoder
        precoders = z if z.dim() == 3 else z.expand(3, -1, -1)
        nmse = result.nmse[-1] if result.nmse.dim() == 3 else result.nmse
        _, rewards, _, _, infos = venv.step(venv.encode_precoders(precoders))
        torch.testing.assert_close(infos["user_nmse"], nmse, rtol=1e-6, atol=0)
        torch.testing.assert_close(rewards, -nmse.mean(-1), rtol=1e-6, atol=0)
        assert not infos["projected"].any()


def test_make_vec_entry_point_spaces_and_data() -> None:
    _, _, infos = made_vector_env("semgym/Broadcast-v0", BroadcastVecEnv, 4, **SMALL)
    assert infos["user_nmse"].shape == (4, 3) and infos["nmse"].shape == (4,)
    check_returned_data_not_reused(BroadcastVecEnv(1, **SMALL, max_cycles=2))


def test_partial_reset() -> None:
    venv = BroadcastVecEnv(3, **SMALL)
    first, _ = venv.reset(seed=5)
    venv.step(np.full(venv.action_space.shape, 0.01, np.float32))
    moved = venv.batch.observations()
    again, _ = venv.reset(seed=[None, 6, None], options={"reset_mask": [False, True, False]})
    assert torch.equal(again[1], first[1])  # env 1 restarted with channel seed 6 = 5 + 1
    assert torch.equal(again[0], moved[0]) and torch.equal(again[2], moved[2])


def test_step_never_reads_tensors_on_the_host(monkeypatch) -> None:
    venv = BroadcastVecEnv(2, **SMALL, max_cycles=100)
    venv.reset(seed=0)
    actions = torch.full(venv.action_space.shape, 0.01)

    with no_host_reads(monkeypatch):
        for _ in range(3):
            obs, _, _, truncated, _ = venv.step(actions)
    assert torch.isfinite(obs).all() and not truncated.any()


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="num_envs"):
        BroadcastVecEnv(0, **SMALL)
    with pytest.raises(ValueError, match="accuracy"):
        BroadcastVecEnv(2, **SMALL, reward="accuracy")
    with pytest.raises(ValueError, match="n_users"):
        BroadcastVecEnv(2, **{**SMALL, "n_users": 0})
    venv = BroadcastVecEnv(2, **SMALL)
    venv.reset(seed=0)
    actions = np.zeros(venv.action_space.shape, np.float32)
    with pytest.raises(ValueError, match="shape"):
        venv.step(actions[:, :-1])
    actions[1, 3] = np.nan
    with pytest.raises(ValueError, match="env 1"):
        venv.step(actions)
    with pytest.raises(ValueError, match="precoders must have shape"):
        venv.encode_precoders(torch.zeros(2, 2, 2, dtype=torch.complex128))
