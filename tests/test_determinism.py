"""Determinism: the same seed gives the same trajectory (observations, rewards, infos),
through truncations, unseeded resets and the vector envs' autoresets; vector env b equals the
single env seeded with s + b; ``copy.deepcopy`` and ``pickle`` of an env mid-episode continue
exactly like the original."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from hypothesis import strategies as st
from properties import (
    SEEDS,
    all_finite,
    assert_same,
    broadcast_kwargs,
    fewer_with_primaries,
    gym_setups,
    interference_kwargs,
    random_action,
    twins,
    vector_setups,
)

import semgym  # noqa: F401  (registers the Gymnasium ids)
from semgym import broadcast_v0, interference_v0
from semgym.vector import InterferenceLinkVecEnv, InterferenceVecEnv

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# --- 2. determinism, copies and pickles ------------------------------------------------------
#: a plan step: act at random in the action space, or (interference) every link's best response
PLAN = st.lists(st.tuples(st.sampled_from(("random", "random", "best")), SEEDS), max_size=5)
MAX_CYCLES = st.integers(1, 3)


def _pz_run(env: Any, plan: list) -> list:
    """Step a PettingZoo env through ``plan``; a finished episode is reset without a seed (the
    env's RNG draws the channel seed). Returns every output."""
    outputs: list[object] = []
    for kind, seed in plan:
        if not env.agents:
            outputs.append(env.reset())
        if kind == "best" and hasattr(env, "best_response_actions"):
            actions = env.best_response_actions()
        else:
            actions = {
                a: random_action(env.action_space(a), seed + i) for i, a in enumerate(env.agents)
            }
        outputs.append((actions, env.step(actions)))
    return outputs


def _gym_run(env: gym.Env, plan: list, done: bool = False) -> tuple[list, bool]:
    """Step a gym env through ``plan`` (reset without a seed after a truncation)."""
    outputs: list[object] = []
    for _, seed in plan:
        if done:
            outputs.append(env.reset())
        action = random_action(env.action_space, seed)
        out = env.step(action)
        outputs.append((action, out))
        done = bool(out[2] or out[3])
    return outputs, done


def _vector_run(venv: InterferenceVecEnv, plan: list) -> list:
    """Step a vector env through ``plan`` (CPU tensors; its autoreset ends episodes)."""
    outputs: list[object] = []
    for kind, seed in plan:
        if kind == "best":
            actions = venv.best_response_actions()
            if isinstance(venv, InterferenceLinkVecEnv):  # (B, L·A): the learning link's
                width = venv.single_action_space.shape[0]
                link = venv.link_index
                actions = actions[:, link * width : (link + 1) * width]
        else:
            actions = torch.from_numpy(random_action(venv.action_space, seed))
        outputs.append((actions, venv.step(actions)))
    return outputs


@st.composite
def pettingzoo_setups(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """("interference" or "broadcast", keyword arguments with a short max_cycles)."""
    if draw(st.booleans()):
        kw = draw(interference_kwargs())
        kw["dtype"] = draw(st.sampled_from(("float64", "float32")))
        return "interference", {**kw, "max_cycles": draw(MAX_CYCLES)}
    return "broadcast", {**draw(broadcast_kwargs()), "max_cycles": draw(MAX_CYCLES)}


def _pettingzoo_env(setup: tuple[str, dict[str, Any]]) -> Any:
    name, kw = setup
    module = interference_v0 if name == "interference" else broadcast_v0
    return module.parallel_env(**kw)


def _pettingzoo_deterministic(setup: tuple[str, dict[str, Any]], seed: int, plan: list) -> None:
    plan = fewer_with_primaries(setup[1], plan)
    first, second = _pettingzoo_env(setup), _pettingzoo_env(setup)
    ours = [first.reset(seed=seed), *_pz_run(first, plan)]
    assert_same(ours, [second.reset(seed=seed), *_pz_run(second, plan)])
    assert all_finite(ours)
    # reset(seed) of a used env starts the same trajectory again
    assert_same([first.reset(seed=seed), *_pz_run(first, plan)], ours)


test_pettingzoo_envs_deterministic, test_pettingzoo_envs_deterministic_slow = twins(
    80, setup=pettingzoo_setups(), seed=SEEDS, plan=PLAN
)(_pettingzoo_deterministic)


def _gym_deterministic(
    setup: tuple[str, dict[str, Any]], max_cycles: int, seed: int, plan: list
) -> None:
    env_id, kw = setup
    plan = fewer_with_primaries(kw, plan)
    first, second = (gym.make(env_id, max_cycles=max_cycles, **kw) for _ in range(2))
    ours = [first.reset(seed=seed), *_gym_run(first, plan)[0]]
    assert_same(ours, [second.reset(seed=seed), *_gym_run(second, plan)[0]])
    assert all_finite(ours)
    assert_same([first.reset(seed=seed), *_gym_run(first, plan)[0]], ours)


test_gym_ids_deterministic, test_gym_ids_deterministic_slow = twins(
    60, setup=gym_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, plan=PLAN
)(_gym_deterministic)


def _vector_deterministic(setup: tuple, max_cycles: int, seed: int, plan: list) -> None:
    cls, num_envs, dtype, kw = setup
    plan = fewer_with_primaries(kw, plan)
    first, second = (cls(num_envs, dtype=dtype, max_cycles=max_cycles, **kw) for _ in range(2))
    ours = [first.reset(seed=seed), *_vector_run(first, plan)]
    assert_same(ours, [second.reset(seed=seed), *_vector_run(second, plan)])
    assert all_finite(ours)
    assert_same([first.reset(seed=seed), *_vector_run(first, plan)], ours)


test_vector_envs_deterministic, test_vector_envs_deterministic_slow = twins(
    60, setup=vector_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, plan=PLAN
)(_vector_deterministic)


def _vector_equals_single_envs(setup: tuple, max_cycles: int, seed: int, plan: list) -> None:
    """Env b of a vector env is the single gym env reset with seed s + b, step by step,
    through autoresets (documented; float64 here)."""
    cls, num_envs, _, kw = setup
    plan = fewer_with_primaries(kw, plan)
    env_id = "semgym/Interference-v0" if cls is InterferenceVecEnv else "semgym/InterferenceLink-v0"
    venv = cls(num_envs, dtype="float64", max_cycles=max_cycles, **kw)
    singles = [
        gym.make(env_id, dtype="float64", max_cycles=max_cycles, **kw) for _ in range(num_envs)
    ]
    obs, _ = venv.reset(seed=seed)
    for b, env in enumerate(singles):
        np.testing.assert_allclose(
            obs[b].numpy(), env.reset(seed=seed + b)[0], rtol=1e-9, atol=1e-9
        )
    for _, action_seed in plan:
        actions = random_action(venv.action_space, action_seed)
        obs, rewards, _, truncated, infos = venv.step(torch.from_numpy(actions))
        for b, env in enumerate(singles):
            single_obs, reward, _, single_truncated, _ = env.step(actions[b])
            assert bool(truncated[b]) == single_truncated
            if single_truncated:  # the vector env autoresets; the single env resets unseeded
                np.testing.assert_allclose(
                    infos["final_obs"][b].numpy(), single_obs, rtol=1e-9, atol=1e-9
                )
                single_obs = env.reset()[0]
            np.testing.assert_allclose(obs[b].numpy(), single_obs, rtol=1e-9, atol=1e-9)
            assert abs(float(rewards[b]) - reward) <= 1e-9 * max(1.0, abs(reward))


test_vector_env_equals_single_envs, test_vector_env_equals_single_envs_slow = twins(
    30, setup=vector_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, plan=PLAN
)(_vector_equals_single_envs)


def _assert_copies_continue(env: object, run: Callable[[Any], object]) -> None:
    """A deep copy and a pickle of ``env`` (mid-episode) continue exactly like ``env``:
    ``run`` of each gives the same outputs."""
    clones = [copy.deepcopy(env), pickle.loads(pickle.dumps(env))]
    ours = run(env)
    for clone in clones:
        assert_same(run(clone), ours)


def _pettingzoo_copies(
    setup: tuple[str, dict[str, Any]], seed: int, prefix: list, plan: list
) -> None:
    prefix, plan = fewer_with_primaries(setup[1], prefix), fewer_with_primaries(setup[1], plan)
    env = _pettingzoo_env(setup)
    env.reset(seed=seed)
    _pz_run(env, prefix)
    _assert_copies_continue(env, lambda e: _pz_run(e, plan))


PREFIX = st.lists(st.tuples(st.sampled_from(("random", "best")), SEEDS), min_size=1, max_size=3)

test_pettingzoo_envs_copy_and_pickle, test_pettingzoo_envs_copy_and_pickle_slow = twins(
    60, setup=pettingzoo_setups(), seed=SEEDS, prefix=PREFIX, plan=PLAN
)(_pettingzoo_copies)


def _gym_copies(setup: tuple, max_cycles: int, seed: int, prefix: list, plan: list) -> None:
    env_id, kw = setup
    prefix, plan = fewer_with_primaries(kw, prefix), fewer_with_primaries(kw, plan)
    env = gym.make(env_id, max_cycles=max_cycles, **kw)
    env.reset(seed=seed)
    _, done = _gym_run(env, prefix)
    _assert_copies_continue(env, lambda e: _gym_run(e, plan, done)[0])


test_gym_ids_copy_and_pickle, test_gym_ids_copy_and_pickle_slow = twins(
    50, setup=gym_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, prefix=PREFIX, plan=PLAN
)(_gym_copies)


def _vector_copies(setup: tuple, max_cycles: int, seed: int, prefix: list, plan: list) -> None:
    cls, num_envs, dtype, kw = setup
    prefix, plan = fewer_with_primaries(kw, prefix), fewer_with_primaries(kw, plan)
    venv = cls(num_envs, dtype=dtype, max_cycles=max_cycles, **kw)
    venv.reset(seed=seed)
    _vector_run(venv, prefix)
    _assert_copies_continue(venv, lambda e: _vector_run(e, plan))


test_vector_envs_copy_and_pickle, test_vector_envs_copy_and_pickle_slow = twins(
    50, setup=vector_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, prefix=PREFIX, plan=PLAN
)(_vector_copies)
