"""The semantic interference game as a PettingZoo environment (``semgym.interference_v0``).

See :class:`InterferenceEnv` for the manual.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
import torch

from semgym._validation import check_bool, check_positive
from semgym.envs._base import ParallelStep, SemgymParallelEnv, env_factories
from semgym.envs.batch import InterferenceBatch, team_scope
from semgym.envs.codec import precoder_action_size
from semgym.envs.config import EnvConfig, check_dynamic_range
from semgym.envs.observations import INTERFERENCE_OBSERVATION
from semgym.scenarios import (
    Evaluation,
    GameState,
    InterferenceGame,
    game_accuracy,
)


@dataclass(frozen=True)
class InterferenceEnvConfig(
    EnvConfig, batch=InterferenceBatch, max_cycles=50, observation=INTERFERENCE_OBSERVATION
):
    """The interference env's :class:`~semgym.envs.config.EnvConfig`: an
    :class:`~semgym.scenarios.InterferenceScenario` and the RL settings; builds the spaces.

    Attributes:
        observe_prices: every link also observes the interference prices the other links'
            receivers announced one step earlier (block ``log_mui_price``).
        observe_previous: every link also observes its gains and INR as observed one step
            earlier (blocks ``previous_log_gain``, ``previous_log_inr``): a memory of one step
            for memoryless policies on a time-varying channel.
        hold_probability: asynchronous updates: at each step every link's transmitter keeps
            its precoder with this probability, whatever the link's action, and applies the
            action otherwise (drawn per env seed, step and link), in [0, 1); 0: every link
            applies every action.
    """

    observe_prices: bool = False
    observe_previous: bool = False
    hold_probability: float = 0.0

    @classmethod
    def from_kwargs(
        cls,
        *,
        observe_prices: bool = False,
        observe_previous: bool = False,
        hold_probability: float = 0.0,
        **kwargs: Any,
    ) -> InterferenceEnvConfig:
        """:meth:`EnvConfig.from_kwargs`, ``observe_prices``, ``observe_previous`` and
        ``hold_probability``."""
        return dataclasses.replace(
            super().from_kwargs(**kwargs),
            observe_prices=observe_prices,
            observe_previous=observe_previous,
            hold_probability=hold_probability,
        )

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self, "observe_prices", check_bool("observe_prices", self.observe_prices)
        )
        object.__setattr__(
            self, "observe_previous", check_bool("observe_previous", self.observe_previous)
        )
        hold = check_positive("hold_probability", self.hold_probability, allow_zero=True)
        if hold >= 1.0:
            raise ValueError(f"hold_probability must be in [0, 1), got {self.hold_probability!r}")
        object.__setattr__(self, "hold_probability", hold)
        scenario = self.scenario
        check_dynamic_range(scenario.channel.strongest_snr_db(), self.dtype, "snr_db, tx_power_w")
        if scenario.enforce_caps and scenario.n_primaries and self.action_mode == "precoder":
            raise ValueError(
                "enforce_caps scales powers per mode: it needs action_mode 'power' or "
                "'normalized', not 'precoder'"
            )

    def layout_sizes(self) -> dict[str, int]:
        """M (modes per link), L (links), P (primary users)."""
        s = self.scenario
        return {"M": s.n_modes, "L": s.n_links, "P": s.n_primaries}

    def layout_options(self) -> dict[str, int]:
        """``prices`` (``previous``): 1 when the announced prices (the previous step's gains and
        INR) are observed, else 0."""
        return {"prices": int(self.observe_prices), "previous": int(self.observe_previous)}

    @property
    def observation_size(self) -> int:
        """D, a link's observation length."""
        return self.observation_layout.size

    def bytes_per_env(self) -> float:
        """The game's tensors per env: the channels every receiver hears (L² of them, as
        K·N_R × K·N_T blocks on the dense structure of the precoder mode), every link's R_n,
        whitened channel, R_H, modes and eigen work, the primaries' channels, and the step's
        evaluation in pieces, with prices the announced sensitivities and the products that
        price every mode, and on a time-varying channel the blocks kept for the CSI delay
        (see :meth:`EnvConfig.bytes_per_env`)."""
        s = self.scenario
        real = 2 if s.processing == "widely_linear" else 1
        links, k, primaries = s.n_links, s.channel_uses, s.n_primaries
        rx, tx = real * s.channel.n_rx_antennas, real * s.channel.n_tx_antennas
        blocks, a, n = (1, k * rx, k * tx) if self.action_mode == "precoder" else (k, rx, tx)
        elements = (
            2 * links * links * blocks * a * n
            + 8 * links * blocks * (a * a + a * n + n * n)
            + 2 * primaries * links * blocks * (a * a + a * n)
            + 16 * links * s.n_modes
        )
        if self.observe_prices:  # the announced sensitivities and the prices' L² products
            elements += 2 * links * blocks * a * a + 4 * links * links * blocks * a * n
        element = (8 if self.dtype == "float32" else 16) / real
        channel = s.channel
        if channel.dynamic:  # complex channels: the scattering of the d + 1 blocks kept, the
            # fading parts, a draw, the observed and true games and their temporaries
            per_block = links * links * channel.n_rx_antennas * channel.n_tx_antennas
            elements += real * (channel.csi_delay + 8) * per_block
        return float(elements * element)

    def link_action_space(self) -> gymnasium.spaces.Box:
        """A link's action space in this action mode."""
        m = self.scenario.n_modes
        if self.action_mode == "power":
            return gymnasium.spaces.Box(0.0, self.scenario.budget, (m,), np.float32)
        if self.action_mode == "normalized":
            return gymnasium.spaces.Box(-1.0, 1.0, (m,), np.float32)
        size = precoder_action_size(m, m, self.scenario.processing == "linear")
        return gymnasium.spaces.Box(-1.0, 1.0, (size,), np.float32)

    def link_observation_space(self) -> gymnasium.spaces.Box:
        """A link's observation space."""
        return self.observation_layout.box()

    def state_space(self) -> gymnasium.spaces.Box:
        """Every link's observation, concatenated (the ``state()`` of central critics)."""
        return self.observation_layout.box(self.scenario.n_links)


class InterferenceEnv(SemgymParallelEnv):
    """L semantic links share a MIMO interference channel; each link is an agent.

    | Import             | ``from semgym import interference_v0``                      |
    |--------------------|-------------------------------------------------------------|
    | Actions            | Continuous                                                  |
    | Parallel API       | Yes (AEC through ``interference_v0.env()``)                 |
    | Agents             | ``link_0`` … ``link_{L-1}`` (secondary links)              |
    | Action shape       | (M,) with M = K·N_T; (2M²,) for ``precoder``                |
    | Action values      | ``normalized``, ``precoder``: [-1, 1]; ``power``: [0, K·P_max] W |
    | Observation shape  | <observation-shape>                                         |
    | Observation values | [-30, 30], float32                                          |
    | State shape        | L observations side by side, (L·D,)                         |

    **Description.** Link l's transmitter encodes its data with its own encoder, its receiver
    understands another encoder's latent space (interference paper §II). Each link aligns the
    two with a structured pre-equalizer F_l = V_l diag(√p_l) Q̃_lᴴ (11) and the Wiener receiver
    (7). V_l are the eigenvectors of link l's effective channel R_H,l = H_llᴴ R_n,l⁻¹ H_ll (its
    modes, sorted by gain λ), Q̃_l the right singular vectors of its semantic cross-covariance
    P_l (sorted by σ̃), and p_l ∈ R^M the powers the agent chooses: mode m carries semantic
    direction m at power p_l[m]. R_n,l holds the multi-user interference (MUI) of the other
    links (5), so every link's choice changes the others' channels: a non-cooperative game
    whose Nash equilibrium is reached by best-response "semantic water-filling"
    (:class:`semgym.policies.BestResponse`).

    **Action space.** ``action_mode="normalized"`` (default): ``Box(-1, 1, (M,))`` mapped to
    u = (a + 1)/2 and p = K·P_max · u / max(1, Σu): every action is feasible and every feasible
    p is reachable (u = p/(K·P_max)); symmetric, as generic RL code expects.
    ``action_mode="power"``: ``Box(0, K·P_max, (M,))`` watts per mode (the paper's variable).
    The env projects it onto {p ≥ 0, Σp ≤ K·P_max} (Euclidean projection) and reports
    ``infos[agent]["projected"] = True`` when that changed it.
    ``action_mode="precoder"``: ``Box(-1, 1, (2M²,))``, the link's whole precoder in the basis of
    its semantic directions: F̄ = (a[:M²] + j·a[M²:]).reshape(M, M) (rows: the K·N_T transmit
    dimensions, columns: semantic directions q̃_m), F_l = √(K·P_max) · F̄ Q̃_lᴴ / max(1, ‖F̄‖_F),
    so every action is feasible and the whole power ball is reachable (``projected`` reports
    the rescaling). Precoders may couple channel uses, so this mode uses the dense path
    (one K·N_T eigenproblem per link), and the observed "powers" are the column energies of F.
    NaN/inf, a wrong shape, anything but real numbers (complex, strings, objects) or actions
    that are not a dict raise ``ValueError``; a rejected step changes nothing.
    :meth:`best_response_actions` gives every link's best response (15) in the current action
    encoding.

    **Observation space.** ``Box(-30, 30, (D,), float32)`` per link, D = the sum of its blocks
    (``semgym.envs.observations``; ``env.observation_layout`` has their slices by name):

    <observation-table>

    The first two blocks are exactly what water-filling needs, so the best response is a
    function of the observation alone (``BestResponse.act(observation)``).
    With ``observe_prices=True`` every receiver also announces ∂NMSE_l/∂R_n,l, how fast its
    NMSE grows with the interference it receives; the announcement reaches the other links one
    step later, as the price of each of their modes (interference pricing, Huang, Berry &
    Honig): ``PricedBestResponse.act(observation)`` then water-fills the link's own objective
    less those prices.

    **Rewards.** ``"nmse"`` (default): −NMSE_l; ``"mse"``: −MSE_l (the paper's objective, summed
    over complex latent dimensions); ``"accuracy"``: the receiver's test-split accuracy after
    simulating the test set through F, H, MUI, noise and G (slow: a simulation per step).
    MSE is the exact closed form (8) with every link's new precoder. ``reward_scope="team"``
    gives every agent the network's reward instead, the mean over links (a cooperative team;
    the infos still report every link's own scores).

    **Starting state.** ``reset(seed)`` draws a channel realization (``seed`` is the channel
    seed: the paper's seeds are {27, 42, 100, 123, 144, 200}) and Algorithm 1's random
    start: per link and channel use a random unitary block and random powers summing to
    K·P_max (block-diagonal, seeded by the same seed).

    **Step.** Each link's action is applied on the modes of its effective channel as last
    observed; then every link's MSE is computed under the new precoders of all links, and the
    new effective channels are observed.

    **Episode end.** No termination; truncation after ``max_cycles`` steps.

    **Infos** (per agent): ``mse``, ``nmse``, ``mui_power`` (W), ``exploitability`` (MSE_l −
    MSE_l of a unilateral best response; 0 at a Nash equilibrium), ``projected``, and
    ``accuracy`` when ``reward="accuracy"`` or ``info_accuracy=True``; with primary users
    ``primary_interference`` (W per primary) and ``primary_caps_hold``; in a random topology
    ``tx_position`` and ``rx_position`` (metres, (2,) each: where the link stands this
    episode).

    **Arguments** (all keyword):

    - ``n_links=3``: L secondary links (agents).
    - ``n_antennas=8``: N_T = N_R; ``n_tx_antennas``/``n_rx_antennas`` override it.
    - ``channel_uses=10``: K channel uses per latent (compression ξ = K/(d/2)).
    - ``alpha=3.0``: MUI scaling factor α (adjacent transmitters α·30 m apart; the line's).
    - ``topology="line"``: the papers' line of links, or ``"random"``: per channel seed, the
      L transmitters uniform in a square of side ``area_m`` (default 1000·√(L /
      ``density_per_km2``) m, ``density_per_km2=300``) and each receiver at a distance
      uniform in ``link_distance_range_m=(20, 60)`` m in a uniform direction, no transmitter
      closer than the minimum distance to any receiver; path loss and Rician line of sight
      from the actual distances and angles, primary users dropped in the same area. With
      ``snr_db``, σ² is set from the gain at the mean link distance.
    - ``mui_neighbours=None``: exact MUI from every interferer; an integer k opts into the
      interference neighbourhood: each receiver sums its k strongest interferers (by
      ‖H̄_jl‖²_F) exactly and hears the others as white noise of the power they would cause
      spreading their power evenly over their antennas (faster at large L; the error is
      measured in the docs).
    - ``speed_kmh=None``: the papers' static channel; a speed (km/h, >= 0) makes it vary: each
      step is one coherence block of ``block_s=1e-3`` s, and the scattered part of every link
      follows a Gauss–Markov process with the Jakes correlation ρ = J0(2π f_D T) of the
      Doppler f_D = v f_c / c (0.91 at 30 km/h, 0.66 at 60 km/h at 3.5 GHz and 1 ms); the line
      of sight and the path gains stay. The first block is the static game's channel.
    - ``csi_delay=1``: with a speed, the observation (and every best response computed from
      it) describes block t − d, where t is the block the next action plays on (0: the current
      block; before the first block, the first). Actions are applied on the observed modes;
      rewards and the infos' ``mse``, ``nmse`` and ``mui_power`` score the block the action
      was played on; ``exploitability`` is measured on the observed channels.
    - ``pilot_snr_db=None``: with a speed, the links' channel knowledge is an estimate: every
      entry of every channel receiver l measures carries an error CN(0, g_ll / SNR_p), the
      pilot SNR of its own link at its mean gain.
    - ``moving_receivers=False``: with a speed, True also moves every receiver in a straight
      line at that speed (heading drawn from the channel seed): its path gains and line of
      sight follow it block by block (distances floored at a link's own, d_min in a random
      topology); ``rx_position`` in the infos is where it is.
    - ``snr_db=None``: direct-link SNR in dB; None = thermal noise (10 MHz, 7 dB NF, 290 K).
    - ``tx_power_w=1.0``: P_max per channel use, W.
    - ``fading="rician"`` (K-factor ``rician_k=1.5``) or ``"rayleigh"``.
    - ``latents="mnist5k"``: latent bank (``"digits"``, ``"synthetic"``, or a file path).
    - ``tx_encoders``/``rx_encoders=None``: encoder per link (default: the bank's paper links).
    - ``encoder_pairs="fixed"``: every episode plays those links' encoders, or ``"drawn"``:
      per channel seed (a topology), each link's (tx, rx) pair is drawn uniformly from the
      bank's heterogeneous pairs (two different encoders, the transmitter carrying M symbols;
      30 on ``mnist5k``), seeded by that seed alone. ``env.links``, ``env.pairs`` and the
      ``weight_share`` block follow the episode's draw.
    - ``reward="nmse"``, ``max_cycles=50``, ``action_mode="normalized"`` (or ``"power"``,
      ``"precoder"``).
    - ``reward_scope="link"``: each agent its own link's reward, or ``"team"``: every agent the
      mean over links.
    - ``observe_prices=False``: True adds the block ``log_mui_price``, the interference prices
      announced one step earlier (see the observation space).
    - ``observe_previous=False``: True adds the blocks ``previous_log_gain`` and
      ``previous_log_inr``, the link's gains and INR as it observed them one step earlier (a
      memory of one step on a time-varying channel).
    - ``hold_probability=0.0``: asynchronous updates, like sticky actions: at each step every
      link's transmitter keeps its precoder with this probability (drawn per channel seed,
      step and link) and applies its action otherwise. Links that update one at a time reach
      the equilibrium where simultaneous updates may not settle (the cooperation section of
      the interference env's page).
    - ``primary_users=0``: licensed primary links (not agents; placed by
      :meth:`semgym.scenarios.PrimaryUsers.on_line`);
      ``interference_cap=0.1``: each primary's cap I_max as a fraction of the interference it
      would get from all secondaries at full isotropic power. Links then water-fill with an
      interference price (journal abstract).
    - ``enforce_caps=False``: with primary users, True makes the caps a rule of the band: each
      link's powers p are scaled to p / max(1, Σ_m c_m p_m) (c_m: the prices of the
      observation's last block, per watt of the link's share K·I_max/L of each cap) before
      they are sent, flagged ``projected`` when they move. Every action then keeps the caps,
      and the priced best response is left as it is. ``power`` and ``normalized`` modes only.
      False: the caps are reported in the infos and nothing holds a policy to them.
    - ``info_accuracy=False``: report accuracy in infos whatever the reward.
    - ``render_mode=None``: ``"rgb_array"`` or ``"human"``.
    - ``processing="linear"``: the papers' complex-linear transceivers, or
      ``"widely_linear"`` (any real-linear map of the real-composite latent, https://semgym.readthedocs.io/en/latest/design/):
      then every M in this manual is 2·K·N_T real modes (same budget), and precoder actions
      hold the real F̄ itself (no imaginary half).
    - ``dtype="float64"``: precision of the computations (``"float32"`` is what the vector env
      uses by default; observations are float32 either way).

    **Vectorized environment.** :class:`semgym.vector.InterferenceVecEnv` runs the same
    implementation (:class:`~semgym.envs.batch.InterferenceBatch`) for ``num_envs`` channel
    realizations at once on CPU or CUDA; with the same seeds it gives the same numbers.

    **Reference policies** (perfect CSI) read, after a reset, ``game`` (the episode's
    :class:`~semgym.scenarios.InterferenceGame`, a batch of one), ``game_state`` (every link's
    pre-equalizer), ``evaluation`` (their one :class:`~semgym.scenarios.Evaluation`) and
    ``scenario``.

    **Version history.** v0: initial release.
    """

    _RENDERER = "render_interference"
    metadata = {
        "name": "interference_v0",
        "render_modes": ["human", "rgb_array"],
        "is_parallelizable": True,
        "render_fps": 2,
    }

    def __init__(self, *, render_mode: str | None = None, **kwargs: Any) -> None:
        self._set_render_mode(render_mode)
        self._configure(config := InterferenceEnvConfig.from_kwargs(**kwargs))
        self.channel_config = config.scenario.channel
        self.channel_uses = config.scenario.channel_uses
        self.n_primaries = config.scenario.n_primaries
        self.n_modes = config.scenario.n_modes
        self.budget = config.scenario.budget
        self._set_links(None)

        self.possible_agents = [f"link_{i}" for i in range(self.scenario.n_links)]
        self.agents: list[str] = []
        act, obs = config.link_action_space(), config.link_observation_space()
        self._action_size = act.shape[0]
        self._action_spaces = {a: act for a in self.possible_agents}
        self._observation_spaces = {a: obs for a in self.possible_agents}
        self.state_space = config.state_space()

    # --- API -----------------------------------------------------------------------------------
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        channel_seed = self._channel_seed(seed)
        self.channel_seed = channel_seed
        self.batch.reset([channel_seed])
        if self.scenario.pair_pool is not None:  # this topology's encoders
            self._set_links(channel_seed)
        self.agents = list(self.possible_agents)
        self.cycles = 0
        self._refresh()
        return self._observations(), self._infos()

    def step(self, actions: dict[str, np.ndarray]) -> ParallelStep:
        if not self.agents:
            raise RuntimeError("step() called on a finished episode; call reset()")
        raw = self._validated_actions(actions)
        self.batch.step(raw.to(self.batch.real_dtype).unsqueeze(0))
        self.cycles += 1
        self._refresh()
        rewards = self._rewards()
        truncated = self.cycles >= self.max_cycles
        truncations = {a: truncated for a in self.agents}
        terminations = {a: False for a in self.agents}
        observations, infos = self._observations(), self._infos()
        if truncated:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """All links' observations concatenated, (L·D,) float32 (for central critics)."""
        return self._obs.reshape(-1).copy()

    def best_response_actions(self, dtype: type[np.floating] = np.float32) -> dict[str, np.ndarray]:
        """Every active link's best response to the others' current precoders (semantic
        water-filling (15), priced with primary users), encoded in this env's action space
        (``dtype=np.float64``: unrounded, as the vector env's opponents play them)."""
        encoded = self.batch.best_response_actions()[0]
        return {
            agent: encoded[i].numpy().astype(dtype)
            for i, agent in enumerate(self.possible_agents)
            if agent in self.agents
        }

    # --- internals -----------------------------------------------------------------------------
    def _set_links(self, channel_seed: int | None) -> None:
        """``links``, ``latent_links`` and ``pairs`` of the episode of ``channel_seed`` (None:
        the scenario's fixed links)."""
        scenario = self.scenario
        if channel_seed is None:
            self.links, self.latent_links = list(scenario.links), scenario.latent_links
        else:
            self.links = list(scenario.links_of(channel_seed))
            self.latent_links = scenario.latent_links_of(channel_seed)
        self.pairs = [link.pair for link in self.latent_links]

    def _validated_actions(self, actions: dict[str, np.ndarray]) -> torch.Tensor:
        """(L, action size) float64, or ``ValueError`` naming the agent and the problem."""
        if not isinstance(actions, dict):
            raise ValueError(f"actions must be a dict of agent → action, got {type(actions)!r}")
        rows = []
        for agent in self.agents:
            if agent not in actions:
                raise ValueError(f"missing action for agent {agent!r}")
            rows.append(self._validated_action(agent, actions[agent], self._action_size))
        return torch.as_tensor(np.stack(rows))

    def _refresh(self) -> None:
        """Read the batch after a reset or step: the episode's game, state and evaluation,
        observations, projections, accuracy."""
        self.game: InterferenceGame = self.batch.game
        self.game_state: GameState = self.batch.state
        self.evaluation: Evaluation = self.batch.evaluation
        self._obs = self.batch.observations()[0].numpy()
        self._projected = self.batch.projected[0].numpy()
        self._accuracy = None
        if self.info_accuracy:
            self._accuracy = game_accuracy(
                self.game,
                self.game_state,
                self.evaluation,
                self.latent_links,
                seed=self.channel_seed + self.cycles,
            )

    def _observations(self) -> dict[str, np.ndarray]:
        return {
            a: self._obs[i].copy() for i, a in enumerate(self.possible_agents) if a in self.agents
        }

    def _rewards(self) -> dict[str, float]:
        if self.reward_kind == "accuracy":
            values = team_scope(torch.as_tensor(self._accuracy)[None], self.config.reward_scope)[0]
            values = values.numpy()
        else:
            values = self.batch.rewards(self.reward_kind)[0].numpy()
        return {a: float(values[i]) for i, a in enumerate(self.possible_agents) if a in self.agents}

    def _infos(self) -> dict[str, dict[str, Any]]:
        infos = {}
        batch_infos = self.batch.infos()
        primary = self._primary_report(batch_infos)
        values = {k: batch_infos[k][0] for k in self.batch.LINK_INFOS}
        for i, agent in enumerate(self.possible_agents):
            if agent not in self.agents:
                continue
            info: dict[str, Any] = {k: v[i].item() for k, v in values.items()}
            if self._accuracy is not None:
                info["accuracy"] = float(self._accuracy[i])
                info["native_accuracy"] = self.latent_links[i].native_accuracy
            info.update(primary)
            if "tx_position" in batch_infos:  # a random topology: where the link stands
                info["tx_position"] = batch_infos["tx_position"][0, i].numpy().copy()
                info["rx_position"] = batch_infos["rx_position"][0, i].numpy().copy()
            infos[agent] = info
        return infos

    def _primary_report(self, batch_infos: dict[str, Any]) -> dict[str, Any]:
        if self.game.primary is None:
            return {}
        return {
            "primary_interference": batch_infos["primary_interference"][0].numpy().copy(),
            "primary_caps_hold": bool(batch_infos["primary_caps_hold"][0]),
            "primary_rate": batch_infos["primary_rate"][0].numpy().copy(),
        }


InterferenceEnv.__doc__ = INTERFERENCE_OBSERVATION.document(InterferenceEnv.__doc__)
raw_env, parallel_env, env = env_factories(InterferenceEnv)
