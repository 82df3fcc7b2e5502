"""``semgym demo``: the embedded bank, its encoders, and the paper's three links end to end.

Prints each encoder's native accuracy, then for the paper's three links (L = 3,
N_T = N_R = 8, K = 10, α = 3, P_max = 1 W, Rician channel seed 27) the receiver's accuracy
with unaligned latents, with a channel-free least-squares alignment, and over the channel with
the semantic water-filling precoder: noiseless, with thermal noise, at a low SNR, and with all
three links on the air (multi-user interference, each link designed as if alone).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from dataclasses import dataclass

import torch

from semgym.channels import InterferenceChannelConfig, sample_interference_channels
from semgym.core.alignment import least_squares_alignment
from semgym.latents import LatentBank, load_bank, paper_links
from semgym.scenarios import GameOperator, InterferenceGame, LatentLink, game_accuracy, latent_link

logger = logging.getLogger(__name__)

_DTYPE = torch.float64


@dataclass(frozen=True)
class LinkReport:
    """Accuracies (test split, fraction) and NMSE of one link under each condition."""

    tx: str
    rx: str
    native: float
    unaligned: float
    least_squares: float
    over_channel: dict[str, tuple[float, float]]  # condition → (accuracy, NMSE)


def _unaligned_accuracy(bank: LatentBank, tx: str, rx: str) -> float:
    """Tx latents fed straight to the rx head, truncated or zero-padded to its width."""
    latents = torch.as_tensor(bank.test(tx), dtype=_DTYPE)
    width = bank.dim(rx)
    latents = torch.nn.functional.pad(latents, (0, max(0, width - latents.shape[-1])))[:, :width]
    return bank.accuracy(rx, latents, bank.test_labels)


def _least_squares_accuracy(bank: LatentBank, tx: str, rx: str) -> float:
    weight, bias = least_squares_alignment(
        torch.as_tensor(bank.train(tx), dtype=_DTYPE), torch.as_tensor(bank.train(rx), dtype=_DTYPE)
    )
    aligned = torch.as_tensor(bank.test(tx), dtype=_DTYPE) @ weight.mT + bias
    return bank.accuracy(rx, aligned, bank.test_labels)


def _over_channel(
    links: list[LatentLink],
    game: InterferenceGame,
    *,
    interference: bool,
    seed: int,
) -> list[tuple[float, float]]:
    """(accuracy, NMSE) per link with the interference-free water-filling design (MUI-unaware)
    and Wiener receivers; without ``interference`` the links do not hear each other."""
    if not interference:
        alone = torch.eye(game.n_links, dtype=game.channels.dtype)[:, :, None, None]
        game = dataclasses.replace(game, channels=game.channels * alone)
    operator = GameOperator(game)
    state = operator.interference_free_state()
    evaluation = operator.evaluate(state)
    accuracy = game_accuracy(game, state, evaluation, links, seed=seed)
    return [(float(a), float(n)) for a, n in zip(accuracy, evaluation.nmse[0], strict=True)]


def run_demo(
    bank_name: str = "mnist5k",
    *,
    alpha: float = 3.0,
    n_antennas: int = 8,
    channel_uses: int = 10,
    seed: int = 27,
    low_snr_db: float = 0.0,
) -> list[LinkReport]:
    """Compute the demo's figures (see the module docstring); returns one report per link."""
    bank = load_bank(bank_name)
    links = [latent_link(bank_name, tx, rx) for tx, rx in paper_links(bank)]
    config = InterferenceChannelConfig(
        n_links=len(links), n_tx_antennas=n_antennas, n_rx_antennas=n_antennas, alpha=alpha
    )
    sampled = sample_interference_channels(config, seed=[seed], dtype=torch.complex128)
    thermal = float(sampled.noise_power[0])
    direct_gain = float(sampled.path_gain.diagonal().mean()) * config.tx_power_w
    conditions = {
        "noiseless": (direct_gain * 1e-10, False),
        "thermal": (thermal, False),
        f"snr{low_snr_db:g}dB": (direct_gain / 10 ** (low_snr_db / 10), False),
        "thermal+MUI": (thermal, True),
    }
    pairs = [link.pair for link in links]
    over = {
        name: _over_channel(
            links,
            InterferenceGame.from_pairs(sampled, pairs, channel_uses, noise_power=noise),
            interference=mui,
            seed=seed,
        )
        for name, (noise, mui) in conditions.items()
    }
    return [
        LinkReport(
            tx=tx,
            rx=rx,
            native=bank.native_accuracy[rx],
            unaligned=_unaligned_accuracy(bank, tx, rx),
            least_squares=_least_squares_accuracy(bank, tx, rx),
            over_channel={name: over[name][i] for name in conditions},
        )
        for i, (tx, rx) in enumerate((link.tx, link.rx) for link in links)
    ]


def _print_report(bank: LatentBank, reports: list[LinkReport], args: argparse.Namespace) -> None:
    print(
        f"semgym demo — latent bank {bank.name!r}: {bank.n_samples} samples, "
        f"{len(bank.train_labels)} train / {len(bank.test_labels)} test, {bank.n_classes} classes"
    )
    print(f"\n{'encoder':<16}{'width':>7}{'native accuracy':>18}")
    for enc in bank.encoders:
        print(f"{enc:<16}{bank.dim(enc):>7}{bank.native_accuracy[enc]:>17.1%}")
    xi = args.channel_uses / (min(bank.dim(r.tx) for r in reports) / 2)
    print(
        f"\nThe paper's three links: N_T = N_R = {args.n_antennas}, K = {args.channel_uses} "
        f"channel uses (ξ = K/(d/2) ≤ {xi:.3f}), α = {args.alpha:g}, P_max = 1 W, Rician seed "
        f"{args.seed}; precoder = semantic water-filling designed without MUI, receiver = Wiener."
    )
    names = list(reports[0].over_channel)
    head = f"{'link (tx → rx)':<34}{'native':>8}{'unaligned':>10}{'LS, no ch.':>11}"
    head += "".join(f"{n:>14}" for n in names)
    print("\naccuracy on the test split\n" + head)
    for r in reports:
        row = (
            f"{r.tx + ' → ' + r.rx:<34}{r.native:>8.1%}{r.unaligned:>10.1%}{r.least_squares:>11.1%}"
        )
        row += "".join(f"{r.over_channel[n][0]:>14.1%}" for n in names)
        print(row)
    print(
        "\nNMSE (closed form, 1.0 = nothing conveyed)\n"
        + f"{'link':<34}"
        + "".join(f"{n:>14}" for n in names)
    )
    for r in reports:
        print(
            f"{r.tx + ' → ' + r.rx:<34}" + "".join(f"{r.over_channel[n][1]:>14.4f}" for n in names)
        )


def _command(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    bank = load_bank(args.bank)
    options = ("alpha", "n_antennas", "channel_uses", "seed", "low_snr_db")
    reports = run_demo(args.bank, **{name: getattr(args, name) for name in options})
    _print_report(bank, reports, args)
    print(f"\n({time.perf_counter() - start:.1f} s)")
    return 0


def add_subparser(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``semgym demo`` to the CLI."""
    parser = subparsers.add_parser("demo", help="native and aligned accuracy on the default bank")
    parser.add_argument("--bank", default="mnist5k", help="latent bank (default: mnist5k)")
    parser.add_argument("--alpha", type=float, default=3.0, help="MUI scaling factor α")
    parser.add_argument("--n-antennas", type=int, default=8, help="N_T = N_R")
    parser.add_argument("--channel-uses", type=int, default=10, help="K")
    parser.add_argument("--seed", type=int, default=27, help="channel seed")
    parser.add_argument("--low-snr-db", type=float, default=0.0, help="SNR of the low-SNR column")
    parser.set_defaults(func=_command)
