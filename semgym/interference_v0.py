"""``interference_v0``: the semantic interference game (PettingZoo, versioned shim).

See :class:`semgym.envs.interference.InterferenceEnv` for the manual.
"""

from semgym.envs.interference import InterferenceEnv, env, parallel_env, raw_env

__all__ = ["InterferenceEnv", "env", "parallel_env", "raw_env"]
