"""B episodes in lockstep on one device: the one implementation of each env's dynamics.

:class:`InterferenceBatch` holds B interference games and every link's precoder;
:class:`BroadcastBatch` holds B downlinks and the access point's precoder. Both apply actions
and compute observations, rewards and infos as batched tensors. The PettingZoo envs
(``semgym.interference_v0``, ``semgym.broadcast_v0``) run them with B = 1 in float64 on the
CPU; the vector envs (``semgym.vector``) with B = ``num_envs`` on any device, in float32 by
default. Both therefore produce the same numbers for the same seeds.

Host–device traffic. ``step`` and the accessors that follow it stay on the device: no
``.item()``, no host branching on tensor values, no copies (action checks on CUDA are
device-side asserts). ``reset`` draws channels on the CPU (so CPU and CUDA see the same
channels for the same seeds) and copies them over, once per episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from semgym import core
from semgym._validation import check_positive_int, real_tensor
from semgym.channels.dynamics import (
    ESTIMATION_STREAM,
    FADING_STREAM,
    HOLD_STREAM,
    SAMPLING_STREAM,
    FadingParts,
    counter_complex_normal,
    counter_uniform,
    gauss_markov_posterior,
    gauss_markov_step,
)
from semgym.envs.codec import (
    ROUNDING,
    decode_powers,
    decode_precoder,
    encode_powers,
    encode_precoder,
    precoder_action_size,
)
from semgym.scenarios.downlink import Downlink, DownlinkEvaluation, DownlinkScenario, PooledModes
from semgym.scenarios.interference import (
    STRUCTURES,
    GameOperator,
    GameState,
    InterferenceGame,
    InterferenceScenario,
)

#: Action modes of the interference env and of the broadcast env.
INTERFERENCE_ACTION_MODES = ("normalized", "power", "precoder")  # the first is the default
BROADCAST_ACTION_MODES = ("precoder", "power")  # the first is the default


def team_scope(per_link: Tensor, scope: str) -> Tensor:
    """Per-link rewards (..., L) for ``scope``: as they are (``"link"``), or every link the
    network's mean (``"team"``); network rewards (B,) are left as they are."""
    if scope == "link" or per_link.dim() < 2:
        return per_link
    return per_link.mean(-1, keepdim=True).expand_as(per_link)


class _Batch:
    """What both batches share: sizes, dtypes, episode counters, the action check and rewards.

    Built from a validated :class:`~semgym.envs.config.EnvConfig` (its ``batch``). Subclasses
    name their ``ACTION_MODES``, ``SCENARIO`` class and ``INFOS`` and implement
    :meth:`_action_size` and :meth:`_scores`.
    """

    ACTION_MODES: tuple[str, ...]
    SCENARIO: type
    INFOS: dict[str, str]

    def __init__(
        self, config: Any, *, batch_size: int = 1, device: torch.device | str = "cpu"
    ) -> None:
        self.config = config
        self.scenario = config.scenario
        self.action_mode = config.action_mode
        self.layout = config.observation_layout
        self.batch_size = int(batch_size)
        self.device = torch.device(device)
        self.dtype = config.complex_dtype
        self.real_dtype = torch.float32 if self.dtype == torch.complex64 else torch.float64
        self.action_size = self._action_size()
        self.channel_seeds: list[int] = [0] * self.batch_size
        self.cycles = torch.zeros(self.batch_size, dtype=torch.int64, device=self.device)
        self._started = False

    def _action_size(self) -> int:
        raise NotImplementedError

    def _reset_index(
        self, seeds: Sequence[int], mask: Tensor | None
    ) -> tuple[list[int], list[int]]:
        """(env indices to reset, their seeds); records the seeds and zeroes their counters."""
        if len(seeds) != self.batch_size:
            raise ValueError(f"seeds must hold {self.batch_size} seeds, got {len(seeds)}")
        if mask is None or not self._started:
            index = list(range(self.batch_size))
        else:
            index = [int(i) for i in torch.nonzero(torch.as_tensor(mask).cpu()).flatten()]
        chosen = [int(seeds[i]) for i in index]
        for i, s in zip(index, chosen, strict=True):
            self.channel_seeds[i] = s
        if index:
            where = torch.tensor(index, device=self.device)
            self.cycles = self.cycles.index_fill(0, where, 0)
        return index, chosen

    def _where(self, index: list[int]) -> Tensor | None:
        """The index tensor of a partial reset, None for a full one."""
        if len(index) == self.batch_size:
            return None
        return torch.tensor(index, device=self.device)

    def _scores(self) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def infos(self) -> dict[str, Tensor]:
        """The env's infos as device tensors (``INFOS`` of the evaluation, and ``projected``)."""
        infos = {key: getattr(self.evaluation, name) for key, name in self.INFOS.items()}
        infos["projected"] = self.projected
        return infos

    def rewards(self, kind: str) -> Tensor:
        """Rewards: ``"nmse"`` → −NMSE, ``"mse"`` → −MSE (per link (B, L) in the interference
        batch, the network's (B,) in the broadcast batch); with the configuration's
        ``reward_scope="team"`` every link receives the mean over links."""
        mse, nmse = self._scores()
        return team_scope(-mse if kind == "mse" else -nmse, self.config.reward_scope)

    def check_actions(self, actions: Tensor, shape: tuple[int, ...]) -> Tensor:
        """``actions`` as a ``shape`` tensor of the real dtype on the device.

        Shape errors raise ``ValueError``. NaN/inf: ``ValueError`` naming the env (and link) on
        the CPU; a device-side assert on accelerators (no host synchronization in the step).
        """
        actions = real_tensor("actions", actions)
        if tuple(actions.shape) != shape:
            raise ValueError(f"actions must have shape {shape}, got {tuple(actions.shape)}")
        actions = actions.to(device=self.device, dtype=self.real_dtype)
        finite = torch.isfinite(actions).all(-1)
        if core.check_on_host(finite):
            if not bool(finite.all()):
                where = tuple(int(i) for i in torch.nonzero(~finite)[0])
                name = "env {}, link {}".format(*where) if len(where) == 2 else f"env {where[0]}"
                raise ValueError(f"action of {name} contains NaN or inf")
        else:
            torch._assert_async(finite.all(), "actions contain NaN or inf")
        return actions


class InterferenceBatch(_Batch):
    """The interference scenario for B episodes at once (see the module docstring).

    Arguments:
        config: the env's :class:`~semgym.envs.interference.InterferenceEnvConfig`: its
            :class:`~semgym.scenarios.InterferenceScenario` (L links, every link with M = K·N_T
            modes and budget K·P_max W), action mode (``"power"``, ``"normalized"`` or
            ``"precoder"``, see the env manual), dtype and observation layout.
        batch_size: B. device: where every tensor lives.
        structure: ``"block"`` (K eigenproblems of N_T × N_T per link, the default for power
            actions) or ``"dense"`` (one of K·N_T × K·N_T: the straightforward path, required
            by precoder actions); both give the same numbers up to round-off.

    After :meth:`reset`: ``game``, ``operator``, ``state`` and ``evaluation`` (the one
    :class:`~semgym.scenarios.Evaluation` of the state, read by every accessor); ``projected``
    (B, L) bool; ``cycles`` (B,) int64.
    """

    ACTION_MODES = INTERFERENCE_ACTION_MODES
    SCENARIO = InterferenceScenario
    #: Infos (B, L) per link, and ``network_nmse`` (B,): info key → evaluation attribute.
    INFOS = {
        "mse": "mse",
        "nmse": "nmse",
        "mui_power": "mui_power",
        "exploitability": "link_exploitability",
        "network_nmse": "network_nmse",
    }
    #: The infos that are (B, L), one entry per link.
    LINK_INFOS = ("mse", "nmse", "mui_power", "exploitability", "projected")

    def __init__(self, config: Any, *, structure: str | None = None, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        scenario: InterferenceScenario = self.scenario
        self.n_links = scenario.n_links
        self.n_modes = scenario.n_modes
        self.budget = scenario.budget
        if structure is None:
            structure = "dense" if self.action_mode == "precoder" else "block"
        if structure not in STRUCTURES or (self.action_mode == "precoder" and structure != "dense"):
            raise ValueError(
                f"structure must be 'block' or 'dense' ('dense' for precoders), got {structure!r}"
            )
        self.structure = structure
        # MUI power per receive antenna and channel use over σ² (both in real-composite units
        # when widely linear: 2·N_R real dimensions with σ²/2 each)
        self._complex = scenario.processing == "linear"
        rows = scenario.channel.n_rx_antennas * (1 if self._complex else 2)
        #: 1/(K·N_R): the MUI power per receive dimension and channel use, per watt received
        self.inr_scale = 1.0 / (scenario.channel_uses * rows)
        self.observe_prices = bool(getattr(config, "observe_prices", False))
        self.observe_previous = bool(getattr(config, "observe_previous", False))
        #: the probability that a link keeps its precoder at a step (asynchronous updates)
        self.hold_probability = float(getattr(config, "hold_probability", 0.0))
        channel = scenario.channel
        #: whether the channel varies over an episode (one block per step)
        self.dynamic = channel.dynamic
        self._rho = channel.fading_correlation
        self._delay = channel.csi_delay
        self._pilot_snr = (
            None if channel.pilot_snr_db is None else 10 ** (channel.pilot_snr_db / 10)
        )
        self.game: InterferenceGame | None = None

    def _action_size(self) -> int:
        m = self.scenario.n_modes
        if self.action_mode != "precoder":
            return m
        return precoder_action_size(m, m, self.scenario.processing == "linear")

    # --- episodes ------------------------------------------------------------------------------
    def reset(self, seeds: Sequence[int], mask: Tensor | None = None) -> None:
        """Start new episodes: env b draws channel seed ``seeds[b]`` where ``mask[b]`` (all when
        ``mask`` is None). Channels, primaries and Algorithm 1's random start F⁽⁰⁾ are seeded
        by that seed alone, so env b equals a single env reset with ``seeds[b]``."""
        index, chosen = self._reset_index(seeds, mask)
        if not index:
            return
        fresh = self.scenario.sample(chosen, device=self.device, dtype=self.dtype)
        start = GameOperator(fresh, self.structure).initial_state(seed=chosen)
        where = self._where(index)
        if where is None:
            game, state = fresh, start
        else:
            # the true channels (``game`` is what the links observe of a time-varying channel)
            game = self.true_game.index_copy(where, fresh)
            state = self.state.index_copy(where, start)
        self.game = self.true_game = game
        self.operator = self.true_operator = GameOperator(game, self.structure)
        weights, tiny = game.weights.to(self.real_dtype), torch.finfo(self.real_dtype).tiny
        #: the normalized semantic weights σ̃²/Σσ̃², (B, L, M): the part of the observation
        #: that never changes in an episode
        self.weight_share = weights / weights.sum(-1, keepdim=True).clamp_min(tiny)
        #: tr(R_y)/Σσ̃² per link, (B, L, 1): NMSE per W → weight shares per W
        self.price_scale = (game.target_energy / weights.sum(-1).clamp_min(tiny)).unsqueeze(-1)
        #: every link's (transmitter, receiver) position in a random topology, (B, 2, L, 2)
        #: metres on the device (None on the line: it never moves)
        self.positions = None
        if self.scenario.channel.topology == "random":
            self.positions = game.positions.to(self.device, self.real_dtype)
        self.state = state
        self.projected = torch.zeros(
            self.batch_size, self.n_links, dtype=torch.bool, device=self.device
        )
        #: the seeds of the per-env counter-based draws, (B,) int64
        self.keys = torch.tensor(self.channel_seeds, dtype=torch.int64, device=self.device)
        if self.dynamic:
            self._start_blocks(where, fresh)
        self.evaluation = self.operator.evaluate(state)
        #: how the state fares on the block it was played on (:meth:`step`); at a reset, as
        #: evaluated
        self.played: Any = self.evaluation
        if self.observe_previous:  # no earlier observation: the first one stands for it
            gains, mui = self.evaluation.response.gains, self.evaluation.mui_power
            if where is not None:
                gains = self.previous_gains.index_copy(0, where, gains[where])
                mui = self.previous_mui_power.index_copy(0, where, mui[where])
            #: the gains λ (B, L, M) and MUI power (B, L) W of the observation one step
            #: earlier (with ``observe_previous``)
            self.previous_gains, self.previous_mui_power = gains, mui
        if self.observe_prices:
            # no earlier announcement: the first observation prices the starting state
            fresh_prices = self._sensitivity()
            self.announced = (
                fresh_prices
                if where is None
                else self.announced.index_copy(0, where, fresh_prices[where])
            )
        self._started = True

    # --- actions -------------------------------------------------------------------------------
    def check_actions(self, actions: Tensor) -> Tensor:  # type: ignore[override]
        """``actions`` as a (B, L, action size) tensor (see :meth:`_Batch.check_actions`)."""
        return super().check_actions(actions, (self.batch_size, self.n_links, self.action_size))

    def step(self, actions: Tensor) -> None:
        """Apply checked actions (B, L, action size) and evaluate the new precoders (with
        ``observe_prices``, the receivers first announce their sensitivities to the
        interference of the state they leave)."""
        if self.observe_prices:
            self.announced = self._sensitivity()
        if self.observe_previous:
            self.previous_gains = self.evaluation.response.gains
            self.previous_mui_power = self.evaluation.mui_power
        previous = self.state
        if self.action_mode == "precoder":
            fbar, self.projected = decode_precoder(
                actions, self.n_modes, self.budget, complex_=self._complex
            )
            m = self.n_modes
            ones = torch.ones(self.batch_size, self.n_links, 1, m, dtype=self.real_dtype)
            rank = torch.arange(m, device=self.device).expand(self.batch_size, self.n_links, 1, m)
            self.state = GameState("dense", fbar.unsqueeze(2), ones.to(self.device), rank)
        else:
            powers, self.projected = decode_powers(actions, self.action_mode, self.budget)
            response = self.evaluation.response  # the modes of the channels as last observed
            if self.scenario.enforce_caps and response.costs is not None:
                powers, load = core.scale_to_caps(powers, response.costs)
                self.projected = self.projected | (load > 1.0 + ROUNDING)
            self.state = response.state.with_powers(powers)
        if self.hold_probability > 0.0:
            self._hold(previous)
        self.cycles = self.cycles + 1
        if self.dynamic:
            self._play_block()
        else:
            self.evaluation = self.played = self.operator.evaluate(self.state)

    def _hold(self, previous: GameState) -> None:
        """Asynchronous updates: each link keeps its ``previous`` precoder with probability
        ``hold_probability`` (a draw per env seed, step and link), its action then unused (a
        kept precoder is a constant of the step: no autograd graph reaches back through it)."""
        draws = counter_uniform(self.keys, self.cycles, HOLD_STREAM, self.n_links)
        held = draws.to(self.device) < self.hold_probability  # (B, L)
        kept = GameState(
            previous.structure,
            previous.mode_blocks.detach(),
            previous.power_blocks.detach(),
            previous.rank,
        )
        self.state = kept.where(held, self.state)
        self.projected = self.projected & ~held

    # --- time-varying channels -----------------------------------------------------------------
    def _in_game_form(self, channels: Tensor) -> Tensor:
        """Complex channels H̄ in the games' form (real composite when widely linear)."""
        return channels if self._complex else core.real_composite(channels)

    def _start_blocks(self, where: Tensor | None, fresh: InterferenceGame) -> None:
        """At a reset: the started episodes' scattered history is their first block's, the
        links observe block 0 (an estimate of it with pilots)."""
        first = fresh.fading.scattered
        if where is None:
            #: S of blocks t − d … t (t: the block the next action plays on), (d + 1, B, L, L,
            #: N_R, N_T); before the first block, the first
            self.history = first.unsqueeze(0).repeat(self._delay + 1, 1, 1, 1, 1, 1)
        else:
            self.history = self.history.index_copy(
                1, where, first.unsqueeze(0).expand(self._delay + 1, *first.shape)
            )
        self._observe()

    def _observe(self) -> None:
        """The game the links observe: block max(0, t − d) as estimated (``game``,
        ``operator``); the true block t the next action plays on is ``true_game``."""
        if self._delay == 0 and self._pilot_snr is None:
            self.game, self.operator = self.true_game, self.true_operator
            return
        self.game = self.true_game.with_channels(self._in_game_form(self._observed_channels()))
        self.operator = GameOperator(self.game, self.structure)

    def _observed_block(self) -> Tensor:
        """max(0, t − d): the block the links observe, (B,) int64."""
        return (self.cycles - self._delay).clamp_min(0)

    def _observed_channels(self, parts: FadingParts | None = None) -> Tensor:
        """Ĥ: the complex channels of block max(0, t − d) as the links know them (with pilots,
        plus the estimation error CN(0, g_ll/SNR_pilot) of receiver l's estimates),
        (B, L, L, N_R, N_T); ``parts``: the fading parts at that block when already at hand."""
        scattered = self.history[0]
        block = self._observed_block()
        if parts is None:
            parts = self.true_game.fading.at(block)
        channels = parts.channels(scattered)
        if self._pilot_snr is not None:
            error = counter_complex_normal(self.keys, block, ESTIMATION_STREAM, scattered.shape[1:])
            spread = torch.sqrt(parts.direct_gain / self._pilot_snr)
            channels = channels + error.to(channels.dtype) * spread[:, None, :, None, None]
        return channels

    def channel_posterior(self) -> tuple[InterferenceGame, Tensor]:
        """What the links know of the block the next action plays on, given what they observe
        and the fading statistics: the games over the conditional means E[H_t | Ĥ] and the
        variance ε (B, L, L) of every entry's error (tx-major).

        The links observe block o = t − Δ, Δ = min(t, d), with pilots through an estimation
        error of variance g_ll/SNR_pilot per entry at receiver l, and know the fading
        statistics (and the receivers' motion):
        :func:`~semgym.channels.dynamics.gauss_markov_posterior` gives the Gaussian
        conditional. On a static channel: the game itself, ε = 0.
        """
        if not self.dynamic:
            size = (self.batch_size, self.n_links, self.n_links)
            return self.game, torch.zeros(size, dtype=self.real_dtype, device=self.device)
        channels, variance = self._posterior_channels()
        return self.true_game.with_channels(self._in_game_form(channels)), variance

    def _posterior_channels(self) -> tuple[Tensor, Tensor]:
        """E[H_t | Ĥ] as complex channels (B, L, L, N_R, N_T) and ε (B, L, L) of a
        time-varying channel (:meth:`channel_posterior`)."""
        fading = self.true_game.fading
        now = fading.at(self.cycles)
        seen = fading.at(self._observed_block())
        lag = torch.clamp(self.cycles, max=self._delay).to(self.real_dtype)
        rho = torch.as_tensor(self._rho, dtype=self.real_dtype, device=self.device) ** lag
        error = torch.zeros_like(seen.direct_gain)
        if self._pilot_snr is not None:
            error = seen.direct_gain / self._pilot_snr  # receiver l's, (B, L)
        return gauss_markov_posterior(self._observed_channels(seen), seen, now, rho, error)

    def _play_block(self) -> None:
        """Score the state on the block it was played on, move the channel one block on
        (S_t = ρ S_{t−1} + √(1 − ρ²) W_t, W_t drawn by env seed and block), and evaluate the
        state on what the links now observe."""
        reuse = self._delay == 1 and self._pilot_snr is None  # they observe the played block
        if reuse:
            played_game, played_operator = self.true_game, self.true_operator
            self.played = played_operator.evaluate(self.state)
        else:
            self.played = self.true_operator.score(self.state)
        scattered = self.history[-1]
        innovation = counter_complex_normal(
            self.keys, self.cycles, FADING_STREAM, scattered.shape[1:]
        ).to(scattered.dtype)
        fresh = gauss_markov_step(scattered, innovation, self._rho)
        self.history = torch.cat([self.history[1:], fresh.unsqueeze(0)])
        channels = self._in_game_form(self.true_game.fading.at(self.cycles).channels(fresh))
        self.true_game = self.true_game.with_channels(channels)
        self.true_operator = GameOperator(self.true_game, self.structure)
        if reuse:
            self.game, self.operator, self.evaluation = played_game, played_operator, self.played
            return
        self._observe()
        self.evaluation = self.operator.evaluate(self.state)

    def infos(self) -> dict[str, Tensor]:
        """The infos of :class:`_Batch`, and with primary users ``primary_interference``
        (B, P) W received by each primary, ``primary_caps_hold`` (B,) bool and
        ``primary_rate`` (B, P) bit/s/Hz, from one covariance of the state; in a random
        topology ``tx_position`` and ``rx_position`` (B, L, 2) metres."""
        infos = super().infos()
        if self.dynamic:  # scored on the block played; exploitability on what the links observe
            for key in ("mse", "nmse", "mui_power", "network_nmse"):
                infos[key] = getattr(self.played, self.INFOS[key])
        if self.positions is not None:
            infos["tx_position"], infos["rx_position"] = self.positions.unbind(1)
            motion = self.true_game.fading.motion if self.dynamic else None
            if motion is not None:  # where the receivers are on the block played
                block = (self.cycles - 1).clamp_min(0)
                infos["rx_position"] = motion.receivers_at(block).to(self.real_dtype)
        primary = self.game.primary
        if primary is not None:
            cov = self.state.channel_use_covariances(self.scenario.channel_uses)
            infos["primary_interference"] = primary.received(cov)
            infos["primary_caps_hold"] = primary.caps_hold(cov)
            infos["primary_rate"] = primary.rate(cov)
        return infos

    def _actions_of(self, state: GameState) -> Tensor:
        """Every link's precoder of ``state`` as actions (B, L, action size) in this batch's
        action mode: its powers (applied on the observed modes, which must be ``state``'s),
        or in the precoder mode F̄ = V diag(√p) itself."""
        if self.action_mode != "precoder":
            return encode_powers(state.powers, self.action_mode, self.budget)
        return encode_precoder(core.mode_factor(state.modes, state.powers), self.budget)

    def _needs_precoder_actions(self, what: str) -> None:
        """``ValueError`` unless the actions are precoders (``what`` chooses its own modes,
        which the power modes cannot express: they apply powers on the observed modes)."""
        if self.action_mode != "precoder":
            raise ValueError(
                f"{what} chooses its own modes: it needs action_mode='precoder', not "
                f"{self.action_mode!r}"
            )

    def best_response_actions(self) -> Tensor:
        """Every link's best response (15) to the current precoders, encoded as actions
        (B, L, action size) in this batch's action mode."""
        return self._actions_of(self.evaluation.response.state)

    def genie_best_response_actions(self) -> Tensor:
        """Every link's best response (15) to the current precoders on the true channel of the
        block the next action plays on (not on what the links observe): the genie's reference of a
        time-varying channel, a policy no link could run. Precoder actions (B, L, action size),
        so that it chooses its own modes: ``ValueError`` in the power modes, which apply powers
        on the observed modes."""
        self._needs_precoder_actions("the genie best response (on the true channel)")
        return self._actions_of(self.true_operator.best_responses(self.state).state)

    def robust_best_response_actions(self) -> Tensor:
        """Every link's robust best response to the current precoders: the papers' water-filling
        on the effective channel it expects on the block the next action plays on, given what
        it observes and the fading statistics (:meth:`channel_posterior`,
        :meth:`~semgym.scenarios.GameOperator.robust_responses`), rather than on the stale
        estimate. Precoder actions (B, L, action size): it chooses its own modes (``ValueError``
        in the power modes). On a static channel, the best response."""
        self._needs_precoder_actions("the robust best response")
        game, variance = self.channel_posterior()
        response = GameOperator(game, self.structure).robust_responses(self.state, variance)
        return self._actions_of(response.state)

    def sampled_robust_response(self, draws: int = 64, iterations: int = 100) -> GameState:
        """Every link's sampled robust best response as a state: on the modes of its best
        response to what it observes, the powers that minimize its MSE averaged over
        ``draws`` draws of the block the next action plays on, given what it knows
        (:meth:`channel_posterior`), the others keeping their current precoders, kept only
        where ``draws`` further draws confirm the gain (by two standard errors; else the
        stale best response's powers) (:func:`~semgym.solvers.robust.sampled_robust_powers`).
        The draws are counter-based (env seed, block, their own stream), so a batch equals
        single envs. On a static channel, the best response (up to the search's rounding)."""
        from semgym.solvers.robust import sampled_robust_powers

        draws = check_positive_int("draws", draws)
        response = self.evaluation.response.state
        index = torch.arange(self.batch_size, device=self.device).repeat_interleave(draws)
        if not self.dynamic:
            search = check = self.game.select(index)
        else:
            mean, variance = self._posterior_channels()
            noise = counter_complex_normal(
                self.keys, self.cycles, SAMPLING_STREAM, (2, draws, *mean.shape[1:])
            ).to(mean.dtype)
            spread = variance.sqrt().to(mean.real.dtype)[:, None, :, :, None, None]
            search, check = (
                self.true_game.select(index).with_channels(
                    self._in_game_form((mean.unsqueeze(1) + noise[:, half] * spread).flatten(0, 1))
                )
                for half in range(2)
            )
        powers = sampled_robust_powers(
            search, self.state, response, draws, validation=check, iterations=iterations
        )
        return response.with_powers(powers)

    def sampled_robust_best_response_actions(
        self, draws: int = 64, iterations: int = 100
    ) -> Tensor:
        """:meth:`sampled_robust_response` as actions (B, L, action size) in this batch's
        action mode."""
        return self._actions_of(self.sampled_robust_response(draws, iterations))

    # --- what the envs read --------------------------------------------------------------------
    def direction_powers(self) -> Tensor:
        """Power on each semantic direction, (B, L, M) W: the column energies of
        F̄ = V diag(√p); outside the precoder mode V is unitary (eigenvectors, or Algorithm 1's
        Haar start), so these are the powers p themselves."""
        if self.action_mode != "precoder":
            return self.state.powers
        return self.state.direction_powers()

    def observations(self) -> Tensor:
        """Every link's observation, (B, L, D) float32 (the configuration's layout)."""
        return self.layout.build(self)

    # --- interference pricing ------------------------------------------------------------------
    def _sensitivity(self) -> Tensor:
        """What every receiver announces about the current state: ∂NMSE_l/∂R_n,l per block,
        (B, L, n_blocks, A, A) (data sent, outside any autograd graph)."""
        with torch.no_grad():
            return self.operator.sensitivity(self.state, self.evaluation.received)

    def announced_prices(self) -> Tensor:
        """The interference price of every link's modes, (B, L, M) per W, by semantic direction
        of the current best responses: Σ_{l≠j} ∂NMSE_l/∂p_{j,m} under the sensitivities
        announced one step earlier (at a reset: the starting state's), times tr(R_y,j)/Σσ̃²_j,
        so that they are in the units of the weight shares (a link maximizing
        Σ_m w̃_m λ_m p_m/(1 + λ_m p_m) − Σ_m c_m p_m, w̃ = σ̃²/Σσ̃², maximizes its captured share
        of energy less the NMSE it costs the others, in its own energy units)."""
        costs = self.operator.interference_costs(self.announced, self.evaluation.response)
        return costs * self.price_scale

    def _scores(self) -> tuple[Tensor, Tensor]:
        """The per-link (MSE, NMSE), (B, L) each, on the block the state was played on."""
        return self.played.mse, self.played.nmse


class BroadcastBatch(_Batch):
    """The downlink scenario for B episodes at once (see the module docstring).

    Arguments:
        config: the env's :class:`~semgym.envs.broadcast.BroadcastEnvConfig`: its
            :class:`~semgym.scenarios.DownlinkScenario` (L users, N_T, N_R, K, P_T, SNR,
            encoders, pilots), action mode (``"precoder"`` or ``"power"``, see the broadcast
            env manual), dtype and observation layout.
        batch_size: B. device: where every tensor lives.

    After :meth:`reset`: ``downlink`` (the :class:`~semgym.scenarios.Downlink` of the B
    realizations, handed to the solvers as it is), ``pooled`` (the ``power`` modes),
    ``precoder`` (B, M, d_x), ``evaluation`` (its :class:`~semgym.scenarios.DownlinkEvaluation`),
    ``projected`` (B,) bool, ``cycles`` (B,).
    """

    ACTION_MODES = BROADCAST_ACTION_MODES
    SCENARIO = DownlinkScenario
    #: Network infos (B,) and per-user ones (B, L): info key → evaluation attribute.
    INFOS = {
        "nmse": "network_nmse",
        "mse": "network_mse",
        "user_nmse": "nmse",
        "user_mse": "mse",
        "power": "power",
    }

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        scenario: DownlinkScenario = self.scenario
        self.n_users = scenario.config.n_users
        self.n_modes = scenario.n_modes
        self.budget = scenario.config.power
        self.downlink: Downlink | None = None

    def _action_size(self) -> int:
        self.d_x = self.scenario.users[0].pair.stats.tx_dim
        m = self.scenario.n_modes
        if self.action_mode != "precoder":
            return m
        return precoder_action_size(m, self.d_x, self.scenario.processing == "linear")

    def reset(self, seeds: Sequence[int], mask: Tensor | None = None) -> None:
        """Start new episodes: env b draws channel seed ``seeds[b]`` where ``mask[b]`` (all when
        ``mask`` is None) and starts from uniform power on its ``power`` modes."""
        index, chosen = self._reset_index(seeds, mask)
        if not index:
            return
        where = self._where(index)
        if where is None:
            downlink = self.scenario.sample(chosen, device=self.device, dtype=self.dtype)
        else:
            fresh = self.scenario.sample(chosen, device=self.device, dtype=self.dtype)
            channels = self.downlink.channels.index_copy(0, where, fresh.channels)
            downlink = Downlink.build(
                self.downlink.pairs, channels, self.downlink.config, self.downlink.n_pilots
            )
        self.downlink = downlink
        self.pooled = PooledModes.of(downlink)
        uniform = torch.full(
            (self.batch_size, self.n_modes),
            self.budget / self.n_modes,
            dtype=self.real_dtype,
            device=self.device,
        )
        start = self.pooled.precoder(uniform)
        if where is None:
            self.precoder = start
            self.projected = torch.zeros(self.batch_size, dtype=torch.bool, device=self.device)
        else:
            self.precoder = self.precoder.index_copy(0, where, start[where])
            self.projected = self.projected.index_fill(0, where, False)
        self.evaluation: DownlinkEvaluation = downlink.evaluate(self.precoder)
        self._started = True

    def check_actions(self, actions: Tensor) -> Tensor:  # type: ignore[override]
        """``actions`` as a (B, action size) tensor (see :meth:`_Batch.check_actions`)."""
        return super().check_actions(actions, (self.batch_size, self.action_size))

    def step(self, actions: Tensor) -> None:
        """Apply checked actions (B, action size) and score the new precoders."""
        if self.action_mode == "precoder":
            self.precoder, self.projected = decode_precoder(
                actions,
                self.n_modes,
                self.budget,
                complex_=self.scenario.processing == "linear",
            )
        else:
            powers, self.projected = decode_powers(actions, "power", self.budget)
            self.precoder = self.pooled.precoder(powers)
        self.evaluation = self.downlink.evaluate(self.precoder)
        self.cycles = self.cycles + 1

    def observations(self) -> Tensor:
        """The access point's observation, (B, D) float32 (the configuration's layout)."""
        return self.layout.build(self)

    def _scores(self) -> tuple[Tensor, Tensor]:
        """The network (MSE, NMSE), (B,) each."""
        return self.evaluation.network_mse, self.evaluation.network_nmse
