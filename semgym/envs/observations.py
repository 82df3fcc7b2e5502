"""What each env's agents observe, block by block (:mod:`semgym.envs.layout`).

Each block computes its values from the env's batch (:mod:`semgym.envs.batch`) after a reset
or step; the manuals' observation tables, the spaces, the model cards and the policies that
read blocks by name all come from these two declarations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from semgym import core
from semgym.envs.layout import ObservationBlock, ObservationSpec, log_gain


# --- interference: one link's observation --------------------------------------------------------
def _link_log_gain(batch: Any) -> Tensor:
    """log10(λ_m · K·P_max), (B, L, M)."""
    return log_gain(batch.evaluation.response.gains * batch.budget)


def _link_weight_share(batch: Any) -> Tensor:
    """σ̃²/Σσ̃², (B, L, M)."""
    return batch.weight_share


def _link_power_share(batch: Any) -> Tensor:
    """p / (K·P_max), (B, L, M)."""
    return batch.direction_powers() / batch.budget


def _link_nmse(batch: Any) -> Tensor:
    """NMSE_l, (B, L, 1)."""
    return batch.evaluation.nmse.unsqueeze(-1)


def _link_budget_use(batch: Any) -> Tensor:
    """Σp / (K·P_max), (B, L, 1)."""
    return (batch.direction_powers().sum(-1) / batch.budget).unsqueeze(-1)


def _link_log_price(batch: Any) -> Tensor:
    """log10(c_m · K·P_max), (B, L, M)."""
    return log_gain(batch.evaluation.response.costs * batch.budget)


def _with_primaries(sizes: Mapping[str, int]) -> bool:
    """Whether the env has primary users."""
    return sizes["P"] > 0


def _link_log_mui_price(batch: Any) -> Tensor:
    """log10(c_m · K·P_max), (B, L, M)."""
    return log_gain(batch.announced_prices() * batch.budget)


def _with_prices(sizes: Mapping[str, int]) -> bool:
    """Whether the env's links observe the announced interference prices."""
    return bool(sizes.get("prices", 0))


def _log_inr(batch: Any, mui_power: Tensor) -> Tensor:
    """log10(1 + INR) per link, (B, L, 1), of the MUI power (B, L) W at every receiver."""
    inr = mui_power * batch.inr_scale / batch.game.noise_power[:, None]
    return torch.log10(1.0 + inr).unsqueeze(-1)


def _link_log_inr(batch: Any) -> Tensor:
    """log10(1 + INR) per link, (B, L, 1)."""
    return _log_inr(batch, batch.evaluation.mui_power)


def _link_previous_log_gain(batch: Any) -> Tensor:
    """log10(λ_m · K·P_max) one step earlier, (B, L, M)."""
    return log_gain(batch.previous_gains * batch.budget)


def _link_previous_log_inr(batch: Any) -> Tensor:
    """log10(1 + INR) one step earlier, (B, L, 1)."""
    return _log_inr(batch, batch.previous_mui_power)


def _with_previous(sizes: Mapping[str, int]) -> bool:
    """Whether the env's links observe their previous step's gains and INR."""
    return bool(sizes.get("previous", 0))


INTERFERENCE_OBSERVATION = ObservationSpec(
    ObservationBlock(
        "log_gain",
        "M",
        "log10",
        "log10(λ_m · K·P_max): the link's effective-channel gains (eigenvalues of R_H,l), "
        "descending, floored at -30",
        _link_log_gain,
    ),
    ObservationBlock(
        "weight_share",
        "M",
        "share of Σσ̃²",
        "semantic weights σ̃_m² / Σσ̃², descending",
        _link_weight_share,
    ),
    ObservationBlock(
        "power_share",
        "M",
        "share of K·P_max",
        "current power on semantic direction m, p_m / (K·P_max) (column energies of F in "
        "``precoder`` mode)",
        _link_power_share,
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
        _link_nmse,
    ),
    ObservationBlock(
        "budget_use",
        "1",
        "share of K·P_max",
        "fraction of the budget in use, Σp / (K·P_max)",
        _link_budget_use,
    ),
    ObservationBlock(
        "log_price",
        "M",
        "log10",
        "log10(c_m · K·P_max): the interference price of mode m (Σ_m c_m p_m ≤ 1 keeps the "
        "link's share of every primary's cap), floored at -30",
        _link_log_price,
        when=_with_primaries,
        condition="with primary users only",
    ),
    ObservationBlock(
        "log_mui_price",
        "M",
        "log10",
        "log10(c_m · K·P_max): the price of the MUI mode m causes, the other links' NMSE lost "
        "per watt on it (Σ_{l≠j} ∂NMSE_l/∂p_m, from what their receivers announced one step "
        "earlier) times tr(R_y)/Σσ̃², in the units of the weight shares; floored at -30",
        _link_log_mui_price,
        when=_with_prices,
        condition="with ``observe_prices=True``",
    ),
    ObservationBlock(
        "previous_log_gain",
        "M",
        "log10",
        "``log_gain`` as the link observed it one step earlier (at a reset, the same)",
        _link_previous_log_gain,
        when=_with_previous,
        condition="with ``observe_previous=True``",
    ),
    ObservationBlock(
        "previous_log_inr",
        "1",
        "log10",
        "``log_inr`` as the link observed it one step earlier (at a reset, the same)",
        _link_previous_log_inr,
        when=_with_previous,
        condition="with ``observe_previous=True``",
    ),
    name="interference link",
    symbols={
        "M": "modes per link, K·N_T (2·K·N_T real modes when widely linear)",
    },
)


# --- broadcast: the access point's observation ---------------------------------------------------
def _pooled_log_gain(batch: Any) -> Tensor:
    """log10(λ̄_m · P_T), (B, M)."""
    return log_gain(batch.pooled.gains * batch.budget)


def _user_log_gain(batch: Any) -> Tensor:
    """log10(λ_l,m · P_T) user-major, (B, L·M)."""
    return log_gain(batch.pooled.user_gains * batch.budget).flatten(-2)


def _user_nmse(batch: Any) -> Tensor:
    """NMSE_l, (B, L)."""
    return batch.evaluation.nmse


def _network_nmse(batch: Any) -> Tensor:
    """network NMSE, (B, 1)."""
    return batch.evaluation.network_nmse.unsqueeze(-1)


def _power_use(batch: Any) -> Tensor:
    """tr(F Fᴴ) / P_T, (B, 1)."""
    return (batch.evaluation.power / batch.budget).unsqueeze(-1)


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
        _pooled_log_gain,
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
        _user_log_gain,
    ),
    ObservationBlock(
        "user_nmse",
        "L",
        "NMSE",
        "each user's current NMSE (1.0 = nothing conveyed)",
        _user_nmse,
    ),
    ObservationBlock(
        "network_nmse",
        "1",
        "NMSE",
        "network NMSE (mean over users)",
        _network_nmse,
    ),
    ObservationBlock(
        "power_use",
        "1",
        "share of P_T",
        "power in use, tr(F Fᴴ) / P_T",
        _power_use,
    ),
    name="access point",
    symbols={
        "M": "modes, K·N_T (2·K·N_T real modes when widely linear)",
        "L": "users",
    },
)


def shared_controller_inputs(state: Tensor, links: int) -> Tensor:
    """[o_l, mean over j ≠ l of o_j] of every link, (…, L, 2D), from a state (…, L·D) of L ≥ 2
    links: what a central controller whose MLP is shared by the links sees for link l."""
    x = state.unflatten(-1, (links, -1))
    others = (x.sum(-2, keepdim=True) - x) / (links - 1)
    return torch.cat([x, others], -1)
