"""stable-baselines3 adapter: every link of every env is one slot of a ``VecEnv``.

One SB3 policy then acts for all links (shared parameters), each from its own observation,
which is how the decentralized game is trained at scale::

    from stable_baselines3 import PPO
    from semgym.vector import InterferenceVecEnv, SB3VecEnv

    venv = SB3VecEnv(InterferenceVecEnv(64, action_mode="normalized"))  # 64 envs × 3 links
    model = PPO("MlpPolicy", venv, n_steps=50, batch_size=960).learn(100_000)

SB3 works on NumPy arrays on the host, so every step copies observations and rewards from
the device; use :class:`~semgym.vector.TorchRLEnv` to keep a GPU pipeline on the device.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.vec_env import VecEnv

from semgym.vector.interference import InterferenceVecEnv


class SB3VecEnv(VecEnv):
    """A :class:`~semgym.vector.InterferenceVecEnv` as an SB3 ``VecEnv`` with B·L slots.

    Slot ``b·L + l`` is link l of env b: its observation (D,) and action (A,) are the PettingZoo
    env's per-link ones, its reward that link's reward. Episodes end together for the links of
    an env (truncation after ``max_cycles``); SB3's conventions apply: ``dones`` with the
    autoreset already done, ``infos[i]["terminal_observation"]`` and
    ``infos[i]["TimeLimit.truncated"] = True``. Per-slot infos carry ``mse``, ``nmse``,
    ``mui_power``, ``exploitability`` and ``projected``.
    """

    def __init__(self, venv: InterferenceVecEnv) -> None:
        if type(venv) is not InterferenceVecEnv:
            raise ValueError(f"venv must be an InterferenceVecEnv, got {type(venv).__name__}")
        self.venv = venv
        self.n_links = venv.n_links
        super().__init__(
            venv.num_envs * venv.n_links, venv.link_observation_space, venv.link_action_space
        )
        self._actions: np.ndarray | None = None
        self._seed: int | None = None

    def reset(self) -> np.ndarray:
        seed, self._seed = self._seed, None
        obs, _ = self.venv.reset(seed=seed)
        return self._flat(obs.reshape(self.venv.num_envs, self.n_links, -1))

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.float32)

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        if self._actions is None:
            raise RuntimeError("step_wait() called without step_async()")
        actions = torch.as_tensor(self._actions).reshape(self.venv.num_envs, self.n_links, -1)
        self._actions = None
        obs, rewards, terminated, truncated, infos = self.venv.step_links(actions)
        done = (terminated | truncated).repeat_interleave(self.n_links).cpu().numpy()
        slots = self._slot_infos(infos)
        if "final_obs" in infos:
            final = self._flat(infos["final_obs"])
            for i in np.flatnonzero(done):
                slots[i]["terminal_observation"] = final[i]
                slots[i]["TimeLimit.truncated"] = True
        return self._flat(obs), self._flat(rewards), done, slots

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next :meth:`reset` (env b gets channel seed ``seed + b``)."""
        self._seed = seed
        return [seed] * self.num_envs

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self.venv, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise AttributeError("the slots of an SB3VecEnv share one batched env: set it on .venv")

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any):
        raise AttributeError("the slots of an SB3VecEnv share one batched env: call .venv")

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._get_indices(indices))

    def _get_indices(self, indices: Any) -> Iterable[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, int):
            return [indices]
        return indices

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _flat(values: torch.Tensor) -> np.ndarray:
        """(B, L, …) device tensor → (B·L, …) host array."""
        return values.flatten(0, 1).cpu().numpy()

    def _slot_infos(self, infos: dict[str, Any]) -> list[dict[str, Any]]:
        keys = ("mse", "nmse", "mui_power", "exploitability", "projected")
        columns = {k: self._flat(infos[k]).tolist() for k in keys}
        return [{k: columns[k][i] for k in keys} for i in range(self.num_envs)]
