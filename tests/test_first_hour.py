"""What a new user meets first: async vector envs and SuperSuit's processes after threaded
torch work, symmetric default action spaces, a generic PPO through ``gym.make``, and the
prepared-pair cache that makes a new process fast."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch

import semgym  # noqa: F401  (registers the ids)
from semgym import broadcast_v0, interference_v0
from semgym.envs.registration import GYM_IDS
from semgym.presets import HELD_OUT_SEEDS, get_preset

#: Run in a fresh interpreter, as a user's script would: threaded torch work first (libgomp then
#: holds a team of threads that a forked child does not have), then the multi-process vector
#: envs with their default start method (fork on Linux; a test suite may have switched its
#: own process to spawn, which would hide the problem).
ASYNC = """
import sys
import numpy as np
import torch
import gymnasium as gym
import semgym
from semgym import interference_v0

torch.set_num_threads(2)
torch.linalg.qr(torch.randn(256, 64, 64, dtype=torch.float64))
import multiprocessing
print("start method", multiprocessing.get_start_method(allow_none=True) or "default")


def play(envs, seed):
    rng = np.random.default_rng(seed)
    observations, _ = envs.reset(seed=seed)
    out = [observations]
    while True:
        actions = rng.uniform(-1.0, 1.0, envs.action_space.shape).astype(np.float32)
        observations, rewards, _, truncations, _ = envs.step(actions)
        out += [observations, rewards]
        if truncations.all():
            return out


if sys.argv[1] == "async":
    results = {}
    for mode in ("async", "sync"):
        envs = gym.make_vec("semgym/Interference-v0", num_envs=4, vectorization_mode=mode)
        try:
            results[mode] = play(envs, 3)
        finally:
            envs.close()
    assert len(results["async"]) == len(results["sync"]) == 1 + 2 * 50
    for a, b in zip(results["async"], results["sync"], strict=True):
        np.testing.assert_array_equal(a, b)
else:
    import supersuit

    vec = supersuit.pettingzoo_env_to_vec_env_v1(interference_v0.parallel_env(max_cycles=5))
    envs = supersuit.concat_vec_envs_v1(vec, 2, num_cpus=2, base_class="gymnasium")
    try:
        observations, _ = envs.reset(seed=0)
        assert observations.shape == (2 * 3, *vec.observation_space.shape)
        for _ in range(5):
            actions = np.stack([envs.action_space.sample() for _ in range(envs.num_envs)])
            observations, rewards, _, truncations, _ = envs.step(actions)
            assert np.all(np.isfinite(observations)) and np.all(np.isfinite(rewards))
        assert np.all(truncations)
    finally:
        envs.close()
print("ok")
"""


def _fresh_process(what: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", ASYNC, what], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
    assert "start method default" in result.stdout or "start method fork" in result.stdout


def test_async_vector_env_with_default_arguments_equals_sync() -> None:
    """``gym.make_vec(..., vectorization_mode="async")`` with default arguments and the default
    start method, after threaded torch work: resets, steps to truncation, closes, and gives the
    sync mode's numbers."""
    _fresh_process("async")


def test_supersuit_multiprocess_concatenation_steps_and_closes() -> None:
    pytest.importorskip("supersuit")
    _fresh_process("supersuit")


@pytest.mark.parametrize("env_id", sorted(GYM_IDS))
def test_every_id_defaults_to_a_symmetric_action_space(env_id: str) -> None:
    space = gym.make(env_id, latents="synthetic").action_space
    assert np.all(space.low == -1.0) and np.all(space.high == 1.0), (env_id, space)


def test_every_pettingzoo_env_defaults_to_a_symmetric_action_space() -> None:
    for env in (
        interference_v0.parallel_env(latents="synthetic"),
        broadcast_v0.parallel_env(latents="synthetic"),
    ):
        for agent in env.possible_agents:
            space = env.action_space(agent)
            assert np.all(space.low == -1.0) and np.all(space.high == 1.0), space


def _mean_return(env: gym.Env, act, seeds) -> float:
    returns = []
    for seed in seeds:
        observation, _ = env.reset(seed=int(seed))
        total, done = 0.0, False
        while not done:
            observation, reward, terminated, truncated, _ = env.step(act(observation))
            total += reward
            done = terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


def test_default_sb3_ppo_through_gym_make_beats_random_on_low_snr() -> None:
    """A plain SB3 PPO, default hyperparameters, on the ``low-snr`` preset through
    ``gym.make`` with nothing but the preset's keywords: after a small budget its deterministic
    policy beats the random policy on held-out seeds."""
    sb3 = pytest.importorskip("stable_baselines3")
    kwargs = get_preset("low-snr").env_kwargs(max_cycles=10)
    env = gym.make("semgym/InterferenceLink-v0", **kwargs)
    model = sb3.PPO("MlpPolicy", env, seed=0, device="cpu", n_steps=512, verbose=0)
    model.learn(1024)
    evaluation = gym.make("semgym/InterferenceLink-v0", **kwargs)
    seeds = HELD_OUT_SEEDS[:4]
    learned = _mean_return(evaluation, lambda o: model.predict(o, deterministic=True)[0], seeds)
    rng = np.random.default_rng(0)
    space = evaluation.action_space
    random = _mean_return(
        evaluation, lambda o: rng.uniform(space.low, space.high).astype(np.float32), seeds
    )
    assert learned > random, (learned, random)


def test_prepared_pairs_come_from_the_disk_cache(tmp_path, monkeypatch) -> None:
    """A new process reads a link's prepared pair (whitening, statistics, SVD) from the disk
    cache instead of computing it: the same numbers, and a damaged entry is recomputed."""
    from semgym.scenarios import latents

    monkeypatch.setenv("SEMGYM_CACHE", str(tmp_path))
    first = latents._prepare("synthetic", "tx", "rx", None, False, "linear")
    files = sorted((tmp_path / "pairs").glob("*.pt"))
    assert len(files) == 1
    computed = []
    monkeypatch.setattr(
        latents,
        "_compute_pair",
        lambda *a, **k: computed.append(1) or pytest.fail("recomputed a cached pair"),
    )
    again = latents._prepare("synthetic", "tx", "rx", None, False, "linear")
    assert not computed
    for name in ("cross_covariance", "singular_values", "right_vectors", "cross_gram"):
        assert torch.equal(getattr(again.pair.stats, name), getattr(first.pair.stats, name))
    assert torch.equal(again.test_symbols, first.test_symbols)
    # one flipped byte: recomputed (with a warning), never used
    data = bytearray(files[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    files[0].write_bytes(bytes(data))
    monkeypatch.undo()
    monkeypatch.setenv("SEMGYM_CACHE", str(tmp_path))
    recomputed = latents._prepare("synthetic", "tx", "rx", None, False, "linear")
    assert torch.equal(recomputed.pair.stats.cross_gram, first.pair.stats.cross_gram)
