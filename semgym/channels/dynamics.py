"""Time-varying channels: block fading whose scattered part follows a Gauss–Markov process.

Each env step is one coherence block of ``block_s`` seconds. The deterministic part of every
link (the Rician line of sight at its path gain) stays; the scattered part
``S_t`` (unit-variance CN(0, 1) entries, scaled by ``√(g/(K+1))``, or ``√g`` for Rayleigh)
moves as

    S_t = ρ S_{t−1} + √(1 − ρ²) W_t,      W_t i.i.d. CN(0, 1),

stationary (``E|S_t|² = 1`` at every t), with the Jakes correlation between consecutive
blocks ``ρ = J0(2π f_D T)`` of the Doppler ``f_D = v f_c / c`` of a receiver moving at speed
``v`` (Clarke's model: uniform angles of arrival). At 3.5 GHz and T = 1 ms: ρ = 0.91 at
30 km/h, 0.66 at 60 km/h.

The draws come from a counter-based generator (:func:`counter_complex_normal`): entry n of
the draw of env b at block t is a hash of (the env's channel seed, t, n, a stream tag), so a
batch of envs draws on its own device exactly what single envs with the same seeds draw, with
no generator state to carry, copy or reset, and nothing read back to the host.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from semgym.channels.deployment import Positions
from semgym.channels.fading import los_matrices, rician_parts
from semgym.channels.pathloss import SPEED_OF_LIGHT_M_S, log_distance_gain, wavelength_m

#: Stream tags of the counter-based draws: the fading innovations W_t, the channel
#: estimation errors, the receivers' headings, the channels a policy samples from what it
#: knows and the links' asynchronous update times, so that no two share a draw.
FADING_STREAM = 1
ESTIMATION_STREAM = 2
HEADING_STREAM = 3
SAMPLING_STREAM = 4
HOLD_STREAM = 5

_MASK64 = (1 << 64) - 1


def _signed(value: int) -> int:
    """A 64-bit constant as the int64 torch stores (two's complement)."""
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


_GOLDEN = _signed(0x9E3779B97F4A7C15)
_MIX_1 = _signed(0xBF58476D1CE4E5B9)
_MIX_2 = _signed(0x94D049BB133111EB)
_KEY_MIX = _signed(0xD6E8FEB86659FD93)


def doppler_hz(speed_kmh: float, carrier_hz: float) -> float:
    """The maximum Doppler shift f_D = v f_c / c, Hz, of a receiver at ``speed_kmh``."""
    return speed_kmh / 3.6 * carrier_hz / SPEED_OF_LIGHT_M_S


def jakes_correlation(doppler: float, block_s: float) -> float:
    """ρ = J0(2π f_D T): the correlation of a scattered channel entry between blocks T
    seconds apart under Clarke's isotropic scattering (may be negative for f_D T > 0.38)."""
    from scipy.special import j0

    return float(j0(2.0 * math.pi * doppler * block_s))


def _shift_right(x: Tensor, bits: int) -> Tensor:
    """Logical right shift of int64 ``x`` (torch's ``>>`` is arithmetic)."""
    return (x >> bits) & ((1 << (64 - bits)) - 1)


def _mix(x: Tensor) -> Tensor:
    """SplitMix64's finalizer on int64 tensors (wrapping arithmetic): a bijection of 64-bit
    words whose outputs pass the usual statistical tests for consecutive inputs."""
    x = (x ^ _shift_right(x, 30)) * _MIX_1
    x = (x ^ _shift_right(x, 27)) * _MIX_2
    return x ^ _shift_right(x, 31)


def _counter_bits(keys: Tensor, counters: Tensor, stream: int, size: int) -> Tensor:
    """(B, size) int64 words: word n of row b hashes (``keys[b]``, ``counters[b]``,
    ``stream``, n)."""
    key = _mix(keys.to(torch.int64) * _KEY_MIX + _signed(stream * 0x9E3779B97F4A7C15))
    row = _mix(key + counters.to(torch.int64) * _GOLDEN)  # (B,)
    index = torch.arange(1, size + 1, dtype=torch.int64, device=keys.device)
    return _mix(row[:, None] + index * _GOLDEN)


def counter_uniform(keys: Tensor, counters: Tensor, stream: int, size: int) -> Tensor:
    """Uniform draws in (0, 1), (B, size) float64: entry n of row b hashes (``keys[b]``,
    ``counters[b]``, ``stream``, n), on the device of ``keys``; the same four numbers give
    the same draw on every device and in every batch."""
    bits = _counter_bits(keys, counters, stream, size)
    # the top 53 bits, centred in their interval: never 0 or 1
    return (_shift_right(bits, 11).to(torch.float64) + 0.5) * 2.0**-53


def counter_complex_normal(
    keys: Tensor, counters: Tensor, stream: int, shape: tuple[int, ...]
) -> Tensor:
    """i.i.d. CN(0, 1) entries, (B, *shape) complex128, one hashed word each (as in
    :func:`counter_uniform`): its two 32-bit halves are uniforms u₁, u₂ in (0, 1), and
    √(−ln u₁)·e^{j2πu₂} has |z|² ~ Exp(1) (cut at |z| = 4.7, where 2⁻³² of the mass lies
    beyond) and a uniform phase, so E|z|² = 1 and E z² = 0."""
    bits = _counter_bits(keys, counters, stream, math.prod(shape))
    scale = 2.0**-32
    u1 = (_shift_right(bits, 32).to(torch.float64) + 0.5) * scale
    phase = ((bits & 0xFFFFFFFF).to(torch.float64) + 0.5) * (2.0 * math.pi * scale) - math.pi
    radius = torch.sqrt(-torch.log(u1))
    # cos and sin of a phase in [−π, π): twice as fast as torch.polar of one in [0, 2π)
    return torch.complex(radius * torch.cos(phase), radius * torch.sin(phase)).view(-1, *shape)


def gauss_markov_step(scattered: Tensor, innovation: Tensor, rho: float) -> Tensor:
    """S_t = ρ S_{t−1} + √(1 − ρ²) W_t for unit-variance S_{t−1} and W_t (any shape)."""
    return rho * scattered + math.sqrt(max(0.0, 1.0 - rho * rho)) * innovation


def gauss_markov_posterior(
    observed: Tensor,
    seen: FadingParts,
    now: FadingParts,
    correlation: Tensor,
    error_variance: Tensor,
) -> tuple[Tensor, Tensor]:
    """What an observation tells of the channel Δ blocks later: E[H_t | Ĥ] (shaped as
    ``observed``) and the variance ε (B, L, L) of every entry's error, i.i.d.

    The observation Ĥ = M_o + a_o (S_o + ẽ) (``observed``, (B, L, L, N_R, N_T) complex) is
    block o's channel from parts ``seen`` plus an estimation error of variance e per entry
    (``error_variance`` (B, L) of every receiver l; 0 without pilots); the channel of block t
    has parts ``now`` and, as S_t = ρ^Δ S_o + √(1 − ρ^{2Δ}) W (``correlation`` ρ^Δ, (B,)),
    the Gaussian conditional E[H_t | Ĥ] = M_t + c (Ĥ − M_o) with c = ρ^Δ a_t a_o/(a_o² + e)
    and ε = a_t² (1 − ρ^{2Δ} a_o²/(a_o² + e))."""
    power = seen.amplitude.square()  # a_o², (B, L, L)
    tiny = torch.finfo(power.dtype).tiny
    known = power / (power + error_variance[:, None, :]).clamp_min(tiny)
    gain = correlation[:, None, None] * known  # ρ^Δ a_o²/(a_o² + e)
    ratio = now.amplitude / seen.amplitude.clamp_min(tiny)
    mean = now.mean + (gain * ratio)[..., None, None] * (observed - seen.mean)
    variance = now.amplitude.square() * (1.0 - correlation[:, None, None] * gain)
    return mean, variance.clamp_min(0.0)


@dataclass(frozen=True, eq=False)
class ReceiverMotion:
    """Receivers moving in straight lines: what their path gains and line of sight are at
    any block, computed on the device (float64 positions).

    Attributes:
        tx_positions: (B, L, 2) metres. rx_positions: at block 0, (B, L, 2) metres.
        velocity: (B, L, 2) metres per block (speed × block length along each heading).
        model: the channel's large-scale model: ``wavelength`` m, ``exponent``,
            ``reference_distance_m``, ``min_distance_m``, ``k_factor``, ``n_rx``, ``n_tx``.
    """

    tx_positions: Tensor
    rx_positions: Tensor
    velocity: Tensor
    model: dict[str, Any]

    @classmethod
    def start(
        cls, config: Any, tx_positions: Tensor, rx_positions: Tensor, seeds: Sequence[int]
    ) -> ReceiverMotion:
        """The motion of games drawn from channel ``config`` with ``seeds`` (positions (B, L,
        2) as drawn): every receiver heads at an angle uniform in [0, 2π) drawn from its
        game's seed (:func:`counter_uniform`, stream ``HEADING_STREAM``)."""
        keys = torch.tensor([int(s) for s in seeds], dtype=torch.int64)
        n_links = rx_positions.shape[-2]
        heading = (
            2.0 * math.pi * counter_uniform(keys, torch.zeros_like(keys), HEADING_STREAM, n_links)
        )
        step = config.speed_kmh / 3.6 * config.block_s  # metres per block
        velocity = step * torch.stack([torch.cos(heading), torch.sin(heading)], -1)
        model = {
            "wavelength": wavelength_m(config.carrier_hz),
            "exponent": config.pathloss_exponent,
            "reference_distance_m": config.reference_distance_m,
            "min_distance_m": config.min_distance_m,
            "k_factor": config.k_factor,
            "n_rx": config.n_rx_antennas,
            "n_tx": config.n_tx_antennas,
        }
        return cls(
            tx_positions.to(torch.float64).cpu(),
            rx_positions.to(torch.float64).cpu(),
            velocity,
            model,
        )

    def receivers_at(self, block: Tensor) -> Tensor:
        """Every receiver's position at block ``block`` (B,) of each game, (B, L, 2) metres."""
        return self.rx_positions + block.to(torch.float64)[:, None, None] * self.velocity

    def parts_at(self, block: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(mean (B, L, L, N_R, N_T) complex128, amplitude (B, L, L), direct gains (B, L)) of
        the channels at block ``block`` (B,): the line of sight and path gains of the
        receivers' positions then, distances floored at ``min_distance_m``."""
        m = self.model
        positions = Positions(self.tx_positions, self.receivers_at(block))
        distance = positions.distances().clamp_min(m["min_distance_m"])
        gain = log_distance_gain(
            distance, m["wavelength"], m["exponent"], m["reference_distance_m"]
        )
        carrier = SPEED_OF_LIGHT_M_S / m["wavelength"]
        los = los_matrices(positions, m["n_rx"], m["n_tx"], carrier)
        mean, amplitude = rician_parts(los, gain, m["k_factor"])
        return mean, amplitude, torch.diagonal(gain, dim1=-2, dim2=-1)

    def to(self, device: torch.device | str) -> ReceiverMotion:
        """On ``device`` (positions stay float64)."""
        tensors = (self.tx_positions, self.rx_positions, self.velocity)
        return ReceiverMotion(*(t.to(device) for t in tensors), self.model)

    def select(self, index: slice | Tensor) -> ReceiverMotion:
        """Games ``index`` (a slice of the batch or an int64 index tensor)."""
        tensors = (self.tx_positions, self.rx_positions, self.velocity)
        return ReceiverMotion(*(t[index] for t in tensors), self.model)

    def index_copy(self, where: Tensor, fresh: ReceiverMotion) -> ReceiverMotion:
        """This motion with games ``where`` replaced by ``fresh``'s, in order."""
        names = ("tx_positions", "rx_positions", "velocity")
        return ReceiverMotion(
            *(getattr(self, n).index_copy(0, where, getattr(fresh, n)) for n in names), self.model
        )


@dataclass(frozen=True, eq=False)
class FadingParts:
    """Every game's channels split for a time-varying channel: H̄ = mean + amplitude·S.

    Attributes:
        mean: the deterministic part √(g K/(K+1))·H_LoS (zero for Rayleigh), (B, L, L, N_R,
            N_T) complex, tx j → rx l.
        amplitude: √(g/(K+1)) (√g for Rayleigh), (B, L, L) real.
        scattered: S at the episode's first block, unit-variance CN(0, 1) entries, shaped as
            ``mean``.
        direct_gain: every link's own path gain g_ll, (B, L) real (the estimation error's
            scale).
        motion: the receivers' :class:`ReceiverMotion` (``moving_receivers``), else None:
            mean, amplitude and direct gains are those of block 0, and :meth:`at` gives them
            at any block.
    """

    mean: Tensor
    amplitude: Tensor
    scattered: Tensor
    direct_gain: Tensor
    motion: ReceiverMotion | None = None

    def channels(self, scattered: Tensor) -> Tensor:
        """H̄ = mean + amplitude·S for scattered parts S shaped as ``mean``."""
        return self.mean + self.amplitude[..., None, None] * scattered

    def at(self, block: Tensor) -> FadingParts:
        """The parts at block ``block`` (B,) of each game: these, unless receivers move."""
        if self.motion is None:
            return self
        mean, amplitude, direct_gain = self.motion.parts_at(block)
        return dataclasses.replace(
            self,
            mean=mean.to(self.mean.dtype),
            amplitude=amplitude.to(self.amplitude.dtype),
            direct_gain=direct_gain.to(self.direct_gain.dtype),
        )

    def to(self, device: torch.device | str, dtype: torch.dtype) -> FadingParts:
        """On ``device``, complex parts in ``dtype``, real ones in its real dtype."""
        real = torch.empty((), dtype=dtype).real.dtype
        return FadingParts(
            self.mean.to(device, dtype),
            self.amplitude.to(device, real),
            self.scattered.to(device, dtype),
            self.direct_gain.to(device, real),
            None if self.motion is None else self.motion.to(device),
        )

    _TENSORS = ("mean", "amplitude", "scattered", "direct_gain")

    def select(self, index: slice | Tensor) -> FadingParts:
        """Games ``index`` (a slice of the batch or an int64 index tensor)."""
        return FadingParts(
            *(getattr(self, name)[index] for name in self._TENSORS),
            None if self.motion is None else self.motion.select(index),
        )

    def index_copy(self, where: Tensor, fresh: FadingParts) -> FadingParts:
        """These parts with games ``where`` replaced by ``fresh``'s, in order."""
        motion = None
        if self.motion is not None and fresh.motion is not None:
            motion = self.motion.index_copy(where, fresh.motion)
        return FadingParts(
            *(getattr(self, n).index_copy(0, where, getattr(fresh, n)) for n in self._TENSORS),
            motion,
        )
