"""What the property-based tests share (hypothesis): random valid configurations of the
synthetic bank, hostile actions, the checks every env output must pass, and the loops that
play them (:func:`play_hostile`).

The guards themselves are in ``test_hostile_actions.py``, ``test_determinism.py``,
``test_solver_properties.py`` and ``test_invalid_arguments.py``. Each test exists twice: the
default one and a ``slow`` twin with ``SLOW_FACTOR`` times the examples (``pytest -m slow``).
Every run is derandomized (reproducible).
"""

from __future__ import annotations

import math
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
from semgym.vector import InterferenceLinkVecEnv, InterferenceVecEnv

#: The slow twins run this many times the default examples.
SLOW_FACTOR = 10
BANK = "synthetic"
AP = "access_point"


def twins(examples: int, **strategies: Any) -> Callable[[Callable[..., None]], tuple[Any, Any]]:
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
        "reward_scope": draw(st.sampled_from(("link", "team"))),
        "observe_prices": draw(st.booleans()),
        "topology": draw(st.sampled_from(("line", "random"))),
        "primary_users": draw(PRIMARIES) if primary else 0,
    }
    if kw["topology"] == "random" and kw["snr_db"] is not None:
        # σ² is set at the mean link distance; the nearest transmitter (d_min) is received up
        # to 7.5 dB stronger, and 60 dB is float32's limit
        kw["snr_db"] = min(kw["snr_db"], 52.0)
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


def fewer_with_primaries(kw: dict[str, Any], steps: list) -> list:
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


def random_action(
    space: gym.spaces.Box, seed: int, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """A float32 action drawn uniformly in ``space`` (of ``shape``, default the space's)."""
    rng = np.random.default_rng(seed)
    shape = space.shape if shape is None else shape
    low = np.broadcast_to(space.low.reshape(-1)[0], shape)
    high = np.broadcast_to(space.high.reshape(-1)[0], shape)
    return rng.uniform(low, high).astype(np.float32)


def hostile_action(kind: str, base: np.ndarray, where: int, seed: int) -> object:
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


def as_real(action: object) -> np.ndarray:
    """What an accepted action is, as float64 (for the expected-behaviour checks)."""
    if isinstance(action, torch.Tensor):
        return action.double().numpy()
    return np.asarray(action, dtype=np.float64)


def assert_names_problem(error: ValueError, kind: str, name: str | None = None) -> None:
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


def assert_same(ours: object, theirs: object) -> None:
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


def all_finite(tree: object) -> bool:
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


def check_link(
    obs: np.ndarray, info: Mapping[str, Any], facts: Facts, action: np.ndarray | None = None
) -> None:
    """One link's observation and infos against the interference env manual."""
    m = facts.m
    assert obs.shape[0] == (3 + bool(facts.primaries) + facts.prices) * m + 3
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
        if facts.prices:  # and nobody to harm: no price (the floor)
            assert np.all(obs[-m:] == -30.0), obs[-m:]
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


def check_primary(info: Mapping[str, Any], n_primaries: int) -> None:
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
    team: bool = False  # every agent receives the network's reward
    prices: bool = False  # every link observes the announced interference prices


def facts_of(kw: Mapping[str, Any], dtype: str | None = None) -> Facts:
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
        kw.get("reward_scope") == "team",
        bool(kw.get("observe_prices")),
    )


def check_interference(
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
        blocks = 3 + bool(facts.primaries) + facts.prices
        assert obs.shape == (blocks * facts.m + 3,)
        action = None if actions is None else as_real(actions[agent])
        check_link(obs, infos[agent], facts, action)
        check_primary(infos[agent], facts.primaries)
        if actions is None:  # Algorithm 1's random start spends the whole budget
            assert abs(obs[3 * facts.m + 2] - 1) < 1e-5
    state = env.state()
    assert env.state_space.contains(state) and np.all(np.isfinite(state))
    np.testing.assert_array_equal(state, np.concatenate([observations[a] for a in agents]))


def check_interference_step(
    env: interference_v0.InterferenceEnv, facts: Facts, actions: Mapping[str, object], out: tuple
) -> None:
    observations, rewards, terminations, truncations, infos = out
    check_interference(env, facts, observations, infos, actions)
    network = float(np.mean([-info[facts.reward] for info in infos.values()]))
    rtol = 1e-6 if facts.single else 1e-12  # the mean taken in the computation's precision
    for agent in observations:
        if facts.team:  # every agent the network's mean
            assert abs(rewards[agent] - network) <= rtol * max(1.0, abs(network))
        else:
            assert rewards[agent] == -infos[agent][facts.reward]
        assert terminations[agent] is False and truncations[agent] is False
    assert all_finite(out)


def check_best_responses(env: interference_v0.InterferenceEnv) -> dict[str, np.ndarray]:
    """:meth:`best_response_actions` lie in the action space (up to float32 rounding)."""
    best = env.best_response_actions()
    assert list(best) == env.agents
    for agent, action in best.items():
        space = env.action_space(agent)
        assert action.shape == space.shape and np.all(np.isfinite(action))
        scale = 1e-6 * max(1.0, float(space.high.max()))
        assert np.all(action >= space.low - scale) and np.all(action <= space.high + scale)
    return best


def check_broadcast(
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
    assert np.all(np.isfinite(obs)) and all_finite(info)
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
    a = as_real(action)
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


def check_broadcast_step(
    env: broadcast_v0.BroadcastEnv, facts: Facts, action: object, out: tuple
) -> None:
    observations, rewards, terminations, truncations, infos = out
    assert list(observations) == list(rewards) == list(infos) == [AP]
    check_broadcast(env.observation_space(AP), facts, observations[AP], infos[AP], action)
    np.testing.assert_array_equal(env.state(), observations[AP])
    assert rewards[AP] == -infos[AP][facts.reward]
    assert terminations[AP] is False and truncations[AP] is False
    assert all_finite(out)


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


@st.composite
def vector_setups(draw: st.DrawFn) -> tuple[type, int, str, dict[str, Any]]:
    """(class, num_envs, dtype, kwargs) of a vector env."""
    cls = draw(st.sampled_from((InterferenceVecEnv, InterferenceLinkVecEnv)))
    kw = draw(interference_kwargs())
    if cls is InterferenceLinkVecEnv:
        kw["link_index"] = draw(st.integers(0, kw["n_links"] - 1))
    return cls, draw(st.integers(1, 3)), draw(st.sampled_from(("float32", "float64"))), kw


def as_cpu_tensor(value: object) -> object:
    """numpy inputs become CPU tensors (what the vector envs are fed); others stay as given."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        return torch.from_numpy(np.ascontiguousarray(value))
    return value
