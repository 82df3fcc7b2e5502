"""The semantic interference game (interference paper §III): players, state, best responses.

Players are the L links; link l's strategy is its structured pre-equalizer (11)
F_l = V_l diag(√p_l) Q̃_lᴴ, i.e. modes V_l and powers p_l ≥ 0 with Σ p_l ≤ K·P_max, and its
payoff is −MSE_l, the exact closed-form MSE (8) with the Wiener receiver (7) under the MUI (5)
of the others. The game needs no latents: only the semantic weights w = σ̃² and tr(R_y).

Structure (SPEC §8). Channels are H = I_K ⊗ H̄; a state is stored as ``n_blocks`` diagonal
blocks of every V_l: ``structure="block"`` keeps K blocks of N_T × N_T (one per channel use, so
a best response is K eigenproblems of size N_T), ``structure="dense"`` keeps one block of
K·N_T × K·N_T (one eigenproblem of size K·N_T). Each mode also records ``rank``: the index m
of the semantic direction q̃_m (weight w_m) it carries, so F_l is fully determined. Best
responses keep block-diagonal covariances block-diagonal, so both structures follow the same
trajectory from the same block-diagonal start (tests show they reach the same MSE).

Best response B_l (15): R_n,l (5) → R_H,l = H_llᴴ R_n,l⁻¹ H_ll → eigenmodes, λ descending →
semantic water-filling (paired m-th λ with m-th σ̃), composed from :mod:`semgym.core`
(the same result as :func:`~semgym.core.block_best_response` and
:func:`~semgym.core.dense_best_response`, plus the sort order and the primaries' noise and
price they do not take).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym._validation import check_choice, check_positive, check_positive_int
from semgym.channels.interference import (
    InterferenceChannelConfig,
    InterferenceChannels,
    sample_interference_channels,
)
from semgym.core import (
    SemanticPair,
    add_noise,
    block_diagonal,
    direct_channels,
    effective_channel,
    effective_channel_modes,
    interference_by_block,
    interference_covariance,
    interferer_channels,
    interferer_index,
    kron_identity,
    mode_factor,
    priced_semantic_waterfill,
    real_trace,
    semantic_utility,
    semantic_waterfill,
    squared_magnitude,
    structured_covariance,
    structured_mse,
    structured_mse_whitened,
    whitened_channel,
)
from semgym.solvers.primary import PrimaryUsers

#: Ways to store the modes: K per-channel-use blocks (default) or one dense block.
STRUCTURES = ("block", "dense")


@dataclass(frozen=True, eq=False)
class InterferenceGame:
    """A batch of B interference games, validated at construction.

    Attributes:
        channels: H̄_{j,l} per channel use, (B, L, L, N_R, N_T) complex, tx j → rx l.
        channel_uses: K (>= 1); H_{j,l} = I_K ⊗ H̄_{j,l}, M = K·N_T modes per link.
        noise_power: σ², (B,) W (> 0).
        tx_power_w: P_max per channel use, W (> 0); each link's budget is K·P_max.
        weights: semantic weights w = σ̃², (B, L, M) real, >= 0, descending per link.
        target_energy: tr(R_y) per link, (B, L) real (> 0): the MSE of sending nothing.
        primary: optional :class:`~semgym.solvers.primary.PrimaryUsers` (cognitive radio).
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
        if not isinstance(ch, Tensor) or ch.ndim != 5 or not ch.is_complex():
            shape = tuple(ch.shape) if isinstance(ch, Tensor) else type(ch)
            raise ValueError(f"channels must be a complex (B, L, L, N_R, N_T) tensor, got {shape}")
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

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def from_pairs(
        cls,
        channels: InterferenceChannels | Tensor,
        pairs: Sequence[SemanticPair],
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
        or batched (B,). Weights are ``pair.stats.semantic_weights(K·N_T)``.
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
        seeds = [int(seed)] * b if isinstance(seed, int) else [int(s) for s in seed]
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
        return InterferenceGame(
            self.channels,
            self.channel_uses,
            self.noise_power,
            self.tx_power_w,
            self.weights,
            self.target_energy,
            primary,
        )

    def select(self, index: int) -> InterferenceGame:
        """Game ``index`` of the batch as a batch of one."""
        sl = slice(index, index + 1)
        primary = None
        if self.primary is not None:
            p = self.primary
            primary = PrimaryUsers(
                p.to_primary[sl],
                p.to_secondary[sl],
                p.direct[sl],
                p.tx_covariance[sl],
                p.interference_cap_w[sl],
                p.noise_power[sl],
            )
        return InterferenceGame(
            self.channels[sl],
            self.channel_uses,
            self.noise_power[sl],
            self.tx_power_w,
            self.weights[sl],
            self.target_energy[sl],
            primary,
        )


@dataclass(frozen=True, eq=False)
class GameState:
    """Every link's pre-equalizer F_l = V_l diag(√p_l) Q̃_lᴴ, stored by diagonal blocks of V.

    Attributes:
        structure: ``"block"`` (n_blocks = K, n = N_T) or ``"dense"`` (n_blocks = 1, n = K·N_T).
        mode_blocks: V_l blocks, (B, L, n_blocks, n, n), orthonormal columns.
        power_blocks: p per mode, (B, L, n_blocks, n), W.
        rank: semantic index m ∈ [0, M) each mode carries, (B, L, n_blocks, n) int64.
    """

    structure: str
    mode_blocks: Tensor
    power_blocks: Tensor
    rank: Tensor

    @property
    def covariance_blocks(self) -> Tensor:
        """F_l F_lᴴ = V diag(p) Vᴴ by blocks, (B, L, n_blocks, n, n)."""
        return structured_covariance(self.mode_blocks, self.power_blocks)

    @property
    def powers(self) -> Tensor:
        """p indexed by semantic direction: p[..., m] feeds q̃_m, (B, L, M), W."""
        flat = self.power_blocks.flatten(-2)
        return torch.empty_like(flat).scatter_(-1, self.rank.flatten(-2), flat)

    @property
    def modes(self) -> Tensor:
        """Dense V, (B, L, M, M) block-diagonal; column m pairs with q̃_m (and p[..., m])."""
        dense = block_diagonal(self.mode_blocks)
        index = self.rank.flatten(-2).unsqueeze(-2).expand_as(dense)
        return torch.empty_like(dense).scatter_(-1, index, dense)

    @property
    def tx_covariance(self) -> Tensor:
        """Dense F_l F_lᴴ, (B, L, M, M)."""
        return block_diagonal(self.covariance_blocks)

    def weight_blocks(self, game: InterferenceGame) -> Tensor:
        """w of the direction each mode carries, (B, L, n_blocks, n)."""
        flat = game.weights.gather(-1, self.rank.flatten(-2))
        return flat.view(self.power_blocks.shape)

    def to_dense(self) -> GameState:
        """The same pre-equalizers as one dense block per link."""
        if self.structure == "dense":
            return self
        return GameState(
            "dense",
            block_diagonal(self.mode_blocks).unsqueeze(-3),
            self.power_blocks.flatten(-2).unsqueeze(-2),
            self.rank.flatten(-2).unsqueeze(-2),
        )

    def where(self, keep: Tensor, other: GameState) -> GameState:
        """Per game b: this state where ``keep[b]``, else ``other``."""
        k = keep.view(-1, 1, 1, 1)
        return GameState(
            self.structure,
            torch.where(k.unsqueeze(-1), self.mode_blocks, other.mode_blocks),
            torch.where(k, self.power_blocks, other.power_blocks),
            torch.where(k, self.rank, other.rank),
        )


@dataclass(frozen=True)
class GameMetrics:
    """Per-game evaluation of a state.

    Attributes:
        mse: MSE_l, (B, L). nmse: MSE_l / tr(R_y,l), (B, L).
        network_mse, network_nmse: means over links, (B,).
        mui_power: tr(Σ_{j≠l} H_jl Q_j H_jlᴴ) summed over channel uses, (B, L), W.
        exploitability: max_l (MSE_l − MSE_l of its best response to the others), (B,) ≥ 0.
        best_response_mse: MSE_l of that best response, (B, L).
    """

    mse: Tensor
    nmse: Tensor
    network_mse: Tensor
    network_nmse: Tensor
    mui_power: Tensor
    exploitability: Tensor
    best_response_mse: Tensor


@dataclass(frozen=True)
class Response:
    """Best responses of every link (as a state) and their gains λ / powers by semantic index.

    ``costs`` (with primary users only): c_m per semantic index, the normalized interference
    mode m puts on the primaries per watt; the priced water-filling keeps Σ_m c_m p_m ≤ 1.
    """

    state: GameState
    gains: Tensor
    powers: Tensor
    costs: Tensor | None = None


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
            self.channels = game.channels.unsqueeze(1)  # (B, 1, L, L, N_R, N_T)
        else:
            self.n_blocks, self.block_size = 1, game.n_modes
            self.channels = kron_identity(game.channels, k).unsqueeze(1)
        self.direct = direct_channels(self.channels)  # (B, 1, L, A, n)
        self.direct_by_link = self.direct.movedim(1, 2)  # (B, L, 1, A, n)
        self.interferer_index = interferer_index(game.n_links, game.channels.device)
        interferers = interferer_channels(self.channels[:, 0], self.interferer_index)
        self.interferers_adjoint = interferers.mH.contiguous()  # (B, L, L − 1, n, A)
        self.primary_noise = None
        self.primary_channels = None
        if game.primary is not None:
            extra = game.primary.secondary_noise()  # (B, L, N_R, N_R)
            to_p = game.primary.to_primary  # (B, L, P, N_Rp, N_T)
            if self.structure == "dense":
                extra, to_p = kron_identity(extra, k), kron_identity(to_p, k)
            self.primary_noise = extra.unsqueeze(1)
            # normalized per-primary weights 1 / (K·I_max,p / L) of the aggregated price
            share = game.primary.interference_cap_w * (k / game.n_links)  # (B, P)
            self.primary_channels = to_p.unsqueeze(2)  # (B, L, 1, P, A_p, n)
            self.primary_share = share[:, None, None, :, None]  # (B, 1, 1, P, 1)

    # --- the pieces of (5), (8), (15) ---------------------------------------------------------
    def noise_covariance(self, state: GameState, *, interference: bool = True) -> Tensor:
        """R_n,l per block, (B, n_blocks, L, A, A): σ²I + MUI (5) (+ primaries' signals)."""
        if not interference:
            return self.noise_from_covariance(state.covariance_blocks, interference=False)
        return self.noise_and_mui(state)[0].movedim(1, 2)

    def noise_and_mui(self, state: GameState) -> tuple[Tensor, Tensor]:
        """R_n,l per link and block (B, L, n_blocks, A, A) (the state's layout) and the MUI
        power per link summed over channel uses (B, L) W, through
        :func:`~semgym.core.interference_by_block` with the factors V diag(√p)."""
        factors = mode_factor(state.mode_blocks, state.power_blocks)  # (B, L, nb, n, n)
        covariance = interference_by_block(self.interferers_adjoint, factors, self.interferer_index)
        power = real_trace(covariance).sum(-1)
        noise = add_noise(covariance, self.game.noise_power[:, None])
        if self.primary_noise is not None:
            noise = noise + self.primary_noise.movedim(1, 2)
        return noise, power

    def observe(self, state: GameState) -> tuple[Tensor, Tensor, Tensor]:
        """R_H per block (B, L, n_blocks, n, n), MSE_l (B, L) and MUI power (B, L) W of a state:
        :meth:`effective`, :meth:`mse` and :meth:`mui` sharing their work."""
        noise, mui = self.noise_and_mui(state)
        whitened = whitened_channel(self.direct_by_link, noise)  # (B, L, nb, A, n)
        effective = whitened.mH @ whitened  # Hermitian up to round-off; eigh reads one triangle
        neg_captured = structured_mse_whitened(
            whitened, state.mode_blocks, state.power_blocks, state.weight_blocks(self.game), 0.0
        )
        return effective, self.game.target_energy + neg_captured.sum(-1), mui

    def noise_from_covariance(
        self, covariance_blocks: Tensor, *, interference: bool = True
    ) -> Tensor:
        """:meth:`noise_covariance` from covariance blocks (B, L, n_blocks, n, n)."""
        cov = covariance_blocks.movedim(2, 1)  # (B, n_blocks, L, n, n)
        if not interference:
            cov = torch.zeros_like(cov)
        noise = interference_covariance(self.channels, cov, self.game.noise_power[:, None])
        if self.primary_noise is not None:
            noise = noise + self.primary_noise
        return noise

    def effective(self, state: GameState, *, interference: bool = True) -> Tensor:
        """R_H,l = H_llᴴ R_n,l⁻¹ H_ll per block, (B, L, n_blocks, n, n)."""
        noise = self.noise_covariance(state, interference=interference)
        return effective_channel(self.direct, noise).movedim(1, 2)

    def mse(self, state: GameState, effective: Tensor) -> Tensor:
        """Exact MSE_l (8) of the state's pre-equalizers under R_H, (B, L)."""
        zero = torch.zeros((), dtype=self.game.target_energy.dtype, device=effective.device)
        neg_captured = structured_mse(
            effective, state.mode_blocks, state.power_blocks, state.weight_blocks(self.game), zero
        )
        return self.game.target_energy + neg_captured.sum(-1)

    def mui(self, state: GameState) -> Tensor:
        """MUI power at every receiver summed over channel uses, (B, L), W."""
        return self.noise_and_mui(state)[1]

    def respond(self, effective: Tensor) -> Response:
        """Best responses (15) to R_H (B, L, n_blocks, n, n): modes, water-filling powers."""
        game = self.game
        block_gains, block_modes = effective_channel_modes(effective, descending=False)
        # stable: exactly tied gains (e.g. identical channel uses without MUI) keep block order
        gains, order = block_gains.flatten(-2).sort(dim=-1, descending=True, stable=True)
        costs = None
        if self.primary_channels is None:
            powers = semantic_waterfill(game.weights, gains, game.budget)
        else:
            leak = squared_magnitude(self.primary_channels @ block_modes.unsqueeze(-3)).sum(-2)
            costs = (leak / self.primary_share).sum(-2).flatten(-2).gather(-1, order)
            powers = priced_semantic_waterfill(game.weights, gains, game.budget, costs, 1.0)
        rank = torch.empty_like(order).scatter_(
            -1, order, torch.arange(order.shape[-1], device=order.device).expand_as(order)
        )
        power_blocks = powers.gather(-1, rank).view(block_gains.shape)
        state = GameState(self.structure, block_modes, power_blocks, rank.view(block_gains.shape))
        return Response(state, gains, powers, costs)

    def smoothed(self, state: GameState, response: Response, step: float) -> GameState:
        """(20) in the power domain on the response's modes (see :mod:`semgym.solvers.dynamics`):
        p^{t+1}[m] = p^t[m] + γ (B(p)[m] − p^t[m]) per semantic index m, V^{t+1} = V_BR."""
        if step == 1.0:
            return response.state
        target = response.state
        powers = state.powers + step * (response.powers - state.powers)
        blocks = powers.gather(-1, target.rank.flatten(-2)).view(target.power_blocks.shape)
        return GameState(self.structure, target.mode_blocks, blocks, target.rank)

    def evaluate(self, state: GameState, *, interference: bool = True) -> GameMetrics:
        """MSE, NMSE, MUI and exploitability of ``state`` (``interference=False``: every link
        evaluated and best-responding with R_n = σ²I, the MUI-less setting)."""
        return self.assess(state, interference=interference)[0]

    def assess(
        self, state: GameState, *, interference: bool = True
    ) -> tuple[GameMetrics, Response]:
        """:meth:`evaluate` and the best responses (Jacobi update) it computed on the way."""
        effective = self.effective(state, interference=interference)
        mse = self.mse(state, effective)
        response = self.respond(effective)
        best = self.game.target_energy - semantic_utility(
            self.game.weights, response.gains, response.powers
        )
        exploit = (mse - best).amax(-1).clamp_min(0.0)
        nmse = mse / self.game.target_energy
        mui = self.mui(state) if interference else torch.zeros_like(mse)
        metrics = GameMetrics(mse, nmse, mse.mean(-1), nmse.mean(-1), mui, exploit, best)
        return metrics, response

    def initial_state(self, seed: int | Sequence[int] = 0) -> GameState:
        """Algorithm 1 input, block-diagonal and seeded: per link and channel use a Haar-random
        unitary V_k (QR of CN(0, 1)), powers p = K·P_max · e/Σe with e ~ Exp(1) over all M
        modes, and a random assignment of semantic directions to modes. Game b draws from
        ``seed[b]`` (an int: the same draw for every game), so a batch equals single games.
        This is F⁽⁰⁾ with tr(F Fᴴ) = K·P_max; the dense structure starts from the same
        (block-diagonal) F⁽⁰⁾, so both structures share their trajectories."""
        game = self.game
        b, n_links, k, n = game.batch_size, game.n_links, game.channel_uses, game.n_tx
        seeds = [int(seed)] * b if isinstance(seed, int) else [int(s) for s in seed]
        if len(seeds) != b:
            raise ValueError(f"seed must be an int or {b} ints (one per game), got {len(seeds)}")
        real = torch.float64  # drawn in float64 on the CPU: every dtype and device, same start
        parts, raw, order = [], [], []
        for s in seeds:
            gen = torch.Generator().manual_seed(s)
            parts.append(torch.randn(n_links, k, n, n, 2, dtype=real, generator=gen))
            raw.append(torch.rand(n_links, k * n, dtype=real, generator=gen))
            order.append(torch.rand(n_links, k * n, generator=gen).argsort(-1))
        q, r = torch.linalg.qr(torch.view_as_complex(torch.stack(parts)))
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


def evaluate(game: InterferenceGame, state: GameState, *, interference: bool = True) -> GameMetrics:
    """:meth:`GameOperator.evaluate` for ``state`` in its own structure."""
    return GameOperator(game, state.structure).evaluate(state, interference=interference)


def relative_change(new: GameState, old: GameState) -> Tensor:
    """‖Q_l^{new} − Q_l^{old}‖_F / ‖Q_l^{old}‖_F per link, (B, L)."""
    a, b = new.covariance_blocks, old.covariance_blocks
    diff = (a - b).abs().square().sum((-3, -2, -1)).sqrt()
    ref = b.abs().square().sum((-3, -2, -1)).sqrt()
    return diff / ref.clamp_min(torch.finfo(ref.dtype).tiny)
