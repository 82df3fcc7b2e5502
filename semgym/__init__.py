"""semgym: multi-user semantic MIMO communication as reinforcement-learning environments.

Layout (one source of truth for the math):

- ``semgym.latents``  latent banks (which encoders produce which latent spaces)
- ``semgym.channels`` MIMO deployments, path loss, fading and noise
- ``semgym.core``     pure, batched torch functions: every formula once
- ``semgym.solvers``  algorithms built on ``core``
- ``semgym.envs``     environments and their registration
- ``semgym.policies`` reference and learned policies

Documentation: https://semgym.readthedocs.io/en/latest/
"""

from __future__ import annotations

from semgym.envs.registration import register_envs

__version__ = "0.1.0"
#: The documentation site: docstrings, model cards and messages link to its pages.
DOCS_URL = "https://semgym.readthedocs.io/en/latest/"

register_envs()


def __getattr__(name: str):
    """Lazy ``from semgym import interference_v0`` (or ``broadcast_v0``) without importing
    torch-heavy modules early."""
    if name in ("interference_v0", "broadcast_v0"):
        import importlib

        return importlib.import_module(f"semgym.{name}")
    raise AttributeError(f"module 'semgym' has no attribute {name!r}")


__all__ = ["DOCS_URL", "__version__", "broadcast_v0", "interference_v0"]
