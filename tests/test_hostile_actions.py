"""Hostile actions on both PettingZoo envs, the three Gymnasium ids and both vector envs
(NaN, ±inf, negative, huge, out of the box, wrong shapes, lists, tuples, other dtypes, complex
numbers, strings, None, ragged lists, objects): every step either raises a ``ValueError``
naming the problem, or returns finite observations inside the observation space, finite
rewards and infos consistent with the documented observation layout, reward definition and
``projected`` flag; a rejected step changes nothing (the accepted steps replayed alone give
the same numbers)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from hypothesis import strategies as st
from properties import (
    ACCEPTED,
    AP,
    KINDS,
    SEEDS,
    STEP,
    all_finite,
    as_cpu_tensor,
    as_real,
    assert_names_problem,
    assert_same,
    broadcast_kwargs,
    check_best_responses,
    check_broadcast,
    check_broadcast_step,
    check_interference,
    check_interference_step,
    check_link,
    check_primary,
    facts_of,
    fewer_with_primaries,
    gym_setups,
    hostile_action,
    interference_kwargs,
    random_action,
    twins,
    vector_setups,
)

import semgym  # noqa: F401  (registers the Gymnasium ids)
from semgym import broadcast_v0, interference_v0
from semgym.vector import InterferenceVecEnv

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# --- 1. hostile actions ----------------------------------------------------------------------
#: dict-level inputs of the PettingZoo envs
PZ_KINDS = (*KINDS, "missing", "not_a_mapping", "extra_key", "best")
PZ_ACCEPTED = (*ACCEPTED, "extra_key", "best")
PZ_STEPS = st.lists(
    st.tuples(st.sampled_from(PZ_KINDS), st.integers(0, 2**16), st.integers(0, 2**32 - 1)),
    min_size=1,
    max_size=4,
)
STEPS = st.lists(STEP, min_size=1, max_size=4)


def _pz_actions(env: Any, kind: str, where: int, seed: int) -> tuple[object, str | None]:
    """The step's actions of a PettingZoo env, and the agent whose action is hostile."""
    actions: dict[str, object] = {
        a: random_action(env.action_space(a), seed + i) for i, a in enumerate(env.agents)
    }
    target = env.agents[where % len(env.agents)]
    if kind == "missing":
        del actions[target]
    elif kind == "extra_key":
        actions["not_an_agent"] = actions[target]
    elif kind == "not_a_mapping":
        return (list(actions.values()) if where % 2 else None), None
    elif kind == "best":
        return env.best_response_actions(), None
    else:
        actions[target] = hostile_action(kind, actions[target], where, seed)
    return actions, target


def play_hostile(
    make: Callable[[], Any],
    seed: int,
    steps: list,
    act: Callable[[Any, str, int, int], tuple[object, str | None]],
    check: Callable[[Any, object | None, tuple], None],
    accepted: tuple[str, ...],
) -> None:
    """The hostile-play loop of every env: reset ``make()`` with ``seed`` and ``check`` the
    reset (``check(env, None, out)``); play ``steps`` (kind, where, action seed) with the
    actions ``act`` builds (and the agent whose action is hostile, for the message). A step of a
    kind not ``accepted`` must raise a ``ValueError`` naming the problem; the others must pass
    ``check(env, action, out)``. A rejected step changes nothing: a fresh env replaying the
    accepted steps alone gives the same outputs."""
    env = make()
    reset = env.reset(seed=seed)
    check(env, None, reset)
    played = []
    for kind, where, action_seed in steps:
        action, target = act(env, kind, where, action_seed)
        try:
            out = env.step(action)
        except ValueError as error:
            assert kind not in accepted, f"{kind} rejected: {error}"
            assert_names_problem(error, kind, target)
            continue
        assert kind in accepted, f"{kind} accepted"
        check(env, action, out)
        played.append((action, out))
    if len(played) < len(steps):  # the rejected steps changed nothing
        replay = make()
        assert_same(replay.reset(seed=seed), reset)
        for action, out in played:
            assert_same(replay.step(action), out)


def _interference_hostile(kw: dict[str, Any], dtype: str, seed: int, steps: list) -> None:
    facts = facts_of(kw, dtype)

    def check(env: Any, actions: object | None, out: tuple) -> None:
        if actions is None:
            check_interference(env, facts, *out)
            check_best_responses(env)
        else:
            check_interference_step(env, facts, actions, out)

    play_hostile(
        lambda: interference_v0.parallel_env(max_cycles=50, dtype=dtype, **kw),
        seed,
        fewer_with_primaries(kw, steps),
        _pz_actions,
        check,
        PZ_ACCEPTED,
    )


test_interference_env_hostile_actions, test_interference_env_hostile_actions_slow = twins(
    200,
    kw=interference_kwargs(),
    dtype=st.sampled_from(("float64", "float32")),
    seed=SEEDS,
    steps=PZ_STEPS,
)(_interference_hostile)


def _broadcast_hostile(kw: dict[str, Any], seed: int, steps: list) -> None:
    facts = facts_of(kw)

    def act(env: Any, kind: str, where: int, seed: int) -> tuple[object, str | None]:
        # no best response in the downlink env: a plain valid action
        return _pz_actions(env, "valid" if kind == "best" else kind, where, seed)

    def check(env: Any, actions: Any, out: tuple) -> None:
        if actions is None:
            observations, infos = out
            assert env.possible_agents == env.agents == [AP]
            space = env.observation_space(AP)
            check_broadcast(space, facts, observations[AP], infos[AP], reset=True)
        else:
            check_broadcast_step(env, facts, actions[AP], out)

    play_hostile(
        lambda: broadcast_v0.parallel_env(max_cycles=50, **kw),
        seed,
        steps,
        act,
        check,
        PZ_ACCEPTED,
    )


test_broadcast_env_hostile_actions, test_broadcast_env_hostile_actions_slow = twins(
    150, kw=broadcast_kwargs(), seed=SEEDS, steps=PZ_STEPS
)(_broadcast_hostile)


def _check_gym_step(
    env_id: str, env: gym.Env, kw: dict[str, Any], action: object, out: tuple
) -> None:
    """A step of one of the gym ids (or, with ``action`` None, the reset's (obs, info))."""
    facts, reset = facts_of(kw), action is None
    obs, info = (out[0], out[1]) if reset else (out[0], out[4])
    assert obs.dtype == np.float32 and env.observation_space.contains(obs), obs
    assert np.all(np.isfinite(obs)) and all_finite(out)
    if not reset:
        reward, terminated, truncated = out[1], out[2], out[3]
        assert isinstance(reward, float) and math.isfinite(reward)
        assert terminated is False and truncated is False
    if env_id == "semgym/Broadcast-v0":
        check_broadcast(env.observation_space, facts, obs, info, action, reset=reset)
        if not reset:
            assert out[1] == -info[facts.reward]
        return
    if env_id == "semgym/InterferenceLink-v0":
        check_link(obs, info, facts, None if reset else as_real(action))
        check_primary(info, facts.primaries)
        if not reset and facts.team:  # the network's mean, from the env's own scores
            evaluation = env.unwrapped.multi.evaluation
            network = -float(getattr(evaluation, facts.reward).double().mean())
            rtol = 1e-6 if facts.single else 1e-12  # the mean taken in the computation's dtype
            assert abs(out[1] - network) <= rtol * max(1.0, abs(network))
        elif not reset:
            assert out[1] == -info[facts.reward]
        return
    links = [f"link_{i}" for i in range(facts.n)]  # the central controller of every link
    assert list(info["links"]) == links
    rows = obs.reshape(facts.n, -1)
    parts = None if reset else as_real(action).reshape(facts.n, -1)
    for i, agent in enumerate(links):
        check_link(rows[i], info["links"][agent], facts, None if reset else parts[i])
        check_primary(info["links"][agent], facts.primaries)
    nmse = [info["links"][a]["nmse"] for a in links]
    assert abs(info["network_nmse"] - np.mean(nmse)) <= 1e-12
    if not reset:
        per_link = [-info["links"][a][facts.reward] for a in links]
        rtol = 1e-6 if facts.single and facts.team else 1e-12  # a float32 mean in the env
        assert abs(out[1] - np.mean(per_link)) <= rtol * max(1.0, abs(out[1]))


def _hostile_in_space(env: Any, kind: str, where: int, seed: int) -> tuple[object, None]:
    """A hostile action of kind ``kind`` made from a random action of ``env.action_space``."""
    return hostile_action(kind, random_action(env.action_space, seed), where, seed), None


def _gym_hostile(setup: tuple[str, dict[str, Any]], seed: int, steps: list) -> None:
    env_id, kw = setup
    play_hostile(
        lambda: gym.make(env_id, max_cycles=50, **kw),
        seed,
        fewer_with_primaries(kw, steps),
        _hostile_in_space,
        lambda env, action, out: _check_gym_step(env_id, env, kw, action, out),
        ACCEPTED,
    )


test_gym_ids_hostile_actions, test_gym_ids_hostile_actions_slow = twins(
    150, setup=gym_setups(), seed=SEEDS, steps=STEPS
)(_gym_hostile)


LINK_KEYS = ("mse", "nmse", "mui_power", "exploitability", "projected")


def _check_vector_step(
    venv: InterferenceVecEnv, kw: dict[str, Any], dtype: str, action: object | None, out: tuple
) -> None:
    """Tensors of a vector env step (or the reset's (obs, infos) when ``action`` is None)."""
    facts, reset = facts_of(kw, dtype), action is None
    obs, infos = (out[0], out[1]) if reset else (out[0], out[4])
    b = venv.num_envs
    assert isinstance(obs, torch.Tensor) and obs.dtype == torch.float32
    assert obs.device.type == "cpu" and venv.observation_space.contains(obs.numpy()), obs
    assert all_finite(out)
    for key in LINK_KEYS:
        assert tuple(infos[key].shape) == (b, facts.n)
    assert infos["projected"].dtype == torch.bool
    torch.testing.assert_close(infos["network_nmse"], infos["nmse"].mean(-1))
    link = kw.get("link_index")
    if not reset:
        rewards, terminated, truncated = out[1], out[2], out[3]
        assert tuple(rewards.shape) == (b,) and not bool(terminated.any())
        assert not bool(truncated.any())
        per_link = -infos[facts.reward]
        expected = per_link.mean(-1) if link is None or facts.team else per_link[:, link]
        torch.testing.assert_close(rewards, expected.to(rewards.dtype), rtol=1e-6, atol=1e-7)
    actions = None if reset else as_real(action).reshape(b, -1)
    links = range(facts.n) if link is None else [link]
    for env in range(b):
        rows = obs[env].numpy().reshape(len(links), -1)
        parts = None if reset else actions[env].reshape(len(links), -1)
        for row, i in enumerate(links):
            info = {k: infos[k][env, i].item() for k in LINK_KEYS}
            if facts.primaries:  # (B, P) W and (B,) bool, the primaries' side of the step
                assert tuple(infos["primary_interference"].shape) == (b, facts.primaries)
                info["primary_caps_hold"] = bool(infos["primary_caps_hold"][env])
            check_link(rows[row], info, facts, None if parts is None else parts[row])


def _vector_hostile(setup: tuple, seed: int, steps: list) -> None:
    cls, num_envs, dtype, kw = setup

    def act(venv: Any, kind: str, where: int, seed: int) -> tuple[object, None]:
        return as_cpu_tensor(_hostile_in_space(venv, kind, where, seed)[0]), None

    def check(venv: Any, action: object | None, out: tuple) -> None:
        _check_vector_step(venv, kw, dtype, action, out)
        if action is None:
            best = venv.best_response_actions()
            links = 1 if cls is InterferenceVecEnv else kw["n_links"]
            width = venv.single_action_space.shape[0] * links
            assert tuple(best.shape) == (num_envs, width) and bool(torch.isfinite(best).all())

    play_hostile(
        lambda: cls(num_envs, dtype=dtype, max_cycles=50, **kw),
        seed,
        fewer_with_primaries(kw, steps),
        act,
        check,
        ACCEPTED,
    )


test_vector_envs_hostile_actions, test_vector_envs_hostile_actions_slow = twins(
    150, setup=vector_setups(), seed=SEEDS, steps=STEPS
)(_vector_hostile)
