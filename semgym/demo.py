"""``semgym demo``: the embedded bank, its encoders, and the paper's three links end to end.

Prints each encoder's native accuracy, then for the paper's three links (L = 3,
N_T = N_R = 8, K = 10, α = 3, P_max = 1 W, Rician channel seed 27) the receiver's accuracy
with unaligned latents and with a channel-free least-squares alignment, and, for both
processings (the papers' complex-linear transceivers and widely-linear ones), over the channel
with the semantic water-filling precoder designed without MUI: noiseless, with thermal noise,
at a low SNR, and with all three links on the air (thermal + MUI); and at the game's
equilibrium (best-response dynamics, Gauss-Seidel, thermal noise + MUI). Ends with the
equilibrium's network accuracy and NMSE over the paper's six channel seeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from semgym import demo_game
from semgym.channels import InterferenceChannelConfig, sample_interference_channels
from semgym.latents import LatentBank, load_bank, paper_links
from semgym.policies.evaluation import PAPER_SEEDS
from semgym.scenarios import (
    GameOperator,
    GameState,
    InterferenceGame,
    LatentLink,
    cached_bank,
    game_accuracy,
    latent_link,
)
from semgym.scenarios.ceilings import least_squares_accuracy, unaligned_accuracy
from semgym.scenarios.latents import PROCESSING
from semgym.solvers import best_response_dynamics

logger = logging.getLogger(__name__)

#: Game iterations of the equilibrium columns (Gauss-Seidel: an ε-equilibrium at K = 10).
EQUILIBRIUM_ITERATIONS = 40


@dataclass(frozen=True)
class LinkReport:
    """Accuracies (test split, fraction) and NMSE of one link under each condition.

    ``over_channel[processing][condition]`` is (accuracy, NMSE).
    """

    tx: str
    rx: str
    native: float
    unaligned: float
    least_squares: float
    over_channel: dict[str, dict[str, tuple[float, float]]]


@dataclass(frozen=True)
class EquilibriumSummary:
    """The game's equilibrium over several channel seeds, per processing: network accuracy
    and NMSE (means over links and seeds) and the receivers' mean native accuracy."""

    seeds: tuple[int, ...]
    accuracy: dict[str, float]
    nmse: dict[str, float]
    native: float


def _score(
    game: InterferenceGame, state: GameState, links: Sequence[LatentLink], seed: int
) -> list[tuple[float, float]]:
    """(accuracy, NMSE) per link of a single game's state."""
    evaluation = GameOperator(game).evaluate(state)
    accuracy = game_accuracy(game, state, evaluation, links, seed=seed)
    return [(float(a), float(n)) for a, n in zip(accuracy, evaluation.nmse[0], strict=True)]


def _conditions(
    links: Sequence[LatentLink],
    config: InterferenceChannelConfig,
    channel_uses: int,
    seed: int,
    low_snr_db: float,
) -> dict[str, list[tuple[float, float]]]:
    """Every condition's (accuracy, NMSE) per link, for one processing's links."""
    sampled = sample_interference_channels(config, seed=[seed], dtype=torch.complex128)
    thermal = float(sampled.noise_power[0])
    direct_gain = float(sampled.path_gain.diagonal().mean()) * config.tx_power_w
    pairs = [link.pair for link in links]
    blind = {
        "noiseless": (direct_gain * 1e-10, False),
        "thermal": (thermal, False),
        f"snr{low_snr_db:g}dB": (direct_gain / 10 ** (low_snr_db / 10), False),
        "thermal+MUI": (thermal, True),
    }
    results = {}
    for name, (noise, mui) in blind.items():
        game = InterferenceGame.from_pairs(sampled, pairs, channel_uses, noise_power=noise)
        if not mui:  # the links do not hear each other
            alone = torch.eye(game.n_links, dtype=game.channels.dtype)[:, :, None, None]
            game = dataclasses.replace(game, channels=game.channels * alone)
        state = GameOperator(game).interference_free_state()
        results[name] = _score(game, state, links, seed)
    game = InterferenceGame.from_pairs(sampled, pairs, channel_uses)
    trace = best_response_dynamics(
        game, scheme="gauss_seidel", max_iters=EQUILIBRIUM_ITERATIONS, tol=1e-9, seed=seed
    )
    results["equilibrium"] = _score(game, trace.state, links, seed)
    return results


def equilibrium_summary(
    bank_name: str,
    config: InterferenceChannelConfig,
    channel_uses: int,
    seeds: Sequence[int] = PAPER_SEEDS,
) -> EquilibriumSummary:
    """The best-response equilibrium (Gauss-Seidel, thermal noise + MUI) of the paper's links
    on every seed, for both processings."""
    seeds = tuple(int(s) for s in seeds)
    sampled = sample_interference_channels(config, seed=list(seeds), dtype=torch.complex128)
    accuracy, nmse, native = {}, {}, 0.0
    for processing in PROCESSING:
        links = [
            latent_link(bank_name, tx, rx, processing)
            for tx, rx in paper_links(cached_bank(bank_name))
        ]
        game = InterferenceGame.from_pairs(sampled, [link.pair for link in links], channel_uses)
        trace = best_response_dynamics(
            game, scheme="gauss_seidel", max_iters=EQUILIBRIUM_ITERATIONS, tol=1e-9
        )
        evaluation = GameOperator(game).evaluate(trace.state)
        per_seed = [
            game_accuracy(game, trace.state, evaluation, links, index=b, seed=s)
            for b, s in enumerate(seeds)
        ]
        accuracy[processing] = float(np.mean(per_seed))
        nmse[processing] = float(evaluation.network_nmse.mean())
        native = float(np.mean([link.native_accuracy for link in links]))
    return EquilibriumSummary(seeds, accuracy, nmse, native)


def run_demo(
    bank_name: str = "mnist5k",
    *,
    alpha: float = 3.0,
    n_antennas: int = 8,
    channel_uses: int = 10,
    seed: int = 27,
    low_snr_db: float = 0.0,
) -> list[LinkReport]:
    """Compute the demo's per-link figures (see the module docstring)."""
    bank = load_bank(bank_name)
    links = paper_links(bank)
    config = InterferenceChannelConfig(
        n_links=len(links), n_tx_antennas=n_antennas, n_rx_antennas=n_antennas, alpha=alpha
    )
    over = {
        processing: _conditions(
            [latent_link(bank_name, tx, rx, processing) for tx, rx in links],
            config,
            channel_uses,
            seed,
            low_snr_db,
        )
        for processing in PROCESSING
    }
    return [
        LinkReport(
            tx=tx,
            rx=rx,
            native=bank.native_accuracy[rx],
            unaligned=unaligned_accuracy(bank_name, tx, rx),
            least_squares=least_squares_accuracy(bank_name, tx, rx),
            over_channel={p: {c: over[p][c][i] for c in over[p]} for p in PROCESSING},
        )
        for i, (tx, rx) in enumerate(links)
    ]


def _print_report(
    bank: LatentBank,
    reports: list[LinkReport],
    summary: EquilibriumSummary,
    args: argparse.Namespace,
) -> None:
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
        f"{args.seed}; receiver = Wiener. The first four over-the-channel columns use the "
        "semantic water-filling precoder designed without MUI; 'equilibrium' is the game's "
        f"(best response, Gauss-Seidel, {EQUILIBRIUM_ITERATIONS} iterations, thermal + MUI). "
        "linear: the papers' complex-linear F and G; widely linear: any real-linear map of the "
        "real-composite latent."
    )
    names = list(reports[0].over_channel["linear"])
    columns = "".join(f"{n:>13}" for n in names)
    print(
        "\naccuracy on the test split\n"
        f"{'link (tx → rx)':<30}{'native':>7}{'unaligned':>10}{'LS':>7}  {'processing':<14}"
        + columns
    )
    for r in reports:
        for processing in PROCESSING:
            row = (
                f"{r.tx + ' → ' + r.rx:<30}{r.native:>7.1%}{r.unaligned:>10.1%}"
                f"{r.least_squares:>7.1%}"
                if processing == PROCESSING[0]
                else " " * 54
            )
            values = r.over_channel[processing]
            print(row + f"  {processing:<14}" + "".join(f"{values[n][0]:>13.1%}" for n in names))
    print(
        f"\nNMSE (closed form, 1.0 = nothing conveyed)\n{'link (tx → rx)':<30}  {'processing':<14}"
        + columns
    )
    for r in reports:
        for processing in PROCESSING:
            label = r.tx + " → " + r.rx if processing == PROCESSING[0] else ""
            values = r.over_channel[processing]
            print(
                f"{label:<30}  {processing:<14}" + "".join(f"{values[n][1]:>13.4f}" for n in names)
            )
    print(
        f"\nThe game's equilibrium on the paper's channel seeds {list(summary.seeds)} "
        f"(thermal noise + MUI): network accuracy "
        + ", ".join(f"{p} {summary.accuracy[p]:.1%}" for p in PROCESSING)
        + f" (receivers' mean native accuracy {summary.native:.1%}); network NMSE "
        + ", ".join(f"{p} {summary.nmse[p]:.4f}" for p in PROCESSING)
        + "."
    )


def command(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    bank = load_bank(args.bank)
    options = ("alpha", "n_antennas", "channel_uses", "seed", "low_snr_db")
    reports = run_demo(args.bank, **{name: getattr(args, name) for name in options})
    config = InterferenceChannelConfig(
        n_links=len(reports),
        n_tx_antennas=args.n_antennas,
        n_rx_antennas=args.n_antennas,
        alpha=args.alpha,
    )
    summary = equilibrium_summary(args.bank, config, args.channel_uses)
    _print_report(bank, reports, summary, args)
    print(f"\n({time.perf_counter() - start:.1f} s)")
    demo_game.print_game_demo(args)
    return 0
