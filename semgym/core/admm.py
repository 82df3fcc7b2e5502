"""ADMM steps of latent-space alignment (federated paper (5)–(18)), in normalized statistics.

Every quantity is normalized by the number of pilots n
(https://semgym.readthedocs.io/en/latest/design/), so nothing here depends on n. With transmitter
pilots X (d_x × n) of covariance R_x = X Xᴴ/n (the identity after whitening), targets Y_l, P_l = Y_l
Xᴴ/n and R_y,l = Y_l Y_lᴴ/n, the per-user objective of (4) is, for a receiver G_l (d_y × A), a
channel H_l (A × B) and a precoder F (B × d_x),

    J_l(F, G_l) = (1/n)‖Y_l − G_l H_l F X‖² + tr(G_l Σ_n Gᴴ_l)
                = tr(R_y) − 2 Re tr(G H F Pᴴ) + tr(G H F R_x Fᴴ Hᴴ Gᴴ) + tr(G Σ_n Gᴴ).

With A_l = G_l H_l the F step needs only the user's *local terms* Aᴴ_l A_l (B × B) and
Aᴴ_l P_l (B × d_x) — the normalized form of the paper's messages (11) and P_l Xᴴ/n. The
scaled augmented Lagrangian is (6): L_ρ = mean_l J_l + ρ‖F − Z + U‖²_F (+ I_Ω(Z)).

Shapes: leading dimensions (...) broadcast; a user axis, where there is one, is just another
leading dimension (the federated average (8) reduces it, see :func:`federated_precoder_step`).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.linalg import solve_sylvester
from torch import Tensor

from semgym._runtime import broadcast_shapes
from semgym._validation import check_positive
from semgym.core.interference import effective_channel
from semgym.core.linalg import hermitian_part, identity_like
from semgym.core.mse import wiener_equalizer
from semgym.core.precoder import project_to_power_ball


def _check_rho(rho: float) -> float:
    return check_positive("rho", rho)


def admm_equalizer_step(
    cross_covariance: Tensor,
    precoder: Tensor,
    channel: Tensor,
    noise_covariance: Tensor,
    *,
    tx_covariance: Tensor | None = None,
) -> Tensor:
    """G step (7): the Wiener receiver G = P Fᴴ Hᴴ (H F R_x Fᴴ Hᴴ + Σ_n)⁻¹, (..., d_y, A).

    The normalized form of (7) (divide both factors by n: Y(HFX)ᴴ/n and HFXXᴴFᴴHᴴ/n + Σ_n).
    Shapes: P (..., d_y, d_x), F (..., B, d_x), H (..., A, B), Σ_n (..., A, A) in W,
    optional R_x (..., d_x, d_x) Hermitian PD (default: whitened pilots, R_x = I). A general
    R_x = L Lᴴ reduces to the whitened case with F' = F L and P' = P L⁻ᴴ.
    """
    if tx_covariance is None:
        return wiener_equalizer(cross_covariance, precoder, channel, noise_covariance)
    chol = torch.linalg.cholesky(tx_covariance)
    precoder = precoder @ chol
    cross_covariance = torch.linalg.solve_triangular(chol, cross_covariance.mH, upper=False).mH
    return wiener_equalizer(cross_covariance, precoder, channel, noise_covariance)


def admm_local_terms(
    equalizer: Tensor, channel: Tensor, cross_covariance: Tensor
) -> tuple[Tensor, Tensor]:
    """A user's F-step message: (Aᴴ A (..., B, B), Aᴴ P (..., B, d_x)) with A = G H.

    The normalized (11) and (13) without the ρ term: G (..., d_y, A), H (..., A, B),
    P (..., d_y, d_x).
    """
    chain = equalizer @ channel
    return hermitian_part(chain.mH @ chain), chain.mH @ cross_covariance


def admm_wiener_local_terms(
    cross_gram: Tensor, precoder: Tensor, channel: Tensor, noise_covariance: Tensor
) -> tuple[Tensor, Tensor]:
    """:func:`admm_local_terms` of the G step's Wiener receiver (7), without forming it.

    With G = P Fᴴ Hᴴ R⁻¹ and R = H F Fᴴ Hᴴ + Σ_n, the chain is A = G H = P Fᴴ M with
    M = Hᴴ R⁻¹ H (B × B Hermitian, :func:`~semgym.core.effective_channel`), so
    Aᴴ A = M (F C Fᴴ) M and Aᴴ P = M F C with C = Pᴴ P (d_x × d_x, constant over the
    iterations): no d_y-wide product and no d_y × A receiver per iteration. Whitened pilots
    (R_x = I). Shapes: C (..., d_x, d_x), F (..., B, d_x), H (..., A, B), Σ_n (..., A, A);
    returns (Aᴴ A (..., B, B), Aᴴ P (..., B, d_x)).
    """
    received = channel @ (precoder @ precoder.mH) @ channel.mH + noise_covariance
    coupling = effective_channel(channel, received)
    shaped = precoder @ cross_gram  # F C
    gram = hermitian_part(coupling @ (shaped @ precoder.mH) @ coupling)
    return gram, coupling @ shaped


def admm_precoder_step(
    gram: Tensor,
    correlation: Tensor,
    consensus: Tensor,
    dual: Tensor,
    rho: float,
    *,
    tx_covariance: Tensor | None = None,
) -> Tensor:
    """F step: argmin_F tr(F R_x Fᴴ Aᴴ A) − 2 Re tr(Fᴴ Aᴴ P) + ρ‖F − Z + U‖², (..., B, d_x).

    The zero gradient is the (generalized) Sylvester equation (14) divided by n,
    Aᴴ A F R_x + ρ F = Aᴴ P + ρ (Z − U). With whitened pilots (``tx_covariance=None``,
    R_x = I) it is one batched solve (Aᴴ A + ρ I) F = Aᴴ P + ρ (Z − U). A general R_x = W D Wᴴ
    decouples over the columns of F W: (d_j Aᴴ A + ρ I) (F W)_j = ((Aᴴ P + ρ (Z − U)) W)_j,
    still batched and exact (:func:`sylvester_precoder_step` is the Bartels–Stewart
    reference).

    Shapes: ``gram`` Aᴴ A (..., B, B), ``correlation`` Aᴴ P (..., B, d_x), Z and U
    (..., B, d_x), R_x (..., d_x, d_x). Called with a user axis it gives each user's F̂_l of
    (9); the joint minimizer of (6) over F is this step applied to the user means of ``gram``
    and ``correlation``.
    """
    rho = _check_rho(rho)
    rhs = correlation + rho * (consensus - dual)
    if tx_covariance is None:
        return torch.linalg.solve(gram + rho * identity_like(gram), rhs)
    scales, basis = torch.linalg.eigh(hermitian_part(tx_covariance))
    rotated = (rhs @ basis).mT.unsqueeze(-1)  # (..., d_x, B, 1)
    system = scales[..., :, None, None].to(gram.dtype) * gram.unsqueeze(-3)
    system = system + rho * identity_like(system)
    columns = torch.linalg.solve(system, rotated).squeeze(-1).mT  # (..., B, d_x)
    return columns @ basis.mH


def federated_precoder_step(
    gram: Tensor, correlation: Tensor, consensus: Tensor, dual: Tensor, rho: float
) -> Tensor:
    """Federated F step (8), (9): each user's F̂_l, then their average, (..., B, d_x).

    ``gram`` (..., L, B, B) and ``correlation`` (..., L, B, d_x) hold every user's local
    terms; Z, U (..., B, d_x) are the AP's (shared by all users). Whitened pilots (R_x = I),
    as Algorithm 1 runs them; :func:`admm_precoder_step` takes a general R_x.
    """
    local = admm_precoder_step(gram, correlation, consensus.unsqueeze(-3), dual.unsqueeze(-3), rho)
    return local.mean(-3)


def sylvester_precoder_step(
    gram: Tensor,
    correlation: Tensor,
    consensus: Tensor,
    dual: Tensor,
    rho: float,
    tx_covariance: Tensor,
) -> Tensor:
    """Reference F step by Bartels–Stewart (``scipy.linalg.solve_sylvester``), unbatched loop.

    Multiplying (14)/n on the right by R_x⁻¹ gives the standard Sylvester equation
    (Aᴴ A) F + F (ρ R_x⁻¹) = (Aᴴ P + ρ (Z − U)) R_x⁻¹. Slow (CPU, one matrix at a time):
    for tests and benchmarks. Same shapes as :func:`admm_precoder_step`.
    """
    rho = _check_rho(rho)
    rhs = correlation + rho * (consensus - dual)
    shape = broadcast_shapes(gram.shape[:-2], rhs.shape[:-2], tx_covariance.shape[:-2])
    a = gram.expand(*shape, *gram.shape[-2:]).reshape(-1, *gram.shape[-2:])
    c = rhs.expand(*shape, *rhs.shape[-2:]).reshape(-1, *rhs.shape[-2:])
    r = tx_covariance.expand(*shape, *tx_covariance.shape[-2:]).reshape(
        -1, *tx_covariance.shape[-2:]
    )
    out = []
    for a_i, c_i, r_i in zip(a, c, r, strict=True):
        a_np, c_np, r_np = (t.detach().cpu().numpy() for t in (a_i, c_i, r_i))
        r_inv = np.linalg.inv(r_np)
        f = solve_sylvester(a_np, rho * r_inv, c_np @ r_inv)
        out.append(torch.from_numpy(f))
    return torch.stack(out).to(device=rhs.device, dtype=rhs.dtype).reshape(*shape, *rhs.shape[-2:])


def admm_projection_step(precoder: Tensor, dual: Tensor, budget: Tensor | float) -> Tensor:
    """Z step (16), (17): Proj_Ω(F + U) onto {tr(Z Zᴴ) ≤ P_T}, (..., B, d_x); P_T in W."""
    return project_to_power_ball(precoder + dual, budget)


def admm_dual_step(dual: Tensor, precoder: Tensor, consensus: Tensor) -> Tensor:
    """U step (18): U + F − Z, (..., B, d_x)."""
    return dual + precoder - consensus


def alignment_objective(
    equalizer: Tensor,
    channel: Tensor,
    precoder: Tensor,
    cross_covariance: Tensor,
    target_energy: Tensor,
    noise_covariance: Tensor,
    *,
    tx_covariance: Tensor | None = None,
) -> Tensor:
    """J(F, G) per sample (...) for any receiver G (not only the Wiener one), summed over dims.

    tr(R_y) − 2 Re tr(G H F Pᴴ) + tr(G (H F R_x Fᴴ Hᴴ + Σ_n) Gᴴ): the empirical
    (1/n)‖Y − G H F X‖² + tr(G Σ_n Gᴴ) of (4) in normalized statistics. Σ_n may hold the
    MUI (then this is the MSE of a fixed receiver under interference). Shapes: G (..., d_y, A),
    H (..., A, B), F (..., B, d_x), P (..., d_y, d_x), tr(R_y) (...), Σ_n (..., A, A).
    """
    link = channel @ precoder
    tx = link if tx_covariance is None else link @ tx_covariance
    received = tx @ link.mH + noise_covariance
    # traces as elementwise sums of A-wide products, never d_y × d_y or d_y × d_x ones
    back = cross_covariance.mH @ equalizer  # Pᴴ G, (..., d_x, A)
    cross = (link * back.mT).sum((-2, -1)).real  # Re tr(G H F Pᴴ) = Re tr(H F Pᴴ G)
    power = ((equalizer @ received) * equalizer.conj()).sum((-2, -1)).real
    return target_energy - 2.0 * cross + power


def augmented_lagrangian(
    objective: Tensor, precoder: Tensor, consensus: Tensor, dual: Tensor, rho: float
) -> Tensor:
    """Scaled augmented Lagrangian (6), (...): objective + ρ‖F − Z + U‖²_F.

    ``objective`` (...) is the network objective mean_l J_l; I_Ω(Z) is 0 because every Z
    the projection step returns is feasible.
    """
    rho = _check_rho(rho)
    return objective + rho * (precoder - consensus + dual).abs().square().sum((-2, -1))


def primal_residual(precoder: Tensor, consensus: Tensor) -> Tensor:
    """‖F − Z‖_F, (...): the consensus constraint violation of (5)."""
    return (precoder - consensus).abs().square().sum((-2, -1)).sqrt()
