"""Recipe: multi-agent PPO (shared parameters) with TorchRL on the vector env, on CPU or GPU.

The links are TorchRL's ``"agents"`` group (:class:`semgym.vector.TorchRLEnv`); one MLP acts
for every link from its own observation, a shared critic scores each link's observation, and
``ClipPPOLoss`` with GAE trains both (:func:`semgym.vector.torchrl.mappo_modules`,
``mappo_loss``, ``mappo_update``). The data never leaves ``device``.

    python examples/train_torchrl.py [--num-envs 256] [--iterations 50] [--device cuda]
"""

from __future__ import annotations

import argparse
from typing import Any

import torch
from torchrl.collectors import Collector
from torchrl.modules import ProbabilisticActor

from semgym.vector import InterferenceVecEnv, TorchRLEnv
from semgym.vector.torchrl import mappo_loss, mappo_modules, mappo_update


def train(
    num_envs: int,
    iterations: int,
    *,
    device: str = "cpu",
    steps_per_batch: int = 10,
    epochs: int = 4,
    seed: int = 0,
    **env_kwargs: Any,
) -> tuple[ProbabilisticActor, list[float]]:
    """Train for ``iterations`` collector batches; returns the policy and the mean link reward
    of every batch."""
    torch.manual_seed(seed)
    env_kwargs.setdefault("action_mode", "normalized")
    env = TorchRLEnv(InterferenceVecEnv(num_envs, device=device, **env_kwargs))
    env.set_seed(seed)
    modules = mappo_modules(
        env.venv, actor_cells=[128, 128], critic_cells=[128, 128], centralised=False
    )
    loss = mappo_loss(modules, gamma=0.9, gae_lambda=0.9)
    optimizer = torch.optim.Adam(loss.parameters(), lr=3e-4)
    frames = steps_per_batch * num_envs
    collector = Collector(
        env,
        modules.actor,
        frames_per_batch=frames,
        total_frames=frames * iterations,
        device=device,
        auto_register_policy_transforms=False,
    )
    history = []
    for batch in collector:
        mappo_update(loss, optimizer, batch, epochs=epochs)
        collector.update_policy_weights_()
        history.append(float(batch.get(("next", "agents", "reward")).mean()))
    collector.shutdown()
    return modules.actor, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--latents", default="mnist5k")
    args = parser.parse_args()
    _, history = train(
        args.num_envs, args.iterations, device=args.device, latents=args.latents, max_cycles=10
    )
    for i, reward in enumerate(history):
        print(f"iteration {i:3d}: mean link reward (−NMSE) {reward:.4f}")


if __name__ == "__main__":
    main()
