"""The cooperative optimum of the interference game: the best network score found over every
link's precoder at once, and the price of anarchy.

The Nash equilibrium (:mod:`semgym.solvers.dynamics`) minimizes each link's own MSE given the
others'; it does not minimize the network's. A central designer can do better, e.g. by having a
link leave power off the directions that hurt its neighbours most. The network problem

    minimize  (1/L) Σ_l NMSE_l(F_1, …, F_L)   s.t.  tr(F_l F_lᴴ) ≤ K·P_max  for every l

is not convex and has no closed form, so :func:`cooperative_optimum` *searches*: projected
gradient (Adam steps, then every precoder retracted onto its feasible set) on the closed-form
MSE (8) of :meth:`~semgym.scenarios.GameOperator.mse` differentiated by autograd, from several
starts: the best-response equilibrium (Gauss-Seidel dynamics, an ε-equilibrium), uniform power
and the MUI-less design on the interference-free modes, and random precoders. It returns the
best iterate of all starts, so its score is never worse than the equilibrium's: the price of
anarchy it reports (equilibrium / best found) is a lower bound on the true one.

Search space: F_l = F̄_l Q̃_lᴴ with F̄_l any complex M × M matrix (rows: the K·N_T transmit
dimensions, columns: the link's top-M semantic directions q̃_m), which may couple channel uses:
the interference env's ``action_mode="precoder"``, so the result plays in the env
(:class:`semgym.policies.Cooperative`). With primary users every link also keeps its equal share
K·I_max,p/L of every primary's cap (the game's convention, :mod:`semgym.scenarios.primary`):
the retraction scales F_l down until its budget and every share hold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym import core
from semgym._validation import check_choice, check_positive, check_positive_int
from semgym.scenarios.interference import (
    STRUCTURES,
    Evaluation,
    GameOperator,
    GameState,
    InterferenceGame,
)
from semgym.scenarios.primary import PrimaryUsers
from semgym.solvers.dynamics import best_response_dynamics
from semgym.solvers.references import uniform_powers

#: Network objectives: the mean NMSE over links (the env's central reward, the tables' score)
#: or the mean MSE (the paper's sum MSE over L).
OBJECTIVES = ("nmse", "mse")


@dataclass(frozen=True)
class CooperativeSearch:
    """What :func:`cooperative_optimum` found for B games.

    Attributes:
        state: the best precoders found, a dense :class:`~semgym.scenarios.GameState` whose mode
            blocks are F̄_l (B, L, 1, M, M) (unit powers, mode m carrying q̃_m).
        metrics: its :class:`~semgym.scenarios.Evaluation` (dense structure).
        objective: ``"nmse"`` or ``"mse"``.
        equilibrium: the Evaluation of the equilibrium start (Gauss-Seidel best responses).
        start_names: the starts, in order (``"equilibrium"``, ``"uniform"``, ``"mui-less"``,
            ``"random-0"``, …).
        start_scores: the objective at each start, (S, B).
        final_scores: the best objective reached from each start, (S, B).
        history: best objective over all starts after each iteration, (iterations + 1, B).
    """

    state: GameState
    metrics: Evaluation
    objective: str
    equilibrium: Evaluation
    start_names: tuple[str, ...]
    start_scores: Tensor
    final_scores: Tensor
    history: Tensor

    @property
    def score(self) -> Tensor:
        """The best network objective found, (B,)."""
        return _network(self.metrics.mse, self.metrics.nmse, self.objective)

    @property
    def equilibrium_score(self) -> Tensor:
        """The equilibrium's network objective, (B,)."""
        return _network(self.equilibrium.mse, self.equilibrium.nmse, self.objective)

    @property
    def price_of_anarchy(self) -> Tensor:
        """Equilibrium network objective / best found, (B,) ≥ 1 (a lower bound on the true
        price of anarchy: the search may miss better precoders)."""
        return self.equilibrium_score / self.score

    @property
    def precoders(self) -> Tensor:
        """F̄_l of every link, (B, L, M, M): rows transmit dimensions, columns q̃_m."""
        return self.state.mode_blocks[:, :, 0]


def _network(mse: Tensor, nmse: Tensor, objective: str) -> Tensor:
    return (nmse if objective == "nmse" else mse).mean(-1)


def precoder_state(precoders: Tensor) -> GameState:
    """The dense :class:`~semgym.scenarios.GameState` of precoders F̄ (B, L, M, M) in the
    semantic basis (column m feeds q̃_m), as the env's precoder mode stores them."""
    b, n_links, m, _ = precoders.shape
    ones = torch.ones(b, n_links, 1, m, dtype=precoders.real.dtype, device=precoders.device)
    rank = torch.arange(m, device=precoders.device).expand(b, n_links, 1, m)
    return GameState("dense", precoders.unsqueeze(2), ones, rank)


def semantic_precoders(state: GameState) -> Tensor:
    """F̄_l = V_l diag(√p_l) with column m the mode carrying q̃_m, (B, L, M, M), of any state."""
    return core.mode_factor(state.modes, state.powers)


def _tiled(game: InterferenceGame, copies: int) -> InterferenceGame:
    """``copies`` copies of the batch, stacked along the batch (copy-major)."""
    primary = None if game.primary is None else PrimaryUsers.cat([game.primary] * copies)
    return dataclasses.replace(
        game,
        channels=game.channels.repeat(copies, 1, 1, 1, 1),
        noise_power=game.noise_power.repeat(copies),
        weights=game.weights.repeat(copies, 1, 1),
        target_energy=game.target_energy.repeat(copies, 1),
        primary=primary,
        positions=None if game.positions is None else game.positions.repeat(copies, 1, 1, 1),
    )


def _retract(factors: Tensor, operator: GameOperator, budget: float) -> Tensor:
    """Scale every link's precoder factor blocks (B, L, n_blocks, n, r) down until
    tr(F Fᴴ) ≤ budget and, with primaries, every share Σ_k ‖H_{l→p} F_l,k‖²_F ≤ K·I_max,p/L
    holds (feasible points are unchanged)."""
    ratio = core.squared_magnitude(factors).sum((-3, -2, -1)) / budget
    if operator.primary_channels is not None:
        to_primary = operator.primary_channels  # (B, L, 1, P, A_p, n)
        load = core.squared_magnitude(to_primary @ factors.unsqueeze(3)).sum((-4, -2, -1))
        ratio = torch.maximum(ratio, (load / operator.primary_caps[:, 0]).amax(-1))
    scale = ratio.clamp_min(1.0).rsqrt()
    return factors * scale[..., None, None, None].to(factors.real.dtype)


def cooperative_optimum(
    game: InterferenceGame,
    *,
    objective: str = "nmse",
    structure: str = "block",
    iterations: int = 300,
    step_size: float = 0.05,
    random_starts: int = 1,
    equilibrium_iters: int = 100,
    seed: int = 0,
) -> CooperativeSearch:
    """Search the best network objective over all links' precoders (see the module docstring).

    Args:
        game: B games (complex128 recommended: the search compares small differences).
        objective: ``"nmse"`` (mean NMSE over links, default) or ``"mse"`` (mean MSE).
        structure: ``"block"`` (default): each start's channel-use blocks stay separate (every
            block F_l,k any N_T × N_T matrix on the semantic directions the start assigned to
            channel use k: K small systems per link); ``"dense"``: any F̄_l (M × M), which may
            couple channel uses (one M × M system per link: about 100 times slower at the
            paper's K = 10, N_T = 8).
        iterations: projected-gradient steps per start (>= 1).
        step_size: first step length in the normalized precoders F/√(K·P_max) (Frobenius norm
            at most 1 per link), along the normalized gradient of each game; then grown by 1.5
            after an improving step and halved after a failed one (which is not taken) (> 0).
        random_starts: random starts (Algorithm 1's F⁽⁰⁾, seeds ``seed``, ``seed + 1``, …)
            besides the equilibrium, uniform and MUI-less ones (>= 0).
        equilibrium_iters: Gauss-Seidel best-response rounds of the equilibrium start (>= 1).
        seed: seed of the equilibrium dynamics' F⁽⁰⁾ and of the random starts.

    Every iteration evaluates and differentiates (3 + random_starts)·B games once.
    """
    if not isinstance(game, InterferenceGame):
        raise ValueError(f"game must be an InterferenceGame, got {type(game)!r}")
    objective = check_choice("objective", objective, OBJECTIVES)
    structure = check_choice("structure", structure, STRUCTURES)
    iterations = check_positive_int("iterations", iterations)
    step_size = check_positive("step_size", step_size)
    random_starts = check_positive_int("random_starts", random_starts, minimum=0)
    equilibrium_iters = check_positive_int("equilibrium_iters", equilibrium_iters)

    equilibrium = best_response_dynamics(
        game, scheme="gauss_seidel", max_iters=equilibrium_iters, seed=seed
    ).state
    starts = {
        "equilibrium": equilibrium,
        "uniform": uniform_powers(game).state,
        "mui-less": GameOperator(game).interference_free_state(),
    }
    for r in range(random_starts):
        starts[f"random-{r}"] = GameOperator(game).initial_state(seed=seed + r)
    if structure == "dense":
        starts = {name: s.to_dense() for name, s in starts.items()}
    names = tuple(starts)
    n_starts, b = len(names), game.batch_size

    tiled = GameOperator(_tiled(game, n_starts), structure)
    budget = game.budget
    scale = budget**0.5
    rank = torch.cat([s.rank for s in starts.values()])
    units = torch.ones_like(torch.cat([s.power_blocks for s in starts.values()]))
    factors = _retract(torch.cat([s.factors for s in starts.values()]), tiled, budget)

    def state_of(normalized: Tensor) -> GameState:
        return GameState(structure, normalized * scale, units, rank)

    def score(normalized: Tensor) -> Tensor:
        mse = tiled.mse(state_of(normalized))
        return _network(mse, mse / tiled.game.target_energy, objective)

    def score_and_gradient(normalized: Tensor) -> tuple[Tensor, Tensor]:
        point = normalized.detach().requires_grad_(True)
        value = score(point)
        (gradient,) = torch.autograd.grad(value.sum(), point)
        return value.detach(), gradient

    x = (factors / scale).detach()
    value, gradient = score_and_gradient(x)
    start_scores = value.view(n_starts, b).clone()
    step = torch.full_like(value, step_size)
    history = [value.view(n_starts, b).amin(0)]
    for _ in range(iterations):
        norm = core.squared_magnitude(gradient).sum((-4, -3, -2, -1)).sqrt()
        direction = (
            gradient / norm.clamp_min(torch.finfo(norm.dtype).tiny)[:, None, None, None, None]
        )
        moved = step[:, None, None, None, None].to(x.real.dtype) * direction
        candidate = _retract((x - moved) * scale, tiled, budget) / scale
        new_value, new_gradient = score_and_gradient(candidate)
        better = new_value < value
        keep = better[:, None, None, None, None]
        x = torch.where(keep, candidate, x)
        gradient = torch.where(keep, new_gradient, gradient)
        value = torch.where(better, new_value, value)
        step = torch.where(better, 1.5 * step, 0.5 * step)
        history.append(value.view(n_starts, b).amin(0))

    final = value.view(n_starts, b)
    winner = final.argmin(0)  # (B,)
    pick = winner * b + torch.arange(b, device=winner.device)
    state = GameState(structure, x[pick] * scale, units[pick], rank[pick])
    dense = GameOperator(game, "dense")
    precoders = precoder_state(semantic_precoders(state))
    return CooperativeSearch(
        state=precoders,
        metrics=dense.evaluate(precoders),
        objective=objective,
        equilibrium=dense.evaluate(equilibrium.to_dense()),
        start_names=names,
        start_scores=start_scores,
        final_scores=final,
        history=torch.stack(history),
    )


def cooperative_powers(
    game: InterferenceGame,
    state: GameState,
    *,
    objective: str = "nmse",
    iterations: int = 300,
    learning_rate: float = 0.05,
) -> tuple[GameState, Evaluation]:
    """The best network objective found over every link's powers on the modes of ``state``
    (kept fixed): what a central designer reaches with power allocation alone, the degrees of
    freedom of the env's power actions (:func:`cooperative_optimum` also turns the
    precoders' directions). Returns the best state found and its evaluation.

    Powers are p = K·P_max · softmax([x, 0])[:-1] (every point of {p ≥ 0, Σp ≤ K·P_max}, the
    last entry the unspent share), started at the state's powers and moved by Adam on the
    objective's autograd gradient; the best iterate per game is kept, so the result is never
    worse than ``state``. Not with primary users (their caps are not enforced here).
    """
    if not isinstance(game, InterferenceGame):
        raise ValueError(f"game must be an InterferenceGame, got {type(game)!r}")
    if game.primary is not None:
        raise ValueError("cooperative_powers does not keep primary users' caps")
    objective = check_choice("objective", objective, OBJECTIVES)
    iterations = check_positive_int("iterations", iterations)
    learning_rate = check_positive("learning_rate", learning_rate)
    operator = GameOperator(game, state.structure)

    def score(powers: Tensor) -> Tensor:
        mse = operator.mse(state.with_powers(powers))
        return _network(mse, mse / game.target_energy, objective)

    best_powers = power_search(score, state.powers, game.budget, iterations, learning_rate)
    found = state.with_powers(best_powers)
    return found, operator.evaluate(found)


def power_search(
    score: Callable[[Tensor], Tensor],
    powers: Tensor,
    budget: float,
    iterations: int,
    learning_rate: float,
) -> Tensor:
    """The best powers (B, L, M) W found for ``score`` (lower is better; one value per game
    (B,) or per link (B, L), each minimized on its own) from ``powers``: p = budget ·
    softmax([x, 0])[:-1] (every point of {p ≥ 0, Σp ≤ budget}, the last entry the unspent
    share), moved by Adam on the autograd gradient; the best iterate of every game (or link)
    is kept, so the result never scores worse than ``powers``."""
    shares = powers / budget
    unspent = (1.0 - shares.sum(-1, keepdim=True)).clamp_min(1e-9)
    logits = (shares.clamp_min(1e-9) / unspent).log().detach().requires_grad_(True)
    optimizer = torch.optim.Adam([logits], lr=learning_rate)

    def powers_of(x: Tensor) -> Tensor:
        full = torch.cat([x, torch.zeros_like(x[..., :1])], -1)
        return torch.softmax(full, -1)[..., :-1] * budget

    best_powers = powers.detach()
    best = score(best_powers).detach()
    for _ in range(iterations):
        candidate = powers_of(logits)
        value = score(candidate)
        better = value.detach() < best
        best = torch.where(better, value.detach(), best)
        mask = better.reshape(*better.shape, *(1,) * (candidate.dim() - better.dim()))
        best_powers = torch.where(mask, candidate.detach(), best_powers)
        optimizer.zero_grad()
        value.sum().backward()
        optimizer.step()
    return best_powers
