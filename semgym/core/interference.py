"""Multi-user interference and the effective channel (interference paper (5), (8)).

Channels are stacked as ``channels[..., j, l, :, :]`` = H_{j,l}, the matrix from transmitter j
to receiver l, shape (..., L, L, A, B) with A receive and B transmit dimensions (A = K·N_R,
B = K·N_T for the dense H = I_K ⊗ H̄, or N_R, N_T per channel use on the block path, where the
channel uses are a leading batch dimension). The MUI is computed from factors Φ_j of the
transmit covariances (F_j F_jᴴ = Φ_j Φ_jᴴ, one block per channel use); the dense
Σ_{j≠l} H_{j,l} F_j F_jᴴ H_{j,l}ᴴ is kept in :mod:`semgym.core.reference` for tests and
benchmarks.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from semgym._runtime import broadcast_shapes
from semgym.core.linalg import (
    cholesky,
    hermitian_eigh,
    hermitian_part,
    identity_like,
    real_inner,
)


def direct_channels(channels: Tensor) -> Tensor:
    """H_{l,l} for every link: (..., L, L, A, B) → (..., L, A, B)."""
    return torch.diagonal(channels, dim1=-4, dim2=-3).movedim(-1, -3)


def interferer_index(n_links: int, device: torch.device | str | None = None) -> Tensor:
    """(L, L − 1) int64: row l lists the interferers j ≠ l of receiver l, ascending."""
    rows = [[j for j in range(n_links) if j != rx] for rx in range(n_links)]
    return torch.tensor(rows, dtype=torch.int64, device=device).reshape(n_links, n_links - 1)


def isotropic_gain(channels: Tensor) -> Tensor:
    """g_{j,l} = ‖H_{j,l}‖²_F / (N_T·N_R), (B, L, L) real (tx-major): the power per receive
    dimension of receiver l per watt that transmitter j spreads evenly over its N_T
    dimensions, from (B, L, L, N_R, N_T) channels (the direct links on the diagonal)."""
    n_rx, n_tx = channels.shape[-2:]
    return channels.abs().square().sum((-2, -1)) / (n_tx * n_rx)


def neighbour_index(gain: Tensor, n_neighbours: int) -> Tensor:
    """The ``n_neighbours`` strongest interferers j ≠ l of every receiver l, strongest first,
    (B, L, k) int64 (k = min(n_neighbours, L − 1)), by ``gain`` (B, L, L) from
    :func:`isotropic_gain`."""
    n_links = gain.shape[-1]
    received = gain.transpose(-2, -1).clone()  # (B, rx l, tx j)
    received[..., torch.eye(n_links, dtype=torch.bool, device=gain.device)] = -math.inf
    k = min(n_neighbours, n_links - 1)
    return received.topk(k, dim=-1, sorted=True).indices


def far_gain(gain: Tensor, index: Tensor) -> Tensor:
    """``gain`` (B, L, L) with the direct links and every receiver's neighbours in ``index``
    (B, L, k) set to zero: the gains of the interferers each receiver hears only as noise."""
    far = gain.clone()
    n_links = gain.shape[-1]
    far[..., torch.eye(n_links, dtype=torch.bool, device=gain.device)] = 0.0
    games = torch.arange(gain.shape[0], device=gain.device)[:, None, None]
    rx = torch.arange(n_links, device=gain.device)[None, :, None]
    far[games, index, rx] = 0.0
    return far


def far_interference(far: Tensor, use_power: Tensor) -> Tensor:
    """Σ_j g_{j,l} tr(Q_{j,k}) per receiver l and channel use k, (B, L, K) W per receive
    dimension: the far interferers' power as if each spread its power in channel use k evenly
    over its transmit dimensions (white noise at the receiver), from :func:`far_gain`
    (B, L, L) and every transmitter's power per channel use tr(Q_{j,k}) (B, L, K) W."""
    return torch.einsum("bjl,bjk->blk", far.to(use_power.dtype), use_power)


def interferer_channels(channels: Tensor, index: Tensor) -> Tensor:
    """H_{j,l} of the interferers of every receiver l listed by ``index``: the L − 1 of
    :func:`interferer_index` (L, L − 1), (..., L, L − 1, A, B); or each game's own from
    :func:`neighbour_index` (B, L, k), (B, L, k, A, B). From (..., L, L, A, B) channels
    (tx-major)."""
    if index.dim() == 3:
        b, n_links, _ = index.shape
        games = torch.arange(b, device=index.device)[:, None, None]
        rx = torch.arange(n_links, device=index.device)[None, :, None]
        return channels[games, index, rx]
    rx = torch.arange(index.shape[0], device=index.device)[:, None].expand_as(index)
    return channels[..., index, rx, :, :]


def interference_by_block(interferers_adjoint: Tensor, tx_factors: Tensor, index: Tensor) -> Tensor:
    """Σ_{j≠l} H_{j,l} F_{j,k} F_{j,k}ᴴ H_{j,l}ᴴ (the MUI of (5)) per receiver l and block k.

    Arguments:
        interferers_adjoint: H_{j,l}ᴴ of the L − 1 interferers j ≠ l of every receiver l,
            (..., L, L − 1, B, A): the adjoint of :func:`interferer_channels`, contiguous
            (it is constant over an episode: prepare it once).
        tx_factors: F_{j,k}, (..., L, K, B, r): any factor of block k of transmitter j's
            covariance (e.g. V_k diag(√p_k)); every block goes through the same channel (the K
            channel uses of H = I_K ⊗ H̄ on the block path; K = 1 for a dense covariance).
        index: :func:`interferer_index` (L, L − 1), or the games' :func:`neighbour_index`
            (B, L, k) with ``interferers_adjoint`` (B, L, k, B, A) and one leading batch dim.

    Returns (..., L, K, A, A), Hermitian PSD; its trace is the MUI power of block k at
    receiver l. Each product (H_{j,l} F_{j,k})ᴴ = F_{j,k}ᴴ H_{j,l}ᴴ comes out as a contiguous
    r × A block, so the Gram sum needs no transposition of large tensors; the j = l products
    are never formed, and the interferers are summed one at a time, so no temporary is larger
    than the result (the allocations stay small enough to be reused rather than mapped anew).
    """
    *lead, n_links, n_blocks, rows, cols = tx_factors.shape
    size = interferers_adjoint.shape[-1]
    if index.shape[-1] == 0:  # a single link hears no MUI
        return tx_factors.new_zeros(*lead, n_links, n_blocks, size, size)
    games = None
    if index.dim() == 3:  # each game's own neighbours (B, L, k)
        games = torch.arange(index.shape[0], device=index.device)[:, None]

    def gram(i: int) -> Tensor:  # the MUI from the i-th interferer of every receiver
        if games is None:
            adjoint = tx_factors.mH[..., index[:, i], :, :, :]  # (..., L, K, r, B), one copy
        else:
            adjoint = tx_factors.mH[games, index[..., i]]
        adjoint = adjoint.reshape(*lead, n_links, n_blocks * cols, rows)
        products = (adjoint @ interferers_adjoint[..., i, :, :]).unflatten(-2, (n_blocks, cols))
        return products.mH @ products

    total = gram(0)
    for i in range(1, index.shape[-1]):
        total.add_(gram(i))
    return total


def interference_costs(channels: Tensor, sensitivity: Tensor, modes: Tensor) -> Tensor:
    """c_{j,k,v} = Σ_{l≠j} v_kᴴ H_{j,l}ᴴ Π_{l,k} H_{j,l} v_k ≥ 0, (..., L, K, r): what a watt on
    column v of transmitter j's modes in block k adds to Σ_{l≠j} tr(Π_{l,k} R_{n,l,k}), i.e. to
    the other links' MSE to first order when Π_l = ∂MSE_l/∂R_{n,l}
    (:func:`~semgym.core.mse_noise_sensitivity`): the interference price of that mode.

    Arguments:
        channels: H_{j,l}, (..., L, L, A, B) tx-major; every block goes through the same
            channel (the K channel uses of H = I_K ⊗ H̄ on the block path).
        sensitivity: Π_{l,k} of every receiver l and block k, (..., L, K, A, A) Hermitian.
        modes: the columns v of every transmitter's blocks, (..., L, K, B, r).
    """
    n_links = channels.shape[-4]
    through = channels.unsqueeze(-3) @ modes.unsqueeze(-4)  # H_{j,l} V_{j,k}, (..., j, l, K, A, r)
    weighted = sensitivity.unsqueeze(-5) @ through  # Π_{l,k} H_{j,l} V_{j,k}
    costs = real_inner(through, weighted, dim=-2)  # (..., j, l, K, r)
    others = ~torch.eye(n_links, dtype=torch.bool, device=channels.device)
    return (costs * others[..., None, None].to(costs.dtype)).sum(-3)


def add_noise(interference: Tensor, noise_power: Tensor | float) -> Tensor:
    """σ² I + MUI: R_{n,l} (..., L, A, A) from the received MUI covariances (..., L, A, A)."""
    sigma2 = torch.as_tensor(noise_power, dtype=interference.real.dtype, device=interference.device)
    shape = broadcast_shapes(interference.shape, (*sigma2.shape, 1, 1, 1))
    noise = interference.expand(shape).clone()
    diagonal = torch.diagonal(noise, dim1=-2, dim2=-1)
    (diagonal.real if noise.is_complex() else diagonal).add_(sigma2[..., None, None])
    return noise


def received_covariance(channels: Tensor, tx_covariances: Tensor) -> Tensor:
    """H Q Hᴴ, (..., A, A): what transmit covariances Q (..., B, B) become through channels H
    (..., A, B), broadcast over the batch dims (callers sum over transmitters)."""
    return channels @ tx_covariances @ channels.mH


def whitened_channel(direct: Tensor, noise_covariance: Tensor) -> Tensor:
    """W = C⁻¹ H with R_n = C Cᴴ (Cholesky), (..., A, B): the channel after noise whitening,
    so R_H = Wᴴ W. From H (..., A, B) and R_n (..., A, A) (Hermitian PD)."""
    chol = cholesky(noise_covariance, "Cholesky factorization of R_n")
    return torch.linalg.solve_triangular(chol, direct, upper=False)


def effective_channel(direct: Tensor, noise_covariance: Tensor) -> Tensor:
    """R_H = Hᴴ R_n⁻¹ H = Wᴴ W, (..., B, B), from H (..., A, B) and R_n (..., A, A) (Hermitian
    PD), through :func:`whitened_channel`, so the result is Hermitian PSD by construction."""
    return hermitian_part(whitened_gram(whitened_channel(direct, noise_covariance)))


def whitened_gram(whitened: Tensor) -> Tensor:
    """R_H = Wᴴ W, (..., B, B), from the whitened channel W (..., A, B): Hermitian up to
    round-off (an eigensolver reads one triangle; :func:`effective_channel` symmetrizes)."""
    return whitened.mH @ whitened


def gaussian_rate(signal_covariance: Tensor, noise_covariance: Tensor) -> Tensor:
    """log₂ det(I + R⁻¹ S), bit per channel use, (...,): the rate of a Gaussian signal with
    covariance S (..., A, A) received in noise plus interference R (..., A, A) (Hermitian PD),
    through the whitened C⁻¹ S C⁻ᴴ (R = C Cᴴ). Real (real-composite) matrices count ½ per
    real dimension: the complex rate for proper signals, a widely-linear receiver's otherwise."""
    chol = cholesky(noise_covariance, "Cholesky factorization of the noise-plus-interference")
    white = torch.linalg.solve_triangular(chol, signal_covariance, upper=False)
    white = torch.linalg.solve_triangular(chol, white.mH, upper=False)  # C⁻¹ S C⁻ᴴ
    _, logdet = torch.linalg.slogdet(identity_like(white) + white)
    per_dimension = 1.0 if white.is_complex() else 0.5
    return per_dimension * logdet.real / math.log(2.0)


def block_traces(matrix: Tensor, blocks: int) -> Tensor:
    """The traces of the ``blocks`` × ``blocks`` square blocks of (..., blocks·n, blocks·n)
    matrices, (..., blocks, blocks)."""
    n = matrix.shape[-1] // blocks
    tiled = matrix.unflatten(-2, (blocks, n)).unflatten(-1, (blocks, n))  # (..., b, n, b, n)
    return torch.diagonal(tiled, dim1=-3, dim2=-1).sum(-1)


def expected_congruence(matrix: Tensor, uses: int, size: int, *, real_composite: bool) -> Tensor:
    """E[Δ X Δᴴ] for Δ = I_uses ⊗ Δ̄, Δ̄ with i.i.d. CN(0, 1) entries and ``size`` rows: what
    a matrix X (..., uses·c, uses·c) becomes through an unknown channel of unit-variance
    entries, (..., uses·size, uses·size); its (k, k') block is tr(X_kk') I. (Δ̄ with size
    columns gives E[Δᴴ X Δ] the same way, and entries of variance ε scale it by ε.)

    ``real_composite``: X and Δ in real-composite form (each use's rows and columns split
    into real and imaginary halves, :func:`~semgym.core.real_composite`; ``size`` counts the
    rows of one half); then with T the traces of the halves' blocks and J = [[0, −1], [1, 0]]
    on every use, the result is ½(T + J T Jᵀ) ⊗ I, the expectation over the real composite
    of a complex Δ̄ (E[Re²] = E[Im²] = ½).
    """
    if not real_composite:
        traces = block_traces(matrix, uses)
    else:
        halves = block_traces(matrix, 2 * uses)  # (..., 2·uses, 2·uses)
        j = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=matrix.dtype, device=matrix.device)
        rotation = torch.kron(torch.eye(uses, dtype=matrix.dtype, device=matrix.device), j)
        traces = 0.5 * (halves + rotation @ halves @ rotation.mT)
    eye = torch.eye(size, dtype=matrix.dtype, device=matrix.device)
    return torch.kron(traces, eye)


def effective_channel_modes(effective: Tensor, descending: bool = True) -> tuple[Tensor, Tensor]:
    """Eigen-decomposition R_H = V Λ Vᴴ with λ clamped at 0, descending (or, with
    ``descending=False``, ascending, which saves reordering V).

    Reads the lower triangle of ``effective`` (Hermitian up to round-off is enough).
    Returns (λ (..., B) real, V (..., B, B)).
    """
    eigenvalues, eigenvectors = hermitian_eigh(effective)
    if not descending:
        return eigenvalues.clamp_min(0.0), eigenvectors
    return eigenvalues.flip(-1).clamp_min(0.0), eigenvectors.flip(-1)
