"""The federated semantic downlink as a PettingZoo environment (``semgym.broadcast_v0``) and as
the Gymnasium id ``semgym/Broadcast-v0``.

See :class:`BroadcastEnv` for the manual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
import torch
from torch import Tensor

from semgym.envs._base import ParallelStep, SemgymParallelEnv, env_factories, episode_seed
from semgym.envs.batch import BroadcastBatch
from semgym.envs.codec import encode_precoder, precoder_action_size
from semgym.envs.config import EnvConfig, check_dynamic_range
from semgym.envs.observations import BROADCAST_OBSERVATION
from semgym.scenarios import Downlink, DownlinkConfig, downlink_accuracy

#: The single agent: the access point, which chooses the shared pre-equalizer F.
AGENT = "access_point"


@dataclass(frozen=True)
class BroadcastEnvConfig(
    EnvConfig, batch=BroadcastBatch, max_cycles=30, observation=BROADCAST_OBSERVATION
):
    """The broadcast env's :class:`~semgym.envs.config.EnvConfig`: a
    :class:`~semgym.scenarios.DownlinkScenario` and the RL settings; builds the spaces."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_dynamic_range(self.scenario.config.snr_db, self.dtype, "snr_db")

    @property
    def tx_dim(self) -> int:
        """d_x, the AP's symbols (d/2 complex, or d real when widely linear)."""
        return self.scenario.users[0].pair.stats.tx_dim

    def bytes_per_env(self) -> float:
        """The downlink's tensors per env: every user's K·N_R × K·N_T channel, effective
        channel and Wiener terms, and the shared precoder (see
        :meth:`EnvConfig.bytes_per_env`)."""
        s, config = self.scenario, self.scenario.config
        real = 2 if s.processing == "widely_linear" else 1
        m, d_x, users, k = s.n_modes, self.tx_dim, config.n_users, config.channel_uses
        rx, tx = real * config.n_rx, real * config.n_tx
        elements = users * (2 * k * k * rx * tx + 6 * m * m + 4 * m * d_x) + 4 * m * d_x
        element = (8 if self.dtype == "float32" else 16) / real
        return float(elements * element)

    def layout_sizes(self) -> dict[str, int]:
        """M (modes), L (users)."""
        return {"M": self.scenario.n_modes, "L": self.scenario.config.n_users}

    @property
    def observation_size(self) -> int:
        """D, the access point's observation length."""
        return self.observation_layout.size

    def action_space(self) -> gymnasium.spaces.Box:
        """The access point's action space in this action mode."""
        m = self.scenario.n_modes
        if self.action_mode == "precoder":
            size = precoder_action_size(m, self.tx_dim, self.scenario.processing == "linear")
            return gymnasium.spaces.Box(-1.0, 1.0, (size,), np.float32)
        return gymnasium.spaces.Box(0.0, self.scenario.config.power, (m,), np.float32)

    def observation_space(self) -> gymnasium.spaces.Box:
        """The access point's observation space."""
        return self.observation_layout.box()


class BroadcastEnv(SemgymParallelEnv):
    """An access point (AP) broadcasts its latents to L users through one shared pre-equalizer F.

    | Import             | ``from semgym import broadcast_v0``                          |
    |--------------------|--------------------------------------------------------------|
    | Actions            | Continuous                                                   |
    | Parallel API       | Yes (AEC through ``broadcast_v0.env()``)                     |
    | Agents             | ``access_point`` (one agent)                                 |
    | Action shape       | ``precoder``: (2·M·d_x,); ``power``: (M,), with M = K·N_T    |
    | Action values      | ``precoder``: [-1, 1]; ``power``: [0, P_T] W per mode        |
    | Observation shape  | <observation-shape>                                          |
    | Observation values | [-30, 30], float32                                           |
    | State shape        | the observation's                                            |

    **Description** (federated paper §II–§III). The AP encodes a sample with its encoder; its
    whitened latent x ∈ C^{d_x} (d_x = d/2, R_x = I on the pilots) is sent through one shared
    pre-equalizer F (K·N_T × d_x) over K channel uses to L users with N_R antennas:
    ŷ_l = G_l(H_l F x + n_l), H_l = I_K ⊗ H̄_l, H̄_l i.i.d. CN(0, 1) (unit variance, no path
    loss), n_l ~ CN(0, σ_l² I). Each user understands its own encoder's latent space and
    applies its Wiener equalizer G_l for the current F (:func:`~semgym.core.wiener_equalizer`);
    user l's targets y_l are its own latents, centered and pre-whitened (privacy, §III-B), and
    the semantic statistics P_l = Y_l Xᴴ/n are taken on the first n = ⌈pilot_fraction·n_train⌉
    train samples (:func:`~semgym.scenarios.prepare_users`). There is no multi-user interference
    (every user wants the same x), but one F must serve every user's latent space and channel:
    the reference design is the federated ADMM (:class:`semgym.policies.FederatedADMM`).
    SNR convention of :mod:`semgym.scenarios.downlink` (the public reference code):
    σ_l² = P_T ‖H̄_l‖²_F / (K·N_T·N_R·10^{SNR/10}).

    **Action space.** ``action_mode="precoder"`` (default): ``Box(-1, 1, (2·M·d_x,))``, the
    whole pre-equalizer: F̄ = (a[:M·d_x] + j·a[M·d_x:]).reshape(M, d_x) (rows: the K·N_T
    transmit dimensions, columns: the AP's whitened latent components),
    F = √P_T · F̄ / max(1, ‖F̄‖_F): every action is feasible (tr(F Fᴴ) ≤ P_T, scaled down only
    when outside the ball) and the whole ball is reachable. :meth:`encode_precoder` gives the
    action of a feasible F. ``action_mode="power"``: ``Box(0, P_T, (M,))`` watts per mode of a
    structured precoder F = V diag(√p) Q̃ᴴ (interference paper (11),
    :func:`~semgym.core.structured_precoder`), tr(F Fᴴ) = Σp: V (M × M) are the eigenvectors of
    the users' mean effective channel R̄_H = (1/L) Σ_l H_lᴴ H_l / σ_l² (the right singular
    vectors of the noise-normalized stacked channel [H_1/σ_1; …; H_L/σ_L]), gains λ̄
    descending; Q̃ (d_x × M)
    are the top right singular vectors of the stacked normalized cross-covariances
    [P_l / √(L·tr R_y,l)]_l (the directions that explain most of the network NMSE), weights
    w̄ = σ̃² descending; mode m sends direction m on the m-th strongest eigenvector. p is
    projected onto {p ≥ 0, Σp ≤ P_T} (:func:`~semgym.core.project_to_budget`). Either way
    ``infos["access_point"]["projected"]`` says when the action was changed to be feasible
    (clipped to the box, or scaled/projected by more than float32 rounding). NaN/inf, a
    wrong shape or anything but real numbers (complex, strings, objects) raise ``ValueError``;
    a rejected step changes nothing.

    **Observation space.** ``Box(-30, 30, (D,), float32)``, D = the sum of its blocks
    (``semgym.envs.observations``; ``env.observation_layout`` has their slices by name):

    <observation-table>

    Log gains are floored at -30 and capped at 30, so the observation is finite at any SNR.

    **Rewards.** ``"nmse"`` (default): −network NMSE, −(1/L) Σ_l MSE_l / tr(R_y,l);
    ``"mse"``: −(1/L) Σ_l MSE_l (the paper's objective (3), whitened targets);
    ``"accuracy"``: the users' mean test accuracy, the test split simulated through F, H_l,
    noise and G_l, de-whitened and classified by each user's task head (slower). MSE_l is the
    exact closed form (8) with user l's Wiener receiver (:func:`~semgym.core.alignment_mse`).

    **Starting state.** ``reset(seed)`` draws the channels H̄_l (``seed`` is the channel seed)
    and starts from uniform power on the ``power`` modes, p = P_T/M.

    **Step.** The action sets F; every user's MSE is computed with its Wiener receiver for F.

    **Episode end.** No termination; truncation after ``max_cycles`` steps.

    **Infos** (of ``access_point``): ``nmse``, ``mse`` (network means), ``user_nmse``,
    ``user_mse`` ((L,) arrays), ``power`` (tr(F Fᴴ), W), ``projected``; with
    ``reward="accuracy"`` or ``info_accuracy=True`` also ``accuracy`` (users' mean),
    ``user_accuracy`` (L,), ``native_accuracy`` (mean of the users' heads on their own test
    latents: the ceiling).

    **Arguments** (all keyword):

    - ``n_users=10``: L users.
    - ``n_tx=4``, ``n_rx=4``: N_T AP antennas, N_R antennas per user.
    - ``channel_uses=1``: K (compression ζ = K/d_x); K·N_T must not exceed d_x.
    - ``snr_db=20.0``: SNR in dB (convention above). ``power=1.0``: P_T, W.
    - ``latents="mnist5k"``: latent bank (``"digits"``, ``"synthetic"`` or a file path).
    - ``user_group="heterogeneous"``: default encoders. On the embedded banks the AP runs
      ``resnet10t`` (192-d, like the paper's vit_tiny AP); ``"heterogeneous"`` users cycle
      through ``levit_128s`` (transformer), ``mlp`` and ``effnet_lite0`` (pretrained CNN,
      whose head does not survive complex-linear alignment: near-chance accuracy, see the
      README); ``"homogeneous"``: every user runs ``levit_128s``. Other banks: the AP runs
      the first encoder of the bank's paper links (``"tx"`` on the synthetic bank),
      heterogeneous users cycle through the bank's other encoders (with the AP's own encoder
      when there is only one other, as on the synthetic bank), homogeneous users all run the
      first of those.
    - ``ap_encoder=None``, ``user_encoders=None``: explicit encoders (``user_encoders`` names
      one encoder per user and overrides ``user_group``).
    - ``pilot_fraction=1.0``: share of the train split used as pilots, in (0, 1] (paper: 0.1,
      0.5, 1.0).
    - ``reward="nmse"``, ``max_cycles=30``, ``action_mode="precoder"``.
    - ``info_accuracy=False``: report accuracy in infos whatever the reward.
    - ``render_mode=None``: ``"rgb_array"`` or ``"human"``: the access point and its users (each
      user's link coloured by the NMSE of what it decodes), the energy on each pooled semantic
      direction, and every user's NMSE (and accuracy when computed).
    - ``processing="linear"`` or ``"widely_linear"``, as in ``interference_v0``: widely
      linear, M is 2·K·N_T real modes and d_x the AP's d real symbols, and a ``precoder``
      action is the real F̄ itself, (M·d_x,).
    - ``dtype="float64"``: precision of the computations (``"float32"`` is what the vector env
      uses by default; observations are float32 either way).

    **Vectorized environment.** :class:`semgym.vector.BroadcastVecEnv` runs the same
    implementation (:class:`~semgym.envs.batch.BroadcastBatch`) for ``num_envs`` channel
    realizations at once on CPU or CUDA; with the same seeds it gives the same numbers.

    Reference policies (perfect CSI) read :attr:`downlink`, the episode's
    :class:`~semgym.scenarios.Downlink` (a batch of one), the same object the solvers take:
    ``FederatedADMM``, ``FirstK``, ``TopK``, ``MultiLink`` in :mod:`semgym.policies`.

    **Version history.** v0: initial release.
    """

    _RENDERER = "render_broadcast"
    metadata = {
        "name": "broadcast_v0",
        "render_modes": ["human", "rgb_array"],
        "is_parallelizable": True,
        "render_fps": 2,
    }

    def __init__(self, *, render_mode: str | None = None, **kwargs: Any) -> None:
        self._set_render_mode(render_mode)
        self._configure(env_config := BroadcastEnvConfig.from_kwargs(**kwargs))
        self.downlink_config: DownlinkConfig = self.scenario.config
        self.user_group = self.scenario.user_group
        self.ap_encoder = self.scenario.ap_encoder
        self.user_encoders = list(self.scenario.user_encoders)
        self.users = self.scenario.users
        self.pairs = [user.pair for user in self.users]
        self.n_pilots = self.scenario.n_pilots
        self.d_x = env_config.tx_dim
        self.n_modes = self.scenario.n_modes
        self.budget = self.downlink_config.power

        self.possible_agents = [AGENT]
        self.agents: list[str] = []
        act, obs = env_config.action_space(), env_config.observation_space()
        self._action_size = act.shape[0]
        self._action_spaces = {AGENT: act}
        self._observation_spaces = {AGENT: obs}
        self.state_space = obs

    # --- API -----------------------------------------------------------------------------------
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        self.channel_seed = self._channel_seed(seed)
        self.batch.reset([self.channel_seed])
        self.agents = [AGENT]
        self.cycles = 0
        self._refresh()
        return {AGENT: self._obs.copy()}, {AGENT: self._info()}

    def step(self, actions: dict[str, np.ndarray]) -> ParallelStep:
        if not self.agents:
            raise RuntimeError("step() called on a finished episode; call reset()")
        if not isinstance(actions, dict) or AGENT not in actions:
            raise ValueError(f"missing action for agent {AGENT!r}")
        raw = self._validated_action(AGENT, actions[AGENT], self._action_size)
        self.batch.step(torch.as_tensor(raw, dtype=self.batch.real_dtype).unsqueeze(0))
        self.cycles += 1
        self._refresh()
        truncated = self.cycles >= self.max_cycles
        if self.reward_kind == "accuracy":
            reward = float(self._accuracy.mean())
        else:
            reward = float(self.batch.rewards(self.reward_kind)[0])
        if truncated:
            self.agents = []
        infos = {AGENT: self._info()}
        if self.render_mode == "human":
            self.render()
        return {AGENT: self._obs.copy()}, {AGENT: reward}, {AGENT: False}, {AGENT: truncated}, infos

    def state(self) -> np.ndarray:
        """The access point's observation (the only agent sees the whole state)."""
        return self._obs.copy()

    def encode_precoder(self, precoder: Tensor) -> np.ndarray:
        """The ``precoder``-mode action that reproduces F (M, d_x): [Re F, Im F] / √P_T, flat,
        float32. F is first projected onto tr(F Fᴴ) ≤ P_T (a feasible F is unchanged)."""
        want = (self.n_modes, self.d_x)
        if tuple(precoder.shape) != want:
            raise ValueError(f"precoder must have shape {want}, got {tuple(precoder.shape)}")
        return encode_precoder(precoder, self.budget).numpy().astype(np.float32)

    # --- the episode's scenario (a batch of one; read by reference policies and tests) ----------
    @property
    def downlink(self) -> Downlink:
        """The episode's :class:`~semgym.scenarios.Downlink` (a batch of one)."""
        return self.batch.downlink

    @property
    def precoder(self) -> Tensor:
        """The current F, (M, d_x)."""
        return self.batch.precoder[0]

    # --- internals -----------------------------------------------------------------------------
    def _refresh(self) -> None:
        self._obs = self.batch.observations()[0].numpy()
        self._accuracy = None
        if self.info_accuracy:
            self._accuracy = downlink_accuracy(
                self.downlink.select(0),
                self.precoder,
                self.users,
                seed=self.channel_seed + self.cycles,
            )

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            k: v[0].item() if v.dim() == 1 else v[0].numpy().copy()
            for k, v in self.batch.infos().items()
        }
        if self._accuracy is not None:
            info["accuracy"] = float(self._accuracy.mean())
            info["user_accuracy"] = self._accuracy.copy()
            info["native_accuracy"] = float(np.mean([u.native_accuracy for u in self.users]))
        return info


class BroadcastGymEnv(gymnasium.Env):
    """``semgym/Broadcast-v0``: the access point of :class:`BroadcastEnv` as a Gymnasium env.

    Takes :class:`BroadcastEnv`'s keyword arguments; action, observation, reward and info are
    the ``access_point``'s. Episode: truncated after ``max_cycles`` steps.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 2}

    def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
        self.multi = BroadcastEnv(render_mode=render_mode, **kwargs)
        self.render_mode = render_mode
        self.action_space = self.multi.action_space(AGENT)
        self.observation_space = self.multi.observation_space(AGENT)
        self.n_modes, self.budget = self.multi.n_modes, self.multi.budget
        self.action_mode = self.multi.action_mode
        self.observation_size = self.multi.observation_size

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        observations, infos = self.multi.reset(seed=episode_seed(self, seed), options=options)
        return observations[AGENT], infos[AGENT]

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        observations, rewards, _, truncations, infos = self.multi.step({AGENT: action})
        return observations[AGENT], rewards[AGENT], False, truncations[AGENT], infos[AGENT]

    def render(self) -> np.ndarray | None:
        return self.multi.render()

    def close(self) -> None:
        self.multi.close()


BroadcastEnv.__doc__ = BROADCAST_OBSERVATION.document(BroadcastEnv.__doc__)
raw_env, parallel_env, env = env_factories(BroadcastEnv)
