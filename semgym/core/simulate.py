"""Simulation of latent symbols through precoders, the interference channel, noise and G."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def gaussian(
    shape: tuple[int, ...],
    power: Tensor | float,
    *,
    dtype: torch.dtype = torch.complex128,
    device: torch.device | str | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Gaussian samples of ``shape`` with E|z|² = ``power`` (W; broadcasts against ``shape``):
    circularly symmetric CN(0, power) for a complex ``dtype``, N(0, power) for a real one.
    Drawn on the CPU from ``generator`` (same numbers on every device), then moved."""
    real_dtype = torch.empty((), dtype=dtype).real.dtype
    if dtype.is_complex:
        parts = torch.randn((*shape, 2), dtype=real_dtype, generator=generator, device="cpu")
        samples = torch.view_as_complex(parts) / 2**0.5
    else:
        samples = torch.randn(shape, dtype=real_dtype, generator=generator, device="cpu")
    samples = samples.to(device)
    return samples * torch.as_tensor(power, dtype=real_dtype, device=samples.device).sqrt()


def _unit_noise(like: Tensor, generator: torch.Generator | None) -> Tensor:
    """Unit-power Gaussian noise shaped, typed and placed like ``like`` (see :func:`gaussian`)."""
    return gaussian(
        tuple(like.shape), 1.0, dtype=like.dtype, device=like.device, generator=generator
    )


def transmit(
    tx_symbols: Tensor,
    channels: Tensor,
    noise_power: Tensor | float,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Received signals r_l = Σ_j H_{j,l} s_j + v_l with v_l ~ CN(0, σ_l² I) (N(0, σ_l² I) for
    real, real-composite tensors).

    ``tx_symbols`` s_j = F_j x_j are (..., L, n, B) (samples are rows), ``channels``
    (..., L, L, A, B) stacked as [tx j, rx l], ``noise_power`` σ_l² (W) a float or a tensor
    broadcastable to (..., L) (one per receiver); returns (..., L, n, A). Noise is drawn on the
    CPU from ``generator`` so CPU and CUDA runs see the same noise.
    """
    received = torch.einsum("...jlab,...jnb->...lna", channels, tx_symbols)
    sigma2 = torch.as_tensor(noise_power, dtype=received.real.dtype, device=received.device)
    sigma2 = sigma2.expand(received.shape[:-2])
    noise = _unit_noise(received, generator)
    return received + noise * sigma2.sqrt()[..., None, None]


def simulate_network(
    tx_symbols: Sequence[Tensor],
    precoders: Sequence[Tensor],
    channels: Tensor,
    noise_power: Tensor | float,
    equalizers: Sequence[Tensor],
    *,
    extra_noise_covariance: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> list[Tensor]:
    """Every receiver's estimate ŷ_l = G_l(Σ_j H_{j,l} F_j x_j + v_l) of its own samples.

    ``tx_symbols[l]`` (n, d_x,l) are link l's whitened symbols, ``precoders[l]`` F_l
    (B, d_x,l), ``channels`` (L, L, A, B) dense H_{j,l}, ``noise_power`` σ_l² (W) a float or
    (L,) per receiver, ``equalizers[l]`` G_l (d_y,l, A).
    Each link sends its n samples in its own random order (drawn from ``generator``), so the
    interference a receiver sees is independent of its own sample (assumption A1); estimates
    are returned in each link's original sample order, (n, d_y,l) per link.
    ``extra_noise_covariance`` (L, A, A) adds Gaussian interference from outside the links
    (e.g. primary users' signals) at each receiver.
    """
    n_links = len(tx_symbols)
    if not n_links == len(precoders) == len(equalizers) == channels.shape[-4]:
        raise ValueError("need one tx symbol set, precoder and equalizer per link")
    n = tx_symbols[0].shape[-2]
    if any(x.shape[-2] != n for x in tx_symbols):
        raise ValueError("every link must send the same number of samples")
    orders = [torch.randperm(n, generator=generator).to(channels.device) for _ in range(n_links)]
    sent = torch.stack(
        [(x[o] @ f.mT) for x, f, o in zip(tx_symbols, precoders, orders, strict=True)]
    )
    received = transmit(sent, channels, noise_power, generator=generator)
    if extra_noise_covariance is not None:
        chol = torch.linalg.cholesky(
            extra_noise_covariance
            + 1e-30 * torch.eye(received.shape[-1], dtype=received.dtype, device=received.device)
        )
        white = _unit_noise(received, generator)
        received = received + white @ chol.mT
    estimates = []
    for l_idx in range(n_links):
        est = received[l_idx] @ equalizers[l_idx].mT
        estimates.append(torch.empty_like(est).index_copy_(0, orders[l_idx], est))
    return estimates
