"""How the vector env's step scales with the number of links, side by side in one run.

For L = 3, 10, 30, 100 links (``--links``) at a fixed number of agents per batch (B·L ≈
``--agents``, B = agents // L envs), on the line and on random topologies (the paper's antennas
and K: N = 8, K = 10, float32, synthetic latents, every link playing its best response):
agent-steps/s of a whole step, its ratio to the smallest L's, and the share of the step spent
in its parts, each timed alone on the same state: the MUI (Σ_{j≠l} H_jl F_j F_jᴴ H_jlᴴ per
receiver, L − 1 interferers each), the whitening (Cholesky of R_n, W = C⁻¹H, R_H = WᴴW), the MSE
of the new precoders, the best responses (eigenvectors of R_H and water-filling) and the
observation.

With ``--neighbours k ...`` (default 10 30) the random topologies are also measured with the
opt-in interference neighbourhood (``mui_neighbours=k``: each receiver's k strongest
interferers exact, the others as white noise), with its error: the largest relative change
of an env's network NMSE when the same state is scored with every interferer exact.

    python benchmarks/bench_scale.py [--links 3 10 30 100] [--agents 3072] [--seconds 3]
        [--neighbours 10 30]
"""

from __future__ import annotations

import argparse
import dataclasses

import torch
from _timing import seconds_per_call

from semgym import core
from semgym.scenarios import GameOperator
from semgym.vector import InterferenceVecEnv

#: Best-response steps before the step is timed and the neighbourhood's error measured.
WARM_STEPS = 5


def measure(
    n_links: int, agents: int, topology: str, seconds: float, neighbours: int | None = None
) -> dict[str, float]:
    """Seconds per step and per part of a step (see the module docstring); with
    ``neighbours``, the opt-in interference neighbourhood and its error (largest relative
    change of an env's network NMSE when its state is scored exactly instead)."""
    venv = InterferenceVecEnv(
        max(agents // n_links, 1),
        latents="synthetic",
        n_links=n_links,
        topology=topology,
        max_cycles=10**6,
        mui_neighbours=neighbours,
    )
    venv.reset(seed=0)
    for _ in range(WARM_STEPS):  # away from the random start, toward the play it times
        actions = venv.best_response_actions()
        venv.step(actions)
    batch = venv.batch
    op, state = batch.operator, batch.state
    factors = state.factors
    received = batch.evaluation.received
    index = op.interferer_index
    error = 0.0
    if op.far_gain is not None:
        exact = GameOperator(dataclasses.replace(op.game, mui_neighbours=None), op.structure)
        truth = exact.evaluate(state).nmse.mean(-1)
        error = float(((batch.evaluation.nmse.mean(-1) - truth).abs() / truth).amax())

    def mui() -> object:
        total = core.interference_by_block(op.interferers_adjoint, factors, index)
        if op.far_gain is not None:
            total = total + op.far_noise(op.far_gain, factors)
        return total

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
    out = {
        "step": seconds_per_call(lambda: venv.step(actions), seconds),
        "envs": venv.num_envs,
        "error": error,
    }
    for name, fn in parts.items():
        out[name] = seconds_per_call(fn, seconds / 3)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--links", type=int, nargs="*", default=[3, 10, 30, 100])
    p.add_argument("--agents", type=int, default=3072)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--topologies", nargs="*", default=["line", "random"])
    p.add_argument(
        "--neighbours",
        type=int,
        nargs="*",
        default=[10, 30],
        help="neighbourhood sizes k also measured on random topologies with L - 1 > k",
    )
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, B·L ≈ {args.agents}")
    print(
        "| topology | MUI | L | B | agent-steps/s | vs L = "
        f"{args.links[0]} exact | NMSE error | MUI | whitening | MSE | best responses | "
        "observation |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for topology in args.topologies:
        first = None
        for n_links in args.links:
            sizes = [None]
            if topology == "random":
                sizes += [k for k in args.neighbours if k < n_links - 1]
            for k in sizes:
                m = measure(n_links, args.agents, topology, args.seconds, k)
                rate = m["envs"] * n_links / m["step"]
                first = first or rate
                shares = " | ".join(
                    f"{m[part] / m['step']:.0%}"
                    for part in ("MUI", "whitening", "MSE", "best responses", "observation")
                )
                mui = "exact" if k is None else f"{k} nearest"
                error = "–" if k is None else f"{m['error']:.2%}"
                print(
                    f"| {topology} | {mui} | {n_links} | {m['envs']} | {rate:,.0f} | "
                    f"{rate / first:.2f}× | {error} | {shares} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
