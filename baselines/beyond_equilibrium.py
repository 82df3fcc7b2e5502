"""Which decentralized policies end below the sequential equilibrium, with paired intervals.

The comparison's best response is the env's: every link moves at once for 30 steps. With many
strong interferers those simultaneous dynamics need not converge, and they can end above the
equilibrium that links moving one after another reach. This report holds the decentralized
policies to that stricter reference: on every interference preset whose price of anarchy is
at least ``MIN_POA`` (the comparison's, stored in ``results/presets``), the 64 held-out seeds'
sequential equilibrium (100 Gauss-Seidel best-response rounds from Algorithm 1's start with
seed 0: the cooperative search's equilibrium start) against interference pricing and every
shipped per-link policy of the preset, played in the env for 30 steps; and the best response
and interference pricing with asynchronous updates (``hold_probability=HOLD``: at each step
every link's transmitter keeps its precoder with that probability), under which links that
move one at a time settle where simultaneous movers need not. Columns: mean network
NMSE, the mean difference policy − equilibrium with a 95 % bootstrap interval over seeds
(paired: the same channels), and the share of the equilibrium → cooperative gap closed, the
cooperative best found taken from the comparison.

    python baselines/beyond_equilibrium.py [--presets more-links ...] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import torch
from compare import per_observation
from harness import (
    HELD_OUT_SEEDS,
    RESULTS,
    SMOKE_INTERFERENCE,
    mean_interval,
    merged_rows,
    play,
    write_json,
)

from semgym.policies import Learned, PricedBestResponse
from semgym.presets import PRESETS, get_preset
from semgym.solvers import best_response_dynamics

#: Presets with at least this price of anarchy are reported.
MIN_POA = 1.03
#: Gauss-Seidel rounds of the sequential equilibrium.
ROUNDS = 100
#: The asynchronous rows' probability that a link keeps its precoder at a step (chosen on 24
#: training seeds of ``dense-network``: 0.4–0.6 gave pricing the same score within 0.2 %).
HOLD = 0.5


def preset_rows(name: str, stored: dict[str, Any], smoke: bool = False) -> list[dict[str, Any]]:
    """The sequential equilibrium and every decentralized policy on preset ``name``
    (``smoke``: the tiny scenario, 4 seeds, 3 rounds, pricing only)."""
    preset = get_preset(name)
    seeds = list(HELD_OUT_SEEDS[:4] if smoke else HELD_OUT_SEEDS)
    kwargs = {"action_mode": "normalized", **(SMOKE_INTERFERENCE if smoke else {})}
    game = preset.vector_env(1, **kwargs).config.scenario.sample(seeds)
    trace = best_response_dynamics(
        game, scheme="gauss_seidel", max_iters=3 if smoke else ROUNDS, seed=0
    )
    equilibrium = trace.network_nmse[-1].numpy()
    held = {r["policy"]: r["nmse"] for r in stored["rows"] if r["seeds"] == "held-out"}
    cooperative = held["Cooperative optimum (best found)"]
    policies: dict[str, tuple[dict[str, Any], Any]] = {}
    priced = {**kwargs, "observe_prices": True}
    pricing = PricedBestResponse.for_env(preset.vector_env(1, **priced))
    policies["Interference pricing (PricedBestResponse)"] = (priced, per_observation(pricing))
    held = {"hold_probability": HOLD}
    policies[f"Best response, asynchronous (hold {HOLD:g})"] = ({**kwargs, **held}, None)
    policies[f"Interference pricing, asynchronous (hold {HOLD:g})"] = (
        {**priced, **held},
        per_observation(pricing),
    )
    for policy_name in [] if smoke else Learned.available():
        policy = Learned.load(policy_name)
        if policy.preset.name == name and not policy.central:
            own = {**kwargs, **policy.card.get("env_kwargs", {})}
            policies[policy_name] = (own, policy.act_batch)
    rows = []
    for label, (own, act) in policies.items():
        ours = play((preset, own, "link"), act, seeds)["network_nmse"]
        low, high = mean_interval(ours - equilibrium)
        gap = float(equilibrium.mean() - cooperative)
        rows.append(
            {
                "preset": name,
                "price_of_anarchy": stored["price_of_anarchy_held_out"],
                "equilibrium": float(equilibrium.mean()),
                "equilibrium_converged": float(trace.converged.double().mean()),
                "cooperative": cooperative,
                "policy": label,
                "nmse": float(ours.mean()),
                "difference": float((ours - equilibrium).mean()),
                "difference_ci95": [low, high],
                "gap_closed": float(equilibrium.mean() - ours.mean()) / gap,
            }
        )
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The report's markdown table."""
    lines = [
        "| preset (price of anarchy) | sequential equilibrium | cooperative (best found) "
        "| policy | network NMSE | policy − equilibrium [95 % CI] | gap closed |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        low, high = r["difference_ci95"]
        lines.append(
            f"| {r['preset']} ({r['price_of_anarchy']:.3f}) | {r['equilibrium']:.4f} | "
            f"{r['cooperative']:.4f} | {r['policy']} | {r['nmse']:.4f} | "
            f"{r['difference']:+.4f} [{low:+.4f}, {high:+.4f}] | {r['gap_closed']:.1%} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    stored = {
        n: json.loads((RESULTS / "presets" / f"{n}.json").read_text())
        for n, p in PRESETS.items()
        if p.env == "interference" and (RESULTS / "presets" / f"{n}.json").is_file()
    }
    eligible = [n for n, r in stored.items() if r["price_of_anarchy_held_out"] >= MIN_POA]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", nargs="*", default=eligible, choices=eligible)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--smoke", action="store_true", help="tiny scenarios, 4 seeds, no files")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = [row for name in args.presets for row in preset_rows(name, stored[name], args.smoke)]
    report = RESULTS / "beyond-equilibrium.json"
    if not args.smoke:  # the presets not measured now keep their rows
        rows = merged_rows(report, rows, "preset", list(PRESETS).index)
    print(table(rows))
    if not args.smoke:
        write_json(report, rows)
        (RESULTS / "beyond-equilibrium.md").write_text(table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
