"""Scenario sampler for the MIMO interference channel (interference paper §II, §IV).

L links on a :class:`~semgym.channels.deployment.LineDeployment` (``topology="line"``, the
papers'), or dropped at random in a square area per channel seed
(``topology="random"``, :func:`~semgym.channels.deployment.random_deployment`); every
(transmitter j, receiver l) pair gets a flat-fading matrix

    H̄[j, l] = √g_jl · (√(K/(K+1)) H_LoS[j, l] + √(1/(K+1)) H_NLoS[j, l])   (Rician)
    H̄[j, l] = √g_jl · H_NLoS[j, l]                                       (Rayleigh)

with ``g_jl`` the log-distance path gain (:mod:`~semgym.channels.pathloss`) and
``H_NLoS`` i.i.d. CN(0, 1). Over K channel uses the paper's channel is
``H_{j,l} = I_K ⊗ H̄[j, l]`` (:func:`kron_channel_uses`). Noise power σ² comes from the
thermal defaults or from ``snr_db`` (see :mod:`~semgym.channels.noise`).

Also the federated paper's downlink channel, :func:`sample_rayleigh_downlink`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from semgym._validation import (
    check_bool,
    check_choice,
    check_finite,
    check_positive,
    check_positive_int,
)
from semgym.channels._common import (
    Seed,
    check_complex_dtype,
    real_dtype,
    resolve_batch,
)
from semgym.channels.deployment import Deployment, LineDeployment, random_deployment
from semgym.channels.dynamics import FadingParts, ReceiverMotion, doppler_hz, jakes_correlation
from semgym.channels.fading import (
    DEFAULT_RICIAN_K,
    los_matrices,
    rayleigh_fading,
    rician_fading,
    rician_parts,
)
from semgym.channels.noise import (
    DEFAULT_BANDWIDTH_HZ,
    DEFAULT_NOISE_FIGURE_DB,
    DEFAULT_TEMPERATURE_K,
    noise_power_from_snr,
    thermal_noise_power,
)
from semgym.channels.pathloss import (
    DEFAULT_CARRIER_HZ,
    DEFAULT_PATHLOSS_EXPONENT,
    DEFAULT_REFERENCE_DISTANCE_M,
    path_gain,
)
from semgym.core.linalg import kron_identity

#: Fading models accepted by :class:`InterferenceChannelConfig`.
FADING_MODELS = ("rician", "rayleigh")
#: Where the links stand: the papers' line, or dropped at random per channel seed.
TOPOLOGIES = ("line", "random")
#: The random topology's default density, links per km² (a 100 m square for 3 links).
DEFAULT_DENSITY_PER_KM2 = 300.0
#: The random topology's default range of a receiver's distance from its transmitter, metres.
DEFAULT_LINK_DISTANCE_RANGE_M = (20.0, 60.0)


#: The coherence block of a time-varying channel (one env step), seconds.
DEFAULT_BLOCK_S = 1e-3
#: How many blocks old the channel knowledge of a time-varying channel is by default.
DEFAULT_CSI_DELAY = 1

#: The channel seeds of both papers' figures (the interference paper's §IV: results averaged
#: over these channel realizations).
PAPER_SEEDS = (27, 42, 100, 123, 144, 200)


@dataclass(frozen=True)
class InterferenceChannelConfig:
    """Channel scenario of the interference game, validated at construction.

    Arguments (defaults: interference paper §IV unless marked *semgym*):
        n_links: number of tx–rx links L (>= 1). Default 3.
        n_tx_antennas: N_T per transmitter (>= 1). Default 8.
        n_rx_antennas: N_R per receiver (>= 1). Default 8.
        link_distance_m: d₀, tx–rx distance of each link, metres (> 0). Default 30.
        alpha: MUI scaling factor α, adjacent transmitters α·d₀ apart (> 0). Default 3.
        carrier_hz: carrier frequency, Hz (> 0). Default 3.5e9.
        pathloss_exponent: log-distance exponent beyond 1 m (> 0). Default 2.5.
        reference_distance_m: free-space reference distance, metres (> 0). Default 1.
        fading: ``"rician"`` or ``"rayleigh"``. Default ``"rician"``.
        rician_k: Rician K-factor, linear (>= 0). Default 1.5.
        snr_db: if set (finite, dB), σ² follows the SNR convention
            ``σ² = mean_l(g_ll)·P_max / 10^(snr_db/10)`` and the thermal fields are
            ignored. Default ``None`` (thermal noise).
        bandwidth_hz: receiver bandwidth, Hz (> 0). Default 10e6 (*semgym*).
        noise_figure_db: receiver noise figure, dB (>= 0). Default 7 (*semgym*).
        temperature_k: noise temperature, kelvin (> 0). Default 290 (*semgym*).
        tx_power_w: P_max, transmit power per channel use, watts (> 0). Default 1.
        topology: ``"line"`` (the papers' line, the default) or ``"random"`` (*semgym*): per
            channel seed, L transmitters uniform in a square and each receiver at a distance
            uniform in ``link_distance_range_m`` in a uniform direction, no transmitter closer
            than d_min to another link's receiver
            (:func:`~semgym.channels.deployment.random_deployment`); ``link_distance_m`` and
            ``alpha`` are the line's and unused there.
        density_per_km2: links per km² of the random topology (> 0): the square's side is
            1000·√(L / density) m. Default 300 (100 m for three links, 577 m for 100).
        area_m: the random topology's square side in metres, instead of the density.
        link_distance_range_m: (d_min, d_max), metres, of the random topology
            (0 < d_min <= d_max). Default (20, 60).
        mui_neighbours: opt-in interference neighbourhood (*semgym*), an integer k >= 1: each
            receiver sums the MUI of its k strongest interferers (by ‖H̄_{j,l}‖²_F) exactly and
            hears every other one as white noise of the power it would cause spreading its
            block powers evenly over its antennas (an approximation; its error and speed:
            https://semgym.readthedocs.io/en/latest/envs/interference/). Default None: every
            interferer exact.
        speed_kmh: receiver speed, km/h (>= 0), for a time-varying channel (*semgym*,
            :mod:`~semgym.channels.dynamics`): every env step is one block of ``block_s``
            seconds and the scattered part of every link follows a Gauss–Markov process with
            the Jakes correlation of the Doppler v·f_c/c. Default None: the papers' static
            channel.
        block_s: the coherence block (one env step), seconds (> 0). Default 1e-3.
        csi_delay: d, blocks (>= 0): the links' channel knowledge is that of block t − d when
            they choose the powers of block t (0: the current block). Default 1.
        pilot_snr_db: with ``speed_kmh``, the channel estimates are noisy: every entry of
            every channel a receiver estimates has an error CN(0, g_ll / SNR_p) (the pilot
            SNR of its own link at its mean gain, the same pilots for its interferers).
            Default None: error-free estimates.
        moving_receivers: with ``speed_kmh``, every receiver also moves in a straight line at
            that speed, on a heading drawn from the channel seed, so its path gains and line
            of sight follow its position block by block (the transmitters, the primaries and
            their channels stay; a receiver passing closer to a transmitter than
            :attr:`min_distance_m` hears it as from that distance). Default False: only the
            scattering moves, the large-scale gains are the episode's first block's.
    """

    n_links: int = 3
    n_tx_antennas: int = 8
    n_rx_antennas: int = 8
    link_distance_m: float = 30.0
    alpha: float = 3.0
    carrier_hz: float = DEFAULT_CARRIER_HZ
    pathloss_exponent: float = DEFAULT_PATHLOSS_EXPONENT
    reference_distance_m: float = DEFAULT_REFERENCE_DISTANCE_M
    fading: str = "rician"
    rician_k: float = DEFAULT_RICIAN_K
    snr_db: float | None = None
    bandwidth_hz: float = DEFAULT_BANDWIDTH_HZ
    noise_figure_db: float = DEFAULT_NOISE_FIGURE_DB
    temperature_k: float = DEFAULT_TEMPERATURE_K
    tx_power_w: float = 1.0
    topology: str = "line"
    density_per_km2: float = DEFAULT_DENSITY_PER_KM2
    area_m: float | None = None
    link_distance_range_m: tuple[float, float] = DEFAULT_LINK_DISTANCE_RANGE_M
    mui_neighbours: int | None = None
    speed_kmh: float | None = None
    block_s: float = DEFAULT_BLOCK_S
    csi_delay: int = DEFAULT_CSI_DELAY
    pilot_snr_db: float | None = None
    moving_receivers: bool = False

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        for name in ("n_links", "n_tx_antennas", "n_rx_antennas"):
            put(name, check_positive_int(name, getattr(self, name)))
        for name in (
            "link_distance_m",
            "alpha",
            "carrier_hz",
            "pathloss_exponent",
            "reference_distance_m",
            "bandwidth_hz",
            "temperature_k",
            "tx_power_w",
        ):
            put(name, check_positive(name, getattr(self, name)))
        put(
            "noise_figure_db",
            check_positive("noise_figure_db", self.noise_figure_db, allow_zero=True),
        )
        put("rician_k", check_positive("rician_k", self.rician_k, allow_zero=True))
        put("fading", check_choice("fading", self.fading, FADING_MODELS))
        if self.snr_db is not None:
            put("snr_db", check_finite("snr_db", self.snr_db))
            if not -200.0 <= self.snr_db <= 300.0:
                raise ValueError(f"snr_db must be in [-200, 300] dB, got {self.snr_db!r}")
        for name, top in (("alpha", 1e6), ("tx_power_w", 1e9), ("link_distance_m", 1e7)):
            if getattr(self, name) > top:
                raise ValueError(f"{name} must be at most {top:g}, got {getattr(self, name)!r}")
        put("topology", check_choice("topology", self.topology, TOPOLOGIES))
        put("density_per_km2", check_positive("density_per_km2", self.density_per_km2))
        if self.area_m is not None:
            put("area_m", check_positive("area_m", self.area_m))
        distances = self.link_distance_range_m
        if not isinstance(distances, tuple | list) or len(distances) != 2:
            raise ValueError(
                f"link_distance_range_m must be (d_min, d_max) in metres, got {distances!r}"
            )
        low, high = (check_positive("link_distance_range_m", d) for d in distances)
        if high < low or high > 1e7:
            raise ValueError(
                f"link_distance_range_m must be (d_min, d_max), 0 < d_min <= d_max <= 1e7 m, "
                f"got {distances!r}"
            )
        put("link_distance_range_m", (low, high))
        if self.mui_neighbours is not None:
            put("mui_neighbours", check_positive_int("mui_neighbours", self.mui_neighbours))
        if self.speed_kmh is not None:
            put("speed_kmh", check_positive("speed_kmh", self.speed_kmh, allow_zero=True))
            if self.speed_kmh > 1000.0:
                raise ValueError(f"speed_kmh must be at most 1000 km/h, got {self.speed_kmh!r}")
        put("block_s", check_positive("block_s", self.block_s))
        if self.block_s > 10.0:
            raise ValueError(f"block_s must be at most 10 s, got {self.block_s!r}")
        put("csi_delay", check_positive_int("csi_delay", self.csi_delay, minimum=0))
        if self.csi_delay > 100:
            raise ValueError(f"csi_delay must be at most 100 blocks, got {self.csi_delay!r}")
        if self.pilot_snr_db is not None:
            if self.speed_kmh is None:
                raise ValueError(
                    "pilot_snr_db describes the channel estimates of a time-varying channel: set "
                    "speed_kmh too (0 for a receiver standing still)"
                )
            put("pilot_snr_db", check_finite("pilot_snr_db", self.pilot_snr_db))
            if not -50.0 <= self.pilot_snr_db <= 100.0:
                raise ValueError(
                    f"pilot_snr_db must be in [-50, 100] dB, got {self.pilot_snr_db!r}"
                )

        put("moving_receivers", check_bool("moving_receivers", self.moving_receivers))
        if self.moving_receivers and self.speed_kmh is None:
            raise ValueError("moving_receivers moves the receivers at speed_kmh: set speed_kmh too")

    @property
    def min_distance_m(self) -> float:
        """The shortest transmitter–receiver distance, metres: a link's own on the line, the
        random topology's d_min (what bounds every path gain)."""
        return self.link_distance_m if self.topology == "line" else self.link_distance_range_m[0]

    @property
    def k_factor(self) -> float:
        """The Rician K-factor of the draws (0 for Rayleigh fading: no line of sight)."""
        return self.rician_k if self.fading == "rician" else 0.0

    @property
    def dynamic(self) -> bool:
        """Whether the channel varies over an episode (``speed_kmh`` set)."""
        return self.speed_kmh is not None

    @property
    def doppler_hz(self) -> float:
        """f_D = v f_c / c, Hz (0 for the static channel)."""
        return doppler_hz(self.speed_kmh or 0.0, self.carrier_hz)

    @property
    def fading_correlation(self) -> float:
        """ρ = J0(2π f_D T) between consecutive blocks (1 for the static channel)."""
        return jakes_correlation(self.doppler_hz, self.block_s)

    @property
    def area_side_m(self) -> float:
        """The random topology's square side, metres: ``area_m``, or 1000·√(L / density)."""
        if self.area_m is not None:
            return self.area_m
        return 1000.0 * math.sqrt(self.n_links / self.density_per_km2)

    def deployment(self, seed: int | None = None) -> Deployment | LineDeployment:
        """Where the links stand: the line (``seed`` unused), or the random topology of
        channel seed ``seed`` (needed)."""
        if self.topology == "line":
            return LineDeployment(self.n_links, self.link_distance_m, self.alpha)
        if seed is None:
            raise ValueError("a random topology is drawn per channel seed: pass seed=")
        return random_deployment(
            self.n_links, self.area_side_m, self.link_distance_range_m, int(seed)
        )

    def _line_only(self, what: str) -> None:
        if self.topology != "line":
            raise ValueError(
                f"{what} of a random topology depend on the channel seed: use "
                "deployment(seed) and the sampled channels' path_gain"
            )

    def path_gains(self) -> torch.Tensor:
        """``(L, L)`` float64 linear path gains ``g[j, l]``, tx j → rx l (on the line)."""
        self._line_only("path gains")
        return path_gain(
            self.deployment().distances(),
            self.carrier_hz,
            self.pathloss_exponent,
            self.reference_distance_m,
        )

    def direct_gains(self) -> torch.Tensor:
        """``(L,)`` float64 linear path gains of the direct links ``g[l, l]`` (the diagonal of
        :meth:`path_gains`, without the L × L matrix; on the line)."""
        self._line_only("direct gains")
        return path_gain(
            self.deployment().direct_distances(),
            self.carrier_hz,
            self.pathloss_exponent,
            self.reference_distance_m,
        )

    def _gain_at(self, distance_m: float) -> float:
        return float(
            path_gain(
                distance_m, self.carrier_hz, self.pathloss_exponent, self.reference_distance_m
            )
        )

    def strongest_snr_db(self) -> float:
        """The strongest signal any receiver hears over the noise, per receive antenna and
        channel use at full power, dB: 10·log10(max_l g_ll·P_max/σ²) on the line (every
        interferer is at least as far as a link's own transmitter), the gain at d_min in a
        random topology (no transmitter is closer to any receiver). What bounds the condition
        number of every R_n the game computes."""
        if self.topology == "line":
            strongest = float(self.direct_gains().max())
        else:
            strongest = self._gain_at(self.link_distance_range_m[0])
        return 10.0 * math.log10(strongest * self.tx_power_w / self.noise_power_w())

    def noise_power_w(self) -> float:
        """σ² in watts: thermal, or from ``snr_db`` with the mean direct-link gain (on the
        line) or the gain at the mean link distance (d_min + d_max)/2 (random topology)."""
        if self.snr_db is None:
            return thermal_noise_power(self.bandwidth_hz, self.noise_figure_db, self.temperature_k)
        if self.topology == "line":
            direct_gain = float(self.direct_gains().mean())
        else:
            direct_gain = self._gain_at(sum(self.link_distance_range_m) / 2)
        return noise_power_from_snr(self.snr_db, direct_gain * self.tx_power_w)


@dataclass(frozen=True, eq=False)
class InterferenceChannels:
    """A batch of sampled interference-channel scenarios.

    Fields:
        matrices: ``(B, L_tx, L_rx, N_R, N_T)`` complex; ``matrices[b, j, l]`` is H̄ from
            transmitter j to receiver l for one channel use (the paper's
            ``H_{j,l} = I_K ⊗ H̄_{j,l}``); direct links are ``j == l``.
        path_gain: float64 linear large-scale gains ``g[j, l]`` (``E|H̄[j, l]_ik|² =
            g[j, l]``): ``(L_tx, L_rx)`` on the line, ``(B, L_tx, L_rx)`` in a random
            topology (one per channel seed).
        noise_power: ``(B,)`` real (precision of ``matrices``), σ² in watts.
        tx_power_w: P_max per channel use, watts.
        deployment: the geometry the channels were drawn for (the line's), or None in a
            random topology (see the positions).
        tx_positions, rx_positions: ``(B, L, 2)`` float64, metres: where every link's
            transmitter and receiver stand in each scenario.
    """

    matrices: torch.Tensor
    path_gain: torch.Tensor
    noise_power: torch.Tensor
    tx_power_w: float
    deployment: Deployment | LineDeployment | None
    tx_positions: torch.Tensor
    rx_positions: torch.Tensor

    @property
    def batch_size(self) -> int:
        """B."""
        return int(self.matrices.shape[0])

    @property
    def direct(self) -> torch.Tensor:
        """``(B, L, N_R, N_T)``: the direct channels ``H̄[l, l]`` (needs L_tx == L_rx)."""
        return torch.diagonal(self.matrices, dim1=1, dim2=2).permute(0, 3, 1, 2)

    def to(self, device: torch.device | str) -> InterferenceChannels:
        """A copy with every tensor on ``device`` (dtypes kept)."""
        return InterferenceChannels(
            matrices=self.matrices.to(device),
            path_gain=self.path_gain.to(device),
            noise_power=self.noise_power.to(device),
            tx_power_w=self.tx_power_w,
            deployment=self.deployment,
            tx_positions=self.tx_positions.to(device),
            rx_positions=self.rx_positions.to(device),
        )


def sample_channels(
    deployment: Deployment | LineDeployment,
    n_rx_antennas: int,
    n_tx_antennas: int,
    *,
    carrier_hz: float = DEFAULT_CARRIER_HZ,
    pathloss_exponent: float = DEFAULT_PATHLOSS_EXPONENT,
    reference_distance_m: float = DEFAULT_REFERENCE_DISTANCE_M,
    fading: str = "rician",
    rician_k: float = DEFAULT_RICIAN_K,
    batch_size: int | None = None,
    seed: Seed = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.complex64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fading matrices for any deployment: ``(matrices, path_gain)``.

    ``matrices``: ``(B, L_tx, L_rx, N_R, N_T)`` ``dtype`` on ``device``, scaled by
    ``√path_gain``; ``path_gain``: ``(L_tx, L_rx)`` float64 CPU. ``seed`` as in
    :func:`~semgym.channels.fading.rayleigh_fading`.
    """
    fading = check_choice("fading", fading, FADING_MODELS)
    check_complex_dtype(dtype)
    n_r = check_positive_int("n_rx_antennas", n_rx_antennas)
    n_t = check_positive_int("n_tx_antennas", n_tx_antennas)
    gain = path_gain(deployment.distances(), carrier_hz, pathloss_exponent, reference_distance_m)
    b = resolve_batch(seed, batch_size)
    if fading == "rician":
        los = los_matrices(deployment, n_r, n_t, carrier_hz)
        unit = rician_fading(los, rician_k, b, seed, dtype=torch.complex128)
    else:
        shape = (deployment.n_tx, deployment.n_rx, n_r, n_t)
        unit = rayleigh_fading(shape, b, seed, dtype=torch.complex128)
    matrices = unit * torch.sqrt(gain)[None, :, :, None, None]
    return matrices.to(dtype=dtype).to(device=device), gain


def sample_interference_channels(
    config: InterferenceChannelConfig,
    batch_size: int | None = None,
    seed: Seed = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.complex64,
) -> InterferenceChannels:
    """Draw ``B`` interference-channel scenarios for ``config``.

    Arguments:
        config: the scenario.
        batch_size: B (default 1; with a seed sequence, ``len(seed)``).
        seed: ``None`` (fresh entropy), ``int`` (one CPU generator for the batch:
            same seed and B, same tensors), a sequence of B ints (item b is exactly a
            single draw with ``seed[b]``, e.g. the paper's seeds
            ``[27, 42, 100, 123, 144, 200]``), or a CPU ``torch.Generator``.
        device: where the tensors go (drawn on CPU first, so CPU and CUDA agree).
        dtype: ``torch.complex64`` or ``torch.complex128``.
    """
    if not isinstance(config, InterferenceChannelConfig):
        raise ValueError(f"config must be an InterferenceChannelConfig, got {type(config)!r}")
    fading = {
        "carrier_hz": config.carrier_hz,
        "pathloss_exponent": config.pathloss_exponent,
        "reference_distance_m": config.reference_distance_m,
        "fading": config.fading,
        "rician_k": config.rician_k,
        "device": device,
        "dtype": dtype,
    }
    n_r, n_t = config.n_rx_antennas, config.n_tx_antennas
    if config.topology == "line":
        deployment: Deployment | LineDeployment | None = config.deployment()
        matrices, gain = sample_channels(
            deployment, n_r, n_t, batch_size=batch_size, seed=seed, **fading
        )
        b = matrices.shape[0]
        tx = deployment.tx_positions.expand(b, -1, -1)
        rx = deployment.rx_positions.expand(b, -1, -1)
    else:  # one topology per channel seed, each drawn with its fading as a single scenario
        deployment = None
        parts, gains, txs, rxs = [], [], [], []
        for s in _item_seeds(seed, resolve_batch(seed, batch_size)):
            drop = config.deployment(s)
            m, g = sample_channels(drop, n_r, n_t, seed=[s], **fading)
            parts.append(m)
            gains.append(g)
            txs.append(drop.tx_positions)
            rxs.append(drop.rx_positions)
        matrices, gain = torch.cat(parts), torch.stack(gains)
        tx, rx = torch.stack(txs), torch.stack(rxs)
    noise = torch.full(
        (matrices.shape[0],), config.noise_power_w(), dtype=real_dtype(dtype), device=device
    )
    return InterferenceChannels(
        matrices=matrices,
        path_gain=gain.to(device=device),
        noise_power=noise,
        tx_power_w=config.tx_power_w,
        deployment=deployment,
        tx_positions=tx.to(device=device),
        rx_positions=rx.to(device=device),
    )


def fading_parts(
    config: InterferenceChannelConfig, channels: InterferenceChannels, seeds: Sequence[int]
) -> FadingParts:
    """``channels`` (drawn from ``config`` with the seed sequence ``seeds``) split for a
    time-varying channel: H̄ = mean + amplitude·S (:class:`~semgym.channels.dynamics.FadingParts`,
    float64 / complex128 on the CPU). The line of sight is rebuilt from each game's deployment
    (the positions the draw recorded) at the draw's path gains, and S recovered from the draw,
    so S is exactly its CN(0, 1) scattering up to rounding. With ``moving_receivers`` the parts
    carry every receiver's motion, its heading drawn from the game's seed."""
    b = channels.batch_size
    if config.topology == "line":  # one deployment for every game
        drops: list[Deployment | LineDeployment] = [config.deployment()]
    else:
        drops = [
            Deployment(channels.tx_positions[i].cpu(), channels.rx_positions[i].cpu())
            for i in range(b)
        ]
    los = torch.stack(
        [
            los_matrices(drop, config.n_rx_antennas, config.n_tx_antennas, config.carrier_hz)
            for drop in drops
        ]
    ).expand(b, -1, -1, -1, -1)
    gain = channels.path_gain.cpu().expand(b, -1, -1)  # (B, L, L), tx → rx
    mean, amplitude = rician_parts(los, gain, config.k_factor)
    drawn = channels.matrices.detach().cpu().to(torch.complex128)
    scattered = (drawn - mean) / amplitude[..., None, None]
    motion = None
    if config.moving_receivers:
        motion = ReceiverMotion.start(config, channels.tx_positions, channels.rx_positions, seeds)
    return FadingParts(mean, amplitude, scattered, torch.diagonal(gain, dim1=1, dim2=2), motion)


def _item_seeds(seed: Seed, batch: int) -> list[int]:
    """One channel seed per scenario of a random topology: the sequence itself, or B seeds
    drawn from an int seed or a generator (fresh entropy for None)."""
    if isinstance(seed, torch.Generator):
        return [int(v) for v in torch.randint(0, 2**62, (batch,), generator=seed)]
    if seed is None:
        return [int(v) for v in torch.randint(0, 2**62, (batch,))]
    if isinstance(seed, int):
        return [int(v) for v in np.random.default_rng([seed, batch]).integers(0, 2**62, batch)]
    return [int(s) for s in seed]


def kron_channel_uses(channel: torch.Tensor, channel_uses: int) -> torch.Tensor:
    """``I_K ⊗ H̄``: ``(..., N_R, N_T)`` → ``(..., K·N_R, K·N_T)`` block diagonal.

    Block ``(k, k)`` is ``H̄`` for each of the K channel uses (the paper's
    ``H_{j,l} = I_K ⊗ H̄_{j,l}``), for the dense path of the solvers.
    """
    k = check_positive_int("channel_uses", channel_uses)
    if channel.ndim < 2:
        raise ValueError(f"channel must have shape (..., N_R, N_T), got {tuple(channel.shape)}")
    return kron_identity(channel, k)


def sample_rayleigh_downlink(
    n_users: int,
    n_tx: int,
    n_rx: int,
    batch_size: int | None = None,
    seed: Seed = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.complex64,
) -> torch.Tensor:
    """The federated paper's downlink: ``(B, L, N_R, N_T)`` i.i.d. CN(0, 1) matrices.

    One access point with ``n_tx`` antennas, ``n_users`` users with ``n_rx`` antennas
    each; entries have unit variance ``E|h|² = 1`` (the paper's "unitary variance";
    the public reference code's variance 0.5 is not reproduced). No path loss.
    ``seed`` as in :func:`sample_interference_channels`.
    """
    shape = (
        check_positive_int("n_users", n_users),
        check_positive_int("n_rx", n_rx),
        check_positive_int("n_tx", n_tx),
    )
    return rayleigh_fading(shape, batch_size, seed, device=device, dtype=dtype)
