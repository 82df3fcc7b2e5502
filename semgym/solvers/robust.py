"""The sampled robust best response: each link's powers against draws of the channel it will
play on, given what it knows of it (a time-varying channel's late, noisy observation)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from semgym._validation import check_positive, check_positive_int
from semgym.scenarios.interference import GameOperator, GameState, InterferenceGame
from semgym.solvers.cooperative import power_search

#: Standard errors of the paired improvement on the validation draws that a searched power
#: allocation must show to replace the start (one-sided, about 98 % confidence).
CONFIDENCE = 2.0


def sampled_robust_powers(
    draws: InterferenceGame,
    current: GameState,
    response: GameState,
    count: int,
    *,
    validation: InterferenceGame | None = None,
    iterations: int = 100,
    learning_rate: float = 0.05,
    confidence: float = CONFIDENCE,
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
        validation: other draws of the same games (B·count' games, game-major), independent
            of ``draws``: a link keeps the powers found only where its MSE on them is lower
            than with ``response``'s powers by more than ``confidence`` standard errors of
            the paired difference, and otherwise keeps ``response``'s. The search fits its
            own draws, so without this check a link can end worse in expectation than where
            it started (rarely and slightly).
        confidence: those standard errors (>= 0).

    The best iterate of every link on ``draws`` is kept, so on them no link does worse than
    with ``response``'s powers. Not with primary users (their caps are not kept here).
    """
    count = check_positive_int("count", count)
    iterations = check_positive_int("iterations", iterations)
    learning_rate = check_positive("learning_rate", learning_rate)
    confidence = check_positive("confidence", confidence, allow_zero=True)
    games = current.mode_blocks.shape[0]
    mean_mse = _per_draw_mse(draws, current, response, games, count, "draws")
    found = power_search(
        lambda powers: mean_mse(powers).mean(1),
        response.powers,
        draws.budget,
        iterations,
        learning_rate,
    )
    if validation is None:
        return found
    if validation.batch_size % games or validation.batch_size == 0:
        raise ValueError(
            f"validation must hold a positive multiple of the {games} games' draws, got "
            f"{validation.batch_size}"
        )
    checked = validation.batch_size // games
    check = _per_draw_mse(validation, current, response, games, checked, "validation")
    with torch.no_grad():
        gain = check(found) - check(response.powers)  # (B, S', L), negative: better
        spread = gain.std(1) / checked**0.5 if checked > 1 else torch.zeros_like(gain[:, 0])
        keep = gain.mean(1) + confidence * spread < 0.0
    return torch.where(keep.unsqueeze(-1), found, response.powers.detach())


def _per_draw_mse(
    draws: InterferenceGame,
    current: GameState,
    response: GameState,
    games: int,
    count: int,
    name: str,
) -> Callable[[Tensor], Tensor]:
    """Powers (B, L, M) → every link's MSE on each of its game's draws, (B, count, L)."""
    if draws.primary is not None:
        raise ValueError("the sampled robust best response does not keep primary users' caps")
    if draws.batch_size != games * count:
        raise ValueError(
            f"{name} must hold {games} games × {count} draws = {games * count}, got "
            f"{draws.batch_size}"
        )
    index = torch.arange(games, device=current.mode_blocks.device).repeat_interleave(count)
    operator = GameOperator(draws, response.structure)
    with torch.no_grad():  # what each receiver hears of the others, fixed during the search
        whitened = operator.received(current.select(index).factors).whitened

    def per_draw(powers: Tensor) -> Tensor:
        mse = operator.mse_seen(whitened, response.with_powers(powers).select(index))
        return mse.unflatten(0, (games, count))

    return per_draw
