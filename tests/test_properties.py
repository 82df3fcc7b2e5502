"""Property-based guards of semgym's public behaviour (hypothesis).

What is guarded, on random valid configurations of the synthetic bank:

- both PettingZoo envs (``interference_v0``, ``broadcast_v0``), the three Gymnasium ids and
  both vector envs under hostile actions (NaN, ±inf, negative, huge, out of the box, wrong
  shapes, lists, tuples, other dtypes, complex numbers, strings, None, ragged lists, objects):
  every step either raises a ``ValueError`` naming the problem, or returns finite observations
  inside the observation space, finite rewards and infos consistent with the documented
  observation layout, reward definition and ``projected`` flag; a rejected step changes
  nothing (the accepted steps replayed alone give the same numbers);
- determinism: the same seed gives the same trajectory (observations, rewards, infos),
  through truncations, unseeded resets and the vector envs' autoresets; vector env b equals
  the single env seeded with s + b;
- ``copy.deepcopy`` and ``pickle`` of an env mid-episode continue exactly like the original;
- the solvers: finite outputs, feasible powers and precoders, exploitability >= 0, the
  best response below any state's MSE, the MUI-less bound below every allocation's MSE, the
  multi-link bound below every shared precoder's MSE, determinism, batches equal single games;
- invalid constructor arguments raise a ``ValueError`` naming the field.

Each test exists twice: the default one and a ``slow`` twin with ``SLOW_FACTOR`` times the
examples (``pytest -m slow``). Every run is derandomized (reproducible).
"""

from __future__ import annotations

import copy
import math
import pickle
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import semgym  # noqa: F401  (registers the Gymnasium ids)
from semgym import broadcast_v0, interference_v0
from semgym.channels import InterferenceChannelConfig
from semgym.channels.interference import sample_rayleigh_downlink
from semgym.scenarios import (
    Downlink,
    DownlinkConfig,
    GameOperator,
    InterferenceGame,
    prepare_users,
)
from semgym.solvers import (
    FederatedSettings,
    best_response_dynamics,
    federated_admm,
    first_k,
    mmse_svd_least_squares,
    mui_agnostic_design,
    mui_less_bound,
    multi_link,
    random_powers,
    top_k,
    uniform_powers,
)
from semgym.vector import InterferenceLinkVecEnv, InterferenceVecEnv

#: The slow twins run this many times the default examples.
SLOW_FACTOR = 10
BANK = "synthetic"
AP = "access_point"


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    """One intra-op thread: on a small shared machine LAPACK threads contend (the numbers do
    not depend on it). Restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _twins(examples: int, **strategies: Any) -> Callable[[Callable[..., None]], tuple[Any, Any]]:
    """(default test, slow test) of one body: ``examples`` and ``SLOW_FACTOR·examples`` cases."""

    def build(body: Callable[..., None]) -> tuple[Any, Any]:
        def variant(n: int) -> Any:
            return settings(
                max_examples=n,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            )(given(**strategies)(body))

        return variant(examples), pytest.mark.slow(variant(examples * SLOW_FACTOR))

    return build


# --- configurations ------------------------------------------------------------------------
SEEDS = st.integers(0, 2**31 - 2)
ALPHAS = st.floats(0.5, 50.0)
SNRS = st.one_of(st.none(), st.floats(-30.0, 60.0))
#: primary users in about 1 of 12 configurations (1 or 2 of them): their priced water-filling
#: takes about 0.4 s a step whatever the size, the rest of a small step a few ms
PRIMARIES = st.sampled_from((0,) * 22 + (1, 2))  # (integers would favour 0 far more)
INTERFERENCE_MODES = ("power", "normalized", "precoder")
BROADCAST_MODES = ("precoder", "power")


def _as_drawn(draw: st.DrawFn, value: int | float) -> object:
    """``value`` as it comes, or as the NumPy scalar a sweep or config loader would pass."""
    kind = np.int64 if isinstance(value, int) else np.float64
    return draw(st.sampled_from((value, kind(value))))


@st.composite
def interference_kwargs(draw: st.DrawFn, *, primary: bool = True) -> dict[str, Any]:
    """Keyword arguments of a valid interference env (K·N_T <= 9 <= the bank's 128 symbols)."""
    n_tx, n_rx = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kw: dict[str, Any] = {
        "latents": BANK,
        "n_links": _as_drawn(draw, draw(st.integers(1, 4))),
        "channel_uses": draw(st.integers(1, 3)),
        "alpha": _as_drawn(draw, draw(ALPHAS)),
        "snr_db": draw(SNRS),
        "tx_power_w": draw(st.sampled_from((1.0, 0.1, 4.0))),
        "fading": draw(st.sampled_from(("rician", "rayleigh"))),
        "action_mode": draw(st.sampled_from(INTERFERENCE_MODES)),
        "reward": draw(st.sampled_from(("nmse", "mse"))),
        "primary_users": draw(PRIMARIES) if primary else 0,
    }
    if kw["primary_users"] and kw["action_mode"] != "precoder":
        kw["enforce_caps"] = draw(st.booleans())
    event(f"primary users: {kw['primary_users']}")  # shown by --hypothesis-show-statistics
    event(f"action mode: {kw['action_mode']}")
    if n_tx == n_rx and draw(st.booleans()):
        kw["n_antennas"] = n_tx
    else:
        kw["n_tx_antennas"], kw["n_rx_antennas"] = n_tx, n_rx
    return kw


@st.composite
def broadcast_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of a valid downlink env (K·N_T <= 9 <= the AP's 128 symbols)."""
    return {
        "latents": BANK,
        "n_users": _as_drawn(draw, draw(st.integers(1, 4))),
        "n_tx": draw(st.integers(1, 3)),
        "n_rx": draw(st.integers(1, 3)),
        "channel_uses": draw(st.integers(1, 3)),
        "snr_db": _as_drawn(draw, draw(st.floats(-30.0, 60.0))),
        "power": draw(st.sampled_from((1.0, 0.1, 4.0))),
        "user_group": draw(st.sampled_from(("heterogeneous", "homogeneous"))),
        "pilot_fraction": draw(st.sampled_from((1.0, 0.5, 0.1))),
        "action_mode": draw(st.sampled_from(BROADCAST_MODES)),
        "reward": draw(st.sampled_from(("nmse", "mse"))),
    }


def _fewer_with_primaries(kw: dict[str, Any], steps: list) -> list:
    """At most one step when there are primary users (their steps are slow)."""
    return steps[:1] if kw.get("primary_users") else steps


# --- hostile actions -----------------------------------------------------------------------
#: finite, real, right-shaped: must be accepted (projected or clipped as documented)
ACCEPTED = ("valid", "valid", "negative", "huge", "scaled", "list", "tuple", "float16", "int")
ACCEPTED += ("bool", "tensor")
NON_FINITE = ("nan", "posinf", "neginf")
BAD_SHAPE = ("short", "long", "matrix", "scalar", "empty")
BAD_TYPE = ("complex", "string", "none", "objects", "ragged", "bigint")
KINDS = ACCEPTED + NON_FINITE + BAD_SHAPE + BAD_TYPE
#: (kind, where, seed): a kind of action, a position and a seed for its numbers
STEP = st.tuples(st.sampled_from(KINDS), st.integers(0, 2**16), st.integers(0, 2**32 - 1))


def _base(space: gym.spaces.Box, seed: int, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A float32 action drawn uniformly in ``space`` (of ``shape``, default the space's)."""
    rng = np.random.default_rng(seed)
    shape = space.shape if shape is None else shape
    low = np.broadcast_to(space.low.reshape(-1)[0], shape)
    high = np.broadcast_to(space.high.reshape(-1)[0], shape)
    return rng.uniform(low, high).astype(np.float32)


def _hostile(kind: str, base: np.ndarray, where: int, seed: int) -> object:
    """``base`` (1-D or 2-D) turned into the hostile input ``kind`` (see KINDS)."""
    rng = np.random.default_rng(seed)
    flat_index = where % base.size
    a = base.astype(np.float64)

    def put(value: float) -> np.ndarray:
        out = a.copy()
        out.reshape(-1)[flat_index] = value
        return out

    if kind == "valid":
        return base
    if kind == "negative":
        return put(-float(10.0 ** rng.uniform(-3, 30)))
    if kind == "huge":
        return put(float(rng.choice([1e30, -1e30, 3e29])))
    if kind == "scaled":
        return a * 10.0 ** rng.uniform(-3, 30) * rng.choice([-1.0, 1.0])
    if kind == "list":
        return a.tolist()
    if kind == "tuple":
        return tuple(map(tuple, a)) if a.ndim == 2 else tuple(a.tolist())
    if kind == "float16":
        return base.astype(np.float16)
    if kind == "int":
        return np.rint(a).astype(np.int64)
    if kind == "bool":
        return a > a.mean()
    if kind == "tensor":
        return torch.from_numpy(a.copy())
    if kind == "nan":
        return put(math.nan)
    if kind == "posinf":
        return put(math.inf)
    if kind == "neginf":
        return put(-math.inf)
    if kind == "short":
        return a[..., :-1]
    if kind == "long":
        return np.concatenate([a, np.zeros((*a.shape[:-1], 1))], -1)
    if kind == "matrix":
        return a[None]
    if kind == "scalar":
        return float(a.reshape(-1)[0])
    if kind == "empty":
        return np.zeros((0,))
    if kind == "complex":
        return a + 1j * (1.0 + rng.uniform(size=a.shape))
    if kind == "string":
        return "0.5" if where % 2 else "not an action"
    if kind == "none":
        return None
    if kind == "objects":
        return np.array([object()] * a.size, dtype=object).reshape(a.shape)
    if kind == "ragged":
        rows = a.tolist() if a.ndim == 2 else [a.tolist()]
        return [*rows[:-1], rows[-1][:-1]] if len(rows[-1]) > 1 else [*rows, [0.0, 1.0]]
    if kind == "bigint":
        out = a.tolist()
        if a.ndim == 2:
            out[0][0] = 10**400
        else:
            out[0] = 10**400
        return out
    raise AssertionError(kind)


def _as_real(action: object) -> np.ndarray:
    """What an accepted action is, as float64 (for the expected-behaviour checks)."""
    if isinstance(action, torch.Tensor):
        return action.double().numpy()
    return np.asarray(action, dtype=np.float64)


def _assert_names_problem(error: ValueError, kind: str, name: str | None = None) -> None:
    """The ``ValueError`` of a rejected ``kind`` says what was wrong (and whose action)."""
    message = str(error).lower()
    assert "action" in message, message
    if kind in NON_FINITE:
        assert "nan" in message or "inf" in message, message
    if kind in BAD_SHAPE:
        assert "shape" in message, message
    if name is not None:
        assert name.lower() in message, message


def _expected_projected(mode: str, action: np.ndarray, budget: float) -> bool | None:
    """The documented ``projected`` flag of an accepted action: True when it was clearly
    infeasible, False when clearly feasible, None (no claim) near the boundary."""
    margin = 1e-3
    if mode == "power":
        if action.min() < -margin * budget or action.clip(0).sum() > budget * (1 + margin):
            return True
        if action.min() >= 0 and action.sum() <= budget * (1 - margin):
            return False
        return None
    if mode == "precoder":
        energy = float(np.square(action.clip(-1, 1)).sum())
        if np.abs(action).max() > 1 + margin or energy > 1 + margin:
            return True
        if np.abs(action).max() <= 1 and energy <= 1 - margin:
            return False
        return None
    return None  # normalized: every action is feasible (no documented flag)


# --- what every output must satisfy ------------------------------------------------------------
def _leaves(
    tree: object, path: tuple[object, ...] = ()
) -> Iterator[tuple[tuple[object, ...], object]]:
    if isinstance(tree, Mapping):
        for key in sorted(tree, key=str):
            yield from _leaves(tree[key], (*path, key))
    elif isinstance(tree, list | tuple):
        for i, item in enumerate(tree):
            yield from _leaves(item, (*path, i))
    elif isinstance(tree, torch.Tensor):
        yield path, tree.detach().cpu().resolve_conj().resolve_neg().numpy()
    else:
        yield path, tree


def _assert_same(ours: object, theirs: object) -> None:
    """Two nested outputs (dicts, tuples, arrays, tensors, numbers) are exactly equal."""
    a, b = list(_leaves(ours)), list(_leaves(theirs))
    assert [p for p, _ in a] == [p for p, _ in b]
    for (path, x), (_, y) in zip(a, b, strict=True):
        if isinstance(x, str | type(None)) or isinstance(y, str | type(None)):
            assert x == y, path
            continue
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, path
        assert np.array_equal(x, y, equal_nan=True), (path, x, y)


def _all_finite(tree: object) -> bool:
    for _, leaf in _leaves(tree):
        if isinstance(leaf, str | type(None)):
            continue
        value = np.asarray(leaf)
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            return False
    return True


def _projection(action: np.ndarray, budget: float) -> np.ndarray:
    """Reference Euclidean projection onto {p >= 0, Σp <= budget} (float64, by bisection on
    the threshold of p − max(p), to which the simplex projection is invariant)."""
    clipped = action.clip(0)
    if clipped.sum() <= budget:
        return clipped
    shifted = action - action.max()
    low, high = -budget, 0.0  # Σ(shifted − τ)₊ >= budget at τ = −budget, 0 at τ = 0
    for _ in range(64):  # to 2^-64 of the budget
        middle = (low + high) / 2
        if (shifted - middle).clip(0).sum() >= budget:
            low = middle
        else:
            high = middle
    return (shifted - low).clip(0)


def _check_powers(
    powers: np.ndarray, used: float, mode: str, action: np.ndarray, budget: float
) -> None:
    """Observed powers p/budget (by semantic direction) against the documented action map."""
    m = powers.shape[0]
    if mode == "power":  # the Euclidean projection of the action onto the power set
        expected = _projection(action, budget) / budget
        np.testing.assert_allclose(powers, expected, rtol=1e-5, atol=2e-6)
        if action.clip(0).sum() > budget * (1 + 1e-3):  # over budget: onto Σp = budget
            assert abs(used - 1.0) < 1e-4, (used, action)
    elif mode == "normalized":
        if np.abs(action).max() <= 1:
            u = (action + 1) / 2
            np.testing.assert_allclose(powers, u / max(1.0, u.sum()), rtol=1e-5, atol=1e-6)
    elif np.abs(action).max() <= 1:  # precoder: column energies of F̄ / max(1, ‖F̄‖²)
        fbar = (action[: m * m] + 1j * action[m * m :]).reshape(m, m)
        energy = np.square(np.abs(fbar)).sum(0)
        np.testing.assert_allclose(powers, energy / max(1.0, energy.sum()), rtol=1e-5, atol=1e-6)


def _check_link(
    obs: np.ndarray, info: Mapping[str, Any], facts: Facts, action: np.ndarray | None = None
) -> None:
    """One link's observation and infos against the interference env manual."""
    m = facts.m
    assert obs.shape[0] in (3 * m + 3, 4 * m + 3)
    powers, inr, nmse, used = obs[2 * m : 3 * m], obs[3 * m], obs[3 * m + 1], obs[3 * m + 2]
    assert np.all(np.diff(obs[:m]) <= 1e-5), obs[:m]  # gains, descending
    assert np.all(obs[m : 2 * m] >= 0) and abs(obs[m : 2 * m].sum() - 1) < 1e-4  # weights
    assert np.all(powers >= -1e-6) and -1e-6 <= used <= 1 + 1e-5
    assert abs(powers.sum() - used) <= 1e-5
    assert inr >= 0
    values = {k: float(info[k]) for k in ("mse", "nmse", "mui_power", "exploitability")}
    assert all(math.isfinite(v) for v in values.values()), info
    assert -1e-6 <= values["nmse"] <= 1 + 1e-5 and values["mse"] >= -1e-9
    assert values["mui_power"] >= 0 and values["exploitability"] >= 0
    assert values["exploitability"] <= values["mse"] * (1 + 1e-6) + 1e-12
    if facts.n == 1:  # no interferer
        assert values["mui_power"] == 0 and inr == 0
    assert abs(nmse - values["nmse"]) <= 1e-6
    if action is None:
        return
    if facts.enforced:  # scaled onto the caps after the projection: the caps are what holds
        assert info["primary_caps_hold"], info
        return
    if facts.single:
        action = action.astype(np.float32).astype(np.float64)
    expected = _expected_projected(facts.mode, action, facts.budget)
    if expected is not None:
        assert bool(info["projected"]) == expected, (facts.mode, action, info["projected"])
    _check_powers(powers, float(used), facts.mode, action, facts.budget)


def _check_primary(info: Mapping[str, Any], n_primaries: int) -> None:
    if not n_primaries:
        assert "primary_interference" not in info
        return
    received, rate = np.asarray(info["primary_interference"]), np.asarray(info["primary_rate"])
    assert received.shape == (n_primaries,) and rate.shape == (n_primaries,)
    assert np.all(np.isfinite(received)) and np.all(received >= 0)
    assert np.all(np.isfinite(rate)) and np.all(rate >= 0)
    assert isinstance(info["primary_caps_hold"], bool)


class Facts(NamedTuple):
    """What the documented layouts depend on, read from an env's keyword arguments."""

    m: int  # modes, K·N_T
    budget: float  # K·P_max (interference) or P_T (downlink), W
    n: int  # links, or users of the downlink
    mode: str
    reward: str
    primaries: int
    single: bool  # computed in float32: actions are rounded to float32 first
    enforced: bool = False  # primaries' caps enforced on the actions


def _facts(kw: Mapping[str, Any], dtype: str | None = None) -> Facts:
    if "n_users" in kw:
        m = kw["channel_uses"] * kw["n_tx"]
        return Facts(m, kw["power"], kw["n_users"], kw["action_mode"], kw["reward"], 0, False)
    n_tx = kw.get("n_tx_antennas") or kw["n_antennas"]
    return Facts(
        kw["channel_uses"] * n_tx,
        kw["channel_uses"] * kw["tx_power_w"],
        kw["n_links"],
        kw["action_mode"],
        kw["reward"],
        kw["primary_users"],
        (dtype or kw.get("dtype", "float64")) == "float32",
        bool(kw.get("enforce_caps")) and bool(kw["primary_users"]),
    )


def _check_interference(
    env: interference_v0.InterferenceEnv,
    facts: Facts,
    observations: Mapping[str, np.ndarray],
    infos: Mapping[str, Mapping[str, Any]],
    actions: Mapping[str, object] | None = None,
) -> None:
    """Observations in their space and consistent with the infos (after reset or a step)."""
    agents = [f"link_{i}" for i in range(facts.n)]
    assert env.possible_agents == env.agents == agents
    assert list(observations) == list(infos) == agents
    for agent in agents:
        obs = observations[agent]
        assert obs.dtype == np.float32 and env.observation_space(agent).contains(obs), obs
        assert obs.shape == (4 * facts.m + 3 if facts.primaries else 3 * facts.m + 3,)
        action = None if actions is None else _as_real(actions[agent])
        _check_link(obs, infos[agent], facts, action)
        _check_primary(infos[agent], facts.primaries)
        if actions is None:  # Algorithm 1's random start spends the whole budget
            assert abs(obs[3 * facts.m + 2] - 1) < 1e-5
    state = env.state()
    assert env.state_space.contains(state) and np.all(np.isfinite(state))
    np.testing.assert_array_equal(state, np.concatenate([observations[a] for a in agents]))


def _check_interference_step(
    env: interference_v0.InterferenceEnv, facts: Facts, actions: Mapping[str, object], out: tuple
) -> None:
    observations, rewards, terminations, truncations, infos = out
    _check_interference(env, facts, observations, infos, actions)
    for agent in observations:
        assert rewards[agent] == -infos[agent][facts.reward]
        assert terminations[agent] is False and truncations[agent] is False
    assert _all_finite(out)


def _check_best_responses(env: interference_v0.InterferenceEnv) -> dict[str, np.ndarray]:
    """:meth:`best_response_actions` lie in the action space (up to float32 rounding)."""
    best = env.best_response_actions()
    assert list(best) == env.agents
    for agent, action in best.items():
        space = env.action_space(agent)
        assert action.shape == space.shape and np.all(np.isfinite(action))
        scale = 1e-6 * max(1.0, float(space.high.max()))
        assert np.all(action >= space.low - scale) and np.all(action <= space.high + scale)
    return best


def _check_broadcast(
    space: gym.spaces.Box,
    facts: Facts,
    obs: np.ndarray,
    info: Mapping[str, Any],
    action: object | None = None,
    *,
    reset: bool = False,
) -> None:
    """The access point's observation and infos against the downlink env manual."""
    m, users, budget = facts.m, facts.n, facts.budget
    assert obs.dtype == np.float32 and space.contains(obs), obs
    assert obs.shape == ((users + 3) * m + users + 2,)
    assert np.all(np.isfinite(obs)) and _all_finite(info)
    assert np.all(np.diff(obs[:m]) <= 1e-5)
    assert np.all(obs[m : 2 * m] >= 0) and abs(obs[m : 2 * m].sum() - 1) < 1e-4
    energy = obs[2 * m : 3 * m]
    per_user = obs[3 * m : 3 * m + users * m].reshape(users, m)
    assert np.all(np.diff(per_user, axis=-1) <= 1e-5)
    tail = obs[3 * m + users * m :]
    user_nmse = np.asarray(info["user_nmse"])
    assert user_nmse.shape == (users,) and np.asarray(info["user_mse"]).shape == (users,)
    assert np.all(user_nmse >= -1e-9) and np.all(user_nmse <= 1 + 1e-9)
    np.testing.assert_allclose(tail[:users], user_nmse, rtol=1e-6, atol=1e-7)
    assert abs(info["nmse"] - user_nmse.mean()) <= 1e-12
    assert abs(info["mse"] - np.mean(info["user_mse"])) <= 1e-9 * max(1.0, abs(info["mse"]))
    assert abs(tail[users] - info["nmse"]) <= 1e-6
    power = float(info["power"])
    assert 0 <= power <= budget * (1 + 1e-9)
    assert abs(tail[users + 1] - power / budget) <= 1e-6
    assert np.all(energy >= -1e-7) and energy.sum() <= tail[users + 1] + 1e-5
    if reset:  # uniform power P_T/M on the power modes
        np.testing.assert_allclose(energy, np.full(m, 1 / m), rtol=1e-5)
        assert abs(power - budget) <= 1e-9 * budget
    if action is None:
        return
    a = _as_real(action)
    expected = _expected_projected(facts.mode, a, budget)
    if expected is not None:
        assert info["projected"] == expected, (facts.mode, a, info["projected"])
    if facts.mode == "power":  # the Euclidean projection of the action onto the power set
        expected = _projection(a, budget)
        np.testing.assert_allclose(energy, expected / budget, rtol=1e-5, atol=2e-6)
        assert abs(power - expected.sum()) <= 1e-6 * budget, (power, expected)
        if a.clip(0).sum() > budget * (1 + 1e-3):
            assert abs(power - budget) <= 1e-6 * budget, (power, a)
    else:  # F = √P_T F̄ / max(1, ‖F̄‖_F), F̄ from the action clipped to the box
        expected_power = budget * min(1.0, float(np.square(a.clip(-1, 1)).sum()))
        assert abs(power - expected_power) <= 1e-6 * budget, (power, expected_power)


def _check_broadcast_step(
    env: broadcast_v0.BroadcastEnv, facts: Facts, action: object, out: tuple
) -> None:
    observations, rewards, terminations, truncations, infos = out
    assert list(observations) == list(rewards) == list(infos) == [AP]
    _check_broadcast(env.observation_space(AP), facts, observations[AP], infos[AP], action)
    np.testing.assert_array_equal(env.state(), observations[AP])
    assert rewards[AP] == -infos[AP][facts.reward]
    assert terminations[AP] is False and truncations[AP] is False
    assert _all_finite(out)


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
        a: _base(env.action_space(a), seed + i) for i, a in enumerate(env.agents)
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
        actions[target] = _hostile(kind, actions[target], where, seed)
    return actions, target


def _interference_hostile(kw: dict[str, Any], dtype: str, seed: int, steps: list) -> None:
    steps = _fewer_with_primaries(kw, steps)
    facts = _facts(kw, dtype)

    def make() -> interference_v0.InterferenceEnv:
        return interference_v0.parallel_env(max_cycles=50, dtype=dtype, **kw)

    env = make()
    observations, infos = env.reset(seed=seed)
    _check_interference(env, facts, observations, infos)
    _check_best_responses(env)
    accepted = []
    for kind, where, action_seed in steps:
        actions, target = _pz_actions(env, kind, where, action_seed)
        try:
            out = env.step(actions)
        except ValueError as error:
            assert kind not in PZ_ACCEPTED, f"{kind} rejected: {error}"
            _assert_names_problem(error, kind, target)
            continue
        assert kind in PZ_ACCEPTED, f"{kind} accepted"
        _check_interference_step(env, facts, actions, out)
        accepted.append((actions, out))
    if len(accepted) < len(steps):  # the rejected steps changed nothing
        replay = make()
        replay.reset(seed=seed)
        for actions, out in accepted:
            _assert_same(replay.step(actions), out)


test_interference_env_hostile_actions, test_interference_env_hostile_actions_slow = _twins(
    200,
    kw=interference_kwargs(),
    dtype=st.sampled_from(("float64", "float32")),
    seed=SEEDS,
    steps=PZ_STEPS,
)(_interference_hostile)


def _broadcast_hostile(kw: dict[str, Any], seed: int, steps: list) -> None:
    facts = _facts(kw)

    def make() -> broadcast_v0.BroadcastEnv:
        return broadcast_v0.parallel_env(max_cycles=50, **kw)

    env = make()
    observations, infos = env.reset(seed=seed)
    assert env.possible_agents == env.agents == [AP]
    _check_broadcast(env.observation_space(AP), facts, observations[AP], infos[AP], reset=True)
    accepted = []
    for kind, where, action_seed in steps:
        if kind == "best":  # no best response in the downlink env: a plain valid action
            kind = "valid"
        actions, target = _pz_actions(env, kind, where, action_seed)
        try:
            out = env.step(actions)
        except ValueError as error:
            assert kind not in PZ_ACCEPTED, f"{kind} rejected: {error}"
            _assert_names_problem(error, kind, target)
            continue
        assert kind in PZ_ACCEPTED, f"{kind} accepted"
        _check_broadcast_step(env, facts, actions[AP], out)
        accepted.append((actions, out))
    if len(accepted) < len(steps):  # the rejected steps changed nothing
        replay = make()
        replay.reset(seed=seed)
        for actions, out in accepted:
            _assert_same(replay.step(actions), out)


test_broadcast_env_hostile_actions, test_broadcast_env_hostile_actions_slow = _twins(
    150, kw=broadcast_kwargs(), seed=SEEDS, steps=PZ_STEPS
)(_broadcast_hostile)


GYM_IDS = ("semgym/Interference-v0", "semgym/InterferenceLink-v0", "semgym/Broadcast-v0")


@st.composite
def gym_setups(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(id, kwargs of gym.make) for one of the three ids."""
    env_id = draw(st.sampled_from(GYM_IDS))
    if env_id == "semgym/Broadcast-v0":
        return env_id, draw(broadcast_kwargs())
    kw = draw(interference_kwargs())
    kw["dtype"] = draw(st.sampled_from(("float64", "float32")))
    if env_id == "semgym/InterferenceLink-v0":
        kw["link_index"] = draw(st.integers(0, kw["n_links"] - 1))
    return env_id, kw


def _check_gym_step(
    env_id: str, env: gym.Env, kw: dict[str, Any], action: object, out: tuple
) -> None:
    """A step of one of the gym ids (or, with ``action`` None, the reset's (obs, info))."""
    facts, reset = _facts(kw), action is None
    obs, info = (out[0], out[1]) if reset else (out[0], out[4])
    assert obs.dtype == np.float32 and env.observation_space.contains(obs), obs
    assert np.all(np.isfinite(obs)) and _all_finite(out)
    if not reset:
        reward, terminated, truncated = out[1], out[2], out[3]
        assert isinstance(reward, float) and math.isfinite(reward)
        assert terminated is False and truncated is False
    if env_id == "semgym/Broadcast-v0":
        _check_broadcast(env.observation_space, facts, obs, info, action, reset=reset)
        if not reset:
            assert out[1] == -info[facts.reward]
        return
    if env_id == "semgym/InterferenceLink-v0":
        _check_link(obs, info, facts, None if reset else _as_real(action))
        _check_primary(info, facts.primaries)
        if not reset:
            assert out[1] == -info[facts.reward]
        return
    links = [f"link_{i}" for i in range(facts.n)]  # the central controller of every link
    assert list(info["links"]) == links
    rows = obs.reshape(facts.n, -1)
    parts = None if reset else _as_real(action).reshape(facts.n, -1)
    for i, agent in enumerate(links):
        _check_link(rows[i], info["links"][agent], facts, None if reset else parts[i])
        _check_primary(info["links"][agent], facts.primaries)
    nmse = [info["links"][a]["nmse"] for a in links]
    assert abs(info["network_nmse"] - np.mean(nmse)) <= 1e-12
    if not reset:
        per_link = [-info["links"][a][facts.reward] for a in links]
        assert abs(out[1] - np.mean(per_link)) <= 1e-12 * max(1.0, abs(out[1]))


def _gym_hostile(setup: tuple[str, dict[str, Any]], seed: int, steps: list) -> None:
    env_id, kw = setup
    steps = _fewer_with_primaries(kw, steps)
    env = gym.make(env_id, max_cycles=50, **kw)
    reset = env.reset(seed=seed)
    _check_gym_step(env_id, env, kw, None, reset)
    accepted = []
    for kind, where, action_seed in steps:
        action = _hostile(kind, _base(env.action_space, action_seed), where, action_seed)
        try:
            out = env.step(action)
        except ValueError as error:
            assert kind not in ACCEPTED, f"{kind} rejected: {error}"
            _assert_names_problem(error, kind)
            continue
        assert kind in ACCEPTED, f"{kind} accepted"
        _check_gym_step(env_id, env, kw, action, out)
        accepted.append((action, out))
    if len(accepted) < len(steps):  # the rejected steps changed nothing
        replay = gym.make(env_id, max_cycles=50, **kw)
        _assert_same(replay.reset(seed=seed), reset)
        for action, out in accepted:
            _assert_same(replay.step(action), out)


test_gym_ids_hostile_actions, test_gym_ids_hostile_actions_slow = _twins(
    150, setup=gym_setups(), seed=SEEDS, steps=STEPS
)(_gym_hostile)


@st.composite
def vector_setups(draw: st.DrawFn) -> tuple[type, int, str, dict[str, Any]]:
    """(class, num_envs, dtype, kwargs) of a vector env."""
    cls = draw(st.sampled_from((InterferenceVecEnv, InterferenceLinkVecEnv)))
    kw = draw(interference_kwargs())
    if cls is InterferenceLinkVecEnv:
        kw["link_index"] = draw(st.integers(0, kw["n_links"] - 1))
    return cls, draw(st.integers(1, 3)), draw(st.sampled_from(("float32", "float64"))), kw


def _as_cpu_tensor(value: object) -> object:
    """numpy inputs become CPU tensors (what the vector envs are fed); others stay as given."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        return torch.from_numpy(np.ascontiguousarray(value))
    return value


LINK_KEYS = ("mse", "nmse", "mui_power", "exploitability", "projected")


def _check_vector_step(
    venv: InterferenceVecEnv, kw: dict[str, Any], dtype: str, action: object | None, out: tuple
) -> None:
    """Tensors of a vector env step (or the reset's (obs, infos) when ``action`` is None)."""
    facts, reset = _facts(kw, dtype), action is None
    obs, infos = (out[0], out[1]) if reset else (out[0], out[4])
    b = venv.num_envs
    assert isinstance(obs, torch.Tensor) and obs.dtype == torch.float32
    assert obs.device.type == "cpu" and venv.observation_space.contains(obs.numpy()), obs
    assert _all_finite(out)
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
        expected = per_link.mean(-1) if link is None else per_link[:, link]
        torch.testing.assert_close(rewards, expected.to(rewards.dtype), rtol=1e-6, atol=1e-7)
    actions = None if reset else _as_real(action).reshape(b, -1)
    links = range(facts.n) if link is None else [link]
    for env in range(b):
        rows = obs[env].numpy().reshape(len(links), -1)
        parts = None if reset else actions[env].reshape(len(links), -1)
        for row, i in enumerate(links):
            info = {k: infos[k][env, i].item() for k in LINK_KEYS}
            if facts.primaries:  # (B, P) W and (B,) bool, the primaries' side of the step
                assert tuple(infos["primary_interference"].shape) == (b, facts.primaries)
                info["primary_caps_hold"] = bool(infos["primary_caps_hold"][env])
            _check_link(rows[row], info, facts, None if parts is None else parts[row])


def _vector_hostile(setup: tuple, seed: int, steps: list) -> None:
    cls, num_envs, dtype, kw = setup
    steps = _fewer_with_primaries(kw, steps)

    def make() -> InterferenceVecEnv:
        return cls(num_envs, dtype=dtype, max_cycles=50, **kw)

    venv = make()
    reset = venv.reset(seed=seed)
    _check_vector_step(venv, kw, dtype, None, reset)
    best = venv.best_response_actions()
    width = venv.single_action_space.shape[0] * (1 if cls is InterferenceVecEnv else kw["n_links"])
    assert tuple(best.shape) == (num_envs, width) and bool(torch.isfinite(best).all())
    accepted = []
    for kind, where, action_seed in steps:
        base = _base(venv.action_space, action_seed)
        action = _as_cpu_tensor(_hostile(kind, base, where, action_seed))
        try:
            out = venv.step(action)
        except ValueError as error:
            assert kind not in ACCEPTED, f"{kind} rejected: {error}"
            _assert_names_problem(error, kind)
            continue
        assert kind in ACCEPTED, f"{kind} accepted"
        _check_vector_step(venv, kw, dtype, action, out)
        accepted.append((action, out))
    if len(accepted) < len(steps):  # the rejected steps changed nothing
        replay = make()
        _assert_same(replay.reset(seed=seed), reset)
        for action, out in accepted:
            _assert_same(replay.step(action), out)


test_vector_envs_hostile_actions, test_vector_envs_hostile_actions_slow = _twins(
    150, setup=vector_setups(), seed=SEEDS, steps=STEPS
)(_vector_hostile)


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
            actions = {a: _base(env.action_space(a), seed + i) for i, a in enumerate(env.agents)}
        outputs.append((actions, env.step(actions)))
    return outputs


def _gym_run(env: gym.Env, plan: list, done: bool = False) -> tuple[list, bool]:
    """Step a gym env through ``plan`` (reset without a seed after a truncation)."""
    outputs: list[object] = []
    for _, seed in plan:
        if done:
            outputs.append(env.reset())
        action = _base(env.action_space, seed)
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
            actions = torch.from_numpy(_base(venv.action_space, seed))
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
    plan = _fewer_with_primaries(setup[1], plan)
    first, second = _pettingzoo_env(setup), _pettingzoo_env(setup)
    ours = [first.reset(seed=seed), *_pz_run(first, plan)]
    _assert_same(ours, [second.reset(seed=seed), *_pz_run(second, plan)])
    assert _all_finite(ours)
    # reset(seed) of a used env starts the same trajectory again
    _assert_same([first.reset(seed=seed), *_pz_run(first, plan)], ours)


test_pettingzoo_envs_deterministic, test_pettingzoo_envs_deterministic_slow = _twins(
    80, setup=pettingzoo_setups(), seed=SEEDS, plan=PLAN
)(_pettingzoo_deterministic)


def _gym_deterministic(
    setup: tuple[str, dict[str, Any]], max_cycles: int, seed: int, plan: list
) -> None:
    env_id, kw = setup
    plan = _fewer_with_primaries(kw, plan)
    first, second = (gym.make(env_id, max_cycles=max_cycles, **kw) for _ in range(2))
    ours = [first.reset(seed=seed), *_gym_run(first, plan)[0]]
    _assert_same(ours, [second.reset(seed=seed), *_gym_run(second, plan)[0]])
    assert _all_finite(ours)
    _assert_same([first.reset(seed=seed), *_gym_run(first, plan)[0]], ours)


test_gym_ids_deterministic, test_gym_ids_deterministic_slow = _twins(
    60, setup=gym_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, plan=PLAN
)(_gym_deterministic)


def _vector_deterministic(setup: tuple, max_cycles: int, seed: int, plan: list) -> None:
    cls, num_envs, dtype, kw = setup
    plan = _fewer_with_primaries(kw, plan)
    first, second = (cls(num_envs, dtype=dtype, max_cycles=max_cycles, **kw) for _ in range(2))
    ours = [first.reset(seed=seed), *_vector_run(first, plan)]
    _assert_same(ours, [second.reset(seed=seed), *_vector_run(second, plan)])
    assert _all_finite(ours)
    _assert_same([first.reset(seed=seed), *_vector_run(first, plan)], ours)


test_vector_envs_deterministic, test_vector_envs_deterministic_slow = _twins(
    60, setup=vector_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, plan=PLAN
)(_vector_deterministic)


def _vector_equals_single_envs(setup: tuple, max_cycles: int, seed: int, plan: list) -> None:
    """Env b of a vector env is the single gym env reset with seed s + b, step by step,
    through autoresets (documented; float64 here)."""
    cls, num_envs, _, kw = setup
    plan = _fewer_with_primaries(kw, plan)
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
        actions = _base(venv.action_space, action_seed)
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


test_vector_env_equals_single_envs, test_vector_env_equals_single_envs_slow = _twins(
    30, setup=vector_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, plan=PLAN
)(_vector_equals_single_envs)


def _copies(env: object) -> list[object]:
    return [copy.deepcopy(env), pickle.loads(pickle.dumps(env))]


def _pettingzoo_copies(
    setup: tuple[str, dict[str, Any]], seed: int, prefix: list, plan: list
) -> None:
    prefix, plan = _fewer_with_primaries(setup[1], prefix), _fewer_with_primaries(setup[1], plan)
    env = _pettingzoo_env(setup)
    env.reset(seed=seed)
    _pz_run(env, prefix)
    clones = _copies(env)
    ours = _pz_run(env, plan)
    for clone in clones:
        _assert_same(_pz_run(clone, plan), ours)


PREFIX = st.lists(st.tuples(st.sampled_from(("random", "best")), SEEDS), min_size=1, max_size=3)

test_pettingzoo_envs_copy_and_pickle, test_pettingzoo_envs_copy_and_pickle_slow = _twins(
    60, setup=pettingzoo_setups(), seed=SEEDS, prefix=PREFIX, plan=PLAN
)(_pettingzoo_copies)


def _gym_copies(setup: tuple, max_cycles: int, seed: int, prefix: list, plan: list) -> None:
    env_id, kw = setup
    prefix, plan = _fewer_with_primaries(kw, prefix), _fewer_with_primaries(kw, plan)
    env = gym.make(env_id, max_cycles=max_cycles, **kw)
    env.reset(seed=seed)
    _, done = _gym_run(env, prefix)
    clones = _copies(env)
    ours, _ = _gym_run(env, plan, done)
    for clone in clones:
        _assert_same(_gym_run(clone, plan, done)[0], ours)


test_gym_ids_copy_and_pickle, test_gym_ids_copy_and_pickle_slow = _twins(
    50, setup=gym_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, prefix=PREFIX, plan=PLAN
)(_gym_copies)


def _vector_copies(setup: tuple, max_cycles: int, seed: int, prefix: list, plan: list) -> None:
    cls, num_envs, dtype, kw = setup
    prefix, plan = _fewer_with_primaries(kw, prefix), _fewer_with_primaries(kw, plan)
    venv = cls(num_envs, dtype=dtype, max_cycles=max_cycles, **kw)
    venv.reset(seed=seed)
    _vector_run(venv, prefix)
    clones = _copies(venv)
    ours = _vector_run(venv, plan)
    for clone in clones:
        _assert_same(_vector_run(clone, plan), ours)


test_vector_envs_copy_and_pickle, test_vector_envs_copy_and_pickle_slow = _twins(
    50, setup=vector_setups(), max_cycles=MAX_CYCLES, seed=SEEDS, prefix=PREFIX, plan=PLAN
)(_vector_copies)


# --- 3. solvers --------------------------------------------------------------------------------
@st.composite
def synthetic_games(draw: st.DrawFn) -> tuple[InterferenceChannelConfig, int, list[int]]:
    """(channel config, K, seeds) of ``InterferenceGame.synthetic`` (a batch of 1 or 2)."""
    config = InterferenceChannelConfig(
        n_links=draw(st.integers(1, 4)),
        n_tx_antennas=draw(st.integers(1, 3)),
        n_rx_antennas=draw(st.integers(1, 3)),
        alpha=draw(ALPHAS),
        snr_db=draw(SNRS),
        fading=draw(st.sampled_from(("rician", "rayleigh"))),
        tx_power_w=draw(st.sampled_from((1.0, 0.1, 4.0))),
    )
    seeds = draw(st.lists(SEEDS, min_size=1, max_size=2))
    return config, draw(st.integers(1, 3)), seeds


def _solve(setup: tuple, options: dict[str, Any], power_seed: int) -> dict[str, Any]:
    config, k, seeds = setup
    game = InterferenceGame.synthetic(config, channel_uses=k, seed=seeds)
    return {
        "game": game,
        "trace": best_response_dynamics(game, **options),
        "bound": mui_less_bound(game),
        "agnostic": mui_agnostic_design(game),
        "uniform": uniform_powers(game),
        "random": random_powers(game, seed=power_seed),
    }


def _tensors(result: dict[str, Any]) -> dict[str, object]:
    """Every tensor of a ``_solve`` result, by name (for exact comparisons)."""
    out: dict[str, object] = {}
    for name, value in result.items():
        if name == "game":
            continue
        trace_fields = (
            "mse",
            "nmse",
            "network_mse",
            "mui_power",
            "exploitability",
            "step_size",
            "relative_change",
            "converged",
            "iterations",
        )
        fields = trace_fields if name == "trace" else ()
        for field in fields:
            out[f"{name}.{field}"] = getattr(value, field)
        state = value.state
        out[f"{name}.powers"] = state.powers
        out[f"{name}.covariance"] = state.covariance_blocks
        if name != "trace":
            out[f"{name}.mse"] = value.metrics.mse
    return out


SCHEMES_ST = st.sampled_from(("jacobi", "gauss_seidel"))


@st.composite
def dynamics_options(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "scheme": draw(SCHEMES_ST),
        "max_iters": draw(st.integers(1, 12)),
        "tol": draw(st.sampled_from((1e-8, 1e-4))),
        "step_size": draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0))),
        "epsilon": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0))),
        "seed": draw(SEEDS),
    }


def _interference_solvers(setup: tuple, options: dict[str, Any], power_seed: int) -> None:
    result = _solve(setup, options, power_seed)
    game, trace = result["game"], result["trace"]
    b, n_links, budget, m = game.batch_size, game.n_links, game.budget, game.n_modes
    energy = game.target_energy
    tol = 1e-9 * energy
    # the dynamics' trace: shapes, finiteness, the recorded step sizes, the final row
    rows = trace.mse.shape[0]
    assert 2 <= rows <= options["max_iters"] + 1 and trace.mse.shape == (rows, b, n_links)
    assert bool((trace.iterations <= options["max_iters"]).all())
    assert _all_finite(_tensors(result))
    torch.testing.assert_close(trace.network_mse, trace.mse.mean(-1))
    assert bool((trace.exploitability >= 0).all()) and bool((trace.relative_change >= 0).all())
    assert bool((trace.relative_change[-1] == 0).all())
    gamma = options["step_size"]
    for t in range(rows):
        assert abs(float(trace.step_size[t]) - gamma) <= 1e-12
        gamma *= 1.0 - options["epsilon"] * gamma
    final = GameOperator(game, trace.state.structure).evaluate(trace.state)
    torch.testing.assert_close(trace.mse[-1], final.mse, rtol=1e-12, atol=0.0)
    bound = result["bound"].metrics
    assert bool((bound.mui_power == 0).all())
    # the MUI-agnostic design is the MUI-less design (same powers), evaluated under MUI
    assert torch.equal(result["agnostic"].state.powers, result["bound"].state.powers)
    uniform = result["uniform"].state.powers
    torch.testing.assert_close(uniform, torch.full_like(uniform, budget / m))
    spent = result["random"].state.powers.sum(-1)
    torch.testing.assert_close(spent, torch.full_like(spent, budget))
    states = {name: result[name].state for name in ("bound", "agnostic", "uniform", "random")}
    metrics = {name: result[name].metrics for name in ("agnostic", "uniform", "random")}
    states["trace"], metrics["trace"] = trace.state, final
    for name, state in states.items():  # feasible powers
        powers = state.powers
        assert powers.shape == (b, n_links, m)
        assert bool((powers >= 0).all()), name
        assert bool((powers.sum(-1) <= budget * (1 + 1e-9)).all()), name
    for name, met in metrics.items():
        # the best response is optimal: no state beats it (exploitability >= 0, unclamped)
        assert bool((met.best_response_mse <= met.mse + tol).all()), name
        torch.testing.assert_close(
            met.exploitability, (met.mse - met.best_response_mse).amax(-1).clamp_min(0)
        )
        # MUI only hurts: the MUI-less bound lies below every allocation, link by link
        assert bool((bound.mse <= met.mse + tol).all()), name
        # a fifth of tr(R_y) is not linearly predictable (synthetic statistics)
        assert bool((met.nmse >= 0.2 - 1e-9).all()) and bool((met.nmse <= 1 + 1e-9).all()), name
    assert bool((bound.mse <= trace.mse + tol).all())  # every iterate
    # determinism: the same seeds give the same numbers
    _assert_same(_tensors(_solve(setup, options, power_seed)), _tensors(result))


test_interference_solvers, test_interference_solvers_slow = _twins(
    120, setup=synthetic_games(), options=dynamics_options(), power_seed=SEEDS
)(_interference_solvers)


def _solver_batches(setup: tuple, options: dict[str, Any]) -> None:
    """A batch of games gives the single games (documented for the synthetic games, the
    dynamics, whose converged games are frozen, and the interference-free references)."""
    config, k, seeds = setup
    seeds = list(dict.fromkeys([*seeds, (seeds[0] + 1) % (2**31 - 1)]))
    game = InterferenceGame.synthetic(config, channel_uses=k, seed=seeds)
    trace = best_response_dynamics(game, **options)
    references = (mui_less_bound, mui_agnostic_design, uniform_powers)
    together = [fn(game) for fn in references]
    for i, s in enumerate(seeds):
        single = InterferenceGame.synthetic(config, channel_uses=k, seed=s)
        assert torch.equal(single.channels, game.channels[i : i + 1])
        assert torch.equal(single.weights, game.weights[i : i + 1])
        alone = best_response_dynamics(single, **options)
        rows = alone.mse.shape[0]
        assert rows <= trace.mse.shape[0]
        assert int(alone.iterations[0]) == int(trace.iterations[i])
        assert bool(alone.converged[0]) == bool(trace.converged[i])
        for name in ("mse", "nmse", "mui_power", "exploitability"):
            ours, theirs = getattr(trace, name)[:, i], getattr(alone, name)[:, 0]
            frozen = theirs[-1:].expand(ours.shape[0] - rows, *theirs.shape[1:])
            torch.testing.assert_close(
                ours, torch.cat([theirs, frozen]), rtol=1e-9, atol=1e-12, msg=name
            )
        torch.testing.assert_close(
            trace.state.powers[i], alone.state.powers[0], rtol=1e-9, atol=1e-12
        )
        for fn, batch in zip(references, together, strict=True):
            one = fn(single)
            torch.testing.assert_close(
                batch.metrics.mse[i], one.metrics.mse[0], rtol=1e-9, atol=1e-12
            )
            torch.testing.assert_close(
                batch.state.powers[i], one.state.powers[0], rtol=1e-9, atol=1e-12
            )


test_solver_batches_are_single_games, test_solver_batches_are_single_games_slow = _twins(
    30, setup=synthetic_games(), options=dynamics_options()
)(_solver_batches)


def _latents(
    n: int, d: int, widths: list[int], seed: int
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """AP latents (n, d) and users' (n, m) linearly related to them plus noise."""
    gen = torch.Generator().manual_seed(seed)
    base = torch.randn(n, d, dtype=torch.float64, generator=gen)
    users = [
        base @ torch.randn(d, m, dtype=torch.float64, generator=gen)
        + 0.5 * torch.randn(n, m, dtype=torch.float64, generator=gen)
        for m in widths
    ]
    return base @ torch.randn(d, d, dtype=torch.float64, generator=gen), users


@st.composite
def downlinks(
    draw: st.DrawFn,
) -> tuple[DownlinkConfig, FederatedSettings, int, list[int], int, int, int]:
    """(scenario, ADMM settings, d_x, user widths, n samples, latent seed, channel seed) of a
    small downlink."""
    config = DownlinkConfig(
        n_users=draw(st.integers(1, 4)),
        n_tx=draw(st.integers(1, 3)),
        n_rx=draw(st.integers(1, 3)),
        channel_uses=draw(st.integers(1, 3)),
        snr_db=draw(st.floats(-30.0, 60.0)),
        power=draw(st.sampled_from((1.0, 0.1, 4.0))),
        pilot_fraction=draw(st.sampled_from((1.0, 0.5, 0.1))),
    )
    settings = FederatedSettings(
        rho=draw(st.floats(0.1, 10.0)),
        iterations=draw(st.integers(1, 8)),
        seed=draw(st.integers(0, 2**31 - 2)),
    )
    d_x = config.channel_uses * config.n_tx + draw(st.integers(0, 4))
    widths = draw(
        st.lists(
            st.integers(1, 8).map(lambda w: 2 * w), min_size=config.n_users, max_size=config.n_users
        )
    )
    return config, settings, d_x, widths, draw(st.integers(40, 160)), draw(SEEDS), draw(SEEDS)


def _federated(setup: tuple) -> dict[str, Any]:
    config, settings, d_x, widths, n, latent_seed, channel_seed = setup
    tx, rx = _latents(n, 2 * d_x, widths, latent_seed)
    pairs, pilots = prepare_users(tx, rx, config)
    channels = sample_rayleigh_downlink(
        config.n_users, config.n_tx, config.n_rx, seed=channel_seed, dtype=torch.complex128
    )[0]
    scene = Downlink.build(pairs, channels, config, pilots)
    return {
        "pairs": pairs,
        "federated": federated_admm(scene, settings),
        "first_k": first_k(scene),
        "top_k": top_k(scene),
        "multi_link": multi_link(scene),
        "disjoint_first": mmse_svd_least_squares(scene, selection="first"),
        "disjoint_top": mmse_svd_least_squares(scene, selection="top"),
    }


def _federated_tensors(result: dict[str, Any]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in result.items():
        if name == "pairs":
            continue
        for field in ("precoder", "mse", "nmse", "equalizers", "consensus", "lagrangian"):
            if hasattr(value, field):
                out[f"{name}.{field}"] = getattr(value, field)
    return out


def _federated_solvers(setup: tuple) -> None:
    config, settings = setup[0], setup[1]
    result = _federated(setup)
    users, budget, b = config.n_users, config.power, config.channel_uses * config.n_tx
    energy = torch.stack([p.stats.target_energy for p in result["pairs"]])
    tol = 1e-9 * energy
    assert _all_finite(_federated_tensors(result))
    fed, link = result["federated"], result["multi_link"]
    assert fed.mse.shape == (settings.iterations, users)
    # feasible precoders: tr(F Fᴴ) <= P_T (the multi-link one per user)
    assert float(fed.consensus.abs().square().sum()) <= budget * (1 + 1e-9)
    assert bool((link.precoder.abs().square().sum((-2, -1)) <= budget * (1 + 1e-9)).all())
    for name in ("first_k", "top_k", "disjoint_first", "disjoint_top"):
        power = float(result[name].precoder.abs().square().sum())
        assert power <= budget * (1 + 1e-9), name
    # Wiener receivers convey something or nothing: 0 <= NMSE <= 1
    for nmse in (fed.nmse, link.nmse, result["first_k"].nmse, result["top_k"].nmse):
        assert bool((nmse >= -1e-12).all()) and bool((nmse <= 1 + 1e-9).all())
    # the multi-link design is each user's single-user optimum: below every shared precoder
    for other in (fed.mse, result["first_k"].mse, result["top_k"].mse):
        assert bool((link.mse <= other + tol).all())
    # the Wiener receiver is the best linear receiver for the same precoder
    assert bool((result["first_k"].mse <= result["disjoint_first"].mse + tol).all())
    assert bool((result["top_k"].mse <= result["disjoint_top"].mse + tol).all())
    # Top-K sends at least First-K's semantic energy; its side information is L·B indices
    semantic = sum(p.stats.cross_covariance.abs().square().sum(-2) for p in result["pairs"])
    top, first = result["top_k"].selected, result["first_k"].selected
    assert float(semantic[top].sum()) >= float(semantic[first].sum()) * (1 - 1e-12)
    assert result["top_k"].side_information == users * b
    assert result["first_k"].side_information == 0 == link.side_information
    assert fed.protocol.messages_per_iteration == 2 * users
    _assert_same(_federated_tensors(_federated(setup)), _federated_tensors(result))


test_federated_solvers, test_federated_solvers_slow = _twins(150, setup=downlinks())(
    _federated_solvers
)


# --- 4. invalid arguments ----------------------------------------------------------------------
NAN, INF = math.nan, math.inf
BAD_COUNTS = (0, -1, 1.5, True, np.bool_(True), np.float64(2.5), "2", None, NAN, INF)
BAD_POSITIVE = (0.0, -1.0, NAN, INF, -INF, np.float32(-1.0), np.bool_(True), "1", None)
#: field → invalid values of the interference env (and its gym ids and vector envs)
INTERFERENCE_BAD: dict[str, tuple[object, ...]] = {
    "n_links": BAD_COUNTS,
    "n_antennas": BAD_COUNTS,
    "n_tx_antennas": (0, -1, 1.5, True, "2", INF),  # None: n_antennas
    "n_rx_antennas": (0, -1, 1.5, True, "2", NAN),
    "channel_uses": (*BAD_COUNTS, 200),  # 200·N_T symbols: more than the encoder's 128
    "alpha": BAD_POSITIVE,
    "snr_db": (NAN, INF, -INF, "20", True),
    "tx_power_w": BAD_POSITIVE,
    "fading": ("nakagami", 1, None),
    "rician_k": (-1.0, NAN, INF),
    "reward": ("rate", None),
    "action_mode": ("watts", 1),  # None: the env's default
    "max_cycles": (0, -5, 2.5, NAN, INF),  # None: the env's default
    "primary_users": (-1, 0.5, NAN, INF, "1"),
    "interference_cap": (0.0, -0.1, NAN, INF),
    "enforce_caps": ("yes", 1, None),
    "dtype": ("float16", "complex64"),
    "render_mode": ("ansi",),
    "tx_encoders": ("nope", (), ("nope",) * 8),
    "rx_encoders": ((), ("nope",) * 8),
    "latents": ("nope", "missing/bank.npz"),
}
#: field → invalid values of the downlink env
BROADCAST_BAD: dict[str, tuple[object, ...]] = {
    "n_users": BAD_COUNTS,
    "n_tx": BAD_COUNTS,
    "n_rx": BAD_COUNTS,
    "channel_uses": (*BAD_COUNTS, 200),
    "snr_db": (None, NAN, INF, "20", True),
    "power": BAD_POSITIVE,
    "pilot_fraction": (0.0, -0.5, 1.5, NAN, INF, None),
    "user_group": ("mixed", None),
    "reward": ("rate", None),
    "action_mode": ("normalized", 1),  # None: the env's default
    "max_cycles": (0, -5, 2.5, NAN, INF),  # None: the env's default
    "render_mode": ("human",),
    "ap_encoder": ("nope",),
    "user_encoders": ("tx", ("nope",) * 8, ()),
    "latents": ("nope", "missing/bank.npz"),
}
VECTOR_BAD: dict[str, tuple[object, ...]] = {
    "num_envs": (0, -1, 1.5, True, NAN, INF, None),
    "dtype": ("float16", "complex128"),
    "reward": ("accuracy",),
    "render_mode": ("human",),
}
LINK_BAD: tuple[object, ...] = (-1, 99, 0.5, NAN, INF, None, "0")
FACTORIES = (
    "interference",
    "gym_interference",
    "gym_link",
    "vector",
    "link_vector",
    "broadcast",
    "gym_broadcast",
)


@st.composite
def invalid_setups(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """(factory, field, kwargs): valid kwargs but for one field."""
    factory = draw(st.sampled_from(FACTORIES))
    broadcast = factory.endswith("broadcast")
    kw = draw(broadcast_kwargs()) if broadcast else draw(interference_kwargs(primary=False))
    table = dict(BROADCAST_BAD if broadcast else INTERFERENCE_BAD)
    if factory in ("vector", "link_vector"):
        table.update(VECTOR_BAD)
        del table["render_mode"]
        table["render_mode"] = ("human",)
    if factory in ("gym_link", "link_vector"):
        table["link_index"] = LINK_BAD
    field = draw(st.sampled_from(sorted(table)))
    value = draw(st.sampled_from(table[field]))
    if field in ("n_antennas", "n_tx_antennas", "n_rx_antennas"):
        for key in ("n_antennas", "n_tx_antennas", "n_rx_antennas"):
            kw.pop(key, None)
        kw["n_antennas"] = 2
    if field in ("tx_encoders", "rx_encoders", "user_encoders") and isinstance(value, tuple):
        value = list(value)
    kw[field] = value
    return factory, field, kw


def _construct(factory: str, kw: dict[str, Any]) -> object:
    kw = dict(kw)
    if factory == "interference":
        return interference_v0.parallel_env(**kw)
    if factory == "broadcast":
        return broadcast_v0.parallel_env(**kw)
    if factory == "gym_interference":
        return gym.make("semgym/Interference-v0", **kw)
    if factory == "gym_link":
        return gym.make("semgym/InterferenceLink-v0", **kw)
    if factory == "gym_broadcast":
        return gym.make("semgym/Broadcast-v0", **kw)
    num_envs = kw.pop("num_envs", 2)
    cls = InterferenceVecEnv if factory == "vector" else InterferenceLinkVecEnv
    return cls(num_envs, **kw)


def _invalid_arguments(setup: tuple[str, str, dict[str, Any]]) -> None:
    factory, field, kw = setup
    with pytest.raises(ValueError) as caught, warnings.catch_warnings():
        # gymnasium warns about an unknown render_mode before the env rejects it
        warnings.filterwarnings("ignore", message=".*render_mode.*")
        _construct(factory, kw)
    message = str(caught.value)
    # the message names the field (n_antennas sets n_tx_antennas and n_rx_antennas)
    names = {"n_antennas": ("n_antennas", "n_tx_antennas", "n_rx_antennas")}.get(field, (field,))
    assert any(name in message for name in names), (field, kw[field], message)


test_invalid_arguments_raise_named_errors, test_invalid_arguments_raise_named_errors_slow = _twins(
    300, setup=invalid_setups()
)(_invalid_arguments)
