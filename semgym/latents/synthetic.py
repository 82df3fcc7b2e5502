"""Synthetic latent banks: Gaussian transmitter/receiver pairs with controllable mismatch.

Model (one class label ``y`` per sample, ``rank`` shared semantic factors ``z``)::

    z  = μ_y + ε,                ε ~ N(0, I_rank),  μ_y ~ N(0, class_sep² I_rank)
    tx = B z + σ_tx n_tx,        B: (tx_dim, rank) with orthonormal columns, σ_tx = 0.1
    rx = A tx + mismatch · s · n_rx,   A = U diag(a) Bᵀ of rank ``rank``

so the tx→rx map is linear of rank ``rank`` (the cross-covariance ``P`` has rank
``rank``), the class information lives in the shared factors and survives the map,
and ``mismatch`` is the std of the receiver noise relative to the mean per-dimension
std ``s`` of ``A tx`` (0 = ``rx`` is an exact linear function of ``tx``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from semgym._validation import check_positive, check_positive_int
from semgym.latents.bank import FORMAT_VERSION, LatentBank, make_bank
from semgym.latents.split import stratified_split

TX_ENCODER = "tx"
RX_ENCODER = "rx"


def synthetic_bank(
    n_samples: int = 2000,
    tx_dim: int = 256,
    rx_dim: int = 192,
    rank: int = 32,
    mismatch: float = 0.1,
    n_classes: int = 10,
    seed: int = 0,
    *,
    class_sep: float = 3.0,
    test_fraction: float = 0.2,
) -> LatentBank:
    """Gaussian bank with encoders ``"tx"`` ``(n, tx_dim)`` and ``"rx"`` ``(n, rx_dim)``.

    Args:
        n_samples: number of samples (>= 5 per class).
        tx_dim: transmitter latent width (>= 1).
        rx_dim: receiver latent width (>= 1).
        rank: rank of the linear tx→rx map, ``1 <= rank <= min(tx_dim, rx_dim)``.
        mismatch: receiver noise std relative to the signal std (>= 0).
        n_classes: number of classes (>= 2).
        seed: random seed; same arguments, same bank.
        class_sep: std of the class means in units of the within-class std (> 0).
        test_fraction: fraction of each class in the test split, in (0, 1).
    """
    n_samples = check_positive_int("n_samples", n_samples)
    tx_dim = check_positive_int("tx_dim", tx_dim)
    rx_dim = check_positive_int("rx_dim", rx_dim)
    rank = check_positive_int("rank", rank)
    n_classes = check_positive_int("n_classes", n_classes, minimum=2)
    mismatch = check_positive("mismatch", mismatch, allow_zero=True)
    class_sep = check_positive("class_sep", class_sep)
    seed = check_positive_int("seed", seed, minimum=0)
    if rank > min(tx_dim, rx_dim):
        raise ValueError(
            f"rank must be in 1..min(tx_dim, rx_dim)={min(tx_dim, rx_dim)}, got {rank}"
        )
    if n_samples < 5 * n_classes:
        raise ValueError(f"n_samples must be >= 5 * n_classes = {5 * n_classes}, got {n_samples}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")

    rng = np.random.default_rng(seed)
    labels = np.arange(n_samples) % n_classes
    rng.shuffle(labels)
    means = class_sep * rng.standard_normal((n_classes, rank))
    factors = means[labels] + rng.standard_normal((n_samples, rank))
    basis = np.linalg.qr(rng.standard_normal((tx_dim, rank)))[0]  # B, orthonormal columns
    tx = factors @ basis.T + 0.1 * rng.standard_normal((n_samples, tx_dim))
    out_basis = np.linalg.qr(rng.standard_normal((rx_dim, rank)))[0]  # U
    gains = np.exp(rng.uniform(-1.0, 1.0, rank))  # a: spread singular values
    mapping = (out_basis * gains) @ basis.T  # A = U diag(a) Bᵀ, (rx_dim, tx_dim)
    signal = tx @ mapping.T
    scale = float(np.sqrt(np.mean(signal.var(axis=0))))
    rx = signal + mismatch * scale * rng.standard_normal((n_samples, rx_dim))
    train, test = stratified_split(labels, test_fraction=test_fraction, seed=seed)
    options: dict[str, Any] = {
        "n_samples": n_samples,
        "tx_dim": tx_dim,
        "rx_dim": rx_dim,
        "rank": rank,
        "mismatch": mismatch,
        "n_classes": n_classes,
        "seed": seed,
        "class_sep": class_sep,
        "test_fraction": test_fraction,
    }
    meta = {
        "dataset": "synthetic Gaussian (class-conditional shared factors)",
        "format_version": FORMAT_VERSION,
        "options": options,
        "encoders_info": {
            TX_ENCODER: {"kind": "synthetic", "width": tx_dim},
            RX_ENCODER: {"kind": "synthetic", "width": rx_dim, "rank": rank},
        },
    }
    return make_bank(
        "synthetic",
        {TX_ENCODER: tx, RX_ENCODER: rx},
        labels,
        train,
        test,
        meta=meta,
    )
