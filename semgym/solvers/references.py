"""Reference allocations of the interference game (interference paper §IV benchmarks).

All use the interference-free eigenmodes of each link: V_l from R_H,l = H_llᴴ H_ll / σ²
(R_n = σ² I, plus the primaries' signals when there are primaries), the modes a link can
compute without estimating the MUI, with the m-th strongest mode carrying q̃_m
(:meth:`~semgym.scenarios.GameOperator.interference_free_state`).

- :func:`uniform_powers`: p = K·P_max / M on every mode (then Q_l = (K·P_max/M) I, so the MUI
  does not depend on the modes).
- :func:`random_powers`: p = K·P_max · e/Σe, e ~ Exp(1), seeded (feasible, budget met).
- :func:`mui_less_bound`: semantic water-filling designed and evaluated with R_n = σ² I —
  the interference-free bound.
- :func:`mui_agnostic_design`: the same design evaluated under the real MUI (the cheap
  MUI-agnostic baseline; the paper's MUI-agnostic ADMM is :mod:`semgym.solvers.admm`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from semgym.scenarios.interference import Evaluation, GameOperator, GameState, InterferenceGame


@dataclass(frozen=True)
class Allocation:
    """A reference allocation and its evaluation (B games)."""

    state: GameState
    metrics: Evaluation


def uniform_powers(game: InterferenceGame, *, structure: str = "block") -> Allocation:
    """Equal power K·P_max/M on every interference-free mode, evaluated under the real MUI."""
    op = GameOperator(game, structure)
    free = op.interference_free_state()
    state = free.with_powers(torch.full_like(free.powers, game.budget / game.n_modes))
    return Allocation(state, op.evaluate(state))


def random_powers(game: InterferenceGame, *, seed: int = 0, structure: str = "block") -> Allocation:
    """Random feasible powers (Σ p = K·P_max) on the interference-free modes, seeded."""
    op = GameOperator(game, structure)
    free = op.interference_free_state()
    gen = torch.Generator().manual_seed(int(seed))
    raw = (
        -torch.rand(free.powers.shape, dtype=game.weights.dtype, generator=gen)
        .clamp_min(1e-12)
        .log()
    )
    state = free.with_powers(
        (raw / raw.sum(-1, keepdim=True) * game.budget).to(game.weights.device)
    )
    return Allocation(state, op.evaluate(state))


def mui_less_bound(game: InterferenceGame, *, structure: str = "block") -> Allocation:
    """Water-filling designed and evaluated with R_n = σ² I: the interference-free bound."""
    op = GameOperator(game, structure)
    state = op.interference_free_state()
    return Allocation(state, op.evaluate(state, interference=False))


def mui_agnostic_design(game: InterferenceGame, *, structure: str = "block") -> Allocation:
    """Water-filling designed with R_n = σ² I (ignoring MUI), evaluated under the real MUI."""
    op = GameOperator(game, structure)
    state = op.interference_free_state()
    return Allocation(state, op.evaluate(state))
