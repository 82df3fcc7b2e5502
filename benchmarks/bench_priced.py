"""The priced water-filling (primary users), safeguarded Newton vs nested bisection, side by side.

Rows, on the ``primary-users`` preset (L = 3, N = 8, K = 10, M = 80 modes per link, two
primary receivers):

- ``priced water-filling``: one call on the inputs the env's best responses actually pass
  (weights, gains, interference prices of B envs' links, caught from a step), with
  :func:`semgym.core.priced_semantic_waterfill` and with
  :func:`semgym.core.reference.bisected_priced_waterfill` (64 × 65 evaluations);
- ``vector env step``: a step of the preset's vector env (random normalized actions; every
  step computes every link's priced best response for the observation), with either solver,
  and the ``low-snr`` preset (no primaries) for scale.

Also prints the largest relative utility gap between the two solvers on the caught inputs.

    python benchmarks/bench_priced.py [--envs 16 64 256] [--seconds 2]
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from contextlib import contextmanager

import torch
from _timing import seconds_per_call

from semgym import core
from semgym.core import reference
from semgym.presets import get_preset

#: the module (``semgym.core.best_response`` the attribute is the function of that name)
best_response_module = importlib.import_module("semgym.core.best_response")


@contextmanager
def _solver(fn: Callable[..., torch.Tensor]):
    """Make the best responses use ``fn`` for their priced water-filling."""
    original = best_response_module.priced_semantic_waterfill
    best_response_module.priced_semantic_waterfill = fn
    try:
        yield
    finally:
        best_response_module.priced_semantic_waterfill = original


def _env_step(preset: str, num_envs: int) -> Callable[[], object]:
    venv = get_preset(preset).vector_env(num_envs, action_mode="normalized")
    venv.reset(seed=0)
    actions = venv.action_space.sample()
    return lambda: venv.step(actions)


def _caught_inputs(num_envs: int) -> tuple:
    """The arguments of the priced water-filling in one step of the primary-users env."""
    caught: list[tuple] = []

    def catch(*args):
        caught.append(args)
        return core.priced_semantic_waterfill(*args)

    step = _env_step("primary-users", num_envs)
    with _solver(catch):
        step()

    def binding(args: tuple) -> int:
        weights, gains, budget, costs, cap = args
        plain = core.semantic_waterfill(weights, gains, budget)
        return int(((costs * plain).sum(-1) > cap).sum())

    return max(caught, key=binding)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms per call\n")
    header = f"{'row':<44} {'envs':>5} {'Newton':>9} {'bisection':>10} {'ratio':>7}"
    print(header)
    for n in args.envs:
        inputs = _caught_inputs(n)
        fast = seconds_per_call(
            lambda inputs=inputs: core.priced_semantic_waterfill(*inputs), args.seconds
        )
        slow = seconds_per_call(
            lambda inputs=inputs: reference.bisected_priced_waterfill(*inputs), args.seconds
        )
        weights, gains = inputs[0].double(), inputs[1].double()
        ours = core.priced_semantic_waterfill(*inputs).double()
        theirs = reference.bisected_priced_waterfill(*inputs).double()
        ours, theirs = (core.semantic_utility(weights, gains, p) for p in (ours, theirs))
        gap = float(((theirs - ours) / theirs.abs().clamp_min(1e-300)).abs().max())
        plain = core.semantic_waterfill(weights, gains, inputs[2])
        bound = int(((inputs[3] * plain).sum(-1) > inputs[4]).sum())
        name = f"priced water-filling ({bound} of {weights.numel() // weights.shape[-1]} capped)"
        print(f"{name:<44} {n:>5} {fast * 1e3:>9.2f} {slow * 1e3:>10.2f} {slow / fast:>6.1f}×")
        print(f"{'  largest relative utility gap':<44} {'':>5} {gap:>9.1e}")
        step = _env_step("primary-users", n)
        fast = seconds_per_call(step, args.seconds)
        with _solver(reference.bisected_priced_waterfill):
            slow = seconds_per_call(step, args.seconds)
        plain = seconds_per_call(_env_step("low-snr", n), args.seconds)
        print(
            f"{'vector env step, primary-users':<44} {n:>5} {fast * 1e3:>9.2f} "
            f"{slow * 1e3:>10.2f} {slow / fast:>6.1f}×"
        )
        print(f"{'vector env step, low-snr (no primaries)':<44} {n:>5} {plain * 1e3:>9.2f}")


if __name__ == "__main__":
    main()
