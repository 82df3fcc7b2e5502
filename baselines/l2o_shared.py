"""Learning to optimize: one MLP shared by every link, trained by the exact gradient of the
network objective through the differentiable vector env.

Each link acts from its own observation (decentralized at execution, like the best response;
with ``--prices`` the observation also holds the interference prices the other receivers
announced one step earlier). Training needs no critic and no sampling: the policy is
deterministic, every link of 64 envs acts at once in ``InterferenceVecEnv(differentiable=True,
reward_scope="team")``, and the team reward −(1/L) Σ_l NMSE_l of each step is differentiated by
autograd through the closed-form MSE (8) with respect to every link's action of that step
(a link learns what its powers cost the others' receivers). Myopic: the observations are data,
so a step's actions are credited with that step's reward only. Observations are standardized
by statistics of a warm-up under random actions on training seeds; Adam, gradients clipped.
Budget: 2,000,000 link decisions (64 envs × L links, 10-step episodes on training seeds), under
15 minutes on 2 CPU cores.

With ``--hold p`` the links update asynchronously (each step every transmitter keeps its
precoder with probability p): a kept precoder is a constant of the step, so a link's action is
credited only at the steps it is applied.

    python baselines/l2o_shared.py --preset close-interferers [--prices] [--hold 0.5] [--seed 0]
        [--ship]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import torch
from harness import (
    TRAINED_PRESETS,
    TRAINING_CYCLES,
    TRAINING_SEEDS,
    Actor,
    Run,
    observation_statistics,
    parse,
    parser,
)
from torch import nn

HYPERPARAMETERS = {
    "num_envs": 64,
    "learning_rate": 3e-4,
    "hidden": [256, 256],
    "warmup_steps": 10,
    "max_grad_norm": 1.0,
    "last_layer_scale": 0.01,
}
SMOKE = {"num_envs": 4, "warmup_steps": 2}
#: Interference presets without primary users (prices and caps together are not offered).
PRESETS = tuple(p for p in TRAINED_PRESETS if p != "primary-users")


def network(observation_size: int, action_size: int, hidden: Sequence[int], scale: float):
    """tanh MLP observation → pre-activation of the action (tanh of it is the action)."""
    sizes = [observation_size, *hidden, action_size]
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.Tanh()]
    net = nn.Sequential(*layers[:-1])
    with torch.no_grad():  # start near a = 0: half the budget spread evenly
        net[-1].weight.mul_(scale)
        net[-1].bias.zero_()
    return net


def export(net: nn.Sequential, loc: torch.Tensor, scale: torch.Tensor) -> Actor:
    """The trained network as a plain-torch :class:`~harness.Actor` (tanh output)."""
    linears = [m for m in net if isinstance(m, nn.Linear)]
    return Actor(
        [m.weight.detach().clone() for m in linears],
        [m.bias.detach().clone() for m in linears],
        activation="tanh",
        output="tanh",
        observation_mean=loc,
        observation_scale=scale,
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], budget=2_000_000, presets=PRESETS)
    p.add_argument("--prices", action="store_true", help="observe the announced prices")
    p.add_argument(
        "--hold",
        type=float,
        default=0.0,
        help="asynchronous updates: the env's hold_probability (0: every link every step)",
    )
    args = parse(p, argv)
    options: dict = {"reward_scope": "team", **({"observe_prices": True} if args.prices else {})}
    algorithm = "l2o-shared-prices" if args.prices else "l2o-shared"
    if args.hold:
        options["hold_probability"] = args.hold
        algorithm += "-async"
    run = Run(algorithm, "l2o_shared.py", "link", args, options=options)
    hp = {**HYPERPARAMETERS, **(SMOKE if args.smoke else {})}
    num_envs = hp["num_envs"]
    loc, scale = observation_statistics(run, num_envs, hp["warmup_steps"])
    venv = run.preset.vector_env(
        num_envs,
        seed_range=TRAINING_SEEDS,
        differentiable=True,
        **run.env_kwargs(max_cycles=TRAINING_CYCLES),
    )
    n_links, size = venv.n_links, venv.link_observation_space.shape[0]
    net = network(size, venv.link_action_space.shape[0], hp["hidden"], hp["last_layer_scale"])
    optimizer = torch.optim.Adam(net.parameters(), lr=hp["learning_rate"])
    per_step = num_envs * n_links
    budget = per_step * 2 * TRAINING_CYCLES if args.smoke else args.budget
    steps = max(budget // per_step, 1)
    every = run.curve_every(steps)

    def deterministic() -> Actor:
        return export(net, loc, scale)

    print(f"{run.name}: training {steps * per_step:,d} agent-steps")
    run.record(0, deterministic())
    obs, _ = venv.reset(seed=run.first_seed(num_envs))
    for step in range(1, steps + 1):
        x = (obs.reshape(-1, size) - loc) / scale
        actions = torch.tanh(net(x)).reshape(num_envs, -1)
        obs, rewards, *_ = venv.step(actions)
        loss = -rewards.mean()  # every link's reward is the network's: −mean NMSE
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), hp["max_grad_norm"])
        optimizer.step()
        obs = obs.detach()
        if step % every == 0 or step == steps:
            run.record(step * per_step, deterministic())
    checkpoint = run.out / "l2o_network.pt"
    torch.save({"network": net.state_dict(), "loc": loc, "scale": scale}, checkpoint)
    run.finish(
        deterministic(),
        hp,
        library="plain torch (autograd through the differentiable vector env)",
        trainer_checkpoint=checkpoint,
        agent_steps=steps * per_step,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
