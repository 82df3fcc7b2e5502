"""Small-scale flat fading of narrowband MIMO links, batched and seeded.

Every function returns *unit-power* fading (``E|h_ij|² = 1``); the sampler in
:mod:`semgym.channels.interference` multiplies by ``√g`` (path gain) to get
``H̄ = √g · (√(K/(K+1)) H_LoS + √(1/(K+1)) H_NLoS)``.

Conventions:
- Matrices are ``(..., N_R, N_T)``: rows are receive antennas, columns transmit ones.
- Antenna arrays are uniform linear arrays (ULA) with half-wavelength spacing laid
  along the x-axis; the steering vector toward azimuth φ (radians from the +x axis) is
  ``a(φ)_n = exp(j·π·n·cos φ)``, n = 0 … N−1 (unit modulus, not normalized by √N).
- ``H_LoS[j, l] = exp(−j·2π·d_jl/λ) · a_rx(φ_arr) a_tx(φ_dep)ᴴ``: unit-modulus entries,
  including the propagation phase of the tx–rx distance.
- ``H_NLoS`` has i.i.d. CN(0, 1) entries (real and imaginary parts of variance 1/2).

Randomness is drawn in float64 on the CPU from ``torch.Generator`` s and only then cast
to ``dtype`` and moved to ``device``: same seed, same channels on CPU and CUDA, in
complex64 and complex128 (up to rounding). See :func:`standard_complex_normal` for what
``seed`` accepts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from semgym._validation import check_positive, check_positive_int
from semgym.channels._common import (
    Seed,
    as_float64,
    check_complex_dtype,
    resolve_batch,
    standard_complex_normal,
)
from semgym.channels.deployment import Deployment, LineDeployment, Positions
from semgym.channels.pathloss import DEFAULT_CARRIER_HZ, wavelength_m

#: Rician K-factor of the interference paper (§IV), linear (not dB).
DEFAULT_RICIAN_K = 1.5

__all__ = [
    "DEFAULT_RICIAN_K",
    "los_matrices",
    "rayleigh_fading",
    "rician_fading",
    "rician_parts",
    "rician_weights",
    "standard_complex_normal",
    "steering_vector",
]


def steering_vector(
    angle_rad: object, n_antennas: int, spacing_wavelengths: float = 0.5
) -> torch.Tensor:
    """ULA steering vectors ``(..., N)`` complex128 for azimuths ``angle_rad`` of shape ``(...)``.

    ``a(φ)_n = exp(j·2π·s·n·cos φ)`` with spacing ``s`` in wavelengths (0.5: half
    wavelength), array along the x-axis, φ measured from the +x axis (φ = ±π/2 is
    broadside). Entries have modulus 1.
    """
    phi = as_float64("angle_rad", angle_rad)
    n = check_positive_int("n_antennas", n_antennas)
    s = check_positive("spacing_wavelengths", spacing_wavelengths)
    return _steering(phi, n, s)


def _steering(angle_rad: torch.Tensor, n_antennas: int, spacing: float = 0.5) -> torch.Tensor:
    """:func:`steering_vector` of checked float64 angles on any device."""
    idx = torch.arange(n_antennas, dtype=angle_rad.dtype, device=angle_rad.device)
    phase = 2.0 * math.pi * spacing * idx * torch.cos(angle_rad)[..., None]
    return torch.polar(torch.ones_like(phase), phase)


def los_matrices(
    deployment: Deployment | LineDeployment | Positions,
    n_rx_antennas: int,
    n_tx_antennas: int,
    carrier_hz: float = DEFAULT_CARRIER_HZ,
) -> torch.Tensor:
    """Line-of-sight matrices ``(..., L_tx, L_rx, N_R, N_T)`` complex128, unit-modulus entries,
    on the positions' device (a batch of :class:`~semgym.channels.deployment.Positions` gives
    a batch of them).

    ``H_LoS[j, l] = exp(−j·2π·d_jl/λ) · a_rx(φ_arr[j, l]) a_tx(φ_dep[j, l])ᴴ`` with the
    deployment's departure/arrival azimuths and half-wavelength ULAs along the x-axis.
    """
    lam = wavelength_m(carrier_hz)
    a_tx = _steering(deployment.departure_angles(), n_tx_antennas)
    a_rx = _steering(deployment.arrival_angles(), n_rx_antennas)
    # Reduce the distance modulo λ before the phase so large distances keep precision.
    frac = torch.remainder(deployment.distances(), lam) / lam
    propagation = torch.polar(torch.ones_like(frac), -2.0 * math.pi * frac)
    outer = a_rx[..., :, None] * a_tx[..., None, :].conj()
    return propagation[..., None, None] * outer


def _finish(h: torch.Tensor, dtype: torch.dtype, device: torch.device | str | None) -> torch.Tensor:
    return h.to(dtype=check_complex_dtype(dtype)).to(device=device)


def rayleigh_fading(
    shape: Sequence[int],
    batch_size: int | None = None,
    seed: Seed = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.complex64,
) -> torch.Tensor:
    """``(B, *shape)`` i.i.d. CN(0, 1) entries (unit variance, circular).

    ``B`` is ``batch_size`` (default 1), or ``len(seed)`` when ``seed`` is a sequence.
    """
    dims = [check_positive_int("shape", s) for s in shape]
    b = resolve_batch(seed, batch_size)
    return _finish(standard_complex_normal(dims, seed, b), dtype, device)


def rician_weights(k_factor: float) -> tuple[float, float]:
    """(√(K/(K+1)), √(1/(K+1))): the amplitudes of the line of sight and of the scattered
    part in unit-power Rician fading of K-factor K (>= 0; 0 is Rayleigh: (0, 1))."""
    k = check_positive("k_factor", k_factor, allow_zero=True)
    return math.sqrt(k / (k + 1.0)), math.sqrt(1.0 / (k + 1.0))


def rician_parts(
    los: torch.Tensor, gain: torch.Tensor, k_factor: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """The deterministic part √(g K/(K+1))·H_LoS, shaped as ``los`` (..., N_R, N_T), and the
    scattered part's amplitude √(g/(K+1)), shaped as ``gain`` (...), of Rician channels of
    path gains g and K-factor K (0: Rayleigh, no line of sight)."""
    los_weight, scatter_weight = rician_weights(k_factor)
    amplitude = torch.sqrt(gain)
    return los_weight * los * amplitude[..., None, None], scatter_weight * amplitude


def rician_fading(
    los: torch.Tensor,
    k_factor: float = DEFAULT_RICIAN_K,
    batch_size: int | None = None,
    seed: Seed = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.complex64,
) -> torch.Tensor:
    """``(B, *los.shape)`` unit-power Rician fading ``√(K/(K+1)) H_LoS + √(1/(K+1)) H_NLoS``.

    Arguments:
        los: the deterministic LoS part with unit-modulus entries (e.g. :func:`los_matrices`).
        k_factor: Rician K, linear power ratio LoS/NLoS (>= 0; 0 is Rayleigh).
        batch_size, seed, device, dtype: as in :func:`rayleigh_fading`; the random
            draws are the same as Rayleigh's for the same seed and shape.

    Mean ``√(K/(K+1))·H_LoS``, ``E|h_ij|² = 1`` when ``|H_LoS_ij| = 1``.
    """
    los_weight, scatter_weight = rician_weights(k_factor)
    los = los.detach().to(device="cpu", dtype=torch.complex128)
    b = resolve_batch(seed, batch_size)
    nlos = standard_complex_normal(los.shape, seed, b)
    h = los_weight * los + scatter_weight * nlos
    return _finish(h, dtype, device)
