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
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from torch import Tensor

from semgym._validation import check_choice, check_positive_int
from semgym.envs.batch import InterferenceBatch
from semgym.envs.interference import DTYPES, InterferenceEnv

#: Info keys, each a (num_envs, L) tensor (``projected`` is bool).
LINK_INFOS = ("mse", "nmse", "mui_power", "exploitability", "projected")


class InterferenceVecEnv(VectorEnv):
    """``num_envs`` interference games in lockstep (batched ``semgym/Interference-v0``).

    Arguments:
        num_envs: B, the number of channel realizations (>= 1).
        device: where the state and every returned tensor live (``"cpu"``, ``"cuda"``, …).
        dtype: ``"float32"`` (default) or ``"float64"``.
        **kwargs: the keyword arguments of :class:`~semgym.envs.interference.InterferenceEnv`
            (``n_links``, ``n_antennas``, ``channel_uses``, ``alpha``, ``reward``,
            ``max_cycles``, ``action_mode``, ``primary_users``, …). ``reward="accuracy"`` and
            rendering are single-env features (a test-set simulation per env and step).

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
    tensors and ``network_nmse`` (B,).

    Seeding: ``reset(seed=s)`` gives env i the channel seed s + i (a list gives each env its
    own); env i then equals ``gym.make("semgym/Interference-v0").reset(seed=s + i)``.
    Partial resets: ``reset(options={"reset_mask": mask})`` resets the envs where ``mask``.

    Speed: the step never waits for the device (no host copies, no ``.item()``; invalid
    actions trip a device-side assert on CUDA, a named ``ValueError`` on the CPU) except
    for ``torch.linalg.eigh``'s convergence check, which torch performs on the host.
    Channels of new episodes are drawn on the CPU (identical on every device) and copied
    over, once per episode.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        *,
        device: torch.device | str = "cpu",
        dtype: str = "float32",
        **kwargs: Any,
    ) -> None:
        self.num_envs = check_positive_int("num_envs", num_envs)
        if kwargs.get("reward") == "accuracy":
            raise ValueError(
                "reward 'accuracy' simulates the test set per env and step and is only offered "
                "by the single env; use 'nmse' or 'mse' in the vector env"
            )
        if kwargs.get("render_mode") is not None:
            raise ValueError("the vector env does not render; use the single env to render")
        kwargs.pop("render_mode", None)
        kwargs.pop("max_episode_steps", None)  # gymnasium passes the spec's; max_cycles rules
        self.dtype = check_choice("dtype", dtype, DTYPES)
        self.template = InterferenceEnv(dtype=dtype, **kwargs)  # validates every argument
        t = self.template
        self.device = torch.device(device)
        self.max_cycles = t.max_cycles
        self.reward_kind = t.reward_kind
        self.n_links = len(t.possible_agents)
        self.batch = InterferenceBatch(
            config=t.config,
            channel_uses=t.channel_uses,
            pairs=t.pairs,
            action_mode=t.action_mode,
            n_primaries=t.n_primaries,
            interference_cap=t.interference_cap,
            batch_size=self.num_envs,
            device=self.device,
            dtype=DTYPES[self.dtype],
        )
        self.link_action_space = t.action_space(t.possible_agents[0])
        self.link_observation_space = t.observation_space(t.possible_agents[0])
        self._set_spaces()
        self._rngs: list[np.random.Generator] = []
        self._cycles = np.zeros(self.num_envs, dtype=np.int64)  # host copy: no device sync
        self._started = False

    def _set_spaces(self) -> None:
        link = self.link_action_space
        self.single_action_space = gymnasium.spaces.Box(
            np.tile(link.low, self.n_links), np.tile(link.high, self.n_links), dtype=np.float32
        )
        self.single_observation_space = self.template.state_space
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)

    # --- gymnasium API ---------------------------------------------------------------------
    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Tensor, dict[str, Any]]:
        mask = None if options is None else options.get("reset_mask")
        if mask is not None:
            mask = np.asarray(torch.as_tensor(mask).cpu(), dtype=bool)
            if mask.shape != (self.num_envs,):
                raise ValueError(f"reset_mask must have shape ({self.num_envs},), got {mask.shape}")
            if not self._started:
                raise ValueError("reset_mask needs a full reset() first")
        if seed is None:
            seeds: list[int | None] = [None] * self.num_envs
        elif isinstance(seed, int | np.integer):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = [None if s is None else int(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed must be an int or {self.num_envs} seeds, got {len(seeds)}")
        if not self._started:
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        chosen = np.ones(self.num_envs, dtype=bool) if mask is None else mask
        for i in np.flatnonzero(chosen):
            if seeds[i] is not None:
                self._rngs[i] = seeding.np_random(seeds[i])[0]
        self._reset_envs(chosen, seeds)
        self._started = True
        return self._joint(self.batch.observations()), self._infos()

    def step(
        self, actions: Tensor | np.ndarray
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, dict[str, Any]]:
        actions = self._checked_shape(actions)
        obs, rewards, terminated, truncated, infos = self.step_links(
            actions.reshape(self.num_envs, self.n_links, -1)
        )
        if "final_obs" in infos:
            infos["final_obs"] = self._joint(infos["final_obs"])
        return self._joint(obs), rewards.mean(-1), terminated, truncated, infos

    def step_links(
        self, actions: Tensor | np.ndarray, *, autoreset: bool = True
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, dict[str, Any]]:
        """:meth:`step` per link: actions (B, L, A) → observations (B, L, D), rewards (B, L),
        terminations (B,), truncations (B,), infos (``final_obs`` is (B, L, D)).
        ``autoreset=False`` leaves ended envs for the caller to reset (``reset_mask``)."""
        if not self._started:
            raise RuntimeError("step() called before reset()")
        batch = self.batch
        batch.step(batch.check_actions(actions))
        obs = batch.observations()
        rewards = batch.rewards(self.reward_kind)
        infos = self._infos()
        self._cycles += 1
        ended = self._cycles >= self.max_cycles  # host-side: known without asking the device
        terminated = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        truncated = batch.cycles >= self.max_cycles  # the same flags, computed on the device
        if autoreset and ended.any():
            final = {"final_obs": obs, "final_info": infos}
            self._reset_envs(ended, [None] * self.num_envs)
            obs = batch.observations()
            infos = self._infos()
            infos.update(final)
            mask = torch.as_tensor(ended).to(self.device)
            infos["_final_obs"] = mask
            infos["_final_info"] = mask
        return obs, rewards, terminated, truncated, infos

    def _checked_shape(self, actions: Tensor | np.ndarray) -> Tensor:
        actions = torch.as_tensor(actions)
        if tuple(actions.shape) != (self.num_envs, *self.single_action_space.shape):
            raise ValueError(
                f"actions must have shape {(self.num_envs, *self.single_action_space.shape)}, "
                f"got {tuple(actions.shape)}"
            )
        return actions

    def best_response_actions(self) -> Tensor:
        """Every link's best response (15) to the current precoders, as (B, L·A) actions."""
        return self.batch.best_response_actions().flatten(1).to(torch.float32)

    def close_extras(self, **kwargs: Any) -> None:
        self.template.close()

    # --- internals ---------------------------------------------------------------------------
    def _reset_envs(self, chosen: np.ndarray, seeds: list[int | None]) -> None:
        channel_seeds = list(self.batch.channel_seeds)
        for i in np.flatnonzero(chosen):
            s = seeds[i]
            channel_seeds[i] = int(self._rngs[i].integers(0, 2**31 - 1)) if s is None else int(s)
        full = bool(chosen.all()) or not self._started
        mask = None if full else torch.as_tensor(chosen)
        self.batch.reset(channel_seeds, mask)
        self._cycles[chosen] = 0

    def _joint(self, per_link: Tensor) -> Tensor:
        return per_link.flatten(-2)

    def _infos(self) -> dict[str, Any]:
        b = self.batch
        infos: dict[str, Any] = {
            "mse": b.mse,
            "nmse": b.nmse,
            "mui_power": b.mui,
            "exploitability": b.exploitability,
            "projected": b.projected,
        }
        infos["network_nmse"] = b.nmse.mean(-1)
        return infos


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
        super().__init__(num_envs, device=device, dtype=dtype, **kwargs)
        if not 0 <= int(link_index) < self.n_links:
            raise ValueError(f"link_index must be in [0, {self.n_links - 1}], got {link_index!r}")
        self.link_index = int(link_index)

    def _set_spaces(self) -> None:
        self.single_action_space = self.link_action_space
        self.single_observation_space = self.link_observation_space
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)

    def step(
        self, actions: Tensor | np.ndarray
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, dict[str, Any]]:
        actions = self._checked_shape(actions)
        joint = self.batch.best_response_actions().clone()
        joint[:, self.link_index] = actions.to(device=joint.device, dtype=joint.dtype)
        obs, rewards, terminated, truncated, infos = self.step_links(joint)
        if "final_obs" in infos:
            infos["final_obs"] = self._joint(infos["final_obs"])
        return self._joint(obs), rewards[:, self.link_index], terminated, truncated, infos

    def _joint(self, per_link: Tensor) -> Tensor:
        return per_link[:, self.link_index]
