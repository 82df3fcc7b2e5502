"""How much a learned baseline's score owes to its training seed, reported with rliable.

The comparison (``compare.py``) scores one training run per learner and preset, the shipped
policy of training seed 0, and its intervals cover channel seeds only. In deep RL the training
seed is often the larger source of variation. This command trains nothing: it reads the exports
of runs made with ``--seed k`` (``runs/<algorithm>/<preset>-seed<k>/policy.pt``; seed 0 is the
shipped policy) and plays each on the 64 held-out channel seeds (30 steps, the batched env in
float64, as the comparison does). A run's score on a preset is the share of the Uniform →
best-response gap it closes in mean network NMSE (the comparison's ``gap closed``). Runs are
the runs of rliable and presets its tasks (independent runs per preset), so its intervals are
stratified bootstraps over training runs:

- per preset and learner, every run's score and the mean and interquartile mean (IQM) over runs
  with 95 % intervals;
- over all the presets given, the IQM and mean of the runs' scores with 95 % intervals;
- for each pair of learners, the probability that a run of one closes more of a preset's gap
  than a run of the other (rliable's probability of improvement), with its interval.

Results go to ``baselines/results/training-seeds.md`` and ``.csv``.

    python baselines/ppo_shared.py --preset low-snr --seed 1     # ... seeds 1-4
    python baselines/mappo_torchrl.py --preset low-snr --seed 1  # ... seeds 1-4
    python baselines/training_seeds.py --presets low-snr close-interferers
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from harness import (
    HELD_OUT_SEEDS,
    RESULTS,
    RUNS,
    TRAINED_PRESETS,
    gap_share,
    play,
    references,
)
from rliable import library as rly
from rliable import metrics

from semgym.policies import Learned
from semgym.presets import get_preset

BOOTSTRAP_REPS = 2_000
# rliable 1.2 hands arch's bootstrap a keyword that arch has deprecated (random_state)
warnings.filterwarnings("ignore", "random_state is deprecated", FutureWarning)


def exports(algorithm: str, preset: str, seeds: Sequence[int]) -> list[Learned]:
    """The learner's policy for each training seed: seed 0 shipped, the others from ``runs/``."""
    policies = []
    for seed in seeds:
        if seed == 0:
            policy = Learned.load(f"{algorithm}/interference-v0/{preset}")
        else:
            path = RUNS / algorithm / f"{preset}-seed{seed}" / "policy.pt"
            if not path.is_file():
                raise SystemExit(
                    f"{path} is missing: train it with `python baselines/"
                    f"{algorithm.replace('-', '_')}.py --preset {preset} --seed {seed}`"
                )
            policy = Learned.load(path)
        if policy.card["training"]["seed"] != seed:
            raise SystemExit(f"{algorithm} on {preset}, seed {seed}: its card names another seed")
        policies.append(policy)
    return policies


@dataclass
class PresetScores:
    """One preset's runs on the held-out seeds: per learner, each run's gap closed and mean
    network NMSE (runs,); the references' mean network NMSE."""

    gaps: dict[str, np.ndarray]
    nmse: dict[str, np.ndarray]
    uniform: float
    best_response: float


def preset_scores(preset_name: str, policies: dict[str, list[Learned]]) -> PresetScores:
    """Every run of every learner on one preset, against Uniform and the best response on the
    same seeds."""
    preset = get_preset(preset_name)
    seeds = list(HELD_OUT_SEEDS)
    levels = references((preset, {"action_mode": "normalized"}, "link"), seeds)
    uniform, best = levels["uniform"], levels["best response"]
    gaps, means = {}, {}
    for name, runs in policies.items():
        nmse = [
            play((preset, p.env_kwargs(), p.kind), p.act_batch, seeds)["network_nmse"] for p in runs
        ]
        gaps[name] = np.array([gap_share(row, uniform, best) for row in nmse])
        means[name] = np.array([row.mean() for row in nmse])
    return PresetScores(gaps, means, float(uniform.mean()), float(best.mean()))


def intervals(
    scores: dict[str, np.ndarray], aggregate: Callable[..., np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """rliable's point estimates and 95 % stratified-bootstrap intervals, the same on every
    run: rliable 1.2's stratified bootstrap draws its resamples from NumPy's global generator
    (the ``random_state`` it accepts does not reach them), so that generator is seeded here."""
    np.random.seed(0)  # noqa: NPY002 (the legacy global generator is the one rliable reads)
    return rly.get_interval_estimates(
        scores, aggregate, reps=BOOTSTRAP_REPS, random_state=np.random.RandomState(0)
    )


def _iqm_mean(x: np.ndarray) -> np.ndarray:
    return np.array([metrics.aggregate_iqm(x), metrics.aggregate_mean(x)])


def _estimate(point: np.ndarray, interval: np.ndarray, i: int) -> str:
    return f"{point[i]:.1%} [{interval[0, i]:.1%}, {interval[1, i]:.1%}]"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", nargs="+", default=["low-snr"], choices=list(TRAINED_PRESETS))
    p.add_argument("--algorithms", nargs="+", default=["ppo-shared", "mappo-torchrl"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    policies = {
        preset: {name: exports(name, preset, args.seeds) for name in args.algorithms}
        for preset in args.presets
    }
    per_preset = {preset: preset_scores(preset, policies[preset]) for preset in args.presets}
    # rliable's layout: (runs, tasks) per learner, the presets as tasks
    scores = {
        name: np.stack([per_preset[preset].gaps[name] for preset in args.presets], 1)
        for name in args.algorithms
    }

    runs_label = ", ".join(map(str, args.seeds))
    lines = [
        f"Training seeds {runs_label} per learner; scores on the {len(HELD_OUT_SEEDS)} held-out "
        "channel seeds; gap closed = share of the Uniform → best-response gap in mean network "
        "NMSE; intervals: 95 %, stratified bootstrap over training runs (rliable).",
        "",
        "| preset | learner | gap closed per run (seed order) | mean [95 % CI] | IQM [95 % CI] "
        "| network NMSE over runs (min – max) |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for t, preset in enumerate(args.presets):
        point, interval = intervals({n: s[:, [t]] for n, s in scores.items()}, _iqm_mean)
        for name in args.algorithms:
            gaps, nmse = per_preset[preset].gaps[name], per_preset[preset].nmse[name]
            lines.append(
                f"| {preset} | {name} | {' / '.join(f'{g:.1%}' for g in gaps)} | "
                f"{_estimate(point[name], interval[name], 1)} | "
                f"{_estimate(point[name], interval[name], 0)} | "
                f"{nmse.mean():.4f} ({nmse.min():.4f} – {nmse.max():.4f}) |"
            )
            rows += [
                {
                    "preset": preset,
                    "learner": name,
                    "training_seed": seed,
                    "gap_closed": float(gap),
                    "network_nmse": float(value),
                }
                for seed, gap, value in zip(args.seeds, gaps, nmse, strict=True)
            ]
    lines.append("")
    if len(args.presets) > 1:
        point, interval = intervals(scores, _iqm_mean)
        for name in args.algorithms:
            lines.append(
                f"- {name} over {', '.join(args.presets)}: mean "
                f"{_estimate(point[name], interval[name], 1)}, IQM "
                f"{_estimate(point[name], interval[name], 0)}."
            )
    pairs = {
        f"{a} over {b}": (scores[a], scores[b])
        for a, b in itertools.combinations(args.algorithms, 2)
    }
    if pairs:
        improve, improve_ci = intervals(
            pairs, lambda x, y: np.array([metrics.probability_of_improvement(x, y)])
        )
        for name in pairs:
            lo, hi = improve_ci[name][:, 0]
            lines.append(
                f"- Probability of improvement, {name}"
                f" ({', '.join(args.presets)}): {improve[name][0]:.2f} [{lo:.2f}, {hi:.2f}]."
            )
    for preset in args.presets:
        lines.append(
            f"- References on {preset} (network NMSE): Uniform {per_preset[preset].uniform:.4f},"
            f" best response {per_preset[preset].best_response:.4f}."
        )
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "training-seeds.md").write_text(text)
    with (args.out / "training-seeds.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
