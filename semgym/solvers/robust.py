"""The sampled robust best response: each link's powers against draws of the channel it will
play on, given what it knows of it (a time-varying channel's late, noisy observation)."""

from __future__ import annotations

import torch
from torch import Tensor

from semgym._validation import check_positive, check_positive_int
from semgym.scenarios.interference import GameOperator, GameState, InterferenceGame
from semgym.solvers.cooperative import power_search


def sampled_robust_powers(
    draws: InterferenceGame,
    current: GameState,
    response: GameState,
    count: int,
    *,
    iterations: int = 100,
    learning_rate: float = 0.05,
) -> Tensor:
    """Every link's powers (B, L, M) W on the modes of ``response`` that minimize its own MSE
    averaged over ``count`` draws of its game's channels, the other links keeping their
    precoders of ``current``: a best response in expectation over what the link does not
    know, by sample average.

    Arguments:
        draws: B·count games, game-major (game b's draws are b·count … (b + 1)·count − 1),
            e.g. ``game.select(index).with_channels(drawn)``.
        current: the precoders the links play now (B games), whose interference each
            receiver hears on every draw.
        response: the modes to play on and the powers to start from (B games), e.g. the
            best response to what the links observe.
        count: draws per game. iterations, learning_rate: of the search
            (:func:`~semgym.solvers.cooperative.power_search`).

    The best iterate of every link is kept, so on the draws no link does worse than with
    ``response``'s powers. Not with primary users (their caps are not kept here).
    """
    count = check_positive_int("count", count)
    iterations = check_positive_int("iterations", iterations)
    learning_rate = check_positive("learning_rate", learning_rate)
    if draws.primary is not None:
        raise ValueError("the sampled robust best response does not keep primary users' caps")
    games = current.mode_blocks.shape[0]
    if draws.batch_size != games * count:
        raise ValueError(
            f"draws must hold {games} games × {count} draws = {games * count}, got "
            f"{draws.batch_size}"
        )
    index = torch.arange(games, device=current.mode_blocks.device).repeat_interleave(count)
    operator = GameOperator(draws, response.structure)
    with torch.no_grad():  # what each receiver hears of the others, fixed during the search
        whitened = operator.received(current.select(index).factors).whitened

    def mean_mse(powers: Tensor) -> Tensor:
        mse = operator.mse_seen(whitened, response.with_powers(powers).select(index))
        return mse.unflatten(0, (games, count)).mean(1)

    return power_search(mean_mse, response.powers, draws.budget, iterations, learning_rate)
