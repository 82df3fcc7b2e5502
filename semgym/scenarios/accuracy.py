"""Task accuracy over the air: the test split simulated through F, H, MUI, noise and G.

One simulator (:func:`simulated_accuracy`) serves the interference game and the downlink:
every receiver applies its Wiener equalizer for the covariance R_n it sees, its estimates are
de-whitened into its latent space and classified by its task head. The interference env, the
broadcast env, the demo and the figures all call it through :func:`game_accuracy` or
:func:`downlink_accuracy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from semgym import core
from semgym.scenarios.downlink import Downlink
from semgym.scenarios.interference import Evaluation, GameState, InterferenceGame
from semgym.scenarios.latents import LatentLink


def simulated_estimates(
    links: Sequence[LatentLink],
    precoders: Sequence[Tensor],
    channels: Tensor,
    noise_power: Tensor | float,
    noise_covariance: Tensor,
    *,
    extra_noise_covariance: Tensor | None = None,
    seed: int,
) -> list[Tensor]:
    """Every receiver's estimates of its whitened test targets, (n_test, d_y,l) per link,
    through a network of L transmitter–receiver links.

    Arguments:
        links: receiver l's :class:`~semgym.scenarios.LatentLink` (its pair, its transmitter's
            whitened test symbols, its head).
        precoders: F_l, (B, d_x,l) per transmitter l.
        channels: dense H_{j,l}, (L, L, A, B) (zero off the diagonal: no interference).
        noise_power: σ_l² (W), a float or (L,) per receiver.
        noise_covariance: the R_n,l each receiver's Wiener filter is designed for, (L, A, A).
        extra_noise_covariance: Gaussian interference from outside the links (primary users),
            (L, A, A), or None.
        seed: seed of the noise and of each link's sample order (same seed, same result).
    """
    direct = core.direct_channels(channels)
    equalizers = [
        core.wiener_equalizer(link.pair.stats.cross_covariance, f, direct[i], noise_covariance[i])
        for i, (link, f) in enumerate(zip(links, precoders, strict=True))
    ]
    return core.simulate_network(
        [link.test_symbols for link in links],
        precoders,
        channels,
        noise_power,
        equalizers,
        extra_noise_covariance=extra_noise_covariance,
        generator=torch.Generator().manual_seed(int(seed)),
    )


def simulated_accuracy(
    links: Sequence[LatentLink], precoders: Sequence[Tensor], *args: Any, **kwargs: Any
) -> np.ndarray:
    """Each receiver's test accuracy (L,): its head on the de-whitened estimates of
    :func:`simulated_estimates` (same arguments)."""
    estimates = simulated_estimates(links, precoders, *args, **kwargs)
    return np.array([link.accuracy(est) for link, est in zip(links, estimates, strict=True)])


def network_accuracy(
    game: InterferenceGame,
    links: Sequence[LatentLink],
    precoders: Sequence[Tensor],
    noise_covariance: Tensor,
    *,
    index: int = 0,
    seed: int,
    interference: bool = True,
) -> np.ndarray:
    """Every link's test accuracy (L,) in game ``index`` of a batch under any precoders F_l
    (M, d_x,l), receivers designed for ``noise_covariance`` R_n,l (L, A, A) dense; the
    primaries' signals reach the receivers as Gaussian noise; ``interference=False`` removes
    the cross links."""
    k = game.channel_uses
    channels = core.kron_identity(game.channels[index], k)
    if not interference:
        channels = channels * torch.eye(game.n_links, dtype=channels.dtype)[:, :, None, None]
    extra = None
    if game.primary is not None:
        extra = core.kron_identity(game.primary.secondary_noise()[index], k)
    return simulated_accuracy(
        links,
        precoders,
        channels,
        game.noise_power[index],
        noise_covariance,
        extra_noise_covariance=extra,
        seed=seed,
    )


def structured_precoders(
    game: InterferenceGame, state: GameState, links: Sequence[LatentLink]
) -> list[Tensor]:
    """F_l = V_l diag(√p_l) Q̃_lᴴ (11) of every link, (B, M, d_x,l) each."""
    modes, powers = state.modes, state.powers
    return [
        core.structured_precoder(
            modes[:, i],
            powers[:, i],
            link.pair.stats.semantic_directions(game.n_modes).to(modes.dtype),
        )
        for i, link in enumerate(links)
    ]


def game_accuracy(
    game: InterferenceGame,
    state: GameState,
    evaluation: Evaluation,
    links: Sequence[LatentLink],
    *,
    index: int = 0,
    seed: int,
) -> np.ndarray:
    """Every link's test accuracy (L,) in game ``index`` of a batch, under the state's
    precoders F_l = V_l diag(√p_l) Q̃_lᴴ and the MUI its :class:`Evaluation` holds."""
    precoders = [f[index] for f in structured_precoders(game, state, links)]
    noise = core.block_diagonal(evaluation.received.noise_covariance[index])  # (L, KA, KA)
    return network_accuracy(game, links, precoders, noise, index=index, seed=seed)


def downlink_estimates(
    downlink: Downlink, precoder: Tensor, users: Sequence[LatentLink], *, seed: int
) -> list[Tensor]:
    """Each user's estimates of its whitened test targets on a single downlink realization:
    x → F → H_l → + n_l → Wiener G_l. ``precoder`` is the shared F (M, d_x), or one per user
    (L, M, d_x) (each user decodes its own)."""
    n_users = downlink.config.n_users
    precoders = precoder if precoder.dim() == 3 else precoder.expand(n_users, -1, -1)
    dense = downlink.dense  # (L, A, M)
    eye = torch.eye(n_users, dtype=dense.dtype, device=dense.device)
    channels = eye[:, :, None, None] * dense.unsqueeze(0)  # (L, L, A, M), H_l on the diagonal
    return simulated_estimates(
        users, list(precoders), channels, downlink.noise_power, downlink.noise_covariance, seed=seed
    )


def downlink_accuracy(
    downlink: Downlink, precoder: Tensor, users: Sequence[LatentLink], *, seed: int
) -> np.ndarray:
    """Each user's test accuracy (L,) on a single downlink realization: its head on the
    de-whitened :func:`downlink_estimates`."""
    estimates = downlink_estimates(downlink, precoder, users, seed=seed)
    return np.array([u.accuracy(est) for u, est in zip(users, estimates, strict=True)])
