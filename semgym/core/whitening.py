"""Centering and whitening of latent samples, and its inverse (https://semgym.readthedocs.io/en/latest/design/).

Samples are rows: ``x`` has shape (..., n, d). The transmitter's symbols are centered and
whitened with the Cholesky factor of their sample covariance, so that X Xᴴ/n = I (A0 in the
interference paper); the receiver's targets are centered (optionally whitened) and the
receiver undoes that before its task head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from semgym._runtime import broadcast_shapes
from semgym.core.linalg import hermitian_part, identity_like

#: Relative ridge added to a sample covariance before its Cholesky factorization, as a
#: fraction of its mean eigenvalue: keeps rank-deficient latents (dead ReLUs, n < d) finite.
DEFAULT_JITTER = 1e-6


@dataclass(frozen=True)
class Whitener:
    """An affine map z = L⁻¹(x − mean) fitted on samples, and its inverse x = L z + mean.

    Attributes:
        mean: (..., d) sample mean (zeros when not centering).
        factor: (..., d, d) lower-triangular L with L Lᴴ = covariance (+ ridge); the identity
            when not whitening.
        identity: ``factor`` is the identity (centering only): :meth:`apply` and
            :meth:`invert` skip the d × d product (the same result, without O(n·d²) work).
    """

    mean: Tensor
    factor: Tensor
    identity: bool = False

    def apply(self, samples: Tensor) -> Tensor:
        """Centered, whitened samples (..., n, d)."""
        centered = samples - self.mean.unsqueeze(-2)
        if self.identity:
            batch = broadcast_shapes(centered.shape[:-2], self.factor.shape[:-2])
            return centered.expand(*batch, *centered.shape[-2:])
        return torch.linalg.solve_triangular(self.factor, centered.mT, upper=False).mT

    def invert(self, whitened: Tensor) -> Tensor:
        """Samples (..., n, d) in the original coordinates."""
        if self.identity:
            return whitened + self.mean.unsqueeze(-2)
        return whitened @ self.factor.mT + self.mean.unsqueeze(-2)


def sample_covariance(samples: Tensor) -> Tensor:
    """Covariance normalized by n, X Xᴴ/n with X = samplesᵀ: (..., n, d) → (..., d, d)."""
    n = samples.shape[-2]
    return hermitian_part(samples.mT @ samples.conj() / n)


def proper_part(covariance: Tensor) -> Tensor:
    """C + J C Jᵀ of real-composite covariances C (..., 2h, 2h) of [a; b] = [Re x; Im x], with
    J = [[0, −I], [I, 0]]: the real composite [[Re Σ, −Im Σ], [Im Σ, Re Σ]] of the complex
    covariance Σ = E[x xᴴ] (what complex-linear processing sees of the samples)."""
    h = covariance.shape[-1] // 2
    aa, ab = covariance[..., :h, :h], covariance[..., :h, h:]
    ba, bb = covariance[..., h:, :h], covariance[..., h:, h:]
    top = torch.cat([aa + bb, ab - ba], -1)  # [Re Σ, −Im Σ]
    bottom = torch.cat([ba - ab, aa + bb], -1)  # [Im Σ, Re Σ]
    return torch.cat([top, bottom], -2)


def fit_whitener(
    samples: Tensor,
    *,
    center: bool = True,
    whiten: bool = True,
    jitter: float = DEFAULT_JITTER,
    proper: bool = False,
) -> Whitener:
    """Fit centering/whitening on samples (..., n, d) (real or complex).

    ``jitter`` is a ridge relative to the mean eigenvalue of the covariance (0 disables it);
    with it, whitened samples have covariance I up to that ridge. ``proper`` (real-composite
    samples of even width): whiten with :func:`proper_part` of their covariance, i.e. the same
    metric as complex whitening of the packed samples (whitened samples then have covariance
    I only when they are proper).
    """
    if samples.dim() < 2 or samples.shape[-2] < 2:
        raise ValueError(f"need samples of shape (..., n >= 2, d), got {tuple(samples.shape)}")
    if not bool(
        torch.isfinite(torch.view_as_real(samples) if samples.is_complex() else samples).all()
    ):
        raise ValueError("samples contain NaN or inf")
    mean = samples.mean(-2) if center else torch.zeros_like(samples[..., 0, :])
    d = samples.shape[-1]
    if not whiten:
        eye = torch.eye(d, dtype=samples.dtype, device=samples.device)
        return Whitener(mean, eye.expand(*samples.shape[:-2], d, d), identity=True)
    cov = sample_covariance(samples - mean.unsqueeze(-2))
    if proper:
        if samples.is_complex() or d % 2:
            raise ValueError("proper whitening needs real-composite samples of even width")
        cov = proper_part(cov)
    scale = (
        torch.diagonal(cov, dim1=-2, dim2=-1)
        .real.mean(-1)
        .clamp_min(torch.finfo(cov.real.dtype).tiny)
    )
    ridge = (jitter * scale)[..., None, None] * identity_like(cov)
    return Whitener(mean, torch.linalg.cholesky(cov + ridge))
