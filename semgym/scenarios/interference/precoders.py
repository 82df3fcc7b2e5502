"""Arbitrary (not only structured) precoders scored in a batch of interference games."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym import core
from semgym._validation import check_choice
from semgym.scenarios.interference.game import InterferenceGame
from semgym.scenarios.interference.operator import GameOperator, Received

#: Receivers of arbitrary precoders: Wiener filters for the MUI+noise they face, or the
#: Wiener filters designed for R_n = σ² I (what an MUI-agnostic design deploys).
RECEIVERS = ("wiener", "design")


@dataclass(frozen=True)
class PrecoderEvaluation:
    """Arbitrary precoders Z_l in a batch of games (see :func:`evaluate_precoders`).

    Attributes:
        mse, nmse: per link, (B, L). received: what the receivers face (R_n, MUI, R_H; one dense
        block). assumed: the R_n,l every receiver's filter is designed for, (B, L, A, A).
    """

    mse: Tensor
    nmse: Tensor
    received: Received
    assumed: Tensor


def evaluate_precoders(
    game: InterferenceGame,
    pairs: Sequence[core.SemanticPair],
    precoders: Sequence[Tensor],
    *,
    receiver: str = "wiener",
    interference: bool = True,
) -> PrecoderEvaluation:
    """MSE of any precoders Z_l, (B, M, d_x,l) each (not only structured ones), of the latent
    ``pairs`` (their full statistics, tr(R_y) included) in the game's channels, on the dense
    structure: the MUI comes from the game's one path with the Z_l as the factors of their
    covariances. ``receiver="wiener"``: each receiver knows its MUI+noise covariance, MSE (8)
    by :func:`~semgym.core.alignment_mse`; ``"design"``: each receiver keeps the Wiener filter
    for R_n = σ² I and faces the real MUI (:func:`~semgym.core.alignment_objective`, never below
    the Wiener value). ``interference=False``: no MUI (the MUI-less setting)."""
    check_choice("receiver", receiver, RECEIVERS)
    op = GameOperator(game, "dense")
    direct = op.direct[:, :, 0]  # I_K ⊗ H̄_ll, (B, L, A, M)
    width = max(z.shape[-1] for z in precoders)
    factors = torch.stack(
        [torch.nn.functional.pad(z, (0, width - z.shape[-1])) for z in precoders], 1
    ).unsqueeze(2)  # (B, L, 1, M, d_x,max): zero columns change no covariance
    received = op.received(factors if interference else None)
    faced, effective = received.noise_covariance[:, :, 0], received.effective[:, :, 0]
    white = core.add_noise(torch.zeros_like(faced), game.noise_power)  # σ² I, (B, L, A, A)
    assumed = faced if receiver == "wiener" else white
    mse = []
    for link, (pair, z) in enumerate(zip(pairs, precoders, strict=True)):
        stats = pair.stats
        energy = stats.target_energy.to(game.target_energy).expand(game.batch_size)
        if receiver == "wiener":
            gram = stats.cross_gram.to(device=z.device, dtype=z.dtype)
            mse.append(core.alignment_mse(z, effective[:, link], gram, energy))
        else:
            h = direct[:, link]
            cross = stats.cross_covariance.to(device=z.device, dtype=z.dtype)
            design = core.wiener_equalizer(cross, z, h, white[:, link])
            mse.append(core.alignment_objective(design, h, z, cross, energy, faced[:, link]))
    mse_t = torch.stack(mse, -1)
    energies = torch.stack([p.stats.target_energy.to(mse_t) for p in pairs]).expand_as(mse_t)
    return PrecoderEvaluation(mse_t, core.normalized_mse(mse_t, energies), received, assumed)
