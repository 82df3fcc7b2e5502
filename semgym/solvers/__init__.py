"""Algorithms on the scenarios of :mod:`semgym.scenarios`.

- :mod:`~semgym.solvers.dynamics`: Jacobi / Gauss-Seidel best-response dynamics (interference
  paper Algorithm 1).
- :mod:`~semgym.solvers.references`: uniform, random, MUI-less bound, MUI-agnostic design.
- :mod:`~semgym.solvers.cooperative`: the cooperative optimum (best network NMSE found), the
  price of anarchy, and the best found over powers alone on given modes.
- :mod:`~semgym.solvers.robust`: the sampled robust best response on a time-varying channel.
- :mod:`~semgym.solvers.diagnostics`: contraction (uniqueness / convergence) diagnostic.
- :mod:`~semgym.solvers.admm`: ADMM alignment (federated paper Algorithm 1) and the MUI-agnostic
  ADMM benchmark.
- :mod:`~semgym.solvers.federated`: federated ADMM on the downlink, protocol accounting.
- :mod:`~semgym.solvers.federated_baselines`: its First-K, Top-K, MMSE-SVD + LS, multi-link.
"""

from semgym.solvers.admm import (
    RECEIVERS,
    AdmmRun,
    MuiAgnosticAdmm,
    admm_alignment,
    default_rho,
    mui_agnostic_admm,
)
from semgym.solvers.cooperative import (
    OBJECTIVES,
    CooperativeSearch,
    cooperative_optimum,
    cooperative_powers,
    power_search,
)
from semgym.solvers.diagnostics import (
    ContractionDiagnostic,
    contraction_diagnostic,
    interference_ratio,
)
from semgym.solvers.dynamics import SCHEMES, GameTrace, best_response_dynamics
from semgym.solvers.federated import (
    FederatedSettings,
    FederatedTrace,
    ProtocolCost,
    federated_admm,
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
from semgym.solvers.references import (
    Allocation,
    mui_agnostic_design,
    mui_less_bound,
    random_powers,
    uniform_powers,
)
from semgym.solvers.robust import sampled_robust_powers

__all__ = [
    "BASELINE_RECEIVERS",
    "OBJECTIVES",
    "RECEIVERS",
    "SCHEMES",
    "SELECTIONS",
    "AdmmRun",
    "Allocation",
    "BaselineResult",
    "ContractionDiagnostic",
    "CooperativeSearch",
    "FederatedSettings",
    "FederatedTrace",
    "GameTrace",
    "MuiAgnosticAdmm",
    "ProtocolCost",
    "admm_alignment",
    "best_response_dynamics",
    "contraction_diagnostic",
    "cooperative_optimum",
    "cooperative_powers",
    "default_rho",
    "federated_admm",
    "first_k",
    "interference_ratio",
    "mmse_svd_least_squares",
    "mui_agnostic_admm",
    "mui_agnostic_design",
    "mui_less_bound",
    "multi_link",
    "power_search",
    "protocol_cost",
    "random_powers",
    "sampled_robust_powers",
    "top_k",
    "uniform_powers",
]
