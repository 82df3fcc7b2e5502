"""A random network of 30 links: equal power, the best response, interference pricing and a
policy learned on ten links, each playing 30 steps on the same eight held-out topologies.

    python examples/network.py [--links 30] [--neighbours K]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from semgym.policies import BestResponse, Learned, PricedBestResponse
from semgym.presets import HELD_OUT_SEEDS, get_preset
from semgym.vector import InterferenceVecEnv


def row_by_row(policy):
    """A reference policy's ``act(observation)`` applied to every link's row."""
    return lambda obs: torch.as_tensor(np.stack([policy.act(o) for o in obs.numpy()]))


def network_nmse(venv: InterferenceVecEnv, act, steps: int = 30) -> float:
    """Mean network NMSE after ``steps`` steps, every link acting from its own observation."""
    obs, _ = venv.reset(seed=list(HELD_OUT_SEEDS[: venv.num_envs]))
    for _ in range(steps):
        per_link = obs.reshape(venv.num_envs * venv.n_links, -1).float()
        actions = act(per_link).reshape(venv.num_envs, -1).double()
        obs, *_ = venv.step(actions)
    return float(venv.batch.evaluation.nmse.mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--links", type=int, default=30)
    p.add_argument("--neighbours", type=int, default=None, help="mui_neighbours (default exact)")
    args = p.parse_args()
    torch.set_num_threads(1)
    kwargs = {
        **get_preset("dense-network").kwargs,
        "n_links": args.links,
        "mui_neighbours": args.neighbours,
        "dtype": "float64",
        "max_cycles": 31,
    }
    venv = InterferenceVecEnv(8, **kwargs)
    m, budget = venv.batch.n_modes, venv.batch.budget
    best = BestResponse(m, budget, "normalized")
    learned = Learned.load("ppo-shared/interference-v0/dense-network", env=venv)
    priced_env = InterferenceVecEnv(8, **kwargs, observe_prices=True)
    pricing = PricedBestResponse.for_env(priced_env)
    rows = {
        "Uniform": (venv, lambda o: torch.zeros(o.shape[0], m)),
        "Best response (every link at once)": (venv, row_by_row(best)),
        "Interference pricing": (priced_env, row_by_row(pricing)),
        "Shared PPO trained on 10 links": (venv, learned.act_batch),
    }
    print(f"dense random network, {args.links} links, 8 held-out topologies, 30 steps")
    for name, (env, act) in rows.items():
        print(f"  {name:36s} network NMSE {network_nmse(env, act):.4f}")


if __name__ == "__main__":
    main()
