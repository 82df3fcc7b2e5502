"""A batch of sampled interference games: channels, noise, budget and semantic weights."""

from __future__ import annotations

import copy
import dataclasses
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym import core
from semgym._validation import check_positive, check_positive_int
from semgym.channels.dynamics import FadingParts
from semgym.channels.interference import (
    InterferenceChannelConfig,
    InterferenceChannels,
    sample_interference_channels,
)
from semgym.scenarios.primary import PrimaryUsers


@dataclass(frozen=True, eq=False)
class InterferenceGame:
    """A batch of B interference games, validated at construction.

    Attributes:
        channels: H̄_{j,l} per channel use, (B, L, L, N_R, N_T) complex, tx j → rx l; or real
            in real-composite form (widely-linear processing: N_R, N_T count real dimensions,
            twice the antennas, and σ² is the noise power per real dimension).
        channel_uses: K (>= 1); H_{j,l} = I_K ⊗ H̄_{j,l}, M = K·N_T modes per link.
        noise_power: σ², (B,) W (> 0).
        tx_power_w: P_max per channel use, W (> 0); each link's budget is K·P_max.
        weights: semantic weights w = σ̃², (B, L, M) real, >= 0, descending per link.
        target_energy: tr(R_y) per link, (B, L) real (> 0): the MSE of sending nothing.
        primary: optional :class:`~semgym.scenarios.PrimaryUsers` (cognitive radio).
        positions: optional (B, 2, L, 2) float64, metres: every link's transmitter
            (``positions[:, 0]``) and receiver (``positions[:, 1]``), when the game was drawn
            from a geometry (None for synthetic channels).
        mui_neighbours: the opt-in interference neighbourhood: every receiver's MUI sums its
            k strongest interferers exactly (:func:`~semgym.core.neighbour_index`) and the
            others as white noise (:func:`~semgym.core.far_interference`); None: every
            interferer exact.
        fading: for a time-varying channel, the channels' deterministic and scattered parts
            (:class:`~semgym.channels.dynamics.FadingParts`, complex even for widely-linear
            games) at the episode's first block; None for the static channel.
    """

    channels: Tensor
    channel_uses: int
    noise_power: Tensor
    tx_power_w: float
    weights: Tensor
    target_energy: Tensor
    primary: PrimaryUsers | None = None
    positions: Tensor | None = None
    mui_neighbours: int | None = None
    fading: FadingParts | None = None

    def __post_init__(self) -> None:
        ch = self.channels
        if (
            not isinstance(ch, Tensor)
            or ch.ndim != 5
            or not (ch.is_complex() or ch.is_floating_point())
        ):
            shape = tuple(ch.shape) if isinstance(ch, Tensor) else type(ch)
            raise ValueError(f"channels must be a (B, L, L, N_R, N_T) tensor, got {shape}")
        b, n_links, n_rx_links = ch.shape[:3]
        if n_links != n_rx_links:
            raise ValueError(f"channels must have L_tx == L_rx, got {tuple(ch.shape)}")
        k = check_positive_int("channel_uses", self.channel_uses)
        object.__setattr__(self, "channel_uses", k)
        object.__setattr__(self, "tx_power_w", check_positive("tx_power_w", self.tx_power_w))
        real = ch.real.dtype
        m = k * ch.shape[-1]

        def as_real(name: str, value: object, shape: tuple[int, ...]) -> Tensor:
            t = torch.as_tensor(value, dtype=real, device=ch.device)
            if t.ndim == 0 and shape == (b,):
                t = t.expand(b)
            if tuple(t.shape) != shape:
                raise ValueError(f"{name} must have shape {shape}, got {tuple(t.shape)}")
            if not bool(torch.isfinite(t).all()):
                raise ValueError(f"{name} must be finite")
            return t.contiguous()

        noise = as_real("noise_power", self.noise_power, (b,))
        if bool((noise <= 0).any()):
            raise ValueError("noise_power must be > 0 W")
        weights = as_real("weights", self.weights, (b, n_links, m))
        if bool((weights < 0).any()):
            raise ValueError("weights must be >= 0")
        if bool((weights[..., 1:] > weights[..., :-1] * (1 + 1e-9) + 1e-300).any()):
            raise ValueError("weights must be sorted in descending order per link (σ̃² order)")
        energy = as_real("target_energy", self.target_energy, (b, n_links))
        if bool((energy <= 0).any()):
            raise ValueError("target_energy must be > 0")
        if self.primary is not None:
            p = self.primary
            if not isinstance(p, PrimaryUsers):
                raise ValueError(f"primary must be PrimaryUsers or None, got {type(p)!r}")
            if p.to_primary.shape[:2] != (b, n_links) or p.to_primary.shape[-1] != ch.shape[-1]:
                raise ValueError(
                    f"primary.to_primary must be (B, L, P, N_Rp, N_T) with B={b}, L={n_links}, "
                    f"N_T={ch.shape[-1]}, got {tuple(p.to_primary.shape)}"
                )
            if p.to_secondary.shape[-2] != ch.shape[-2]:
                raise ValueError(f"primary.to_secondary must end in N_R = {ch.shape[-2]} rows")
        object.__setattr__(self, "noise_power", noise)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "target_energy", energy)
        if self.positions is not None:
            positions = torch.as_tensor(self.positions, dtype=torch.float64)
            if tuple(positions.shape) != (b, 2, n_links, 2):
                raise ValueError(
                    f"positions must be (B, 2, L, 2) = {(b, 2, n_links, 2)} metres, got "
                    f"{tuple(positions.shape)}"
                )
            object.__setattr__(self, "positions", positions)
        if self.mui_neighbours is not None:
            k = check_positive_int("mui_neighbours", self.mui_neighbours)
            object.__setattr__(self, "mui_neighbours", k)

    # --- sizes --------------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """B."""
        return int(self.channels.shape[0])

    @property
    def n_links(self) -> int:
        """L."""
        return int(self.channels.shape[1])

    @property
    def n_tx(self) -> int:
        """N_T."""
        return int(self.channels.shape[-1])

    @property
    def n_modes(self) -> int:
        """M = K·N_T."""
        return self.channel_uses * self.n_tx

    @property
    def budget(self) -> float:
        """K·P_max, W."""
        return self.channel_uses * self.tx_power_w

    @property
    def widely_linear(self) -> bool:
        """Whether the game is in real-composite form (widely-linear processing)."""
        return not self.channels.is_complex()

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def from_pairs(
        cls,
        channels: InterferenceChannels | Tensor,
        pairs: Sequence[core.SemanticPair],
        channel_uses: int,
        tx_power_w: float | None = None,
        *,
        noise_power: Tensor | float | None = None,
        primary: PrimaryUsers | None = None,
    ) -> InterferenceGame:
        """A game from sampled channels and one prepared latent pair per link.

        ``channels`` is an :class:`~semgym.channels.InterferenceChannels` (its σ² and P_max are
        used unless given) or a (B, L, L, N_R, N_T) tensor (then ``noise_power`` and
        ``tx_power_w`` are required). Pair statistics may be unbatched (shared by the B games)
        or batched (B,). Weights are ``pair.stats.semantic_weights(K·N_T)``. Widely-linear
        pairs (``pair.widely_linear``) put the complex channels into real-composite form, with
        σ²/2 per real dimension (:func:`widely_linear_channels`).
        """
        if isinstance(channels, InterferenceChannels):
            matrices = channels.matrices
            noise_power = channels.noise_power if noise_power is None else noise_power
            tx_power_w = channels.tx_power_w if tx_power_w is None else tx_power_w
        else:
            matrices = channels
            if noise_power is None or tx_power_w is None:
                raise ValueError("noise_power and tx_power_w are required with a channel tensor")
        if not isinstance(matrices, Tensor) or matrices.ndim != 5:
            raise ValueError("channels must be (B, L, L, N_R, N_T)")
        if pairs and pairs[0].widely_linear and matrices.is_complex():
            matrices, noise_power = widely_linear_channels(matrices, noise_power)
        b, n_links = matrices.shape[:2]
        if len(pairs) != n_links:
            raise ValueError(
                f"pairs must hold one SemanticPair per link (L={n_links}), got {len(pairs)}"
            )
        m = check_positive_int("channel_uses", channel_uses) * matrices.shape[-1]
        real = matrices.real.dtype
        weights = torch.stack([p.stats.semantic_weights(m).to(real).expand(b, m) for p in pairs], 1)
        energy = torch.stack([p.stats.target_energy.to(real).expand(b) for p in pairs], 1)
        return cls(
            matrices,
            channel_uses,
            noise_power,
            tx_power_w,
            weights.to(matrices.device),
            energy.to(matrices.device),
            primary,
        )

    @classmethod
    def synthetic(
        cls,
        config: InterferenceChannelConfig | None = None,
        *,
        channel_uses: int = 2,
        batch_size: int | None = None,
        seed: int | Sequence[int] = 0,
        weight_decay: float = 3.0,
        dtype: torch.dtype = torch.complex128,
        primary: PrimaryUsers | None = None,
    ) -> InterferenceGame:
        """Channels from :func:`~semgym.channels.sample_interference_channels` (paper defaults
        unless ``config`` says otherwise) and synthetic semantic statistics: per link
        w_m = u_m e^{−decay·m/M} sorted descending (u ~ U(0.5, 1.5)) and tr(R_y) = 1.25 Σ w
        (a fifth of the energy is not linearly predictable). Seeded per game: with a seed
        sequence, game b is exactly the single game of ``seed[b]``."""
        config = InterferenceChannelConfig() if config is None else config
        chans = sample_interference_channels(config, batch_size, seed, dtype=dtype)
        b, n_links = chans.matrices.shape[:2]
        m = check_positive_int("channel_uses", channel_uses) * config.n_tx_antennas
        seeds = [int(seed)] * b if isinstance(seed, numbers.Integral) else [int(s) for s in seed]
        scale = (
            torch.stack(
                [
                    torch.rand(
                        n_links,
                        m,
                        generator=torch.Generator().manual_seed(s + 7919),
                        dtype=torch.float64,
                    )
                    for s in seeds
                ]
            )
            + 0.5
        )
        decay = torch.exp(-weight_decay * torch.arange(m, dtype=torch.float64) / m)
        weights = (scale * decay).sort(-1, descending=True).values
        real = chans.matrices.real.dtype
        return cls(
            chans.matrices,
            channel_uses,
            chans.noise_power,
            chans.tx_power_w,
            weights.to(real),
            (1.25 * weights.sum(-1)).to(real),
            primary,
        )

    def with_primary(self, primary: PrimaryUsers | None) -> InterferenceGame:
        """The same game with other primary users (or none)."""
        return dataclasses.replace(self, primary=primary)

    def select(self, index: int | Tensor) -> InterferenceGame:
        """Game ``index`` of the batch as a batch of one, or the games an int64 index tensor
        (n,) lists as a batch of n (e.g. one game repeated, to score it on n channel draws
        with :meth:`with_channels`)."""
        sl = slice(index, index + 1) if isinstance(index, int) else index
        return dataclasses.replace(
            self,
            channels=self.channels[sl],
            noise_power=self.noise_power[sl],
            weights=self.weights[sl],
            target_energy=self.target_energy[sl],
            primary=None if self.primary is None else self.primary.select(sl),
            positions=None if self.positions is None else self.positions[sl],
            fading=None if self.fading is None else self.fading.select(sl),
        )

    def with_channels(self, channels: Tensor) -> InterferenceGame:
        """The same games over other channels of the same shape, dtype and device (a block
        of a time-varying channel): nothing is validated again and nothing is read back to
        the host."""
        game = copy.copy(self)
        object.__setattr__(game, "channels", channels)
        return game

    def index_copy(self, where: Tensor, fresh: InterferenceGame) -> InterferenceGame:
        """This batch with games ``where`` (index tensor) replaced by ``fresh``'s, in order."""
        primary = None
        if self.primary is not None and fresh.primary is not None:
            primary = self.primary.index_copy(where, fresh.primary)
        return dataclasses.replace(
            self,
            channels=self.channels.index_copy(0, where, fresh.channels),
            noise_power=self.noise_power.index_copy(0, where, fresh.noise_power),
            weights=self.weights.index_copy(0, where, fresh.weights),
            target_energy=self.target_energy.index_copy(0, where, fresh.target_energy),
            primary=primary,
            positions=None
            if self.positions is None or fresh.positions is None
            else self.positions.index_copy(0, where.to(self.positions.device), fresh.positions),
            fading=None
            if self.fading is None or fresh.fading is None
            else self.fading.index_copy(where, fresh.fading),
        )


def widely_linear_channels(
    channels: Tensor, noise_power: Tensor | float
) -> tuple[Tensor, Tensor | float]:
    """Complex per-channel-use channels (..., N_R, N_T) and their noise power σ² (W) in
    real-composite form: (..., 2N_R, 2N_T) real and σ²/2 per real dimension (CN(0, σ²I) noise
    is N(0, σ²/2·I) on its real and imaginary parts); I_K ⊗ H̄ keeps its block structure."""
    return core.real_composite(channels), noise_power * 0.5
