"""How much a learned baseline's score owes to its training seed, reported with rliable.

The comparison (``compare.py``) scores one training run per learner and preset, the shipped
policy of training seed 0, and its intervals cover channel seeds only. In deep RL the training
seed is often the larger source of variation. This command trains nothing: it reads the exports
of runs made with ``--seed k`` (``runs/<algorithm>/<preset>-seed<k>/policy.pt``; seed 0 is the
shipped policy), plays each on the 64 held-out channel seeds (30 steps, the batched env in
float64, as the comparison does) and reports:

- per run, the share of the Uniform → best-response gap it closes in mean network NMSE (the
  comparison's ``gap closed``);
- over runs × channel seeds, the interquartile mean (IQM) and the mean of the per-seed gap
  closed, (NMSE_Uniform − NMSE_policy) / (NMSE_Uniform − NMSE_best response) on each channel
  seed, with 95 % stratified-bootstrap intervals over training runs (rliable; each channel seed
  is a task);
- for each pair of learners, the probability that a run of one closes more of a seed's gap
  than a run of the other (rliable's probability of improvement), with its interval.

Results go to ``baselines/results/training-seeds/<preset>.md`` and ``.csv``.

    python baselines/ppo_shared.py --preset low-snr --seed 1     # ... seeds 1-4
    python baselines/mappo_torchrl.py --preset low-snr --seed 1  # ... seeds 1-4
    python baselines/training_seeds.py --preset low-snr --algorithms ppo-shared mappo-torchrl
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from harness import HELD_OUT_SEEDS, RESULTS, RUNS, TRAINED_PRESETS, gap_share, play
from rliable import library as rly
from rliable import metrics

from semgym.policies import Learned
from semgym.presets import get_preset

BOOTSTRAP_REPS = 2_000
# rliable 1.2 hands arch's bootstrap a keyword arch has deprecated (random_state)
warnings.filterwarnings("ignore", "random_state is deprecated", FutureWarning)


def exports(algorithm: str, preset: str, seeds: Sequence[int]) -> list[Learned]:
    """The learner's policy for each training seed: seed 0 shipped, the others from ``runs/``."""
    policies = []
    for seed in seeds:
        if seed == 0:
            policies.append(Learned.load(f"{algorithm}/interference-v0/{preset}"))
            continue
        path = RUNS / algorithm / f"{preset}-seed{seed}" / "policy.pt"
        if not path.is_file():
            raise SystemExit(
                f"{path} is missing: train it with "
                f"`python baselines/{algorithm.replace('-', '_')}.py --preset {preset}"
                f" --seed {seed}`"
            )
        policies.append(Learned.load(path))
    for seed, policy in zip(seeds, policies, strict=True):
        if policy.card["training"]["seed"] != seed:
            raise SystemExit(
                f"{algorithm} seed {seed}: its card says seed {policy.card['training']['seed']}"
            )
    return policies


def per_seed_gap(policy: np.ndarray, uniform: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Gap closed on each channel seed, (..., S): (U − P) / (U − B) seed by seed."""
    return (uniform - policy) / (uniform - best)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="low-snr", choices=list(TRAINED_PRESETS))
    p.add_argument("--algorithms", nargs="+", default=["ppo-shared", "mappo-torchrl"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--out", type=Path, default=RESULTS / "training-seeds")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    preset = get_preset(args.preset)
    seeds = list(HELD_OUT_SEEDS)
    policies = {name: exports(name, args.preset, args.seeds) for name in args.algorithms}
    spec = (preset, {"action_mode": "normalized"}, "link")
    width = preset.vector_env(1, action_mode="normalized").batch.n_modes
    uniform = play(spec, lambda obs: torch.zeros(obs.shape[0], width), seeds)["network_nmse"]
    best = play(spec, None, seeds)["network_nmse"]
    if np.any(uniform - best <= 0):
        raise SystemExit("the best response does not beat Uniform on every held-out seed")

    runs: dict[str, np.ndarray] = {}  # algorithm → (runs, channel seeds) network NMSE
    for algorithm, exported in policies.items():
        rows = []
        for policy in exported:
            played = play((preset, policy.env_kwargs(), policy.kind), policy.act_batch, seeds)
            rows.append(played["network_nmse"])
        runs[algorithm] = np.stack(rows)

    scores = {name: per_seed_gap(nmse, uniform, best) for name, nmse in runs.items()}

    def aggregate(x: np.ndarray) -> np.ndarray:
        return np.array([metrics.aggregate_iqm(x), metrics.aggregate_mean(x)])

    point, interval = rly.get_interval_estimates(
        scores, aggregate, reps=BOOTSTRAP_REPS, random_state=np.random.RandomState(0)
    )
    lines = [
        f"### {args.preset}: {len(args.seeds)} training seeds ({', '.join(map(str, args.seeds))}),"
        f" {len(seeds)} held-out channel seeds",
        "",
        "| learner | gap closed per run (seed order) | IQM of per-seed gap closed [95 % CI]"
        " | mean [95 % CI] | network NMSE, mean over runs (min – max) |",
        "|---|---|---|---|---|",
    ]
    table = []
    for name, nmse in runs.items():
        per_run = [gap_share(row, uniform, best) for row in nmse]
        (iqm, mean), ((iqm_lo, mean_lo), (iqm_hi, mean_hi)) = point[name], interval[name]
        run_means = nmse.mean(-1)
        lines.append(
            f"| {name} | {' / '.join(f'{g:.1%}' for g in per_run)} | {iqm:.1%} "
            f"[{iqm_lo:.1%}, {iqm_hi:.1%}] | {mean:.1%} [{mean_lo:.1%}, {mean_hi:.1%}] | "
            f"{run_means.mean():.4f} ({run_means.min():.4f} – {run_means.max():.4f}) |"
        )
        for seed, gap, value in zip(args.seeds, per_run, run_means, strict=True):
            table.append(
                {
                    "preset": args.preset,
                    "learner": name,
                    "training_seed": seed,
                    "network_nmse": float(value),
                    "gap_closed": gap,
                }
            )
    pairs = {
        f"{a} over {b}": (scores[a], scores[b])
        for a, b in itertools.combinations(args.algorithms, 2)
    }
    if pairs:
        improve, improve_ci = rly.get_interval_estimates(
            pairs,
            lambda x, y: np.array([metrics.probability_of_improvement(x, y)]),
            reps=BOOTSTRAP_REPS,
            random_state=np.random.RandomState(0),
        )
        lines.append("")
        for name in pairs:
            lo, hi = improve_ci[name][:, 0]
            lines.append(
                f"Probability of improvement, {name}: {improve[name][0]:.2f} [{lo:.2f}, {hi:.2f}]."
            )
    lines.append(
        f"\nReferences on the same seeds: Uniform {uniform.mean():.4f}, best response "
        f"{best.mean():.4f} (network NMSE)."
    )
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.preset}.md").write_text(text)
    with (args.out / f"{args.preset}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
