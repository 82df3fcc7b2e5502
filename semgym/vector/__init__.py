"""Batched environments on CPU or CUDA, and adapters for trainers.

- :class:`InterferenceVecEnv`: ``num_envs`` interference games in lockstep (the batched
  ``semgym/Interference-v0``; ``gym.make_vec(..., vectorization_mode="vector_entry_point")``).
- :class:`InterferenceLinkVecEnv`: the batched ``semgym/InterferenceLink-v0``.
- :class:`BroadcastVecEnv`: ``num_envs`` federated downlinks (the batched
  ``semgym/Broadcast-v0``).
- :class:`SB3VecEnv` (needs the ``sb3`` extra): a stable-baselines3 ``VecEnv`` with one slot per
  link, for shared-parameter training of every link by one policy; :class:`SB3CentralSlots`
  (the central controller with an MLP shared by the links) and :class:`SB3FlatVecEnv` (one slot
  per env: the central controller's joint action or the access point).
- :class:`TorchRLEnv` (needs the ``torchrl`` extra): a TorchRL ``EnvBase`` with the links as a
  multi-agent group.
"""

from __future__ import annotations

from typing import Any

from semgym.vector.broadcast import BroadcastVecEnv
from semgym.vector.interference import InterferenceLinkVecEnv, InterferenceVecEnv

__all__ = [
    "BroadcastVecEnv",
    "InterferenceLinkVecEnv",
    "InterferenceVecEnv",
    "SB3CentralSlots",
    "SB3FlatVecEnv",
    "SB3VecEnv",
    "TorchRLEnv",
]


def __getattr__(name: str) -> Any:
    if name in ("SB3VecEnv", "SB3CentralSlots", "SB3FlatVecEnv"):
        from semgym.vector import sb3

        return getattr(sb3, name)
    if name == "TorchRLEnv":
        from semgym.vector.torchrl import TorchRLEnv

        return TorchRLEnv
    raise AttributeError(f"module 'semgym.vector' has no attribute {name!r}")
