"""``evaluate``: run policies on a semgym env over fixed seeds and print one table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from semgym.presets import DYNAMIC_FIRST_SCORED, PAPER_SEEDS


def _run_episode(policy: Any, env: Any, seed: int) -> dict[str, Any]:
    observations, infos = env.reset(seed=seed)
    batch = getattr(env.unwrapped, "batch", None)
    dynamic = bool(getattr(batch, "dynamic", False))
    played: list[dict[str, Any]] = []  # a time-varying channel's scored blocks
    while env.agents:
        if getattr(policy, "central", False):  # one controller of every link, from the state
            parts = np.split(np.asarray(policy.act(env.state())), len(env.agents))
            actions = dict(zip(env.agents, parts, strict=True))
        elif getattr(policy, "needs_agent", False):  # designs that read the scenario
            actions = {agent: policy.act(observations[agent], agent) for agent in env.agents}
        else:
            actions = {agent: policy.act(observations[agent]) for agent in env.agents}
        observations, _, _, _, infos = env.step(actions)
        if dynamic and int(batch.cycles[0]) > DYNAMIC_FIRST_SCORED:
            played.append(infos)
    agents = list(infos)
    first = infos[agents[0]]
    if "user_nmse" in first:  # the broadcast env: one agent (the AP) serving several users
        row = {
            "nmse": list(first["user_nmse"]),
            "mse": list(first["user_mse"]),
            "exploitability": math.nan,
        }
        if "accuracy" in first:
            row["accuracy"] = list(first["user_accuracy"])
            row["native_accuracy"] = [first["native_accuracy"]]
        return row
    if played:  # the mean over the blocks scored
        return {
            "nmse": [float(np.mean([i[a]["nmse"] for i in played])) for a in agents],
            "mse": [float(np.mean([i[a]["mse"] for i in played])) for a in agents],
            "exploitability": max(infos[a]["exploitability"] for a in agents),
        }
    row = {
        "nmse": [infos[a]["nmse"] for a in agents],
        "mse": [infos[a]["mse"] for a in agents],
        "exploitability": max(infos[a]["exploitability"] for a in agents),
    }
    if "accuracy" in first:
        row["accuracy"] = [infos[a]["accuracy"] for a in agents]
        row["native_accuracy"] = [infos[a]["native_accuracy"] for a in agents]
    return row


def evaluate(
    policies: Any | Mapping[str, Any],
    env: Any,
    seeds: Sequence[int] = PAPER_SEEDS,
    *,
    show: bool = True,
) -> list[dict[str, Any]]:
    """Run each policy on ``env`` (a semgym ``parallel_env``: interference or broadcast) for
    one episode per channel seed; every agent acts with ``policy.act(observation)`` (or
    ``policy.act(observation, agent)`` for scenario designs with ``needs_agent``; a central
    controller, ``central = True``, acts once per step on ``env.state()`` for every agent).

    Returns one row per policy: network and per-link NMSE (per user on the broadcast env;
    mean over seeds, at the end of the episodes; on a time-varying channel, the mean over
    each episode's blocks after the first ``DYNAMIC_FIRST_SCORED``), network MSE in dB, worst
    exploitability (NaN on the broadcast env, which is no game), and, when the env reports
    it, accuracy with the receivers' native ceiling. ``show`` prints the comparison table.
    """
    if not isinstance(policies, Mapping):
        policies = {type(policies).__name__: policies}
    if not seeds:
        raise ValueError("seeds must name at least one channel seed")
    rows = []
    for name, policy in policies.items():
        runs = [_run_episode(policy, env, int(s)) for s in seeds]
        per_link = np.mean([r["nmse"] for r in runs], axis=0)
        row: dict[str, Any] = {
            "policy": name,
            "network_nmse": float(per_link.mean()),
            "network_nmse_std": float(np.std([np.mean(r["nmse"]) for r in runs])),
            "per_link_nmse": per_link.tolist(),
            "network_mse_db": 10 * math.log10(float(np.mean([np.mean(r["mse"]) for r in runs]))),
            "exploitability": float(max(r["exploitability"] for r in runs)),
            "seeds": list(seeds),
        }
        if "accuracy" in runs[0]:
            row["accuracy"] = float(np.mean([np.mean(r["accuracy"]) for r in runs]))
            row["native_accuracy"] = float(np.mean(runs[0]["native_accuracy"]))
        rows.append(row)
    if show:
        print(format_table(rows))
    return rows


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table of :func:`evaluate` rows; a NaN exploitability prints as "–", and the
    column is left out when no row has one (the broadcast env)."""
    accuracy = all("accuracy" in r for r in rows)
    exploit = any(math.isfinite(r["exploitability"]) for r in rows)
    head = "| policy | network NMSE | per-link NMSE | network MSE (dB) |"
    rule = "|---|---|---|---|"
    if exploit:
        head += " exploitability |"
        rule += "---|"
    if accuracy:
        head += " accuracy (native) |"
        rule += "---|"
    lines = [head, rule]
    for r in rows:
        links = " / ".join(f"{v:.4f}" for v in r["per_link_nmse"])
        line = (
            f"| {r['policy']} | {r['network_nmse']:.4f} ± {r['network_nmse_std']:.4f} | {links} | "
            f"{r['network_mse_db']:.2f} |"
        )
        if exploit:
            value = r["exploitability"]
            line += f" {value:.2e} |" if math.isfinite(value) else " – |"
        if accuracy:
            line += f" {r['accuracy']:.1%} ({r['native_accuracy']:.1%}) |"
        lines.append(line)
    return "\n".join(lines)
