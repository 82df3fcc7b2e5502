"""Recipe: shared-parameter PPO over every link with stable-baselines3 on the vector env.

Every link of every env is one slot of an SB3 ``VecEnv`` (:class:`semgym.vector.SB3VecEnv`),
so one policy learns to act for all links from each link's own observation. At the end the
learned policy and the best-response (Nash) policy are compared on fresh channels.

    python examples/train_sb3.py [--num-envs 64] [--timesteps 200000] [--latents mnist5k]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO

from semgym.vector import InterferenceVecEnv, SB3VecEnv


def train(num_envs: int, timesteps: int, *, seed: int = 0, **env_kwargs: Any) -> PPO:
    """PPO on ``num_envs`` envs × L links (``action_mode="normalized"``: symmetric actions)."""
    env_kwargs.setdefault("action_mode", "normalized")
    venv = SB3VecEnv(InterferenceVecEnv(num_envs, **env_kwargs))
    venv.seed(seed)
    n_steps = min(venv.venv.max_cycles, 64)
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=n_steps,
        batch_size=min(n_steps * venv.num_envs, 1024),
        learning_rate=3e-4,
        seed=seed,
        verbose=0,
    )
    return model.learn(timesteps)


def network_nmse(model: PPO | None, num_envs: int, seed: int, **env_kwargs: Any) -> float:
    """Mean network NMSE over one episode on fresh channels: the model's deterministic actions,
    or (``model=None``) every link's best response."""
    env_kwargs.setdefault("action_mode", "normalized")
    venv = InterferenceVecEnv(num_envs, **env_kwargs)
    obs, _ = venv.reset(seed=seed)
    values = []
    for _ in range(venv.max_cycles):
        if model is None:
            actions = venv.best_response_actions()
        else:
            per_link = obs.reshape(num_envs * venv.n_links, -1).numpy()
            actions = torch.as_tensor(model.predict(per_link, deterministic=True)[0])
            actions = actions.reshape(num_envs, -1)
        obs, _, _, _, infos = venv.step(actions)
        values.append(float(infos["network_nmse"].mean()))
    return float(np.mean(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--timesteps", type=int, default=200_000)
    parser.add_argument("--latents", default="mnist5k")
    parser.add_argument("--max-cycles", type=int, default=20)
    args = parser.parse_args()
    kwargs = {"latents": args.latents, "max_cycles": args.max_cycles}
    model = train(args.num_envs, args.timesteps, **kwargs)
    print(f"PPO (shared parameters): network NMSE {network_nmse(model, 64, 10_000, **kwargs):.4f}")
    print(f"best response:           network NMSE {network_nmse(None, 64, 10_000, **kwargs):.4f}")


if __name__ == "__main__":
    main()
