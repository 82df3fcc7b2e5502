"""Channel-free latent-space alignment baselines.

The noiseless reference against which every channel-aware alignment is judged:
an affine map fitted by least squares from transmitter latents to receiver
latents on the same pilot samples (no channel, no power limit, no packing).
"""

from __future__ import annotations

import torch
from torch import Tensor


def least_squares_alignment(tx: Tensor, rx: Tensor) -> tuple[Tensor, Tensor]:
    """Affine least-squares fit ``rx ≈ tx @ weight.T + bias`` over the pilot samples.

    Args:
        tx: ``(..., n, d_tx)`` real transmitter latents (pilots), one row per sample.
        rx: ``(..., n, d_rx)`` real receiver latents of the same samples.

    Returns:
        ``weight`` ``(..., d_rx, d_tx)`` and ``bias`` ``(..., d_rx)``, same dtype and
        device as ``tx``. Leading dimensions are batch dimensions. The fit is done on
        centred data, so ``bias = mean(rx) - weight @ mean(tx)``; when ``n <= d_tx``
        the minimum-norm solution is returned on CPU (``gelsd``), while CUDA's only
        driver (``gels``) needs full column rank of the centred ``tx``.
    """
    if tx.ndim < 2 or rx.ndim < 2:
        raise ValueError(f"tx and rx must be (..., n, d), got {tuple(tx.shape)}, {tuple(rx.shape)}")
    if tx.shape[:-1] != rx.shape[:-1]:
        raise ValueError(
            f"tx and rx must have the same leading shape (..., n), got "
            f"{tuple(tx.shape[:-1])} and {tuple(rx.shape[:-1])}"
        )
    if tx.is_complex() or rx.is_complex():
        raise ValueError("least_squares_alignment expects real latents")
    rx = rx.to(dtype=tx.dtype, device=tx.device)
    tx_mean = tx.mean(dim=-2, keepdim=True)
    rx_mean = rx.mean(dim=-2, keepdim=True)
    driver = "gelsd" if tx.device.type == "cpu" else None
    solution = torch.linalg.lstsq(tx - tx_mean, rx - rx_mean, driver=driver).solution
    weight = solution.mT  # (..., d_rx, d_tx)
    bias = (rx_mean - tx_mean @ solution).squeeze(-2)
    return weight, bias
