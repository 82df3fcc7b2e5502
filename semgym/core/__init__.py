"""Pure, batched torch functions: every formula of semgym once.

Every function takes tensors with leading batch dimensions and plain numbers, returns tensors and
keeps no state; it runs on whatever device its inputs live on. The conventions (packing, normalized
statistics, real-composite form) are in https://semgym.readthedocs.io/en/latest/design/; the slower
straightforward paths that tests and benchmarks compare against are in :mod:`semgym.core.reference`.
"""

from semgym.core.admm import (
    admm_dual_step,
    admm_equalizer_step,
    admm_local_terms,
    admm_precoder_step,
    admm_projection_step,
    admm_wiener_local_terms,
    alignment_objective,
    augmented_lagrangian,
    federated_precoder_step,
    primal_residual,
    sylvester_precoder_step,
)
from semgym.core.best_response import BestResponse, best_response, interference_prices
from semgym.core.interference import (
    add_noise,
    direct_channels,
    effective_channel,
    effective_channel_modes,
    gaussian_rate,
    interference_by_block,
    interference_costs,
    interferer_channels,
    interferer_index,
    received_covariance,
    whitened_channel,
    whitened_gram,
)
from semgym.core.linalg import (
    block_diagonal,
    check_on_host,
    diagonal_blocks,
    kron_identity,
    real_inner,
    real_trace,
    squared_magnitude,
)
from semgym.core.mse import (
    alignment_mse,
    captured_energy,
    mse_noise_sensitivity,
    normalized_mse,
    per_element_mse,
    structured_mse_whitened,
    wiener_equalizer,
)
from semgym.core.packing import complex_dim, complex_to_real, real_composite, real_to_complex
from semgym.core.precoder import (
    mode_factor,
    project_to_budget,
    project_to_power_ball,
    scale_columns,
    scale_to_caps,
    structured_covariance,
    structured_precoder,
)
from semgym.core.simulate import gaussian, simulate_network, transmit
from semgym.core.statistics import (
    SemanticPair,
    SemanticStatistics,
    prepare_pair,
    semantic_statistics,
    symbols,
)
from semgym.core.waterfill import (
    priced_semantic_waterfill,
    semantic_utility,
    semantic_waterfill,
    semantic_waterfill_with_prices,
)
from semgym.core.whitening import Whitener, fit_whitener, sample_covariance

__all__ = [
    "BestResponse",
    "SemanticPair",
    "SemanticStatistics",
    "Whitener",
    "add_noise",
    "admm_dual_step",
    "admm_equalizer_step",
    "admm_local_terms",
    "admm_precoder_step",
    "admm_projection_step",
    "admm_wiener_local_terms",
    "alignment_mse",
    "alignment_objective",
    "augmented_lagrangian",
    "best_response",
    "block_diagonal",
    "captured_energy",
    "check_on_host",
    "complex_dim",
    "complex_to_real",
    "diagonal_blocks",
    "direct_channels",
    "effective_channel",
    "effective_channel_modes",
    "federated_precoder_step",
    "fit_whitener",
    "gaussian",
    "gaussian_rate",
    "interference_by_block",
    "interference_costs",
    "interference_prices",
    "interferer_channels",
    "interferer_index",
    "kron_identity",
    "mode_factor",
    "mse_noise_sensitivity",
    "normalized_mse",
    "per_element_mse",
    "prepare_pair",
    "priced_semantic_waterfill",
    "primal_residual",
    "project_to_budget",
    "project_to_power_ball",
    "real_composite",
    "real_inner",
    "real_to_complex",
    "real_trace",
    "received_covariance",
    "sample_covariance",
    "scale_columns",
    "scale_to_caps",
    "semantic_statistics",
    "semantic_utility",
    "semantic_waterfill",
    "semantic_waterfill_with_prices",
    "simulate_network",
    "squared_magnitude",
    "structured_covariance",
    "structured_mse_whitened",
    "structured_precoder",
    "sylvester_precoder_step",
    "symbols",
    "transmit",
    "whitened_channel",
    "whitened_gram",
    "wiener_equalizer",
]
