"""Receiver noise power σ² (watts), from physics or from an SNR target.

Thermal: ``σ² = k_B · T · B · 10^(NF/10)``. The papers give no bandwidth or noise
figure; semgym's defaults are B = 10 MHz, NF = 7 dB, T = 290 K, i.e. σ² = −97.0 dBm
(−174 dBm/Hz + 70 dB + 7 dB). With the interference paper's direct link (30 m, n = 2.5,
3.5 GHz, g = −80.3 dB) and P_max = 1 W this is an SNR of about 46.7 dB.

SNR convention (:func:`noise_power_from_snr`): ``snr_db`` is the *average received SNR
per receive antenna on the direct link at full power*: a transmitter radiating total
power P_max (over all its antennas) through a channel with ``E|H̄_ij|² = g`` delivers
``g·P_max`` to each receive antenna, so ``σ² = g·P_max / 10^(snr_db/10)``. When direct
links differ, :mod:`semgym.channels.interference` uses the mean direct-link path gain.
"""

from __future__ import annotations

import math

import torch

from semgym._validation import check_finite, check_positive
from semgym.channels._common import as_float64, check_positive_tensor

#: Boltzmann constant, J/K (exact, SI 2019).
BOLTZMANN_J_PER_K = 1.380649e-23

#: semgym defaults (the papers give none).
DEFAULT_BANDWIDTH_HZ = 10e6
DEFAULT_NOISE_FIGURE_DB = 7.0
DEFAULT_TEMPERATURE_K = 290.0


def thermal_noise_power(
    bandwidth_hz: float = DEFAULT_BANDWIDTH_HZ,
    noise_figure_db: float = DEFAULT_NOISE_FIGURE_DB,
    temperature_k: float = DEFAULT_TEMPERATURE_K,
) -> float:
    """Noise power ``k_B·T·B·10^(NF/10)`` in watts.

    Arguments:
        bandwidth_hz: receiver bandwidth B in Hz (> 0).
        noise_figure_db: receiver noise figure NF in dB (>= 0).
        temperature_k: noise temperature T in kelvin (> 0).
    """
    b = check_positive("bandwidth_hz", bandwidth_hz)
    nf = check_positive("noise_figure_db", noise_figure_db, allow_zero=True)
    t = check_positive("temperature_k", temperature_k)
    return BOLTZMANN_J_PER_K * t * b * 10.0 ** (nf / 10.0)


def noise_power_from_snr(snr_db: object, signal_power: object) -> torch.Tensor | float:
    """``σ² = signal_power / 10^(snr_db/10)`` in watts (broadcast over tensors).

    Arguments:
        snr_db: SNR in dB (finite), number or tensor.
        signal_power: average received signal power per receive antenna in watts (> 0),
            for the documented convention ``g·P_max`` (path gain times full power).

    Returns a float when both are numbers, else a float64 tensor.
    """
    if isinstance(snr_db, int | float) and isinstance(signal_power, int | float):
        snr = check_finite("snr_db", snr_db)
        return check_positive("signal_power", signal_power) / 10.0 ** (snr / 10.0)
    snr_t = as_float64("snr_db", snr_db)
    power = check_positive_tensor("signal_power", signal_power)
    return power * torch.pow(10.0, -snr_t / 10.0)


def snr_db_from_noise_power(noise_power: float, signal_power: float) -> float:
    """Inverse of :func:`noise_power_from_snr`: ``10·log10(signal_power / noise_power)`` dB."""
    n = check_positive("noise_power", noise_power)
    s = check_positive("signal_power", signal_power)
    return 10.0 * math.log10(s / n)


def watts_to_dbm(power_w: float) -> float:
    """``10·log10(P / 1 mW)``: watts to dBm."""
    return 10.0 * math.log10(check_positive("power_w", power_w) / 1e-3)
