"""The actions' codec: how an env's actions become powers or precoders, and back.

Power actions (``power``: watts per mode; ``normalized``: [-1, 1] mapped onto the budget) and
precoder actions ([-1, 1] entries of F̄, scaled onto the power ball) are decoded here for every
env, vector env, trainer adapter and learned policy, and encoded here for the reference
policies that act in them.
"""

from __future__ import annotations

import torch
from torch import Tensor

from semgym import core

#: float32 rounding allowance of an action: a precoder action with ‖F̄‖²_F ≤ 1 + this, or powers
#: that the projection moves by at most this times the budget, are not reported as
#: ``projected`` (they are still made exactly feasible).
ROUNDING = 1e-6
#: Power-allocation action modes: watts, or [-1, 1] mapped onto the budget.
POWER_MODES = ("power", "normalized")


def decode_powers(raw: Tensor, mode: str, budget: float) -> tuple[Tensor, Tensor]:
    """Powers (..., M) W from ``power`` (watts) or ``normalized`` ([-1, 1]) actions, projected
    onto {p ≥ 0, Σp ≤ budget}; returns (powers, projected (...) bool).

    ``normalized``: u = (a + 1)/2 and p = budget · u / max(1, Σu), so every action is feasible
    and every feasible p is reachable (u = p/budget).
    """
    if mode == "normalized":
        share = (raw.clamp(-1.0, 1.0) + 1.0) / 2.0
        raw = budget * share / share.sum(-1, keepdim=True).clamp_min(1.0)
    powers = core.project_to_budget(raw, budget)
    return powers, (powers - raw).abs().amax(-1) > ROUNDING * budget


def encode_powers(powers: Tensor, mode: str, budget: float) -> Tensor:
    """The ``power`` or ``normalized`` action (..., M) of feasible powers p (W)."""
    p = powers.clamp_min(0.0)
    return p if mode == "power" else 2.0 * p / budget - 1.0


def decode_precoder(
    raw: Tensor, rows: int, budget: float, *, complex_: bool = True
) -> tuple[Tensor, Tensor]:
    """F (..., rows, cols) on the power ball from ``precoder`` actions in [-1, 1]: complex
    F̄ = (a[:rows·cols] + j·a[rows·cols:]).reshape(rows, cols) from (..., 2·rows·cols), or (not
    ``complex_``: the real-composite form of widely-linear processing) the real
    F̄ = a.reshape(rows, cols) from (..., rows·cols); then F = √budget · F̄ / max(1, ‖F̄‖_F), so
    every action is feasible and the whole ball is reachable. Returns (F, projected (...)
    bool: clipped to the box or scaled into the ball)."""
    clipped = raw.clamp(-1.0, 1.0)
    if complex_:
        size = raw.shape[-1] // 2
        fbar = torch.complex(clipped[..., :size], clipped[..., size:])
    else:
        size, fbar = raw.shape[-1], clipped
    fbar = fbar.reshape(*raw.shape[:-1], rows, size // rows)
    energy = core.squared_magnitude(fbar).sum((-2, -1))
    projected = (energy > 1.0 + ROUNDING) | (clipped != raw).any(-1)
    scale = budget**0.5 / energy.sqrt().clamp_min(1.0)
    return fbar * scale.to(fbar.real.dtype)[..., None, None], projected


def encode_precoder(precoder: Tensor, budget: float) -> Tensor:
    """The ``precoder`` action of F (..., rows, cols): [Re F̄, Im F̄] (..., 2·rows·cols), or F̄
    itself (..., rows·cols) for a real F, with F̄ = F/√budget after projecting F onto
    tr(F Fᴴ) ≤ budget (a feasible F is unchanged)."""
    scaled = core.project_to_power_ball(precoder, budget) / budget**0.5
    if not scaled.is_complex():
        return scaled.flatten(-2)
    return torch.cat([scaled.real.flatten(-2), scaled.imag.flatten(-2)], -1)


def precoder_action_size(rows: int, cols: int, complex_: bool) -> int:
    """Length of a ``precoder`` action of a rows × cols F (complex: its two real halves)."""
    return rows * cols * (2 if complex_ else 1)
