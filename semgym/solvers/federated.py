"""Federated latent-space alignment on the downlink (federated paper §III, Algorithm 1).

The scenario is a :class:`~semgym.scenarios.Downlink` (channels, noise, users' statistics,
built once per channel batch); the algorithm settings (ρ, T, the seed of F⁽⁰⁾) are
:class:`FederatedSettings`. The shared pre-equalizer F and the users' equalizers G_l are
learned by the federated ADMM of Algorithm 1 (:func:`~semgym.solvers.admm.admm_alignment`),
with tr(Z Zᴴ) ≤ P_T; the AP transmits the feasible Z.

Protocol accounting (§III-B), in messages and complex numbers, per user:

- handshake (once): 1 request user → AP; with CSI at the AP the request carries H̄_l
  (N_R·N_T complex numbers), otherwise it is empty (0).
- per iteration, AP → user: S_l = H_l F X (K·N_R × n) with CSI at the AP, S_l = F X
  (K·N_T × n) without (the user applies its own H_l).
- per iteration, user → AP: one message with A_l = (G_l H_l)ᴴ G_l H_l ((K·N_T)², sent in
  full) and (G_l H_l)ᴴ Y_l (K·N_T × n); the AP multiplies by Xᴴ/n itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym._validation import check_positive, check_positive_int
from semgym.core import normalized_mse
from semgym.scenarios._scores import NetworkScores
from semgym.scenarios.downlink import Downlink, DownlinkConfig
from semgym.solvers.admm import AdmmRun, admm_alignment, draw_precoder


@dataclass(frozen=True)
class FederatedSettings:
    """Settings of federated ADMM (Algorithm 1), validated at construction (paper §IV values).

    Arguments:
        rho: ADMM penalty ρ (> 0). Default 1.
        iterations: T (>= 1). Default 30.
        seed: seed of F⁽⁰⁾ ~ CN(0, 1) (Algorithm 1 input, >= 0). Default 0.
    """

    rho: float = 1.0
    iterations: int = 30
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "rho", check_positive("rho", self.rho))
        object.__setattr__(self, "iterations", check_positive_int("iterations", self.iterations))
        object.__setattr__(self, "seed", check_positive_int("seed", self.seed, minimum=0))


@dataclass(frozen=True)
class ProtocolCost:
    """Messages and payload (complex numbers) of the federated protocol (module docstring).

    Attributes:
        handshake_messages, handshake_payload: once, all users together.
        downlink_payload, uplink_payload: per iteration, all users (AP → users, users → AP).
        messages_per_iteration: 2·L (one each way per user).
        total_messages, total_payload: handshake + T iterations.
    """

    handshake_messages: int
    handshake_payload: int
    downlink_payload: int
    uplink_payload: int
    messages_per_iteration: int
    total_messages: int
    total_payload: int

    @property
    def payload_per_iteration(self) -> int:
        """Complex numbers exchanged per iteration, both ways."""
        return self.downlink_payload + self.uplink_payload


def protocol_cost(config: DownlinkConfig, iterations: int, n_pilots: int) -> ProtocolCost:
    """:class:`ProtocolCost` of T = ``iterations`` rounds on the downlink ``config`` with n
    pilots (after the pilot fraction)."""
    n = check_positive_int("n_pilots", n_pilots)
    t = check_positive_int("iterations", iterations)
    users, k = config.n_users, config.channel_uses
    b = k * config.n_tx
    down_rows = k * config.n_rx if config.ap_has_csi else b
    handshake_payload = users * config.n_rx * config.n_tx if config.ap_has_csi else 0
    down = users * down_rows * n
    up = users * (b * b + b * n)
    per_iteration = 2 * users
    return ProtocolCost(
        users,
        handshake_payload,
        down,
        up,
        per_iteration,
        users + t * per_iteration,
        handshake_payload + t * (down + up),
    )


@dataclass(frozen=True)
class FederatedTrace(AdmmRun, NetworkScores):
    """Result of :func:`federated_admm`: the :class:`~semgym.solvers.AdmmRun` fields
    (``consensus`` Z, the feasible precoder to transmit, (..., K·N_T, d_x) with
    tr(Z Zᴴ) ≤ P_T; ``precoder`` F; ``dual`` U; ``equalizers`` G_l of the last G step,
    (..., L, d_y,max, K·N_R); ``objective``, ``lagrangian``, ``residual`` per iteration,
    (T, ...); ``mse`` per user of Z with its Wiener receiver, (T, ..., L)), plus:

    Attributes:
        nmse: per user, per iteration, (T, ..., L).
        noise_power: σ_l², (..., L), W.
        protocol: :class:`ProtocolCost`.
    """

    nmse: Tensor
    noise_power: Tensor
    protocol: ProtocolCost


def federated_admm(
    downlink: Downlink, settings: FederatedSettings | None = None, *, track: bool = True
) -> FederatedTrace:
    """Federated ADMM (Algorithm 1) on a downlink: T rounds of G (7), F (8)–(15), Z (17) and
    U (18) steps from F⁽⁰⁾ ~ CN(0, 1) (seeded), Z = U = 0; the users' per-iteration MSE is the
    downlink's own score (:meth:`~semgym.scenarios.Downlink.evaluate`) of Z⁽ᵗ⁾.

    ``track=False`` skips the per-iteration diagnostics (a fraction of the cost):
    ``objective``, ``lagrangian`` and ``residual`` are then empty and ``mse``/``nmse`` hold one
    row, the final Z's."""
    if not isinstance(downlink, Downlink):
        raise ValueError(f"downlink must be a Downlink, got {type(downlink).__name__}")
    settings = FederatedSettings() if settings is None else settings
    if not isinstance(settings, FederatedSettings):
        raise ValueError(f"settings must be FederatedSettings, got {type(settings).__name__}")
    config = downlink.config
    dense = downlink.dense
    cdtype, device = dense.dtype, dense.device
    gen = torch.Generator().manual_seed(settings.seed)
    start = draw_precoder((dense.shape[-1], downlink.tx_dim), cdtype, gen).to(device)
    batch = downlink.batch_shape
    run = admm_alignment(
        downlink.cross_covariance,
        downlink.target_energy.expand(*batch, config.n_users),
        dense,
        downlink.noise_covariance,
        start.expand(*batch, *start.shape),
        budget=config.power,
        rho=settings.rho,
        iterations=settings.iterations,
        track=track,
        effective=downlink.effective,
        cross_gram=downlink.cross_gram,
    )
    if not track:  # the final Z's score, as the tracked last row would be
        run = dataclasses.replace(run, mse=downlink.evaluate(run.consensus).mse.unsqueeze(0))
    return FederatedTrace(
        **{f.name: getattr(run, f.name) for f in dataclasses.fields(run)},
        nmse=normalized_mse(run.mse, downlink.target_energy),
        noise_power=downlink.noise_power,
        protocol=protocol_cost(config, settings.iterations, downlink.n_pilots),
    )
