"""Reference policies for the interference environments, each with ``act(observation)``.

``Uniform`` and ``RandomPolicy`` also drive the broadcast env's ``power`` modes."""

from __future__ import annotations

import numpy as np
import torch

from semgym import core
from semgym._validation import check_choice, check_positive, check_positive_int
from semgym.envs._base import POWER_MODES, encode_powers


class _PowerPolicy:
    """Common part: the link's mode count M, budget K·P_max (W) and action encoding.

    ``observation_size``: the length of the observations to expect; None (default) means an
    interference link's, (3M + 3,) or (4M + 3,). Envs with another layout (the broadcast env's
    access point, whose power modes these policies can also drive) declare theirs as an
    ``observation_size`` attribute, which :meth:`for_env` reads.
    """

    #: Whether the policy reads an interference link's observation layout (it then rejects an
    #: ``observation_size``).
    reads_link_observation = False

    def __init__(
        self,
        n_modes: int,
        budget: float,
        action_mode: str = "power",
        *,
        observation_size: int | None = None,
    ) -> None:
        self.n_modes = check_positive_int("n_modes", n_modes)
        self.budget = check_positive("budget", budget)
        if action_mode == "precoder":
            raise ValueError(
                "action_mode 'precoder' needs the link's eigenmodes, which its observation does "
                "not carry; power-allocation policies support 'power' and 'normalized'"
            )
        self.action_mode = check_choice("action_mode", action_mode, POWER_MODES)
        if observation_size is not None and self.reads_link_observation:
            raise ValueError(
                f"{type(self).__name__} reads an interference link's observation (gains, "
                f"weights, prices); an env with observation_size = {observation_size} has "
                "another layout"
            )
        self.observation_size = (
            None
            if observation_size is None
            else check_positive_int("observation_size", observation_size)
        )

    @classmethod
    def for_env(cls, env, **kwargs) -> _PowerPolicy:
        """The policy for a semgym env (reads M, the budget, the action mode and, where the env
        declares one, its ``observation_size``)."""
        base = getattr(env, "unwrapped", env)
        size = getattr(base, "observation_size", None)
        if size is not None:
            kwargs.setdefault("observation_size", size)
        return cls(base.n_modes, base.budget, base.action_mode, **kwargs)

    def _encode(self, powers: np.ndarray) -> np.ndarray:
        """Watts (M,) → the env's action: watts, or the normalized [-1, 1] encoding."""
        action = encode_powers(torch.as_tensor(powers), self.action_mode, self.budget)
        return action.numpy().astype(np.float32)

    def _check(self, observation: np.ndarray) -> np.ndarray:
        obs = np.asarray(observation, dtype=np.float64)
        m = self.n_modes
        if self.observation_size is not None:
            if obs.shape != (self.observation_size,):
                raise ValueError(
                    f"observation must have shape ({self.observation_size},), got {obs.shape}"
                )
            return obs
        if obs.shape not in ((3 * m + 3,), (4 * m + 3,)):
            raise ValueError(
                f"observation must have shape ({3 * m + 3},) or, with primary users, "
                f"({4 * m + 3},); got {obs.shape}"
            )
        return obs


class BestResponse(_PowerPolicy):
    """Semantic water-filling (interference paper (15)) from a link's observation alone.

    The observation carries log10(λ_m·K·P_max) and the normalized semantic weights, which is
    all the water-filling needs (it is invariant to scaling the weights); with primary users it
    also carries the interference prices c_m, and the priced water-filling keeps
    Σ_m c_m p_m ≤ 1. Applied by every link at once this is the Jacobi dynamics (19).
    Needs an interference link's observation layout (no ``observation_size``).
    """

    reads_link_observation = True

    def act(self, observation: np.ndarray) -> np.ndarray:
        obs = self._check(observation)
        m = self.n_modes
        gains = torch.as_tensor(10.0 ** obs[:m] / self.budget)
        weights = torch.as_tensor(obs[m : 2 * m]).clamp_min(0.0)
        if obs.shape[0] == 3 * m + 3:
            powers = core.semantic_waterfill(weights, gains, self.budget)
        else:
            costs = torch.as_tensor(10.0 ** obs[3 * m + 3 :] / self.budget)
            powers = core.priced_semantic_waterfill(weights, gains, self.budget, costs, 1.0)
        return self._encode(powers.numpy())


class Uniform(_PowerPolicy):
    """Equal power K·P_max/M on every mode."""

    def act(self, observation: np.ndarray) -> np.ndarray:
        self._check(observation)
        return self._encode(np.full(self.n_modes, self.budget / self.n_modes))


class RandomPolicy(_PowerPolicy):
    """Random feasible powers, uniform on the simplex Σp = K·P_max; seeded."""

    def __init__(
        self,
        n_modes: int,
        budget: float,
        action_mode: str = "power",
        seed: int | None = 0,
        *,
        observation_size: int | None = None,
    ) -> None:
        super().__init__(n_modes, budget, action_mode, observation_size=observation_size)
        self.rng = np.random.default_rng(seed)

    def act(self, observation: np.ndarray) -> np.ndarray:
        self._check(observation)
        return self._encode(self.rng.dirichlet(np.ones(self.n_modes)) * self.budget)
