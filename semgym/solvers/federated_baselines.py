"""Baselines of the federated downlink (federated paper §IV "Baselines", SPEC §5).

Same scenario as :mod:`~semgym.solvers.federated`: one AP (N_T antennas) sends its whitened
latents x (d_x complex, R_x = I on the pilots) through H_l = I_K ⊗ H̄_l to L users, with
tr(F Fᴴ) ≤ P_T and the noise power σ_l² of :func:`downlink_noise_power`. B = K·N_T.

- :func:`first_k`: F = √(P_T/B) [I_B 0], the first B complex components of the whitened
  latent (= the first 2·K·N_T real features after packing), uniform power.
- :func:`top_k`: F = √(P_T/B) S, S selecting the B whitened components with the largest
  semantic energy e_j = Σ_l ‖P_l e_j‖² on the pilots (on whitened latents every component has
  unit variance, so "largest energy" is measured on what each component explains of the users'
  targets). The index set is fixed (not per sample) and sent once to every user:
  ``side_information`` = L·B indices.
- :func:`mmse_svd_least_squares`: the paper's disjoint design, with a First-K or Top-K
  transmit selection and uniform power: each user applies the MMSE-SVD channel equalizer
  E_l = I_K ⊗ V_l (Σ_lᴴ Σ_l + I/SNR_l)⁻¹ (U_l Σ_l)ᴴ = I_K ⊗ (H̄_lᴴ H̄_l + I/SNR_l)⁻¹ H̄_lᴴ
  (SNR_l = (P_T/B)/σ_l², per-stream transmit power over noise), undoes the power scaling and
  zero-fills the components not sent, then the noiseless least-squares alignment (20)
  Q_l = argmin ‖Q X − Y_l‖ = P_l (R_x = I). End-to-end receiver G_l = Q_l Sᵀ E_l / √(P_T/B).
- :func:`multi_link`: one structured water-filling precoder per user, as if each user had its
  own AP and no multi-user interference (the single-user optimum, so a per-user lower bound on
  the MSE of any shared precoder with Wiener receivers).

First-K / Top-K default to the Wiener receiver (``receiver="wiener"``), the best linear
receiver for the transmitted F (it is also what a least-squares fit on *received* pilots
converges to); :func:`mmse_svd_least_squares` is the disjoint (channel-then-semantics) one.
Note: on *whitened* latents with a uniform-power selection the disjoint receiver equals the
Wiener one exactly (the LMMSE estimate of the sent components mapped by P is the LMMSE of P x;
the unsent components are uncorrelated with them, so zero-fill is their MMSE estimate). The
paper's gap comes from sending raw, correlated features, which this module does not model.

All MSEs are closed form (per sample, summed over complex dims, normalized by n like the
statistics): with R_x = I, for any receiver G,
MSE = tr(R_y) − 2 Re tr(G H F Pᴴ) + tr(G (H F Fᴴ Hᴴ + σ² I) Gᴴ); for the Wiener G this is
:func:`~semgym.core.alignment_mse`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from semgym._validation import check_choice
from semgym.core import (
    SemanticPair,
    alignment_mse,
    alignment_objective,
    effective_channel,
    effective_channel_modes,
    kron_identity,
    normalized_mse,
    semantic_waterfill,
    structured_precoder,
    wiener_equalizer,
)
from semgym.core.linalg import identity_like
from semgym.core.statistics import check_mode_count
from semgym.solvers.federated import FederatedConfig, check_downlink, downlink_noise_power

#: Receivers of :func:`first_k` / :func:`top_k`.
BASELINE_RECEIVERS = ("wiener", "mmse_svd_ls")
#: Transmit selections of :func:`mmse_svd_least_squares`.
SELECTIONS = ("first", "top")


@dataclass(frozen=True)
class BaselineResult:
    """One baseline on the downlink; leading (...) are the channel batch dimensions.

    Attributes:
        name: the baseline ("first_k", "top_k", "mmse_svd_ls_first", "mmse_svd_ls_top",
            "multi_link").
        precoder: the transmitted F, feasible (tr(F Fᴴ) ≤ P_T): shared (..., B, d_x), or one
            per user (..., L, B, d_x) for ``multi_link``.
        equalizers: end-to-end receivers G_l, (..., L, d_y,max, K·N_R) (rows past d_y zero).
        mse, nmse: per user, closed form, (..., L). network_mse, network_nmse: means, (...).
        noise_power: σ_l², (..., L), W.
        selected: indices (B,) of the whitened components sent (None if not a selection).
        side_information: indices the AP sends the users beyond the latents (L·B for Top-K,
            once per deployment; 0 otherwise). Counted in indices, not complex numbers.
    """

    name: str
    precoder: Tensor
    equalizers: Tensor
    mse: Tensor
    nmse: Tensor
    network_mse: Tensor
    network_nmse: Tensor
    noise_power: Tensor
    selected: Tensor | None
    side_information: int


def _check(pairs: Sequence[SemanticPair], channels: Tensor, config: FederatedConfig) -> int:
    """Validate the inputs (:func:`check_downlink`) and K·N_T <= d_x; returns d_x."""
    d_x = check_downlink(pairs, channels, config)
    check_mode_count(config.channel_uses * config.n_tx, d_x)
    return d_x


def _selection(d_x: int, index: Tensor, config: FederatedConfig, dtype, device) -> Tensor:
    """√(P_T/B) S, S (B, d_x) with S[i, index[i]] = 1: uniform power, tr(F Fᴴ) = P_T."""
    b = index.shape[-1]
    eye = torch.eye(d_x, dtype=dtype, device=device)[index.to(device)]
    return eye * (config.power / b) ** 0.5


def _top_index(pairs: Sequence[SemanticPair], b: int) -> Tensor:
    """The B whitened components with the largest Σ_l ‖P_l e_j‖², ascending index order."""
    energy = sum(p.stats.cross_covariance.abs().square().sum(-2) for p in pairs)
    if energy.dim() != 1:
        raise ValueError("top-K selection needs unbatched pairs (one index set)")
    return energy.topk(b).indices.sort().values


def _context(pairs, channels, config):
    dense = kron_identity(channels, config.channel_uses)  # (..., L, A, B)
    sigma2 = downlink_noise_power(channels, config)  # (..., L)
    noise = sigma2[..., None, None] * identity_like(dense @ dense.mH)
    return dense, sigma2, noise


def _stack_equalizers(equalizers: list[Tensor], d_y: int) -> Tensor:
    pad = [torch.nn.functional.pad(g, (0, 0, 0, d_y - g.shape[-2])) for g in equalizers]
    return torch.stack(pad, -3)


def _finish(name, precoder, equalizers, mse, pairs, sigma2, selected, side) -> BaselineResult:
    mse = torch.stack(mse, -1)
    energy = torch.stack([p.stats.target_energy.to(mse.dtype) for p in pairs], -1)
    nmse = normalized_mse(mse, energy.to(mse.device))
    d_y = max(p.stats.rx_dim for p in pairs)
    return BaselineResult(
        name,
        precoder,
        _stack_equalizers(equalizers, d_y),
        mse,
        nmse,
        mse.mean(-1),
        nmse.mean(-1),
        sigma2,
        selected,
        side,
    )


def _mmse_svd_equalizer(dense: Tensor, sigma2: Tensor, config: FederatedConfig) -> Tensor:
    """E_l = (Hᴴ H + I/SNR_l)⁻¹ Hᴴ on the dense I_K ⊗ H̄_l (block-diagonal, same as I_K ⊗ ·)."""
    b = config.channel_uses * config.n_tx
    inv_snr = sigma2 * (b / config.power)  # σ_l² / (P_T / B)
    gram = dense.mH @ dense
    system = gram + inv_snr[..., None, None] * identity_like(gram)
    return torch.linalg.solve(system, dense.mH)


def _selection_baseline(
    name: str,
    index: Tensor,
    pairs: Sequence[SemanticPair],
    channels: Tensor,
    config: FederatedConfig,
    receiver: str,
    side: int,
) -> BaselineResult:
    d_x = pairs[0].stats.tx_dim
    dense, sigma2, noise = _context(pairs, channels, config)
    f = _selection(d_x, index, config, channels.dtype, channels.device)
    if receiver == "mmse_svd_ls":
        channel_eq = _mmse_svd_equalizer(dense, sigma2, config)  # (..., L, B, A)
        zero_fill = f.mH / (config.power / index.shape[-1])  # Sᵀ / √(P_T/B), (d_x, B)
    mse, equalizers = [], []
    for user, pair in enumerate(pairs):
        stats = pair.stats
        cross = stats.cross_covariance.to(channels.dtype).to(channels.device)
        energy = stats.target_energy.to(channels.real.dtype).to(channels.device)
        h, rn = dense[..., user, :, :], noise[..., user, :, :]
        if receiver == "wiener":
            g = wiener_equalizer(cross, f, h, rn)
            r_h = effective_channel(h, rn)
            moved = _moved(stats, cross, energy)
            mse.append(alignment_mse(f, r_h, moved))
        else:
            g = cross @ zero_fill @ channel_eq[..., user, :, :]
            mse.append(alignment_objective(g, h, f, cross, energy, rn))
        equalizers.append(g)
    return _finish(name, f, equalizers, mse, pairs, sigma2, index, side)


def _moved(stats, cross: Tensor, energy: Tensor):
    """The statistics with P and tr(R_y) on the channels' dtype/device (for alignment_mse)."""
    return replace(stats, cross_covariance=cross, target_energy=energy)


def first_k(
    pairs: Sequence[SemanticPair],
    channels: Tensor,
    config: FederatedConfig,
    *,
    receiver: str = "wiener",
) -> BaselineResult:
    """First-K: send the first B = K·N_T whitened components at uniform power P_T/B.

    ``pairs``/``channels``/``config`` as in :func:`~semgym.solvers.federated_admm`;
    ``receiver`` in :data:`BASELINE_RECEIVERS` ("wiener": per-user Wiener filter;
    "mmse_svd_ls": MMSE-SVD channel equalizer then least-squares alignment (20)).
    """
    _check(pairs, channels, config)
    receiver = check_choice("receiver", receiver, BASELINE_RECEIVERS)
    index = torch.arange(config.channel_uses * config.n_tx)
    return _selection_baseline("first_k", index, pairs, channels, config, receiver, 0)


def top_k(
    pairs: Sequence[SemanticPair],
    channels: Tensor,
    config: FederatedConfig,
    *,
    receiver: str = "wiener",
) -> BaselineResult:
    """Top-K: send the B whitened components of largest semantic energy (module docstring).

    Side information: the B indices, once to each of the L users (``side_information`` = L·B).
    Pairs must be unbatched (one index set for the deployment).
    """
    _check(pairs, channels, config)
    receiver = check_choice("receiver", receiver, BASELINE_RECEIVERS)
    b = config.channel_uses * config.n_tx
    index = _top_index(pairs, b)
    side = config.n_users * b
    return _selection_baseline("top_k", index, pairs, channels, config, receiver, side)


def mmse_svd_least_squares(
    pairs: Sequence[SemanticPair],
    channels: Tensor,
    config: FederatedConfig,
    *,
    selection: str = "first",
) -> BaselineResult:
    """The paper's disjoint baseline: MMSE-SVD equalization, then least-squares alignment (20).

    ``selection`` in :data:`SELECTIONS`: which B whitened components the AP sends ("first" as
    :func:`first_k`, "top" as :func:`top_k`, with its side information), uniform power.
    """
    selection = check_choice("selection", selection, SELECTIONS)
    make = first_k if selection == "first" else top_k
    result = make(pairs, channels, config, receiver="mmse_svd_ls")
    return replace(result, name=f"mmse_svd_ls_{selection}")


def multi_link(
    pairs: Sequence[SemanticPair], channels: Tensor, config: FederatedConfig
) -> BaselineResult:
    """One structured water-filling precoder per user, each with its own full budget P_T and no
    multi-user interference (as if each user had its own AP); Wiener receivers.

    ``precoder`` is (..., L, B, d_x), each feasible. The single-user optimum: per user, a lower
    bound on the MSE of any shared precoder with a Wiener receiver (e.g. federated ADMM's).
    """
    _check(pairs, channels, config)
    dense, sigma2, noise = _context(pairs, channels, config)
    b = config.channel_uses * config.n_tx
    precoders, mse, equalizers = [], [], []
    for user, pair in enumerate(pairs):
        stats = pair.stats
        cross = stats.cross_covariance.to(channels.dtype).to(channels.device)
        energy = stats.target_energy.to(channels.real.dtype).to(channels.device)
        h, rn = dense[..., user, :, :], noise[..., user, :, :]
        r_h = effective_channel(h, rn)
        gains, modes = effective_channel_modes(r_h)
        weights = stats.semantic_weights(b).to(gains.dtype).to(gains.device)
        powers = semantic_waterfill(weights.expand_as(gains), gains, config.power)
        directions = stats.semantic_directions(b).to(modes.dtype).to(modes.device)
        f = structured_precoder(modes, powers.to(gains.dtype), directions)
        precoders.append(f)
        equalizers.append(wiener_equalizer(cross, f, h, rn))
        mse.append(alignment_mse(f, r_h, _moved(stats, cross, energy)))
    f_all = torch.stack(precoders, -3)
    return _finish("multi_link", f_all, equalizers, mse, pairs, sigma2, None, 0)
