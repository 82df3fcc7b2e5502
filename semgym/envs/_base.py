"""What semgym's environments share: constants, fixed space objects, episode seeding, the
PettingZoo factory trio, and the actions' codec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium
import numpy as np
import torch
from pettingzoo import ParallelEnv
from pettingzoo.utils import parallel_to_aec, wrappers
from torch import Tensor

from semgym import core
from semgym._validation import check_choice, check_positive_int, real_array

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
#: What a PettingZoo ``step`` returns: observations, rewards, terminations, truncations, infos.
ParallelStep = tuple[
    dict[str, np.ndarray],
    dict[str, float],
    dict[str, bool],
    dict[str, bool],
    dict[str, dict[str, Any]],
]
#: Power-allocation action modes (watts, or [-1, 1] mapped onto the budget).
POWER_MODES = ("power", "normalized")


#: The channel seeds unseeded episodes draw from, [low, high).
SEED_RANGE = (0, 2**31 - 1)


def draw_seed(rng: np.random.Generator, seed_range: tuple[int, int] = SEED_RANGE) -> int:
    """A channel seed drawn from an episode RNG (unseeded episodes), uniform in ``seed_range``."""
    return int(rng.integers(*seed_range))


def log_gain(values: Tensor) -> Tensor:
    """log10 of non-negative values, floored at 10^LOG_FLOOR (observations stay finite)."""
    return torch.log10(values.clamp_min(10.0**LOG_FLOOR))


def clamp_observation(parts: list[Tensor]) -> Tensor:
    """Observation parts concatenated along the last axis, clamped to [LOG_FLOOR, LOG_CEIL],
    float32."""
    return torch.cat(parts, -1).clamp(LOG_FLOOR, LOG_CEIL).to(torch.float32)


#: Reward kinds of the single envs (the vector envs compute the first two).
REWARDS = ("nmse", "mse", "accuracy")


@dataclass(frozen=True)
class EnvConfig:
    """Everything an env is made of, validated: its scenario and its RL settings.

    Subclasses name their batch class and default episode length as class keywords;
    :meth:`from_kwargs` splits an env's keyword arguments into both (the PettingZoo env, its
    Gymnasium views and its vector env share one configuration), and the subclass builds the
    spaces from it.
    """

    scenario: Any
    reward: str
    max_cycles: int
    action_mode: str
    info_accuracy: bool
    dtype: str

    SCENARIO: ClassVar[Any]
    BATCH: ClassVar[Any]
    ACTION_MODES: ClassVar[tuple[str, ...]]
    DEFAULT_MAX_CYCLES: ClassVar[int]
    DEFAULT_ACTION_MODE: ClassVar[str]

    def __init_subclass__(cls, *, batch: type, max_cycles: int, **kwargs: Any) -> None:
        """An env's configuration: its batch class (which names the scenario class and the
        action modes, the first being the default) and its default episode length."""
        super().__init_subclass__(**kwargs)
        cls.SCENARIO, cls.BATCH, cls.ACTION_MODES = batch.SCENARIO, batch, batch.ACTION_MODES
        cls.DEFAULT_MAX_CYCLES, cls.DEFAULT_ACTION_MODE = max_cycles, batch.ACTION_MODES[0]

    def __post_init__(self) -> None:
        check_choice("reward", self.reward, REWARDS)
        check_choice("action_mode", self.action_mode, self.ACTION_MODES)
        check_choice("dtype", self.dtype, DTYPES)
        object.__setattr__(self, "max_cycles", check_positive_int("max_cycles", self.max_cycles))
        object.__setattr__(
            self, "info_accuracy", bool(self.info_accuracy) or self.reward == "accuracy"
        )

    @classmethod
    def from_kwargs(
        cls,
        *,
        reward: str = "nmse",
        max_cycles: int | None = None,
        action_mode: str | None = None,
        info_accuracy: bool = False,
        dtype: str = "float64",
        **scenario: Any,
    ) -> EnvConfig:
        """The configuration of the env built with these keyword arguments (no
        ``render_mode``): the RL settings here, the rest for the scenario's ``create``."""
        action_mode = cls.DEFAULT_ACTION_MODE if action_mode is None else action_mode
        check_choice("reward", reward, REWARDS)
        check_choice("action_mode", action_mode, cls.ACTION_MODES)
        return cls(
            cls.SCENARIO.create(**scenario),
            reward,
            cls.DEFAULT_MAX_CYCLES if max_cycles is None else max_cycles,
            action_mode,
            info_accuracy,
            dtype,
        )

    def batch(self, batch_size: int = 1, device: torch.device | str = "cpu") -> Any:
        """The env's batch (:mod:`semgym.envs.batch`) of ``batch_size`` episodes."""
        return self.BATCH(
            self.scenario,
            action_mode=self.action_mode,
            batch_size=batch_size,
            device=device,
            dtype=DTYPES[self.dtype],
        )

    @staticmethod
    def observation_box(size: int) -> gymnasium.spaces.Box:
        """The observation space of ``size`` float32 entries in [LOG_FLOOR, LOG_CEIL]."""
        return gymnasium.spaces.Box(LOG_FLOOR, LOG_CEIL, (size,), np.float32)


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


def decode_precoder(
    raw: Tensor, rows: int, budget: float, *, complex_: bool = True
) -> tuple[Tensor, Tensor]:
    """F (..., rows, cols) on the power ball from ``precoder`` actions in [-1, 1]: complex
    F̄ = (a[:rows·cols] + j·a[rows·cols:]).reshape(rows, cols) from (..., 2·rows·cols), or (not
    ``complex_``: the real-composite form of widely-linear processing) the real
    F̄ = a.reshape(rows, cols) from (..., rows·cols); then F = √budget · F̄ / max(1, ‖F̄‖_F), so
    every action is feasible and the whole ball is reachable. Returns (F, projected (...)
    bool: clipped to the box or scaled into the ball)."""
    clipped = raw.clamp(-1.0, 1.0)
    if complex_:
        size = raw.shape[-1] // 2
        fbar = torch.complex(clipped[..., :size], clipped[..., size:])
    else:
        size, fbar = raw.shape[-1], clipped
    fbar = fbar.reshape(*raw.shape[:-1], rows, size // rows)
    energy = core.squared_magnitude(fbar).sum((-2, -1))
    projected = (energy > 1.0 + ROUNDING) | (clipped != raw).any(-1)
    scale = budget**0.5 / energy.sqrt().clamp_min(1.0)
    return fbar * scale.to(fbar.real.dtype)[..., None, None], projected


def encode_precoder(precoder: Tensor, budget: float) -> Tensor:
    """The ``precoder`` action of F (..., rows, cols): [Re F̄, Im F̄] (..., 2·rows·cols), or F̄
    itself (..., rows·cols) for a real F, with F̄ = F/√budget after projecting F onto
    tr(F Fᴴ) ≤ budget (a feasible F is unchanged)."""
    scaled = core.project_to_power_ball(precoder, budget) / budget**0.5
    if not scaled.is_complex():
        return scaled.flatten(-2)
    return torch.cat([scaled.real.flatten(-2), scaled.imag.flatten(-2)], -1)


def precoder_action_size(rows: int, cols: int, complex_: bool) -> int:
    """Length of a ``precoder`` action of a rows × cols F (complex: its two real halves)."""
    return rows * cols * (2 if complex_ else 1)


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

    def _configure(self, config: EnvConfig) -> None:
        """Adopt an env configuration: its scenario, RL settings and batch of one."""
        self.env_config = config
        self.scenario = config.scenario
        self.reward_kind = config.reward
        self.action_mode = config.action_mode
        self.max_cycles = config.max_cycles
        self.info_accuracy = config.info_accuracy
        self.dtype = config.dtype
        self.latents = config.scenario.latents
        self.batch = config.batch()
        self._np_random = None

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
        a = real_array(f"action of {agent!r}", action)
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
