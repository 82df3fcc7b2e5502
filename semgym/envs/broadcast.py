"""The federated semantic downlink as a PettingZoo environment (``semgym.broadcast_v0``) and as
the Gymnasium id ``semgym/Broadcast-v0``.

See :class:`BroadcastEnv` for the manual.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
import torch
from pettingzoo.utils import parallel_to_aec, wrappers
from torch import Tensor

from semgym import core
from semgym._validation import check_choice, check_positive_int
from semgym.channels import sample_rayleigh_downlink
from semgym.envs._base import SemgymParallelEnv
from semgym.envs._scenario import cached_bank
from semgym.envs.gym_envs import _episode_seed
from semgym.latents import paper_links
from semgym.solvers import FederatedConfig, downlink_noise_power, prepare_users

#: The single agent: the access point, which chooses the shared pre-equalizer F.
AGENT = "access_point"
REWARDS = ("nmse", "mse", "accuracy")
ACTION_MODES = ("precoder", "power")
USER_GROUPS = ("heterogeneous", "homogeneous")
#: Observed log10 gains are floored/capped here (as in the interference env).
LOG_GAIN_FLOOR = -30.0
LOG_GAIN_CEIL = 30.0
#: float32 rounding allowance of an action: a precoder action with ‖F̄‖²_F ≤ 1 + this, or powers
#: that the projection moves by at most this · P_T, are not reported as ``projected`` (they
#: are still made exactly feasible).
ROUNDING = 1e-6

_REAL = torch.float64
#: Default AP and user groups of the embedded banks (federated paper Table I: a 192-d AP,
#: heterogeneous users of different architectures; the homogeneous group runs the first).
_EMBEDDED_GROUPS = {
    "ap": "resnet10t",
    "heterogeneous": ("levit_128s", "mlp", "effnet_lite0"),
}


@functools.lru_cache(maxsize=64)
def cached_user_pair(
    bank_name: str, ap_encoder: str, user_encoder: str, pilot_fraction: float
) -> tuple[core.SemanticPair, int]:
    """(pair, n) of the AP's and one user's train latents: the first n = ⌈fraction·n_train⌉
    pilots, targets whitened (:func:`~semgym.solvers.prepare_users`). Once per process."""
    bank = cached_bank(bank_name)
    config = FederatedConfig(n_users=1, pilot_fraction=pilot_fraction)
    tx = torch.as_tensor(bank.train(ap_encoder), dtype=_REAL)
    rx = torch.as_tensor(bank.train(user_encoder), dtype=_REAL)
    pairs, n = prepare_users(tx, [rx], config)
    return pairs[0], n


def default_encoders(
    bank_name: str, n_users: int, group: str, ap_encoder: str | None
) -> tuple[str, list[str]]:
    """(AP encoder, user encoders) of a user group, documented in :class:`BroadcastEnv`."""
    bank = cached_bank(bank_name)
    embedded = set(_EMBEDDED_GROUPS["heterogeneous"]) | {_EMBEDDED_GROUPS["ap"]}
    if ap_encoder is None:
        ap_encoder = (
            _EMBEDDED_GROUPS["ap"] if embedded <= set(bank.encoders) else paper_links(bank)[0][0]
        )
    if embedded <= set(bank.encoders) and ap_encoder not in _EMBEDDED_GROUPS["heterogeneous"]:
        cycle = list(_EMBEDDED_GROUPS["heterogeneous"])
    else:
        cycle = [e for e in bank.encoders if e != ap_encoder]
        if len(cycle) < 2:
            cycle.append(ap_encoder)
    if group == "homogeneous":
        return ap_encoder, [cycle[0]] * n_users
    return ap_encoder, [cycle[i % len(cycle)] for i in range(n_users)]


class BroadcastEnv(SemgymParallelEnv):
    """An access point (AP) broadcasts its latents to L users through one shared pre-equalizer F.

    | Import             | ``from semgym import broadcast_v0``                          |
    |--------------------|--------------------------------------------------------------|
    | Actions            | Continuous                                                   |
    | Parallel API       | Yes (AEC through ``broadcast_v0.env()``)                     |
    | Agents             | ``access_point`` (one agent)                                 |
    | Action shape       | ``precoder``: (2·M·d_x,); ``power``: (M,), with M = K·N_T    |
    | Action values      | ``precoder``: [-1, 1]; ``power``: [0, P_T] W per mode        |
    | Observation shape  | ((L + 3)·M + L + 2,)                                         |
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
    train samples (:func:`~semgym.solvers.prepare_users`). There is no multi-user interference
    (every user wants the same x), but one F must serve every user's latent space and channel:
    the reference design is the federated ADMM (:class:`semgym.policies.FederatedADMM`).
    SNR convention of :mod:`semgym.solvers.federated` (the public reference code):
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
    (clipped to the box, or scaled/projected by more than float32 rounding). NaN/inf or a
    wrong shape raises ``ValueError``.

    **Observation space.** ``Box(-30, 30, ((L + 3)·M + L + 2,), float32)``:

    | slice                    | content                                                   |
    |--------------------------|-----------------------------------------------------------|
    | [0, M)                   | log10(λ̄_m · P_T): gains of the ``power`` modes, descending |
    | [M, 2M)                  | pooled semantic weights w̄_m / Σw̄, descending              |
    | [2M, 3M)                 | energy on the pooled directions, ‖F q̃_m‖² / P_T           |
    |                          |   (= p_m / P_T in ``power`` mode)                          |
    | [3M, 3M + L·M)           | per user (user-major), log10(λ_l,m · P_T), descending:    |
    |                          |   eigenvalues of R_H,l = H_lᴴ H_l / σ_l²                   |
    | [3M + L·M, 3M + L·M + L) | each user's current NMSE (1.0 = nothing conveyed)        |
    | 3M + L·M + L             | network NMSE (mean over users)                           |
    | 3M + L·M + L + 1         | power in use, tr(F Fᴴ) / P_T                             |

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
    - ``render_mode=None``: no rendering is implemented.

    Reference policies (perfect CSI, SPEC §10) read :attr:`channels`, :attr:`pairs` and
    :attr:`config` (a :class:`~semgym.solvers.FederatedConfig`): ``FederatedADMM``, ``FirstK``,
    ``TopK``, ``MultiLink`` in :mod:`semgym.policies`.

    **Version history.** v0: initial release.
    """

    metadata = {
        "name": "broadcast_v0",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        *,
        n_users: int = 10,
        n_tx: int = 4,
        n_rx: int = 4,
        channel_uses: int = 1,
        snr_db: float = 20.0,
        power: float = 1.0,
        latents: str = "mnist5k",
        user_group: str = "heterogeneous",
        ap_encoder: str | None = None,
        user_encoders: Sequence[str] | None = None,
        pilot_fraction: float = 1.0,
        reward: str = "nmse",
        max_cycles: int = 30,
        action_mode: str = "precoder",
        info_accuracy: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.config = FederatedConfig(
            n_users=n_users,
            n_tx=n_tx,
            n_rx=n_rx,
            channel_uses=channel_uses,
            power=power,
            snr_db=snr_db,
            pilot_fraction=pilot_fraction,
        )
        self.reward_kind = check_choice("reward", reward, REWARDS)
        self.action_mode = check_choice("action_mode", action_mode, ACTION_MODES)
        self.user_group = check_choice("user_group", user_group, USER_GROUPS)
        self.max_cycles = check_positive_int("max_cycles", max_cycles)
        if render_mode is not None:
            raise ValueError(f"render_mode must be None (no rendering), got {render_mode!r}")
        self.render_mode = render_mode
        self.info_accuracy = bool(info_accuracy) or self.reward_kind == "accuracy"
        self.latents = latents
        self.ap_encoder, self.user_encoders = self._encoders(ap_encoder, user_encoders)
        prepared = [
            cached_user_pair(latents, self.ap_encoder, user, self.config.pilot_fraction)
            for user in self.user_encoders
        ]
        self.pairs = [pair for pair, _ in prepared]
        self.n_pilots = prepared[0][1]
        self.d_x = self.pairs[0].stats.tx_dim
        self.n_modes = self.config.channel_uses * self.config.n_tx
        self.budget = self.config.power
        if self.n_modes > self.d_x:
            raise ValueError(
                f"channel_uses·n_tx = {self.n_modes} exceeds the {self.d_x} complex symbols of "
                f"the AP encoder {self.ap_encoder!r}; lower channel_uses or n_tx"
            )
        self._weights, self.directions = self._pooled_semantics()
        self.test_symbols = self.pairs[0].tx_symbols(
            torch.as_tensor(cached_bank(latents).test(self.ap_encoder), dtype=_REAL)
        )

        self.possible_agents = [AGENT]
        self.agents: list[str] = []
        m, users = self.n_modes, self.config.n_users
        self.observation_size = (users + 3) * m + users + 2
        if self.action_mode == "precoder":
            act = gymnasium.spaces.Box(-1.0, 1.0, (2 * m * self.d_x,), np.float32)
        else:
            act = gymnasium.spaces.Box(0.0, self.budget, (m,), np.float32)
        obs = gymnasium.spaces.Box(
            LOG_GAIN_FLOOR, LOG_GAIN_CEIL, (self.observation_size,), np.float32
        )
        self._action_size = act.shape[0]
        self._action_spaces = {AGENT: act}
        self._observation_spaces = {AGENT: obs}
        self.state_space = obs
        self._np_random: np.random.Generator | None = None

    # --- API -----------------------------------------------------------------------------------
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        channel_seed = self._channel_seed(seed)
        cfg = self.config
        self.channel_seed = channel_seed
        self.channels = sample_rayleigh_downlink(
            cfg.n_users, cfg.n_tx, cfg.n_rx, seed=channel_seed, dtype=torch.complex128
        )[0]  # H̄_l, (L, N_R, N_T)
        self.noise_power = downlink_noise_power(self.channels, cfg)  # σ_l², (L,)
        self.dense = core.kron_identity(self.channels, cfg.channel_uses)  # H_l, (L, A, M)
        eye = torch.eye(self.dense.shape[-2], dtype=self.dense.dtype)
        self.noise_covariance = self.noise_power[:, None, None] * eye  # (L, A, A)
        self.effective = core.effective_channel(self.dense, self.noise_covariance)  # R_H,l
        self._user_gains, _ = core.effective_channel_modes(self.effective)  # (L, M)
        self._mean_gains, self.modes = core.effective_channel_modes(self.effective.mean(0))
        uniform = torch.full((self.n_modes,), self.budget / self.n_modes, dtype=_REAL)
        self.precoder = core.structured_precoder(self.modes, uniform, self.directions)
        self.agents = [AGENT]
        self.cycles = 0
        self._projected = False
        self._evaluate()
        return {AGENT: self._observation()}, {AGENT: self._info()}

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
        raw = self._validated_action(actions)
        if self.action_mode == "precoder":
            self.precoder = self._precoder_from_action(raw)
        else:
            powers = core.project_to_budget(raw, self.budget)
            self._projected = bool((powers - raw).abs().max() > ROUNDING * self.budget)
            self.precoder = core.structured_precoder(self.modes, powers, self.directions)
        self._evaluate()
        self.cycles += 1
        truncated = self.cycles >= self.max_cycles
        observations, infos = {AGENT: self._observation()}, {AGENT: self._info()}
        if self.reward_kind == "accuracy":
            reward = float(self._accuracy.mean())
        elif self.reward_kind == "mse":
            reward = -float(self._mse.mean())
        else:
            reward = -float(self._nmse.mean())
        if truncated:
            self.agents = []
        return observations, {AGENT: reward}, {AGENT: False}, {AGENT: truncated}, infos

    def render(self) -> None:
        gymnasium.logger.warn("BroadcastEnv has no rendering; render() returns None")

    def close(self) -> None:
        pass

    def state(self) -> np.ndarray:
        """The access point's observation (the only agent sees the whole state)."""
        return self._observation()

    def encode_precoder(self, precoder: Tensor) -> np.ndarray:
        """The ``precoder``-mode action that reproduces F (M, d_x): [Re F, Im F] / √P_T, flat,
        float32. F is first projected onto tr(F Fᴴ) ≤ P_T (a feasible F is unchanged)."""
        want = (self.n_modes, self.d_x)
        if tuple(precoder.shape) != want:
            raise ValueError(f"precoder must have shape {want}, got {tuple(precoder.shape)}")
        scaled = core.project_to_power_ball(precoder, self.budget) / self.budget**0.5
        flat = torch.cat([scaled.real.reshape(-1), scaled.imag.reshape(-1)])
        return flat.numpy().astype(np.float32)

    # --- internals -----------------------------------------------------------------------------
    def _encoders(
        self, ap_encoder: str | None, user_encoders: Sequence[str] | None
    ) -> tuple[str, list[str]]:
        bank = cached_bank(self.latents)
        ap, users = default_encoders(self.latents, self.config.n_users, self.user_group, ap_encoder)
        if user_encoders is not None:
            if isinstance(user_encoders, str) or len(user_encoders) != self.config.n_users:
                raise ValueError(
                    f"user_encoders must name one encoder per user ({self.config.n_users}), "
                    f"got {user_encoders!r}"
                )
            users = list(user_encoders)
        for field, names in (("ap_encoder", [ap]), ("user_encoders", users)):
            for name in names:
                if name not in bank.encoders:
                    raise ValueError(
                        f"unknown encoder {name!r} in {field}; bank {self.latents!r} has "
                        f"{', '.join(bank.encoders)}"
                    )
        return ap, users

    def _pooled_semantics(self) -> tuple[Tensor, Tensor]:
        """(w̄ (M,), Q̃ (d_x, M)): the top right singular vectors of the stacked
        [P_l / √(L·tr R_y,l)]_l and their squared singular values, from the eigenvectors of its
        Gram matrix (1/L) Σ_l P_lᴴ P_l / tr(R_y,l) (d_x × d_x), descending."""
        gram = sum(
            p.stats.cross_covariance.mH @ p.stats.cross_covariance / p.stats.target_energy
            for p in self.pairs
        ) / len(self.pairs)
        values, vectors = torch.linalg.eigh(gram)
        m = self.n_modes
        return values.flip(-1)[:m].clamp_min(0.0), vectors.flip(-1)[:, :m]

    def _validated_action(self, actions: dict[str, np.ndarray]) -> Tensor:
        """The AP's action as float64 (action size,), or ``ValueError`` naming the problem."""
        if not isinstance(actions, dict) or AGENT not in actions:
            raise ValueError(f"missing action for agent {AGENT!r}")
        a = np.asarray(actions[AGENT], dtype=np.float64)
        if a.shape != (self._action_size,):
            raise ValueError(
                f"action of {AGENT!r} must have shape ({self._action_size},), got {a.shape}"
            )
        if not np.all(np.isfinite(a)):
            raise ValueError(f"action of {AGENT!r} contains NaN or inf")
        return torch.as_tensor(a)

    def _precoder_from_action(self, raw: Tensor) -> Tensor:
        """F (M, d_x) on the power ball from a ``precoder`` action (class docstring)."""
        size = self.n_modes * self.d_x
        clipped = raw.clamp(-1.0, 1.0)
        fbar = torch.complex(clipped[:size], clipped[size:]).reshape(self.n_modes, self.d_x)
        outside = float(fbar.abs().square().sum()) > 1.0 + ROUNDING
        self._projected = outside or bool((clipped != raw).any())
        return core.project_to_power_ball(fbar * self.budget**0.5, self.budget)

    def _evaluate(self) -> None:
        """Every user's closed-form MSE with its Wiener receiver for the current F."""
        f = self.precoder
        mse = [core.alignment_mse(f, self.effective[i], p.stats) for i, p in enumerate(self.pairs)]
        self._mse = torch.stack(mse)
        energy = torch.stack([p.stats.target_energy for p in self.pairs])
        self._nmse = core.normalized_mse(self._mse, energy)
        self._power = float(f.abs().square().sum())
        self._accuracy = self._simulate_accuracy() if self.info_accuracy else None

    def _simulate_accuracy(self) -> np.ndarray:
        """Each user's test accuracy: x → F → H_l → + n_l → Wiener G_l → de-whiten → head."""
        f = self.precoder
        sent = (self.test_symbols @ f.mT).expand(len(self.pairs), 1, -1, -1)  # (L, 1, n, M)
        received = core.transmit(  # users as a batch of one-link networks
            sent,
            self.dense[:, None, None],
            self.noise_power,
            generator=torch.Generator().manual_seed(self.channel_seed + self.cycles),
        )[:, 0]  # (L, n, A)
        bank = cached_bank(self.latents)
        accuracy = []
        for i, (pair, user) in enumerate(zip(self.pairs, self.user_encoders, strict=True)):
            g = core.wiener_equalizer(
                pair.stats.cross_covariance, f, self.dense[i], self.noise_covariance[i]
            )
            estimate = received[i] @ g.mT
            accuracy.append(bank.accuracy(user, pair.rx_latents(estimate), bank.test_labels))
        return np.array(accuracy)

    def _observation(self) -> np.ndarray:
        def log_gain(gains: Tensor) -> Tensor:
            floored = (gains * self.budget).clamp_min(10.0**LOG_GAIN_FLOOR)
            return torch.log10(floored)

        energy = (self.precoder @ self.directions).abs().square().sum(-2) / self.budget
        total = self._weights.sum().clamp_min(1e-300)
        tail = torch.tensor([float(self._nmse.mean()), self._power / self.budget], dtype=_REAL)
        obs = torch.cat(
            [
                log_gain(self._mean_gains),
                self._weights / total,
                energy,
                log_gain(self._user_gains).reshape(-1),
                self._nmse,
                tail,
            ]
        )
        return obs.clamp(LOG_GAIN_FLOOR, LOG_GAIN_CEIL).numpy().astype(np.float32)

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "nmse": float(self._nmse.mean()),
            "mse": float(self._mse.mean()),
            "user_nmse": self._nmse.numpy().copy(),
            "user_mse": self._mse.numpy().copy(),
            "power": self._power,
            "projected": self._projected,
        }
        if self._accuracy is not None:
            native = cached_bank(self.latents).native_accuracy
            info["accuracy"] = float(self._accuracy.mean())
            info["user_accuracy"] = self._accuracy.copy()
            info["native_accuracy"] = float(np.mean([native[u] for u in self.user_encoders]))
        return info


class BroadcastGymEnv(gymnasium.Env):
    """``semgym/Broadcast-v0``: the access point of :class:`BroadcastEnv` as a Gymnasium env.

    Takes :class:`BroadcastEnv`'s keyword arguments; action, observation, reward and info are
    the ``access_point``'s. Episode: truncated after ``max_cycles`` steps.
    """

    metadata = {"render_modes": []}

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
        observations, infos = self.multi.reset(seed=_episode_seed(self, seed), options=options)
        return observations[AGENT], infos[AGENT]

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        observations, rewards, _, truncations, infos = self.multi.step({AGENT: action})
        return observations[AGENT], rewards[AGENT], False, truncations[AGENT], infos[AGENT]

    def close(self) -> None:
        self.multi.close()


def raw_env(**kwargs: Any) -> BroadcastEnv:
    """The parallel environment without wrappers (PettingZoo's ``raw_env`` convention)."""
    return BroadcastEnv(**kwargs)


def parallel_env(**kwargs: Any) -> BroadcastEnv:
    """:class:`BroadcastEnv` (PettingZoo ``ParallelEnv``)."""
    return BroadcastEnv(**kwargs)


def env(**kwargs: Any):
    """The AEC version (``parallel_to_aec``) with PettingZoo's order-enforcing wrapper."""
    aec = parallel_to_aec(BroadcastEnv(**kwargs))
    return wrappers.OrderEnforcingWrapper(aec)
