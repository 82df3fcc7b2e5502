"""The robust best responses against the stale one, instance by instance.

On random instances of close interferers (the synthetic bank, 2 × 2 antennas, K = 2, three
links, after three blocks of stale best responses; seeds 900…), each instance's next block is
drawn 3,000 times from what the links know of it (``channel_posterior``) and scored as the env
scores it (each receiver knowing its draw). Two comparisons, paired over the same draws:

- jointly: every link plays its robust best response, against every link playing its stale
  one (network NMSE);
- unilaterally: one link plays its robust or its stale response while the others keep their
  current precoders (that link's own NMSE): what a best response is meant to improve.

Two robust responses: the closed form (the water-filling on the expected MSE of the receiver
that knows no more than the transmitter) and the sampled one (each link's powers on its stale
modes searched against 64 draws of the next block, the others fixed, never worse on those
draws; the evaluation draws are fresh).

Columns: instances (or link-instances) where the robust response is worse, or better, by more
than 4 standard errors of the paired difference, and the mean and worst relative change.

    python baselines/robust_instances.py [--smoke]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import torch
from harness import RESULTS, write_json

from semgym import core
from semgym.channels.fading import standard_complex_normal
from semgym.scenarios import GameOperator
from semgym.scenarios.interference.state import GameState
from semgym.vector import InterferenceVecEnv

SCENARIO = {"latents": "synthetic", "n_antennas": 2, "channel_uses": 2, "n_links": 3, "alpha": 1.0}
SETTINGS = (
    ("30 km/h, 1 block late", {"speed_kmh": 30.0}),
    ("60 km/h, 1 block late", {"speed_kmh": 60.0}),
    (
        "60 km/h, 2 blocks late, 10 dB pilots",
        {"speed_kmh": 60.0, "csi_delay": 2, "pilot_snr_db": 10.0},
    ),
)
#: Standard errors of the paired difference beyond which an instance counts as worse/better.
SIGNIFICANT = 4.0
#: Draws of the next block the sampled robust best response searches against.
SAMPLED_DRAWS = 64
#: The responses compared with the stale best response.
NAMES = {"robust": "closed form", "sampled": f"sampled ({SAMPLED_DRAWS} draws)"}


def _draws(game: Any, variance: torch.Tensor, b: int, draws: int, gen: torch.Generator):
    """``draws`` channels of game ``b`` given what its links know, in the game's form."""
    shape = game.fading.mean.shape[1:] if game.fading is not None else game.channels.shape[1:]
    delta = standard_complex_normal(shape, gen, draws) * variance[b].sqrt()[..., None, None]
    if game.widely_linear:
        delta = core.real_composite(delta)
    return game.channels[b : b + 1] + delta


def _scores(game: Any, state: GameState, b: int, channels: torch.Tensor, structure: str):
    """NMSE (S, L) of game ``b`` with ``state``'s game-``b`` precoders on every drawn channel."""
    index = torch.full((channels.shape[0],), b, dtype=torch.int64)
    many = game.select(index).with_channels(channels)
    return GameOperator(many, structure).score(state.select(index)).nmse


def _summary(label: str, what: str, rows: list[tuple[float, float, float]]) -> dict[str, Any]:
    """Counts and relative changes of (mean difference, its standard error, stale mean)."""
    worse = sum(m > SIGNIFICANT * se for m, se, _ in rows)
    better = sum(m < -SIGNIFICANT * se for m, se, _ in rows)
    relative = [m / base for m, _, base in rows]
    return {
        "setting": label,
        "comparison": what,
        "cases": len(rows),
        "worse": int(worse),
        "better": int(better),
        "mean_change": float(sum(relative) / len(relative)),
        "worst_change": float(max(relative)),
    }


def setting_rows(
    label: str, dynamics: dict[str, Any], instances: int, draws: int
) -> list[dict[str, Any]]:
    """The joint and unilateral comparison on ``instances`` random instances."""
    venv = InterferenceVecEnv(
        instances, **SCENARIO, **dynamics, action_mode="precoder", max_cycles=50, dtype="float64"
    )
    venv.reset(seed=900)
    for _ in range(3):
        venv.step(venv.best_response_actions())
    batch = venv.batch
    game, variance = batch.channel_posterior()
    current, stale = batch.state, batch.evaluation.response.state
    candidates = {
        "robust": GameOperator(game, batch.structure).robust_responses(current, variance).state,
        "sampled": batch.sampled_robust_response(SAMPLED_DRAWS),
    }
    gen = torch.Generator().manual_seed(4)
    joint: dict[str, list] = {name: [] for name in candidates}
    unilateral: dict[str, list] = {name: [] for name in candidates}

    def paired(d: torch.Tensor, base: torch.Tensor) -> tuple[float, float, float]:
        return float(d.mean()), float(d.std() / draws**0.5), float(base.mean())

    for b in range(instances):
        channels = _draws(game, variance, b, draws, gen)
        base = _scores(game, stale, b, channels, batch.structure)
        for name, response in candidates.items():
            mine = _scores(game, response, b, channels, batch.structure)
            joint[name].append(paired(mine.mean(-1) - base.mean(-1), base.mean(-1)))
            for link in range(batch.n_links):
                s, r = (
                    _scores(game, current.with_link(x, link), b, channels, batch.structure)[:, link]
                    for x in (stale, response)
                )
                unilateral[name].append(paired(r - s, s))
    return [
        _summary(label, f"{NAMES[name]}, {what}", rows[name])
        for name in candidates
        for what, rows in (
            ("joint (every link)", joint),
            ("unilateral (one link, others fixed)", unilateral),
        )
    ]


def table(rows: list[dict[str, Any]]) -> str:
    """The report's markdown table."""
    lines = [
        "| setting | robust response, comparison | worse | better | mean change | worst change |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setting']} | {r['comparison']} | {r['worse']} of {r['cases']} | "
            f"{r['better']} of {r['cases']} | {r['mean_change']:+.2%} | {r['worst_change']:+.2%} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="4 instances, 200 draws, no files")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    instances, draws = (4, 200) if args.smoke else (64, 3000)
    settings = SETTINGS[1:2] if args.smoke else SETTINGS
    rows = [row for label, d in settings for row in setting_rows(label, d, instances, draws)]
    print(table(rows))
    if not args.smoke:
        write_json(RESULTS / "robust-instances.json", rows)
        (RESULTS / "robust-instances.md").write_text(table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
