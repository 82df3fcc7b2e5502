"""Primary (licensed) users of the cognitive-radio game (journal abstract).

Primaries are not players: each primary p transmits with a fixed covariance Q_p on every
channel use, adds H̄_{p→l} Q_p H̄_{p→l}ᴴ to secondary receiver l's R_n, and must receive at
most I_max,p watts of secondary interference (average over the K channel uses):

    I_p = (1/K) Σ_l Σ_k tr(H̄_{l→p} Q_{l,k} H̄_{l→p}ᴴ) ≤ I_max,p.

Cap sharing (documented choice): the cap is a coupled constraint over all secondaries. To keep
the game decentralized each secondary link gets an equal share I_max,p / L of every primary's
cap, so the caps hold whatever the other links do. A per-primary constraint per link would need
one multiplier per primary; :func:`~semgym.core.priced_semantic_waterfill` has one, so the
P constraints of link l are aggregated into the single normalized constraint

    Σ_m c_m p_m ≤ 1,   c_m = Σ_p ‖H_{l→p} v_m‖² / (K · I_max,p / L),

which implies every per-primary constraint (all terms are ≥ 0). It is conservative: when
several primaries are loaded at once their normalized loads add up, so a link may back off up
to P times more than the per-primary constraints require (exact when P = 1).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym.channels import InterferenceChannelConfig, path_gain
from semgym.channels.deployment import random_deployment
from semgym.core.interference import add_noise, gaussian_rate, received_covariance
from semgym.core.linalg import real_trace
from semgym.core.packing import real_composite


@dataclass(frozen=True, eq=False)
class PrimaryUsers:
    """Licensed links sharing the band with the L secondary links; validated at construction.

    Attributes (B scenarios, L secondaries, P primaries, one channel use; H = I_K ⊗ H̄; every
    matrix complex, or all real in the real-composite form of :meth:`real_composite`):
        to_primary: H̄_{l→p}, (B, L, P, N_Rp, N_T): secondary tx l → primary rx p.
        to_secondary: H̄_{p→l}, (B, P, L, N_R, N_Tp): primary tx p → secondary rx l.
        direct: H̄_{p→p}, (B, P, N_Rp, N_Tp): each primary's own link (for its rate).
        tx_covariance: Q_p, (B, P, N_Tp, N_Tp) Hermitian PSD, W per channel use.
        interference_cap_w: I_max,p, (B, P) W (> 0), average over channel uses.
        noise_power: σ² at the primary receivers, (B,) W (> 0).
    """

    to_primary: Tensor
    to_secondary: Tensor
    direct: Tensor
    tx_covariance: Tensor
    interference_cap_w: Tensor
    noise_power: Tensor

    def __post_init__(self) -> None:
        tp, ts = self.to_primary, self.to_secondary
        if tp.ndim != 5:
            raise ValueError(f"to_primary must be (B, L, P, N_Rp, N_T), got {tuple(tp.shape)}")
        b, n_links, n_prim, n_rp, _ = tp.shape
        if ts.ndim != 5 or ts.shape[:3] != (b, n_prim, n_links):
            raise ValueError(
                f"to_secondary must be (B, P, L, N_R, N_Tp) = ({b}, {n_prim}, {n_links}, "
                f"., .), got {tuple(ts.shape)}"
            )
        if len({t.is_complex() for t in (tp, ts, self.direct, self.tx_covariance)}) != 1:
            raise ValueError("the primaries' matrices must be all complex or all real-composite")
        n_tp = ts.shape[-1]
        if tuple(self.direct.shape) != (b, n_prim, n_rp, n_tp):
            raise ValueError(
                f"direct must be (B, P, N_Rp, N_Tp) = {(b, n_prim, n_rp, n_tp)}, "
                f"got {tuple(self.direct.shape)}"
            )
        if tuple(self.tx_covariance.shape) != (b, n_prim, n_tp, n_tp):
            raise ValueError(
                f"tx_covariance must be (B, P, N_Tp, N_Tp) = {(b, n_prim, n_tp, n_tp)}, "
                f"got {tuple(self.tx_covariance.shape)}"
            )
        real = tp.real.dtype
        cap = torch.as_tensor(self.interference_cap_w, dtype=real, device=tp.device)
        cap = cap.expand(b, n_prim) if cap.ndim <= 1 else cap
        if tuple(cap.shape) != (b, n_prim) or not bool(torch.isfinite(cap).all()):
            raise ValueError(f"interference_cap_w must be finite, shaped (B, P) = {(b, n_prim)}")
        if bool((cap <= 0).any()):
            raise ValueError("interference_cap_w must be > 0 W")
        noise = torch.as_tensor(self.noise_power, dtype=real, device=tp.device).expand(b)
        if not bool(torch.isfinite(noise).all()) or bool((noise <= 0).any()):
            raise ValueError("noise_power must be finite and > 0 W")
        object.__setattr__(self, "interference_cap_w", cap.contiguous())
        object.__setattr__(self, "noise_power", noise.contiguous())

    @property
    def n_primaries(self) -> int:
        """P."""
        return int(self.to_primary.shape[2])

    @classmethod
    def synthetic(
        cls,
        batch_size: int,
        n_links: int,
        n_primaries: int,
        n_tx: int,
        n_rx: int,
        *,
        gain: float,
        cross_gain: float,
        noise_power: float,
        tx_power_w: float = 1.0,
        interference_cap_w: float | Tensor = 1e-12,
        seed: int = 0,
        dtype: torch.dtype = torch.complex128,
    ) -> PrimaryUsers:
        """Rayleigh primaries with N_Tp = N_Rp = ``n_tx``: direct links of mean gain ``gain``,
        every cross link (both directions) ``cross_gain``, Q_p = (P_max/N_Tp) I, seeded."""
        gen = torch.Generator().manual_seed(seed)

        def cn(*shape: int, power: float) -> Tensor:
            parts = torch.randn(*shape, 2, dtype=torch.float64, generator=gen)
            return torch.view_as_complex(parts).mul(math.sqrt(power / 2)).to(dtype)

        eye = torch.eye(n_tx, dtype=dtype) * (tx_power_w / n_tx)
        return cls(
            to_primary=cn(batch_size, n_links, n_primaries, n_tx, n_tx, power=cross_gain),
            to_secondary=cn(batch_size, n_primaries, n_links, n_rx, n_tx, power=cross_gain),
            direct=cn(batch_size, n_primaries, n_tx, n_tx, power=gain),
            tx_covariance=eye.expand(batch_size, n_primaries, n_tx, n_tx).clone(),
            interference_cap_w=torch.as_tensor(interference_cap_w, dtype=torch.float64),
            noise_power=torch.tensor(noise_power, dtype=torch.float64),
        )

    def with_cap(self, interference_cap_w: float | Tensor) -> PrimaryUsers:
        """The same primaries under another cap I_max (W)."""
        return dataclasses.replace(self, interference_cap_w=interference_cap_w)

    def map(self, fn: Callable[[Tensor], Tensor], *others: PrimaryUsers) -> PrimaryUsers:
        """Primaries whose every tensor field is ``fn(field, *the same field of others)``
        (e.g. a device move, a batch selection or a splice), validated again."""
        fields = {
            f.name: fn(getattr(self, f.name), *(getattr(o, f.name) for o in others))
            for f in dataclasses.fields(self)
        }
        return PrimaryUsers(**fields)

    def real_composite(self) -> PrimaryUsers:
        """The same primaries in real-composite form (widely-linear processing): channels A →
        [[Re A, −Im A], [Im A, Re A]], the covariance Q of a proper CN(0, Q) signal → the
        covariance Q_r = ½ [[Re Q, −Im Q], [Im Q, Re Q]] of its real composite, noise σ² → σ²/2
        per real dimension; powers and caps are unchanged."""
        return PrimaryUsers(
            real_composite(self.to_primary),
            real_composite(self.to_secondary),
            real_composite(self.direct),
            0.5 * real_composite(self.tx_covariance),
            self.interference_cap_w,
            0.5 * self.noise_power,
        )

    def to(self, device: torch.device | str, dtype: torch.dtype) -> PrimaryUsers:
        """On ``device`` with complex fields in ``dtype`` and real ones in its real dtype."""
        real = torch.empty((), dtype=dtype).real.dtype
        return self.map(lambda t: t.to(device, dtype if t.is_complex() else real))

    def select(self, index: slice | Tensor) -> PrimaryUsers:
        """The scenarios ``index`` of the batch (a slice or an index tensor)."""
        return self.map(lambda t: t[index])

    def index_copy(self, where: Tensor, fresh: PrimaryUsers) -> PrimaryUsers:
        """These primaries with scenarios ``where`` replaced by ``fresh``'s (in order)."""
        return self.map(lambda old, new: old.index_copy(0, where, new), fresh)

    @staticmethod
    def cat(parts: Sequence[PrimaryUsers]) -> PrimaryUsers:
        """Batches of primary users concatenated along B."""
        return parts[0].map(lambda *fields: torch.cat(fields), *parts[1:])

    @classmethod
    def on_line(
        cls,
        config: InterferenceChannelConfig,
        n_primaries: int,
        cap_fraction: float,
        noise_power: float,
        seed: int,
        dtype: torch.dtype = torch.complex128,
    ) -> PrimaryUsers:
        """Primary users at the far end of the secondaries' line, one scenario (B = 1).

        Primary links are Rayleigh with the secondary links' direct gain; primary ↔ secondary
        cross links have the path gain of one transmitter spacing α·d₀ (a neighbour on the
        line). The cap I_max is ``cap_fraction`` times the interference a primary would
        receive from all secondaries at full, isotropic power. Seeded by ``seed``.
        """
        direct = float(
            path_gain(config.link_distance_m, config.carrier_hz, config.pathloss_exponent)
        )
        cross = float(
            path_gain(
                config.alpha * config.link_distance_m, config.carrier_hz, config.pathloss_exponent
            )
        )
        isotropic = config.n_links * cross * config.tx_power_w * config.n_rx_antennas
        return cls.synthetic(
            1,
            config.n_links,
            n_primaries,
            config.n_tx_antennas,
            config.n_rx_antennas,
            gain=direct,
            cross_gain=cross,
            noise_power=noise_power,
            tx_power_w=config.tx_power_w,
            interference_cap_w=cap_fraction * isotropic,
            seed=seed,
            dtype=dtype,
        )

    @classmethod
    def in_area(
        cls,
        config: InterferenceChannelConfig,
        n_primaries: int,
        cap_fraction: float,
        noise_power: float,
        seed: int,
        dtype: torch.dtype = torch.complex128,
    ) -> PrimaryUsers:
        """Primary links dropped in a random topology's area with the secondaries, one scenario
        (B = 1): the P links that channel seed ``seed`` drops after the L secondary ones
        (:func:`~semgym.channels.deployment.random_deployment` with ``n_extra=P``, so the
        secondaries stand where their channels were drawn), every gain from its actual
        distance, Rayleigh fading, N_Rp = N_Tp = N_T, Q_p = (P_max/N_Tp) I. The cap I_max,p is
        ``cap_fraction`` times the interference primary p would receive from all secondaries
        at full, isotropic power through its actual path gains."""
        n_links, n_tx, n_rx = config.n_links, config.n_tx_antennas, config.n_rx_antennas
        drop = random_deployment(
            n_links, config.area_side_m, config.link_distance_range_m, seed, n_extra=n_primaries
        )
        gain = path_gain(
            drop.distances(),
            config.carrier_hz,
            config.pathloss_exponent,
            config.reference_distance_m,
        )  # (L + P, L + P), tx → rx
        to_primary_gain = gain[:n_links, n_links:]  # (L, P)
        to_secondary_gain = gain[n_links:, :n_links]  # (P, L)
        direct_gain = gain[n_links:, n_links:].diagonal()  # (P,)
        gen = torch.Generator().manual_seed(seed)

        def cn(*shape: int) -> Tensor:
            parts = torch.randn(*shape, 2, dtype=torch.float64, generator=gen)
            return torch.view_as_complex(parts) * math.sqrt(0.5)

        to_primary = (
            cn(1, n_links, n_primaries, n_tx, n_tx) * to_primary_gain.sqrt()[None, :, :, None, None]
        )
        to_secondary = (
            cn(1, n_primaries, n_links, n_rx, n_tx)
            * to_secondary_gain.sqrt()[None, :, :, None, None]
        )
        direct = cn(1, n_primaries, n_tx, n_tx) * direct_gain.sqrt()[None, :, None, None]
        isotropic = to_primary_gain.sum(0) * config.tx_power_w * n_tx  # (P,)
        eye = torch.eye(n_tx, dtype=torch.complex128) * (config.tx_power_w / n_tx)
        return cls(
            to_primary=to_primary.to(dtype),
            to_secondary=to_secondary.to(dtype),
            direct=direct.to(dtype),
            tx_covariance=eye.expand(1, n_primaries, n_tx, n_tx).to(dtype).clone(),
            interference_cap_w=(cap_fraction * isotropic)[None],
            noise_power=torch.tensor(noise_power, dtype=torch.float64),
        )

    def secondary_noise(self) -> Tensor:
        """Σ_p H̄_{p→l} Q_p H̄_{p→l}ᴴ at every secondary receiver, (B, L, N_R, N_R), per use."""
        return received_covariance(self.to_secondary, self.tx_covariance.unsqueeze(2)).sum(1)

    def _interference(self, tx_covariance_blocks: Tensor) -> Tensor:
        """Σ_l H̄_{l→p} Q_{l,k} H̄_{l→p}ᴴ, (B, P, K, N_Rp, N_Rp), from the secondaries' per-use
        covariance blocks (B, L, K, N_T, N_T)."""
        h = self.to_primary.unsqueeze(3)  # (B, L, P, 1, N_Rp, N_T)
        q = tx_covariance_blocks.unsqueeze(2)  # (B, L, 1, K, N_T, N_T)
        return received_covariance(h, q).sum(1)

    def received(self, tx_covariance_blocks: Tensor) -> Tensor:
        """I_p: secondary interference at each primary, (B, P) W, averaged over channel uses,
        from the secondaries' per-use covariance blocks (B, L, K, N_T, N_T)."""
        return real_trace(self._interference(tx_covariance_blocks)).mean(-1)

    def rate(self, tx_covariance_blocks: Tensor) -> Tensor:
        """Each primary's rate, bit/s/Hz averaged over channel uses, (B, P):
        log₂ det(I + H̄_pp Q_p H̄_ppᴴ R_p⁻¹), R_p = σ² I + Σ_l H̄_{l→p} Q_{l,k} H̄_{l→p}ᴴ
        (½ log₂ det of the real-composite matrices in real-composite form: the same rate for
        proper signals, the rate a widely-linear receiver gets from improper interference).
        Primaries do not interfere with each other (orthogonal licensed bands)."""
        noise = add_noise(self._interference(tx_covariance_blocks), self.noise_power[:, None])
        signal = received_covariance(self.direct, self.tx_covariance).unsqueeze(2)
        return gaussian_rate(signal, noise).mean(-1)

    def caps_hold(self, tx_covariance_blocks: Tensor, rtol: float = 1e-6) -> Tensor:
        """(B,) bool: every primary's received interference is within its cap."""
        received = self.received(tx_covariance_blocks)
        return (received <= self.interference_cap_w * (1.0 + rtol)).all(-1)
