"""TorchRL adapter: the vector env as a multi-agent ``EnvBase`` that stays on the device.

The batch is ``[num_envs]``; the links form the group ``"agents"`` (TorchRL's multi-agent
convention), so ``MultiAgentMLP(..., share_params=True, centralised=False)`` is one policy
for every link acting from its own observation. Keys:

- ``("agents", "observation")`` (B, L, D) float32, ``("agents", "action")`` (B, L, A),
  ``("agents", "reward")`` (B, L, 1);
- ``"done"``, ``"terminated"``, ``"truncated"`` (B, 1) bool (truncation after ``max_cycles``).

Resets follow TorchRL: ended envs wait for ``reset`` (collectors pass ``"_reset"``), which
draws their next channel realization from each env's own RNG, as the vector env's autoreset
does. See ``examples/train_torchrl.py`` for a shared-parameter PPO recipe.
"""

from __future__ import annotations

import torch
from tensordict import TensorDict, TensorDictBase
from torchrl.data import Bounded, Categorical, Composite, Unbounded
from torchrl.envs import EnvBase

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
