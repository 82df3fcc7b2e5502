"""Alignment ceilings: how well a receiver can understand a transmitter at all, without a channel.

For a latent pair, the receiver head's test accuracy when its latents are replaced by:
the transmitter's latents as they are (unaligned), an affine least-squares map fitted on the
train split (``least_squares``), and the linear MMSE estimate P x of the pair's statistics,
full rank or of rank r (the r strongest semantic directions, what r transmitted symbols can
carry at best), with widely-linear processing (any real-linear map of the real-composite
latent) or the papers' linear one (complex-linear maps of the packed symbols). The channel
can only lose from there: these are the ceilings of every over-the-air figure.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from semgym.core.alignment import least_squares_alignment
from semgym.latents import paper_links
from semgym.scenarios.latents import LatentLink, cached_bank, latent_link

_REAL = torch.float64


@dataclass(frozen=True)
class AlignmentCeiling:
    """Test accuracies (fractions) of the receiver's head for one ordered pair.

    Attributes:
        tx, rx: encoders. native: the head on the receiver's own latents. unaligned: on the
        transmitter's latents, truncated or zero-padded. least_squares: after an affine least-
        squares map. widely_linear, linear: the LMMSE estimate of each processing, full rank.
        widely_linear_rank, linear_rank: of rank ``rank`` real (``rank/2`` complex) symbols.
    """

    tx: str
    rx: str
    native: float
    unaligned: float
    least_squares: float
    widely_linear: float
    widely_linear_rank: float
    linear: float
    linear_rank: float
    rank: int


def unaligned_accuracy(bank_name: str, tx: str, rx: str) -> float:
    """The rx head on the tx test latents, truncated or zero-padded to its width."""
    bank = cached_bank(bank_name)
    latents = torch.as_tensor(bank.test(tx), dtype=_REAL)
    width = bank.dim(rx)
    latents = torch.nn.functional.pad(latents, (0, max(0, width - latents.shape[-1])))[:, :width]
    return float(bank.accuracy(rx, latents, bank.test_labels))


def least_squares_accuracy(bank_name: str, tx: str, rx: str) -> float:
    """The rx head after an affine least-squares map fitted on the train split."""
    bank = cached_bank(bank_name)
    weight, bias = least_squares_alignment(
        torch.as_tensor(bank.train(tx), dtype=_REAL), torch.as_tensor(bank.train(rx), dtype=_REAL)
    )
    aligned = torch.as_tensor(bank.test(tx), dtype=_REAL) @ weight.mT + bias
    return float(bank.accuracy(rx, aligned, bank.test_labels))


def estimate_accuracy(link: LatentLink, rank: int | None = None) -> float:
    """The rx head on the LMMSE estimate ŷ = P x of the test targets (whitened x), with P
    truncated to its ``rank`` strongest singular directions (None: full rank)."""
    cross = link.pair.stats.cross_covariance
    if rank is not None:
        u, sigma, vh = torch.linalg.svd(cross, full_matrices=False)
        cross = (u[:, :rank] * sigma[:rank].to(u.dtype)) @ vh[:rank]
    return link.accuracy(link.test_symbols @ cross.mT)


def alignment_ceilings(
    bank_name: str,
    pairs: Sequence[tuple[str, str]] | None = None,
    *,
    rank: int = 160,
) -> list[AlignmentCeiling]:
    """:class:`AlignmentCeiling` of every ordered pair of the bank's encoders (or of
    ``pairs``); ``rank`` real symbols (default 160 = 2·K·N_T at the paper setting K = 10,
    N_T = 8, i.e. 80 complex ones)."""
    if rank < 2 or rank % 2:
        raise ValueError(f"rank must be an even number of real symbols >= 2, got {rank!r}")
    bank = cached_bank(bank_name)
    if pairs is None:
        pairs = list(itertools.permutations(bank.encoders, 2))
    rows = []
    for tx, rx in pairs:
        wide = latent_link(bank_name, tx, rx, "widely_linear")
        packed = latent_link(bank_name, tx, rx, "linear")
        rows.append(
            AlignmentCeiling(
                tx,
                rx,
                float(bank.native_accuracy[rx]),
                unaligned_accuracy(bank_name, tx, rx),
                least_squares_accuracy(bank_name, tx, rx),
                estimate_accuracy(wide),
                estimate_accuracy(wide, rank),
                estimate_accuracy(packed),
                estimate_accuracy(packed, rank // 2),
                rank,
            )
        )
    return rows


def format_ceilings(rows: Sequence[AlignmentCeiling], bank_name: str) -> str:
    """A Markdown table of :func:`alignment_ceilings`, the bank's default links marked."""
    links = set(paper_links(cached_bank(bank_name)))
    rank = rows[0].rank if rows else 0
    lines = [
        f"| pair (tx → rx) | native | unaligned | LS (affine) | widely linear | WL, rank {rank} "
        f"| linear (complex) | linear, rank {rank // 2} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mark = " (default link)" if (r.tx, r.rx) in links else ""
        lines.append(
            f"| {r.tx} → {r.rx}{mark} | {r.native:.1%} | {r.unaligned:.1%} | "
            f"{r.least_squares:.1%} | {r.widely_linear:.1%} | {r.widely_linear_rank:.1%} | "
            f"{r.linear:.1%} | {r.linear_rank:.1%} |"
        )
    return "\n".join(lines)
