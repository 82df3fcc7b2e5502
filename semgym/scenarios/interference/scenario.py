"""The interference scenario of the envs: the frozen configuration that samples games."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from semgym import core
from semgym._validation import check_choice, check_positive, check_positive_int
from semgym.channels.interference import (
    DEFAULT_BLOCK_S,
    DEFAULT_CSI_DELAY,
    DEFAULT_DENSITY_PER_KM2,
    DEFAULT_LINK_DISTANCE_RANGE_M,
    InterferenceChannelConfig,
    fading_parts,
    sample_interference_channels,
)
from semgym.scenarios.interference.game import InterferenceGame, widely_linear_channels
from semgym.scenarios.latents import (
    PROCESSING,
    LatentLink,
    heterogeneous_pairs,
    interference_links,
    latent_link,
)
from semgym.scenarios.primary import PrimaryUsers

#: How the links' encoder pairs are chosen: ``"fixed"`` (``tx_encoders``/``rx_encoders``, else
#: the bank's paper links cycled) or ``"drawn"`` (per topology from the bank's heterogeneous
#: pairs).
ENCODER_PAIRS = ("fixed", "drawn")
#: The seed stream of the encoder draw, apart from the channel's and the primaries'.
_PAIR_STREAM = 0x7061697273


@dataclass(frozen=True)
class InterferenceScenario:
    """The interference scenario of the envs: channels, K, latent links and primary users.

    Frozen and validated; :meth:`sample` draws batches of games. Build it with
    :meth:`create` from the envs' keyword arguments (units and defaults there).

    Attributes:
        channel: :class:`~semgym.channels.InterferenceChannelConfig` (L, antennas, α, noise,
            P_max).
        channel_uses: K (>= 1); M = K·N_T modes per link, budget K·P_max (W).
        latents: the latent bank's name or file path.
        links: (tx encoder, rx encoder) per link: every game's, unless ``pair_pool`` draws
            them.
        n_primaries: licensed primary links (not players), >= 0.
        interference_cap: each primary's cap I_max as a fraction of the interference it would
            receive from all secondaries at full isotropic power (> 0).
        processing: ``"linear"`` (the papers' complex-linear transceivers, M = K·N_T complex
            modes) or ``"widely_linear"`` (the real-composite form, 2M real modes with the
            same budget; https://semgym.readthedocs.io/en/latest/design/).
        enforce_caps: the primaries' caps are a rule of the band, not only a score: every
            link's powers are scaled onto its share of the caps before they are transmitted
            (:func:`~semgym.core.scale_to_caps`; a no-op without primaries). False: the caps
            are reported, and only the priced best response keeps them.
        pair_pool: None (every game plays ``links``), or the (tx, rx) pairs every game draws
            its links' pairs from: uniformly, with replacement, seeded by the game's channel
            seed alone (:meth:`links_of`), so that a topology and its encoders are one draw.
    """

    channel: InterferenceChannelConfig
    channel_uses: int
    latents: str
    links: tuple[tuple[str, str], ...]
    n_primaries: int = 0
    interference_cap: float = 0.1
    processing: str = "linear"
    enforce_caps: bool = False
    pair_pool: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "channel_uses", check_positive_int("channel_uses", self.channel_uses)
        )
        if not isinstance(self.enforce_caps, bool | np.bool_):
            raise ValueError(f"enforce_caps must be True or False, got {self.enforce_caps!r}")
        object.__setattr__(self, "enforce_caps", bool(self.enforce_caps))
        object.__setattr__(
            self, "n_primaries", check_positive_int("primary_users", self.n_primaries, minimum=0)
        )
        object.__setattr__(
            self, "interference_cap", check_positive("interference_cap", self.interference_cap)
        )
        check_choice("processing", self.processing, PROCESSING)
        if len(self.links) != self.channel.n_links:
            raise ValueError(
                f"links must name one (tx, rx) pair per link ({self.channel.n_links}), "
                f"got {len(self.links)}"
            )
        if self.pair_pool is not None:
            pool = tuple((str(tx), str(rx)) for tx, rx in self.pair_pool)
            if not pool:
                raise ValueError("pair_pool must hold at least one (tx, rx) pair, or be None")
            object.__setattr__(self, "pair_pool", pool)
        for (tx, _), link in zip(self._all_links, self._prepare(self._all_links), strict=True):
            if self.n_modes > link.pair.stats.tx_dim:
                raise ValueError(
                    f"channel_uses·n_tx_antennas = {self.channel_uses * self.channel.n_tx_antennas}"
                    f" needs {self.n_modes} symbols, more than the {link.pair.stats.tx_dim} of "
                    f"encoder {tx!r} (width {link.pair.tx_real_dim}); lower channel_uses or the "
                    "number of antennas"
                )

    @classmethod
    def create(
        cls,
        *,
        n_links: int = 3,
        n_antennas: int = 8,
        n_tx_antennas: int | None = None,
        n_rx_antennas: int | None = None,
        channel_uses: int = 10,
        alpha: float = 3.0,
        snr_db: float | None = None,
        tx_power_w: float = 1.0,
        fading: str = "rician",
        rician_k: float = 1.5,
        latents: str = "mnist5k",
        tx_encoders: Sequence[str] | None = None,
        rx_encoders: Sequence[str] | None = None,
        primary_users: int = 0,
        interference_cap: float = 0.1,
        processing: str = "linear",
        enforce_caps: bool = False,
        topology: str = "line",
        density_per_km2: float = DEFAULT_DENSITY_PER_KM2,
        area_m: float | None = None,
        link_distance_range_m: tuple[float, float] = DEFAULT_LINK_DISTANCE_RANGE_M,
        mui_neighbours: int | None = None,
        speed_kmh: float | None = None,
        block_s: float = DEFAULT_BLOCK_S,
        csi_delay: int = DEFAULT_CSI_DELAY,
        pilot_snr_db: float | None = None,
        moving_receivers: bool = False,
        encoder_pairs: str = "fixed",
    ) -> InterferenceScenario:
        """The scenario from the envs' keyword arguments (documented in the env manual)."""
        n_links = check_positive_int("n_links", n_links)
        n_antennas = check_positive_int("n_antennas", n_antennas)
        check_choice("encoder_pairs", encoder_pairs, ENCODER_PAIRS)
        if encoder_pairs == "drawn" and (tx_encoders is not None or rx_encoders is not None):
            raise ValueError(
                "encoder_pairs='drawn' draws every link's encoders; leave tx_encoders and "
                "rx_encoders unset, or fix them with encoder_pairs='fixed'"
            )
        channel = InterferenceChannelConfig(
            n_links=n_links,
            n_tx_antennas=n_tx_antennas if n_tx_antennas is not None else n_antennas,
            n_rx_antennas=n_rx_antennas if n_rx_antennas is not None else n_antennas,
            alpha=alpha,
            snr_db=snr_db,
            tx_power_w=tx_power_w,
            fading=fading,
            rician_k=rician_k,
            topology=topology,
            density_per_km2=density_per_km2,
            area_m=area_m,
            link_distance_range_m=tuple(link_distance_range_m)
            if isinstance(link_distance_range_m, list)
            else link_distance_range_m,
            mui_neighbours=mui_neighbours,
            speed_kmh=speed_kmh,
            block_s=block_s,
            csi_delay=csi_delay,
            pilot_snr_db=pilot_snr_db,
            moving_receivers=moving_receivers,
        )
        links = interference_links(latents, n_links, tx_encoders, rx_encoders)
        check_choice("processing", processing, PROCESSING)
        pool = None
        if encoder_pairs == "drawn":
            pool = heterogeneous_pairs(latents, channel_uses * channel.n_tx_antennas)
        return cls(
            channel,
            channel_uses,
            latents,
            links,
            primary_users,
            interference_cap,
            processing,
            enforce_caps,
            pool,
        )

    @property
    def n_links(self) -> int:
        """L."""
        return self.channel.n_links

    @property
    def n_modes(self) -> int:
        """M = K·N_T complex modes per link, or 2·K·N_T real ones (widely linear)."""
        real = 2 if self.processing == "widely_linear" else 1
        return real * self.channel_uses * self.channel.n_tx_antennas

    @property
    def budget(self) -> float:
        """K·P_max, W."""
        return self.channel_uses * self.channel.tx_power_w

    @property
    def _all_links(self) -> tuple[tuple[str, str], ...]:
        """The (tx, rx) pairs any game can play: ``links``, then the pool's."""
        return self.links + (self.pair_pool or ())

    def _prepare(self, links: Sequence[tuple[str, str]]) -> list[LatentLink]:
        return [latent_link(self.latents, tx, rx, self.processing) for tx, rx in links]

    def links_of(self, seed: int) -> tuple[tuple[str, str], ...]:
        """The (tx, rx) pair of every link in the game of channel seed ``seed``: ``links``, or
        L uniform draws from ``pair_pool`` by a generator of that seed alone."""
        if self.pair_pool is None:
            return self.links
        draw = np.random.default_rng([int(seed), _PAIR_STREAM])
        return tuple(
            self.pair_pool[i] for i in draw.integers(len(self.pair_pool), size=self.n_links)
        )

    @property
    def latent_links(self) -> list[LatentLink]:
        """Every link's prepared latent pair and test latents (computed once per process); the
        fixed ``links`` (:meth:`latent_links_of` a seed when the pool draws them)."""
        return self._prepare(self.links)

    def latent_links_of(self, seed: int) -> list[LatentLink]:
        """Every link's prepared latent pair in the game of channel seed ``seed``."""
        return self._prepare(self.links_of(seed))

    @property
    def pairs(self) -> list[core.SemanticPair]:
        """Every link's :class:`~semgym.core.SemanticPair` (train split statistics) of the fixed
        ``links``."""
        return [link.pair for link in self.latent_links]

    def semantic_weights(self, dtype: torch.dtype = torch.float64) -> Tensor:
        """w = σ̃² of every fixed link's first M semantic directions, (L, M), descending."""
        return self._weights(self.links, dtype)

    def target_energy(self, dtype: torch.dtype = torch.float64) -> Tensor:
        """tr(R_y) of every fixed link, (L,)."""
        return self._energy(self.links, dtype)

    def _weights(self, links: Sequence[tuple[str, str]], dtype: torch.dtype) -> Tensor:
        stats = [link.pair.stats for link in self._prepare(links)]
        return torch.stack([s.semantic_weights(self.n_modes).to(dtype) for s in stats])

    def _energy(self, links: Sequence[tuple[str, str]], dtype: torch.dtype) -> Tensor:
        return torch.stack(
            [link.pair.stats.target_energy.to(dtype) for link in self._prepare(links)]
        )

    def _link_statistics(self, seeds: Sequence[int], dtype: torch.dtype) -> tuple[Tensor, Tensor]:
        """Semantic weights (B, L, M) and target energies (B, L) of the games of ``seeds``."""
        if self.pair_pool is None:
            b = len(seeds)
            return (
                self.semantic_weights(dtype).expand(b, -1, -1),
                self.target_energy(dtype).expand(b, -1),
            )
        index = {pair: i for i, pair in enumerate(self.pair_pool)}
        drawn = torch.tensor([[index[pair] for pair in self.links_of(s)] for s in seeds])
        return self._weights(self.pair_pool, dtype)[drawn], self._energy(self.pair_pool, dtype)[
            drawn
        ]

    def sample(
        self,
        seeds: Sequence[int],
        *,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.complex128,
    ) -> InterferenceGame:
        """A batch of games, game b drawn from channel seed ``seeds[b]`` alone (channels on
        the CPU, then moved, so every device sees the same channels; primaries seeded alike).
        ``dtype`` is the complex dtype of the draw; widely-linear games are its real-composite
        form, in the matching real dtype."""
        seeds = [int(s) for s in seeds]
        channels = sample_interference_channels(self.channel, seed=seeds, dtype=dtype)
        matrices, noise = channels.matrices, channels.noise_power
        widely_linear = self.processing == "widely_linear"
        if widely_linear:
            matrices, noise = widely_linear_channels(matrices, noise)
        primary = None
        if self.n_primaries:
            place = (
                PrimaryUsers.on_line if self.channel.topology == "line" else PrimaryUsers.in_area
            )
            primary = PrimaryUsers.cat(
                [
                    place(
                        self.channel,
                        self.n_primaries,
                        self.interference_cap,
                        float(channels.noise_power[i]),
                        seed=s,
                    )
                    for i, s in enumerate(seeds)
                ]
            ).to(device, dtype)
            primary = primary.real_composite() if widely_linear else primary
        weights, energy = self._link_statistics(seeds, channels.matrices.real.dtype)
        return InterferenceGame(
            matrices.to(device),
            self.channel_uses,
            noise.to(device),
            self.channel.tx_power_w,
            weights.to(device),
            energy.to(device),
            primary,
            torch.stack([channels.tx_positions, channels.rx_positions], 1),
            self.channel.mui_neighbours,
            fading_parts(self.channel, channels, seeds).to(device, dtype)
            if self.channel.dynamic
            else None,
        )
