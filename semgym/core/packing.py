"""Real ↔ complex packing of latent vectors (both papers, §II) and the real-composite form.

A real latent s ∈ R^d (zero-padded to even d) becomes x = s[:d/2] + j·s[d/2:] ∈ C^{d/2};
the receiver inverts it. Complex-linear maps of x (the papers' linear processing) are the real
maps of s of the form [[A, −B], [B, A]]; widely-linear processing allows any real map of the
real-composite vector, which is why a complex channel A enters it as
:func:`real_composite` (A) = [[Re A, −Im A], [Im A, Re A]].
"""

from __future__ import annotations

import torch
from torch import Tensor


def complex_dim(real_dim: int) -> int:
    """Number of complex symbols, ⌈d/2⌉, that carry a real latent of width ``real_dim``."""
    if real_dim < 1:
        raise ValueError(f"real_dim must be >= 1, got {real_dim}")
    return (real_dim + 1) // 2


def real_to_complex(latents: Tensor) -> Tensor:
    """Pack real latents (..., d) into complex symbols (..., ⌈d/2⌉); odd d is zero-padded.

    float32 → complex64, float64 → complex128.
    """
    if latents.is_complex():
        raise ValueError("real_to_complex expects a real tensor, got a complex one")
    d = latents.shape[-1]
    half = complex_dim(d)
    if d % 2:
        latents = torch.nn.functional.pad(latents, (0, 1))
    return torch.complex(latents[..., :half], latents[..., half:])


def complex_to_real(symbols: Tensor, real_dim: int) -> Tensor:
    """Unpack complex symbols (..., ⌈d/2⌉) into real latents (..., d) (drops the padding)."""
    if complex_dim(real_dim) != symbols.shape[-1]:
        raise ValueError(
            f"real_dim {real_dim} needs {complex_dim(real_dim)} complex symbols, "
            f"got {symbols.shape[-1]}"
        )
    return torch.cat([symbols.real, symbols.imag], dim=-1)[..., :real_dim]


def real_composite(matrix: Tensor) -> Tensor:
    """[[Re A, −Im A], [Im A, Re A]], (..., 2n, 2m) real, of complex (..., n, m) matrices A: the
    real map of [Re v; Im v] ↦ [Re(A v); Im(A v)] (so products and adjoints carry over:
    real_composite(A B) = real_composite(A) real_composite(B), real_composite(Aᴴ) its transpose)."""
    if not matrix.is_complex():
        raise ValueError("real_composite expects a complex tensor, got a real one")
    top = torch.cat([matrix.real, -matrix.imag], dim=-1)
    bottom = torch.cat([matrix.imag, matrix.real], dim=-1)
    return torch.cat([top, bottom], dim=-2)
