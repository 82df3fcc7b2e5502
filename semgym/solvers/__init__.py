"""Algorithms built on :mod:`semgym.core`: the semantic interference game (SPEC §5).

- :mod:`~semgym.solvers.game`: :class:`InterferenceGame`, its state and best responses.
- :mod:`~semgym.solvers.dynamics`: Jacobi / Gauss-Seidel best-response dynamics (Algorithm 1).
- :mod:`~semgym.solvers.references`: uniform, random, MUI-less bound, MUI-agnostic design.
- :mod:`~semgym.solvers.primary`: primary users (cognitive radio) and their constraints.
- :mod:`~semgym.solvers.diagnostics`: contraction (uniqueness / convergence) diagnostic.
"""

from semgym.solvers.diagnostics import (
    ContractionDiagnostic,
    contraction_diagnostic,
    interference_ratio,
)
from semgym.solvers.dynamics import SCHEMES, GameTrace, best_response_dynamics
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
    "SCHEMES",
    "STRUCTURES",
    "Allocation",
    "ContractionDiagnostic",
    "GameMetrics",
    "GameOperator",
    "GameState",
    "GameTrace",
    "InterferenceGame",
    "PrimaryUsers",
    "Response",
    "best_response_dynamics",
    "contraction_diagnostic",
    "evaluate",
    "interference_ratio",
    "mui_agnostic_design",
    "mui_less_bound",
    "random_powers",
    "relative_change",
    "uniform_powers",
]
