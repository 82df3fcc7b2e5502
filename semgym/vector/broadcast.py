"""The federated downlink for ``num_envs`` channel realizations at once, on CPU or CUDA.

:class:`BroadcastVecEnv` is the batched ``semgym/Broadcast-v0``: it runs
:class:`~semgym.envs.batch.BroadcastBatch`, the implementation behind the PettingZoo env, so
env b with seed s equals ``gym.make("semgym/Broadcast-v0")`` reset with seed s, step by step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Box
from torch import Tensor

from semgym.envs.broadcast import BroadcastEnvConfig
from semgym.envs.codec import encode_precoder
from semgym.scenarios import Downlink
from semgym.vector._base import BatchedVectorEnv


class BroadcastVecEnv(BatchedVectorEnv):
    """``num_envs`` downlinks in lockstep (batched ``semgym/Broadcast-v0``).

    Arguments:
        num_envs: B, the number of channel realizations (>= 1).
        device: where the state and every returned tensor live (``"cpu"``, ``"cuda"``, …).
        dtype: ``"float32"`` (default) or ``"float64"``.
        **kwargs: the keyword arguments of :class:`~semgym.envs.broadcast.BroadcastEnv`
            (``n_users``, ``n_tx``, ``n_rx``, ``channel_uses``, ``snr_db``, ``action_mode``,
            ``reward``, ``max_cycles``, …). ``reward="accuracy"`` and ``info_accuracy`` are
            single-env features.

    Spaces: the access point's action and observation (the PettingZoo env's), with a leading
    B in ``action_space``/``observation_space``. Rewards (B,); terminations always False;
    truncations after ``max_cycles`` steps; autoreset, seeding and partial resets as in
    :class:`~semgym.vector.InterferenceVecEnv`.

    Infos: ``nmse``, ``mse`` (network means), ``power`` (W) and ``projected`` as (B,) tensors,
    ``user_nmse``, ``user_mse`` as (B, L).

    Reference designs read :attr:`downlink` (the B realizations'
    :class:`~semgym.scenarios.Downlink`, what the solvers take) and act in the ``precoder``
    mode with :meth:`encode_precoders`.
    """

    CONFIG = BroadcastEnvConfig

    def _spaces(self) -> tuple[Box, Box]:
        return self.config.action_space(), self.config.observation_space()

    def step(
        self, actions: Tensor | np.ndarray
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, dict[str, Any]]:
        return self._batch_step(self._checked_shape(actions))

    def encode_precoders(self, precoders: Tensor) -> Tensor:
        """The ``precoder`` actions (B, 2·M·d_x), in the env's real dtype, that transmit
        F (B, M, d_x) (each projected onto tr(F Fᴴ) ≤ P_T first)."""
        want = (self.num_envs, self.batch.n_modes, self.batch.d_x)
        if tuple(precoders.shape) != want:
            raise ValueError(f"precoders must have shape {want}, got {tuple(precoders.shape)}")
        return encode_precoder(precoders, self.batch.budget).to(self.batch.real_dtype)

    @property
    def downlink(self) -> Downlink:
        """The current episodes' :class:`~semgym.scenarios.Downlink` (B realizations)."""
        return self.batch.downlink

    # --- internals ---------------------------------------------------------------------------
