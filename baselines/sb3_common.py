"""What the stable-baselines3 baselines share: the PPO learner, the training loop with its
learning-curve callback, and the export of SB3 actors to plain torch. The SB3 ``VecEnv`` s they
train on are semgym's (:mod:`semgym.vector.sb3`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from harness import Actor, Run
from stable_baselines3 import PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from semgym.envs.codec import decode_powers
from semgym.envs.observations import shared_controller_inputs


def shared_ppo(env: VecEnv, hp: dict[str, Any], seed: int) -> PPO:
    """The PPO learner of the PPO baselines (hyperparameters ``hp``, CPU, silent)."""
    return PPO(
        "MlpPolicy",
        env,
        n_steps=hp["n_steps"],
        batch_size=hp["batch_size"],
        n_epochs=hp["n_epochs"],
        learning_rate=hp["learning_rate"],
        gamma=hp["gamma"],
        gae_lambda=hp["gae_lambda"],
        clip_range=hp["clip_range"],
        policy_kwargs={"net_arch": hp["net_arch"], "log_std_init": hp["log_std_init"]},
        seed=seed,
        device="cpu",
        verbose=0,
    )


def normalized_env(run: Run, venv: VecEnv, hp: dict[str, Any], *, rewards: bool = False):
    """The training env: ``venv`` seeded on the run's first training seeds, its observations
    (and with ``rewards`` its rewards) normalized by VecNormalize."""
    venv.seed(run.first_seed(hp["num_envs"]))
    return VecNormalize(venv, norm_obs=True, norm_reward=rewards, gamma=hp["gamma"])


def sb3_train(
    run: Run,
    model: BaseAlgorithm,
    env: VecNormalize,
    act_of: Callable[[], Callable],
    export: Callable[[], Actor],
    *,
    budget: int,
    hp: dict[str, Any],
    what: str,
    library: str,
) -> None:
    """Train ``model`` for ``budget`` steps with the learning curve of ``act_of()``, save the
    SB3 checkpoint and the observation normalization, then export ``export()`` with its card.
    ``what`` names the steps for the log line (e.g. "agent-steps on 192 link slots")."""
    callback = sb3_curve_callback(run, act_of, every=run.curve_every(budget))
    print(f"{run.name}: training {budget:,d} {what}")
    # SB3's default logger makes an empty folder in the temp directory on every learn():
    # the run's curve is the record, so it logs nowhere
    model.set_logger(Logger(str(run.out), output_formats=[]))
    model.learn(budget, callback=callback)
    run.record(model.num_timesteps, act_of())
    checkpoint = run.out / "sb3_model.zip"
    model.save(checkpoint)
    env.save(str(run.out / "vecnormalize.pkl"))
    run.finish(
        export(),
        hp,
        library=library,
        trainer_checkpoint=checkpoint,
        agent_steps=int(model.num_timesteps),
    )


def sb3_curve_callback(run: Run, act_of: Callable[[], Callable], every: int) -> Any:
    """An SB3 callback that records a curve point every ``every`` agent-steps."""

    class Curve(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.next = 0

        def _on_training_start(self) -> None:
            run.record(0, act_of())
            self.next = every

        def _on_step(self) -> bool:
            if self.num_timesteps >= self.next:
                run.record(int(self.num_timesteps), act_of())
                self.next += every
            return True

    return Curve()


def sb3_normalized_actor(
    model: Any, normalizer: Any | None, *, squash: bool, links: int | None = None
) -> Actor:
    """The deterministic actor of an SB3 PPO (``squash=False``: Gaussian mean, clipped) or SAC
    (``squash=True``: tanh of the mean) policy, with VecNormalize's observation statistics."""
    if squash:  # SAC: actor.latent_pi (Linear, ReLU, …) then mu
        layers = [m for m in model.actor.latent_pi if isinstance(m, torch.nn.Linear)]
        layers.append(model.actor.mu)
        activation, output = "relu", "tanh"
    else:  # PPO: mlp_extractor.policy_net (Linear, Tanh, …) then action_net
        layers = [
            m for m in model.policy.mlp_extractor.policy_net if isinstance(m, torch.nn.Linear)
        ]
        layers.append(model.policy.action_net)
        activation = "tanh" if isinstance(model.policy.activation_fn(), torch.nn.Tanh) else "relu"
        output = "clip"
    mean = scale = clip = None
    if normalizer is not None:
        mean = torch.as_tensor(normalizer.obs_rms.mean, dtype=torch.float32)
        scale = torch.as_tensor(
            np.sqrt(normalizer.obs_rms.var + normalizer.epsilon), dtype=torch.float32
        )
        clip = float(normalizer.clip_obs)
    return Actor(
        [m.weight.detach().cpu() for m in layers],
        [m.bias.detach().cpu() for m in layers],
        activation=activation,
        output=output,
        observation_mean=mean,
        observation_scale=scale,
        observation_clip=clip,
        links=links,
    )


def sb3_act(
    model: Any, normalizer: Any | None, *, budget: float | None = None
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The model's deterministic actions as a batched function (for curves); with ``budget``
    (the access point) decoded from [-1, 1] into watts like
    :class:`~semgym.vector.SB3FlatVecEnv`."""

    def act(obs: torch.Tensor) -> torch.Tensor:
        x = obs.numpy()
        if normalizer is not None:
            x = normalizer.normalize_obs(x)
        actions = torch.as_tensor(model.predict(x, deterministic=True)[0])
        if budget is not None:
            actions = decode_powers(actions.double(), "normalized", budget)[0]
        return actions

    return act


def central_act(
    model: Any, normalizer: Any | None, n_links: int
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The shared central model's deterministic joint actions (B, L·A) from states (B, L·D)."""

    def act(state: torch.Tensor) -> torch.Tensor:
        slots = shared_controller_inputs(state, n_links).reshape(state.shape[0] * n_links, -1)
        slots = slots.numpy()
        if normalizer is not None:
            slots = normalizer.normalize_obs(slots)
        actions = torch.as_tensor(model.predict(slots, deterministic=True)[0])
        return actions.reshape(state.shape[0], -1)

    return act
