"""Reference policies for the interference environments, each with ``act(observation)``.

``Uniform`` and ``RandomPolicy`` also drive the broadcast env's ``power`` modes."""

from __future__ import annotations

import numpy as np
import torch

from semgym import core
from semgym._validation import check_choice, check_positive, check_positive_int
from semgym.envs.codec import POWER_MODES, encode_powers
from semgym.envs.layout import ObservationLayout
from semgym.envs.observations import INTERFERENCE_OBSERVATION


class _PowerPolicy:
    """Common part: the link's mode count M, budget K·P_max (W), action encoding and the
    observation layout it reads.

    ``layout``: the env's :class:`~semgym.envs.layout.ObservationLayout`; None (default) means
    an interference link's, with or without primary users (told apart by their lengths).
    :meth:`for_env` reads it from the env (the broadcast env's access point, whose power modes
    these policies can also drive, has another).
    """

    #: The observation the policy reads blocks of (the layout's name), or None for any.
    reads: str | None = None
    #: The interference layouts accepted without ``layout`` (told apart by their lengths): the
    #: settings of each (primary users P, observed prices).
    default_options: tuple[dict[str, int], ...] = ({"P": 0, "prices": 0}, {"P": 1, "prices": 0})

    def __init__(
        self,
        n_modes: int,
        budget: float,
        action_mode: str = "normalized",
        *,
        layout: ObservationLayout | None = None,
    ) -> None:
        self.n_modes = m = check_positive_int("n_modes", n_modes)
        self.budget = check_positive("budget", budget)
        if action_mode == "precoder":
            raise ValueError(
                "action_mode 'precoder' needs the link's eigenmodes, which its observation does "
                "not carry; power-allocation policies support 'power' and 'normalized'"
            )
        self.action_mode = check_choice("action_mode", action_mode, POWER_MODES)
        if layout is None:
            layouts = tuple(INTERFERENCE_OBSERVATION.layout(M=m, **o) for o in self.default_options)
        elif not isinstance(layout, ObservationLayout):
            raise ValueError(f"layout must be an ObservationLayout, got {type(layout).__name__}")
        elif self.reads is not None and layout.name != self.reads:
            raise ValueError(
                f"{type(self).__name__} reads an {self.reads}'s observation (gains, weights, "
                f"prices); this env's is the {layout.name}'s, {layout.describe()}"
            )
        else:
            layouts = (layout,)
        #: the layouts the policy accepts, by observation length
        self.layouts = {lay.size: lay for lay in layouts}

    @classmethod
    def for_env(cls, env, **kwargs) -> _PowerPolicy:
        """The policy for a semgym env or vector env (reads M, the budget, the action mode and
        the observation layout of one agent)."""
        base = getattr(env, "unwrapped", env)
        agent_env = getattr(base, "multi", base)  # the Gymnasium views wrap the parallel env
        if hasattr(agent_env, "batch") and not hasattr(agent_env, "observation_layout"):
            batch = agent_env.batch  # a vector env
            kwargs.setdefault("layout", batch.layout)
            return cls(batch.n_modes, batch.budget, batch.action_mode, **kwargs)
        kwargs.setdefault("layout", agent_env.observation_layout)
        return cls(base.n_modes, base.budget, base.action_mode, **kwargs)

    def _encode(self, powers: np.ndarray) -> np.ndarray:
        """Watts (M,) → the env's action: watts, or the normalized [-1, 1] encoding."""
        action = encode_powers(torch.as_tensor(powers), self.action_mode, self.budget)
        return action.numpy().astype(np.float32)

    def _check(self, observation: np.ndarray) -> tuple[np.ndarray, ObservationLayout]:
        """The observation as float64 (D,) and its layout, or ``ValueError``."""
        obs = np.asarray(observation, dtype=np.float64)
        layout = self.layouts.get(obs.shape[0]) if obs.ndim == 1 else None
        if layout is None:
            want = " or ".join(f"({lay.size},) [{lay.describe()}]" for lay in self.layouts.values())
            raise ValueError(f"observation must have shape {want}; got {obs.shape}")
        return obs, layout


class BestResponse(_PowerPolicy):
    """Semantic water-filling (interference paper (15)) from a link's observation alone.

    The observation carries log10(λ_m·K·P_max) (block ``log_gain``) and the normalized semantic
    weights (``weight_share``), which is all the water-filling needs (it is invariant to scaling
    the weights); with primary users it also carries the interference prices c_m
    (``log_price``), and the priced water-filling keeps Σ_m c_m p_m ≤ 1. Applied by every link
    at once this is the Jacobi dynamics (19). Needs an interference link's observation.
    """

    reads = INTERFERENCE_OBSERVATION.name

    def act(self, observation: np.ndarray) -> np.ndarray:
        obs, layout = self._check(observation)
        gains = torch.as_tensor(10.0 ** layout.block(obs, "log_gain") / self.budget)
        weights = torch.as_tensor(layout.block(obs, "weight_share")).clamp_min(0.0)
        if "log_price" not in layout:
            powers = core.semantic_waterfill(weights, gains, self.budget)
        else:
            costs = torch.as_tensor(10.0 ** layout.block(obs, "log_price") / self.budget)
            powers = core.priced_semantic_waterfill(weights, gains, self.budget, costs, 1.0)
        return self._encode(powers.numpy())


class PricedBestResponse(_PowerPolicy):
    """Interference pricing (Huang, Berry & Honig; Shi, Berry & Honig for MIMO) from a link's
    observation alone: the semantic water-filling of its own objective less the announced price
    of the interference it causes, max Σ_m w̃_m λ_m p_m/(1 + λ_m p_m) − Σ_m c_m p_m over
    Σ_m p_m ≤ K·P_max (:func:`semgym.core.semantic_waterfill_with_prices`).

    Reads blocks ``log_gain``, ``weight_share``, ``power_share`` and ``log_mui_price`` (an env
    made with ``observe_prices=True``). ``step_size`` γ ∈ (0, 1] moves the link's powers from
    the observed ones toward the priced response, p + γ (p_priced − p) per semantic direction
    (the smoothing (20) of :func:`semgym.solvers.best_response_dynamics`; the prices react to
    every move, and γ = 1 makes simultaneous movers overshoot). With every price at zero and
    γ = 1 it is :class:`BestResponse`; played by every link it is the pricing dynamics
    (``best_response_dynamics(pricing=True)``), whose fixed points are stationary points of the
    network's mean NMSE over the powers on the best-response modes, not Nash equilibria. Where
    many links interfere strongly, links moving at once need not settle there; in an env with
    asynchronous updates (``hold_probability``) they do. Not with primary users (their caps
    and these prices together are not solved here).
    """

    reads = INTERFERENCE_OBSERVATION.name
    default_options = ({"P": 0, "prices": 1},)

    def __init__(self, *args, step_size: float = 0.5, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.step_size = check_positive("step_size", step_size)
        if self.step_size > 1.0:
            raise ValueError(f"step_size must be in (0, 1], got {step_size!r}")
        for lay in self.layouts.values():
            if "log_mui_price" not in lay:
                raise ValueError(
                    "PricedBestResponse reads the announced prices (block 'log_mui_price'): make "
                    f"the env with observe_prices=True; this observation is {lay.describe()}"
                )
            if "log_price" in lay:
                raise ValueError(
                    "PricedBestResponse does not handle primary users' caps; use BestResponse"
                )

    def act(self, observation: np.ndarray) -> np.ndarray:
        obs, layout = self._check(observation)
        gains = torch.as_tensor(10.0 ** layout.block(obs, "log_gain") / self.budget)
        weights = torch.as_tensor(layout.block(obs, "weight_share")).clamp_min(0.0)
        prices = torch.as_tensor(10.0 ** layout.block(obs, "log_mui_price") / self.budget)
        priced = core.semantic_waterfill_with_prices(weights, gains, self.budget, prices)
        current = torch.as_tensor(layout.block(obs, "power_share")).clamp_min(0.0) * self.budget
        powers = current + self.step_size * (priced - current)
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
        action_mode: str = "normalized",
        seed: int | None = 0,
        *,
        layout: ObservationLayout | None = None,
    ) -> None:
        super().__init__(n_modes, budget, action_mode, layout=layout)
        self.rng = np.random.default_rng(seed)

    def act(self, observation: np.ndarray) -> np.ndarray:
        self._check(observation)
        return self._encode(self.rng.dirichlet(np.ones(self.n_modes)) * self.budget)
