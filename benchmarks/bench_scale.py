"""How the vector env's step scales with the number of links, side by side in one run.

For L = 3, 10, 30, 100 links (``--links``) at a fixed number of agents per batch (B·L ≈
``--agents``, B = agents // L envs), on the line and on random topologies (the paper's antennas
and K: N = 8, K = 10, float32, synthetic latents, every link playing its best response):
agent-steps/s of a whole step, its ratio to the smallest L's, and the share of the step spent
in its parts, each timed alone on the same state: the MUI (Σ_{j≠l} H_jl F_j F_jᴴ H_jlᴴ per
receiver, L − 1 interferers each), the whitening (Cholesky of R_n, W = C⁻¹H, R_H = WᴴW), the MSE
of the new precoders, the best responses (eigenvectors of R_H and water-filling) and the
observation.

    python benchmarks/bench_scale.py [--links 3 10 30 100] [--agents 3072] [--seconds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from semgym import core
from semgym.vector import InterferenceVecEnv


def _seconds(fn: Callable[[], object], seconds: float) -> float:
    """Seconds per call of ``fn``, after one warm-up call."""
    fn()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or count < 2:
        fn()
        count += 1
    return (time.perf_counter() - start) / count


def measure(n_links: int, agents: int, topology: str, seconds: float) -> dict[str, float]:
    """Seconds per step and per part of a step (see the module docstring)."""
    venv = InterferenceVecEnv(
        max(agents // n_links, 1),
        latents="synthetic",
        n_links=n_links,
        topology=topology,
        max_cycles=10**6,
    )
    venv.reset(seed=0)
    actions = venv.best_response_actions()
    venv.step(actions)
    batch = venv.batch
    op, state = batch.operator, batch.state
    factors = state.factors
    received = batch.evaluation.received
    index = op.interferer_index

    def mui() -> object:
        return core.interference_by_block(op.interferers_adjoint, factors, index)

    def whitening() -> object:
        return core.whitened_gram(core.whitened_channel(op.direct, received.noise_covariance))

    def mse() -> object:
        weights = state.weight_blocks(op.game)
        return core.structured_mse_whitened(received.whitened, factors, weights, 0.0)

    def respond() -> object:
        return op.respond(received.effective)

    parts = {
        "MUI": mui,
        "whitening": whitening,
        "MSE": mse,
        "best responses": respond,
        "observation": batch.observations,
    }
    out = {"step": _seconds(lambda: venv.step(actions), seconds), "envs": venv.num_envs}
    for name, fn in parts.items():
        out[name] = _seconds(fn, seconds / 3)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--links", type=int, nargs="*", default=[3, 10, 30, 100])
    p.add_argument("--agents", type=int, default=3072)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--topologies", nargs="*", default=["line", "random"])
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, B·L ≈ {args.agents}")
    print(
        "| topology | L | B | agent-steps/s | vs L = "
        f"{args.links[0]} | MUI | whitening | MSE | best responses | observation |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for topology in args.topologies:
        first = None
        for n_links in args.links:
            m = measure(n_links, args.agents, topology, args.seconds)
            rate = m["envs"] * n_links / m["step"]
            first = first or rate
            shares = " | ".join(
                f"{m[k] / m['step']:.0%}"
                for k in ("MUI", "whitening", "MSE", "best responses", "observation")
            )
            print(
                f"| {topology} | {n_links} | {m['envs']} | {rate:,.0f} | {rate / first:.2f}× | "
                f"{shares} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
