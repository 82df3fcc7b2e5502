"""``semgym demo``: the embedded bank, its encoders, and the paper's three links end to end."""

from __future__ import annotations

import argparse
from pathlib import Path

from semgym.cli import HelpFormatter, finite_float, positive_float, positive_int, seed


def add_subparser(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``semgym demo`` to the CLI."""
    from semgym import demo, demo_game

    parser = subparsers.add_parser(
        "demo",
        help="native and aligned accuracy on the default bank",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--bank", default="mnist5k", help="latent bank")
    parser.add_argument("--alpha", type=positive_float, default=3.0, help="MUI scaling factor α")
    parser.add_argument("--n-antennas", type=positive_int, default=8, help="N_T = N_R")
    parser.add_argument("--channel-uses", type=positive_int, default=10, help="K")
    parser.add_argument("--seed", type=seed, default=27, help="channel seed")
    parser.add_argument(
        "--low-snr-db", type=finite_float, default=0.0, help="SNR of the low-SNR column"
    )
    parser.add_argument(
        "--game-out", type=Path, default=demo_game.DEFAULT_OUT, help="folder of the game's figure"
    )
    parser.set_defaults(func=demo.command)
