"""Invalid constructor arguments of every env, Gymnasium id and vector env raise a
``ValueError`` naming the field."""

from __future__ import annotations

import math
import warnings
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import strategies as st
from properties import (
    broadcast_kwargs,
    interference_kwargs,
    twins,
)

import semgym  # noqa: F401  (registers the Gymnasium ids)
from semgym import broadcast_v0, interference_v0
from semgym.vector import InterferenceLinkVecEnv, InterferenceVecEnv

pytestmark = pytest.mark.usefixtures("one_torch_thread")

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
    "reward_scope": ("cooperative", None, 1),
    "observe_prices": ("yes", 1, None),
    "hold_probability": (1.0, -0.1, 1.5, NAN, INF, "0.5", None),
    "topology": ("grid", None, 1),
    "density_per_km2": BAD_POSITIVE,
    "area_m": (0.0, -10.0, NAN, INF, "100", True),
    "link_distance_range_m": ((10.0,), (50.0, 10.0), (-1.0, 5.0), (0.0, 5.0), "10", None),
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
    "render_mode": ("ansi",),
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


test_invalid_arguments_raise_named_errors, test_invalid_arguments_raise_named_errors_slow = twins(
    300, setup=invalid_setups()
)(_invalid_arguments)
