"""Simulation of latent symbols through precoders, the interference channel, noise and G."""

from __future__ import annotations

import torch
from torch import Tensor


def complex_gaussian(
    shape: tuple[int, ...],
    power: Tensor | float,
    *,
    dtype: torch.dtype = torch.complex128,
    device: torch.device | str | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """CN(0, power) samples of ``shape``; ``power`` broadcasts against ``shape`` (W)."""
    real_dtype = torch.empty((), dtype=dtype).real.dtype
    parts = torch.randn((*shape, 2), dtype=real_dtype, generator=generator, device="cpu")
    samples = torch.view_as_complex(parts).to(device)
    scale = torch.as_tensor(power, dtype=real_dtype, device=samples.device).sqrt()
    return samples * scale / 2**0.5


def transmit(
    tx_symbols: Tensor,
    channels: Tensor,
    noise_power: Tensor | float,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Received signals r_l = Σ_j H_{j,l} s_j + v_l with v_l ~ CN(0, σ² I).

    ``tx_symbols`` s_j = F_j x_j are (..., L, n, B) (samples are rows), ``channels``
    (..., L, L, A, B) stacked as [tx j, rx l]; returns (..., L, n, A). Noise is drawn on the
    CPU from ``generator`` so CPU and CUDA runs see the same noise.
    """
    received = torch.einsum("...jlab,...jnb->...lna", channels, tx_symbols)
    sigma2 = torch.as_tensor(noise_power, dtype=received.real.dtype, device=received.device)
    noise = complex_gaussian(
        tuple(received.shape), 1.0, dtype=received.dtype, generator=generator
    ).to(received.device)
    return received + noise * sigma2.sqrt()[..., None, None, None]
