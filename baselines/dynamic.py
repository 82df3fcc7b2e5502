"""One comparison of the reference and learned policies on the time-varying presets.

For each time-varying preset (``pedestrian``, ``vehicular``, ``vehicular-noisy``): Uniform, the
stale best response (the papers' water-filling on what the links observe, which is late and,
with pilots, noisy), the robust best response (the water-filling on the expected MSE given what
the links observe and the fading statistics), the genie (the best response on the true channel
of the block it plays on: the papers' solution with perfect current knowledge, which no link
could run; a reference, not a bound, since the best response is not the network's optimum) and
every shipped learned policy of the preset; the sampled robust best response (each link's
powers searched against draws of the next block, kept where further draws confirm the gain) on
the first ``SAMPLED_SEEDS`` seeds only, as it costs a search per step (``SAMPLED_OPTIONS``; its
row is paired with the stale best response on those seeds). Each plays one episode of
``DYNAMIC_STEPS`` blocks per held-out seed (10,000–10,063, which no training run saw; float64);
its score per seed is the mean network NMSE over blocks ``DYNAMIC_FIRST_SCORED``… Columns: the
score with a 95 % bootstrap interval over seeds, the paired difference to the stale best
response (negative: better) with its interval, and the share of the stale → genie gap closed
(paired bootstrap interval; "–" where that gap is under 1 %).

Results go to ``baselines/results/dynamic.json``, ``dynamic.md`` (the docs' table) and
``dynamic-headroom.md`` (the README's: one row per preset). About 30 minutes on 2 cores (the
sampled robust best response: 20 of them).

    python baselines/dynamic.py [--presets vehicular ...] [--smoke]
    python baselines/dynamic.py --presets   # only rewrite the tables from the stored rows
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from harness import (
    DYNAMIC_PRESETS,
    HELD_OUT_SEEDS,
    RESULTS,
    SMOKE_INTERFERENCE,
    gap_interval,
    gap_share,
    mean_interval,
    merged_rows,
    play,
    write_json,
)

from semgym.policies import Learned
from semgym.presets import get_preset

#: The reference policies: name → (action mode, the vector env's reference or None).
REFERENCES = {
    "Uniform": ("normalized", None),
    "Stale best response": ("normalized", "best_response"),
    "Robust best response": ("precoder", "robust_best_response"),
    "Genie (current CSI)": ("precoder", "genie_best_response"),
}
#: The sampled robust best response's row: its name, the seeds it plays (the first of the
#: held-out ones) and its search (draws of the next block, iterations).
SAMPLED = "Sampled robust best response"
SAMPLED_SEEDS = 16
SAMPLED_OPTIONS = {"draws": 32, "iterations": 50}
#: The references of the headroom table, in its column order.
HEADROOM_COLUMNS = (*list(REFERENCES)[:3], SAMPLED, "Genie (current CSI)")


def preset_scores(name: str, seeds: Sequence[int], smoke: bool) -> dict[str, np.ndarray]:
    """Per-seed scores (S,) of every policy on preset ``name``."""
    preset = get_preset(name)
    extra = SMOKE_INTERFERENCE if smoke else {}
    scores = {}
    for policy, (mode, reference) in REFERENCES.items():
        kwargs = {**extra, "action_mode": mode}
        if reference is None:  # equal power on every mode

            def act(obs: torch.Tensor, width: int = preset.vector_env(1, **kwargs).batch.n_modes):
                return torch.zeros(obs.shape[0], width)

            played = play((preset, kwargs, "link"), act, seeds)
        else:
            played = play((preset, kwargs, "link"), None, seeds, reference=reference)
        scores[policy] = played["network_nmse"]
    if not smoke:
        for learned in Learned.available():
            if learned.split("/")[-1] != name:
                continue
            policy = Learned.load(learned)
            kwargs = dict(policy.card.get("env_kwargs", {}))
            played = play((preset, kwargs, policy.kind), policy.act_batch, seeds)
            scores[learned] = played["network_nmse"]
    few = seeds[: 2 if smoke else SAMPLED_SEEDS]
    options = {"draws": 2, "iterations": 2} if smoke else SAMPLED_OPTIONS
    played = play(
        (preset, {**extra, "action_mode": "normalized"}, "link"),
        None,
        few,
        reference="sampled_robust_best_response",
        reference_options=options,
    )
    scores[SAMPLED] = played["network_nmse"]
    return scores


def preset_rows(name: str, seeds: Sequence[int], smoke: bool) -> list[dict[str, Any]]:
    """The table rows of preset ``name``."""
    scores = preset_scores(name, seeds, smoke)
    both = scores["Stale best response"], scores["Genie (current CSI)"]
    headroom = float(both[0].mean() / both[1].mean() - 1.0)
    rows = []
    for policy, values in scores.items():
        stale, genie = (x[: len(values)] for x in both)  # paired on the seeds it played
        low, high = mean_interval(values)
        d_low, d_high = mean_interval(values - stale)
        g_low, g_high = gap_interval(values, stale, genie)
        rows.append(
            {
                "preset": name,
                "policy": policy,
                "seeds": len(values),
                "nmse": float(values.mean()),
                "nmse_ci95": [low, high],
                "vs_stale": float((values - stale).mean()),
                "vs_stale_ci95": [d_low, d_high],
                "gap_closed": gap_share(values, stale, genie),
                "gap_closed_ci95": [g_low, g_high],
                "stale_over_genie": headroom,
            }
        )
    return rows


#: Below this stale → genie gap (relative) the share of it closed is not shown (it is noise).
MIN_GAP = 0.01


def _gap(row: dict[str, Any], with_interval: bool = True) -> str:
    """The share of the stale → genie gap a row closes, or "–" where that gap is too small."""
    if row["stale_over_genie"] < MIN_GAP:
        return "–"
    low, high = row["gap_closed_ci95"]
    interval = f" [{low:.0%}, {high:.0%}]" if with_interval else ""
    return f"{row['gap_closed']:.0%}{interval}"


def table(rows: list[dict[str, Any]]) -> str:
    """The report's markdown table (the share of the gap is left out, "–", where the stale
    best response is within ``MIN_GAP`` of the genie; a row played on fewer seeds than its
    preset's others says so)."""
    lines = [
        "| preset | policy | network NMSE [95 % CI] | vs stale best response [95 % CI] "
        "| stale → genie gap closed [95 % CI] |",
        "|---|---|---|---|---|",
    ]
    most: dict[str, int] = {}
    for r in rows:
        most[r["preset"]] = max(most.get(r["preset"], 0), r["seeds"])
    for r in rows:
        low, high = r["nmse_ci95"]
        d_low, d_high = r["vs_stale_ci95"]
        label = r["policy"]
        if r["seeds"] < most[r["preset"]]:
            label += f" (first {r['seeds']} seeds)"
        lines.append(
            f"| {r['preset']} | {label} | {r['nmse']:.4f} [{low:.4f}, {high:.4f}] | "
            f"{r['vs_stale']:+.4f} [{d_low:+.4f}, {d_high:+.4f}] | {_gap(r)} |"
        )
    return "\n".join(lines)


def headroom(rows: list[dict[str, Any]]) -> str:
    """One row per preset: what each reference reaches and the best learned policy (the
    sampled robust best response on its seeds only)."""
    lines = [
        "| preset | ρ per block | CSI | Uniform | stale best response | robust best response "
        f"| sampled robust ({SAMPLED_SEEDS} seeds; gap closed) | genie (current CSI) "
        "| stale over genie | best learned (stale → genie gap closed) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r["preset"] for r in rows):
        of = {r["policy"]: r for r in rows if r["preset"] == name}
        channel = get_preset(name).vector_env(1).batch.scenario.channel
        csi = f"{channel.csi_delay} late" + (
            "" if channel.pilot_snr_db is None else f", {channel.pilot_snr_db:g} dB pilots"
        )
        learned = [r for p, r in of.items() if p not in HEADROOM_COLUMNS]
        best = "–"
        if learned:
            top = min(learned, key=lambda r: r["nmse"])
            best = f"{top['nmse']:.4f} ({_gap(top, False)}, `{top['policy'].split('/')[0]}`)"
        cells = [f"{of[p]['nmse']:.4f}" for p in HEADROOM_COLUMNS]
        sampled_gap = _gap(of[SAMPLED], False)  # its share of the gap, paired on its seeds
        if sampled_gap != "–":
            cells[HEADROOM_COLUMNS.index(SAMPLED)] += f" ({sampled_gap})"
        lines.append(
            f"| {name} | {channel.fading_correlation:.3f} | {csi} | "
            + " | ".join(cells)
            + f" | {of['Stale best response']['stale_over_genie']:+.1%} | {best} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--presets",
        nargs="*",
        default=list(DYNAMIC_PRESETS),
        choices=DYNAMIC_PRESETS,
        help="presets to measure (none: only rewrite the tables from the stored rows)",
    )
    p.add_argument("--smoke", action="store_true", help="tiny scenarios, 3 seeds, no files")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = HELD_OUT_SEEDS[:3] if args.smoke else HELD_OUT_SEEDS
    rows = []
    for name in args.presets:
        rows += preset_rows(name, seeds, args.smoke)
        print(table([r for r in rows if r["preset"] == name]), flush=True)
    report = RESULTS / "dynamic.json"
    if not args.smoke:  # the presets not measured now keep their rows
        rows = merged_rows(report, rows, "preset", list(DYNAMIC_PRESETS).index)
        write_json(report, rows)
        (RESULTS / "dynamic.md").write_text(table(rows) + "\n")
        (RESULTS / "dynamic-headroom.md").write_text(headroom(rows) + "\n")
    print(table(rows))
    print(headroom(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
