"""Reference designs that read the scenario (perfect CSI, assumption A2) instead of reacting to
observations: the MUI-less design and the MUI-agnostic ADMM benchmark (interference paper §IV),
and the cooperative optimum (the best network NMSE found by a central designer).

Their precoders are not water-filling on the observed modes, so they act in the interference
env's ``action_mode="precoder"``; since a design belongs to one link, ``act`` takes the agent's
name too (:func:`~semgym.policies.evaluate` passes it to policies with ``needs_agent``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from semgym import core
from semgym.envs.codec import encode_precoder
from semgym.scenarios import GameOperator
from semgym.solvers import cooperative_optimum, mui_agnostic_admm


class _ScenarioDesign:
    """Per-episode precoders F̄_l (M × M, semantic basis) of every link, cached by channel seed."""

    needs_agent = True

    def __init__(self, env: Any) -> None:
        base = getattr(env, "unwrapped", env)
        if getattr(base, "action_mode", None) != "precoder":
            raise ValueError(
                f"{type(self).__name__} acts in action_mode='precoder' (its precoders are not "
                "water-filling on the observed modes); create the env with that mode"
            )
        self.env = base
        self._seed: int | None = None
        self._actions: dict[str, np.ndarray] = {}

    def _design(self) -> torch.Tensor:
        """F̄ for every link, (L, M, M): rows transmit dimensions, columns semantic directions."""
        raise NotImplementedError

    def act(self, observation: np.ndarray, agent: str) -> np.ndarray:
        """The precoder action of ``agent`` for the env's current channel realization."""
        env = self.env
        if self._seed != env.channel_seed or agent not in self._actions:
            actions = encode_precoder(self._design(), env.budget).numpy().astype(np.float32)
            self._actions = dict(zip(env.possible_agents, actions, strict=True))
            self._seed = env.channel_seed
        return self._actions[agent]


class MuiLess(_ScenarioDesign):
    """The MUI-less design: each link water-fills its own channel with R_n = σ² I (no MUI).

    Played in the env it is evaluated under the real MUI (a MUI-agnostic water-filling); the
    interference-free bound itself, designed *and* evaluated without MUI, is
    :func:`semgym.solvers.mui_less_bound`.
    """

    def _design(self) -> torch.Tensor:
        design = GameOperator(self.env.game, "dense").interference_free_state()
        # column m of F̄ is the mode carrying semantic direction m, scaled by √p_m
        return core.mode_factor(design.modes[0], design.powers[0])


class MuiAgnosticADMM(_ScenarioDesign):
    """The MUI-agnostic ADMM benchmark: each link aligned alone by ADMM (G/F/Z/U steps, σ² I),
    transmitting its feasible Z_l; the env then evaluates it under the real MUI.

    ρ defaults to mean tr(R_y)/(K·P_max), the scale at which plain ADMM converges on
    unwhitened targets (ρ = 1, the federated paper's value, assumes whitened targets).
    The precoder enters the env as F̄_l = Z_l Q̃_l (its part on the top-M semantic directions).
    """

    def __init__(self, env: Any, *, rho: float | None = None, iterations: int = 60) -> None:
        super().__init__(env)
        self.rho = rho
        self.iterations = iterations

    def _design(self) -> torch.Tensor:
        env = self.env
        result = mui_agnostic_admm(
            env.game, env.pairs, rho=self.rho, iterations=self.iterations, seed=env.channel_seed
        )
        return result.semantic_precoders(env.pairs)[0]


class Cooperative(_ScenarioDesign):
    """The cooperative optimum (:func:`~semgym.solvers.cooperative_optimum`): the precoders of
    the best network NMSE found over all links at once, from the env's channels. Not an
    equilibrium: each link could gain by deviating (the env reports that exploitability).

    Keyword arguments go to the search (``iterations``, ``step_size``, ``random_starts``, …);
    the search's seed is the env's channel seed. :attr:`search` is the last search.
    """

    def __init__(self, env: Any, **search: Any) -> None:
        super().__init__(env)
        self.options = search
        self.search = None

    def _design(self) -> torch.Tensor:
        options = {"seed": self.env.channel_seed, **self.options}
        self.search = cooperative_optimum(self.env.game, **options)
        return self.search.precoders[0]
