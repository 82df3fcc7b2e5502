"""What the stable-baselines3 baselines share: an SB3 ``VecEnv`` for the one-agent vector envs,
the learning-curve callback and the export of SB3 actors to plain torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
import torch
from harness import Actor, Run
from stable_baselines3 import PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from semgym.envs.codec import decode_powers
from semgym.vector import InterferenceVecEnv, SB3VecEnv


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
    (the access point) decoded from [-1, 1] into watts like :class:`FlatSB3VecEnv`."""

    def act(obs: torch.Tensor) -> torch.Tensor:
        x = obs.numpy()
        if normalizer is not None:
            x = normalizer.normalize_obs(x)
        actions = torch.as_tensor(model.predict(x, deterministic=True)[0])
        if budget is not None:
            actions = decode_powers(actions.double(), "normalized", budget)[0]
        return actions

    return act


class FlatSB3VecEnv(VecEnv):
    """A semgym vector env with one agent per env (the central controller of
    ``InterferenceVecEnv``, or ``BroadcastVecEnv``'s access point) as an SB3 ``VecEnv``.

    ``normalized_power=True`` exposes the AP's power mode as ``Box(-1, 1, (M,))`` decoded like
    the interference env's ``normalized`` actions (u = (a + 1)/2, p = P_T·u / max(1, Σu)).
    """

    def __init__(self, venv: Any, *, normalized_power: bool = False) -> None:
        self.venv = venv
        action_space = venv.single_action_space
        self.budget: float | None = None
        if normalized_power:
            action_space = gymnasium.spaces.Box(-1.0, 1.0, action_space.shape, np.float32)
            self.budget = float(venv.batch.budget)
        super().__init__(venv.num_envs, venv.single_observation_space, action_space)
        self._actions: np.ndarray | None = None
        self._seed: int | None = None

    def reset(self) -> np.ndarray:
        seed, self._seed = self._seed, None
        obs, _ = self.venv.reset(seed=seed)
        return obs.cpu().numpy()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.float32)

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        actions = torch.as_tensor(self._actions)
        if self.budget is not None:
            actions = decode_powers(actions.double(), "normalized", self.budget)[0]
        obs, rewards, terminated, truncated, infos = self.venv.step(actions.float())
        done = (terminated | truncated).cpu().numpy()
        slots: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if "final_obs" in infos:
            final = infos["final_obs"].cpu().numpy()
            for i in np.flatnonzero(done):
                slots[i]["terminal_observation"] = final[i]
                slots[i]["TimeLimit.truncated"] = True
        return obs.cpu().numpy(), rewards.cpu().numpy().astype(np.float32), done, slots

    def seed(self, seed: int | None = None) -> list[int | None]:
        self._seed = seed
        return [seed] * self.num_envs

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self.venv, attr_name)] * self.num_envs

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise AttributeError("the slots share one batched env: set it on .venv")

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any):
        raise AttributeError("the slots share one batched env: call .venv")

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * self.num_envs


class CentralSlots(SB3VecEnv):
    """The central controller of an :class:`~semgym.vector.InterferenceVecEnv`, trained with
    one MLP shared by the links: slot ``b·L + l`` sees [o_l, mean over j ≠ l of o_j] (2D
    entries, from env b's state), sets link l's action, and earns env b's network reward
    (−mean NMSE over its links): one policy for all links on the network reward
    (:class:`~semgym.policies.learned.Actor` with ``links`` is its export)."""

    def __init__(self, venv: InterferenceVecEnv) -> None:
        super().__init__(venv)
        low = np.tile(self.observation_space.low, 2)
        high = np.tile(self.observation_space.high, 2)
        self.observation_space = gymnasium.spaces.Box(low, high, dtype=np.float32)

    def _context(self, flat: np.ndarray) -> np.ndarray:
        x = flat.reshape(self.venv.num_envs, self.n_links, -1)
        others = (x.sum(1, keepdims=True) - x) / (self.n_links - 1)
        return np.concatenate([x, others], -1).reshape(flat.shape[0], -1)

    def reset(self) -> np.ndarray:
        return self._context(super().reset())

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        obs, rewards, done, slots = super().step_wait()
        network = rewards.reshape(self.venv.num_envs, self.n_links).mean(1)
        rewards = np.repeat(network, self.n_links).astype(np.float32)
        if done.any():
            final = self._context(
                np.stack(
                    [s.get("terminal_observation", o) for s, o in zip(slots, obs, strict=True)]
                )
            )
            for i in np.flatnonzero(done):
                slots[i]["terminal_observation"] = final[i]
        return self._context(obs), rewards, done, slots


def central_act(
    model: Any, normalizer: Any | None, n_links: int
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The shared central model's deterministic joint actions (B, L·A) from states (B, L·D)."""

    def act(state: torch.Tensor) -> torch.Tensor:
        x = state.unflatten(-1, (n_links, -1)).numpy()
        others = (x.sum(1, keepdims=True) - x) / (n_links - 1)
        slots = np.concatenate([x, others], -1).reshape(state.shape[0] * n_links, -1)
        if normalizer is not None:
            slots = normalizer.normalize_obs(slots)
        actions = torch.as_tensor(model.predict(slots, deterministic=True)[0])
        return actions.reshape(state.shape[0], -1)

    return act
