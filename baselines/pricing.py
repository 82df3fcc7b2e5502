"""Where interference pricing settles between the equilibrium and the cooperative best found.

For each interference preset without primary users, on the paper's six seeds and the first 16
held-out seeds (no training run saw either): the best-response equilibrium (Gauss-Seidel
dynamics, 100 rounds: the cooperative search's equilibrium start), the pricing dynamics
(:func:`semgym.solvers.best_response_dynamics` with ``pricing=True``: every receiver announces
∂NMSE_l/∂R_n,l, every link plays its priced water-filling one round later, Jacobi, step γ = 0.5,
``ROUNDS`` rounds from Algorithm 1's seeded start) and the cooperative best found
(:func:`semgym.solvers.cooperative_optimum` with the comparison's settings), and the best found
over powers alone on the equilibrium's modes (:func:`semgym.solvers.cooperative_powers`: what
power actions can reach without turning the precoders). Columns: mean network NMSE of each
with a 95 % bootstrap interval over seeds for pricing, the share of the equilibrium →
cooperative gap that pricing and the power-only optimum close (paired bootstrap interval for
pricing), the rounds after
which the seed-mean trajectory stays within 10 % of its final gain over the equilibrium, and
the payload of one round (each receiver announces K Hermitian N_R × N_R matrices: K·N_R²
reals, or K·N_R(2N_R + 1) in the real-composite form of widely-linear processing). The
trajectory of every preset is stored beside the table.

    python baselines/pricing.py [--presets close-interferers ...] [--smoke]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np
import torch
from harness import (
    HELD_OUT_SEEDS,
    PAPER_SEEDS,
    RESULTS,
    SMOKE_INTERFERENCE,
    gap_interval,
    gap_share,
    mean_interval,
    write_json,
)

from semgym.presets import PRESETS, get_preset
from semgym.scenarios import InterferenceScenario
from semgym.solvers import best_response_dynamics, cooperative_optimum, cooperative_powers

#: Pricing rounds, step size γ and the equilibrium's Gauss-Seidel rounds.
ROUNDS = 200
STEP = 0.5
EQUILIBRIUM_ROUNDS = 100
#: The cooperative search's settings (the comparison's).
COOPERATIVE = {"iterations": 500, "random_starts": 0}
#: Within this share of the final gain over the equilibrium the pricing has "settled".
SETTLED = 0.10


def settled_round(trajectory: np.ndarray, equilibrium: float) -> int:
    """The first round from which the seed-mean network NMSE ``trajectory`` (R + 1,) stays
    within :data:`SETTLED` of its final gain over ``equilibrium`` (R + 1 if it never does)."""
    final = trajectory[-1]
    tolerance = SETTLED * abs(equilibrium - final)
    outside = np.nonzero(np.abs(trajectory - final) > tolerance)[0]
    return 0 if outside.size == 0 else int(outside[-1]) + 1


def preset_rows(name: str, seeds: Sequence[int], seed_set: str, smoke: bool) -> dict:
    """The equilibrium, pricing and cooperative scores of one preset on ``seeds``."""
    preset = get_preset(name)
    kwargs = {**preset.kwargs, **(SMOKE_INTERFERENCE if smoke else {})}
    scenario = InterferenceScenario.create(**kwargs)
    game = scenario.sample(list(seeds))
    rounds = 5 if smoke else ROUNDS
    start = time.perf_counter()
    settled = best_response_dynamics(game, scheme="gauss_seidel", max_iters=EQUILIBRIUM_ROUNDS)
    equilibrium = settled.network_nmse[-1]
    priced = best_response_dynamics(game, pricing=True, step_size=STEP, max_iters=rounds, tol=1e-12)
    pricing_seconds = time.perf_counter() - start
    settings = {**COOPERATIVE, "iterations": 5} if smoke else COOPERATIVE
    cooperative = cooperative_optimum(game, **settings).score
    powers_only = cooperative_powers(game, settled.state, iterations=5 if smoke else 400)[1]
    eq, pr, co = (t.numpy() for t in (equilibrium, priced.network_nmse[-1], cooperative))
    trajectory = priced.network_nmse.mean(-1).numpy()
    low, high = mean_interval(pr)
    gap_low, gap_high = gap_interval(pr, eq, co)
    # one Hermitian N_R × N_R block per channel use (N_R² reals), or a real symmetric
    # 2N_R × 2N_R one in real-composite form (N_R(2N_R + 1) reals)
    rx = scenario.channel.n_rx_antennas
    per_block = rx * rx if scenario.processing == "linear" else rx * (2 * rx + 1)
    return {
        "preset": name,
        "seeds": seed_set,
        "n_seeds": len(seeds),
        "equilibrium": float(eq.mean()),
        "pricing": float(pr.mean()),
        "pricing_low": low,
        "pricing_high": high,
        "cooperative": float(co.mean()),
        "power_only": float(powers_only.network_nmse.mean()),
        "power_only_gap_closed": gap_share(powers_only.network_nmse.numpy(), eq, co),
        "gap_closed": gap_share(pr, eq, co),
        "gap_low": gap_low,
        "gap_high": gap_high,
        "settled_round": settled_round(trajectory, float(eq.mean())),
        "rounds": rounds,
        "reals_per_announcement": scenario.channel_uses * per_block,
        "seconds": pricing_seconds,
        "trajectory": trajectory.tolist(),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| preset | seeds | equilibrium | pricing [95 % CI] | power-only optimum "
        "| cooperative (best found) | gap closed by pricing [95 % CI] | by power-only "
        "| settled after (rounds) | reals per announcement |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['preset']} | {r['seeds']} ({r['n_seeds']}) | {r['equilibrium']:.4f} | "
            f"{r['pricing']:.4f} [{r['pricing_low']:.4f}, {r['pricing_high']:.4f}] | "
            f"{r['power_only']:.4f} | {r['cooperative']:.4f} | {r['gap_closed']:.1%} "
            f"[{r['gap_low']:.1%}, {r['gap_high']:.1%}] | {r['power_only_gap_closed']:.1%} | "
            f"{r['settled_round']} of {r['rounds']} | "
            f"{r['reals_per_announcement']} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    interference = [n for n, p in PRESETS.items() if p.env == "interference"]
    priced = [n for n in interference if not PRESETS[n].kwargs.get("primary_users")]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", nargs="*", default=priced, choices=priced)
    p.add_argument("--smoke", action="store_true", help="tiny scenarios, few rounds, no files")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    seed_sets = {"paper": PAPER_SEEDS, "held-out": HELD_OUT_SEEDS[:16]}
    if args.smoke:
        seed_sets = {"paper": PAPER_SEEDS[:2]}
    rows = []
    for name in args.presets:
        for seed_set, seeds in seed_sets.items():
            rows.append(preset_rows(name, seeds, seed_set, args.smoke))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(table(rows))
    if not args.smoke:
        write_json(RESULTS / "pricing.json", rows)
        (RESULTS / "pricing.md").write_text(table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
