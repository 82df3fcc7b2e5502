"""TorchRL adapter: the vector env as a multi-agent ``EnvBase`` that stays on the device.

The batch is ``[num_envs]``; the links form the group ``"agents"`` (TorchRL's multi-agent
convention), so ``MultiAgentMLP(..., share_params=True, centralised=False)`` is one policy
for every link acting from its own observation. Keys:

- ``("agents", "observation")`` (B, L, D) float32, ``("agents", "action")`` (B, L, A),
  ``("agents", "reward")`` (B, L, 1);
- ``"done"``, ``"terminated"``, ``"truncated"`` (B, 1) bool (truncation after ``max_cycles``).

Resets follow TorchRL: ended envs wait for ``reset`` (collectors pass ``"_reset"``), which
draws their next channel realization from each env's own RNG, as the vector env's autoreset
does.

MAPPO's pieces, shared by the repository's recipe
(https://semgym.readthedocs.io/en/latest/envs/vector/) and MAPPO baseline
(https://semgym.readthedocs.io/en/latest/learned/): :func:`mappo_modules` (a ``TanhNormal`` actor
whose MLP every link shares, acting from its own observation, and a critic on each link's
observation or, with ``centralised=True``, on the state), :func:`mappo_loss` (``ClipPPOLoss`` on the
group's keys with GAE) and :func:`mappo_update` (one collector batch: per-link done flags,
advantages, epochs of minibatches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from tensordict import TensorDict, TensorDictBase
from tensordict.nn import NormalParamExtractor, TensorDictModule
from torch import nn
from torchrl.data import Bounded, Categorical, Composite, Unbounded
from torchrl.envs import EnvBase
from torchrl.modules import MLP, MultiAgentMLP, ProbabilisticActor, TanhNormal
from torchrl.objectives import ClipPPOLoss, ValueEstimators

from semgym.vector.interference import InterferenceVecEnv


class TorchRLEnv(EnvBase):
    """A :class:`~semgym.vector.InterferenceVecEnv` as a TorchRL multi-agent environment."""

    def __init__(self, venv: InterferenceVecEnv) -> None:
        if type(venv) is not InterferenceVecEnv:
            raise ValueError(f"venv must be an InterferenceVecEnv, got {type(venv).__name__}")
        b, n_links = venv.num_envs, venv.n_links
        super().__init__(device=venv.device, batch_size=torch.Size([b]))
        self.venv = venv
        obs, act = venv.link_observation_space, venv.link_action_space

        def agents(**spec: object) -> Composite:
            """One spec per link of every env, under the group ``"agents"``."""
            return Composite(agents=Composite(**spec, shape=(b, n_links)), shape=(b,))

        self.observation_spec = agents(
            observation=Bounded(
                float(obs.low.min()),
                float(obs.high.max()),
                shape=(b, n_links, *obs.shape),
                dtype=torch.float32,
                device=self.device,
            )
        )
        self.action_spec = agents(
            action=Bounded(
                torch.as_tensor(act.low).expand(b, n_links, *act.shape),
                torch.as_tensor(act.high).expand(b, n_links, *act.shape),
                shape=(b, n_links, *act.shape),
                dtype=torch.float32,
                device=self.device,
            )
        )
        self.reward_spec = agents(
            reward=Unbounded(shape=(b, n_links, 1), dtype=torch.float32, device=self.device)
        )
        flag = Categorical(2, shape=(b, 1), dtype=torch.bool, device=self.device)
        self.done_spec = Composite(
            done=flag.clone(), terminated=flag.clone(), truncated=flag.clone(), shape=(b,)
        )
        self._next_seed: int | None = None

    def _reset(self, tensordict: TensorDictBase | None = None, **kwargs) -> TensorDictBase:
        mask = None if tensordict is None else tensordict.get("_reset", None)
        seed, self._next_seed = self._next_seed, None
        if mask is None or not self.venv._started:
            obs, _ = self.venv.reset(seed=seed)
        else:
            obs, _ = self.venv.reset(options={"reset_mask": mask.reshape(-1)})
        return self._output(obs.reshape(self.venv.num_envs, self.venv.n_links, -1))

    def _step(self, tensordict: TensorDictBase) -> TensorDictBase:
        actions = tensordict.get(("agents", "action"))
        obs, rewards, terminated, truncated, _ = self.venv.step_links(actions, autoreset=False)
        out = self._output(obs)
        out.set(("agents", "reward"), rewards.to(torch.float32).unsqueeze(-1))
        out.set("terminated", terminated.unsqueeze(-1))
        out.set("truncated", truncated.unsqueeze(-1))
        out.set("done", (terminated | truncated).unsqueeze(-1))
        return out

    def _output(self, obs: torch.Tensor) -> TensorDictBase:
        b = self.venv.num_envs
        zeros = torch.zeros(b, 1, dtype=torch.bool, device=self.device)
        return TensorDict(
            {
                "agents": TensorDict({"observation": obs}, batch_size=obs.shape[:2]),
                "done": zeros,
                "terminated": zeros.clone(),
                "truncated": zeros.clone(),
            },
            batch_size=self.batch_size,
            device=self.device,
        )

    def _set_seed(self, seed: int | None) -> None:
        """Seed the next reset: env b gets channel seed ``seed + b``."""
        self._next_seed = seed


#: The observation of every link, under the group ``"agents"``.
OBSERVATION = ("agents", "observation")


@dataclass(frozen=True)
class MappoModules:
    """A MAPPO actor and critic for the links of a :class:`TorchRLEnv`.

    Attributes:
        actor: ``ProbabilisticActor`` (``TanhNormal`` in [-1, 1]) on ``("agents", "observation")``.
        critic: ``("agents", "state_value")`` of each link.
        actor_mlp: the actor's MLP (observation → [loc, scale logits]), shared by the links:
            its first half of outputs is the mean, what a deterministic export keeps.
    """

    actor: ProbabilisticActor
    critic: TensorDictModule
    actor_mlp: MLP


def mappo_modules(
    venv: InterferenceVecEnv,
    *,
    actor_cells: Sequence[int],
    critic_cells: Sequence[int],
    centralised: bool,
    initial_scale: float = 1.0,
) -> MappoModules:
    """The actor (one MLP for every link, each acting from its own observation, tanh hidden
    layers, the scale through ``biased_softplus_{initial_scale}``) and the critic
    (``MultiAgentMLP`` with shared parameters: on each link's observation, or on the state,
    every link's observation, when ``centralised``) of MAPPO on ``venv``'s links."""
    n_links, device = venv.n_links, venv.device
    obs_dim = venv.link_observation_space.shape[0]
    act_dim = venv.link_action_space.shape[0]
    actor_mlp = MLP(
        in_features=obs_dim,
        out_features=2 * act_dim,
        num_cells=list(actor_cells),
        activation_class=nn.Tanh,
        device=device,
    )
    actor = ProbabilisticActor(
        TensorDictModule(
            nn.Sequential(
                actor_mlp, NormalParamExtractor(scale_mapping=f"biased_softplus_{initial_scale}")
            ),
            in_keys=[OBSERVATION],
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
            centralised=centralised,
            share_params=True,
            device=device,
            depth=len(critic_cells),
            num_cells=list(critic_cells),
            activation_class=nn.Tanh,
        ),
        in_keys=[OBSERVATION],
        out_keys=[("agents", "state_value")],
    )
    return MappoModules(actor, critic, actor_mlp)


def mappo_loss(
    modules: MappoModules,
    *,
    gamma: float,
    gae_lambda: float,
    clip_epsilon: float = 0.2,
    entropy_coeff: float = 1e-3,
    normalize_advantage: bool = False,
) -> ClipPPOLoss:
    """``ClipPPOLoss`` of the modules on the group's reward, action, value and done keys, with
    GAE(γ, λ) as its value estimator."""
    loss = ClipPPOLoss(
        actor_network=modules.actor,
        critic_network=modules.critic,
        clip_epsilon=clip_epsilon,
        entropy_coeff=entropy_coeff,
        normalize_advantage=normalize_advantage,
    )
    loss.set_keys(
        reward=("agents", "reward"),
        action=("agents", "action"),
        value=("agents", "state_value"),
        done=("agents", "done"),
        terminated=("agents", "terminated"),
    )
    loss.make_value_estimator(ValueEstimators.GAE, gamma=gamma, lmbda=gae_lambda)
    return loss


def mappo_update(
    loss: ClipPPOLoss,
    optimizer: torch.optim.Optimizer,
    batch: TensorDictBase,
    *,
    epochs: int,
    minibatches: int = 1,
    max_grad_norm: float = 1.0,
) -> None:
    """Train on one collector batch: the env's done flags copied to every link (the rewards
    are per link), GAE advantages, then ``epochs`` passes over ``minibatches`` random
    minibatches (one: the whole batch) with gradient clipping."""
    n_links = batch.get(("next", "agents", "reward")).shape[-2]
    for key in ("done", "terminated"):
        flag = batch.get(("next", key)).unsqueeze(-1)
        batch.set(("next", "agents", key), flag.expand(*batch.batch_size, n_links, 1))
    with torch.no_grad():
        loss.value_estimator(
            batch,
            params=loss.critic_network_params,
            target_params=loss.target_critic_network_params,
        )
    flat = batch.reshape(-1)
    size = flat.shape[0] // minibatches
    for _ in range(epochs):
        order = torch.randperm(flat.shape[0]) if minibatches > 1 else None
        for k in range(minibatches):
            part = flat if order is None else flat[order[k * size : (k + 1) * size]]
            terms = loss(part)
            total = terms["loss_objective"] + terms["loss_critic"] + terms["loss_entropy"]
            optimizer.zero_grad()
            total.backward()
            nn.utils.clip_grad_norm_(loss.parameters(), max_grad_norm)
            optimizer.step()
