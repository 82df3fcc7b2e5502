"""Registration of semgym's environment ids (run on ``import semgym``)."""

from __future__ import annotations

import gymnasium
import pettingzoo

GYM_IDS = {
    "semgym/Interference-v0": "semgym.envs.gym_envs:InterferenceGymEnv",
    "semgym/InterferenceLink-v0": "semgym.envs.gym_envs:InterferenceLinkEnv",
    "semgym/Broadcast-v0": "semgym.envs.broadcast:BroadcastGymEnv",
}
#: Batched versions for ``gym.make_vec(id, num_envs, vectorization_mode="vector_entry_point")``.
VECTOR_ENTRY_POINTS = {
    "semgym/Interference-v0": "semgym.vector:InterferenceVecEnv",
    "semgym/InterferenceLink-v0": "semgym.vector:InterferenceLinkVecEnv",
    "semgym/Broadcast-v0": "semgym.vector:BroadcastVecEnv",
}
PETTINGZOO_IDS = {
    "semgym/interference-v0": (
        "semgym.envs.interference:parallel_env",
        "semgym.envs.interference:env",
    ),
    "semgym/broadcast-v0": (
        "semgym.envs.broadcast:parallel_env",
        "semgym.envs.broadcast:env",
    ),
}


def register_envs() -> None:
    """Register the Gymnasium ids and the PettingZoo ids (idempotent)."""
    for env_id, entry_point in GYM_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(
                id=env_id,
                entry_point=entry_point,
                vector_entry_point=VECTOR_ENTRY_POINTS.get(env_id),
                disable_env_checker=False,
            )
    for env_id, (parallel, aec) in PETTINGZOO_IDS.items():
        if env_id not in pettingzoo.parallel_registry:
            pettingzoo.register("parallel", env_id, parallel)
        if env_id not in pettingzoo.aec_registry:
            pettingzoo.register("aec", env_id, aec)
