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
from dataclasses import dataclass

import torch
from torch import Tensor

#: Speed of light, m/s.
SPEED_OF_LIGHT_M_S = 299_792_458.0

#: Stream tags of the counter-based draws: the fading innovations W_t and the channel
#: estimation errors, so that the two never share a draw.
FADING_STREAM = 1
ESTIMATION_STREAM = 2

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
    """

    mean: Tensor
    amplitude: Tensor
    scattered: Tensor
    direct_gain: Tensor

    def channels(self, scattered: Tensor) -> Tensor:
        """H̄ = mean + amplitude·S for scattered parts S shaped as ``mean``."""
        return self.mean + self.amplitude[..., None, None] * scattered

    def to(self, device: torch.device | str, dtype: torch.dtype) -> FadingParts:
        """On ``device``, complex parts in ``dtype``, real ones in its real dtype."""
        real = torch.empty((), dtype=dtype).real.dtype
        return FadingParts(
            self.mean.to(device, dtype),
            self.amplitude.to(device, real),
            self.scattered.to(device, dtype),
            self.direct_gain.to(device, real),
        )

    def select(self, index: slice) -> FadingParts:
        """Games ``index`` (a slice of the batch)."""
        return FadingParts(*(getattr(self, f.name)[index] for f in dataclasses.fields(self)))

    def index_copy(self, where: Tensor, fresh: FadingParts) -> FadingParts:
        """These parts with games ``where`` replaced by ``fresh``'s, in order."""
        return FadingParts(
            *(
                getattr(self, f.name).index_copy(0, where, getattr(fresh, f.name))
                for f in dataclasses.fields(self)
            )
        )
