"""B interference episodes in lockstep on one device: the one implementation of the env dynamics.

:class:`InterferenceBatch` holds B channel realizations of the interference scenario and
every link's precoder, applies actions, and computes observations, rewards and infos as
(B, L, …) tensors. The PettingZoo env (``semgym.interference_v0``) runs it with B = 1 in
float64 on the CPU; ``semgym.vector.InterferenceVecEnv`` runs it with B = ``num_envs`` on any
device, in float32 by default. Both therefore produce the same numbers for the same seeds.

Host–device traffic. :meth:`InterferenceBatch.step` and the accessors that follow it stay on
the device: no ``.item()``, no host branching on tensor values, no copies (action checks on
CUDA are device-side asserts). :meth:`InterferenceBatch.reset` draws channels on the CPU (so
CPU and CUDA see the same channels for the same seeds) and copies them over, once per episode.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from semgym import core
from semgym.channels import InterferenceChannelConfig, sample_interference_channels
from semgym.envs._scenario import make_primaries
from semgym.solvers import GameOperator, GameState, InterferenceGame, PrimaryUsers

#: Observed log10 values are clamped to [LOG_FLOOR, LOG_CEIL] (λ·K·P_max below 1e-30 is no
#: gain at all); every observation entry lies in this range.
LOG_FLOOR = -30.0
LOG_CEIL = 30.0
ACTION_MODES = ("power", "normalized", "precoder")


def _cat_primaries(parts: Sequence[PrimaryUsers]) -> PrimaryUsers:
    """Concatenate batches of primary users along B."""
    fields = ("to_primary", "to_secondary", "direct", "tx_covariance")
    cat = {f: torch.cat([getattr(p, f) for p in parts]) for f in fields}
    caps = torch.cat([p.interference_cap_w.expand(p.to_primary.shape[0], -1) for p in parts])
    noise = torch.cat([p.noise_power.reshape(-1).expand(p.to_primary.shape[0]) for p in parts])
    return PrimaryUsers(**cat, interference_cap_w=caps, noise_power=noise)


def _primaries_to(primary: PrimaryUsers, device: torch.device, dtype: torch.dtype) -> PrimaryUsers:
    real = torch.float32 if dtype == torch.complex64 else torch.float64
    return PrimaryUsers(
        primary.to_primary.to(device, dtype),
        primary.to_secondary.to(device, dtype),
        primary.direct.to(device, dtype),
        primary.tx_covariance.to(device, dtype),
        primary.interference_cap_w.to(device, real),
        primary.noise_power.to(device, real),
    )


class InterferenceBatch:
    """The interference scenario for B episodes at once (see the module docstring).

    Arguments:
        config: the channel scenario (L links, antennas, α, noise, P_max).
        channel_uses: K; every link has M = K·N_T modes and budget K·P_max (W).
        pairs: one prepared :class:`~semgym.core.SemanticPair` per link (statistics only).
        action_mode: ``"power"``, ``"normalized"`` or ``"precoder"`` (see the env manual).
        n_primaries, interference_cap: primary users (see :func:`make_primaries`).
        batch_size: B. device: where every tensor lives. dtype: complex64 or complex128.
        structure: ``"block"`` (K eigenproblems of N_T × N_T per link, the default for power
            actions) or ``"dense"`` (one of K·N_T × K·N_T: the straightforward path, required
            by precoder actions); both give the same numbers up to round-off.

    After :meth:`reset` the current values are attributes: ``mse``, ``nmse``, ``mui``,
    ``exploitability`` (B, L) real; ``projected`` (B, L) bool; ``cycles`` (B,) int64.
    """

    def __init__(
        self,
        *,
        config: InterferenceChannelConfig,
        channel_uses: int,
        pairs: Sequence[core.SemanticPair],
        action_mode: str = "power",
        n_primaries: int = 0,
        interference_cap: float = 0.1,
        batch_size: int = 1,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.complex128,
        structure: str | None = None,
    ) -> None:
        if dtype not in (torch.complex64, torch.complex128):
            raise ValueError(f"dtype must be torch.complex64 or torch.complex128, got {dtype!r}")
        if action_mode not in ACTION_MODES:
            raise ValueError(f"unknown action_mode {action_mode!r}; choose one of {ACTION_MODES}")
        self.config = config
        self.channel_uses = int(channel_uses)
        self.action_mode = action_mode
        self.n_primaries = int(n_primaries)
        self.interference_cap = float(interference_cap)
        self.batch_size = int(batch_size)
        self.device = torch.device(device)
        self.dtype = dtype
        self.real_dtype = torch.float32 if dtype == torch.complex64 else torch.float64
        self.n_links = config.n_links
        self.n_modes = m = self.channel_uses * config.n_tx_antennas
        self.budget = self.channel_uses * config.tx_power_w
        if structure is None:
            structure = "dense" if action_mode == "precoder" else "block"
        if structure not in ("block", "dense") or (
            action_mode == "precoder" and structure != "dense"
        ):
            raise ValueError(
                f"structure must be 'block' or 'dense' ('dense' for precoders), got {structure!r}"
            )
        self.structure = structure
        self.observation_size = 3 * m + 3 + (m if self.n_primaries else 0)
        self.action_size = 2 * m * m if action_mode == "precoder" else m
        real = self.real_dtype
        self.weights = torch.stack([p.stats.semantic_weights(m).to(real) for p in pairs]).to(
            self.device
        )
        self.target_energy = torch.stack([p.stats.target_energy.to(real) for p in pairs]).to(
            self.device
        )
        # observation parts that never change: the normalized semantic weights
        self._weight_share = (
            self.weights / self.weights.sum(-1, keepdim=True).clamp_min(torch.finfo(real).tiny)
        ).expand(self.batch_size, -1, -1)
        self._inr_scale = 1.0 / (self.channel_uses * config.n_rx_antennas)
        self.game: InterferenceGame | None = None
        self.channel_seeds: list[int] = [0] * self.batch_size

    # --- episodes ------------------------------------------------------------------------------
    def reset(self, seeds: Sequence[int], mask: Tensor | None = None) -> None:
        """Start new episodes: env b draws channel seed ``seeds[b]`` where ``mask[b]`` (all when
        ``mask`` is None). Channels, primaries and Algorithm 1's random start F⁽⁰⁾ are seeded
        by that seed alone, so env b equals a single env reset with ``seeds[b]``."""
        if len(seeds) != self.batch_size:
            raise ValueError(f"seeds must hold {self.batch_size} seeds, got {len(seeds)}")
        if mask is None or self.game is None:
            index = list(range(self.batch_size))
        else:
            index = [int(i) for i in torch.nonzero(mask.cpu()).flatten()]
        if not index:
            return
        chosen = [int(seeds[i]) for i in index]
        channels = sample_interference_channels(self.config, seed=chosen, dtype=self.dtype)
        primary = None
        if self.n_primaries:
            primary = _cat_primaries(
                [
                    make_primaries(
                        self.config,
                        self.n_primaries,
                        self.interference_cap,
                        float(channels.noise_power[i]),
                        seed=s,
                    )
                    for i, s in enumerate(chosen)
                ]
            )
            primary = _primaries_to(primary, self.device, self.dtype)
        fresh = InterferenceGame(
            channels.matrices.to(self.device),
            self.channel_uses,
            channels.noise_power.to(self.device),
            self.config.tx_power_w,
            self.weights.expand(len(index), -1, -1),
            self.target_energy.expand(len(index), -1),
            primary,
        )
        start = GameOperator(fresh, self.structure).initial_state(seed=chosen)
        if len(index) == self.batch_size:
            game, state = fresh, start
            self.cycles = torch.zeros(self.batch_size, dtype=torch.int64, device=self.device)
        else:
            where = torch.tensor(index, device=self.device)
            game = self._spliced_game(where, fresh)
            state = self._spliced_state(where, start)
            self.cycles = self.cycles.index_fill(0, where, 0)
        for i, s in zip(index, chosen, strict=True):
            self.channel_seeds[i] = s
        self.game = game
        self.operator = GameOperator(game, self.structure)
        self.state = state
        self.projected = torch.zeros(
            self.batch_size, self.n_links, dtype=torch.bool, device=self.device
        )
        self._advance()

    def _spliced_game(self, where: Tensor, fresh: InterferenceGame) -> InterferenceGame:
        old = self.game
        primary = None
        if old.primary is not None:
            p, q = old.primary, fresh.primary
            primary = PrimaryUsers(
                *(
                    getattr(p, f).index_copy(0, where, getattr(q, f))
                    for f in (
                        "to_primary",
                        "to_secondary",
                        "direct",
                        "tx_covariance",
                        "interference_cap_w",
                        "noise_power",
                    )
                )
            )
        return InterferenceGame(
            old.channels.index_copy(0, where, fresh.channels),
            self.channel_uses,
            old.noise_power.index_copy(0, where, fresh.noise_power),
            self.config.tx_power_w,
            old.weights,
            old.target_energy,
            primary,
        )

    def _spliced_state(self, where: Tensor, fresh: GameState) -> GameState:
        s = self.state
        return GameState(
            s.structure,
            s.mode_blocks.index_copy(0, where, fresh.mode_blocks),
            s.power_blocks.index_copy(0, where, fresh.power_blocks),
            s.rank.index_copy(0, where, fresh.rank),
        )

    # --- actions -------------------------------------------------------------------------------
    def check_actions(self, actions: Tensor) -> Tensor:
        """``actions`` as a (B, L, action size) tensor of the real dtype on the device.

        Shape errors raise ``ValueError``. NaN/inf: ``ValueError`` naming env and link on the
        CPU; a device-side assert on accelerators (no host synchronization in the step).
        """
        actions = torch.as_tensor(actions)
        expected = (self.batch_size, self.n_links, self.action_size)
        if tuple(actions.shape) != expected:
            raise ValueError(f"actions must have shape {expected}, got {tuple(actions.shape)}")
        actions = actions.to(device=self.device, dtype=self.real_dtype)
        finite = torch.isfinite(actions).all(-1)
        if core.check_on_host(finite):
            if not bool(finite.all()):
                env, link = (int(i) for i in torch.nonzero(~finite)[0])
                raise ValueError(f"action of env {env}, link {link} contains NaN or inf")
        else:
            torch._assert_async(finite.all(), "actions contain NaN or inf")
        return actions

    def step(self, actions: Tensor) -> None:
        """Apply checked actions (B, L, action size) and evaluate the new precoders."""
        if self.action_mode == "precoder":
            self.state = self._precoder_state(actions)
        else:
            powers = self._powers_from_actions(actions)
            observed = self.response.state  # modes of the effective channels as last observed
            blocks = powers.gather(-1, observed.rank.flatten(-2)).view(observed.power_blocks.shape)
            self.state = GameState(observed.structure, observed.mode_blocks, blocks, observed.rank)
        self._advance()
        self.cycles = self.cycles + 1

    def _powers_from_actions(self, raw: Tensor) -> Tensor:
        """(B, L, M) powers in W by semantic index, projected onto {p ≥ 0, Σp ≤ K·P_max}."""
        if self.action_mode == "normalized":
            share = (raw.clamp(-1.0, 1.0) + 1.0) / 2.0
            raw = self.budget * share / share.sum(-1, keepdim=True).clamp_min(1.0)
        projected = core.project_to_budget(raw, self.budget)
        self.projected = (projected - raw).abs().amax(-1) > 1e-9 * self.budget
        return projected

    def _precoder_state(self, raw: Tensor) -> GameState:
        """Dense states F̄ (B, L, 1, M, M) on the power ball from actions in [-1, 1]^(2M²)."""
        m = self.n_modes
        clipped = raw.clamp(-1.0, 1.0)
        fbar = torch.complex(clipped[..., : m * m], clipped[..., m * m :]).reshape(
            self.batch_size, self.n_links, m, m
        )
        norm = core.squared_magnitude(fbar).sum((-2, -1)).sqrt()
        self.projected = (norm > 1.0) | (clipped != raw).any(-1)
        fbar = fbar * (self.budget**0.5 / norm.clamp_min(1.0))[..., None, None]
        return GameState(
            "dense",
            fbar.unsqueeze(2),
            torch.ones(
                self.batch_size, self.n_links, 1, m, dtype=self.real_dtype, device=fbar.device
            ),
            torch.arange(m, device=fbar.device).expand(self.batch_size, self.n_links, 1, m),
        )

    def best_response_actions(self) -> Tensor:
        """Every link's best response (15) to the current precoders, encoded as actions
        (B, L, action size) in this batch's action mode."""
        p = self.response.powers.clamp_min(0.0)
        if self.action_mode == "power":
            return p
        if self.action_mode == "normalized":
            return 2.0 * p / self.budget - 1.0
        fbar = core.mode_factor(self.response.state.modes, p / self.budget)
        return torch.cat([fbar.real.flatten(-2), fbar.imag.flatten(-2)], -1)

    # --- evaluation ----------------------------------------------------------------------------
    def _advance(self) -> None:
        """Effective channels, MSE, MUI and best responses of the current state."""
        op, game = self.operator, self.game
        self.effective, self.mse, self.mui = op.observe(self.state)
        self.response = op.respond(self.effective)
        best = game.target_energy - core.semantic_utility(
            game.weights, self.response.gains, self.response.powers
        )
        self.exploitability = (self.mse - best).clamp_min(0.0)
        self.nmse = self.mse / game.target_energy

    def direction_powers(self) -> Tensor:
        """Power on each semantic direction, (B, L, M) W: column energies of F̄ = V diag(√p).
        Outside the precoder mode V is unitary (eigenvectors, or Algorithm 1's Haar start), so
        these are the powers p themselves."""
        state = self.state
        if self.action_mode != "precoder":
            return state.powers
        energy = (core.squared_magnitude(state.mode_blocks) * state.power_blocks.unsqueeze(-2)).sum(
            -2
        )
        flat = energy.flatten(-2)
        return torch.empty_like(flat).scatter_(-1, state.rank.flatten(-2), flat)

    def observations(self) -> Tensor:
        """Every link's observation, (B, L, observation size) float32 (layout: env manual)."""
        budget = self.budget
        floor = 10.0**LOG_FLOOR
        gains = self.response.gains
        powers = self.direction_powers()
        inr = self.mui * self._inr_scale / self.game.noise_power[:, None]
        parts = [
            torch.log10((gains * budget).clamp_min(floor)),
            self._weight_share,
            powers / budget,
            torch.log10(1.0 + inr).unsqueeze(-1),
            self.nmse.unsqueeze(-1),
            (powers.sum(-1) / budget).unsqueeze(-1),
        ]
        if self.response.costs is not None:
            parts.append(torch.log10((self.response.costs * budget).clamp_min(floor)))
        return torch.cat(parts, -1).clamp(LOG_FLOOR, LOG_CEIL).to(torch.float32)

    def rewards(self, kind: str) -> Tensor:
        """Per-link rewards (B, L): ``"nmse"`` → −NMSE, ``"mse"`` → −MSE."""
        if kind == "mse":
            return -self.mse
        if kind == "nmse":
            return -self.nmse
        raise ValueError(f"reward {kind!r} is not computed by the batch; use 'nmse' or 'mse'")
