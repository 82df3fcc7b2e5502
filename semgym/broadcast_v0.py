"""``broadcast_v0``: the federated semantic downlink (PettingZoo, versioned shim).

See :class:`semgym.envs.broadcast.BroadcastEnv` for the manual.
"""

from semgym.envs.broadcast import BroadcastEnv, env, parallel_env, raw_env

__all__ = ["BroadcastEnv", "env", "parallel_env", "raw_env"]
