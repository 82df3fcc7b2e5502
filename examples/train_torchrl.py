"""Recipe: multi-agent PPO (shared parameters) with TorchRL on the vector env, on CPU or GPU.

The links are TorchRL's ``"agents"`` group (:class:`semgym.vector.TorchRLEnv`); one
``MultiAgentMLP`` with ``share_params=True`` acts for every link from its own observation, a
shared critic scores each link's observation, and ``ClipPPOLoss`` with GAE trains both. The
data never leaves ``device``.

    python examples/train_torchrl.py [--num-envs 256] [--iterations 50] [--device cuda]
"""

from __future__ import annotations

import argparse
from typing import Any

import torch
from tensordict.nn import NormalParamExtractor, TensorDictModule
from torch import nn
from torchrl.collectors import Collector
from torchrl.modules import MultiAgentMLP, ProbabilisticActor, TanhNormal
from torchrl.objectives import ClipPPOLoss, ValueEstimators

from semgym.vector import InterferenceVecEnv, TorchRLEnv


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
    n_links = env.venv.n_links
    obs_dim = env.venv.link_observation_space.shape[0]
    act_dim = env.venv.link_action_space.shape[0]
    actor_net = nn.Sequential(
        MultiAgentMLP(
            n_agent_inputs=obs_dim,
            n_agent_outputs=2 * act_dim,
            n_agents=n_links,
            centralised=False,
            share_params=True,
            device=device,
            depth=2,
            num_cells=128,
            activation_class=nn.Tanh,
        ),
        NormalParamExtractor(),
    )
    actor = ProbabilisticActor(
        TensorDictModule(
            actor_net,
            in_keys=[("agents", "observation")],
            out_keys=[("agents", "loc"), ("agents", "scale")],
        ),
        in_keys=[("agents", "loc"), ("agents", "scale")],
        out_keys=[("agents", "action")],
        distribution_class=TanhNormal,
        distribution_kwargs={"low": -1.0, "high": 1.0},
        return_log_prob=True,
    )
    critic = TensorDictModule(
        MultiAgentMLP(
            n_agent_inputs=obs_dim,
            n_agent_outputs=1,
            n_agents=n_links,
            centralised=False,
            share_params=True,
            device=device,
            depth=2,
            num_cells=128,
            activation_class=nn.Tanh,
        ),
        in_keys=[("agents", "observation")],
        out_keys=[("agents", "state_value")],
    )
    loss = ClipPPOLoss(actor_network=actor, critic_network=critic, entropy_coeff=1e-3)
    loss.set_keys(
        reward=("agents", "reward"),
        action=("agents", "action"),
        value=("agents", "state_value"),
        done=("agents", "done"),
        terminated=("agents", "terminated"),
    )
    loss.make_value_estimator(ValueEstimators.GAE, gamma=0.9, lmbda=0.9)
    optimizer = torch.optim.Adam(loss.parameters(), lr=3e-4)
    frames = steps_per_batch * num_envs
    collector = Collector(
        env,
        actor,
        frames_per_batch=frames,
        total_frames=frames * iterations,
        device=device,
        auto_register_policy_transforms=False,
    )
    history = []
    for batch in collector:
        for key in ("done", "terminated"):  # per-link flags for the per-link rewards
            flag = batch.get(("next", key)).unsqueeze(-1)
            batch.set(("next", "agents", key), flag.expand(*batch.batch_size, n_links, 1))
        with torch.no_grad():
            loss.value_estimator(
                batch,
                params=loss.critic_network_params,
                target_params=loss.target_critic_network_params,
            )
        flat = batch.reshape(-1)
        for _ in range(epochs):
            terms = loss(flat)
            total = terms["loss_objective"] + terms["loss_critic"] + terms["loss_entropy"]
            optimizer.zero_grad()
            total.backward()
            nn.utils.clip_grad_norm_(loss.parameters(), 1.0)
            optimizer.step()
        collector.update_policy_weights_()
        history.append(float(batch.get(("next", "agents", "reward")).mean()))
    collector.shutdown()
    return actor, history


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
