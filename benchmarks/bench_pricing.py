"""Interference pricing's costs, side by side in one run.

Rows, on the ``close-interferers`` preset (L = 3, N = 8, K = 10, M = 80 modes per link):

- ``priced water-filling``: :func:`semgym.core.semantic_waterfill_with_prices` on the inputs a
  step of B envs gives every link (weights, gains and announced prices; then the prices
  scaled down until the budget binds), by the host path (safeguarded Newton on the rows whose
  budget binds) and by the accelerator path run on the CPU (64 bisection steps, no host
  reads), with the largest relative difference in net utility;
- ``vector env step``: a step of the preset's vector env without and with
  ``observe_prices=True`` (the receivers' announcements and every mode's price).

    python benchmarks/bench_pricing.py [--envs 16 64 256] [--seconds 2]
"""

from __future__ import annotations

import argparse

import torch
from _timing import seconds_per_call

from semgym import core
from semgym._runtime import device_side_checks
from semgym.presets import get_preset

PRESET = "close-interferers"


def _inputs(num_envs: int) -> tuple:
    """(weight shares, gains, budget, prices) of every link after one step, float64."""
    venv = get_preset(PRESET).vector_env(num_envs, observe_prices=True, dtype="float64")
    venv.reset(seed=0)
    venv.step(venv.best_response_actions())
    batch = venv.batch
    weights = batch.weight_share.contiguous()
    return weights, batch.evaluation.response.gains, batch.budget, batch.announced_prices()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--envs", type=int, nargs="*", default=[16, 64, 256])
    p.add_argument("--seconds", type=float, default=2.0)
    args = p.parse_args()
    print(f"{PRESET}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("| row | B | host path | reference path | ratio |")
    print("|---|---|---|---|---|")
    for b, scale in [(b, s) for b in args.envs for s in (1.0, 0.01)]:
        w, lam, budget, c = _inputs(b)
        c = c * scale  # the announced prices leave the budget slack; a hundredth makes it bind

        args_ = (w, lam, budget, c)

        def host(args_: tuple = args_) -> torch.Tensor:
            return core.semantic_waterfill_with_prices(*args_)

        def device(args_: tuple = args_) -> torch.Tensor:
            with device_side_checks():
                return core.semantic_waterfill_with_prices(*args_)

        gap = []
        for powers in (host(), device()):
            gap.append(core.semantic_utility(w, lam, powers) - (c * powers).sum(-1))
        diff = float(((gap[0] - gap[1]).abs() / gap[0].abs().clamp_min(1e-300)).max())
        fast, slow = seconds_per_call(host, args.seconds), seconds_per_call(device, args.seconds)
        bound = float((host().sum(-1) > budget * (1 - 1e-9)).double().mean())
        print(
            f"| priced water-filling, prices × {scale:g} ({bound:.0%} of links spend the "
            f"budget), max rel. diff {diff:.1e} | {b} | {fast * 1e3:.2f} ms | "
            f"{slow * 1e3:.2f} ms | {slow / fast:.1f}× |"
        )
    for b in args.envs:
        steps = {}
        for prices in (False, True):
            venv = get_preset(PRESET).vector_env(b, observe_prices=prices)
            venv.reset(seed=0)
            actions = venv.action_space.sample()
            steps[prices] = seconds_per_call(
                lambda venv=venv, actions=actions: venv.step(actions), 1.0
            )
        print(
            f"| vector env step (without vs with prices) | {b} | {steps[False] * 1e3:.1f} ms | "
            f"{steps[True] * 1e3:.1f} ms | {steps[True] / steps[False]:.2f}× |"
        )


if __name__ == "__main__":
    main()
