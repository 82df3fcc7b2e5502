"""The game's one evaluation of a state (R_n, MUI, R_H, MSE, best responses, exploitability)
and the maps the solvers iterate."""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym import core
from semgym._runtime import in_pieces
from semgym._validation import check_choice
from semgym.scenarios._scores import NetworkScores
from semgym.scenarios.interference.game import InterferenceGame
from semgym.scenarios.interference.state import STRUCTURES, GameState


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
class Scores(NetworkScores):
    """How a state fares: MSE_l (8), NMSE_l and the MUI power at every receiver (W), (B, L)
    each."""

    mse: Tensor
    nmse: Tensor
    mui_power: Tensor


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
        self.channels = channels  # (B, L, L, A, n), tx-major
        self.direct = core.direct_channels(channels).unsqueeze(2)  # (B, L, 1, A, n)
        #: the gains of the interferers each receiver hears as white noise (B, L, L), or None
        self.far_gain = None
        if game.mui_neighbours is None or game.mui_neighbours >= game.n_links - 1:
            # every interferer exact: one (L, L − 1) index for all games
            self.interferer_index = core.interferer_index(game.n_links, game.channels.device)
        else:  # each game's receivers hear their own k strongest exactly, (B, L, k)
            gain = core.isotropic_gain(game.channels)
            self.interferer_index = core.neighbour_index(gain, game.mui_neighbours)
            self.far_gain = core.far_gain(gain, self.interferer_index)
        interferers = core.interferer_channels(channels, self.interferer_index)
        self.interferers_adjoint = interferers.mH.contiguous()  # (B, L, L − 1 or k, n, A)
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
            (self.interferer_index if self.far_gain is not None else None, 2),
            (self.far_gain, 2),
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
        neighbours: Tensor | None,
        far_gain: Tensor | None,
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
            index = self.interferer_index if neighbours is None else neighbours
            mui = core.interference_by_block(interferers_adjoint, interfering, index)
            if far_gain is not None:  # the interferers beyond the neighbourhood, as noise
                mui = mui + self.far_noise(far_gain, interfering)
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

    def far_noise(self, far_gain: Tensor, interfering: Tensor) -> Tensor:
        """The white noise (b, L, n_blocks, A, A) of the interferers beyond every receiver's
        neighbourhood (:func:`~semgym.core.far_interference`), per channel use: on the
        block path one value per block, on the dense path each use's value on its N_R
        receive dimensions."""
        uses = self.game.channel_uses
        per_use = (
            interfering.unflatten(-2, (uses, -1)) if self.structure == "dense" else interfering
        )
        use_power = per_use.abs().square().sum((-2, -1))  # (b, L, K) (dense: (b, L, 1, K))
        far = core.far_interference(far_gain, use_power.reshape(*use_power.shape[:2], uses))
        if self.structure == "block":
            diagonal = far[..., None].expand(*far.shape, self.game.channels.shape[-2])
        else:
            diagonal = far.repeat_interleave(self.game.channels.shape[-2], -1).unsqueeze(2)
        return torch.diag_embed(diagonal)

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

    # --- channels known up to an error ----------------------------------------------------------
    def expected_received(self, state: GameState, uncertainty: Tensor) -> Received:
        """What every receiver expects of ``state`` when every channel is known only up to an
        error: this operator's game holds the channels' conditional means H̄_{j,l}, and
        ``uncertainty`` ε_{j,l} (B, L, L) real, tx-major, is the variance of every (complex)
        entry of H_{j,l} − H̄_{j,l}, i.i.d. and independent of the signals.

        A receiver that knows only H̄ sees its signal through H̄_ll and everything else as
        noise: R̄_n,l = σ²I + Σ_{j≠l} H̄_{j,l} Q_j H̄_{j,l}ᴴ + Σ_j ε_{j,l} E[Δ Q_j Δᴴ] (the
        interferers' unknown parts and its own, :func:`~semgym.core.expected_congruence`),
        the second moments of what it receives. Its Wiener receiver's MSE, averaged over the
        errors, is then exactly (8) with R̄_H,l = H̄_llᴴ R̄_n,l⁻¹ H̄_ll (the ``effective`` of
        the result; :meth:`expected_mse`): an upper bound on the MSE of the receiver that
        knows the channel."""
        game = self.game
        uses = game.channel_uses if self.structure == "dense" else 1
        composite = game.widely_linear
        received = self.received(state.factors)
        covariances = state.covariance_blocks  # Q_j per block, (B, L, nb, n, n)
        rows = self.direct.shape[-2] // (uses * (2 if composite else 1))
        spread = core.expected_congruence(covariances, uses, rows, real_composite=composite)
        noise = received.noise_covariance + torch.einsum(
            "bjl,bjkxy->blkxy", uncertainty.to(spread.dtype), spread
        )
        whitened = core.whitened_channel(self.direct, noise)
        return Received(noise, received.mui_power, whitened, core.whitened_gram(whitened))

    def expected_mse(self, state: GameState, uncertainty: Tensor) -> Tensor:
        """E[MSE_l] (B, L) of ``state``'s pre-equalizers with the Wiener receiver that knows the
        channels only up to ``uncertainty`` (see :meth:`expected_received`), in closed form."""
        return self.mse_seen(self.expected_received(state, uncertainty).whitened, state)

    def mse_seen(self, whitened: Tensor, state: GameState) -> Tensor:
        """MSE_l (8) of ``state``'s pre-equalizers, (B, L), for receivers whose noise and
        interference whiten their direct channels to ``whitened`` W_l (B, L, n_blocks, A, n)
        (the :class:`Received` of any interference, e.g. the others' precoders held fixed)."""
        weights = state.weight_blocks(self.game)
        captured = -core.structured_mse_whitened(whitened, state.factors, weights, 0.0)
        return self.game.target_energy - captured.sum(-1)

    def robust_responses(self, state: GameState, uncertainty: Tensor) -> Response:
        """Best responses (15) to the effective channels R̄_H of :meth:`expected_received`:
        every link water-fills on the expected MSE given what it knows of the channels, the
        unknown part of its own channel taken at its current covariance Q_l (one step of
        the fixed point Q_l = its response's). With ε = 0 it is :meth:`best_responses`."""
        return self.respond(self.expected_received(state, uncertainty).effective)

    def mse(self, state: GameState) -> Tensor:
        """MSE_l (8) of the state's pre-equalizers under the MUI they cause, (B, L), and nothing
        else (no eigendecomposition, no best response): the part of :meth:`evaluate` that
        autograd differentiates with respect to the state's mode and power blocks (the
        cooperative optimum's objective)."""
        mse = self._receive(state.factors, state)[1]
        assert mse is not None
        return mse

    def score(self, state: GameState) -> Scores:
        """MSE_l (8), NMSE_l and the MUI power of ``state``, (B, L) each, and nothing else (no
        best response): how a state fares on channels it was not chosen on (a block of a
        time-varying channel)."""
        received, mse = self._receive(state.factors, state)
        assert mse is not None
        nmse = core.normalized_mse(mse, self.game.target_energy)
        return Scores(mse, nmse, received.mui_power)

    def evaluate(self, state: GameState, *, interference: bool = True) -> Evaluation:
        """The one evaluation of ``state``: R_n, MUI, R_H, MSE, NMSE, best responses and
        exploitability (``interference=False``: every link evaluated and best-responding with
        R_n = σ²I, the MUI-less setting)."""
        game = self.game
        received, mse = self._receive(state.factors if interference else None, state)
        assert mse is not None
        # the best responses describe the next observation, not this state's score: a state
        # differentiated through its MSE (the vector env's differentiable mode) does not carry
        # the eigen- and water-filling solves in its graph
        response = self.respond(received.effective.detach())
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

    # --- interference pricing ---------------------------------------------------------------------
    def sensitivity(self, state: GameState, received: Received) -> Tensor:
        """∂NMSE_l/∂R_n,l of the state's pre-equalizers per block, (B, L, n_blocks, A, A)
        Hermitian PSD (:func:`~semgym.core.mse_noise_sensitivity` over tr(R_y,l)): what every
        receiver announces in interference pricing. ``received`` is the state's
        :class:`Received` (an :class:`Evaluation`'s)."""
        game = self.game
        pi = core.mse_noise_sensitivity(
            self.direct, received.noise_covariance, state.factors, state.weight_blocks(game)
        )
        return pi / game.target_energy[..., None, None, None].to(pi.real.dtype)

    def interference_costs(self, sensitivity: Tensor, response: core.BestResponse) -> Tensor:
        """c_m = Σ_{l≠j} ∂NMSE_l/∂p_{j,m} to first order, (B, L, M) NMSE per W ≥ 0, for link j's
        mode carrying semantic direction m in ``response`` (its modes and order), under the
        announced ``sensitivity`` (:meth:`sensitivity`): the price of each watt a link puts on
        each of its modes, in the other links' NMSE."""
        blocks = core.interference_costs(self.channels, sensitivity, response.block_modes)
        return blocks.flatten(-2).gather(-1, response.order)

    def priced_response(self, sensitivity: Tensor, response: Response) -> Response:
        """``response`` with every link's powers replaced by its priced best response on the
        same modes: max Σ_m w_m λ_m p_m/(1 + λ_m p_m) − tr(R_y,l) Σ_m c_m p_m over its budget,
        c from :meth:`interference_costs` under the announced ``sensitivity``
        (:func:`~semgym.core.semantic_waterfill_with_prices`): the link's captured energy less
        the NMSE it costs the others, in its own energy units."""
        game = self.game
        costs = self.interference_costs(sensitivity, response) * game.target_energy.unsqueeze(-1)
        powers = core.semantic_waterfill_with_prices(
            game.weights, response.gains, game.budget, costs.to(game.weights.dtype)
        )
        return dataclasses.replace(response, powers=powers)

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
