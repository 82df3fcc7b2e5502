"""What semgym's PettingZoo environments share: the base class (spaces, configuration,
episode seeding, action checks), the Gymnasium views' episode seeding and the PettingZoo
factory trio."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
from pettingzoo import ParallelEnv
from pettingzoo.utils import parallel_to_aec, wrappers

from semgym._validation import check_choice, check_seed, real_array
from semgym.envs.config import EnvConfig, draw_seed

#: What a PettingZoo ``step`` returns: observations, rewards, terminations, truncations, infos.
ParallelStep = tuple[
    dict[str, np.ndarray],
    dict[str, float],
    dict[str, bool],
    dict[str, bool],
    dict[str, dict[str, Any]],
]


# --- PettingZoo --------------------------------------------------------------------------------
class SemgymParallelEnv(ParallelEnv):
    """Base of ``interference_v0`` and ``broadcast_v0``.

    Subclasses fill ``_observation_spaces`` and ``_action_spaces`` (one space object per agent:
    PettingZoo's tests require the same object on every call) and start ``_np_random`` at None.
    """

    _observation_spaces: dict[str, gymnasium.spaces.Box]
    _action_spaces: dict[str, gymnasium.spaces.Box]
    _np_random: np.random.Generator | None
    #: The function of :mod:`semgym.envs.rendering` that draws the env.
    _RENDERER: str

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode")
            return None
        from semgym.envs import rendering

        draw = getattr(rendering, self._RENDERER)
        image, self._figure = draw(self, self._figure, self.render_mode)
        return image if self.render_mode == "rgb_array" else None

    def close(self) -> None:
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)
            self._figure = None

    def _set_render_mode(self, render_mode: str | None) -> None:
        """Adopt a render mode of ``metadata["render_modes"]`` (or None)."""
        if render_mode is not None:
            check_choice("render_mode", render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self._figure = None

    def observation_space(self, agent: str) -> gymnasium.spaces.Box:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Box:
        return self._action_spaces[agent]

    def _configure(self, config: EnvConfig) -> None:
        """Adopt an env configuration: its scenario, RL settings and batch of one."""
        self.config = config
        self.scenario = config.scenario
        self.reward_kind = config.reward
        self.action_mode = config.action_mode
        self.max_cycles = config.max_cycles
        self.info_accuracy = config.info_accuracy
        self.dtype = config.dtype
        self.latents = config.scenario.latents
        self.observation_layout = config.observation_layout
        self.observation_size = self.observation_layout.size
        self.batch = config.batch()
        self._np_random = None

    def _channel_seed(self, seed: int | None) -> int:
        """Seed the env's RNG and return the episode's channel seed: ``seed`` itself, or a
        draw from the env's RNG when ``seed`` is None (so unseeded episodes still repeat after
        one seeded reset)."""
        if seed is not None:
            seed = check_seed("seed", seed)
            self._np_random = np.random.default_rng(seed)
            return seed
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
    if seed is not None:
        seed = check_seed("seed", seed)
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
