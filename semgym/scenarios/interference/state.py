"""A state of the interference game: every link's structured pre-equalizer, by blocks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor

from semgym import core
from semgym.scenarios.interference.game import InterferenceGame

#: Ways to store the modes: K per-channel-use blocks (default) or one dense block.
STRUCTURES = ("block", "dense")


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

    def select(self, index: Tensor) -> GameState:
        """The states of the games an int64 index tensor (n,) lists, as a batch of n."""
        return GameState(
            self.structure, self.mode_blocks[index], self.power_blocks[index], self.rank[index]
        )

    def with_link(self, other: GameState, link: int) -> GameState:
        """This state with link ``link``'s precoder replaced by ``other``'s (a unilateral
        deviation; the same structure and shapes)."""
        links = torch.arange(self.rank.shape[1], device=self.rank.device)
        return other.where(links == link, self, dim=1)

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
        """This state where ``keep`` (a (B,) mask over games, with ``dim=1`` an (L,) mask over
        links, or a (B, L) mask over every game's links), else ``other``."""
        shape = [1] * self.rank.dim()
        if keep.dim() == 2:
            shape[:2] = keep.shape
        else:
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


def relative_change(new: GameState, old: GameState) -> Tensor:
    """‖Q_l^{new} − Q_l^{old}‖_F / ‖Q_l^{old}‖_F per link, (B, L)."""
    a, b = new.covariance_blocks, old.covariance_blocks
    diff = core.squared_magnitude(a - b).sum((-3, -2, -1)).sqrt()
    ref = core.squared_magnitude(b).sum((-3, -2, -1)).sqrt()
    return diff / ref.clamp_min(torch.finfo(ref.dtype).tiny)
