"""ADMM alignment (federated paper Algorithm 1) and the MUI-agnostic ADMM benchmark
(interference paper §IV).

:func:`admm_alignment` runs the G/F/Z/U steps of :mod:`semgym.core.admm` for one shared
precoder and L receivers (L = 1: a single link). :func:`mui_agnostic_admm` aligns every link
of an interference network alone with it, ignoring the multi-user interference (MUI, R_n = σ²I),
then evaluates the transmitted precoders under the real MUI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym._validation import check_choice, check_positive, check_positive_int
from semgym.channels.interference import InterferenceChannels
from semgym.core import (
    SemanticPair,
    admm_dual_step,
    admm_equalizer_step,
    admm_projection_step,
    admm_wiener_local_terms,
    alignment_mse,
    alignment_objective,
    augmented_lagrangian,
    effective_channel,
    federated_precoder_step,
    gaussian,
    primal_residual,
    squared_magnitude,
)
from semgym.scenarios.interference import (
    RECEIVERS,
    GameOperator,
    InterferenceGame,
    evaluate_precoders,
)


@dataclass(frozen=True)
class AdmmRun:
    """Final iterates and per-iteration trace of :func:`admm_alignment`.

    Attributes:
        precoder: F⁽ᵀ⁾, (..., B, d_x). consensus: Z⁽ᵀ⁾, the feasible precoder to transmit.
        dual: U⁽ᵀ⁾. equalizers: G_l⁽ᵀ⁾ of the last G step, (..., L, d_y, A).
        objective: mean_l J_l(F⁽ᵗ⁾, G_l⁽ᵗ⁾) per iteration, (T, ...).
        lagrangian: augmented Lagrangian (6) after each iteration, (T, ...).
        residual: ‖F⁽ᵗ⁾ − Z⁽ᵗ⁾‖_F per iteration, (T, ...).
        mse: per-user MSE of Z⁽ᵗ⁾ with the Wiener receiver (the deployable design), (T, ..., L).
    """

    precoder: Tensor
    consensus: Tensor
    dual: Tensor
    equalizers: Tensor
    objective: Tensor
    lagrangian: Tensor
    residual: Tensor
    mse: Tensor


def draw_precoder(shape: tuple[int, int], dtype: torch.dtype, generator: torch.Generator) -> Tensor:
    """F⁽⁰⁾ (rows, cols) with i.i.d. CN(0, 1) entries (N(0, 1) for a real ``dtype``: the
    real-composite, widely-linear form), drawn in double precision on the CPU (the same draw
    for every dtype and device), then cast."""
    wide = torch.complex128 if dtype.is_complex else torch.float64
    return gaussian(shape, 1.0, dtype=wide, generator=generator).to(dtype)


def admm_alignment(
    cross_covariance: Tensor,
    target_energy: Tensor,
    channels: Tensor,
    noise_covariance: Tensor,
    initial_precoder: Tensor,
    *,
    budget: float,
    rho: float = 1.0,
    iterations: int = 30,
    track: bool = True,
    effective: Tensor | None = None,
    cross_gram: Tensor | None = None,
) -> AdmmRun:
    """Algorithm 1: T rounds of G (7), F (8)–(15), Z (17) and U (18) steps from Z = U = 0.

    Arguments:
        cross_covariance: P_l of every user, (..., L, d_y, d_x); users with narrower targets
            are zero-padded in d_y (zero rows change neither the objective nor the steps).
        target_energy: tr(R_y,l), (..., L).
        channels: H_l = I_K ⊗ H̄_l, (..., L, A, B) dense.
        noise_covariance: Σ_n,l, (..., L, A, A), W.
        initial_precoder: F⁽⁰⁾, (..., B, d_x).
        budget: P_T, W (> 0). rho: ρ (> 0). iterations: T (>= 1).
        track: record the objective, augmented Lagrangian, residual and Wiener MSE of every
            iteration (diagnostics, about half an iteration's cost); False leaves the
            histories empty (shape (0, ...)).
        effective: R_H,l = H_lᴴ Σ_n,l⁻¹ H_l, (..., L, B, B), when the caller has it (e.g. a
            :class:`~semgym.scenarios.Downlink`); computed once otherwise. The tracked MSE is
            :func:`~semgym.core.alignment_mse` of Z with it, the scenario's own score.
        cross_gram: P_lᴴ P_l, (..., L, d_x, d_x), when the caller has it (the semantic
            statistics keep it); computed once otherwise.
    """
    budget = check_positive("budget", budget)
    rho = check_positive("rho", rho)
    iterations = check_positive_int("iterations", iterations)
    precoder = initial_precoder
    consensus = torch.zeros_like(precoder)
    dual = torch.zeros_like(precoder)
    records: dict[str, list[Tensor]] = {k: [] for k in ("obj", "lag", "res", "mse")}
    if cross_gram is None:  # Pᴴ P, once for all iterations
        cross_gram = cross_covariance.mH @ cross_covariance
    if track and effective is None:
        effective = effective_channel(channels, noise_covariance)
    for _ in range(iterations):
        answered = precoder  # the F⁽ᵗ⁾ the G step (7) answers
        gram, correlation = admm_wiener_local_terms(
            cross_gram, answered.unsqueeze(-3), channels, noise_covariance
        )
        precoder = federated_precoder_step(gram, correlation, consensus, dual, rho)
        consensus = admm_projection_step(precoder, dual, budget)
        dual = admm_dual_step(dual, precoder, consensus)
        if not track:
            continue
        equalizers = admm_equalizer_step(
            cross_covariance, answered.unsqueeze(-3), channels, noise_covariance
        )
        objective = alignment_objective(
            equalizers,
            channels,
            precoder.unsqueeze(-3),
            cross_covariance,
            target_energy,
            noise_covariance,
        ).mean(-1)
        records["obj"].append(objective)
        records["lag"].append(augmented_lagrangian(objective, precoder, consensus, dual, rho))
        records["res"].append(primal_residual(precoder, consensus))
        records["mse"].append(
            alignment_mse(consensus.unsqueeze(-3), effective, cross_gram, target_energy)
        )
    if not track:  # the last G step's receivers, formed once
        equalizers = admm_equalizer_step(
            cross_covariance, answered.unsqueeze(-3), channels, noise_covariance
        )
    empty = precoder.real.new_zeros((0, *precoder.shape[:-2]))
    stacked = {k: torch.stack(v) if v else empty for k, v in records.items()}
    return AdmmRun(
        precoder,
        consensus,
        dual,
        equalizers,
        stacked["obj"],
        stacked["lag"],
        stacked["res"],
        stacked["mse"],
    )


@dataclass(frozen=True)
class MuiAgnosticAdmm:
    """The MUI-agnostic ADMM benchmark of a batch of B networks (L links).

    Attributes:
        mse, nmse: per-link MSE / NMSE under the real MUI, (B, L).
        network_mse, network_nmse: their means over links, (B,).
        mui_free_mse: per-link MSE the design expects (R_n = σ²I, no MUI), (B, L).
        precoders: transmitted Z_l per link, (B, K·N_T, d_x,l) each (feasible:
            tr(Z Zᴴ) ≤ K·P_max).
        tx_covariance: Z_l Z_lᴴ, (B, L, K·N_T, K·N_T).
        runs: the per-link :class:`AdmmRun` (traces of the design, one user each).
        receiver: ``"wiener"`` or ``"design"`` (see :func:`mui_agnostic_admm`).
    """

    mse: Tensor
    nmse: Tensor
    network_mse: Tensor
    network_nmse: Tensor
    mui_free_mse: Tensor
    precoders: list[Tensor]
    tx_covariance: Tensor
    runs: list[AdmmRun]
    receiver: str

    def semantic_precoders(self, pairs: Sequence[SemanticPair]) -> Tensor:
        """Every link's transmitted Z_l on its top-M semantic directions, F̄_l = Z_l Q̃_l,
        (B, L, M, M) (rows: transmit dimensions, columns: semantic directions q̃_m of
        ``pairs[l]``): the precoder as the interference env's ``precoder`` action takes it."""
        rows = []
        for z, pair in zip(self.precoders, pairs, strict=True):
            directions = pair.stats.semantic_directions(z.shape[-2]).to(z.dtype)
            rows.append(z @ directions.to(z.device))
        return torch.stack(rows, 1)


def default_rho(game: InterferenceGame) -> float:
    """ρ = mean tr(R_y)/(K·P_max): the scale at which plain ADMM converges on unwhitened
    targets (ρ = 1, the federated paper's value, assumes whitened targets)."""
    return float(game.target_energy.mean()) / game.budget


def mui_agnostic_admm(
    game_or_channels: InterferenceGame | InterferenceChannels,
    pairs: Sequence[SemanticPair],
    *,
    channel_uses: int | None = None,
    rho: float | None = None,
    iterations: int = 30,
    receiver: str = "wiener",
    seed: int = 0,
    track: bool = True,
) -> MuiAgnosticAdmm:
    """Align each link alone by ADMM ignoring MUI, then evaluate under the real MUI.

    Each link l runs :func:`admm_alignment` with one user: its own pair's P_l and tr(R_y,l),
    its direct channel I_K ⊗ H̄_ll, Σ_n = σ²I and the budget K·P_max, from
    F⁽⁰⁾ ~ CN(0, 1) scaled to tr(F Fᴴ) = K·P_max (seeded; the same draw for the B games).
    It transmits the feasible Z_l (in real-composite form, N(0, 1) entries, for a
    widely-linear game). Under the MUI R_n,l (5) of the other links' Z_j:

    - ``receiver="wiener"`` (default): each receiver knows its MUI+noise covariance and uses
      the Wiener filter recomputed under it; the MSE is the closed form
      :func:`~semgym.core.alignment_mse` with R_H,l = H_llᴴ R_n,l⁻¹ H_ll (R_n,l from the game's
      one evaluation path, :meth:`~semgym.scenarios.GameOperator.received`, so it includes the
      primaries' signals when the game has primary users).
    - ``receiver="design"``: each receiver keeps the ADMM design G_l (the Wiener filter of Z_l
      under σ²I, what the MUI-agnostic design deploys) and its MSE is
      tr(R_y) − 2 Re tr(G H Z Pᴴ) + tr(G (H Z Zᴴ Hᴴ + R_n) Gᴴ)
      (:func:`~semgym.core.alignment_objective`), never below the Wiener value.

    Arguments:
        game_or_channels: an :class:`InterferenceGame` (channels, K, σ², P_max) or sampled
            :class:`~semgym.channels.InterferenceChannels` (then ``channel_uses`` is needed).
        pairs: one :class:`~semgym.core.SemanticPair` per link (the full P is needed, not only
            the semantic weights); unbatched or batched (B,) statistics.
        channel_uses: K, with channels only (a game carries its own).
        rho: ρ (> 0); None: :func:`default_rho` of the game. iterations: T (>= 1).
        seed: F⁽⁰⁾ draw.
        track: record every iteration's diagnostics in ``runs`` (see :func:`admm_alignment`);
            False leaves the histories empty and computes ``mui_free_mse`` once, from the final
            Z_l. The designs are the same either way.
    """
    receiver = check_choice("receiver", receiver, RECEIVERS)
    if isinstance(game_or_channels, InterferenceGame):
        game = game_or_channels
    elif isinstance(game_or_channels, InterferenceChannels):
        if channel_uses is None:
            raise ValueError("channel_uses is required with InterferenceChannels")
        game = InterferenceGame.from_pairs(game_or_channels, pairs, channel_uses)
    else:
        raise ValueError(
            "game_or_channels must be an InterferenceGame or InterferenceChannels, "
            f"got {type(game_or_channels)!r}"
        )
    n_games, n_links = game.batch_size, game.n_links
    rho = default_rho(game) if rho is None else rho
    if len(pairs) != n_links:
        raise ValueError(
            f"pairs must hold one SemanticPair per link (L={n_links}), got {len(pairs)}"
        )
    op = GameOperator(game, "dense")
    direct = op.direct[:, :, 0]  # I_K ⊗ H̄_ll, (B, L, A, M)
    budget = game.budget
    cdtype, device = direct.dtype, direct.device
    sigma2 = game.noise_power
    eye = torch.eye(direct.shape[-2], dtype=cdtype, device=device)
    white = sigma2[:, None, None] * eye  # (B, A, A)
    gen = torch.Generator().manual_seed(int(seed))
    runs, precoders, grams = [], [], []
    for link, pair in enumerate(pairs):
        stats = pair.stats
        cross = stats.cross_covariance.to(device=device, dtype=cdtype)
        energy = stats.target_energy.to(device=device, dtype=sigma2.dtype)
        cross = cross.expand(n_games, *cross.shape[-2:]).unsqueeze(-3)
        grams.append(stats.cross_gram.to(device=device, dtype=cdtype))
        energy = energy.expand(n_games).unsqueeze(-1)
        start = draw_precoder((direct.shape[-1], stats.tx_dim), cdtype, gen).to(device)
        start = start * (budget / squared_magnitude(start).sum()).sqrt()
        run = admm_alignment(
            cross,
            energy,
            direct[:, link].unsqueeze(-3),
            white.unsqueeze(-3),
            start.expand(n_games, *start.shape),
            budget=budget,
            rho=rho,
            iterations=iterations,
            track=track,
            cross_gram=grams[-1].expand(n_games, *grams[-1].shape).unsqueeze(-3),
        )
        runs.append(run)
        precoders.append(run.consensus)
    scores = evaluate_precoders(game, pairs, precoders, receiver=receiver)
    free = []
    for link, (pair, z) in enumerate(zip(pairs, precoders, strict=True)):
        if track:
            free.append(runs[link].mse[-1, ..., 0])
        else:  # the design's own score: the Wiener MSE under σ² I, from its final Z
            alone = effective_channel(direct[:, link], white)
            energy = pair.stats.target_energy.to(sigma2.dtype).to(device).expand(n_games)
            free.append(alignment_mse(z, alone, grams[link], energy))
    return MuiAgnosticAdmm(
        scores.mse,
        scores.nmse,
        scores.mse.mean(-1),
        scores.nmse.mean(-1),
        torch.stack(free, -1),
        precoders,
        torch.stack([z @ z.mH for z in precoders], 1),
        runs,
        receiver,
    )
