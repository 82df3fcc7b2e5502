"""Shared pieces of the interference environments: latent pairs (prepared once) and primaries."""

from __future__ import annotations

import functools

import torch

from semgym import core
from semgym.channels import InterferenceChannelConfig
from semgym.channels.pathloss import path_gain
from semgym.latents import LatentBank, load_bank, paper_links
from semgym.solvers import PrimaryUsers

_REAL = torch.float64


@functools.lru_cache(maxsize=8)
def cached_bank(name: str) -> LatentBank:
    """The latent bank ``name``, loaded once per process."""
    return load_bank(name)


@functools.lru_cache(maxsize=64)
def cached_pair(bank_name: str, tx: str, rx: str) -> tuple[core.SemanticPair, torch.Tensor]:
    """Semantic statistics of a latent pair (train split) and its whitened test symbols.

    Computed once per (bank, tx, rx) and shared by every episode (SPEC §8)."""
    bank = cached_bank(bank_name)
    pair = core.prepare_pair(
        torch.as_tensor(bank.train(tx), dtype=_REAL), torch.as_tensor(bank.train(rx), dtype=_REAL)
    )
    return pair, pair.tx_symbols(torch.as_tensor(bank.test(tx), dtype=_REAL))


def link_encoders(
    bank_name: str, n_links: int, tx_encoders: list[str] | None, rx_encoders: list[str] | None
) -> list[tuple[str, str]]:
    """(tx, rx) encoder names per link: given ones, else the bank's paper links cycled."""
    bank = cached_bank(bank_name)
    default = paper_links(bank)
    tx = (
        list(tx_encoders)
        if tx_encoders is not None
        else [default[i % 3][0] for i in range(n_links)]
    )
    rx = (
        list(rx_encoders)
        if rx_encoders is not None
        else [default[i % 3][1] for i in range(n_links)]
    )
    for name, names in (("tx_encoders", tx), ("rx_encoders", rx)):
        if len(names) != n_links:
            raise ValueError(f"{name} must name one encoder per link ({n_links}), got {len(names)}")
        for enc in names:
            if enc not in bank.encoders:
                raise ValueError(
                    f"unknown encoder {enc!r} in {name}; bank {bank_name!r} has "
                    f"{', '.join(bank.encoders)}"
                )
    return list(zip(tx, rx, strict=True))


def make_primaries(
    config: InterferenceChannelConfig,
    n_primaries: int,
    cap_fraction: float,
    noise_power: float,
    seed: int,
) -> PrimaryUsers | None:
    """Primary users at the far end of the line (documented in the env manual).

    Primary links are Rayleigh with the secondary links' direct gain; primary ↔ secondary cross
    links have the path gain of one transmitter spacing α·d₀ (a neighbour on the line). The
    cap I_max is ``cap_fraction`` times the interference a primary would receive from all
    secondaries at full, isotropic power.
    """
    if n_primaries == 0:
        return None
    direct = float(path_gain(config.link_distance_m, config.carrier_hz, config.pathloss_exponent))
    cross = float(
        path_gain(
            config.alpha * config.link_distance_m, config.carrier_hz, config.pathloss_exponent
        )
    )
    isotropic = config.n_links * cross * config.tx_power_w * config.n_rx_antennas
    return PrimaryUsers.synthetic(
        1,
        config.n_links,
        n_primaries,
        config.n_tx_antennas,
        config.n_rx_antennas,
        gain=direct,
        cross_gain=cross,
        noise_power=noise_power,
        tx_power_w=config.tx_power_w,
        interference_cap_w=cap_fraction * isotropic,
        seed=seed,
    )
