"""MIMO channel models and deployments: geometry, path loss, fading and noise.

- :mod:`~semgym.channels.deployment`: where transmitters and receivers stand.
- :mod:`~semgym.channels.pathloss`: log-distance path gain (n = 2.5 at 3.5 GHz).
- :mod:`~semgym.channels.fading`: Rayleigh and Rician (ULA LoS) flat fading, batched, seeded.
- :mod:`~semgym.channels.noise`: thermal noise and the SNR convention.
- :mod:`~semgym.channels.interference`: the interference-game scenario sampler and the
  federated downlink's Rayleigh channels.

Formulas, defaults and units: https://semgym.readthedocs.io/en/latest/channels/
"""

from __future__ import annotations

from semgym.channels.deployment import Deployment, LineDeployment
from semgym.channels.fading import (
    DEFAULT_RICIAN_K,
    los_matrices,
    rayleigh_fading,
    rician_fading,
    standard_complex_normal,
    steering_vector,
)
from semgym.channels.interference import (
    FADING_MODELS,
    PAPER_SEEDS,
    InterferenceChannelConfig,
    InterferenceChannels,
    kron_channel_uses,
    sample_channels,
    sample_interference_channels,
    sample_rayleigh_downlink,
)
from semgym.channels.noise import (
    BOLTZMANN_J_PER_K,
    DEFAULT_BANDWIDTH_HZ,
    DEFAULT_NOISE_FIGURE_DB,
    DEFAULT_TEMPERATURE_K,
    noise_power_from_snr,
    snr_db_from_noise_power,
    thermal_noise_power,
    watts_to_dbm,
)
from semgym.channels.pathloss import (
    DEFAULT_CARRIER_HZ,
    DEFAULT_PATHLOSS_EXPONENT,
    DEFAULT_REFERENCE_DISTANCE_M,
    SPEED_OF_LIGHT_M_S,
    path_gain,
    path_loss_db,
    wavelength_m,
)

__all__ = [
    "BOLTZMANN_J_PER_K",
    "DEFAULT_BANDWIDTH_HZ",
    "DEFAULT_CARRIER_HZ",
    "DEFAULT_NOISE_FIGURE_DB",
    "DEFAULT_PATHLOSS_EXPONENT",
    "DEFAULT_REFERENCE_DISTANCE_M",
    "DEFAULT_RICIAN_K",
    "DEFAULT_TEMPERATURE_K",
    "FADING_MODELS",
    "PAPER_SEEDS",
    "SPEED_OF_LIGHT_M_S",
    "Deployment",
    "InterferenceChannelConfig",
    "InterferenceChannels",
    "LineDeployment",
    "kron_channel_uses",
    "los_matrices",
    "noise_power_from_snr",
    "path_gain",
    "path_loss_db",
    "rayleigh_fading",
    "rician_fading",
    "sample_channels",
    "sample_interference_channels",
    "sample_rayleigh_downlink",
    "snr_db_from_noise_power",
    "standard_complex_normal",
    "steering_vector",
    "thermal_noise_power",
    "watts_to_dbm",
    "wavelength_m",
]
