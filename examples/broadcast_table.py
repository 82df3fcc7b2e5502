"""Score table of the federated-downlink reference policies on six channel seeds (README).

Plays ``FederatedADMM``, ``FirstK`` and ``TopK`` in ``broadcast_v0.parallel_env``'s precoder
mode and ``Uniform`` (equal power on the env's pooled modes) in its power mode, one step per
channel seed (the designs do not change within an episode), at the federated paper's setting
(L = 10 users, 4×4 MIMO, SNR 20 dB, P_T = 1 W, ρ = 1, T = 30) for the heterogeneous and the
homogeneous user group and K ∈ {1, 10} channel uses. The ``MultiLink`` row is its time-division
scheme played in the env: each user's NMSE and accuracy in its own slot (step t serves user
t mod L), i.e. the multi-link bound of :func:`semgym.solvers.multi_link`, which needs L times
the channel uses. Prints one Markdown table per K (``--per-user`` adds the per-user tables).

    python examples/broadcast_table.py [--latents mnist5k] [--channel-uses 1 10] [--per-user]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from semgym import broadcast_v0
from semgym.envs.broadcast import AGENT
from semgym.policies import FederatedADMM, FirstK, MultiLink, TopK, Uniform, evaluate
from semgym.policies.evaluation import PAPER_SEEDS, format_table


def _multi_link_row(env) -> dict:
    """Each user's NMSE, MSE and accuracy in its own time slot, mean over the seeds."""
    policy = MultiLink(env)
    runs = []
    for seed in PAPER_SEEDS:
        obs, _ = env.reset(seed=seed)
        served = {"nmse": [], "mse": [], "accuracy": []}
        for user in range(env.downlink_config.n_users):
            obs, _, _, _, infos = env.step({AGENT: policy.act(obs[AGENT])})
            info = infos[AGENT]
            served["nmse"].append(info["user_nmse"][user])
            served["mse"].append(info["user_mse"][user])
            served["accuracy"].append(info["user_accuracy"][user])
        runs.append(served)
    per_user = np.mean([r["nmse"] for r in runs], axis=0)
    return {
        "policy": "MultiLink (bound: own slot each, L× channel uses)",
        "network_nmse": float(per_user.mean()),
        "network_nmse_std": float(np.std([np.mean(r["nmse"]) for r in runs])),
        "per_link_nmse": per_user.tolist(),
        "network_mse_db": 10 * math.log10(float(np.mean([r["mse"] for r in runs]))),
        "exploitability": math.nan,
        "accuracy": float(np.mean([r["accuracy"] for r in runs])),
        "native_accuracy": float(info["native_accuracy"]),
    }


def _rows(latents: str, group: str, k: int) -> tuple[list[dict], object]:
    kw = {"latents": latents, "user_group": group, "channel_uses": k, "info_accuracy": True}
    env = broadcast_v0.parallel_env(max_cycles=1, **kw)
    power_env = broadcast_v0.parallel_env(action_mode="power", max_cycles=1, **kw)
    designs = {"FederatedADMM": FederatedADMM(env), "FirstK": FirstK(env), "TopK": TopK(env)}
    rows = evaluate(designs, env, PAPER_SEEDS, show=False)
    rows += evaluate({"Uniform": Uniform.for_env(power_env)}, power_env, PAPER_SEEDS, show=False)
    rows.append(
        _multi_link_row(broadcast_v0.parallel_env(max_cycles=env.downlink_config.n_users, **kw))
    )
    return rows, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latents", default="mnist5k")
    parser.add_argument("--channel-uses", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--per-user", action="store_true", help="print the full per-user tables")
    args = parser.parse_args()
    for k in args.channel_uses:
        results = {}
        for group in ("heterogeneous", "homogeneous"):
            rows, env = _rows(args.latents, group, k)
            results[group] = {r["policy"]: r for r in rows}
            users = ", ".join(sorted(set(env.user_encoders)))
            print(f"\n{group}: AP {env.ap_encoder}, {len(env.user_encoders)} users ({users})")
            if args.per_user:
                print(format_table(rows))
        het, hom = results["heterogeneous"], results["homogeneous"]
        print(
            f"\nK = {k} (ζ = {k}/{env.d_x}), seeds {list(PAPER_SEEDS)}; native accuracy: "
            f"heterogeneous {next(iter(het.values()))['native_accuracy']:.1%}, "
            f"homogeneous {next(iter(hom.values()))['native_accuracy']:.1%}\n"
        )
        print("| policy | heterogeneous NMSE | accuracy | homogeneous NMSE | accuracy |")
        print("|---|---|---|---|---|")
        for name in het:
            a, b = het[name], hom[name]
            print(
                f"| {name} | {a['network_nmse']:.4f} ± {a['network_nmse_std']:.4f} | "
                f"{a['accuracy']:.1%} | {b['network_nmse']:.4f} ± {b['network_nmse_std']:.4f} | "
                f"{b['accuracy']:.1%} |"
            )


if __name__ == "__main__":
    main()
