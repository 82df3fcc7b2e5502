"""Algorithms built on :mod:`semgym.core`: the semantic interference game (SPEC §5).

- :mod:`~semgym.solvers.game`: :class:`InterferenceGame`, its state and best responses.
- :mod:`~semgym.solvers.dynamics`: Jacobi / Gauss-Seidel best-response dynamics (Algorithm 1).
- :mod:`~semgym.solvers.references`: uniform, random, MUI-less bound, MUI-agnostic design.
- :mod:`~semgym.solvers.primary`: primary users (cognitive radio) and their constraints.
- :mod:`~semgym.solvers.diagnostics`: contraction (uniqueness / convergence) diagnostic.
- :mod:`~semgym.solvers.admm`: ADMM alignment (Algorithm 1) and the MUI-agnostic ADMM benchmark.
- :mod:`~semgym.solvers.federated`: the federated paper's downlink, protocol accounting.
- :mod:`~semgym.solvers.federated_baselines`: its First-K, Top-K, MMSE-SVD + LS, multi-link.
"""

from semgym.solvers.admm import (
    RECEIVERS,
    AdmmRun,
    MuiAgnosticAdmm,
    admm_alignment,
    mui_agnostic_admm,
    wiener_objective,
)
from semgym.solvers.diagnostics import (
    ContractionDiagnostic,
    contraction_diagnostic,
    interference_ratio,
)
from semgym.solvers.dynamics import SCHEMES, GameTrace, best_response_dynamics
from semgym.solvers.federated import (
    FederatedConfig,
    FederatedTrace,
    ProtocolCost,
    downlink_noise_power,
    federated_admm,
    pilot_count,
    prepare_users,
    protocol_cost,
)
from semgym.solvers.federated_baselines import (
    BASELINE_RECEIVERS,
    SELECTIONS,
    BaselineResult,
    first_k,
    mmse_svd_least_squares,
    multi_link,
    top_k,
)
from semgym.solvers.game import (
    STRUCTURES,
    GameMetrics,
    GameOperator,
    GameState,
    InterferenceGame,
    Response,
    evaluate,
    relative_change,
)
from semgym.solvers.primary import PrimaryUsers
from semgym.solvers.references import (
    Allocation,
    mui_agnostic_design,
    mui_less_bound,
    random_powers,
    uniform_powers,
)

__all__ = [
    "BASELINE_RECEIVERS",
    "RECEIVERS",
    "SCHEMES",
    "SELECTIONS",
    "STRUCTURES",
    "AdmmRun",
    "Allocation",
    "BaselineResult",
    "ContractionDiagnostic",
    "FederatedConfig",
    "FederatedTrace",
    "GameMetrics",
    "GameOperator",
    "GameState",
    "GameTrace",
    "InterferenceGame",
    "MuiAgnosticAdmm",
    "PrimaryUsers",
    "ProtocolCost",
    "Response",
    "admm_alignment",
    "best_response_dynamics",
    "contraction_diagnostic",
    "downlink_noise_power",
    "evaluate",
    "federated_admm",
    "first_k",
    "interference_ratio",
    "mmse_svd_least_squares",
    "mui_agnostic_admm",
    "mui_agnostic_design",
    "mui_less_bound",
    "multi_link",
    "pilot_count",
    "prepare_users",
    "protocol_cost",
    "random_powers",
    "relative_change",
    "top_k",
    "uniform_powers",
    "wiener_objective",
]
