"""Reference allocations of the interference game (paper §IV benchmarks, SPEC §5, §7).

All use the interference-free eigenmodes of each link: V_l from R_H,l = H_llᴴ H_ll / σ²
(R_n = σ² I, plus the primaries' signals when there are primaries), the modes a link can
compute without estimating the MUI, with the m-th strongest mode carrying q̃_m.

- :func:`uniform_powers`: p = K·P_max / M on every mode (then Q_l = (K·P_max/M) I, so the MUI
  does not depend on the modes).
- :func:`random_powers`: p = K·P_max · e/Σe, e ~ Exp(1), seeded (feasible, budget met).
- :func:`mui_less_bound`: semantic water-filling designed and evaluated with R_n = σ² I —
  the interference-free bound.
- :func:`mui_agnostic_design`: the same design evaluated under the real MUI (the cheap
  MUI-agnostic baseline; the paper's MUI-agnostic ADMM is another module).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from semgym.solvers.game import GameMetrics, GameOperator, GameState, InterferenceGame


@dataclass(frozen=True)
class Allocation:
    """A reference allocation and its metrics (B games)."""

    state: GameState
    metrics: GameMetrics


def _interference_free(game: InterferenceGame, structure: str) -> tuple[GameOperator, GameState]:
    op = GameOperator(game, structure)
    zero = op.initial_state(0)
    zero = GameState(
        zero.structure, zero.mode_blocks, torch.zeros_like(zero.power_blocks), zero.rank
    )
    return op, op.respond(op.effective(zero, interference=False)).state


def _with_powers(op: GameOperator, state: GameState, powers: torch.Tensor) -> GameState:
    blocks = powers.gather(-1, state.rank.flatten(-2)).view(state.power_blocks.shape)
    return GameState(state.structure, state.mode_blocks, blocks, state.rank)


def uniform_powers(game: InterferenceGame, *, structure: str = "block") -> Allocation:
    """Equal power K·P_max/M on every interference-free mode, evaluated under the real MUI."""
    op, state = _interference_free(game, structure)
    powers = torch.full_like(state.powers, game.budget / game.n_modes)
    state = _with_powers(op, state, powers)
    return Allocation(state, op.evaluate(state))


def random_powers(game: InterferenceGame, *, seed: int = 0, structure: str = "block") -> Allocation:
    """Random feasible powers (Σ p = K·P_max) on the interference-free modes, seeded."""
    op, state = _interference_free(game, structure)
    gen = torch.Generator().manual_seed(int(seed))
    raw = (
        -torch.rand(state.powers.shape, dtype=game.weights.dtype, generator=gen)
        .clamp_min(1e-12)
        .log()
    )
    powers = (raw / raw.sum(-1, keepdim=True) * game.budget).to(game.weights.device)
    state = _with_powers(op, state, powers)
    return Allocation(state, op.evaluate(state))


def mui_less_bound(game: InterferenceGame, *, structure: str = "block") -> Allocation:
    """Water-filling designed and evaluated with R_n = σ² I: the interference-free bound."""
    op, state = _interference_free(game, structure)
    return Allocation(state, op.evaluate(state, interference=False))


def mui_agnostic_design(game: InterferenceGame, *, structure: str = "block") -> Allocation:
    """Water-filling designed with R_n = σ² I (ignoring MUI), evaluated under the real MUI."""
    op, state = _interference_free(game, structure)
    return Allocation(state, op.evaluate(state))
