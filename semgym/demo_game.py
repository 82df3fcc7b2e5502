"""The demo's second part: the interference game on the default scenario, reference policies and a
shipped learned policy side by side, and one figure of the game's convergence.

On the paper's setting (:data:`semgym.presets.PRESETS` ``"paper"``: L = 3, N = 8, K = 10,
α = 3, thermal noise) every policy plays 30 game iterations per channel seed of the paper
(``interference_v0``, network NMSE of the last iteration, Wiener receivers); the cooperative
optimum (best network NMSE found by a central designer, :func:`semgym.solvers.cooperative_optimum`)
is computed on the same games. The figure follows one channel realization (seed 27): network
NMSE per iteration of Jacobi and Gauss-Seidel best responses, of the learned policy and of
equal power, with the cooperative optimum's level.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from semgym.policies import BestResponse, Learned, RandomPolicy, Uniform, evaluate
from semgym.policies.evaluation import PAPER_SEEDS, format_table
from semgym.presets import EVALUATION_STEPS, get_preset

logger = logging.getLogger(__name__)

#: The shipped policy the demo plays (trained on the paper's setting).
LEARNED = "ppo-shared/interference-v0/paper"
#: Where the figure goes unless ``--game-out`` says otherwise.
DEFAULT_OUT = Path("runs") / "demo"


def _trajectory(policy: Any, env: Any, seed: int) -> list[float]:
    """Network NMSE after each step of one episode (every link playing ``policy``)."""
    observations, _ = env.reset(seed=seed)
    values = []
    while env.agents:
        actions = {agent: policy.act(observations[agent]) for agent in env.agents}
        observations, _, _, _, infos = env.step(actions)
        values.append(float(np.mean([i["nmse"] for i in infos.values()])))
    return values


def run_game_demo(
    *,
    seeds: tuple[int, ...] = PAPER_SEEDS,
    out: Path = DEFAULT_OUT,
    learned: str = LEARNED,
    search_iterations: int = 300,
) -> tuple[list[dict[str, Any]], Path]:
    """Play the reference policies and the shipped ``learned`` policy on the paper preset;
    returns the :func:`~semgym.policies.evaluate` rows (plus the cooperative optimum's, from
    ``search_iterations`` projected-gradient steps) and the figure's path."""
    from semgym.scenarios import InterferenceScenario
    from semgym.solvers import best_response_dynamics, cooperative_optimum

    preset = get_preset("paper")
    policy = Learned.load(learned)
    env = policy.make_env()  # the paper preset in the policy's (normalized) action mode
    policies = {
        "BestResponse": BestResponse.for_env(env),
        "Uniform": Uniform.for_env(env),
        "RandomPolicy": RandomPolicy.for_env(env, seed=0),
        f"Learned {learned!r}": policy,
    }
    rows = evaluate(policies, env, seeds, show=False)

    scenario = InterferenceScenario.create(**preset.kwargs)
    game = scenario.sample(list(seeds))
    search = cooperative_optimum(game, iterations=search_iterations, random_starts=0)
    nmse = search.metrics.nmse.numpy()
    rows.append(
        {
            "policy": "Cooperative optimum (best found)",
            "network_nmse": float(nmse.mean()),
            "network_nmse_std": float(np.std(nmse.mean(-1))),
            "per_link_nmse": nmse.mean(0).tolist(),
            "network_mse_db": 10 * np.log10(float(search.metrics.mse.mean())),
            "exploitability": float(search.metrics.exploitability.max()),
        }
    )

    seed = seeds[0]
    single = scenario.sample([seed])
    curves = {
        "best response (Jacobi)": best_response_dynamics(
            single, max_iters=EVALUATION_STEPS, seed=seed
        ).network_nmse[:, 0],
        "best response (Gauss-Seidel)": best_response_dynamics(
            single, scheme="gauss_seidel", max_iters=EVALUATION_STEPS, seed=seed
        ).network_nmse[:, 0],
    }
    learned_curve = _trajectory(policy, env, seed)
    uniform_curve = _trajectory(policies["Uniform"], env, seed)
    single_search = cooperative_optimum(
        single, iterations=search_iterations, random_starts=0, seed=seed
    )
    path = _plot(curves, learned_curve, uniform_curve, float(single_search.score[0]), seed, out)
    return rows, path


def _plot(
    curves: dict[str, Any],
    learned: list[float],
    uniform: list[float],
    cooperative: float,
    seed: int,
    out: Path,
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 3.8), dpi=120)
    for name, values in curves.items():
        ax.plot(np.arange(len(values)), np.asarray(values), label=name)
    steps = np.arange(1, len(learned) + 1)
    ax.plot(steps, learned, label="learned (shared PPO)", ls="-.")
    ax.plot(steps, uniform, label="equal power", ls=":")
    ax.axhline(cooperative, color="k", lw=1, ls="--", label="cooperative optimum (best found)")
    ax.set_xlabel("game iteration")
    ax.set_ylabel("network NMSE")
    ax.set_title(f"Interference game, paper setting, channel seed {seed}", fontsize=9)
    ax.set_ylim(top=min(ax.get_ylim()[1], 1.0))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "interference-game.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def print_game_demo(args: argparse.Namespace) -> None:
    """Run and print the game part of ``semgym demo``."""
    start = time.perf_counter()
    rows, path = run_game_demo(out=args.game_out)
    print(
        "\nThe interference game, paper setting (L = 3, N = 8, K = 10, α = 3, thermal noise), "
        f"{EVALUATION_STEPS} game iterations per channel seed {list(PAPER_SEEDS)}; network NMSE "
        "of the last iteration (lower is better), exploitability = the most MSE a link could "
        "still save by deviating alone:\n"
    )
    print(format_table(rows))
    print(f"\nconvergence figure: {path} ({time.perf_counter() - start:.1f} s)")
