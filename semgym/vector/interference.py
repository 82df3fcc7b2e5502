"""The interference game for ``num_envs`` channel realizations at once, on CPU or CUDA.

:class:`InterferenceVecEnv` is the batched ``semgym/Interference-v0`` (one controller per
env sets every link's action) and :class:`InterferenceLinkVecEnv` the batched
``semgym/InterferenceLink-v0`` (one learning link, the others at their best response). Both
run :class:`~semgym.envs.batch.InterferenceBatch`, the implementation behind the PettingZoo
env, so env b with seed s equals ``gym.make(id)`` reset with seed s, step by step.

Tensors in, tensors out: observations, rewards, terminations, truncations and every info are
torch tensors on ``device``; actions may be tensors (any device) or arrays.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import torch
from torch import Tensor

from semgym._validation import check_positive_int
from semgym.envs.interference import InterferenceEnvConfig
from semgym.vector._base import BatchedVectorEnv


class InterferenceVecEnv(BatchedVectorEnv):
    """``num_envs`` interference games in lockstep (batched ``semgym/Interference-v0``).

    Arguments:
        num_envs: B, the number of channel realizations (>= 1).
        device: where the state and every returned tensor live (``"cpu"``, ``"cuda"``, …).
        dtype: ``"float32"`` (default) or ``"float64"``.
        seed_range: (low, high): unseeded episodes draw channel seeds from [low, high).
        differentiable: keep the autograd graph from the actions to the rewards and
            observations (see :class:`~semgym.vector._base.BatchedVectorEnv`); default False.
        **kwargs: the keyword arguments of :class:`~semgym.envs.interference.InterferenceEnv`
            (``n_links``, ``n_antennas``, ``channel_uses``, ``alpha``, ``reward``,
            ``max_cycles``, ``action_mode``, ``primary_users``, …). ``reward="accuracy"``,
            ``info_accuracy`` and rendering are single-env features (a test-set simulation per
            env and step).

    Spaces: ``single_action_space`` is ``Box((L·A,))`` (every link's action, concatenated),
    ``single_observation_space`` ``Box((L·D,))`` (every link's observation: the PettingZoo
    env's ``state()``); ``action_space``/``observation_space`` add the leading B.

    Step: rewards (B,) are the mean of the links' rewards; terminations are always False;
    truncations are True after ``max_cycles`` steps. Autoreset is gymnasium's
    ``AutoresetMode.SAME_STEP``: a truncated env is reset within the same ``step`` (a new
    channel realization, seeded from the env's own RNG exactly like an unseeded ``reset()`` of
    the single env), the returned observation is the new episode's first, and the last one is
    in ``infos["final_obs"]`` (all B rows; ``infos["_final_obs"]`` marks the rows that ended,
    ``infos["final_info"]`` holds their infos).

    Infos: ``mse``, ``nmse``, ``mui_power`` (W), ``exploitability``, ``projected`` as (B, L)
    tensors and ``network_nmse`` (B,); with primary users ``primary_interference`` (B, P) W,
    ``primary_caps_hold`` (B,) bool and ``primary_rate`` (B, P) bit/s/Hz (a constraint signal
    for safe RL; ``enforce_caps=True`` makes every action keep the caps); in a random topology
    ``tx_position`` and ``rx_position`` (B, L, 2) metres (for central critics).

    Seeding: ``reset(seed=s)`` gives env i the channel seed s + i (a list gives each env its
    own); env i then equals ``gym.make("semgym/Interference-v0").reset(seed=s + i)``.
    Partial resets: ``reset(options={"reset_mask": mask})`` resets the envs where ``mask``.

    Speed: the step never waits for the device (no host copies, no ``.item()``; invalid
    actions trip a device-side assert on CUDA, a named ``ValueError`` on the CPU) except
    for ``torch.linalg.eigh``'s convergence check, which torch performs on the host.
    Channels of new episodes are drawn on the CPU (identical on every device) and copied
    over, once per episode.
    """

    CONFIG = InterferenceEnvConfig

    def _spaces(self) -> tuple[gymnasium.spaces.Box, gymnasium.spaces.Box]:
        self.n_links = self.config.scenario.n_links
        self.link_action_space = self.config.link_action_space()
        self.link_observation_space = self.config.link_observation_space()
        link = self.link_action_space
        joint = gymnasium.spaces.Box(
            np.tile(link.low, self.n_links), np.tile(link.high, self.n_links), dtype=np.float32
        )
        return joint, self.config.state_space()

    # --- gymnasium API ---------------------------------------------------------------------
    def step(
        self, actions: Tensor | np.ndarray
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, dict[str, Any]]:
        actions = self._checked_shape(actions)
        obs, rewards, terminated, truncated, infos = self.step_links(self._link_actions(actions))
        if "final_obs" in infos:
            infos["final_obs"] = self._present(infos["final_obs"])
        return self._present(obs), self._reward_of(rewards), terminated, truncated, infos

    def step_links(
        self, actions: Tensor | np.ndarray, *, autoreset: bool = True
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, dict[str, Any]]:
        """:meth:`step` per link: actions (B, L, A) → observations (B, L, D), rewards (B, L),
        terminations (B,), truncations (B,), infos (``final_obs`` is (B, L, D)).
        ``autoreset=False`` leaves ended envs for the caller to reset (``reset_mask``)."""
        return self._batch_step(actions, autoreset=autoreset)

    def best_response_actions(self) -> Tensor:
        """Every link's best response (15) to the current precoders, as (B, L·A) actions."""
        return self.batch.best_response_actions().flatten(1).to(torch.float32)

    def genie_best_response_actions(self) -> Tensor:
        """Every link's best response on the true channel of the next block, as (B, L·A)
        precoder actions (a bound of a time-varying channel; ``action_mode="precoder"``)."""
        return self.batch.genie_best_response_actions().flatten(1).to(torch.float32)

    def robust_best_response_actions(self) -> Tensor:
        """Every link's robust best response (the water-filling on the effective channel it
        expects given what it observes), as (B, L·A) precoder actions
        (``action_mode="precoder"``); on a static channel, the best response."""
        return self.batch.robust_best_response_actions().flatten(1).to(torch.float32)

    def sampled_robust_best_response_actions(
        self, draws: int = 64, iterations: int = 100
    ) -> Tensor:
        """Every link's sampled robust best response (its powers against ``draws`` draws of
        the next block given what it knows, the others fixed, kept where as many further
        draws confirm the gain), as (B, L·A) actions in this env's action mode."""
        batch = self.batch
        actions = batch.sampled_robust_best_response_actions(draws, iterations)
        return actions.flatten(1).to(torch.float32)

    # --- internals ---------------------------------------------------------------------------
    def _link_actions(self, actions: Tensor) -> Tensor:
        """Every link's action (B, L, A) from this env's actions."""
        return actions.reshape(self.num_envs, self.n_links, -1)

    def _present(self, per_link: Tensor) -> Tensor:
        return per_link.flatten(-2)

    def _reward_of(self, per_link: Tensor) -> Tensor:
        return per_link.mean(-1)


class InterferenceLinkVecEnv(InterferenceVecEnv):
    """Batched ``semgym/InterferenceLink-v0``: link ``link_index`` learns, the other links play
    their exact best response to the current precoders (the single env's default opponent).

    Observation (B, D) and action (B, A) are that link's; rewards (B,) its reward; infos are
    those of :class:`InterferenceVecEnv` (every link). Other arguments as there.
    """

    def __init__(
        self,
        num_envs: int = 1,
        *,
        link_index: int = 0,
        device: torch.device | str = "cpu",
        dtype: str = "float32",
        **kwargs: Any,
    ) -> None:
        if kwargs.pop("opponent", None) is not None:
            raise ValueError("the vector env's opponents always play their best response")
        self.link_index = link_index
        super().__init__(num_envs, device=device, dtype=dtype, **kwargs)

    def _spaces(self) -> tuple[gymnasium.spaces.Box, gymnasium.spaces.Box]:
        super()._spaces()
        index = check_positive_int("link_index", self.link_index, minimum=0)
        if index >= self.n_links:
            raise ValueError(f"link_index must be in [0, {self.n_links - 1}], got {index!r}")
        self.link_index = index
        return self.link_action_space, self.link_observation_space

    def _link_actions(self, actions: Tensor) -> Tensor:
        joint = self.batch.best_response_actions().clone()
        joint[:, self.link_index] = actions.to(device=joint.device, dtype=joint.dtype)
        return joint

    def _present(self, per_link: Tensor) -> Tensor:
        return per_link[:, self.link_index]

    def _reward_of(self, per_link: Tensor) -> Tensor:
        return per_link[:, self.link_index]
