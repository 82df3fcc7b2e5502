"""Semantic statistics of a latent pair, computed once per pair and reused.

With whitened transmitter symbols x (R_x = X Xᴴ/n = I) and centered receiver targets y:
P = Y Xᴴ/n (cross-covariance), R_y = Y Yᴴ/n, P = U Σ Qᴴ (SVD). The semantic weights of the
M transmit modes are w_m = σ̃_m² (zero beyond rank(P)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from semgym.core.linalg import real_trace
from semgym.core.packing import complex_to_real, real_to_complex
from semgym.core.whitening import Whitener, fit_whitener, sample_covariance


@dataclass(frozen=True)
class SemanticStatistics:
    """Statistics of one latent pair (or a batch of pairs with equal widths).

    Attributes:
        cross_covariance: P, (..., d_y, d_x) complex.
        target_covariance: R_y, (..., d_y, d_y) complex.
        singular_values: σ of P, (..., min(d_x, d_y)) real, descending.
        right_vectors: all d_x right singular vectors Q of P, (..., d_x, d_x), ordered like σ.
        target_energy: tr(R_y), (...) real — the MSE of predicting zero (NMSE = MSE/tr(R_y)).
        aligned_energy: tr(P Pᴴ) = Σ σ², (...) real.
        cross_gram: C = Pᴴ P, (..., d_x, d_x): all the MSE of any precoder needs of P
            (:func:`~semgym.core.alignment_mse`).
    """

    cross_covariance: Tensor
    target_covariance: Tensor
    singular_values: Tensor
    right_vectors: Tensor
    target_energy: Tensor
    aligned_energy: Tensor
    cross_gram: Tensor

    @property
    def real_dtype(self) -> torch.dtype:
        """Real dtype matching the statistics (float32 for complex64)."""
        return self.target_energy.dtype

    @property
    def tx_dim(self) -> int:
        """d_x: complex width of the transmitter symbols."""
        return self.cross_covariance.shape[-1]

    @property
    def rx_dim(self) -> int:
        """d_y: complex width of the receiver targets."""
        return self.cross_covariance.shape[-2]

    def semantic_weights(self, n_modes: int) -> Tensor:
        """w_m = σ̃_m² for the first ``n_modes`` = K·N_T modes, (..., n_modes), zero past rank."""
        check_mode_count(n_modes, self.tx_dim)
        w = self.singular_values.square()
        if w.shape[-1] >= n_modes:
            return w[..., :n_modes]
        return torch.nn.functional.pad(w, (0, n_modes - w.shape[-1]))

    def semantic_directions(self, n_modes: int) -> Tensor:
        """Q̃: the first ``n_modes`` right singular vectors of P, (..., d_x, n_modes)."""
        check_mode_count(n_modes, self.tx_dim)
        return self.right_vectors[..., :n_modes]


def check_mode_count(n_modes: int, tx_dim: int) -> None:
    """Raise ``ValueError`` unless 1 <= M <= d_x (the structured precoder needs it): M = K·N_T
    modes for d_x = d/2 complex symbols, or 2·K·N_T real modes for d_x = d widely-linear ones."""
    if not 1 <= n_modes <= tx_dim:
        raise ValueError(
            f"number of transmit modes K·N_T = {n_modes} must be in [1, d_x = {tx_dim}] "
            "(the transmitter's symbols); use fewer channel uses or antennas"
        )


def semantic_statistics(tx_symbols: Tensor, rx_targets: Tensor) -> SemanticStatistics:
    """Statistics from paired samples: tx (..., n, d_x) whitened, rx (..., n, d_y) centered."""
    if tx_symbols.shape[-2] != rx_targets.shape[-2]:
        raise ValueError(
            f"tx and rx need the same number of samples, got {tx_symbols.shape[-2]} "
            f"and {rx_targets.shape[-2]}"
        )
    n = tx_symbols.shape[-2]
    cross = rx_targets.mT @ tx_symbols.conj() / n
    target_cov = sample_covariance(rx_targets)
    _, sigma, vh = torch.linalg.svd(cross, full_matrices=True)
    return SemanticStatistics(
        cross_covariance=cross,
        target_covariance=target_cov,
        singular_values=sigma,
        right_vectors=vh.mH,
        target_energy=real_trace(target_cov),
        aligned_energy=sigma.square().sum(-1),
        cross_gram=cross.mH @ cross,
    )


def symbols(latents: Tensor, widely_linear: bool = False) -> Tensor:
    """The symbols of real latents (..., n, d): the packed x = s[:d/2] + j·s[d/2:] (..., ⌈d/2⌉)
    complex, or its real composite [Re x; Im x] (..., 2⌈d/2⌉) (widely linear: the latent itself,
    zero-padded to even width)."""
    packed = real_to_complex(latents)
    return torch.cat([packed.real, packed.imag], -1) if widely_linear else packed


@dataclass(frozen=True)
class SemanticPair:
    """A transmitter/receiver latent pair prepared once from real pilot latents.

    Attributes:
        tx_whitener: centering + whitening of the tx symbols (R_x = I).
        rx_whitener: centering (and whitening if asked) of the rx targets.
        stats: :class:`SemanticStatistics` of the prepared pilots.
        tx_real_dim, rx_real_dim: real latent widths d and m (before packing).
        widely_linear: False: the papers' packing into d/2 complex symbols (complex-linear
            processing); True: the real latents themselves are the symbols (real-composite
            form: any real-linear map, i.e. widely-linear processing of the packed symbols).
    """

    tx_whitener: Whitener
    rx_whitener: Whitener
    stats: SemanticStatistics
    tx_real_dim: int
    rx_real_dim: int
    widely_linear: bool = False

    def _symbols(self, latents: Tensor) -> Tensor:
        return symbols(latents.to(self.stats.real_dtype), self.widely_linear)

    def tx_symbols(self, tx_latents: Tensor) -> Tensor:
        """Real tx latents (..., n, d) → centered, whitened symbols (..., n, d_x): packed into
        d/2 complex symbols, or the d reals themselves when widely linear."""
        return self.tx_whitener.apply(self._symbols(tx_latents))

    def rx_targets(self, rx_latents: Tensor) -> Tensor:
        """Real rx latents (..., n, m) → centered targets (..., n, d_y), packed or real."""
        return self.rx_whitener.apply(self._symbols(rx_latents))

    def rx_latents(self, estimates: Tensor, *, dewhiten: bool = True) -> Tensor:
        """Estimated targets (..., n, d_y) → real receiver latents (..., n, m) for its task head
        (``dewhiten=False``: unpacked but left in the whitened coordinates, e.g. to show what a
        head makes of targets that were never de-whitened)."""
        latents = self.rx_whitener.invert(estimates) if dewhiten else estimates
        if self.widely_linear:
            return latents[..., : self.rx_real_dim]
        return complex_to_real(latents, self.rx_real_dim)


def prepare_pair(
    tx_latents: Tensor,
    rx_latents: Tensor,
    *,
    whiten_targets: bool = False,
    widely_linear: bool = False,
) -> SemanticPair:
    """Whiten and summarize real pilot latents tx (..., n, d) and rx (..., n, m): packed into
    complex symbols (float32 → complex64, float64 → complex128 statistics), or, with
    ``widely_linear``, in their real-composite form (:func:`symbols`; real statistics).

    Widely-linear targets are whitened (``whiten_targets``) with the proper part of their
    covariance, so their metric, hence the MSE and NMSE, equals the complex-whitened one of
    linear processing: only the transceivers change between the two."""
    if tx_latents.is_complex() or rx_latents.is_complex():
        raise ValueError("prepare_pair expects real latents; packing is done here")
    x_raw = symbols(tx_latents, widely_linear)
    y_raw = symbols(rx_latents, widely_linear)
    tx_whitener = fit_whitener(x_raw)
    rx_whitener = fit_whitener(
        y_raw, whiten=whiten_targets, proper=widely_linear and whiten_targets
    )
    x = tx_whitener.apply(x_raw)
    y = rx_whitener.apply(y_raw)
    return SemanticPair(
        tx_whitener,
        rx_whitener,
        semantic_statistics(x, y),
        tx_latents.shape[-1],
        rx_latents.shape[-1],
        widely_linear,
    )
