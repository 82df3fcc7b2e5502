"""Large-scale path loss: the log-distance ("close-in") model.

Linear power gain at distance ``d`` (metres), carrier wavelength ``λ = c / f``::

    g(d) = (λ / (4π d_ref))² · (d / d_ref)^(−n)      for d >= d_ref
    g(d) = (λ / (4π d))²                             for d <  d_ref (free space)

i.e. free-space (Friis) propagation up to the reference distance ``d_ref`` (1 m by
default) and exponent ``n`` beyond it. The interference paper (§IV) uses n = 2.5 at
f = 3.5 GHz; then g(1 m) = −43.3 dB and g(30 m) = −80.3 dB.
"""

from __future__ import annotations

import math

import torch

from semgym._validation import check_positive
from semgym.channels._common import check_positive_tensor

#: Speed of light in vacuum, m/s.
SPEED_OF_LIGHT_M_S = 299_792_458.0

#: Defaults of the interference paper (§IV).
DEFAULT_CARRIER_HZ = 3.5e9
DEFAULT_PATHLOSS_EXPONENT = 2.5
DEFAULT_REFERENCE_DISTANCE_M = 1.0


def wavelength_m(carrier_hz: float = DEFAULT_CARRIER_HZ) -> float:
    """Carrier wavelength λ = c / f in metres (0.0857 m at 3.5 GHz)."""
    return SPEED_OF_LIGHT_M_S / check_positive("carrier_hz", carrier_hz)


def path_gain(
    distance_m: object,
    carrier_hz: float = DEFAULT_CARRIER_HZ,
    exponent: float = DEFAULT_PATHLOSS_EXPONENT,
    reference_distance_m: float = DEFAULT_REFERENCE_DISTANCE_M,
) -> torch.Tensor:
    """Linear power gain g(d) (dimensionless, <= 1 beyond λ/4π) of the log-distance model.

    Arguments:
        distance_m: distances in metres, any shape (number, array or tensor), all > 0.
        carrier_hz: carrier frequency f in Hz (> 0).
        exponent: path-loss exponent n beyond the reference distance (> 0).
        reference_distance_m: d_ref in metres (> 0); free space below it.

    Returns a float64 CPU tensor of the shape of ``distance_m``.
    """
    d = check_positive_tensor("distance_m", distance_m)
    lam = wavelength_m(carrier_hz)
    n = check_positive("exponent", exponent)
    d_ref = check_positive("reference_distance_m", reference_distance_m)
    return log_distance_gain(d, lam, n, d_ref)


def log_distance_gain(
    distance_m: torch.Tensor, wavelength: float, exponent: float, reference_distance_m: float
) -> torch.Tensor:
    """g(d) of :func:`path_gain` for checked arguments: distances (> 0) as a real tensor on any
    device (receivers on the move, in the step), the wavelength λ in metres."""
    log_d = torch.log10(distance_m / reference_distance_m)
    slope = torch.where(distance_m >= reference_distance_m, distance_m.new_tensor(exponent), 2.0)
    log_gain = 2.0 * math.log10(wavelength / (4.0 * math.pi * reference_distance_m)) - (
        slope * log_d
    )
    return torch.pow(10.0, log_gain)


def path_loss_db(distance_m: object, **model: float) -> torch.Tensor:
    """Path loss in dB, ``−10·log10 g(d)`` (positive for a loss) of :func:`path_gain`, whose
    keyword arguments (``carrier_hz``, ``exponent``, ``reference_distance_m``) ``model`` takes."""
    return -10.0 * torch.log10(path_gain(distance_m, **model))
