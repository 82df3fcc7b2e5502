"""Throughput of ``interference_v0.parallel_env`` at the paper setting with best response.

L = 3 links, N_T = N_R = 8, K = 10 (M = 80), every link playing ``BestResponse`` from its
observation. Prints env-steps/s and agent-steps/s of the single PettingZoo env, and the share of
the step time spent in the eigensolver (``torch.linalg.eigh``) and in water-filling, measured
with ``torch.profiler`` in the same run.

    python benchmarks/bench_env.py [--steps 200] [--latents mnist5k]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.profiler import ProfilerActivity, profile

from semgym import interference_v0
from semgym.policies import BestResponse


def run(env, policy, steps: int) -> float:
    """Seconds for ``steps`` parallel steps (resetting when an episode ends)."""
    obs, _ = env.reset(seed=27)
    start = time.perf_counter()
    for _ in range(steps):
        if not env.agents:
            obs, _ = env.reset(seed=27)
        obs, *_ = env.step({a: policy.act(obs[a]) for a in env.agents})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--latents", default="mnist5k")
    args = parser.parse_args()
    env = interference_v0.parallel_env(latents=args.latents, max_cycles=10**6)
    policy = BestResponse.for_env(env)
    run(env, policy, 5)  # warm-up
    seconds = run(env, policy, args.steps)
    n_agents = len(env.possible_agents)
    print(f"torch threads: {torch.get_num_threads()}, L=3, N=8, K=10 (M=80), best response")
    print(
        f"parallel_env: {args.steps / seconds:,.0f} env-steps/s, "
        f"{args.steps * n_agents / seconds:,.0f} agent-steps/s"
    )
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run(env, policy, max(20, args.steps // 10))
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    eigh = sum(e.self_cpu_time_total for e in events if "eigh" in e.key)
    print(f"share of op time in the eigensolver (linalg_eigh): {eigh / total:.1%}")
    print("top ops by self CPU time:")
    for e in sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:6]:
        print(f"  {e.key:<40} {e.self_cpu_time_total / total:6.1%}")


if __name__ == "__main__":
    main()
