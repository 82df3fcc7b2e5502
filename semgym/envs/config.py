"""An env's configuration: its scenario and its RL settings, validated once.

Every front end of an env (the PettingZoo env, its Gymnasium views, its vector env, the
trainer adapters) is built from one :class:`EnvConfig`, which is where keyword arguments are
checked: the scenario's by the scenario's ``create``, the RL settings here. The configuration
owns the observation layout (:mod:`semgym.envs.layout`) and the action spaces; its
:meth:`~EnvConfig.batch` is the implementation of the env's dynamics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import torch

from semgym._validation import check_bool, check_choice, check_positive, check_positive_int
from semgym.envs.layout import ObservationLayout, ObservationSpec

#: Floating-point precision of the computations (observations are float32 either way).
DTYPES = {"float64": torch.complex128, "float32": torch.complex64}
#: Reward kinds of the single envs.
REWARDS = ("nmse", "mse", "accuracy")
#: Reward kinds of the vector envs (``"accuracy"`` simulates the test set per env and step).
BATCH_REWARDS = ("nmse", "mse")
#: Whose objective each agent receives: its own link's (the game), or the network's (every
#: agent the mean over links: a cooperative team).
REWARD_SCOPES = ("link", "team")
#: The channel seeds unseeded episodes draw from, [low, high).
SEED_RANGE = (0, 2**31 - 1)
#: The strongest received signal over the noise (dB) for which each precision computes every
#: covariance's factorization exactly (measured at the paper's sizes: float32 failed from about
#: 70 dB with close interferers, float64 from about 160 dB; the limits keep a margin).
DYNAMIC_RANGE_DB = {"float32": 60.0, "float64": 140.0}
#: Environment variable that sets the memory an env (a batch of envs) may plan to use, in GB;
#: by default the memory of the device it runs on.
MEMORY_LIMIT_VARIABLE = "SEMGYM_MEMORY_LIMIT_GB"


def check_dynamic_range(snr_db: float, dtype: str, names: str) -> None:
    """``ValueError`` naming ``names`` and ``dtype`` when signals ``snr_db`` above the noise are
    beyond what ``dtype`` computes exactly (:data:`DYNAMIC_RANGE_DB`)."""
    limit = DYNAMIC_RANGE_DB[dtype]
    if snr_db > limit:
        advice = "use dtype='float64' or lower it" if dtype == "float32" else "lower it"
        raise ValueError(
            f"{names}: the strongest signal is received {snr_db:.1f} dB above the noise, beyond "
            f"the {limit:g} dB that dtype={dtype!r} computes exactly; {advice}"
        )


def memory_limit(device: torch.device | str = "cpu") -> float:
    """Bytes an env's batch may plan to use: ``$SEMGYM_MEMORY_LIMIT_GB`` GB when set, else the
    device's memory (the machine's RAM for the CPU)."""
    text = os.environ.get(MEMORY_LIMIT_VARIABLE)
    if text:
        try:
            return check_positive(MEMORY_LIMIT_VARIABLE, float(text)) * 1e9
        except ValueError:
            raise ValueError(
                f"{MEMORY_LIMIT_VARIABLE} must be a number of GB > 0, got {text!r}"
            ) from None
    device = torch.device(device)
    if device.type == "cuda":
        return float(torch.cuda.get_device_properties(device).total_memory)
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX: no limit we can read
        return float("inf")


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
        reward_scope: ``"link"`` (each agent its own link's reward) or ``"team"`` (each agent
            the network's: the mean of the links' rewards).
    """

    scenario: Any
    reward: str
    max_cycles: int
    action_mode: str
    info_accuracy: bool
    dtype: str
    vectorized: bool = False
    reward_scope: str = "link"

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
        check_choice("reward_scope", self.reward_scope, REWARD_SCOPES)
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
        reward_scope: str = "link",
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
            reward_scope,
        )

    @property
    def complex_dtype(self) -> torch.dtype:
        """The complex dtype of the computations (complex64 or complex128)."""
        return DTYPES[self.dtype]

    def layout_sizes(self) -> dict[str, int]:
        """The sizes the observation's block sizes are written in (symbol → value)."""
        raise NotImplementedError

    def layout_options(self) -> dict[str, int]:
        """The settings (0 or 1) that conditional observation blocks depend on, besides the
        sizes (none by default)."""
        return {}

    def bytes_per_env(self) -> float:
        """An estimate of the memory one env of the batch uses during a step (its tensors and
        the step's largest temporaries), bytes: within a small factor of what is measured,
        enough to refuse absurd sizes before anything is allocated."""
        raise NotImplementedError

    def check_memory(self, batch_size: int, device: torch.device | str = "cpu") -> None:
        """``ValueError`` with the estimate when ``batch_size`` envs would need more than
        :func:`memory_limit` (raise it with ``$SEMGYM_MEMORY_LIMIT_GB``)."""
        need = self.bytes_per_env() * batch_size
        limit = memory_limit(device)
        if need > limit:
            raise ValueError(
                f"these settings need about {need / 1e9:.3g} GB ({self.bytes_per_env() / 1e6:.3g} "
                f"MB per env × {batch_size} envs: {self._size_summary()}), more than the "
                f"{limit / 1e9:.3g} GB limit (the device's memory; {MEMORY_LIMIT_VARIABLE} "
                "changes it): lower the sizes or the number of envs"
            )

    def _size_summary(self) -> str:
        return ", ".join(f"{k} = {v}" for k, v in self.layout_sizes().items())

    @cached_property
    def observation_layout(self) -> ObservationLayout:
        """The observation of one agent: its blocks, sizes and slices."""
        return self.OBSERVATION.layout(**self.layout_sizes(), **self.layout_options())

    def batch(self, batch_size: int = 1, device: torch.device | str = "cpu", **options: Any):
        """The env's batch (:mod:`semgym.envs.batch`) of ``batch_size`` episodes, after
        :meth:`check_memory`."""
        self.check_memory(batch_size, device)
        return self.BATCH(self, batch_size=batch_size, device=device, **options)
