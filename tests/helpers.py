"""Random instances for the core tests (float64 / complex128)."""

from __future__ import annotations

import torch

CDTYPE = torch.complex128


def crandn(*shape: int, gen: torch.Generator) -> torch.Tensor:
    return (
        torch.randn(*shape, 2, dtype=torch.float64, generator=gen)
        .mul(0.5**0.5)
        .contiguous()
        .view(torch.complex128)
        .squeeze(-1)
    )


def random_pair(n: int, dx: int, dy: int, *, gen: torch.Generator, noise: float = 0.3):
    """Whitened tx symbols (n, dx), centered rx targets (n, dy) linearly related plus noise."""
    from semgym.core import fit_whitener

    raw_x = crandn(n, dx, gen=gen) @ crandn(dx, dx, gen=gen) + 2.0
    mix = crandn(dx, dy, gen=gen)
    raw_y = raw_x @ mix + noise * crandn(n, dy, gen=gen)
    x = fit_whitener(raw_x, jitter=0.0).apply(raw_x)
    y = fit_whitener(raw_y, whiten=False).apply(raw_y)
    return x, y


def random_hpd(*shape: int, size: int, gen: torch.Generator, floor: float = 0.1):
    a = crandn(*shape, size, size, gen=gen)
    return a @ a.mH + floor * torch.eye(size, dtype=CDTYPE)
