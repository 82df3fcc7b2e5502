"""stable-baselines3 adapters: semgym's vector envs as SB3 ``VecEnv`` s.

- :class:`SB3VecEnv`: every link of every env is one slot, so one SB3 policy acts for all links
  (shared parameters), each from its own observation: how the decentralized game is trained at
  scale::

      from stable_baselines3 import PPO
      from semgym.vector import InterferenceVecEnv, SB3VecEnv

      venv = SB3VecEnv(InterferenceVecEnv(64, action_mode="normalized"))  # 64 envs × 3 links
      model = PPO("MlpPolicy", venv, n_steps=50, batch_size=960).learn(100_000)

- :class:`SB3CentralSlots`: the central controller trained with one MLP shared by the links,
  slot ``b·L + l`` seeing [o_l, mean of the others' o_j] and earning env b's network reward.
- :class:`SB3FlatVecEnv`: one slot per env (the central controller's joint action, or the
  broadcast env's access point, optionally with its power modes normalized to [-1, 1]).

SB3 works on NumPy arrays on the host, so every step copies observations and rewards from
the device; use :class:`~semgym.vector.TorchRLEnv` to keep a GPU pipeline on the device.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import gymnasium
import numpy as np
import torch
from stable_baselines3.common.vec_env import VecEnv

from semgym.envs.codec import decode_powers
from semgym.envs.observations import shared_controller_inputs
from semgym.vector.interference import InterferenceVecEnv


class _OneBatchVecEnv(VecEnv):
    """What the adapters share: slots of one batched env (``self.venv``), seeding of the next
    reset, and the SB3 plumbing that a single batch cannot offer per slot."""

    venv: Any

    def __init__(self, venv: Any, n_slots: int, observation_space: Any, action_space: Any):
        self.venv = venv
        super().__init__(n_slots, observation_space, action_space)
        self._actions: np.ndarray | None = None
        self._seed: int | None = None

    def _reset_batch(self) -> torch.Tensor:
        """Reset the batch with the seed of :meth:`seed` (once), returning its observations."""
        seed, self._seed = self._seed, None
        return self.venv.reset(seed=seed)[0]

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.float32)

    def _take_actions(self) -> torch.Tensor:
        if self._actions is None:
            raise RuntimeError("step_wait() called without step_async()")
        actions, self._actions = torch.as_tensor(self._actions), None
        return actions

    @staticmethod
    def _terminal(slots: list[dict[str, Any]], done: np.ndarray, final: np.ndarray) -> None:
        """SB3's conventions for the slots that ended: their last observation, truncated."""
        for i in np.flatnonzero(done):
            slots[i]["terminal_observation"] = final[i]
            slots[i]["TimeLimit.truncated"] = True

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next :meth:`reset` (env b gets channel seed ``seed + b``)."""
        self._seed = seed
        return [seed] * self.num_envs

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self.venv, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise AttributeError("the slots share one batched env: set it on .venv")

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any):
        raise AttributeError("the slots share one batched env: call .venv")

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._get_indices(indices))

    def _get_indices(self, indices: Any) -> Iterable[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, int):
            return [indices]
        return indices


class SB3VecEnv(_OneBatchVecEnv):
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
        self.n_links = venv.n_links
        slots = venv.num_envs * venv.n_links
        super().__init__(venv, slots, venv.link_observation_space, venv.link_action_space)

    def reset(self) -> np.ndarray:
        obs = self._reset_batch()
        return self._flat(obs.reshape(self.venv.num_envs, self.n_links, -1))

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        actions = self._take_actions().reshape(self.venv.num_envs, self.n_links, -1)
        obs, rewards, terminated, truncated, infos = self.venv.step_links(actions)
        done = (terminated | truncated).repeat_interleave(self.n_links).cpu().numpy()
        slots = self._slot_infos(infos)
        if "final_obs" in infos:
            self._terminal(slots, done, self._flat(infos["final_obs"]))
        return self._flat(obs), self._flat(rewards), done, slots

    @staticmethod
    def _flat(values: torch.Tensor) -> np.ndarray:
        """(B, L, …) device tensor → (B·L, …) host array."""
        return values.flatten(0, 1).cpu().numpy()

    def _slot_infos(self, infos: dict[str, Any]) -> list[dict[str, Any]]:
        keys = self.venv.batch.LINK_INFOS
        columns = {k: self._flat(infos[k]).tolist() for k in keys}
        return [{k: columns[k][i] for k in keys} for i in range(self.num_envs)]


class SB3CentralSlots(SB3VecEnv):
    """The central controller of an :class:`~semgym.vector.InterferenceVecEnv`, trained with
    one MLP shared by the links: slot ``b·L + l`` sees [o_l, mean over j ≠ l of o_j] (2D
    entries, from env b's state; :func:`~semgym.envs.observations.shared_controller_inputs`),
    sets link l's action, and earns env b's network reward (−mean NMSE over its links): one
    policy for all links on the network reward (``semgym.policies.learned.Actor`` with
    ``links`` is its export)."""

    def __init__(self, venv: InterferenceVecEnv) -> None:
        super().__init__(venv)
        low = np.tile(self.observation_space.low, 2)
        high = np.tile(self.observation_space.high, 2)
        self.observation_space = gymnasium.spaces.Box(low, high, dtype=np.float32)

    def _context(self, flat: np.ndarray) -> np.ndarray:
        state = torch.from_numpy(flat).reshape(self.venv.num_envs, -1)
        return shared_controller_inputs(state, self.n_links).reshape(flat.shape[0], -1).numpy()

    def reset(self) -> np.ndarray:
        return self._context(super().reset())

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        obs, rewards, done, slots = super().step_wait()
        network = rewards.reshape(self.venv.num_envs, self.n_links).mean(1)
        rewards = np.repeat(network, self.n_links).astype(np.float32)
        if done.any():
            final = self._context(
                np.stack(
                    [s.get("terminal_observation", o) for s, o in zip(slots, obs, strict=True)]
                )
            )
            for i in np.flatnonzero(done):
                slots[i]["terminal_observation"] = final[i]
        return self._context(obs), rewards, done, slots


class SB3FlatVecEnv(_OneBatchVecEnv):
    """A semgym vector env with one agent per env (the central controller of
    ``InterferenceVecEnv``, or ``BroadcastVecEnv``'s access point) as an SB3 ``VecEnv``.

    ``normalized_power=True`` exposes the AP's power mode as ``Box(-1, 1, (M,))`` decoded like
    the interference env's ``normalized`` actions (u = (a + 1)/2, p = P_T·u / max(1, Σu)).
    """

    def __init__(self, venv: Any, *, normalized_power: bool = False) -> None:
        action_space = venv.single_action_space
        self.budget: float | None = None
        if normalized_power:
            action_space = gymnasium.spaces.Box(-1.0, 1.0, action_space.shape, np.float32)
            self.budget = float(venv.batch.budget)
        super().__init__(venv, venv.num_envs, venv.single_observation_space, action_space)

    def reset(self) -> np.ndarray:
        return self._reset_batch().cpu().numpy()

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        actions = self._take_actions()
        if self.budget is not None:
            actions = decode_powers(actions.double(), "normalized", self.budget)[0]
        obs, rewards, terminated, truncated, infos = self.venv.step(actions.float())
        done = (terminated | truncated).cpu().numpy()
        slots: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if "final_obs" in infos:
            self._terminal(slots, done, infos["final_obs"].cpu().numpy())
        return obs.cpu().numpy(), rewards.cpu().numpy().astype(np.float32), done, slots
