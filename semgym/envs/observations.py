"""What each env's agents observe, block by block (:mod:`semgym.envs.layout`).

Each block computes its values from the env's batch (:mod:`semgym.envs.batch`) after a reset
or step; the manuals' observation tables, the spaces, the model cards and the policies that
read blocks by name all come from these two declarations.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from semgym import core
from semgym.envs.layout import ObservationBlock, ObservationSpec, log_gain


# --- interference: one link's observation --------------------------------------------------------
def _link_log_inr(batch: Any) -> Tensor:
    """log10(1 + INR) per link, (B, L, 1)."""
    inr = batch.evaluation.mui_power * batch.inr_scale / batch.game.noise_power[:, None]
    return torch.log10(1.0 + inr).unsqueeze(-1)


INTERFERENCE_OBSERVATION = ObservationSpec(
    ObservationBlock(
        "log_gain",
        "M",
        "log10",
        "log10(λ_m · K·P_max): the link's effective-channel gains (eigenvalues of R_H,l), "
        "descending, floored at -30",
        lambda b: log_gain(b.evaluation.response.gains * b.budget),
    ),
    ObservationBlock(
        "weight_share",
        "M",
        "share of Σσ̃²",
        "semantic weights σ̃_m² / Σσ̃², descending",
        lambda b: b.weight_share,
    ),
    ObservationBlock(
        "power_share",
        "M",
        "share of K·P_max",
        "current power on semantic direction m, p_m / (K·P_max) (column energies of F in "
        "``precoder`` mode)",
        lambda b: b.direction_powers() / b.budget,
    ),
    ObservationBlock(
        "log_inr",
        "1",
        "log10",
        "log10(1 + INR): MUI power per receive antenna and channel use over σ²",
        _link_log_inr,
    ),
    ObservationBlock(
        "nmse",
        "1",
        "NMSE",
        "the link's current NMSE (1.0 = nothing conveyed)",
        lambda b: b.evaluation.nmse.unsqueeze(-1),
    ),
    ObservationBlock(
        "budget_use",
        "1",
        "share of K·P_max",
        "fraction of the budget in use, Σp / (K·P_max)",
        lambda b: (b.direction_powers().sum(-1) / b.budget).unsqueeze(-1),
    ),
    ObservationBlock(
        "log_price",
        "M",
        "log10",
        "log10(c_m · K·P_max): the interference price of mode m (Σ_m c_m p_m ≤ 1 keeps the "
        "link's share of every primary's cap), floored at -30",
        lambda b: log_gain(b.evaluation.response.costs * b.budget),
        when=lambda sizes: sizes["P"] > 0,
        condition="with primary users only",
    ),
    name="interference link",
    symbols={
        "M": "modes per link, K·N_T (2·K·N_T real modes when widely linear)",
    },
)


# --- broadcast: the access point's observation ---------------------------------------------------
def _energy_share(batch: Any) -> Tensor:
    """‖F q̃_m‖² / P_T on the pooled semantic directions, (B, M)."""
    directions = batch.pooled.directions.to(batch.precoder.dtype)
    return core.squared_magnitude(batch.precoder @ directions).sum(-2) / batch.budget


def _pooled_weight_share(batch: Any) -> Tensor:
    """w̄_m / Σw̄, (B, M)."""
    weights = batch.pooled.weights
    total = weights.sum().clamp_min(torch.finfo(batch.real_dtype).tiny)
    return (weights / total).expand(batch.batch_size, -1).to(batch.real_dtype)


BROADCAST_OBSERVATION = ObservationSpec(
    ObservationBlock(
        "log_gain",
        "M",
        "log10",
        "log10(λ̄_m · P_T): gains of the ``power`` modes, descending",
        lambda b: log_gain(b.pooled.gains * b.budget),
    ),
    ObservationBlock(
        "weight_share",
        "M",
        "share of Σw̄",
        "pooled semantic weights w̄_m / Σw̄, descending",
        _pooled_weight_share,
    ),
    ObservationBlock(
        "energy_share",
        "M",
        "share of P_T",
        "energy on the pooled directions, ‖F q̃_m‖² / P_T (= p_m / P_T in ``power`` mode)",
        _energy_share,
    ),
    ObservationBlock(
        "user_log_gain",
        "L·M",
        "log10",
        "per user (user-major), log10(λ_l,m · P_T), descending: eigenvalues of "
        "R_H,l = H_lᴴ H_l / σ_l²",
        lambda b: log_gain(b.pooled.user_gains * b.budget).flatten(-2),
    ),
    ObservationBlock(
        "user_nmse",
        "L",
        "NMSE",
        "each user's current NMSE (1.0 = nothing conveyed)",
        lambda b: b.evaluation.nmse,
    ),
    ObservationBlock(
        "network_nmse",
        "1",
        "NMSE",
        "network NMSE (mean over users)",
        lambda b: b.evaluation.network_nmse.unsqueeze(-1),
    ),
    ObservationBlock(
        "power_use",
        "1",
        "share of P_T",
        "power in use, tr(F Fᴴ) / P_T",
        lambda b: (b.evaluation.power / b.budget).unsqueeze(-1),
    ),
    name="access point",
    symbols={
        "M": "modes, K·N_T (2·K·N_T real modes when widely linear)",
        "L": "users",
    },
)
