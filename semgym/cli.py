"""Command line: ``semgym demo``, ``semgym latents ...``, ``semgym figures ...``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The ``semgym`` argument parser with every subcommand attached."""
    from semgym import demo
    from semgym.figures import cli as figures_cli
    from semgym.latents import cli as latents_cli

    parser = argparse.ArgumentParser(prog="semgym", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)
    demo.add_subparser(sub)
    latents_cli.add_subparser(sub)
    figures_cli.add_subparser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``semgym`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
    )
    return int(args.func(args) or 0)
