"""Single-agent Gymnasium views of the interference game.

- ``semgym/Interference-v0`` (:class:`InterferenceGymEnv`): one controller sets every link's
  powers; reward = mean of the links' rewards.
- ``semgym/InterferenceLink-v0`` (:class:`InterferenceLinkEnv`): one learning link; the others
  follow a reference policy (best response by default).

Both take the keyword arguments of :class:`~semgym.envs.interference.InterferenceEnv`.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from semgym._validation import check_positive_int, real_array
from semgym.envs._base import episode_seed
from semgym.envs.interference import InterferenceEnv


class InterferenceGymEnv(gymnasium.Env):
    """Central controller of all L links.

    Action: ``(L·M,)`` — every link's action of the multi-agent env, concatenated (same bounds).
    Observation: ``(L·D,)`` — the multi-agent env's ``state()`` (every link's observation).
    Reward: mean over links of the per-link reward (``"nmse"``: −network NMSE).
    Episode: truncated after ``max_cycles`` steps. Info: per-link infos under ``"links"``,
    ``network_nmse``.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 2}

    def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
        self.multi = InterferenceEnv(render_mode=render_mode, **kwargs)
        self.render_mode = render_mode
        agent = self.multi.possible_agents[0]
        single = self.multi.action_space(agent)
        n_links = len(self.multi.possible_agents)
        self.action_space = gymnasium.spaces.Box(
            np.tile(single.low, n_links), np.tile(single.high, n_links), dtype=np.float32
        )
        self.observation_space = self.multi.state_space
        self.n_modes, self.budget = self.multi.n_modes, self.multi.budget
        self.action_mode = self.multi.action_mode

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        _, infos = self.multi.reset(seed=episode_seed(self, seed), options=options)
        return self.multi.state(), self._info(infos)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        action = real_array("action", action)
        if action.shape != self.action_space.shape:
            raise ValueError(
                f"action must have shape {self.action_space.shape}, got {action.shape}"
            )
        parts = action.reshape(len(self.multi.possible_agents), -1)
        actions = dict(zip(self.multi.possible_agents, parts, strict=True))
        _, rewards, _, truncations, infos = self.multi.step(actions)
        reward = float(np.mean(list(rewards.values())))
        return self.multi.state(), reward, False, bool(any(truncations.values())), self._info(infos)

    def render(self) -> np.ndarray | None:
        return self.multi.render()

    def close(self) -> None:
        self.multi.close()

    @staticmethod
    def _info(infos: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "links": infos,
            "network_nmse": float(np.mean([i["nmse"] for i in infos.values()])),
        }


class InterferenceLinkEnv(gymnasium.Env):
    """One learning link (``link_index``); the other links follow ``opponent`` (a policy with
    ``act(observation)``); by default they play their exact best response to the current
    precoders (the env's :meth:`best_response_actions`, the same as
    :class:`~semgym.policies.BestResponse` in the power modes, and available in every mode).

    Action/observation: that link's action and observation in the multi-agent env.
    Reward: that link's reward. Info: its infos.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 2}

    def __init__(
        self,
        render_mode: str | None = None,
        link_index: int = 0,
        opponent: Any | None = None,
        **kwargs: Any,
    ) -> None:
        self.multi = InterferenceEnv(render_mode=render_mode, **kwargs)
        self.render_mode = render_mode
        agents = self.multi.possible_agents
        index = check_positive_int("link_index", link_index, minimum=0)
        if index >= len(agents):
            raise ValueError(f"link_index must be in [0, {len(agents) - 1}], got {link_index!r}")
        self.agent = agents[index]
        self.opponent = opponent
        self.action_space = self.multi.action_space(self.agent)
        self.observation_space = self.multi.observation_space(self.agent)
        self.n_modes, self.budget = self.multi.n_modes, self.multi.budget
        self.action_mode = self.multi.action_mode
        self._observations: dict[str, np.ndarray] = {}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        self._observations, infos = self.multi.reset(seed=episode_seed(self, seed), options=options)
        return self._observations[self.agent], infos[self.agent]

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.opponent is None:  # exact: not rounded to the float32 action space
            actions = self.multi.best_response_actions(np.float64)
        else:
            actions = {a: self.opponent.act(self._observations[a]) for a in self.multi.agents}
        actions[self.agent] = action
        self._observations, rewards, _, truncations, infos = self.multi.step(actions)
        return (
            self._observations[self.agent],
            float(rewards[self.agent]),
            False,
            bool(truncations[self.agent]),
            infos[self.agent],
        )

    def render(self) -> np.ndarray | None:
        return self.multi.render()

    def close(self) -> None:
        self.multi.close()
