"""Best-response dynamics of the interference game (interference paper Algorithm 1).

- Jacobi (19): every link best-responds to the same state φ^t.
- Gauss-Seidel (18): links respond in turn (0, 1, …, L−1), each to the freshest strategies.
- Smoothing (20): φ^{t+1} = φ^t + γ^t (B(φ) − φ^t), γ^{t+1} = γ^t (1 − ε γ^t); γ⁰ = 1 is pure
  best response.

Where the smoothing acts (documented choice). Algorithm 1 smooths the power vector and then
"sets F^{(t+1)} as (11)", i.e. with the modes V of the *current* R_H. That is what is done:
powers are indexed by the semantic direction m they feed (mode m = the m-th strongest
eigenmode, paired with σ̃_m), p^{t+1} = p^t + γ^t (p_BR − p^t), and V^{t+1} = V_BR. Every
iterate is feasible (the power set is convex), block-diagonal whenever V_BR is (always, on
the block path), and the fixed points are exactly the Nash equilibria. Smoothing the transmit
covariances Q^{t+1} = Q^t + γ^t (Q_BR − Q^t) was considered and not used: a link's own MSE
depends on which semantic direction each eigenmode of Q carries, which a covariance alone does
not determine, so it does not define the next pre-equalizer F^{t+1}.

Interference pricing (``pricing=True``, Jacobi only): every receiver announces its
sensitivity ∂NMSE_l/∂R_n,l, which reaches the other links one round later, and every link plays
its priced best response (:meth:`~semgym.scenarios.GameOperator.priced_response`) instead of
(15); in the first round the start's own sensitivities are used. Its fixed points are
stationary points of the network's mean NMSE on the best-response modes, not Nash equilibria.

Stopping: a game of the batch stops when ‖Q_l^{t+1} − Q_l^t‖_F ≤ tol ‖Q_l^t‖_F for every link
(it is then frozen, so a batch of B games gives exactly B single games), or after
``max_iters`` updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym._validation import check_bool, check_choice, check_positive, check_positive_int
from semgym.scenarios.interference import (
    Evaluation,
    GameOperator,
    GameState,
    InterferenceGame,
    relative_change,
)

#: Update orders of :func:`best_response_dynamics`.
SCHEMES = ("jacobi", "gauss_seidel")


@dataclass(frozen=True)
class GameTrace:
    """What :func:`best_response_dynamics` records, one row per iterate t = 0 … T (B games).

    Attributes:
        mse, nmse: per link, (T+1, B, L). network_mse, network_nmse: link means, (T+1, B).
        mui_power: MUI at each receiver summed over channel uses, (T+1, B, L), W.
        exploitability: max_l (MSE_l − MSE_l of a unilateral best response), (T+1, B) ≥ 0.
        step_size: γ^t used for the update after iterate t, (T+1,).
        relative_change: max_l ‖ΔQ_l‖_F/‖Q_l‖_F of the update after iterate t, (T+1, B)
            (0 once a game has stopped; the last row is 0).
        state: final :class:`~semgym.scenarios.GameState` (modes, powers, covariances).
        converged: (B,) bool, stopped by the tolerance. iterations: (B,) updates performed.
        accuracy: ``accuracy_fn(state)`` of the final state, if a callback was given.
    """

    mse: Tensor
    nmse: Tensor
    network_mse: Tensor
    network_nmse: Tensor
    mui_power: Tensor
    exploitability: Tensor
    step_size: Tensor
    relative_change: Tensor
    state: GameState
    converged: Tensor
    iterations: Tensor
    accuracy: object = None


def best_response_dynamics(
    game: InterferenceGame,
    *,
    scheme: str = "jacobi",
    structure: str = "block",
    max_iters: int = 100,
    tol: float = 1e-8,
    step_size: float = 1.0,
    epsilon: float = 0.0,
    seed: int = 0,
    init: GameState | None = None,
    accuracy_fn: Callable[[GameState], object] | None = None,
    pricing: bool = False,
) -> GameTrace:
    """Run Algorithm 1 on a batch of games.

    Args:
        game: the games.
        scheme: ``"jacobi"`` (19) or ``"gauss_seidel"`` (18).
        structure: ``"block"`` (K eigenproblems of N_T × N_T, default) or ``"dense"``.
        max_iters: T, the most updates (>= 1).
        tol: relative change of every Q_l below which a game stops (> 0).
        step_size: γ⁰ ∈ (0, 1]; 1 is pure best response.
        epsilon: ε ∈ [0, 1] of γ^{t+1} = γ^t (1 − ε γ^t); 0 keeps γ constant.
        seed: seed of the random block-diagonal F⁽⁰⁾ (see
            :meth:`~semgym.scenarios.GameOperator.initial_state`).
        init: a starting state instead (its structure must be ``structure``).
        accuracy_fn: optional callable of the final state (e.g. task accuracies from latents).
        pricing: every link plays its priced best response to the sensitivities announced one
            round earlier (see the module docstring; ``"jacobi"`` only).
    """
    if not isinstance(game, InterferenceGame):
        raise ValueError(f"game must be an InterferenceGame, got {type(game)!r}")
    scheme = check_choice("scheme", scheme, SCHEMES)
    pricing = check_bool("pricing", pricing)
    if pricing and scheme != "jacobi":
        raise ValueError("pricing=True runs the Jacobi scheme: every link prices the same round")
    max_iters = check_positive_int("max_iters", max_iters)
    tol = check_positive("tol", tol)
    gamma = check_positive("step_size", step_size)
    if gamma > 1.0:
        raise ValueError(f"step_size must be in (0, 1], got {step_size!r}")
    epsilon = check_positive("epsilon", epsilon, allow_zero=True)
    if epsilon > 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon!r}")
    op = GameOperator(game, structure)
    if init is None:
        state = op.initial_state(seed)
    else:
        if not isinstance(init, GameState) or init.structure != op.structure:
            raise ValueError(f"init must be a GameState with structure {op.structure!r}")
        state = init

    done = torch.zeros(game.batch_size, dtype=torch.bool, device=game.channels.device)
    link_index = torch.arange(game.n_links, device=done.device)
    iterations = torch.zeros(game.batch_size, dtype=torch.long, device=done.device)
    rows: list[Evaluation] = []
    steps: list[float] = []
    changes: list[Tensor] = []
    announced = None
    for t in range(max_iters + 1):
        evaluation = op.evaluate(state)
        rows.append(evaluation)
        sensitivity = op.sensitivity(state, evaluation.received) if pricing else None
        if announced is None:
            announced = sensitivity
        steps.append(gamma)
        if t == max_iters or bool(done.all()):
            changes.append(torch.zeros_like(evaluation.network_mse))
            break
        if pricing:
            priced = op.priced_response(announced, evaluation.response)
            new = op.smoothed(state, priced, gamma)
            announced = sensitivity
        elif scheme == "jacobi":
            new = op.smoothed(state, evaluation.response, gamma)
        else:
            new = state
            for link in range(game.n_links):
                moved = op.smoothed(new, op.best_responses(new), gamma)
                new = moved.where(link_index == link, new, dim=1)
        change = relative_change(new, state).amax(-1)
        change = torch.where(done, torch.zeros_like(change), change)
        changes.append(change)
        iterations = iterations + (~done).long()
        state = state.where(done, new)
        done = done | (change <= tol)
        gamma = gamma * (1.0 - epsilon * gamma)

    def stack(name: str) -> Tensor:
        return torch.stack([getattr(r, name) for r in rows])

    return GameTrace(
        mse=stack("mse"),
        nmse=stack("nmse"),
        network_mse=stack("network_mse"),
        network_nmse=stack("network_nmse"),
        mui_power=stack("mui_power"),
        exploitability=stack("exploitability"),
        step_size=torch.tensor(steps, dtype=torch.float64),
        relative_change=torch.stack(changes),
        state=state,
        converged=done,
        iterations=iterations,
        accuracy=None if accuracy_fn is None else accuracy_fn(state),
    )
