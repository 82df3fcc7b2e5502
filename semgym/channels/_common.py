"""Helpers shared by the channel modules: seeding, CN(0, 1) draws and tensor checks."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import torch

from semgym._validation import check_positive_int

#: What ``seed=`` accepts everywhere in :mod:`semgym.channels`.
Seed = int | Sequence[int] | torch.Generator | None

_COMPLEX_DTYPES = (torch.complex64, torch.complex128)


def check_complex_dtype(dtype: torch.dtype) -> torch.dtype:
    """Return ``dtype`` if it is complex64 or complex128, else raise ``ValueError``."""
    if dtype not in _COMPLEX_DTYPES:
        raise ValueError(f"dtype must be torch.complex64 or torch.complex128, got {dtype!r}")
    return dtype


def real_dtype(dtype: torch.dtype) -> torch.dtype:
    """The real dtype of the same precision as complex ``dtype``."""
    return torch.float32 if dtype == torch.complex64 else torch.float64


def as_float64(name: str, value: object) -> torch.Tensor:
    """``value`` (number, sequence, array or tensor) as a float64 CPU tensor, finite or raise."""
    try:
        t = torch.as_tensor(value, dtype=torch.float64, device="cpu")
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"{name} must be real numbers, got {value!r}") from err
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return t


def check_positive_tensor(name: str, value: object) -> torch.Tensor:
    """``value`` as a float64 CPU tensor whose entries are all finite and > 0."""
    t = as_float64(name, value)
    if not bool((t > 0).all()):
        raise ValueError(f"{name} must be > 0 everywhere, got {value!r}")
    return t


def resolve_batch(seed: Seed, batch_size: int | None) -> int:
    """Batch size implied by ``batch_size`` and ``seed`` (a seed sequence fixes it)."""
    if isinstance(seed, Sequence):
        if len(seed) == 0:
            raise ValueError("seed must be a non-empty sequence of integers, got []")
        if batch_size is not None and batch_size != len(seed):
            raise ValueError(
                f"batch_size must equal len(seed) = {len(seed)} when seed is a sequence, "
                f"got {batch_size!r}"
            )
        return len(seed)
    return 1 if batch_size is None else check_positive_int("batch_size", batch_size)


def _generator(seed: object) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (any non-negative integer, numpy ints included)."""
    try:
        value = operator.index(seed)  # type: ignore[arg-type]
    except TypeError:
        value = -1
    if isinstance(seed, bool) or value < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return torch.Generator(device="cpu").manual_seed(value)


def standard_complex_normal(shape: Sequence[int], seed: Seed, batch_size: int) -> torch.Tensor:
    """``(batch_size, *shape)`` complex128 CPU tensor of i.i.d. CN(0, 1) entries.

    Each entry is ``(a + j b) / √2`` with ``a, b ~ N(0, 1)``, so ``E|h|² = 1`` and
    ``E[h²] = 0`` (circular). Drawn in float64 on CPU whatever the target dtype or
    device, so complex64/complex128 and CPU/CUDA results agree up to rounding.

    ``seed``: ``None`` (fresh entropy), an ``int`` (one generator for the whole batch),
    a sequence of ``batch_size`` ints (item ``b`` drawn from its own generator seeded
    with ``seed[b]``, so it equals a single draw with that seed), or a
    ``torch.Generator`` (CPU; advanced in place).
    """
    full = (batch_size, *shape, 2)
    if isinstance(seed, torch.Generator):
        if seed.device.type != "cpu":
            raise ValueError(f"seed generator must live on the CPU, got {seed.device}")
        gaussian = torch.randn(full, generator=seed, dtype=torch.float64)
    elif isinstance(seed, Sequence):
        gaussian = torch.stack(
            [torch.randn(full[1:], generator=_generator(s), dtype=torch.float64) for s in seed]
        )
    else:
        if seed is None:
            gen = torch.Generator(device="cpu")
            gen.seed()
        else:
            gen = _generator(seed)
        gaussian = torch.randn(full, generator=gen, dtype=torch.float64)
    return torch.view_as_complex(gaussian) / math.sqrt(2.0)
