"""RLlib multi-agent PPO with parameter sharing on Ray, through ``ParallelPettingZooEnv``.

Every link of ``interference_v0`` maps to one shared RLlib module (``policy_mapping_fn`` → one
policy id), so one actor acts for every link from that link's own observation, as in
``ppo_shared.py``. RLlib steps one PettingZoo env per env runner (no batched env), so the budget
is smaller: 150,000 link decisions, under 15 minutes on 2 CPU cores. Observations are
standardized with fixed statistics from a warm-up with random actions on training seeds, and
every episode draws its channel seed from the training range.

RLlib 2.60 pins gymnasium 1.2.2: run it in its own environment (``make rllib`` creates
``.venv-rllib`` and runs ``--smoke``)::

    .venv-rllib/bin/python baselines/rllib_ppo.py --preset low-snr [--seed 0] [--ship]
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
import torch
from harness import TRAINED_PRESETS, TRAINING_CYCLES, TRAINING_SEEDS, Actor, Run, parse, parser
from pettingzoo.utils import BaseParallelWrapper

HYPERPARAMETERS = {
    "train_batch_env_steps": 1_000,
    "minibatch_size": 500,
    "num_epochs": 5,
    "learning_rate": 3e-4,
    "gamma": 0.5,
    "lambda": 0.9,
    "clip_param": 0.2,
    "fcnet_hiddens": [256, 256],
    "fcnet_activation": "tanh",
    "warmup_steps": 50,
}
SMOKE = {"train_batch_env_steps": 40, "minibatch_size": 20, "num_epochs": 1, "warmup_steps": 4}
CLIP = 10.0


class TrainingLinks(BaseParallelWrapper):
    """``interference_v0`` for training: observations standardized with fixed (mean, std) and
    clipped to ±10, and every episode's channel seed drawn from the training range by the
    wrapper's own RNG (seeded once, by the first seeded reset)."""

    def __init__(self, env: Any, mean: np.ndarray, std: np.ndarray, seed: int) -> None:
        super().__init__(env)
        self.mean, self.std = mean.astype(np.float32), std.astype(np.float32)
        self._rng = np.random.default_rng(seed)
        size = env.observation_space(env.possible_agents[0]).shape
        self._space = gymnasium.spaces.Box(-CLIP, CLIP, size, np.float32)

    def observation_space(self, agent: str) -> gymnasium.spaces.Box:
        return self._space

    def _normalized(self, observations: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {
            a: np.clip((o - self.mean) / self.std, -CLIP, CLIP).astype(np.float32)
            for a, o in observations.items()
        }

    def reset(self, seed: int | None = None, options: dict | None = None):
        channel_seed = int(self._rng.integers(*TRAINING_SEEDS))
        observations, infos = self.env.reset(seed=channel_seed, options=options)
        return self._normalized(observations), infos

    def step(self, actions: dict[str, np.ndarray]):
        observations, rewards, terminations, truncations, infos = self.env.step(actions)
        return self._normalized(observations), rewards, terminations, truncations, infos


def observation_statistics(run: Run, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of link observations under random actions (training seeds,
    batched env)."""
    venv = run.training_env(16)
    obs, _ = venv.reset(seed=TRAINING_SEEDS[0] + 10**8 + 16 * run.args.seed)
    gen = torch.Generator().manual_seed(run.args.seed)
    size = venv.link_observation_space.shape[0]
    seen = [obs.reshape(-1, size)]
    for _ in range(steps):
        obs, *_ = venv.step(torch.rand(venv.action_space.shape, generator=gen) * 2 - 1)
        seen.append(obs.reshape(-1, size))
    stacked = torch.cat(seen).double()
    return stacked.mean(0).numpy(), stacked.std(0).clamp_min(1e-4).numpy()


def export(module: Any, mean: np.ndarray, std: np.ndarray) -> Actor:
    """The shared module's deterministic actor (clipped Gaussian mean) as a plain-torch
    :class:`~harness.Actor`: the actor encoder's and the policy head's linear layers."""
    linears = [m for m in module.encoder.actor_encoder.modules() if isinstance(m, torch.nn.Linear)]
    linears += [m for m in module.pi.modules() if isinstance(m, torch.nn.Linear)]
    act_dim = linears[-1].out_features // 2  # the head outputs (mean, log std)
    weights = [m.weight.detach().clone() for m in linears]
    biases = [m.bias.detach().clone() for m in linears]
    weights[-1], biases[-1] = weights[-1][:act_dim], biases[-1][:act_dim]
    actor = Actor(
        weights,
        biases,
        activation="tanh",
        output="clip",
        observation_mean=torch.as_tensor(mean, dtype=torch.float32),
        observation_scale=torch.as_tensor(std, dtype=torch.float32),
        observation_clip=CLIP,
    )
    # the export reproduces RLlib's own deterministic action (the distribution's mean)
    probe = torch.randn(5, actor.input_size)
    with torch.no_grad():
        inputs = module.forward_inference({"obs": probe})["action_dist_inputs"][:, :act_dim]
        reference = inputs.clamp(-1.0, 1.0)
        ours = actor.net(probe).clamp(-1.0, 1.0)
    if not torch.allclose(ours, reference, atol=1e-5):
        raise RuntimeError("the exported actor does not reproduce RLlib's module")
    return actor


def main(argv: Sequence[str] | None = None) -> int:
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
    from ray.tune.registry import register_env

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    args = parse(parser(__doc__.splitlines()[0], budget=150_000, presets=TRAINED_PRESETS), argv)
    run = Run("rllib-ppo", "rllib_ppo.py", "link", args)
    hp = {**HYPERPARAMETERS, **(SMOKE if args.smoke else {})}
    mean, std = observation_statistics(run, hp["warmup_steps"])
    env_kwargs = run.env_kwargs(max_cycles=TRAINING_CYCLES, dtype="float32")
    n_links = len(run.preset.parallel_env(**env_kwargs).possible_agents)

    def make_env(config: dict[str, Any]) -> ParallelPettingZooEnv:
        env = run.preset.parallel_env(**env_kwargs)
        return ParallelPettingZooEnv(TrainingLinks(env, mean, std, seed=args.seed))

    register_env("semgym-interference-links", make_env)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    config = (
        PPOConfig()
        .environment("semgym-interference-links")
        .framework("torch")
        .env_runners(num_env_runners=0)
        .learners(num_learners=0)
        .multi_agent(
            policies={"shared"},
            policy_mapping_fn=lambda agent_id, episode, **kwargs: "shared",
        )
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(
                rl_module_specs={
                    "shared": RLModuleSpec(
                        model_config={
                            "fcnet_hiddens": hp["fcnet_hiddens"],
                            "fcnet_activation": hp["fcnet_activation"],
                            "vf_share_layers": False,
                        }
                    )
                }
            )
        )
        .training(
            train_batch_size_per_learner=hp["train_batch_env_steps"],
            minibatch_size=hp["minibatch_size"],
            num_epochs=hp["num_epochs"],
            lr=hp["learning_rate"],
            gamma=hp["gamma"],
            lambda_=hp["lambda"],
            clip_param=hp["clip_param"],
        )
        .debugging(seed=args.seed)
    )
    algo = config.build_algo()
    per_iteration = hp["train_batch_env_steps"] * n_links
    iterations = 2 if args.smoke else max(args.budget // per_iteration, 1)
    every = run.curve_every(iterations)

    def deterministic() -> Actor:
        return export(algo.get_module("shared"), mean, std)

    print(f"{run.name}: training {iterations * per_iteration:,d} agent-steps on Ray")
    run.record(0, deterministic())
    agent_steps = 0
    for i in range(1, iterations + 1):
        result = algo.train()
        env_steps = result["env_runners"]["num_env_steps_sampled_lifetime"]
        agent_steps = int(env_steps) * n_links
        if i % every == 0 or i == iterations:
            run.record(agent_steps, deterministic())
    checkpoint = algo.save_to_path(str((run.out / "rllib_checkpoint").resolve()))
    actor = deterministic()
    algo.stop()
    ray.shutdown()
    run.finish(
        actor,
        hp,
        library="RLlib PPO (Ray 2.60, new API stack)",
        trainer_checkpoint=run.out / "rllib_checkpoint" if checkpoint else None,
        agent_steps=agent_steps,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
