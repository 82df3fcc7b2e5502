"""The semantic interference game (interference paper §II–§III): scenario, state, evaluation.

Players are the L links; link l's strategy is its structured pre-equalizer (11)
F_l = V_l diag(√p_l) Q̃_lᴴ, i.e. modes V_l and powers p_l ≥ 0 with Σ p_l ≤ K·P_max, and its
payoff is −MSE_l, the exact closed-form MSE (8) with the Wiener receiver (7) under the MUI (5)
of the others. The game needs no latents: only the semantic weights w = σ̃² and tr(R_y).

- :class:`InterferenceScenario`: the frozen configuration (channels, K, latent links,
  primaries) that samples batches of games.
- :class:`InterferenceGame`: a batch of B sampled games (channels, noise, weights).
- :class:`GameState`: every link's pre-equalizer, stored by diagonal blocks of V.
- :class:`GameOperator`: the game's channels prepared once; :meth:`GameOperator.evaluate` is
  the one evaluation of a state that the envs, solvers, rendering and policies read.

Structure (``docs/design.md``). Channels are H = I_K ⊗ H̄; a state is stored as ``n_blocks``
diagonal blocks of every V_l: ``structure="block"`` keeps K blocks of N_T × N_T (one per channel
use, so a best response is K eigenproblems of size N_T), ``structure="dense"`` keeps one block
of K·N_T × K·N_T (one eigenproblem of size K·N_T). Each mode also records ``rank``: the index m
of the semantic direction q̃_m (weight w_m) it carries, so F_l is fully determined. Best
responses keep block-diagonal covariances block-diagonal, so both structures follow the same
trajectory from the same block-diagonal start (tests show they reach the same MSE).
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from semgym import core
from semgym._runtime import in_pieces
from semgym._validation import check_choice, check_positive, check_positive_int
from semgym.channels.interference import (
    InterferenceChannelConfig,
    InterferenceChannels,
    sample_interference_channels,
)
from semgym.scenarios._scores import NetworkScores
from semgym.scenarios.latents import PROCESSING, LatentLink, interference_links, latent_link
from semgym.scenarios.primary import PrimaryUsers

#: Ways to store the modes: K per-channel-use blocks (default) or one dense block.
STRUCTURES = ("block", "dense")


@dataclass(frozen=True, eq=False)
class InterferenceGame:
    """A batch of B interference games, validated at construction.

    Attributes:
        channels: H̄_{j,l} per channel use, (B, L, L, N_R, N_T) complex, tx j → rx l; or real
            in real-composite form (widely-linear processing: N_R, N_T count real dimensions,
            twice the antennas, and σ² is the noise power per real dimension).
        channel_uses: K (>= 1); H_{j,l} = I_K ⊗ H̄_{j,l}, M = K·N_T modes per link.
        noise_power: σ², (B,) W (> 0).
        tx_power_w: P_max per channel use, W (> 0); each link's budget is K·P_max.
        weights: semantic weights w = σ̃², (B, L, M) real, >= 0, descending per link.
        target_energy: tr(R_y) per link, (B, L) real (> 0): the MSE of sending nothing.
        primary: optional :class:`~semgym.scenarios.PrimaryUsers` (cognitive radio).
    """

    channels: Tensor
    channel_uses: int
    noise_power: Tensor
    tx_power_w: float
    weights: Tensor
    target_energy: Tensor
    primary: PrimaryUsers | None = None

    def __post_init__(self) -> None:
        ch = self.channels
        if (
            not isinstance(ch, Tensor)
            or ch.ndim != 5
            or not (ch.is_complex() or ch.is_floating_point())
        ):
            shape = tuple(ch.shape) if isinstance(ch, Tensor) else type(ch)
            raise ValueError(f"channels must be a (B, L, L, N_R, N_T) tensor, got {shape}")
        b, n_links, n_rx_links = ch.shape[:3]
        if n_links != n_rx_links:
            raise ValueError(f"channels must have L_tx == L_rx, got {tuple(ch.shape)}")
        k = check_positive_int("channel_uses", self.channel_uses)
        object.__setattr__(self, "channel_uses", k)
        object.__setattr__(self, "tx_power_w", check_positive("tx_power_w", self.tx_power_w))
        real = ch.real.dtype
        m = k * ch.shape[-1]

        def as_real(name: str, value: object, shape: tuple[int, ...]) -> Tensor:
            t = torch.as_tensor(value, dtype=real, device=ch.device)
            if t.ndim == 0 and shape == (b,):
                t = t.expand(b)
            if tuple(t.shape) != shape:
                raise ValueError(f"{name} must have shape {shape}, got {tuple(t.shape)}")
            if not bool(torch.isfinite(t).all()):
                raise ValueError(f"{name} must be finite")
            return t.contiguous()

        noise = as_real("noise_power", self.noise_power, (b,))
        if bool((noise <= 0).any()):
            raise ValueError("noise_power must be > 0 W")
        weights = as_real("weights", self.weights, (b, n_links, m))
        if bool((weights < 0).any()):
            raise ValueError("weights must be >= 0")
        if bool((weights[..., 1:] > weights[..., :-1] * (1 + 1e-9) + 1e-300).any()):
            raise ValueError("weights must be sorted in descending order per link (σ̃² order)")
        energy = as_real("target_energy", self.target_energy, (b, n_links))
        if bool((energy <= 0).any()):
            raise ValueError("target_energy must be > 0")
        if self.primary is not None:
            p = self.primary
            if not isinstance(p, PrimaryUsers):
                raise ValueError(f"primary must be PrimaryUsers or None, got {type(p)!r}")
            if p.to_primary.shape[:2] != (b, n_links) or p.to_primary.shape[-1] != ch.shape[-1]:
                raise ValueError(
                    f"primary.to_primary must be (B, L, P, N_Rp, N_T) with B={b}, L={n_links}, "
                    f"N_T={ch.shape[-1]}, got {tuple(p.to_primary.shape)}"
                )
            if p.to_secondary.shape[-2] != ch.shape[-2]:
                raise ValueError(f"primary.to_secondary must end in N_R = {ch.shape[-2]} rows")
        object.__setattr__(self, "noise_power", noise)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "target_energy", energy)

    # --- sizes --------------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """B."""
        return int(self.channels.shape[0])

    @property
    def n_links(self) -> int:
        """L."""
        return int(self.channels.shape[1])

    @property
    def n_tx(self) -> int:
        """N_T."""
        return int(self.channels.shape[-1])

    @property
    def n_modes(self) -> int:
        """M = K·N_T."""
        return self.channel_uses * self.n_tx

    @property
    def budget(self) -> float:
        """K·P_max, W."""
        return self.channel_uses * self.tx_power_w

    @property
    def widely_linear(self) -> bool:
        """Whether the game is in real-composite form (widely-linear processing)."""
        return not self.channels.is_complex()

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def from_pairs(
        cls,
        channels: InterferenceChannels | Tensor,
        pairs: Sequence[core.SemanticPair],
        channel_uses: int,
        tx_power_w: float | None = None,
        *,
        noise_power: Tensor | float | None = None,
        primary: PrimaryUsers | None = None,
    ) -> InterferenceGame:
        """A game from sampled channels and one prepared latent pair per link.

        ``channels`` is an :class:`~semgym.channels.InterferenceChannels` (its σ² and P_max are
        used unless given) or a (B, L, L, N_R, N_T) tensor (then ``noise_power`` and
        ``tx_power_w`` are required). Pair statistics may be unbatched (shared by the B games)
        or batched (B,). Weights are ``pair.stats.semantic_weights(K·N_T)``. Widely-linear
        pairs (``pair.widely_linear``) put the complex channels into real-composite form, with
        σ²/2 per real dimension (:func:`widely_linear_channels`).
        """
        if isinstance(channels, InterferenceChannels):
            matrices = channels.matrices
            noise_power = channels.noise_power if noise_power is None else noise_power
            tx_power_w = channels.tx_power_w if tx_power_w is None else tx_power_w
        else:
            matrices = channels
            if noise_power is None or tx_power_w is None:
                raise ValueError("noise_power and tx_power_w are required with a channel tensor")
        if not isinstance(matrices, Tensor) or matrices.ndim != 5:
            raise ValueError("channels must be (B, L, L, N_R, N_T)")
        if pairs and pairs[0].widely_linear and matrices.is_complex():
            matrices, noise_power = widely_linear_channels(matrices, noise_power)
        b, n_links = matrices.shape[:2]
        if len(pairs) != n_links:
            raise ValueError(
                f"pairs must hold one SemanticPair per link (L={n_links}), got {len(pairs)}"
            )
        m = check_positive_int("channel_uses", channel_uses) * matrices.shape[-1]
        real = matrices.real.dtype
        weights = torch.stack([p.stats.semantic_weights(m).to(real).expand(b, m) for p in pairs], 1)
        energy = torch.stack([p.stats.target_energy.to(real).expand(b) for p in pairs], 1)
        return cls(
            matrices,
            channel_uses,
            noise_power,
            tx_power_w,
            weights.to(matrices.device),
            energy.to(matrices.device),
            primary,
        )

    @classmethod
    def synthetic(
        cls,
        config: InterferenceChannelConfig | None = None,
        *,
        channel_uses: int = 2,
        batch_size: int | None = None,
        seed: int | Sequence[int] = 0,
        weight_decay: float = 3.0,
        dtype: torch.dtype = torch.complex128,
        primary: PrimaryUsers | None = None,
    ) -> InterferenceGame:
        """Channels from :func:`~semgym.channels.sample_interference_channels` (paper defaults
        unless ``config`` says otherwise) and synthetic semantic statistics: per link
        w_m = u_m e^{−decay·m/M} sorted descending (u ~ U(0.5, 1.5)) and tr(R_y) = 1.25 Σ w
        (a fifth of the energy is not linearly predictable). Seeded per game: with a seed
        sequence, game b is exactly the single game of ``seed[b]``."""
        config = InterferenceChannelConfig() if config is None else config
        chans = sample_interference_channels(config, batch_size, seed, dtype=dtype)
        b, n_links = chans.matrices.shape[:2]
        m = check_positive_int("channel_uses", channel_uses) * config.n_tx_antennas
        seeds = [int(seed)] * b if isinstance(seed, numbers.Integral) else [int(s) for s in seed]
        scale = (
            torch.stack(
                [
                    torch.rand(
                        n_links,
                        m,
                        generator=torch.Generator().manual_seed(s + 7919),
                        dtype=torch.float64,
                    )
                    for s in seeds
                ]
            )
            + 0.5
        )
        decay = torch.exp(-weight_decay * torch.arange(m, dtype=torch.float64) / m)
        weights = (scale * decay).sort(-1, descending=True).values
        real = chans.matrices.real.dtype
        return cls(
            chans.matrices,
            channel_uses,
            chans.noise_power,
            chans.tx_power_w,
            weights.to(real),
            (1.25 * weights.sum(-1)).to(real),
            primary,
        )

    def with_primary(self, primary: PrimaryUsers | None) -> InterferenceGame:
        """The same game with other primary users (or none)."""
        return dataclasses.replace(self, primary=primary)

    def select(self, index: int) -> InterferenceGame:
        """Game ``index`` of the batch as a batch of one."""
        sl = slice(index, index + 1)
        return dataclasses.replace(
            self,
            channels=self.channels[sl],
            noise_power=self.noise_power[sl],
            weights=self.weights[sl],
            target_energy=self.target_energy[sl],
            primary=None if self.primary is None else self.primary.select(sl),
        )

    def index_copy(self, where: Tensor, fresh: InterferenceGame) -> InterferenceGame:
        """This batch with games ``where`` (index tensor) replaced by ``fresh``'s, in order."""
        primary = None
        if self.primary is not None and fresh.primary is not None:
            primary = self.primary.index_copy(where, fresh.primary)
        return dataclasses.replace(
            self,
            channels=self.channels.index_copy(0, where, fresh.channels),
            noise_power=self.noise_power.index_copy(0, where, fresh.noise_power),
            weights=self.weights.index_copy(0, where, fresh.weights),
            target_energy=self.target_energy.index_copy(0, where, fresh.target_energy),
            primary=primary,
        )


@dataclass(frozen=True, eq=False)
class GameState:
    """Every link's pre-equalizer F_l = V_l diag(√p_l) Q̃_lᴴ, stored by diagonal blocks of V.

    Attributes:
        structure: ``"block"`` (n_blocks = K, n = N_T) or ``"dense"`` (n_blocks = 1, n = K·N_T).
        mode_blocks: V_l blocks, (B, L, n_blocks, n, n) (orthonormal columns, except for the
            precoders of the env's precoder mode, whose columns are F's).
        power_blocks: p per mode, (B, L, n_blocks, n), W.
        rank: semantic index m ∈ [0, M) each mode carries, (B, L, n_blocks, n) int64.
    """

    structure: str
    mode_blocks: Tensor
    power_blocks: Tensor
    rank: Tensor

    @property
    def factors(self) -> Tensor:
        """V diag(√p) by blocks, (B, L, n_blocks, n, n): a factor of F_l F_lᴴ per block."""
        return core.mode_factor(self.mode_blocks, self.power_blocks)

    @property
    def covariance_blocks(self) -> Tensor:
        """F_l F_lᴴ = V diag(p) Vᴴ by blocks, (B, L, n_blocks, n, n)."""
        return core.structured_covariance(self.mode_blocks, self.power_blocks)

    def channel_use_covariances(self, channel_uses: int) -> Tensor:
        """F_l F_lᴴ per channel use, (B, L, K, n, n): the blocks themselves, or the K diagonal
        blocks of a dense covariance (all that reaches a receiver through I_K ⊗ H̄ in power and
        interference; a precoder may couple channel uses)."""
        blocks = self.covariance_blocks
        if self.structure == "block":
            return blocks
        return core.diagonal_blocks(blocks.squeeze(-3), channel_uses)

    @property
    def powers(self) -> Tensor:
        """p indexed by semantic direction: p[..., m] feeds q̃_m, (B, L, M), W."""
        flat = self.power_blocks.flatten(-2)
        return torch.empty_like(flat).scatter_(-1, self.rank.flatten(-2), flat)

    @property
    def modes(self) -> Tensor:
        """Dense V, (B, L, M, M) block-diagonal; column m pairs with q̃_m (and p[..., m])."""
        dense = core.block_diagonal(self.mode_blocks)
        index = self.rank.flatten(-2).unsqueeze(-2).expand_as(dense)
        return torch.empty_like(dense).scatter_(-1, index, dense)

    @property
    def tx_covariance(self) -> Tensor:
        """Dense F_l F_lᴴ, (B, L, M, M)."""
        return core.block_diagonal(self.covariance_blocks)

    def direction_powers(self) -> Tensor:
        """Power on each semantic direction, (B, L, M) W: the column energies of V diag(√p)
        (the powers p themselves when V is unitary)."""
        energy = (core.squared_magnitude(self.mode_blocks) * self.power_blocks.unsqueeze(-2)).sum(
            -2
        )
        flat = energy.flatten(-2)
        return torch.empty_like(flat).scatter_(-1, self.rank.flatten(-2), flat)

    def weight_blocks(self, game: InterferenceGame) -> Tensor:
        """w of the direction each mode carries, (B, L, n_blocks, n)."""
        flat = game.weights.gather(-1, self.rank.flatten(-2))
        return flat.view(self.power_blocks.shape)

    def with_powers(self, powers: Tensor) -> GameState:
        """The same modes with powers p (B, L, M) W indexed by semantic direction."""
        blocks = powers.gather(-1, self.rank.flatten(-2)).view(self.power_blocks.shape)
        return dataclasses.replace(self, power_blocks=blocks)

    def to_dense(self) -> GameState:
        """The same pre-equalizers as one dense block per link."""
        if self.structure == "dense":
            return self
        return GameState(
            "dense",
            core.block_diagonal(self.mode_blocks).unsqueeze(-3),
            self.power_blocks.flatten(-2).unsqueeze(-2),
            self.rank.flatten(-2).unsqueeze(-2),
        )

    def where(self, keep: Tensor, other: GameState, *, dim: int = 0) -> GameState:
        """This state where ``keep`` (a (B,) mask over games, or with ``dim=1`` an (L,) mask
        over links), else ``other``."""
        shape = [1] * self.rank.dim()
        shape[dim] = -1
        k = keep.view(shape)
        return GameState(
            self.structure,
            torch.where(k.unsqueeze(-1), self.mode_blocks, other.mode_blocks),
            torch.where(k, self.power_blocks, other.power_blocks),
            torch.where(k, self.rank, other.rank),
        )

    def index_copy(self, where: Tensor, fresh: GameState) -> GameState:
        """This state with games ``where`` (index tensor) replaced by ``fresh``'s, in order."""
        return GameState(
            self.structure,
            self.mode_blocks.index_copy(0, where, fresh.mode_blocks),
            self.power_blocks.index_copy(0, where, fresh.power_blocks),
            self.rank.index_copy(0, where, fresh.rank),
        )


@dataclass(frozen=True)
class Response(core.BestResponse):
    """Best responses (15) of every link: core's :class:`~semgym.core.BestResponse` (gains λ,
    powers and, with primary users, interference prices c_m by semantic index, (B, L, M); the
    priced water-filling keeps Σ_m c_m p_m ≤ 1), in a game ``structure``."""

    structure: str = "block"

    @property
    def state(self) -> GameState:
        """The best responses as a :class:`GameState`."""
        return GameState(self.structure, self.block_modes, self.power_blocks, self.rank)


@dataclass(frozen=True)
class Received:
    """What every receiver sees of a state, per link and block.

    Attributes:
        noise_covariance: R_n,l = σ²I + MUI (5) (+ the primaries' signals), (B, L, nb, A, A).
        mui_power: MUI power at every receiver summed over channel uses, (B, L), W.
        whitened: W_l = C⁻¹ H_ll with R_n,l = C Cᴴ, (B, L, nb, A, n).
        effective: R_H,l = W_lᴴ W_l, (B, L, nb, n, n).
    """

    noise_covariance: Tensor
    mui_power: Tensor
    whitened: Tensor
    effective: Tensor


@dataclass(frozen=True)
class Evaluation(NetworkScores):
    """The one evaluation of a state: everything the envs, solvers, rendering and policies read.

    Attributes:
        received: :class:`Received` (R_n, MUI, whitened channel, R_H).
        mse: MSE_l (8) of the state's pre-equalizers, (B, L). nmse: MSE_l / tr(R_y,l), (B, L).
        response: every link's best response (15) to the others' current precoders.
        best_response_mse: MSE_l of that best response, (B, L).
        link_exploitability: MSE_l − best_response_mse (≥ 0; 0 at a Nash equilibrium), (B, L).
    """

    received: Received
    mse: Tensor
    nmse: Tensor
    response: Response
    best_response_mse: Tensor
    link_exploitability: Tensor

    @property
    def mui_power(self) -> Tensor:
        """MUI power at every receiver summed over channel uses, (B, L), W."""
        return self.received.mui_power

    @property
    def exploitability(self) -> Tensor:
        """max_l (MSE_l − MSE_l of its best response to the others), (B,) ≥ 0."""
        return self.link_exploitability.amax(-1)


class GameOperator:
    """The game's channels prepared for one structure; the maps the solvers iterate.

    Attributes:
        game: the game. structure: ``"block"`` or ``"dense"``.
    """

    def __init__(self, game: InterferenceGame, structure: str = "block") -> None:
        self.game = game
        self.structure = check_choice("structure", structure, STRUCTURES)
        k = game.channel_uses
        if self.structure == "block":
            self.n_blocks, self.block_size = k, game.n_tx
            channels = game.channels  # (B, L, L, N_R, N_T)
        else:
            self.n_blocks, self.block_size = 1, game.n_modes
            channels = core.kron_identity(game.channels, k)
        self.direct = core.direct_channels(channels).unsqueeze(2)  # (B, L, 1, A, n)
        self.interferer_index = core.interferer_index(game.n_links, game.channels.device)
        interferers = core.interferer_channels(channels, self.interferer_index)
        self.interferers_adjoint = interferers.mH.contiguous()  # (B, L, L − 1, n, A)
        self.primary_noise = None
        self.primary_channels = None
        self.primary_caps = None
        if game.primary is not None:
            extra = game.primary.secondary_noise()  # (B, L, N_R, N_R)
            to_p = game.primary.to_primary  # (B, L, P, N_Rp, N_T)
            if self.structure == "dense":
                extra, to_p = core.kron_identity(extra, k), core.kron_identity(to_p, k)
            self.primary_noise = extra.unsqueeze(2)  # (B, L, 1, A, A)
            self.primary_channels = to_p.unsqueeze(2)  # (B, L, 1, P, A_p, n)
            # each link's share K·I_max,p / L of every cap (see semgym.scenarios.primary)
            share = game.primary.interference_cap_w * (k / game.n_links)  # (B, P)
            self.primary_caps = share[:, None, None, :]  # (B, 1, 1, P)

    # --- the pieces of (5), (8), (15) ---------------------------------------------------------
    def received(self, factors: Tensor | None) -> Received:
        """:class:`Received` for transmit covariances given by per-block factors Φ_l
        (B, L, n_blocks, n, r), F_l F_lᴴ = blkdiag_k(Φ_l,k Φ_l,kᴴ); ``None``: no MUI
        (R_n = σ²I plus the primaries' signals, the MUI-less setting)."""
        return self._receive(factors, None)[0]

    def _receive(
        self, interfering: Tensor | None, state: GameState | None
    ) -> tuple[Received, Tensor | None]:
        """:meth:`received` for the factors ``interfering`` and, given a ``state``, the MSE_l (8)
        of its pre-equalizers there, (B, L) (else None).

        Computed together in pieces of games (every receiver's MUI comes from its own game's
        other links): each piece's temporaries stay small and in cache, the MSE reads the
        whitened channel its piece has just written, and the pieces run on all CPU threads
        (:func:`semgym._runtime.in_pieces`; one call on other devices and under autograd).
        """
        game = self.game
        factors = weights = None
        if state is not None:
            factors, weights = state.factors, state.weight_blocks(game)
        *parts, captured = in_pieces(
            self._receive_games,
            (self.direct, 4),
            (self.interferers_adjoint, 4),
            (game.noise_power, 0),
            (self.primary_noise, 4),
            (interfering, 4),
            (factors, 4),
            (weights, 3),
        )
        mse = None if state is None else game.target_energy - captured.sum(-1)
        return Received(*parts), mse

    def _receive_games(
        self,
        direct: Tensor,
        interferers_adjoint: Tensor,
        noise_power: Tensor,
        primary_noise: Tensor | None,
        interfering: Tensor | None,
        factors: Tensor | None,
        weights: Tensor | None,
    ) -> tuple[Tensor, ...]:
        """:meth:`_receive` for b games given by their slices of the operator's tensors:
        (R_n, MUI power, whitened channel, R_H, energy captured per block (b, L, nb) or an
        empty (b,) without ``factors``)."""
        if interfering is None:
            a = direct.shape[-2]
            mui = direct.new_zeros(*direct.shape[:2], self.n_blocks, a, a)
        else:
            index = self.interferer_index
            mui = core.interference_by_block(interferers_adjoint, interfering, index)
        power = core.real_trace(mui).sum(-1)
        noise = core.add_noise(mui, noise_power[:, None])
        if primary_noise is not None:
            noise = noise + primary_noise
        whitened = core.whitened_channel(direct, noise)  # (b, L, nb, A, n)
        effective = core.whitened_gram(whitened)
        if factors is None or weights is None:
            captured = power.new_empty(power.shape[0])
        else:
            captured = -core.structured_mse_whitened(whitened, factors, weights, 0.0)
        return noise, power, whitened, effective, captured

    def respond(self, effective: Tensor) -> Response:
        """Best responses (15) to R_H (B, L, n_blocks, n, n): modes, water-filling powers."""
        game = self.game
        best = core.best_response(
            effective,
            game.weights,
            game.budget,
            primary_channels=self.primary_channels,
            primary_caps=self.primary_caps,
        )
        return Response(**vars(best), structure=self.structure)

    def best_responses(self, state: GameState) -> Response:
        """:meth:`respond` to the effective channels ``state`` leaves every link."""
        return self.respond(self.received(state.factors).effective)

    def mse(self, state: GameState) -> Tensor:
        """MSE_l (8) of the state's pre-equalizers under the MUI they cause, (B, L), and nothing
        else (no eigendecomposition, no best response): the part of :meth:`evaluate` that
        autograd differentiates with respect to the state's mode and power blocks (the
        cooperative optimum's objective)."""
        mse = self._receive(state.factors, state)[1]
        assert mse is not None
        return mse

    def evaluate(self, state: GameState, *, interference: bool = True) -> Evaluation:
        """The one evaluation of ``state``: R_n, MUI, R_H, MSE, NMSE, best responses and
        exploitability (``interference=False``: every link evaluated and best-responding with
        R_n = σ²I, the MUI-less setting)."""
        game = self.game
        received, mse = self._receive(state.factors if interference else None, state)
        assert mse is not None
        response = self.respond(received.effective)
        best = game.target_energy - core.semantic_utility(
            game.weights, response.gains, response.powers
        )
        return Evaluation(
            received,
            mse,
            core.normalized_mse(mse, game.target_energy),
            response,
            best,
            (mse - best).clamp_min(0.0),
        )

    def smoothed(self, state: GameState, response: Response, step: float) -> GameState:
        """(20) in the power domain on the response's modes (see :mod:`semgym.solvers.dynamics`):
        p^{t+1}[m] = p^t[m] + γ (B(p)[m] − p^t[m]) per semantic index m, V^{t+1} = V_BR."""
        if step == 1.0:
            return response.state
        powers = state.powers + step * (response.powers - state.powers)
        return response.state.with_powers(powers)

    def initial_state(self, seed: int | Sequence[int] = 0) -> GameState:
        """Algorithm 1 input, block-diagonal and seeded: per link and channel use a Haar-random
        unitary V_k (QR of CN(0, 1); orthogonal, from N(0, 1), in real-composite form), powers
        p = K·P_max · e/Σe with e ~ Exp(1) over all M modes, and a random assignment of
        semantic directions to modes. Game b draws from ``seed[b]`` (an int: the same draw for
        every game), so a batch equals single games. This is F⁽⁰⁾ with tr(F Fᴴ) = K·P_max; the
        dense structure starts from the same (block-diagonal) F⁽⁰⁾, so both structures share
        their trajectories."""
        game = self.game
        b, n_links, k, n = game.batch_size, game.n_links, game.channel_uses, game.n_tx
        seeds = [int(seed)] * b if isinstance(seed, numbers.Integral) else [int(s) for s in seed]
        if len(seeds) != b:
            raise ValueError(f"seed must be an int or {b} ints (one per game), got {len(seeds)}")
        real = torch.float64  # drawn in float64 on the CPU: every dtype and device, same start
        shape = (n_links, k, n, n) if game.widely_linear else (n_links, k, n, n, 2)
        parts, raw, order = [], [], []
        for s in seeds:
            gen = torch.Generator().manual_seed(s)
            parts.append(torch.randn(*shape, dtype=real, generator=gen))
            raw.append(torch.rand(n_links, k * n, dtype=real, generator=gen))
            order.append(torch.rand(n_links, k * n, generator=gen).argsort(-1))
        gaussian = torch.stack(parts)
        q, r = torch.linalg.qr(gaussian if game.widely_linear else torch.view_as_complex(gaussian))
        phase = torch.diagonal(r, dim1=-2, dim2=-1)
        q = q * (phase / phase.abs().clamp_min(1e-300)).unsqueeze(-2)
        exp = -torch.stack(raw).clamp_min(1e-12).log()
        powers = exp / exp.sum(-1, keepdim=True) * game.budget
        rank = torch.stack(order)
        device = game.channels.device
        state = GameState(
            "block",
            q.to(device=device, dtype=game.channels.dtype),
            powers.view(b, n_links, k, n).to(device=device, dtype=game.weights.dtype),
            rank.view(b, n_links, k, n).to(device),
        )
        return state if self.structure == "block" else state.to_dense()

    def interference_free_state(self) -> GameState:
        """Every link's interference-free design: the best response to R_n = σ² I (plus the
        primaries' signals), the modes and powers a link can compute without estimating the
        MUI (the MUI-less bound's and the MUI-agnostic water-filling's precoders)."""
        return self.respond(self.received(None).effective).state


#: Receivers of arbitrary precoders: Wiener filters for the MUI+noise they face, or the
#: Wiener filters designed for R_n = σ² I (what an MUI-agnostic design deploys).
RECEIVERS = ("wiener", "design")


@dataclass(frozen=True)
class PrecoderEvaluation:
    """Arbitrary precoders Z_l in a batch of games (see :func:`evaluate_precoders`).

    Attributes:
        mse, nmse: per link, (B, L). received: what the receivers face (R_n, MUI, R_H; one dense
        block). assumed: the R_n,l every receiver's filter is designed for, (B, L, A, A).
    """

    mse: Tensor
    nmse: Tensor
    received: Received
    assumed: Tensor


def evaluate_precoders(
    game: InterferenceGame,
    pairs: Sequence[core.SemanticPair],
    precoders: Sequence[Tensor],
    *,
    receiver: str = "wiener",
    interference: bool = True,
) -> PrecoderEvaluation:
    """MSE of any precoders Z_l, (B, M, d_x,l) each (not only structured ones), of the latent
    ``pairs`` (their full statistics, tr(R_y) included) in the game's channels, on the dense
    structure: the MUI comes from the game's one path with the Z_l as the factors of their
    covariances. ``receiver="wiener"``: each receiver knows its MUI+noise covariance, MSE (8)
    by :func:`~semgym.core.alignment_mse`; ``"design"``: each receiver keeps the Wiener filter
    for R_n = σ² I and faces the real MUI (:func:`~semgym.core.alignment_objective`, never below
    the Wiener value). ``interference=False``: no MUI (the MUI-less setting)."""
    check_choice("receiver", receiver, RECEIVERS)
    op = GameOperator(game, "dense")
    direct = op.direct[:, :, 0]  # I_K ⊗ H̄_ll, (B, L, A, M)
    width = max(z.shape[-1] for z in precoders)
    factors = torch.stack(
        [torch.nn.functional.pad(z, (0, width - z.shape[-1])) for z in precoders], 1
    ).unsqueeze(2)  # (B, L, 1, M, d_x,max): zero columns change no covariance
    received = op.received(factors if interference else None)
    faced, effective = received.noise_covariance[:, :, 0], received.effective[:, :, 0]
    white = core.add_noise(torch.zeros_like(faced), game.noise_power)  # σ² I, (B, L, A, A)
    assumed = faced if receiver == "wiener" else white
    mse = []
    for link, (pair, z) in enumerate(zip(pairs, precoders, strict=True)):
        stats = pair.stats
        energy = stats.target_energy.to(game.target_energy).expand(game.batch_size)
        if receiver == "wiener":
            gram = stats.cross_gram.to(device=z.device, dtype=z.dtype)
            mse.append(core.alignment_mse(z, effective[:, link], gram, energy))
        else:
            h = direct[:, link]
            cross = stats.cross_covariance.to(device=z.device, dtype=z.dtype)
            design = core.wiener_equalizer(cross, z, h, white[:, link])
            mse.append(core.alignment_objective(design, h, z, cross, energy, faced[:, link]))
    mse_t = torch.stack(mse, -1)
    energies = torch.stack([p.stats.target_energy.to(mse_t) for p in pairs]).expand_as(mse_t)
    return PrecoderEvaluation(mse_t, core.normalized_mse(mse_t, energies), received, assumed)


def widely_linear_channels(
    channels: Tensor, noise_power: Tensor | float
) -> tuple[Tensor, Tensor | float]:
    """Complex per-channel-use channels (..., N_R, N_T) and their noise power σ² (W) in
    real-composite form: (..., 2N_R, 2N_T) real and σ²/2 per real dimension (CN(0, σ²I) noise
    is N(0, σ²/2·I) on its real and imaginary parts); I_K ⊗ H̄ keeps its block structure."""
    return core.real_composite(channels), noise_power * 0.5


def relative_change(new: GameState, old: GameState) -> Tensor:
    """‖Q_l^{new} − Q_l^{old}‖_F / ‖Q_l^{old}‖_F per link, (B, L)."""
    a, b = new.covariance_blocks, old.covariance_blocks
    diff = core.squared_magnitude(a - b).sum((-3, -2, -1)).sqrt()
    ref = core.squared_magnitude(b).sum((-3, -2, -1)).sqrt()
    return diff / ref.clamp_min(torch.finfo(ref.dtype).tiny)


@dataclass(frozen=True)
class InterferenceScenario:
    """The interference scenario of the envs: channels, K, latent links and primary users.

    Frozen and validated; :meth:`sample` draws batches of games. Build it with
    :meth:`create` from the envs' keyword arguments (units and defaults there).

    Attributes:
        channel: :class:`~semgym.channels.InterferenceChannelConfig` (L, antennas, α, noise,
            P_max).
        channel_uses: K (>= 1); M = K·N_T modes per link, budget K·P_max (W).
        latents: the latent bank's name or file path.
        links: (tx encoder, rx encoder) per link.
        n_primaries: licensed primary links (not players), >= 0.
        interference_cap: each primary's cap I_max as a fraction of the interference it would
            receive from all secondaries at full isotropic power (> 0).
        processing: ``"linear"`` (the papers' complex-linear transceivers, M = K·N_T complex
            modes) or ``"widely_linear"`` (the real-composite form, 2M real modes with the
            same budget; ``docs/design.md``).
        enforce_caps: the primaries' caps are a rule of the band, not only a score: every
            link's powers are scaled onto its share of the caps before they are transmitted
            (:func:`~semgym.core.scale_to_caps`; a no-op without primaries). False: the caps
            are reported, and only the priced best response keeps them.
    """

    channel: InterferenceChannelConfig
    channel_uses: int
    latents: str
    links: tuple[tuple[str, str], ...]
    n_primaries: int = 0
    interference_cap: float = 0.1
    processing: str = "linear"
    enforce_caps: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "channel_uses", check_positive_int("channel_uses", self.channel_uses)
        )
        if not isinstance(self.enforce_caps, bool | np.bool_):
            raise ValueError(f"enforce_caps must be True or False, got {self.enforce_caps!r}")
        object.__setattr__(self, "enforce_caps", bool(self.enforce_caps))
        object.__setattr__(
            self, "n_primaries", check_positive_int("primary_users", self.n_primaries, minimum=0)
        )
        object.__setattr__(
            self, "interference_cap", check_positive("interference_cap", self.interference_cap)
        )
        check_choice("processing", self.processing, PROCESSING)
        if len(self.links) != self.channel.n_links:
            raise ValueError(
                f"links must name one (tx, rx) pair per link ({self.channel.n_links}), "
                f"got {len(self.links)}"
            )
        for (tx, _), link in zip(self.links, self.latent_links, strict=True):
            if self.n_modes > link.pair.stats.tx_dim:
                raise ValueError(
                    f"channel_uses·n_tx_antennas = {self.channel_uses * self.channel.n_tx_antennas}"
                    f" needs {self.n_modes} symbols, more than the {link.pair.stats.tx_dim} of "
                    f"encoder {tx!r} (width {link.pair.tx_real_dim}); lower channel_uses or the "
                    "number of antennas"
                )

    @classmethod
    def create(
        cls,
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
        tx_encoders: Sequence[str] | None = None,
        rx_encoders: Sequence[str] | None = None,
        primary_users: int = 0,
        interference_cap: float = 0.1,
        processing: str = "linear",
        enforce_caps: bool = False,
    ) -> InterferenceScenario:
        """The scenario from the envs' keyword arguments (documented in the env manual)."""
        n_links = check_positive_int("n_links", n_links)
        n_antennas = check_positive_int("n_antennas", n_antennas)
        channel = InterferenceChannelConfig(
            n_links=n_links,
            n_tx_antennas=n_tx_antennas if n_tx_antennas is not None else n_antennas,
            n_rx_antennas=n_rx_antennas if n_rx_antennas is not None else n_antennas,
            alpha=alpha,
            snr_db=snr_db,
            tx_power_w=tx_power_w,
            fading=fading,
            rician_k=rician_k,
        )
        links = interference_links(latents, n_links, tx_encoders, rx_encoders)
        check_choice("processing", processing, PROCESSING)
        return cls(
            channel,
            channel_uses,
            latents,
            links,
            primary_users,
            interference_cap,
            processing,
            enforce_caps,
        )

    @property
    def n_links(self) -> int:
        """L."""
        return self.channel.n_links

    @property
    def n_modes(self) -> int:
        """M = K·N_T complex modes per link, or 2·K·N_T real ones (widely linear)."""
        real = 2 if self.processing == "widely_linear" else 1
        return real * self.channel_uses * self.channel.n_tx_antennas

    @property
    def budget(self) -> float:
        """K·P_max, W."""
        return self.channel_uses * self.channel.tx_power_w

    @property
    def latent_links(self) -> list[LatentLink]:
        """Every link's prepared latent pair and test latents (computed once per process)."""
        return [latent_link(self.latents, tx, rx, self.processing) for tx, rx in self.links]

    @property
    def pairs(self) -> list[core.SemanticPair]:
        """Every link's :class:`~semgym.core.SemanticPair` (train split statistics)."""
        return [link.pair for link in self.latent_links]

    def semantic_weights(self, dtype: torch.dtype = torch.float64) -> Tensor:
        """w = σ̃² of every link's first M semantic directions, (L, M), descending."""
        return torch.stack([p.stats.semantic_weights(self.n_modes).to(dtype) for p in self.pairs])

    def target_energy(self, dtype: torch.dtype = torch.float64) -> Tensor:
        """tr(R_y) of every link, (L,)."""
        return torch.stack([p.stats.target_energy.to(dtype) for p in self.pairs])

    def sample(
        self,
        seeds: Sequence[int],
        *,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.complex128,
    ) -> InterferenceGame:
        """A batch of games, game b drawn from channel seed ``seeds[b]`` alone (channels on
        the CPU, then moved, so every device sees the same channels; primaries seeded alike).
        ``dtype`` is the complex dtype of the draw; widely-linear games are its real-composite
        form, in the matching real dtype."""
        seeds = [int(s) for s in seeds]
        channels = sample_interference_channels(self.channel, seed=seeds, dtype=dtype)
        matrices, noise = channels.matrices, channels.noise_power
        widely_linear = self.processing == "widely_linear"
        if widely_linear:
            matrices, noise = widely_linear_channels(matrices, noise)
        primary = None
        if self.n_primaries:
            primary = PrimaryUsers.cat(
                [
                    PrimaryUsers.on_line(
                        self.channel,
                        self.n_primaries,
                        self.interference_cap,
                        float(channels.noise_power[i]),
                        seed=s,
                    )
                    for i, s in enumerate(seeds)
                ]
            ).to(device, dtype)
            primary = primary.real_composite() if widely_linear else primary
        real, b = channels.matrices.real.dtype, len(seeds)
        return InterferenceGame(
            matrices.to(device),
            self.channel_uses,
            noise.to(device),
            self.channel.tx_power_w,
            self.semantic_weights(real).to(device).expand(b, -1, -1),
            self.target_energy(real).to(device).expand(b, -1),
            primary,
        )
