"""One comparison of every reference and learned policy on every preset.

For each interference preset: Uniform, Random, the best response (each link's semantic
water-filling from its observation), interference pricing (``PricedBestResponse``, γ = 0.5, in
the env with ``observe_prices=True``; not with primary users), the MUI-agnostic water-filling
(``MuiLess``) and ADMM (``MuiAgnosticADMM``) designs, the cooperative optimum (best network
NMSE found by :func:`semgym.solvers.cooperative_optimum`), the MUI-less bound, and every
shipped learned policy of the preset (:meth:`semgym.policies.Learned.available`). For the
broadcast preset: Uniform, Random, federated ADMM, First-K, Top-K and the learned access point.

The MUI-agnostic ADMM design runs on the paper's six seeds only (60 iterations on the full
cross-covariances of every link: on 64 seeds it costs more than every other policy together).
Each policy plays one 30-step episode per channel seed (the batched env in float64; the designs'
scores are their solvers', which the env reproduces) on the held-out seeds 10,000–10,063 and on
the paper's six; no training run saw either set. Columns: network NMSE with a 95 % bootstrap
interval over seeds, the worst link's NMSE, exploitability (the most NMSE a link could still
save by deviating alone), the share of the Uniform → best-response gap closed and the share of
the best-response → cooperative gap closed (negative: worse than the equilibrium the best
response plays to; paired bootstrap intervals), accuracy with the receivers' native ceiling
(on the first 16 held-out seeds: a test-set simulation per seed), milliseconds per decision
(one link's action from one observation, single-threaded; a design's solver time for one
channel realization over L) and, with primary users, the share of seeds whose final precoders
keep every primary's cap I_max (``caps hold``). The ``primary-users`` preset enforces the caps
(the env scales powers onto each link's share), so every policy played in the env keeps them;
the designs are scored as their solvers return them.

Each preset's results are stored in ``baselines/results/presets/<preset>.json`` (so presets can
be measured in separate runs); then ``baselines/results/compare.csv`` (tidy, one row per
preset × policy × seed set), ``compare.md`` (the README's tables) and ``headroom.md`` (the
presets' headroom and price of anarchy on the paper's six seeds) are written from every preset
stored.

    python baselines/compare.py [--presets low-snr paper ...] [--no-accuracy] [--smoke]
    python baselines/compare.py --presets   # only rewrite the tables from the stored presets
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from harness import (
    HELD_OUT_SEEDS,
    PAPER_SEEDS,
    RESULTS,
    SMOKE_BROADCAST,
    SMOKE_INTERFERENCE,
    caps_held,
    gap_interval,
    gap_share,
    mean_interval,
    play,
)

from semgym.policies import (
    BestResponse,
    FederatedADMM,
    FirstK,
    Learned,
    PricedBestResponse,
    RandomPolicy,
    TopK,
    Uniform,
)
from semgym.presets import EVALUATION_STEPS, PRESETS, get_preset
from semgym.scenarios import GameOperator, downlink_accuracy, game_accuracy
from semgym.solvers import (
    cooperative_optimum,
    mui_agnostic_admm,
    mui_agnostic_design,
    mui_less_bound,
)
from semgym.solvers.cooperative import precoder_state

ACCURACY_SEEDS = 16
COOPERATIVE = {"iterations": 500, "random_starts": 0}


@dataclass
class Scores:
    """One policy's per-seed scores on one seed set."""

    policy: str
    kind: str  # "reference", "design", "bound", "learned"
    network_nmse: np.ndarray
    nmse: np.ndarray
    exploitability: np.ndarray | None
    accuracy: np.ndarray | None = None
    native: float | None = None
    ms_per_decision: float | None = None
    caps_hold: np.ndarray | None = None  # per seed, with primary users
    extra: dict[str, Any] = field(default_factory=dict)


def per_observation(policy: Any) -> Callable[[torch.Tensor], torch.Tensor]:
    """A policy's ``act(observation)`` applied row by row (N, D) → (N, A)."""

    def act(obs: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(np.stack([policy.act(o) for o in obs.numpy()]))

    return act


def decision_time(policy: Any, observations: np.ndarray, *, repeats: int = 200) -> float:
    """Milliseconds of one ``act(observation)`` call, median over ``repeats`` calls."""
    times = []
    for i in range(repeats):
        obs = observations[i % len(observations)]
        start = time.perf_counter()
        policy.act(obs)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def link_accuracy(venv: Any, state: Any, evaluation: Any, seeds: Sequence[int]) -> np.ndarray:
    """Mean test accuracy over links per seed, (S,), for the first ``len(seeds)`` games."""
    scenario, game = venv.config.scenario, venv.batch.game
    return np.array(
        [
            game_accuracy(
                game, state, evaluation, scenario.latent_links_of(s), index=b, seed=s
            ).mean()
            for b, s in enumerate(seeds)
        ]
    )


def interference_scores(
    preset_name: str,
    seeds: Sequence[int],
    overrides: dict[str, Any],
    accuracy: int,
    *,
    admm: bool = True,
) -> list[Scores]:
    """Every policy on an interference preset, per seed (``admm=False`` leaves out the
    MUI-agnostic ADMM design, whose 60 iterations on full P matrices cost about as much as all
    the other policies together)."""
    preset = get_preset(preset_name)
    kwargs = {"action_mode": "normalized", **overrides}
    probe = preset.vector_env(1, **kwargs)
    m, budget, n_links = probe.batch.n_modes, probe.batch.budget, probe.n_links
    links = probe.config.scenario.latent_links
    native = float(np.mean([link.native_accuracy for link in links]))
    spec = (preset, kwargs, "link")
    acc_seeds = list(seeds[:accuracy])
    results: list[Scores] = []

    def record(name: str, kind: str, played: dict[str, Any]) -> None:
        venv = played["venv"]
        acc = None
        if acc_seeds:
            acc = link_accuracy(venv, venv.batch.state, venv.batch.evaluation, acc_seeds)
        results.append(
            Scores(
                name,
                kind,
                played["network_nmse"],
                played["nmse"],
                played["exploitability"],
                acc,
                native,
                caps_hold=played["caps_hold"],
            )
        )

    observations = probe.reset(seed=[int(seeds[0])])[0].reshape(n_links, -1).numpy()
    references = {
        "Uniform": Uniform(m, budget, "normalized"),
        "Random": RandomPolicy(m, budget, "normalized", seed=0),
        "Best response": BestResponse(m, budget, "normalized"),
    }
    for name, policy in references.items():
        record(name, "reference", play(spec, per_observation(policy), seeds))
        results[-1].ms_per_decision = decision_time(policy, observations)
    if not probe.config.scenario.n_primaries:  # prices and caps together are not solved
        priced_kwargs = {**kwargs, "observe_prices": True}
        priced_probe = preset.vector_env(1, **priced_kwargs)
        pricing = PricedBestResponse.for_env(priced_probe)
        priced_obs = priced_probe.reset(seed=[int(seeds[0])])[0].reshape(n_links, -1).numpy()
        played = play((preset, priced_kwargs, "link"), per_observation(pricing), seeds)
        record("Interference pricing (PricedBestResponse)", "reference", played)
        results[-1].ms_per_decision = decision_time(pricing, priced_obs)

    # the designs read the channels: solved for every seed at once, scored by their solver
    venv = play(spec, None, seeds, steps=0)["venv"]
    game = venv.batch.game
    designs: dict[str, Callable[[], tuple[Any, Any]]] = {}

    def mui_less() -> tuple[Any, Any]:
        allocation = mui_agnostic_design(game)
        return allocation.state, allocation.metrics

    def admm_design() -> tuple[Any, Any]:
        pairs = venv.config.scenario.pairs
        result = mui_agnostic_admm(game, pairs, iterations=60, track=False)
        state = precoder_state(result.semantic_precoders(pairs))
        return state, GameOperator(game, "dense").evaluate(state)

    searches = []

    def cooperative() -> tuple[Any, Any]:
        search = cooperative_optimum(game, **COOPERATIVE)
        searches.append(search)
        return search.state, search.metrics

    designs["MUI-agnostic water-filling (MuiLess)"] = mui_less
    if admm:
        designs["MUI-agnostic ADMM"] = admm_design
    designs["Cooperative optimum (best found)"] = cooperative
    for name, design in designs.items():
        start = time.perf_counter()
        state, metrics = design()
        elapsed = time.perf_counter() - start
        exploit = (metrics.link_exploitability / game.target_energy).amax(-1).numpy()
        nmse = metrics.nmse.numpy()
        acc = link_accuracy(venv, state, metrics, acc_seeds) if acc_seeds else None
        scores = Scores(name, "design", nmse.mean(-1), nmse, exploit, acc, native)
        scores.caps_hold = caps_held(game, state)
        scores.ms_per_decision = 1e3 * elapsed / (len(seeds) * n_links)
        if searches and name.startswith("Cooperative"):
            scores.extra["equilibrium_nmse"] = searches[-1].equilibrium_score.numpy()
        results.append(scores)
    allocation = mui_less_bound(game)
    bound = allocation.metrics.nmse.numpy()
    results.append(Scores("MUI-less bound (no MUI)", "bound", bound.mean(-1), bound, None))
    results[-1].caps_hold = caps_held(game, allocation.state)

    for name in Learned.available():
        policy = Learned.load(name)
        if policy.preset.name != preset_name:
            continue
        if overrides:
            continue  # smoke scenarios do not fit the shipped layouts
        kind = "central" if policy.central else "link"
        # the env settings it was trained with (team reward, observed prices) on top
        own = {**kwargs, **policy.card.get("env_kwargs", {})}
        played = play((preset, own, kind), policy.act_batch, seeds)
        record(name, "learned", played)
        obs = observations
        if own != kwargs:  # its observation has other blocks
            obs = preset.vector_env(1, **own).reset(seed=[int(seeds[0])])[0].numpy()
            obs = obs.reshape(n_links, -1)
        obs = obs.reshape(1, -1) if policy.central else obs
        results[-1].ms_per_decision = decision_time(policy, obs) / (
            n_links if policy.central else 1
        )
    return results


def broadcast_scores(
    preset_name: str, seeds: Sequence[int], overrides: dict[str, Any], accuracy: int
) -> list[Scores]:
    """Every policy on the broadcast preset, per seed (PettingZoo env, one seed at a time)."""
    preset = get_preset(preset_name)
    results: list[Scores] = []
    envs = {
        "power": preset.parallel_env(action_mode="power", max_cycles=EVALUATION_STEPS, **overrides),
        "precoder": preset.parallel_env(
            action_mode="precoder", max_cycles=EVALUATION_STEPS, **overrides
        ),
    }
    native = float(np.mean([u.native_accuracy for u in envs["power"].users]))
    policies: dict[str, tuple[str, str, Any]] = {
        "Uniform": ("reference", "power", Uniform.for_env(envs["power"])),
        "Random": ("reference", "power", RandomPolicy.for_env(envs["power"], seed=0)),
        "Federated ADMM": ("design", "precoder", FederatedADMM(envs["precoder"])),
        "First-K": ("design", "precoder", FirstK(envs["precoder"])),
        "Top-K": ("design", "precoder", TopK(envs["precoder"])),
    }
    if not overrides:
        for name in Learned.available():
            policy = Learned.load(name)
            if policy.preset.name == preset_name:
                policies[name] = ("learned", "power", policy)
    for name, (kind, mode, policy) in policies.items():
        env = envs[mode]
        nmse, acc, times = [], [], []
        for i, seed in enumerate(seeds):
            observations, _ = env.reset(seed=int(seed))
            while env.agents:
                start = time.perf_counter()
                action = policy.act(observations["access_point"])
                if kind != "design" or env.cycles == 0:  # a design solves once per realization
                    times.append(time.perf_counter() - start)
                observations, _, _, _, infos = env.step({"access_point": action})
            nmse.append(infos["access_point"]["user_nmse"])
            if i < accuracy:
                users = env.users
                acc.append(
                    downlink_accuracy(
                        env.downlink.select(0), env.precoder, users, seed=int(seed)
                    ).mean()
                )
        nmse_a = np.array(nmse)
        scores = Scores(
            name, kind, nmse_a.mean(-1), nmse_a, None, np.array(acc) if acc else None, native
        )
        scores.ms_per_decision = 1e3 * float(np.median(times))
        results.append(scores)
    return results


def _mean(values: np.ndarray | None) -> float:
    return math.nan if values is None else float(np.mean(values))


def summarize(preset: str, seed_set: str, results: list[Scores]) -> list[dict[str, Any]]:
    """Rows of the table: means, intervals, shares of the gap."""
    by_name = {r.policy: r for r in results}
    uniform = by_name["Uniform"].network_nmse
    reference = by_name.get("Best response")
    cooperative = by_name.get("Cooperative optimum (best found)")
    rows = []
    for r in results:
        low, high = mean_interval(r.network_nmse)
        row: dict[str, Any] = {
            "preset": preset,
            "seeds": seed_set,
            "n_seeds": len(r.network_nmse),
            "policy": r.policy,
            "kind": r.kind,
            "nmse": float(np.mean(r.network_nmse)),
            "nmse_low": low,
            "nmse_high": high,
            "worst_link_nmse": float(np.mean(r.nmse.max(-1))),
            "exploitability": math.nan
            if r.exploitability is None
            else float(np.mean(r.exploitability)),
            "accuracy": _mean(r.accuracy),
            "native_accuracy": math.nan if r.native is None else r.native,
            "ms_per_decision": math.nan if r.ms_per_decision is None else r.ms_per_decision,
            "gap_share": math.nan,
            "gap_low": math.nan,
            "gap_high": math.nan,
            "coop_gap_share": math.nan,
            "coop_gap_low": math.nan,
            "coop_gap_high": math.nan,
            "caps_hold": _mean(r.caps_hold),
        }
        if "equilibrium_nmse" in r.extra:  # the search's Gauss-Seidel equilibrium
            row["equilibrium_nmse"] = float(np.mean(r.extra["equilibrium_nmse"]))
        if reference is not None and r.kind != "bound":
            row["gap_share"] = gap_share(r.network_nmse, uniform, reference.network_nmse)
            if len(r.network_nmse) > 2 and r.policy not in ("Uniform", "Best response"):
                lo, hi = gap_interval(r.network_nmse, uniform, reference.network_nmse)
                row["gap_low"], row["gap_high"] = lo, hi
        if reference is not None and cooperative is not None and r.kind != "bound":
            equilibrium, best = reference.network_nmse, cooperative.network_nmse
            row["coop_gap_share"] = gap_share(r.network_nmse, equilibrium, best)
            if len(r.network_nmse) > 2 and r.policy not in ("Best response", cooperative.policy):
                lo, hi = gap_interval(r.network_nmse, equilibrium, best)
                row["coop_gap_low"], row["coop_gap_high"] = lo, hi
        rows.append(row)
    return rows


def _fmt(value: float, spec: str, empty: str = "–") -> str:
    return empty if value is None or not math.isfinite(value) else format(value, spec)


def markdown(rows: list[dict[str, Any]], paper: dict[str, float]) -> str:
    """The comparison table of one preset (held-out rows, with the paper-six NMSE beside)."""
    # with primary users: the share of held-out seeds whose last step keeps every cap I_max
    caps = any(math.isfinite(r.get("caps_hold", math.nan)) for r in rows)
    lines = [
        "| policy | network NMSE, held-out [95 % CI] | paper six | worst link | exploitability"
        " | gap closed [95 % CI] | cooperative gap closed [95 % CI] | accuracy (native)"
        " | ms / decision |" + (" caps hold |" if caps else ""),
        "|---|---|---|---|---|---|---|---|---|" + ("---|" if caps else ""),
    ]
    lines_only_paper: list[str] = []
    for policy in paper:
        if all(r["policy"] != policy for r in rows):  # measured on the paper's six only
            lines_only_paper.append(
                f"| {policy} | – (paper six only) | {paper[policy]:.4f} | – | – | – | – | – | – |"
                + (" – |" if caps else "")
            )
    for r in rows:
        gap = _fmt(r["gap_share"], ".1%")
        if math.isfinite(r["gap_low"]):
            gap += f" [{r['gap_low']:.1%}, {r['gap_high']:.1%}]"
        coop = _fmt(r.get("coop_gap_share", math.nan), ".1%")
        if math.isfinite(r.get("coop_gap_low", math.nan)):
            coop += f" [{r['coop_gap_low']:.1%}, {r['coop_gap_high']:.1%}]"
        accuracy = _fmt(r["accuracy"], ".1%")
        if accuracy != "–":
            accuracy += f" ({r['native_accuracy']:.1%})"
        lines.append(
            f"| {r['policy']} | {r['nmse']:.4f} [{r['nmse_low']:.4f}, {r['nmse_high']:.4f}] | "
            f"{_fmt(paper.get(r['policy'], math.nan), '.4f')} | {r['worst_link_nmse']:.4f} | "
            f"{_fmt(r['exploitability'], '.4f')} | {gap} | {coop} | {accuracy} | "
            f"{_fmt(r['ms_per_decision'], '.3g')} |"
            + (f" {_fmt(r.get('caps_hold', math.nan), '.0%')} |" if caps else "")
        )
    return "\n".join(lines + lines_only_paper)


def headroom(rows: list[dict[str, Any]], coop: dict[str, Any]) -> str:
    """The presets' headroom table (paper six seeds) with the price of anarchy."""
    lines = [
        "| preset | Uniform | Random | best response | BR gain over Uniform | MUI-less bound "
        "| cooperative (best found) | price of anarchy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for preset, values in rows:
        u, r, b = values["Uniform"], values["Random"], values["Best response"]
        lines.append(
            f"| {preset} | {u:.4f} | {r:.4f} | {b:.4f} | {(u - b) / u:.1%} | "
            f"{values['MUI-less bound (no MUI)']:.4f} | "
            f"{values['Cooperative optimum (best found)']:.4f} | {coop[preset]:.4f} |"
        )
    return "\n".join(lines)


def preset_results(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every policy on one preset, both seed sets: the rows, the table and the headroom."""
    preset = get_preset(name)
    held_out = HELD_OUT_SEEDS[:4] if args.smoke else HELD_OUT_SEEDS
    paper_seeds = PAPER_SEEDS[:2] if args.smoke else PAPER_SEEDS
    accuracy = 0 if args.no_accuracy else (1 if args.smoke else ACCURACY_SEEDS)
    score = interference_scores if preset.env == "interference" else broadcast_scores
    smoke = SMOKE_BROADCAST if preset.env == "broadcast" else SMOKE_INTERFERENCE
    overrides = smoke if args.smoke else {}
    start = time.perf_counter()
    # MUI-agnostic ADMM runs on the paper's six seeds only (its cost: see interference_scores)
    extra = {"admm": False} if preset.env == "interference" else {}
    held = summarize(name, "held-out", score(name, held_out, overrides, accuracy, **extra))
    paper = summarize(name, "paper", score(name, paper_seeds, overrides, 0))
    equilibrium = {
        r["seeds"]: r.pop("equilibrium_nmse") for r in held + paper if "equilibrium_nmse" in r
    }
    paper_nmse = {r["policy"]: r["nmse"] for r in paper}
    result: dict[str, Any] = {
        "preset": name,
        "rows": held + paper,
        "table": f"### {name}\n\n{markdown(held, paper_nmse)}\n",
        "seconds": time.perf_counter() - start,
    }
    if preset.env == "interference":
        coop = paper_nmse["Cooperative optimum (best found)"]
        result["headroom"] = paper_nmse
        result["price_of_anarchy"] = equilibrium["paper"] / coop
        held_nmse = {r["policy"]: r["nmse"] for r in held}
        result["price_of_anarchy_held_out"] = (
            equilibrium["held-out"] / held_nmse["Cooperative optimum (best found)"]
        )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--presets",
        nargs="*",
        default=list(PRESETS),
        choices=list(PRESETS),
        help="presets to measure (none: only rewrite the tables from the stored presets)",
    )
    p.add_argument("--no-accuracy", action="store_true", help="skip the test-set simulations")
    p.add_argument("--smoke", action="store_true", help="tiny scenarios, few seeds, no files")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.smoke:
        COOPERATIVE["iterations"] = 5
    cache = args.out / "presets"
    for name in args.presets:
        result = preset_results(name, args)
        print(f"\n{name} ({result['seconds']:.0f} s)\n\n{result['table']}")
        if not args.smoke:
            cache.mkdir(parents=True, exist_ok=True)
            (cache / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    if args.smoke:
        return 0
    # the tables of every preset measured so far (each preset's run is stored on its own)
    results = [
        json.loads((cache / f"{n}.json").read_text())
        for n in PRESETS
        if (cache / f"{n}.json").is_file()
    ]
    tidy = [row for r in results for row in r["rows"]]
    with (args.out / "compare.csv").open("w", newline="") as f:
        columns = list(dict.fromkeys(key for row in tidy for key in row))  # newer runs add some
        writer = csv.DictWriter(f, columns, restval="")
        writer.writeheader()
        writer.writerows(tidy)
    (args.out / "compare.md").write_text("\n".join(r["table"] for r in results))
    head = [(r["preset"], r["headroom"]) for r in results if "headroom" in r]
    price = {r["preset"]: r["price_of_anarchy"] for r in results if "headroom" in r}
    (args.out / "headroom.md").write_text(headroom(head, price) + "\n")
    print(headroom(head, price))
    return 0


if __name__ == "__main__":
    sys.exit(main())
