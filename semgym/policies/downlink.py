"""Reference designs of the federated downlink (federated paper §III–§IV) as policies of
:class:`~semgym.envs.broadcast.BroadcastEnv`.

Like :class:`~semgym.policies.MuiLess`, they read the scenario (the env's
:class:`~semgym.scenarios.Downlink`: channels, noise and the users' statistics; perfect CSI)
instead of reacting to observations, run the solver once per channel realization and act in
the env's ``action_mode="precoder"``: the designed F is encoded by
:meth:`~semgym.envs.broadcast.BroadcastEnv.encode_precoder`, so the env transmits the solver's
F (up to float32 rounding of the action) and reports the solver's per-user MSE.
``act(observation)`` (the env has one agent); :func:`~semgym.policies.evaluate` runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from torch import Tensor

from semgym.solvers import (
    BaselineResult,
    FederatedSettings,
    FederatedTrace,
    federated_admm,
    first_k,
    multi_link,
    top_k,
)


class _DownlinkDesign:
    """A design F (M × d_x) per channel realization, cached by the env's channel seed."""

    needs_agent = False

    def __init__(self, env: Any) -> None:
        base = getattr(env, "unwrapped", env)
        base = getattr(base, "multi", base)  # the Gymnasium view wraps the parallel env
        if not hasattr(base, "encode_precoder"):
            raise ValueError(
                f"{type(self).__name__} needs a semgym broadcast env "
                f"(broadcast_v0 or semgym/Broadcast-v0), got {type(base).__name__}"
            )
        if base.action_mode != "precoder":
            raise ValueError(
                f"{type(self).__name__} acts in action_mode='precoder' (it transmits a designed "
                "pre-equalizer F); create the env with that mode"
            )
        self.env = base
        self._seed: int | None = None
        self._action: np.ndarray | None = None

    def _design(self) -> Tensor:
        """The precoder F (M, d_x) for the env's current channels."""
        raise NotImplementedError

    def act(self, observation: np.ndarray, agent: str | None = None) -> np.ndarray:
        """The precoder action for the env's current channel realization."""
        if self._seed != self.env.channel_seed or self._action is None:
            self._action = self.env.encode_precoder(self._design())
            self._seed = self.env.channel_seed
        return self._action


class FederatedADMM(_DownlinkDesign):
    """Federated ADMM (Algorithm 1, :func:`~semgym.solvers.federated_admm`): the AP runs the T
    protocol rounds with the users for the current channels and transmits the final feasible
    consensus Z⁽ᵀ⁾ at every step. The env then reports ``trace.nmse[-1]`` per user.

    Arguments: ``rho`` ρ (> 0), ``iterations`` T (>= 1), ``seed`` of F⁽⁰⁾ ~ CN(0, 1); the rest
    of the scenario (L, N_T, N_R, K, P_T, SNR, pilot fraction) is the env's. The last run is
    :attr:`trace` (per-iteration objective, residual, per-user NMSE, protocol cost).
    """

    def __init__(self, env: Any, *, rho: float = 1.0, iterations: int = 30, seed: int = 0) -> None:
        super().__init__(env)
        self.settings = FederatedSettings(rho=rho, iterations=iterations, seed=seed)
        self.trace: FederatedTrace | None = None

    def _design(self) -> Tensor:
        self.trace = federated_admm(self.env.downlink, self.settings)
        return self.trace.consensus[0]


class _Baseline(_DownlinkDesign):
    """A baseline of :mod:`semgym.solvers.federated_baselines`; :attr:`result` is its last run."""

    solver: Callable[..., BaselineResult]

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.result: BaselineResult | None = None

    def _design(self) -> Tensor:
        self.result = self.solver(self.env.downlink)
        return self.result.precoder if self.result.precoder.dim() == 2 else self.result.precoder[0]


class FirstK(_Baseline):
    """First-K (:func:`~semgym.solvers.first_k`): the first M = K·N_T whitened latent components
    at uniform power P_T/M; users apply their Wiener receivers (the env's)."""

    solver = staticmethod(first_k)


class TopK(_Baseline):
    """Top-K (:func:`~semgym.solvers.top_k`): the M whitened components of largest semantic
    energy Σ_l ‖P_l e_j‖² at uniform power; the index set (L·M indices of side information,
    once per deployment) is assumed delivered error-free."""

    solver = staticmethod(top_k)


class MultiLink(_Baseline):
    """Multi-link (:func:`~semgym.solvers.multi_link`): one independently optimized precoder per
    user (structured water-filling on the user's own channel with the full budget P_T).

    The paper's multi-link scheme gives each user its own pre-coder "under negligible multi-user
    interference", which a single shared F cannot do at once. In the broadcast env this policy
    serves the users by time division, round robin: at step t it transmits user (t mod L)'s
    design F_{t mod L}. In its own slot user l gets exactly the solver's ``nmse[l]`` (the
    single-user optimum, a lower bound on any shared F's NMSE for that user); the other users
    decode what that slot's F gives them, and serving all L users takes L slots (L times the
    channel uses). So the env's per-step network NMSE is *not* the multi-link number: report
    the bound itself from :func:`~semgym.solvers.multi_link` (https://semgym.readthedocs.io/en/latest/envs/broadcast/
    does), and use this policy to check it in the env or to play the TDMA scheme.
    """

    solver = staticmethod(multi_link)

    def act(self, observation: np.ndarray, agent: str | None = None) -> np.ndarray:
        env = self.env
        if self._seed != env.channel_seed or self.result is None:
            self._design()
            self._seed = env.channel_seed
        user = env.cycles % env.downlink_config.n_users
        return env.encode_precoder(self.result.precoder[0, user])
