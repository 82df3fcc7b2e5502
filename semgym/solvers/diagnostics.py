"""Contraction diagnostic of the best-response map (uniqueness / convergence of the NE).

In the style of iterative water-filling games (Scutari, Palomar, Barbarossa): let B_l map the
others' transmit covariances Q_{−l} to link l's best-response covariance, and suppose

    ‖B_l(Q) − B_l(Q')‖_F ≤ Σ_{j≠l} S_lj ‖Q_j − Q'_j‖_F   for all feasible Q, Q'.

Then, with x > 0 the Perron vector of S (or of S + ε11ᵀ), the Jacobi map is a contraction with
modulus ρ(S) in the weighted block-maximum norm max_l ‖Q_l‖_F / x_l whenever ρ(S) < 1: the NE
is unique and Jacobi (19) and Gauss-Seidel (18) iterations converge to it from any start
(Bertsekas–Tsitsiklis, asynchronous convergence theorem).

Two estimates of S are reported:

- ``lipschitz``: S_lj estimated numerically around a state by finite differences of B_l along
  ``n_directions`` random block-diagonal directions of Q_j (the largest ratio seen): Q_j's
  factor Φ_j (Q_j = Φ_j Φ_jᴴ) moves along a random complex direction E, so Q_j moves by
  Φ_j' Φ_j'ᴴ − Φ_j Φ_jᴴ, a Hermitian change that keeps Q_j a covariance.
  It is local (a lower bound of the supremum near that state), so ρ < 1 is evidence, not a
  proof; at eigenvalue crossings of R_H, where the water-filling swaps which semantic direction
  a mode carries, B_l jumps and the estimate becomes large.
- ``interference_ratio``: the classic rate-game matrix S_lj = ‖H̄_ll⁺ H̄_jl‖₂² (interference to
  signal through the pseudo-inverse of the direct channel), a purely physical, state-free
  indicator; its ρ < 1 is the sufficient condition of iterative water-filling for the rate
  game, and only a heuristic for the semantic game (different water level).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from semgym._validation import check_positive, check_positive_int
from semgym.core import direct_channels, gaussian, squared_magnitude
from semgym.scenarios.interference import GameOperator, GameState, InterferenceGame


@dataclass(frozen=True)
class ContractionDiagnostic:
    """Attributes:
    lipschitz: finite-difference S, (B, L, L), zero diagonal. lipschitz_radius: ρ, (B,).
    interference_ratio: ‖H̄_ll⁺ H̄_jl‖₂², (B, L, L), zero diagonal. interference_radius: (B,).
    """

    lipschitz: Tensor
    lipschitz_radius: Tensor
    interference_ratio: Tensor
    interference_radius: Tensor

    @property
    def contraction(self) -> Tensor:
        """(B,) bool: the numerical Lipschitz estimate has ρ < 1."""
        return self.lipschitz_radius < 1.0


def _spectral_radius(matrix: Tensor) -> Tensor:
    return torch.linalg.eigvals(matrix).abs().amax(-1)


def contraction_diagnostic(
    game: InterferenceGame,
    state: GameState,
    *,
    n_directions: int = 4,
    step: float = 1e-6,
    seed: int = 0,
) -> ContractionDiagnostic:
    """S matrices and their spectral radii around ``state`` (see the module docstring).

    Args:
        n_directions: random directions per pair (l, j) (>= 1).
        step: finite-difference step relative to K·P_max (> 0).
    """
    n_directions = check_positive_int("n_directions", n_directions)
    step = check_positive("step", step)
    op = GameOperator(game, state.structure)
    factors = state.factors  # (B, L, nb, n, n)

    def response(moved_factors: torch.Tensor) -> torch.Tensor:
        return op.respond(op.received(moved_factors).effective).state.covariance_blocks

    def frobenius(x: torch.Tensor) -> torch.Tensor:
        return squared_magnitude(x).sum((-3, -2, -1)).sqrt()

    base = response(factors)
    gen = torch.Generator().manual_seed(int(seed))
    n_links = game.n_links
    lipschitz = torch.zeros(game.batch_size, n_links, n_links, dtype=game.weights.dtype)
    delta = step * game.budget
    for j in range(n_links):
        phi = factors[:, j]  # (B, nb, n, n)
        for _ in range(n_directions):
            wide = torch.complex128 if phi.is_complex() else torch.float64
            direction = gaussian(tuple(phi.shape), 2.0, dtype=wide, generator=gen).to(phi)
            first_order = frobenius(direction @ phi.mH + phi @ direction.mH)
            scale = torch.where(
                first_order > 0, delta / first_order.clamp_min(1e-300), delta**0.5
            )  # ‖ΔQ_j‖ ≈ δ to first order (second order where Φ_j = 0)
            moved_phi = phi + scale[:, None, None, None] * direction
            change = frobenius(moved_phi @ moved_phi.mH - phi @ phi.mH)  # (B,)
            moved = factors.clone()
            moved[:, j] = moved_phi
            ratio = frobenius(response(moved) - base) / change[:, None]  # (B, L)
            lipschitz[:, :, j] = torch.maximum(lipschitz[:, :, j], ratio.cpu())
    eye = torch.eye(n_links, dtype=torch.bool)
    lipschitz = lipschitz.masked_fill(eye, 0.0)
    ratio = interference_ratio(game)
    return ContractionDiagnostic(
        lipschitz, _spectral_radius(lipschitz), ratio, _spectral_radius(ratio)
    )


def interference_ratio(game: InterferenceGame) -> Tensor:
    """S_lj = ‖H̄_ll⁺ H̄_jl‖₂² for j ≠ l, (B, L, L) on CPU (row l: receiver, column j: source)."""
    direct = direct_channels(game.channels)  # (B, L, N_R, N_T)
    pinv = torch.linalg.pinv(direct)  # (B, L, N_T, N_R)
    cross = game.channels.transpose(1, 2)  # (B, l, j, N_R, N_T): H̄_{j→l}
    norms = torch.linalg.matrix_norm(pinv.unsqueeze(2) @ cross, ord=2).square()
    eye = torch.eye(game.n_links, dtype=torch.bool, device=norms.device)
    return norms.masked_fill(eye, 0.0).cpu()
