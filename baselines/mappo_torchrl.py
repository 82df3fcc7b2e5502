"""TorchRL MAPPO on an interference preset: one actor shared by every link (decentralized: each
link acts from its own observation) and a centralized critic on the state (every link's
observation, TorchRL's ``MultiAgentMLP(centralised=True)``), trained by ``ClipPPOLoss`` with GAE.

The links are TorchRL's ``"agents"`` group (:class:`semgym.vector.TorchRLEnv`); observations
are standardized by an ``ObservationNorm`` whose statistics come from a short warm-up with
random actions on training seeds; the actor is a ``TanhNormal`` policy whose deterministic
action is tanh of its mean. Budget: 1,000,000 link decisions (64 envs × L links, 10-step
episodes), under 15 minutes on 2 CPU cores.

``--team``: every link is rewarded with the network's −mean NMSE (``reward_scope="team"``: a
cooperative team, shipped as ``mappo-team``); ``--prices`` adds the announced interference
prices to every link's observation (``observe_prices=True``, ``…-prices``).

    python baselines/mappo_torchrl.py --preset low-snr [--team] [--prices] [--seed 0] [--ship]
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

import torch
from harness import TRAINED_PRESETS, Actor, Run, observation_statistics, parse, parser
from torch import nn
from torchrl.collectors import Collector
from torchrl.envs import ObservationNorm, TransformedEnv
from torchrl.modules import MLP

from semgym.vector import TorchRLEnv
from semgym.vector.torchrl import OBSERVATION, mappo_loss, mappo_modules, mappo_update

HYPERPARAMETERS = {
    "num_envs": 64,
    "steps_per_batch": 10,
    "epochs": 5,
    "minibatches": 3,
    "learning_rate": 3e-4,
    "gamma": 0.5,
    "gae_lambda": 0.9,
    "clip_epsilon": 0.2,
    "entropy_coeff": 1e-4,
    "actor_cells": [256, 256],
    "critic_cells": [256, 256],
    "initial_scale": 0.4,
    "warmup_steps": 10,
}
SMOKE = {"num_envs": 4, "warmup_steps": 2}


def export(actor_mlp: MLP, loc: torch.Tensor, scale: torch.Tensor, act_dim: int) -> Actor:
    """The deterministic actor tanh(mean) as a plain-torch :class:`~harness.Actor`."""
    linears = [m for m in actor_mlp if isinstance(m, nn.Linear)]
    weights = [m.weight.detach().clone() for m in linears]
    biases = [m.bias.detach().clone() for m in linears]
    weights[-1], biases[-1] = weights[-1][:act_dim], biases[-1][:act_dim]  # the mean half
    return Actor(
        weights,
        biases,
        activation="tanh",
        output="tanh",
        observation_mean=loc,
        observation_scale=scale,
    )


def main(argv: Sequence[str] | None = None) -> int:
    # advantages are normalized over every link's sample of the batch at once, on purpose
    warnings.filterwarnings("ignore", message="You requested advantage normalization")
    p = parser(__doc__.splitlines()[0], budget=1_000_000, presets=TRAINED_PRESETS)
    p.add_argument("--team", action="store_true", help="reward every link with the network's")
    p.add_argument("--prices", action="store_true", help="observe the announced prices")
    args = parse(p, argv)
    options: dict = {}
    algorithm = "mappo-team" if args.team else "mappo-torchrl"
    if args.team:
        options["reward_scope"] = "team"
    if args.prices:
        options["observe_prices"] = True
        algorithm += "-prices"
    run = Run(algorithm, "mappo_torchrl.py", "link", args, options=options)
    hp = {**HYPERPARAMETERS, **(SMOKE if args.smoke else {})}
    num_envs = hp["num_envs"]
    loc, scale = observation_statistics(run, num_envs, hp["warmup_steps"])
    venv = run.training_env(num_envs)
    n_links = venv.n_links
    act_dim = venv.link_action_space.shape[0]
    env = TransformedEnv(
        TorchRLEnv(venv),
        ObservationNorm(loc=loc, scale=scale, in_keys=[OBSERVATION], standard_normal=True),
    )
    env.set_seed(run.first_seed(num_envs))

    modules = mappo_modules(
        venv,
        actor_cells=hp["actor_cells"],
        critic_cells=hp["critic_cells"],
        centralised=True,  # the state: every link's observation
        initial_scale=hp["initial_scale"],
    )
    actor, critic = modules.actor, modules.critic
    loss = mappo_loss(
        modules,
        gamma=hp["gamma"],
        gae_lambda=hp["gae_lambda"],
        clip_epsilon=hp["clip_epsilon"],
        entropy_coeff=hp["entropy_coeff"],
        normalize_advantage=True,
    )
    optimizer = torch.optim.Adam(loss.parameters(), lr=hp["learning_rate"])

    frames = hp["steps_per_batch"] * num_envs
    budget = frames * n_links * 2 if args.smoke else args.budget
    iterations = max(budget // (frames * n_links), 1)
    collector = Collector(
        env,
        actor,
        frames_per_batch=frames,
        total_frames=frames * iterations,
        auto_register_policy_transforms=False,
    )
    every = run.curve_every(iterations)

    def deterministic() -> Actor:
        return export(modules.actor_mlp, loc, scale, act_dim)

    print(f"{run.name}: training {iterations * frames * n_links:,d} agent-steps")
    run.record(0, deterministic())
    for i, batch in enumerate(collector, start=1):
        mappo_update(loss, optimizer, batch, epochs=hp["epochs"], minibatches=hp["minibatches"])
        collector.update_policy_weights_()
        if i % every == 0 or i == iterations:
            run.record(i * frames * n_links, deterministic())
    collector.shutdown()
    checkpoint = run.out / "torchrl_modules.pt"
    torch.save({"actor": actor.state_dict(), "critic": critic.state_dict()}, checkpoint)
    run.finish(
        deterministic(),
        hp,
        library="TorchRL ClipPPOLoss (MAPPO)",
        trainer_checkpoint=checkpoint,
        agent_steps=iterations * frames * n_links,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
