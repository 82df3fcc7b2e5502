"""The semantic interference game as a PettingZoo environment (``semgym.interference_v0``).

See :class:`InterferenceEnv` for the manual.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium
import numpy as np
import torch
from pettingzoo import ParallelEnv
from pettingzoo.utils import parallel_to_aec, wrappers

from semgym import core
from semgym._validation import check_choice, check_positive, check_positive_int
from semgym.channels import InterferenceChannelConfig, sample_interference_channels
from semgym.envs._scenario import cached_bank, cached_pair, link_encoders, make_primaries
from semgym.solvers import GameOperator, GameState, InterferenceGame

REWARDS = ("nmse", "mse", "accuracy")
ACTION_MODES = ("power", "normalized", "precoder")
#: Observed log10 gains are floored at this value (λ·K·P_max below 1e-30 is no gain at all).
LOG_GAIN_FLOOR = -30.0
LOG_GAIN_CEIL = 30.0


class InterferenceEnv(ParallelEnv):
    """L semantic links share a MIMO interference channel; each link is an agent.

    | Import             | ``from semgym import interference_v0``                      |
    |--------------------|-------------------------------------------------------------|
    | Actions            | Continuous                                                  |
    | Parallel API       | Yes (AEC through ``interference_v0.env()``)                 |
    | Agents             | ``link_0`` … ``link_{L-1}`` (secondary links)              |
    | Action shape       | (M,) with M = K·N_T; (2M²,) for ``precoder``                |
    | Action values      | ``power``: [0, K·P_max] W; ``normalized``/``precoder``: [-1, 1] |
    | Observation shape  | (3M + 3,); (4M + 3,) with primary users                     |
    | Observation values | [-30, 30], float32                                          |
    | State shape        | (L·(3M + 3),)                                               |

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

    **Action space.** ``action_mode="power"``: ``Box(0, K·P_max, (M,))`` watts per mode (the
    paper's variable). The env projects it onto {p ≥ 0, Σp ≤ K·P_max} (Euclidean projection)
    and reports ``infos[agent]["projected"] = True`` when that changed it.
    ``action_mode="normalized"``: ``Box(-1, 1, (M,))`` mapped to u = (a + 1)/2 and
    p = K·P_max · u / max(1, Σu): every action is feasible and every feasible p is reachable
    (u = p/(K·P_max)); symmetric, as RL libraries prefer.
    ``action_mode="precoder"``: ``Box(-1, 1, (2M²,))``, the link's whole precoder in the basis of
    its semantic directions: F̄ = (a[:M²] + j·a[M²:]).reshape(M, M) (rows: the K·N_T transmit
    dimensions, columns: semantic directions q̃_m), F_l = √(K·P_max) · F̄ Q̃_lᴴ / max(1, ‖F̄‖_F),
    so every action is feasible and the whole power ball is reachable (``projected`` reports
    the rescaling). Precoders may couple channel uses, so this mode uses the dense path
    (one K·N_T eigenproblem per link), and the observed "powers" are the column energies of F.
    NaN/inf or a wrong shape raises ``ValueError``. :meth:`best_response_actions` gives every
    link's best response (15) in the current action encoding.

    **Observation space.** ``Box(-30, 30, (3M + 3,), float32)``, per link:

    | slice          | content                                                           |
    |----------------|-------------------------------------------------------------------|
    | [0, M)         | log10(λ_m · K·P_max), effective-channel gains, descending, floored at -30 |
    | [M, 2M)        | semantic weights σ̃_m² / Σσ̃², descending                          |
    | [2M, 3M)       | current powers p_m / (K·P_max)                                     |
    | 3M             | log10(1 + INR): MUI power per receive antenna and use over σ²     |
    | 3M + 1         | the link's current NMSE (1.0 = nothing conveyed)                  |
    | 3M + 2         | fraction of the budget in use, Σp / (K·P_max)                     |
    | [3M + 3, 4M + 3) | with primary users only: log10(c_m · K·P_max), the interference  |
    |                |   price of mode m (Σ_m c_m p_m ≤ 1 keeps the link's share of every |
    |                |   primary's cap), floored at -30                                  |

    The first two blocks are exactly what water-filling needs, so the best response is a
    function of the observation alone (``BestResponse.act(observation)``).

    **Rewards.** ``"nmse"`` (default): −NMSE_l; ``"mse"``: −MSE_l (the paper's objective, summed
    over complex latent dimensions); ``"accuracy"``: the receiver's test-split accuracy after
    simulating the test set through F, H, MUI, noise and G (slow: a simulation per step).
    MSE is the exact closed form (8) with every link's new precoder.

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
    ``primary_interference`` (W per primary) and ``primary_caps_hold``.

    **Arguments** (all keyword):

    - ``n_links=3``: L secondary links (agents).
    - ``n_antennas=8``: N_T = N_R; ``n_tx_antennas``/``n_rx_antennas`` override it.
    - ``channel_uses=10``: K channel uses per latent (compression ξ = K/(d/2)).
    - ``alpha=3.0``: MUI scaling factor α (adjacent transmitters α·30 m apart).
    - ``snr_db=None``: direct-link SNR in dB; None = thermal noise (10 MHz, 7 dB NF, 290 K).
    - ``tx_power_w=1.0``: P_max per channel use, W.
    - ``fading="rician"`` (K-factor ``rician_k=1.5``) or ``"rayleigh"``.
    - ``latents="mnist5k"``: latent bank (``"digits"``, ``"synthetic"``, or a file path).
    - ``tx_encoders``/``rx_encoders=None``: encoder per link (default: the bank's paper links).
    - ``reward="nmse"``, ``max_cycles=50``, ``action_mode="power"``.
    - ``primary_users=0``: licensed primary links (not agents; see :func:`make_primaries`);
      ``interference_cap=0.1``: each primary's cap I_max as a fraction of the interference it
      would get from all secondaries at full isotropic power. Links then water-fill with an
      interference price (journal abstract).
    - ``info_accuracy=False``: report accuracy in infos whatever the reward.
    - ``render_mode=None``: ``"rgb_array"`` or ``"human"``.

    **Vectorized environment.** ``semgym.vector.InterferenceVecEnv`` (planned) batches the same
    state over many channel realizations.

    **Version history.** v0: initial release.
    """

    metadata = {
        "name": "interference_v0",
        "render_modes": ["human", "rgb_array"],
        "is_parallelizable": True,
        "render_fps": 2,
    }

    def __init__(
        self,
        *,
        n_links: int = 3,
        n_antennas: int = 8,
        n_tx_antennas: int | None = None,
        n_rx_antennas: int | None = None,
        channel_uses: int = 10,
        alpha: float = 3.0,
        snr_db: float | None = None,
        tx_power_w: float = 1.0,
        fading: str = "rician",
        rician_k: float = 1.5,
        latents: str = "mnist5k",
        tx_encoders: list[str] | None = None,
        rx_encoders: list[str] | None = None,
        reward: str = "nmse",
        max_cycles: int = 50,
        action_mode: str = "power",
        primary_users: int = 0,
        interference_cap: float = 0.1,
        info_accuracy: bool = False,
        render_mode: str | None = None,
    ) -> None:
        n_links = check_positive_int("n_links", n_links)
        n_antennas = check_positive_int("n_antennas", n_antennas)
        self.config = InterferenceChannelConfig(
            n_links=n_links,
            n_tx_antennas=n_tx_antennas if n_tx_antennas is not None else n_antennas,
            n_rx_antennas=n_rx_antennas if n_rx_antennas is not None else n_antennas,
            alpha=alpha,
            snr_db=snr_db,
            tx_power_w=tx_power_w,
            fading=fading,
            rician_k=rician_k,
        )
        self.channel_uses = check_positive_int("channel_uses", channel_uses)
        self.reward_kind = check_choice("reward", reward, REWARDS)
        self.action_mode = check_choice("action_mode", action_mode, ACTION_MODES)
        self.max_cycles = check_positive_int("max_cycles", max_cycles)
        self.n_primaries = check_positive_int("primary_users", primary_users, minimum=0)
        self.interference_cap = check_positive("interference_cap", interference_cap)
        if render_mode is not None:
            check_choice("render_mode", render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.info_accuracy = bool(info_accuracy) or self.reward_kind == "accuracy"
        self.latents = latents
        self.links = link_encoders(latents, n_links, tx_encoders, rx_encoders)
        self.n_modes = self.channel_uses * self.config.n_tx_antennas
        self.budget = self.channel_uses * self.config.tx_power_w
        prepared = [cached_pair(latents, tx, rx) for tx, rx in self.links]
        self.pairs = [p for p, _ in prepared]
        self.test_symbols = [x for _, x in prepared]
        for (tx, _), pair in zip(self.links, self.pairs, strict=True):
            if self.n_modes > pair.stats.tx_dim:
                raise ValueError(
                    f"channel_uses·n_tx_antennas = {self.n_modes} exceeds the {pair.stats.tx_dim} "
                    f"complex symbols of encoder {tx!r} (width {pair.tx_real_dim}); lower "
                    "channel_uses or the number of antennas"
                )

        self.possible_agents = [f"link_{i}" for i in range(n_links)]
        self.agents: list[str] = []
        m = self.n_modes
        self._obs_dim = 3 * m + 3 + (m if self.n_primaries else 0)
        if self.action_mode == "power":
            act = gymnasium.spaces.Box(0.0, self.budget, (m,), np.float32)
        elif self.action_mode == "normalized":
            act = gymnasium.spaces.Box(-1.0, 1.0, (m,), np.float32)
        else:
            act = gymnasium.spaces.Box(-1.0, 1.0, (2 * m * m,), np.float32)
        self._action_size = act.shape[0]
        obs = gymnasium.spaces.Box(LOG_GAIN_FLOOR, LOG_GAIN_CEIL, (self._obs_dim,), np.float32)
        self._action_spaces = {a: act for a in self.possible_agents}
        self._observation_spaces = {a: obs for a in self.possible_agents}
        self.state_space = gymnasium.spaces.Box(
            LOG_GAIN_FLOOR, LOG_GAIN_CEIL, (n_links * self._obs_dim,), np.float32
        )
        self._np_random: np.random.Generator | None = None
        self._figure = None

    # --- spaces (the same object every call, as PettingZoo's tests require) -------------------
    def observation_space(self, agent: str) -> gymnasium.spaces.Box:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Box:
        return self._action_spaces[agent]

    # --- API -----------------------------------------------------------------------------------
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        if seed is not None:
            self._np_random = np.random.default_rng(seed)
            channel_seed = int(seed)
        else:
            if self._np_random is None:
                self._np_random = np.random.default_rng()
            channel_seed = int(self._np_random.integers(0, 2**31 - 1))
        channels = sample_interference_channels(
            self.config, batch_size=1, seed=channel_seed, dtype=torch.complex128
        )
        primary = make_primaries(
            self.config,
            self.n_primaries,
            self.interference_cap,
            float(channels.noise_power[0]),
            seed=channel_seed,
        )
        self.channel_seed = channel_seed
        self.game = InterferenceGame.from_pairs(
            channels, self.pairs, self.channel_uses, primary=primary
        )
        structure = "dense" if self.action_mode == "precoder" else "block"
        self.operator = GameOperator(self.game, structure)
        self.state_ = self.operator.initial_state(seed=channel_seed)
        self.agents = list(self.possible_agents)
        self.cycles = 0
        self._projected = np.zeros(len(self.agents), dtype=bool)
        self._advance()
        observations = self._observations()
        return observations, self._infos()

    def step(
        self, actions: dict[str, np.ndarray]
    ) -> tuple[
        dict[str, np.ndarray],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        if not self.agents:
            raise RuntimeError("step() called on a finished episode; call reset()")
        raw = self._validated_actions(actions)
        if self.action_mode == "precoder":
            self.state_ = self._precoder_state(raw)
        else:
            powers = self._powers_from_actions(raw)
            observed = self._response.state  # modes of the effective channels as last observed
            blocks = powers.gather(-1, observed.rank.flatten(-2)).view(observed.power_blocks.shape)
            self.state_ = GameState(observed.structure, observed.mode_blocks, blocks, observed.rank)
        self._advance()
        self.cycles += 1
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

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode")
            return None
        from semgym.envs.rendering import render_interference

        image, self._figure = render_interference(self, self._figure, self.render_mode)
        return image if self.render_mode == "rgb_array" else None

    def close(self) -> None:
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)
            self._figure = None

    def state(self) -> np.ndarray:
        """All links' observations concatenated, (L·(3M + 3),) float32 (for central critics)."""
        return np.concatenate([self._observation(i) for i in range(len(self.possible_agents))])

    def best_response_actions(self) -> dict[str, np.ndarray]:
        """Every active link's best response to the others' current precoders (semantic
        water-filling (15), priced with primary users), encoded in this env's action space."""
        response = self._response
        actions = {}
        for i, agent in enumerate(self.possible_agents):
            if agent not in self.agents:
                continue
            p = response.powers[0, i].clamp_min(0.0)
            if self.action_mode == "power":
                action = p
            elif self.action_mode == "normalized":
                action = 2.0 * p / self.budget - 1.0
            else:
                fbar = response.state.modes[0, i] * (p / self.budget).sqrt()
                action = torch.cat([fbar.real.reshape(-1), fbar.imag.reshape(-1)])
            actions[agent] = action.numpy().astype(np.float32)
        return actions

    # --- internals -----------------------------------------------------------------------------
    def _validated_actions(self, actions: dict[str, np.ndarray]) -> torch.Tensor:
        """(L, action size) float64, or ``ValueError`` naming the agent and the problem."""
        rows = []
        for agent in self.agents:
            if agent not in actions:
                raise ValueError(f"missing action for agent {agent!r}")
            a = np.asarray(actions[agent], dtype=np.float64)
            if a.shape != (self._action_size,):
                raise ValueError(
                    f"action of {agent!r} must have shape ({self._action_size},), got {a.shape}"
                )
            if not np.all(np.isfinite(a)):
                raise ValueError(f"action of {agent!r} contains NaN or inf")
            rows.append(a)
        return torch.as_tensor(np.stack(rows))

    def _precoder_state(self, raw: torch.Tensor) -> GameState:
        """Precoders F̄ (1, L, 1, M, M) on the power ball from actions in [-1, 1]^(2M²)."""
        m = self.n_modes
        clipped = raw.clamp(-1.0, 1.0)
        fbar = torch.complex(clipped[:, : m * m], clipped[:, m * m :]).reshape(-1, m, m)
        norm = fbar.abs().square().sum((-2, -1)).sqrt()
        self._projected = (norm > 1.0).numpy() | (clipped != raw).any(-1).numpy()
        fbar = fbar * (self.budget**0.5 / norm.clamp_min(1.0))[:, None, None]
        n_links = fbar.shape[0]
        return GameState(
            "dense",
            fbar.to(self.game.channels.dtype).reshape(1, n_links, 1, m, m),
            torch.ones(1, n_links, 1, m, dtype=self.game.weights.dtype),
            torch.arange(m).expand(1, n_links, 1, m),
        )

    def _direction_powers(self) -> torch.Tensor:
        """Power on each semantic direction, (L, M) W: column energies of F̄ = V diag(√p)."""
        state = self.state_
        energy = (state.mode_blocks.abs().square() * state.power_blocks.unsqueeze(-2)).sum(-2)
        flat = energy.flatten(-2)
        return torch.empty_like(flat).scatter_(-1, state.rank.flatten(-2), flat)[0]

    def _powers_from_actions(self, raw: torch.Tensor) -> torch.Tensor:
        """(1, L, M) powers in W by semantic index from validated actions, projected."""
        if self.action_mode == "normalized":
            share = (raw.clamp(-1.0, 1.0) + 1.0) / 2.0
            raw = self.budget * share / share.sum(-1, keepdim=True).clamp_min(1.0)
        projected = core.project_to_budget(raw, self.budget)
        self._projected = (projected - raw).abs().amax(-1).gt(1e-9 * self.budget).numpy()
        return projected.unsqueeze(0)

    def _advance(self) -> None:
        """Evaluate the current state: effective channels, MSE, MUI, best responses."""
        op = self.operator
        self._effective = op.effective(self.state_)
        self._mse = op.mse(self.state_, self._effective)[0]
        self._response = op.respond(self._effective)
        best = self.game.target_energy - core.semantic_utility(
            self.game.weights, self._response.gains, self._response.powers
        )
        self._exploit = (self._mse - best[0]).clamp_min(0.0)
        self._mui = op.mui(self.state_)[0]
        self._accuracy = self._simulate_accuracy() if self.info_accuracy else None

    def _simulate_accuracy(self) -> np.ndarray:
        """Receiver test accuracy of every link, simulated through F, H, MUI, noise and G."""
        game, k = self.game, self.channel_uses
        channels = core.kron_identity(game.channels[0], k)
        modes, powers = self.state_.modes[0], self.state_.powers[0]
        precoders = [
            core.structured_precoder(
                modes[i], powers[i], pair.stats.semantic_directions(self.n_modes)
            )
            for i, pair in enumerate(self.pairs)
        ]
        noise_cov = core.block_diagonal(
            self.operator.noise_covariance(self.state_)[0].movedim(0, 1)
        )
        direct = core.direct_channels(channels)
        equalizers = [
            core.wiener_equalizer(pair.stats.cross_covariance, f, direct[i], noise_cov[i])
            for i, (pair, f) in enumerate(zip(self.pairs, precoders, strict=True))
        ]
        extra = None
        if game.primary is not None:  # primaries' signals reach the receivers as Gaussian noise
            extra = core.kron_identity(game.primary.secondary_noise()[0], k)
        estimates = core.simulate_network(
            self.test_symbols,
            precoders,
            channels,
            game.noise_power[0],
            equalizers,
            extra_noise_covariance=extra,
            generator=torch.Generator().manual_seed(self.channel_seed + self.cycles),
        )
        bank = cached_bank(self.latents)
        return np.array(
            [
                bank.accuracy(rx, pair.rx_latents(est), bank.test_labels)
                for (_, rx), pair, est in zip(self.links, self.pairs, estimates, strict=True)
            ]
        )

    def _observation(self, index: int) -> np.ndarray:
        gains = self._response.gains[0, index]
        weights = self.game.weights[0, index]
        powers = self._direction_powers()[index]
        sigma2 = float(self.game.noise_power[0])
        per_antenna = self.channel_uses * self.config.n_rx_antennas
        inr = float(self._mui[index]) / (per_antenna * sigma2)
        log_gain = torch.log10((gains * self.budget).clamp_min(10.0**LOG_GAIN_FLOOR))
        total = weights.sum().clamp_min(1e-300)
        obs = torch.cat(
            [
                log_gain.clamp(LOG_GAIN_FLOOR, LOG_GAIN_CEIL),
                weights / total,
                powers / self.budget,
                torch.tensor(
                    [
                        math.log10(1.0 + inr),
                        float(self._mse[index] / self.game.target_energy[0, index]),
                        float(powers.sum() / self.budget),
                    ],
                    dtype=gains.dtype,
                ),
            ]
        )
        if self._response.costs is not None:
            prices = (self._response.costs[0, index] * self.budget).clamp_min(10.0**LOG_GAIN_FLOOR)
            obs = torch.cat([obs, torch.log10(prices)])
        return obs.clamp(LOG_GAIN_FLOOR, LOG_GAIN_CEIL).numpy().astype(np.float32)

    def _observations(self) -> dict[str, np.ndarray]:
        return {
            a: self._observation(i) for i, a in enumerate(self.possible_agents) if a in self.agents
        }

    def _rewards(self) -> dict[str, float]:
        if self.reward_kind == "accuracy":
            values = self._accuracy
        elif self.reward_kind == "mse":
            values = -self._mse.numpy()
        else:
            values = -(self._mse / self.game.target_energy[0]).numpy()
        return {a: float(values[i]) for i, a in enumerate(self.possible_agents) if a in self.agents}

    def _infos(self) -> dict[str, dict[str, Any]]:
        infos = {}
        primary = self._primary_report()
        for i, agent in enumerate(self.possible_agents):
            if agent not in self.agents:
                continue
            info: dict[str, Any] = {
                "mse": float(self._mse[i]),
                "nmse": float(self._mse[i] / self.game.target_energy[0, i]),
                "mui_power": float(self._mui[i]),
                "exploitability": float(self._exploit[i]),
                "projected": bool(self._projected[i]),
            }
            if self._accuracy is not None:
                info["accuracy"] = float(self._accuracy[i])
                info["native_accuracy"] = float(
                    cached_bank(self.latents).native_accuracy[self.links[i][1]]
                )
            info.update(primary)
            infos[agent] = info
        return infos

    def _primary_report(self) -> dict[str, Any]:
        primary = self.game.primary
        if primary is None:
            return {}
        cov = self.state_.covariance_blocks
        received = primary.received(cov)[0]
        return {
            "primary_interference": received.numpy().copy(),
            "primary_caps_hold": bool(primary.caps_hold(cov)[0].all()),
            "primary_rate": primary.rate(cov)[0].numpy().copy(),
        }


def raw_env(**kwargs: Any) -> InterferenceEnv:
    """The parallel environment without wrappers (PettingZoo's ``raw_env`` convention)."""
    return InterferenceEnv(**kwargs)


def parallel_env(**kwargs: Any) -> InterferenceEnv:
    """:class:`InterferenceEnv` (PettingZoo ``ParallelEnv``)."""
    return InterferenceEnv(**kwargs)


def env(**kwargs: Any):
    """The AEC version (``parallel_to_aec``) with PettingZoo's order-enforcing wrapper."""
    aec = parallel_to_aec(InterferenceEnv(**kwargs))
    return wrappers.OrderEnforcingWrapper(aec)
