"""The federated paper's downlink (§II): one access point, L users, one shared pre-equalizer.

One access point (AP) with N_T antennas sends its whitened latents x (d_x = d/2 complex) to
L users with N_R antennas through H_l = I_K ⊗ H̄_l (K channel uses, H̄_l i.i.d. CN(0, 1)):
ŷ_l = G_l(H_l F x + n_l), n_l ~ CN(0, σ_l² I), tr(F Fᴴ) ≤ P_T. Users pre-whiten their targets
(privacy, §III-B); the statistics are taken on the first n = ⌈pilot_fraction · n_train⌉ train
samples. The AP's latents are shared by all pairs, so every pair has the same d_x.

- :class:`DownlinkConfig`: the frozen scenario (sizes, power, SNR, pilots, CSI at the AP).
- :class:`Downlink`: one batch of channel realizations with everything derived from them,
  built once per reset and handed to every solver; :meth:`Downlink.evaluate` scores any
  precoder, the same function for the env and the solvers.
- :class:`DownlinkScenario`: the env's scenario (the config, the bank and the encoders).

SNR convention (the public reference code): σ_l² = mean |received signal|² / 10^{SNR/10},
with the mean received power per receive antenna and channel use measured on pilots sent
isotropically at full power (R_x = I, F Fᴴ = P_T/(K·N_T) I): σ_l² = P_T ‖H̄_l‖²_F /
(K·N_T·N_R · 10^{SNR/10}). It does not depend on the random F⁽⁰⁾, and σ_l² differs per user.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from semgym import core
from semgym._validation import check_choice, check_finite, check_positive, check_positive_int
from semgym.channels import sample_rayleigh_downlink
from semgym.core.linalg import hermitian_part
from semgym.core.statistics import check_mode_count
from semgym.scenarios._scores import NetworkScores
from semgym.scenarios.latents import (
    PROCESSING,
    USER_GROUPS,
    LatentLink,
    cached_bank,
    downlink_encoders,
    downlink_user,
)


@dataclass(frozen=True)
class DownlinkConfig:
    """Federated downlink scenario, validated at construction (defaults: federated paper §IV).

    Arguments:
        n_users: L (>= 1). Default 10.
        n_tx: N_T, AP antennas (>= 1). Default 4 (square 4×4 MIMO, paper Fig. 3).
        n_rx: N_R, antennas per user (>= 1). Default 4.
        channel_uses: K (>= 1); compression factor ζ = K / d_x. Default 1.
        power: P_T, AP power budget tr(F Fᴴ) ≤ P_T, W (> 0). Default 1.
        snr_db: SNR in dB (finite), convention in the module docstring. Default 20.
        pilot_fraction: share of the pilots used, in (0, 1] (paper: 0.1, 0.5, 1.0). Default 1.
        ap_has_csi: whether the AP knows H̄_l (changes the protocol payload only). Default True.
    """

    n_users: int = 10
    n_tx: int = 4
    n_rx: int = 4
    channel_uses: int = 1
    power: float = 1.0
    snr_db: float = 20.0
    pilot_fraction: float = 1.0
    ap_has_csi: bool = True

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        for name in ("n_users", "n_tx", "n_rx", "channel_uses"):
            put(name, check_positive_int(name, getattr(self, name)))
        put("power", check_positive("power", self.power))
        put("snr_db", check_finite("snr_db", self.snr_db))
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

    @property
    def n_modes(self) -> int:
        """M = K·N_T transmit dimensions."""
        return self.channel_uses * self.n_tx


def pilot_count(n_available: int, pilot_fraction: float) -> int:
    """n = max(2, ⌈fraction · n_available⌉) pilots used (at least 2 to whiten)."""
    return max(2, min(n_available, math.ceil(pilot_fraction * n_available)))


def prepare_users(
    tx_latents: Tensor, rx_latents: Sequence[Tensor], config: DownlinkConfig
) -> tuple[list[core.SemanticPair], int]:
    """Pairs of the AP's latents (n, d) with every user's (n, m_l), on the first
    :func:`pilot_count` pilots, targets whitened (privacy); returns (pairs, n)."""
    if len(rx_latents) == 0:
        raise ValueError("rx_latents (the user group) must not be empty")
    n = pilot_count(tx_latents.shape[-2], config.pilot_fraction)
    pairs = [
        core.prepare_pair(tx_latents[..., :n, :], rx[..., :n, :], whiten_targets=True)
        for rx in rx_latents
    ]
    return pairs, n


def downlink_noise_power(channels: Tensor, config: DownlinkConfig) -> Tensor:
    """σ_l² = P_T ‖H̄_l‖²_F / (K·N_T·N_R·10^{SNR/10}) per user, (..., L), W (module docstring)."""
    energy = core.squared_magnitude(channels).sum((-2, -1))
    scale = config.power / (
        config.channel_uses * config.n_tx * config.n_rx * 10.0 ** (config.snr_db / 10.0)
    )
    return energy * scale


@dataclass(frozen=True)
class DownlinkEvaluation(NetworkScores):
    """Scores of a precoder on a :class:`Downlink` (leading (...) the channel batch).

    Attributes:
        mse, nmse: per user, closed form (8) with each user's Wiener receiver, (..., L).
        power: tr(F Fᴴ), (...) W (summed over users' precoders when each has its own).
    """

    mse: Tensor
    nmse: Tensor
    power: Tensor


@dataclass(frozen=True, eq=False)
class Downlink:
    """One batch of downlink channel realizations and everything derived from them.

    Leading dimensions (...) are the channel batch (none for a single realization). Built by
    :meth:`build`; every solver and the env read the same tensors. Users' statistics are
    shared by the batch, zero-padded to the widest target (zero rows change nothing).

    Attributes:
        config: :class:`DownlinkConfig`. pairs: one :class:`~semgym.core.SemanticPair` per user.
        n_pilots: n, the pilots behind the statistics.
        n_modes: M = K·N_T transmit dimensions (2·K·N_T real ones for widely-linear pairs).
        channels: H̄_l, (..., L, N_R, N_T) complex. dense: H_l = I_K ⊗ H̄_l,
            (..., L, K·N_R, K·N_T), or its real-composite form for widely-linear pairs.
        noise_power: σ_l², (..., L) W (σ_l²/2 per real dimension in real-composite form).
        noise_covariance: σ_l² I, (..., L, K·N_R, K·N_R).
        effective: R_H,l = H_lᴴ H_l / σ_l², (..., L, M, M).
        cross_covariance: P_l, (L, d_y,max, d_x). cross_gram: P_lᴴ P_l, (L, d_x, d_x).
        target_energy: tr(R_y,l), (L,).
    """

    config: DownlinkConfig
    pairs: tuple[core.SemanticPair, ...]
    n_pilots: int
    n_modes: int
    channels: Tensor
    dense: Tensor
    noise_power: Tensor
    noise_covariance: Tensor
    effective: Tensor
    cross_covariance: Tensor
    cross_gram: Tensor
    target_energy: Tensor

    @classmethod
    def build(
        cls,
        pairs: Sequence[core.SemanticPair],
        channels: Tensor,
        config: DownlinkConfig,
        n_pilots: int,
    ) -> Downlink:
        """The downlink of ``pairs`` (one per user, AP latents shared) over channels H̄_l
        (..., L, N_R, N_T) complex (e.g. :func:`~semgym.channels.sample_rayleigh_downlink`);
        widely-linear pairs put the channels into real-composite form (σ_l²/2 per real
        dimension).

        ``ValueError`` names the field: ``config``, ``pairs`` (empty, wrong count, different
        AP latent widths, fewer than K·N_T AP symbols) or ``channels``.
        """
        if not isinstance(config, DownlinkConfig):
            raise ValueError(f"config must be a DownlinkConfig, got {type(config).__name__}")
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
        widely_linear = {p.widely_linear for p in pairs}
        if len(widely_linear) != 1:
            raise ValueError("pairs must all be linear or all widely linear")
        real_form = widely_linear.pop()
        tx_dims = {p.stats.tx_dim for p in pairs}
        if len(tx_dims) != 1:
            raise ValueError(
                f"every pair must share the AP latents (one d_x), got {sorted(tx_dims)}"
            )
        n_modes = config.n_modes * (2 if real_form else 1)
        check_mode_count(n_modes, tx_dims.pop())
        n_pilots = check_positive_int("n_pilots", n_pilots)
        sigma2 = downlink_noise_power(channels, config)
        per_use = channels
        if real_form:
            per_use, sigma2 = core.real_composite(channels), 0.5 * sigma2
        cdtype, real, device = per_use.dtype, channels.real.dtype, channels.device
        d_y = max(p.stats.rx_dim for p in pairs)
        cross = torch.stack(
            [
                torch.nn.functional.pad(
                    p.stats.cross_covariance.to(cdtype), (0, 0, 0, d_y - p.stats.rx_dim)
                )
                for p in pairs
            ]
        ).to(device)
        gram = torch.stack([p.stats.cross_gram.to(cdtype) for p in pairs]).to(device)
        energy = torch.stack([p.stats.target_energy.to(real) for p in pairs]).to(device)
        dense = core.kron_identity(per_use, config.channel_uses)
        eye = torch.eye(dense.shape[-2], dtype=cdtype, device=device)
        noise = sigma2[..., None, None] * eye
        effective = core.effective_channel(dense, noise)
        return cls(
            config,
            tuple(pairs),
            n_pilots,
            n_modes,
            channels,
            dense,
            sigma2,
            noise,
            effective,
            cross,
            gram,
            energy,
        )

    # --- sizes --------------------------------------------------------------------------------
    @property
    def tx_dim(self) -> int:
        """d_x, the AP's complex latent width."""
        return int(self.cross_covariance.shape[-1])

    @property
    def batch_shape(self) -> torch.Size:
        """The leading (...) of the channel batch."""
        return self.channels.shape[:-3]

    # --- scores -------------------------------------------------------------------------------
    def user_mse(self, precoders: Tensor) -> Tensor:
        """Closed-form MSE (8) of each user l under its own precoder F_l (..., L, M, d_x) with
        its Wiener receiver, (..., L)."""
        return core.alignment_mse(precoders, self.effective, self.cross_gram, self.target_energy)

    def evaluate(self, precoder: Tensor) -> DownlinkEvaluation:
        """Every user's MSE/NMSE under the shared F (..., M, d_x) (or one F_l per user,
        (..., L, M, d_x)), with their Wiener receivers, and the power spent."""
        if precoder.dim() == self.channels.dim():  # one precoder per user
            mse = self.user_mse(precoder)
            power = core.squared_magnitude(precoder).sum((-3, -2, -1))
        else:
            mse = self.user_mse(precoder.unsqueeze(-3))
            power = core.squared_magnitude(precoder).sum((-2, -1))
        return DownlinkEvaluation(mse, core.normalized_mse(mse, self.target_energy), power)

    def wiener_equalizers(self, precoder: Tensor) -> Tensor:
        """Every user's Wiener receiver G_l for the shared F (..., M, d_x) (or per-user F_l),
        (..., L, d_y,max, K·N_R) (rows past a user's d_y are zero)."""
        shared = precoder.unsqueeze(-3) if precoder.dim() < self.channels.dim() else precoder
        return core.wiener_equalizer(
            self.cross_covariance, shared, self.dense, self.noise_covariance
        )

    def select(self, index: int) -> Downlink:
        """Realization ``index`` of a batch (..., with one leading dimension) as a single one."""
        return Downlink.build(self.pairs, self.channels[index], self.config, self.n_pilots)


@dataclass(frozen=True)
class PooledModes:
    """The structured precoder F = V diag(√p) Q̃ᴴ of the downlink's ``power`` actions.

    Attributes:
        gains: λ̄, eigenvalues of the users' mean effective channel (1/L) Σ_l R_H,l,
            (..., M) descending.
        modes: V, their eigenvectors, (..., M, M).
        user_gains: eigenvalues of every R_H,l, (..., L, M) descending.
        weights: w̄ = σ̃², the squared singular values of the stacked normalized
            cross-covariances [P_l / √(L·tr R_y,l)]_l, (M,) descending.
        directions: Q̃, their top right singular vectors, (d_x, M).
    """

    gains: Tensor
    modes: Tensor
    user_gains: Tensor
    weights: Tensor
    directions: Tensor

    @classmethod
    def of(cls, downlink: Downlink) -> PooledModes:
        """The pooled modes of a downlink: V from (1/L) Σ_l R_H,l, Q̃ from the eigenvectors of
        the Gram matrix (1/L) Σ_l P_lᴴ P_l / tr(R_y,l) (d_x × d_x)."""
        user_gains, _ = core.effective_channel_modes(downlink.effective)
        gains, modes = core.effective_channel_modes(downlink.effective.mean(-3))
        gram = (downlink.cross_gram / downlink.target_energy[:, None, None]).mean(0)
        values, vectors = torch.linalg.eigh(hermitian_part(gram))
        m = downlink.n_modes
        weights = values.flip(-1)[:m].clamp_min(0.0)
        return cls(gains, modes, user_gains, weights, vectors.flip(-1)[:, :m])

    def precoder(self, powers: Tensor) -> Tensor:
        """F = V diag(√p) Q̃ᴴ, (..., M, d_x), from powers (..., M) W."""
        return core.structured_precoder(self.modes, powers, self.directions.to(self.modes.dtype))


@dataclass(frozen=True)
class DownlinkScenario:
    """The broadcast env's scenario: a :class:`DownlinkConfig`, a latent bank and encoders.

    Build it with :meth:`create` from the env's keyword arguments; :meth:`sample` draws
    batches of :class:`Downlink`.

    Attributes:
        config: the downlink. latents: the bank's name or file path. user_group: the default
        encoders' group. ap_encoder: the AP's encoder. user_encoders: one per user.
        processing: ``"linear"`` (complex-linear F, G) or ``"widely_linear"``.
    """

    config: DownlinkConfig
    latents: str
    user_group: str
    ap_encoder: str
    user_encoders: tuple[str, ...]
    processing: str = "linear"

    def __post_init__(self) -> None:
        check_choice("user_group", self.user_group, USER_GROUPS)
        check_choice("processing", self.processing, PROCESSING)
        d_x = self.users[0].pair.stats.tx_dim
        if self.n_modes > d_x:
            raise ValueError(
                f"channel_uses·n_tx = {self.config.n_modes} needs {self.n_modes} symbols, more "
                f"than the {d_x} of the AP encoder {self.ap_encoder!r}; lower channel_uses or n_tx"
            )

    @property
    def n_modes(self) -> int:
        """M = K·N_T complex transmit dimensions, or 2·K·N_T real ones (widely linear)."""
        return self.config.n_modes * (2 if self.processing == "widely_linear" else 1)

    @classmethod
    def create(
        cls,
        *,
        latents: str = "mnist5k",
        user_group: str = "heterogeneous",
        ap_encoder: str | None = None,
        user_encoders: Sequence[str] | None = None,
        processing: str = "linear",
        **config: Any,
    ) -> DownlinkScenario:
        """The scenario from the broadcast env's keyword arguments (documented there): the
        bank and encoders here, the rest for :class:`DownlinkConfig` (``n_users``, ``n_tx``,
        ``n_rx``, ``channel_uses``, ``snr_db``, ``power``, ``pilot_fraction``)."""
        downlink = DownlinkConfig(**config)
        group = check_choice("user_group", user_group, USER_GROUPS)
        ap, users = downlink_encoders(latents, downlink.n_users, group, ap_encoder, user_encoders)
        return cls(
            downlink, latents, group, ap, users, check_choice("processing", processing, PROCESSING)
        )

    @property
    def n_pilots(self) -> int:
        """n, the pilots of every user's statistics."""
        n_train = len(cached_bank(self.latents).train_labels)
        return pilot_count(n_train, self.config.pilot_fraction)

    @property
    def users(self) -> list[LatentLink]:
        """Every user's prepared pair and the AP's test symbols (computed once per process)."""
        n = self.n_pilots
        return [
            downlink_user(self.latents, self.ap_encoder, u, n, self.processing)
            for u in self.user_encoders
        ]

    def sample(
        self,
        seeds: Sequence[int],
        *,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.complex128,
    ) -> Downlink:
        """A batch (B,) of downlinks, realization b drawn from channel seed ``seeds[b]`` alone
        (on the CPU, then moved: every device sees the same channels; ``dtype`` is the complex
        dtype of the draw)."""
        cfg = self.config
        seeds = [int(s) for s in seeds]
        channels = sample_rayleigh_downlink(
            cfg.n_users, cfg.n_tx, cfg.n_rx, seed=seeds, dtype=dtype
        )
        pairs = [user.pair for user in self.users]
        return Downlink.build(pairs, channels.to(device), cfg, self.n_pilots)
