"""Score table of the reference policies on the paper's six channel seeds (README).

Runs every reference policy in ``interference_v0.parallel_env`` at the paper setting
(L = 3, N_T = N_R = 8, K = 10, P_max = 1 W, thermal noise, the default latent bank) for
α ∈ {3, 1}, ``max_cycles`` game iterations per seed, and adds the interference-free
(MUI-less) bound, the MUI-agnostic water-filling design and the MUI-agnostic ADMM benchmark
(the same numbers as ``MuiLess`` / ``MuiAgnosticADMM`` played in the env's precoder mode),
computed by the solvers on the same games. Prints Markdown tables.

    python examples/score_table.py [--latents mnist5k] [--max-cycles 30]
"""

from __future__ import annotations

import argparse

import numpy as np

from semgym import interference_v0
from semgym.policies import BestResponse, RandomPolicy, Uniform, evaluate
from semgym.policies.evaluation import PAPER_SEEDS, format_table
from semgym.solvers import mui_agnostic_admm, mui_agnostic_design, mui_less_bound


def _solver_row(name: str, env, design) -> dict:
    nmse, mse = [], []
    for seed in PAPER_SEEDS:
        env.reset(seed=seed)
        result = design(env.game, env) if design is _admm else design(env.game).metrics
        nmse.append(result.nmse[0].numpy())
        mse.append(result.mse[0].numpy())
    per_link = np.mean(nmse, axis=0)
    return {
        "policy": name,
        "network_nmse": float(per_link.mean()),
        "network_nmse_std": float(np.std([n.mean() for n in nmse])),
        "per_link_nmse": per_link.tolist(),
        "network_mse_db": 10 * np.log10(float(np.mean(mse))),
        "exploitability": float("nan"),
    }


def _admm(game, env):
    return mui_agnostic_admm(game, env.pairs, iterations=60, seed=env.channel_seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latents", default="mnist5k")
    parser.add_argument("--max-cycles", type=int, default=30)
    args = parser.parse_args()
    for alpha in (3.0, 1.0):
        env = interference_v0.parallel_env(
            alpha=alpha, latents=args.latents, max_cycles=args.max_cycles
        )
        rows = evaluate(
            {
                "BestResponse (Jacobi)": BestResponse.for_env(env),
                "Uniform": Uniform.for_env(env),
                "RandomPolicy": RandomPolicy.for_env(env, seed=0),
            },
            env,
            PAPER_SEEDS,
            show=False,
        )
        rows.append(_solver_row("MUI-less bound (no MUI)", env, mui_less_bound))
        rows.append(_solver_row("MUI-agnostic water-filling", env, mui_agnostic_design))
        rows.append(_solver_row("MUI-agnostic ADMM", env, _admm))
        print(f"\nα = {alpha:g}, seeds {list(PAPER_SEEDS)}, {args.max_cycles} game iterations\n")
        print(format_table(rows))


if __name__ == "__main__":
    main()
