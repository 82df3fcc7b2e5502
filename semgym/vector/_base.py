"""What the vector envs share: per-env episode RNGs, seeding, partial resets and autoreset."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch
from gymnasium.spaces import Box
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from torch import Tensor

from semgym._validation import (
    check_bool,
    check_mask,
    check_positive_int,
    check_seed,
    real_tensor,
)
from semgym.envs.config import SEED_RANGE, EnvConfig, draw_seed


class BatchedVectorEnv(VectorEnv):
    """A gymnasium ``VectorEnv`` over a batch of :mod:`semgym.envs.batch` (``self.batch``).

    Subclasses name their configuration class (``CONFIG``) and implement :meth:`_spaces`;
    infos are the batch's (device tensors).

    Seeding: ``reset(seed=s)`` gives env i the channel seed s + i (a list gives each env its
    own), and seeds env i's RNG, which draws the channel seeds of its later (unseeded)
    episodes, exactly like the single env's ``reset()``. Partial resets:
    ``reset(options={"reset_mask": mask})``. Autoreset: ``AutoresetMode.SAME_STEP``.
    ``seed_range=(low, high)``: unseeded episodes draw their channel seeds from [low, high)
    (default [0, 2³¹ − 1)), e.g. to keep evaluation seeds out of training.

    ``differentiable=True``: ``step`` keeps torch's autograd graph from the actions to the
    rewards (and observations), through the closed-form MSE of the new precoders, so a policy
    can be trained by the gradient of the objective ("learning to optimize"); the modes the
    powers are applied on (the last observation's eigenvectors) are constants of the step.
    Default False: the step records no graph.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}
    #: The env's configuration class (:class:`~semgym.envs.config.EnvConfig`).
    CONFIG: type[EnvConfig]

    def __init__(
        self,
        num_envs: int = 1,
        *,
        device: torch.device | str = "cpu",
        dtype: str = "float32",
        seed_range: tuple[int, int] = SEED_RANGE,
        differentiable: bool = False,
        **kwargs: Any,
    ) -> None:
        self.num_envs = check_positive_int("num_envs", num_envs)
        self.differentiable = check_bool("differentiable", differentiable)
        if kwargs.pop("render_mode", None) is not None:
            raise ValueError(
                "render_mode must be None: the vector env does not render; use the single env"
            )
        kwargs.pop("max_episode_steps", None)  # gymnasium passes the spec's; max_cycles rules
        low, high = (int(v) for v in seed_range)
        if not 0 <= low < high <= 2**32:
            raise ValueError(f"seed_range must be (low, high), 0 <= low < high, got {seed_range}")
        self.seed_range = (low, high)
        self.dtype = dtype
        self.config = self.CONFIG.from_kwargs(dtype=dtype, vectorized=True, **kwargs)
        self.device = torch.device(device)
        self.max_cycles = self.config.max_cycles
        self.reward_kind = self.config.reward
        self.batch = self.config.batch(self.num_envs, self.device)
        self._rngs: list[np.random.Generator] = []
        self._cycles = np.zeros(self.num_envs, dtype=np.int64)  # host copy: no device sync
        self._started = False
        self.single_action_space, self.single_observation_space = self._spaces()
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)

    def _spaces(self) -> tuple[Box, Box]:
        """(single action space, single observation space)."""
        raise NotImplementedError

    # --- gymnasium API ---------------------------------------------------------------------
    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Tensor, dict[str, Any]]:
        self._check_open()
        mask = None if options is None else options.get("reset_mask")
        if mask is not None:
            mask = check_mask("reset_mask", mask, self.num_envs)
            if not self._started:
                raise ValueError("reset_mask needs a full reset() first")
        if seed is None:
            seeds: list[int | None] = [None] * self.num_envs
        elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool | np.bool_):
            first = check_seed("seed", seed)
            seeds = [check_seed("seed", first + i) for i in range(self.num_envs)]
        elif isinstance(seed, list | tuple | np.ndarray):
            seeds = [None if s is None else check_seed("seed", s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed must be an int or {self.num_envs} seeds, got {len(seeds)}")
        else:
            raise ValueError(
                f"seed must be None, an integer or a list of {self.num_envs} integers (or None), "
                f"got {seed!r}"
            )
        if not self._started:
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        chosen = np.ones(self.num_envs, dtype=bool) if mask is None else mask
        for i in np.flatnonzero(chosen):
            if seeds[i] is not None:
                self._rngs[i] = seeding.np_random(seeds[i])[0]
        self._reset_envs(chosen, seeds)
        self._started = True
        return self._present(self._observations()), self._infos()

    def _batch_step(self, actions: Tensor, *, autoreset: bool = True):
        """Step the checked ``actions``; returns (observations, rewards, terminations,
        truncations, infos) with the ended envs autoreset (``final_obs`` and ``final_info``
        hold what they ended with)."""
        self._check_open()
        if not self._started:
            raise RuntimeError("step() called before reset()")
        batch = self.batch
        with torch.set_grad_enabled(self.differentiable and torch.is_grad_enabled()):
            batch.step(batch.check_actions(actions))
            obs, rewards, infos = self._observations(), self._rewards(), self._infos()
        self._cycles += 1
        ended = self._cycles >= self.max_cycles  # host-side: known without asking the device
        terminated = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        truncated = batch.cycles >= self.max_cycles  # the same flags, computed on the device
        if autoreset and ended.any():
            final = {"final_obs": obs, "final_info": infos}
            self._reset_envs(ended, [None] * self.num_envs)
            obs = self._observations()
            infos = self._infos()
            infos.update(final)
            mask = torch.as_tensor(ended).to(self.device)
            infos["_final_obs"] = mask
            infos["_final_info"] = mask
        return obs, rewards, terminated, truncated, infos

    def _checked_shape(self, actions: Tensor | np.ndarray) -> Tensor:
        actions = real_tensor("actions", actions)
        want = (self.num_envs, *self.single_action_space.shape)
        if tuple(actions.shape) != want:
            raise ValueError(f"actions must have shape {want}, got {tuple(actions.shape)}")
        return actions

    def close_extras(self, **kwargs: Any) -> None:
        """Release the batch: a closed vector env refuses ``reset`` and ``step``."""
        self._closed = True

    # --- internals ---------------------------------------------------------------------------
    def _check_open(self) -> None:
        if getattr(self, "_closed", False):
            raise RuntimeError("this vector env is closed; make a new one")

    def _reset_envs(self, chosen: np.ndarray, seeds: list[int | None]) -> None:
        channel_seeds = list(self.batch.channel_seeds)
        for i in np.flatnonzero(chosen):
            s = seeds[i]
            channel_seeds[i] = draw_seed(self._rngs[i], self.seed_range) if s is None else int(s)
        full = bool(chosen.all()) or not self._started
        mask = None if full else torch.as_tensor(chosen)
        self.batch.reset(channel_seeds, mask)
        self._cycles[chosen] = 0

    def _present(self, observations: Tensor) -> Tensor:
        """What :meth:`reset` and ``step`` return of :meth:`_observations` (as it is here)."""
        return observations

    def _observations(self) -> Tensor:
        return self.batch.observations()

    def _rewards(self) -> Tensor:
        return self.batch.rewards(self.reward_kind)

    def _infos(self) -> dict[str, Any]:
        return self.batch.infos()
