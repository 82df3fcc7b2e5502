"""Baselines of the federated downlink (federated paper §IV "Baselines").

Same scenario as :mod:`~semgym.solvers.federated`, a :class:`~semgym.scenarios.Downlink`: one
AP (N_T antennas) sends its whitened latents x (d_x complex, R_x = I on the pilots) through
H_l = I_K ⊗ H̄_l to L users, with tr(F Fᴴ) ≤ P_T and the noise power σ_l² of
:func:`~semgym.scenarios.downlink_noise_power`. B = K·N_T.

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
  the MSE of any shared precoder with Wiener receivers): each user's interference-free design
  (:func:`~semgym.core.best_response` on its own R_H,l).

First-K / Top-K default to the Wiener receiver (``receiver="wiener"``), the best linear
receiver for the transmitted F (it is also what a least-squares fit on *received* pilots
converges to); :func:`mmse_svd_least_squares` is the disjoint (channel-then-semantics) one.
Note: on *whitened* latents with a uniform-power selection the disjoint receiver equals the
Wiener one exactly (the LMMSE estimate of the sent components mapped by P is the LMMSE of P x;
the unsent components are uncorrelated with them, so zero-fill is their MMSE estimate). The
paper's gap comes from sending raw, correlated features, which this module does not model.

All MSEs are closed form (per sample, summed over complex dims, normalized by n like the
statistics): with the Wiener receivers they are the downlink's own score
(:meth:`~semgym.scenarios.Downlink.evaluate`); for another receiver G,
MSE = tr(R_y) − 2 Re tr(G H F Pᴴ) + tr(G (H F Fᴴ Hᴴ + σ² I) Gᴴ)
(:func:`~semgym.core.alignment_objective`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor

from semgym._validation import check_choice
from semgym.core import alignment_objective, best_response, normalized_mse, structured_precoder
from semgym.core.linalg import identity_like, solve
from semgym.scenarios.downlink import Downlink

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
        precoder: the transmitted F, feasible (tr(F Fᴴ) ≤ P_T): shared (B, d_x), or one
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


def _check(downlink: Downlink) -> Downlink:
    if not isinstance(downlink, Downlink):
        raise ValueError(f"downlink must be a Downlink, got {type(downlink).__name__}")
    return downlink


def _selection(downlink: Downlink, index: Tensor) -> Tensor:
    """√(P_T/B) S, S (B, d_x) with S[i, index[i]] = 1: uniform power, tr(F Fᴴ) = P_T."""
    eye = torch.eye(downlink.tx_dim, dtype=downlink.dense.dtype, device=downlink.dense.device)
    return eye[index.to(eye.device)] * (downlink.config.power / index.shape[-1]) ** 0.5


def _top_index(downlink: Downlink) -> Tensor:
    """The B whitened components with the largest Σ_l ‖P_l e_j‖², ascending index order."""
    energy = downlink.cross_gram.diagonal(dim1=-2, dim2=-1).real.sum(0)  # Σ_l ‖P_l e_j‖², (d_x,)
    return energy.topk(downlink.n_modes).indices.sort().values


def _result(
    name: str,
    downlink: Downlink,
    precoder: Tensor,
    equalizers: Tensor,
    mse: Tensor,
    selected: Tensor | None,
    side: int,
) -> BaselineResult:
    nmse = normalized_mse(mse, downlink.target_energy)
    return BaselineResult(
        name,
        precoder,
        equalizers,
        mse,
        nmse,
        mse.mean(-1),
        nmse.mean(-1),
        downlink.noise_power,
        selected,
        side,
    )


def _mmse_svd_equalizer(downlink: Downlink) -> Tensor:
    """E_l = (Hᴴ H + I/SNR_l)⁻¹ Hᴴ on the dense I_K ⊗ H̄_l (block-diagonal, same as I_K ⊗ ·)."""
    dense, config = downlink.dense, downlink.config
    inv_snr = downlink.noise_power * (downlink.n_modes / config.power)  # σ_l² / (P_T / B)
    gram = dense.mH @ dense
    system = gram + inv_snr[..., None, None] * identity_like(gram)
    return solve(system, dense.mH, "MMSE equalizer solve")


def _selection_baseline(
    name: str, index: Tensor, downlink: Downlink, receiver: str, side: int
) -> BaselineResult:
    f = _selection(downlink, index)
    if receiver == "wiener":
        mse = downlink.evaluate(f).mse
        equalizers = downlink.wiener_equalizers(f)
    else:
        channel_eq = _mmse_svd_equalizer(downlink)  # (..., L, B, A)
        zero_fill = f.mH / (downlink.config.power / index.shape[-1])  # Sᵀ / √(P_T/B), (d_x, B)
        equalizers = downlink.cross_covariance @ zero_fill @ channel_eq
        mse = alignment_objective(
            equalizers,
            downlink.dense,
            f,
            downlink.cross_covariance,
            downlink.target_energy,
            downlink.noise_covariance,
        )
    return _result(name, downlink, f, equalizers, mse, index, side)


def first_k(downlink: Downlink, *, receiver: str = "wiener") -> BaselineResult:
    """First-K: send the first B = K·N_T whitened components at uniform power P_T/B.

    ``receiver`` in :data:`BASELINE_RECEIVERS` ("wiener": per-user Wiener filter;
    "mmse_svd_ls": MMSE-SVD channel equalizer then least-squares alignment (20)).
    """
    _check(downlink)
    receiver = check_choice("receiver", receiver, BASELINE_RECEIVERS)
    index = torch.arange(downlink.n_modes)
    return _selection_baseline("first_k", index, downlink, receiver, 0)


def top_k(downlink: Downlink, *, receiver: str = "wiener") -> BaselineResult:
    """Top-K: send the B whitened components of largest semantic energy (module docstring).

    Side information: the B indices, once to each of the L users (``side_information`` = L·B).
    """
    _check(downlink)
    receiver = check_choice("receiver", receiver, BASELINE_RECEIVERS)
    side = downlink.config.n_users * downlink.n_modes
    return _selection_baseline("top_k", _top_index(downlink), downlink, receiver, side)


def mmse_svd_least_squares(downlink: Downlink, *, selection: str = "first") -> BaselineResult:
    """The paper's disjoint baseline: MMSE-SVD equalization, then least-squares alignment (20).

    ``selection`` in :data:`SELECTIONS`: which B whitened components the AP sends ("first" as
    :func:`first_k`, "top" as :func:`top_k`, with its side information), uniform power.
    """
    selection = check_choice("selection", selection, SELECTIONS)
    make = first_k if selection == "first" else top_k
    result = make(downlink, receiver="mmse_svd_ls")
    return replace(result, name=f"mmse_svd_ls_{selection}")


def multi_link(downlink: Downlink) -> BaselineResult:
    """One structured water-filling precoder per user, each with its own full budget P_T and no
    multi-user interference (as if each user had its own AP); Wiener receivers.

    ``precoder`` is (..., L, B, d_x), each feasible. The single-user optimum: per user, a lower
    bound on the MSE of any shared precoder with a Wiener receiver (e.g. federated ADMM's).
    """
    _check(downlink)
    m = downlink.n_modes
    stats = [p.stats for p in downlink.pairs]
    real = downlink.target_energy.dtype
    device = downlink.dense.device
    weights = torch.stack([s.semantic_weights(m).to(real) for s in stats]).to(device)
    directions = torch.stack([s.semantic_directions(m) for s in stats])
    design = best_response(downlink.effective.unsqueeze(-3), weights, downlink.config.power)
    precoders = structured_precoder(
        design.modes, design.powers, directions.to(device=device, dtype=downlink.dense.dtype)
    )
    return _result(
        "multi_link",
        downlink,
        precoders,
        downlink.wiener_equalizers(precoders),
        downlink.evaluate(precoders).mse,
        None,
        0,
    )
