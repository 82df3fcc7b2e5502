"""An env's configuration: its scenario and its RL settings, validated once.

Every front end of an env (the PettingZoo env, its Gymnasium views, its vector env, the
trainer adapters) is built from one :class:`EnvConfig`, which is where keyword arguments are
checked: the scenario's by the scenario's ``create``, the RL settings here. The configuration
owns the observation layout (:mod:`semgym.envs.layout`) and the action spaces; its
:meth:`~EnvConfig.batch` is the implementation of the env's dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import torch

from semgym._validation import check_bool, check_choice, check_positive_int
from semgym.envs.layout import ObservationLayout, ObservationSpec

#: Floating-point precision of the computations (observations are float32 either way).
DTYPES = {"float64": torch.complex128, "float32": torch.complex64}
#: Reward kinds of the single envs.
REWARDS = ("nmse", "mse", "accuracy")
#: Reward kinds of the vector envs (``"accuracy"`` simulates the test set per env and step).
BATCH_REWARDS = ("nmse", "mse")
#: The channel seeds unseeded episodes draw from, [low, high).
SEED_RANGE = (0, 2**31 - 1)


def draw_seed(rng: np.random.Generator, seed_range: tuple[int, int] = SEED_RANGE) -> int:
    """A channel seed drawn from an episode RNG (unseeded episodes), uniform in ``seed_range``."""
    return int(rng.integers(*seed_range))


@dataclass(frozen=True)
class EnvConfig:
    """Everything an env is made of, validated: its scenario and its RL settings.

    Subclasses name their batch class (which names the scenario class and the action modes,
    the first being the default), their default episode length and their observation
    (:class:`~semgym.envs.layout.ObservationSpec`) as class keywords; :meth:`from_kwargs`
    splits an env's keyword arguments into the scenario's and the RL settings.

    Attributes:
        scenario: the env's scenario (frozen, validated by its ``create``).
        reward: ``"nmse"``, ``"mse"`` or (single envs) ``"accuracy"``.
        max_cycles: steps before truncation (>= 1).
        action_mode: one of the batch's ``ACTION_MODES``.
        info_accuracy: report accuracy in infos (True when the reward is accuracy).
        dtype: ``"float64"`` or ``"float32"``, the precision of the computations.
        vectorized: the configuration of a vector env (no test-set simulation per step).
    """

    scenario: Any
    reward: str
    max_cycles: int
    action_mode: str
    info_accuracy: bool
    dtype: str
    vectorized: bool = False

    SCENARIO: ClassVar[Any]
    BATCH: ClassVar[Any]
    OBSERVATION: ClassVar[ObservationSpec]
    ACTION_MODES: ClassVar[tuple[str, ...]]
    DEFAULT_MAX_CYCLES: ClassVar[int]
    DEFAULT_ACTION_MODE: ClassVar[str]

    def __init_subclass__(
        cls, *, batch: type, max_cycles: int, observation: ObservationSpec, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.SCENARIO, cls.BATCH, cls.ACTION_MODES = batch.SCENARIO, batch, batch.ACTION_MODES
        cls.DEFAULT_MAX_CYCLES, cls.DEFAULT_ACTION_MODE = max_cycles, batch.ACTION_MODES[0]
        cls.OBSERVATION = observation

    def __post_init__(self) -> None:
        vectorized = check_bool("vectorized", self.vectorized)
        check_choice("reward", self.reward, REWARDS)
        if vectorized and self.reward not in BATCH_REWARDS:
            raise ValueError(
                f"reward {self.reward!r} simulates the test set per env and step and is only "
                "offered by the single env; use 'nmse' or 'mse' in the vector env"
            )
        check_choice("action_mode", self.action_mode, self.ACTION_MODES)
        check_choice("dtype", self.dtype, DTYPES)
        info_accuracy = check_bool("info_accuracy", self.info_accuracy)
        if vectorized and info_accuracy:
            raise ValueError("info_accuracy is a single-env feature (a test-set simulation)")
        object.__setattr__(self, "max_cycles", check_positive_int("max_cycles", self.max_cycles))
        object.__setattr__(self, "info_accuracy", info_accuracy or self.reward == "accuracy")
        object.__setattr__(self, "vectorized", vectorized)

    @classmethod
    def from_kwargs(
        cls,
        *,
        reward: str = "nmse",
        max_cycles: int | None = None,
        action_mode: str | None = None,
        info_accuracy: bool = False,
        dtype: str = "float64",
        vectorized: bool = False,
        **scenario: Any,
    ) -> EnvConfig:
        """The configuration of the env built with these keyword arguments (no
        ``render_mode``): the RL settings here, the rest for the scenario's ``create``."""
        return cls(
            cls.SCENARIO.create(**scenario),
            reward,
            cls.DEFAULT_MAX_CYCLES if max_cycles is None else max_cycles,
            cls.DEFAULT_ACTION_MODE if action_mode is None else action_mode,
            info_accuracy,
            dtype,
            vectorized,
        )

    @property
    def complex_dtype(self) -> torch.dtype:
        """The complex dtype of the computations (complex64 or complex128)."""
        return DTYPES[self.dtype]

    def layout_sizes(self) -> dict[str, int]:
        """The sizes the observation's block sizes are written in (symbol → value)."""
        raise NotImplementedError

    @cached_property
    def observation_layout(self) -> ObservationLayout:
        """The observation of one agent: its blocks, sizes and slices."""
        return self.OBSERVATION.layout(**self.layout_sizes())

    def batch(self, batch_size: int = 1, device: torch.device | str = "cpu", **options: Any):
        """The env's batch (:mod:`semgym.envs.batch`) of ``batch_size`` episodes."""
        return self.BATCH(self, batch_size=batch_size, device=device, **options)
