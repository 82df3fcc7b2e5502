"""Transfer across network sizes: shipped shared-parameter policies on 3× and 10× the links.

Every shipped per-link policy trained on a network preset (``sparse-network``,
``dense-network``: L links dropped at random at a given density) acts from an observation whose
size does not depend on L. Each one is loaded unchanged and played on held-out random
topologies of the same density with the training number of links, 3× and 10× as many, and on
the papers' line (``paper``: L = 3, α = 3); beside it, equal power (Uniform) and every link's
best response (the equilibrium) on the same seeds. The table gives the mean network NMSE with
a 95 % bootstrap interval over seeds and the share of the Uniform → equilibrium gap the policy
closes (paired bootstrap interval); the best response is the env's, every link moving at once
for 30 steps, as on every preset. Beside them, up to 30 links, the sequential equilibrium:
30 Gauss-Seidel rounds on the first 16 seeds (on random networks the simultaneous dynamics
need not converge, and the sequential one ends lower). Held-out seeds: the first ``--seeds``
of 10,000-10,063 (16 at 10× by default, for time), played ``CHUNK`` seeds at a time.

    python baselines/transfer.py [--policies NAME ...] [--seeds 64] [--large-seeds 16] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from harness import (
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
from semgym.solvers import best_response_dynamics

#: The presets whose policies are transferred.
NETWORK_PRESETS = ("sparse-network", "dense-network")
#: Multiples of the training number of links the policies are scored on.
SCALES = (1, 3, 10)
#: Seeds played in one batch (bounds the memory of the largest networks).
CHUNK = 8
#: The sequential (Gauss-Seidel) equilibrium's rounds, seeds and largest L (it costs L times
#: the simultaneous dynamics per round).
SEQUENTIAL_ROUNDS = 30
SEQUENTIAL_SEEDS = 16
SEQUENTIAL_MAX_LINKS = 30


def _played(spec: tuple[Any, dict[str, Any], str], act: Any, seeds: Sequence[int]) -> np.ndarray:
    """Per-seed network NMSE (S,) of ``act`` (None: the best response), CHUNK seeds at once."""
    parts = [
        play(spec, act, seeds[i : i + CHUNK])["network_nmse"] for i in range(0, len(seeds), CHUNK)
    ]
    return np.concatenate(parts)


def _sequential(preset: Any, kwargs: dict[str, Any], seeds: Sequence[int]) -> float:
    """Mean network NMSE after SEQUENTIAL_ROUNDS Gauss-Seidel best-response rounds (links
    moving one after another, from Algorithm 1's seeded start) on ``seeds``."""
    scenario = preset.vector_env(1, **kwargs).config.scenario
    game = scenario.sample(list(seeds))
    trace = best_response_dynamics(
        game, scheme="gauss_seidel", max_iters=SEQUENTIAL_ROUNDS, seed=list(seeds)
    )
    return float(trace.network_nmse[-1].mean())


def transfer_rows(
    name: str, seeds: int, large_seeds: int, smoke: bool = False
) -> list[dict[str, Any]]:
    """One row per target scenario of the policy ``name`` (a shipped name or a ``.pt`` path;
    ``smoke``: the tiny smoke scenario)."""
    path = Path(name)
    if path.suffix == ".pt":  # a run's export: its card beside it
        card = json.loads(path.with_suffix(".json").read_text())
    else:
        card = Learned.load(name).card
    base = get_preset(card["preset"])
    n_train = int(base.kwargs["n_links"])
    targets: list[tuple[str, Any, dict[str, Any]]] = [
        (f"{base.name}, L = {s * n_train}", base, {"n_links": s * n_train}) for s in SCALES
    ]
    targets.append(("paper (line), L = 3", get_preset("paper"), {}))
    rows = []
    for label, preset, overrides in targets:
        kwargs = {"action_mode": "normalized", **card.get("env_kwargs", {})}
        kwargs = {**kwargs, **overrides, **(SMOKE_INTERFERENCE if smoke else {})}
        n = large_seeds if kwargs.get("n_links", 3) > 3 * n_train else seeds
        chosen = list(HELD_OUT_SEEDS[:n])
        venv = preset.vector_env(1, **kwargs)
        act = Learned.load(name, env=venv).act_batch  # the layout checked, not the size
        spec = (preset, kwargs, "link")
        start = time.perf_counter()
        ours = _played(spec, act, chosen)
        width = venv.batch.n_modes
        uniform = _played(spec, lambda o, w=width: torch.zeros(o.shape[0], w), chosen)
        equilibrium = _played(spec, None, chosen)
        sequential = None
        if kwargs.get("n_links", 3) <= SEQUENTIAL_MAX_LINKS:
            sequential = _sequential(preset, kwargs, chosen[:SEQUENTIAL_SEEDS])
        low, high = mean_interval(ours)
        share_low, share_high = gap_interval(ours, uniform, equilibrium)
        rows.append(
            {
                "policy": name,
                "target": label,
                "n_links": venv.n_links,
                "seeds": len(chosen),
                "nmse": float(ours.mean()),
                "nmse_ci95": [low, high],
                "uniform_nmse": float(uniform.mean()),
                "best_response_nmse": float(equilibrium.mean()),
                "sequential_nmse": sequential,
                "gap_share": gap_share(ours, uniform, equilibrium),
                "gap_share_ci95": [share_low, share_high],
                "seconds": time.perf_counter() - start,
            }
        )
        r = rows[-1]
        print(
            f"{name} on {label}: {r['nmse']:.4f} [{low:.4f}, {high:.4f}], gap share "
            f"{r['gap_share']:.1%} [{share_low:.1%}, {share_high:.1%}] ({r['seconds']:.0f} s)",
            flush=True,
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The transfer table."""
    lines = [
        "| policy | scored on | seeds | Uniform | best response | policy | gap closed "
        "| sequential equilibrium |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        low, high = r["nmse_ci95"]
        s_low, s_high = r["gap_share_ci95"]
        lines.append(
            f"| {r['policy']} | {r['target']} | {r['seeds']} | {r['uniform_nmse']:.4f} | "
            f"{r['best_response_nmse']:.4f} | {r['nmse']:.4f} [{low:.4f}, {high:.4f}] | "
            f"{r['gap_share']:.1%} [{s_low:.1%}, {s_high:.1%}] | "
            f"{'–' if r['sequential_nmse'] is None else format(r['sequential_nmse'], '.4f')} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--policies", nargs="*", default=None, help="shipped names (default: all)")
    p.add_argument("--seeds", type=int, default=64, help="held-out seeds up to 3× (<= 64)")
    p.add_argument("--large-seeds", type=int, default=16, help="held-out seeds at 10×")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--smoke", action="store_true", help="tiny scenarios, 4 seeds, no files")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = args.policies
    if names is None:
        names = [
            n
            for n in Learned.available()
            if n.split("/")[-1] in NETWORK_PRESETS and not Learned.load(n).central
        ]
    if not names:
        print("no shipped policy trained on a network preset", file=sys.stderr)
        return 1
    if args.smoke:
        args.seeds = args.large_seeds = 4
    rows = [
        row
        for name in names
        for row in transfer_rows(name, args.seeds, args.large_seeds, args.smoke)
    ]
    stored = RESULTS / "transfer.json"
    if args.policies is not None and not args.smoke:  # the other policies' rows stay
        rows = merged_rows(stored, rows, "policy", str)
    table = markdown(rows)
    print(table)
    if not args.smoke:
        write_json(stored, rows)
        (RESULTS / "transfer.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
