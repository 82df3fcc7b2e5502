"""What semgym's environments share: constants, fixed space objects, episode seeding, the
PettingZoo factory trio, and the actions' codec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
import torch
from pettingzoo import ParallelEnv
from pettingzoo.utils import parallel_to_aec, wrappers
from torch import Tensor

from semgym import core

#: Observed log10 values are clamped to [LOG_FLOOR, LOG_CEIL] (a gain times the budget below
#: 1e-30 is no gain at all); every observation entry lies in this range.
LOG_FLOOR = -30.0
LOG_CEIL = 30.0
#: float32 rounding allowance of an action: a precoder action with ‖F̄‖²_F ≤ 1 + this, or powers
#: that the projection moves by at most this times the budget, are not reported as
#: ``projected`` (they are still made exactly feasible).
ROUNDING = 1e-6
#: Floating-point precision of the computations (observations are float32 either way).
DTYPES = {"float64": torch.complex128, "float32": torch.complex64}
#: Power-allocation action modes (watts, or [-1, 1] mapped onto the budget).
POWER_MODES = ("power", "normalized")


def draw_seed(rng: np.random.Generator) -> int:
    """A channel seed drawn from an episode RNG (unseeded episodes)."""
    return int(rng.integers(0, 2**31 - 1))


def log_gain(values: Tensor) -> Tensor:
    """log10 of non-negative values, floored at 10^LOG_FLOOR (observations stay finite)."""
    return torch.log10(values.clamp_min(10.0**LOG_FLOOR))


def clamp_observation(parts: list[Tensor]) -> Tensor:
    """Observation parts concatenated along the last axis, clamped to [LOG_FLOOR, LOG_CEIL],
    float32."""
    return torch.cat(parts, -1).clamp(LOG_FLOOR, LOG_CEIL).to(torch.float32)


# --- the actions' codec -----------------------------------------------------------------------
def decode_powers(raw: Tensor, mode: str, budget: float) -> tuple[Tensor, Tensor]:
    """Powers (..., M) W from ``power`` (watts) or ``normalized`` ([-1, 1]) actions, projected
    onto {p ≥ 0, Σp ≤ budget}; returns (powers, projected (...) bool).

    ``normalized``: u = (a + 1)/2 and p = budget · u / max(1, Σu), so every action is feasible
    and every feasible p is reachable (u = p/budget).
    """
    if mode == "normalized":
        share = (raw.clamp(-1.0, 1.0) + 1.0) / 2.0
        raw = budget * share / share.sum(-1, keepdim=True).clamp_min(1.0)
    powers = core.project_to_budget(raw, budget)
    return powers, (powers - raw).abs().amax(-1) > ROUNDING * budget


def encode_powers(powers: Tensor, mode: str, budget: float) -> Tensor:
    """The ``power`` or ``normalized`` action (..., M) of feasible powers p (W)."""
    p = powers.clamp_min(0.0)
    return p if mode == "power" else 2.0 * p / budget - 1.0


def decode_precoder(raw: Tensor, rows: int, budget: float) -> tuple[Tensor, Tensor]:
    """F (..., rows, cols) on the power ball from ``precoder`` actions (..., 2·rows·cols) in
    [-1, 1]: F̄ = (a[:rows·cols] + j·a[rows·cols:]).reshape(rows, cols) and
    F = √budget · F̄ / max(1, ‖F̄‖_F), so every action is feasible and the whole ball is reachable;
    returns (F, projected (...) bool: clipped to the box or scaled into the ball)."""
    size = raw.shape[-1] // 2
    clipped = raw.clamp(-1.0, 1.0)
    fbar = torch.complex(clipped[..., :size], clipped[..., size:])
    fbar = fbar.reshape(*raw.shape[:-1], rows, size // rows)
    energy = core.squared_magnitude(fbar).sum((-2, -1))
    projected = (energy > 1.0 + ROUNDING) | (clipped != raw).any(-1)
    scale = budget**0.5 / energy.sqrt().clamp_min(1.0)
    return fbar * scale.to(fbar.real.dtype)[..., None, None], projected


def encode_precoder(precoder: Tensor, budget: float) -> Tensor:
    """The ``precoder`` action (..., 2·rows·cols) of F (..., rows, cols): [Re F̄, Im F̄] with
    F̄ = F/√budget, after projecting F onto tr(F Fᴴ) ≤ budget (a feasible F is unchanged)."""
    scaled = core.project_to_power_ball(precoder, budget) / budget**0.5
    return torch.cat([scaled.real.flatten(-2), scaled.imag.flatten(-2)], -1)


# --- PettingZoo --------------------------------------------------------------------------------
class SemgymParallelEnv(ParallelEnv):
    """Base of ``interference_v0`` and ``broadcast_v0``.

    Subclasses fill ``_observation_spaces`` and ``_action_spaces`` (one space object per agent:
    PettingZoo's tests require the same object on every call) and start ``_np_random`` at None.
    """

    _observation_spaces: dict[str, gymnasium.spaces.Box]
    _action_spaces: dict[str, gymnasium.spaces.Box]
    _np_random: np.random.Generator | None

    def observation_space(self, agent: str) -> gymnasium.spaces.Box:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Box:
        return self._action_spaces[agent]

    def _channel_seed(self, seed: int | None) -> int:
        """Seed the env's RNG and return the episode's channel seed: ``seed`` itself, or a
        draw from the env's RNG when ``seed`` is None (so unseeded episodes still repeat after
        one seeded reset)."""
        if seed is not None:
            self._np_random = np.random.default_rng(seed)
            return int(seed)
        if self._np_random is None:
            self._np_random = np.random.default_rng()
        return draw_seed(self._np_random)

    def _validated_action(self, agent: str, action: Any, size: int) -> np.ndarray:
        """``action`` of ``agent`` as float64 (size,), or ``ValueError`` naming the problem."""
        try:
            a = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"action of {agent!r} is not an array of numbers: {error}") from None
        if a.shape != (size,):
            raise ValueError(f"action of {agent!r} must have shape ({size},), got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"action of {agent!r} contains NaN or inf")
        return a


def episode_seed(env: gymnasium.Env, seed: int | None) -> int:
    """Seed a Gymnasium env's RNG (its ``reset(seed)`` contract) and return the channel seed of
    the episode: ``seed`` itself, or a draw from that RNG when ``seed`` is None."""
    gymnasium.Env.reset(env, seed=seed)
    return draw_seed(env.np_random) if seed is None else int(seed)


def env_factories(
    cls: type[ParallelEnv],
) -> tuple[Callable[..., ParallelEnv], Callable[..., ParallelEnv], Callable[..., Any]]:
    """PettingZoo's ``raw_env``, ``parallel_env`` and ``env`` (AEC) constructors of ``cls``."""

    def raw_env(**kwargs: Any) -> ParallelEnv:
        return cls(**kwargs)

    def parallel_env(**kwargs: Any) -> ParallelEnv:
        return cls(**kwargs)

    def env(**kwargs: Any) -> Any:
        return wrappers.OrderEnforcingWrapper(parallel_to_aec(cls(**kwargs)))

    name = cls.__name__
    raw_env.__doc__ = f"The parallel environment without wrappers (``{name}``)."
    parallel_env.__doc__ = f":class:`{name}` (PettingZoo ``ParallelEnv``)."
    env.__doc__ = f"The AEC version of :class:`{name}` (``parallel_to_aec``, order enforced)."
    return raw_env, parallel_env, env
