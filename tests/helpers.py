"""What several test modules share: random instances (float64 / complex128) and checks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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


def related_latents(
    n: int, d: int, widths: list[int], seed: int
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """A transmitter's latents (n, d) and receivers' (n, m) for each m in ``widths``, linearly
    related to them plus noise (float64, seeded)."""
    gen = torch.Generator().manual_seed(seed)
    base = torch.randn(n, d, dtype=torch.float64, generator=gen)
    receivers = [
        base @ torch.randn(d, m, dtype=torch.float64, generator=gen)
        + 0.5 * torch.randn(n, m, dtype=torch.float64, generator=gen)
        for m in widths
    ]
    return base @ torch.randn(d, d, dtype=torch.float64, generator=gen), receivers


def made_vector_env(env_id: str, cls: type, num_envs: int, **kwargs: object) -> tuple:
    """``gym.make_vec(env_id, vectorization_mode="vector_entry_point")`` checked to be a ``cls``
    whose reset gives float32 observations inside its observation space; returns (env,
    observations, infos)."""
    import gymnasium as gym

    venv = gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )
    assert isinstance(venv, cls)
    obs, infos = venv.reset(seed=3)
    assert obs.shape == venv.observation_space.shape and obs.dtype == torch.float32
    assert venv.observation_space.contains(obs.numpy())
    return venv, obs, infos


@contextlib.contextmanager
def no_host_reads(monkeypatch) -> Iterator[None]:
    """The accelerator path (device-side checks) with every way of reading a tensor on the
    host (.item(), bool(), .cpu(), .numpy(), .tolist(), float(), int()) raising inside."""
    from semgym._runtime import device_side_checks

    def forbidden(*args, **kwargs):
        raise AssertionError("a tensor was read on the host during step()")

    with device_side_checks(), monkeypatch.context() as patch:
        for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__"):
            patch.setattr(torch.Tensor, name, forbidden)
        yield
