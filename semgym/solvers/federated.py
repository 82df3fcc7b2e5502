"""Federated latent-space alignment on a MIMO downlink (federated paper §II–§III, SPEC §5).

One access point (AP) with N_T antennas sends its whitened latents x (d_x = d/2 complex) to
L users with N_R antennas through H_l = I_K ⊗ H̄_l (K channel uses, H̄_l i.i.d. CN(0, 1)). A
shared pre-equalizer F (K·N_T × d_x) and per-user equalizers G_l are learned by the federated
ADMM of Algorithm 1 (:func:`~semgym.solvers.admm.admm_alignment`), with tr(Z Zᴴ) ≤ P_T.

Users pre-whiten their targets (privacy, §III-B): prepare their pairs with
``prepare_pair(tx, rx, whiten_targets=True)`` (:func:`prepare_users` does it, with the pilot
fraction). The AP's latents are shared by all pairs, so every pair has the same d_x.

SNR convention (SPEC §5, public reference code): σ_l² = mean |received signal|² / 10^{SNR/10},
with the mean received power per receive antenna and channel use measured on pilots sent
isotropically at full power (R_x = I, F Fᴴ = P_T/(K·N_T) I): σ_l² = P_T ‖H̄_l‖²_F /
(K·N_T·N_R · 10^{SNR/10}). It does not depend on the random F⁽⁰⁾, and σ_l² differs per user.

Protocol accounting (§III-B), in messages and complex numbers, per user:

- handshake (once): 1 request user → AP; with CSI at the AP the request carries H̄_l
  (N_R·N_T complex numbers), otherwise it is empty (0).
- per iteration, AP → user: S_l = H_l F X (K·N_R × n) with CSI at the AP, S_l = F X
  (K·N_T × n) without (the user applies its own H_l).
- per iteration, user → AP: one message with A_l = (G_l H_l)ᴴ G_l H_l ((K·N_T)², sent in
  full) and (G_l H_l)ᴴ Y_l (K·N_T × n); the AP multiplies by Xᴴ/n itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym._validation import check_positive, check_positive_int
from semgym.core import (
    SemanticPair,
    kron_identity,
    normalized_mse,
    prepare_pair,
)
from semgym.solvers.admm import admm_alignment


@dataclass(frozen=True)
class FederatedConfig:
    """Federated downlink scenario, validated at construction (defaults: paper §IV).

    Arguments:
        n_users: L (>= 1). Default 10.
        n_tx: N_T, AP antennas (>= 1). Default 4 (square 4×4 MIMO, paper Fig. 3).
        n_rx: N_R, antennas per user (>= 1). Default 4.
        channel_uses: K (>= 1); compression factor ζ = K / d_x. Default 1.
        rho: ADMM penalty ρ (> 0). Default 1.
        power: P_T, AP power budget tr(F Fᴴ) ≤ P_T, W (> 0). Default 1.
        iterations: T (>= 1). Default 30.
        snr_db: SNR in dB (finite), convention in the module docstring. Default 20.
        pilot_fraction: share of the pilots used, in (0, 1] (paper: 0.1, 0.5, 1.0). Default 1.
        ap_has_csi: whether the AP knows H̄_l (changes the protocol payload only). Default True.
        seed: seed of F⁽⁰⁾ ~ CN(0, 1) (Algorithm 1 input). Default 0.
    """

    n_users: int = 10
    n_tx: int = 4
    n_rx: int = 4
    channel_uses: int = 1
    rho: float = 1.0
    power: float = 1.0
    iterations: int = 30
    snr_db: float = 20.0
    pilot_fraction: float = 1.0
    ap_has_csi: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        for name in ("n_users", "n_tx", "n_rx", "channel_uses", "iterations"):
            put(name, check_positive_int(name, getattr(self, name)))
        for name in ("rho", "power"):
            put(name, check_positive(name, getattr(self, name)))
        snr = self.snr_db
        if isinstance(snr, bool) or not isinstance(snr, int | float) or not math.isfinite(snr):
            raise ValueError(f"snr_db must be a finite number (dB), got {snr!r}")
        put("snr_db", float(snr))
        frac = self.pilot_fraction
        if (
            isinstance(frac, bool)
            or not isinstance(frac, int | float)
            or not math.isfinite(frac)
            or not 0.0 < frac <= 1.0
        ):
            raise ValueError(f"pilot_fraction must be in (0, 1], got {frac!r}")
        put("pilot_fraction", float(frac))
        if not isinstance(self.ap_has_csi, bool):
            raise ValueError(f"ap_has_csi must be a bool, got {self.ap_has_csi!r}")
        put("seed", check_positive_int("seed", self.seed, minimum=0))


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


def protocol_cost(config: FederatedConfig, n_pilots: int) -> ProtocolCost:
    """:class:`ProtocolCost` of ``config`` with n pilots (after the pilot fraction)."""
    n = check_positive_int("n_pilots", n_pilots)
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
        users + config.iterations * per_iteration,
        handshake_payload + config.iterations * (down + up),
    )


@dataclass(frozen=True)
class FederatedTrace:
    """Result of :func:`federated_admm`; leading (...) are the channel batch dimensions.

    Attributes:
        consensus: the final feasible Z (transmit this), (..., K·N_T, d_x); tr(Z Zᴴ) ≤ P_T.
        precoder: the final F, (..., K·N_T, d_x). dual: U.
        equalizers: G_l of the last G step, (..., L, d_y,max, K·N_R) (rows beyond a user's
            d_y are zero).
        objective, lagrangian, residual: mean_l J_l, L_ρ (6), ‖F − Z‖_F per iteration, (T, ...).
        mse, nmse: per user, of Z with its Wiener receiver, per iteration, (T, ..., L).
        network_mse, network_nmse: their means over users, (T, ...).
        noise_power: σ_l², (..., L), W.
        protocol: :class:`ProtocolCost`.
    """

    consensus: Tensor
    precoder: Tensor
    dual: Tensor
    equalizers: Tensor
    objective: Tensor
    lagrangian: Tensor
    residual: Tensor
    mse: Tensor
    nmse: Tensor
    network_mse: Tensor
    network_nmse: Tensor
    noise_power: Tensor
    protocol: ProtocolCost


def pilot_count(n_available: int, pilot_fraction: float) -> int:
    """n = max(2, ⌈fraction · n_available⌉) pilots used (at least 2 to whiten)."""
    return max(2, min(n_available, math.ceil(pilot_fraction * n_available)))


def prepare_users(
    tx_latents: Tensor, rx_latents: Sequence[Tensor], config: FederatedConfig
) -> tuple[list[SemanticPair], int]:
    """Pairs of the AP's latents (n, d) with every user's (n, m_l), on the first
    :func:`pilot_count` pilots, targets whitened (privacy); returns (pairs, n)."""
    if len(rx_latents) == 0:
        raise ValueError("rx_latents (the user group) must not be empty")
    n = pilot_count(tx_latents.shape[-2], config.pilot_fraction)
    pairs = [
        prepare_pair(tx_latents[..., :n, :], rx[..., :n, :], whiten_targets=True)
        for rx in rx_latents
    ]
    return pairs, n


def downlink_noise_power(channels: Tensor, config: FederatedConfig) -> Tensor:
    """σ_l² = P_T ‖H̄_l‖²_F / (K·N_T·N_R·10^{SNR/10}) per user, (..., L), W (module docstring)."""
    energy = channels.abs().square().sum((-2, -1))
    scale = config.power / (
        config.channel_uses * config.n_tx * config.n_rx * 10.0 ** (config.snr_db / 10.0)
    )
    return energy * scale


def check_downlink(pairs: Sequence[SemanticPair], channels: Tensor, config: FederatedConfig) -> int:
    """Validate a downlink scenario (user group, channels, config); returns the AP's d_x.

    ``ValueError`` names the field: ``config``, ``pairs`` (empty, wrong count, different AP
    latent widths) or ``channels`` (not complex, not (..., L, N_R, N_T)).
    """
    if not isinstance(config, FederatedConfig):
        raise ValueError(f"config must be a FederatedConfig, got {type(config).__name__}")
    if len(pairs) == 0:
        raise ValueError("pairs (the user group) must not be empty")
    if len(pairs) != config.n_users:
        raise ValueError(f"pairs must hold n_users = {config.n_users} pairs, got {len(pairs)}")
    want = (config.n_users, config.n_rx, config.n_tx)
    if not isinstance(channels, Tensor) or tuple(channels.shape[-3:]) != want:
        shape = tuple(channels.shape) if isinstance(channels, Tensor) else type(channels)
        raise ValueError(f"channels must be (..., L, N_R, N_T) = (..., {want}), got {shape}")
    if not channels.is_complex():
        raise ValueError("channels must be complex")
    tx_dims = {p.stats.tx_dim for p in pairs}
    if len(tx_dims) != 1:
        raise ValueError(f"every pair must share the AP latents (one d_x), got {sorted(tx_dims)}")
    return tx_dims.pop()


def federated_admm(
    pairs: Sequence[SemanticPair],
    channels: Tensor,
    config: FederatedConfig,
    *,
    n_pilots: int,
) -> FederatedTrace:
    """Federated ADMM (Algorithm 1) for the users' pairs over the downlink channels.

    Arguments:
        pairs: one :class:`~semgym.core.SemanticPair` per user (AP latents shared: equal d_x;
            targets pre-whitened, see :func:`prepare_users`).
        channels: H̄_l, (..., L, N_R, N_T) complex (e.g.
            :func:`~semgym.channels.sample_rayleigh_downlink`).
        config: the scenario (L, N_T, N_R must match ``channels`` and ``pairs``).
        n_pilots: n, for the protocol accounting only (the statistics are normalized by n).
    """
    d_x = check_downlink(pairs, channels, config)
    cdtype = channels.dtype
    real = channels.real.dtype
    d_y = max(p.stats.rx_dim for p in pairs)
    cross = torch.stack(
        [
            torch.nn.functional.pad(
                p.stats.cross_covariance.to(cdtype), (0, 0, 0, d_y - p.stats.rx_dim)
            )
            for p in pairs
        ],
        -3,
    ).to(channels.device)  # (L, d_y, d_x)
    energy = torch.stack([p.stats.target_energy.to(real) for p in pairs], -1).to(channels.device)
    dense = kron_identity(channels, config.channel_uses)  # (..., L, A, B)
    sigma2 = downlink_noise_power(channels, config)
    eye = torch.eye(dense.shape[-2], dtype=cdtype, device=channels.device)
    noise = sigma2[..., None, None] * eye
    gen = torch.Generator().manual_seed(config.seed)
    parts = torch.randn(dense.shape[-1], d_x, 2, dtype=torch.float64, generator=gen)
    start = torch.view_as_complex(parts).mul(0.5**0.5).to(device=channels.device, dtype=cdtype)
    batch = dense.shape[:-3]
    run = admm_alignment(
        cross,
        energy.expand(*batch, config.n_users),
        dense,
        noise,
        start.expand(*batch, *start.shape),
        budget=config.power,
        rho=config.rho,
        iterations=config.iterations,
    )
    nmse = normalized_mse(run.mse, energy)
    return FederatedTrace(
        run.consensus,
        run.precoder,
        run.dual,
        run.equalizers,
        run.objective,
        run.lagrangian,
        run.residual,
        run.mse,
        nmse,
        run.mse.mean(-1),
        nmse.mean(-1),
        sigma2,
        protocol_cost(config, n_pilots),
    )
