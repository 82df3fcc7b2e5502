"""What semgym's PettingZoo environments share: fixed space objects and episode seeding."""

from __future__ import annotations

import gymnasium
import numpy as np
from pettingzoo import ParallelEnv


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
        return int(self._np_random.integers(0, 2**31 - 1))
