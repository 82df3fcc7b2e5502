"""semgym: multi-user semantic MIMO communication as reinforcement-learning environments.

Layout (one source of truth for the math):

- ``semgym.latents``  latent banks (which encoders produce which latent spaces)
- ``semgym.channels`` MIMO deployments, path loss, fading and noise
- ``semgym.core``     pure, batched torch functions: every formula once
- ``semgym.solvers``  algorithms built on ``core``
- ``semgym.envs``     environments and their registration
- ``semgym.policies`` reference and learned policies
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
