"""Command line: ``semgym demo``, ``semgym latents ...``, ``semgym figures ...``.

The one place for command-line code: it sits on top of every layer (each verb's module here
parses its arguments and calls the library), and no library module imports it."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help shows its default, unless the help already says it (or there is
    none: flags, and options whose absence means something the help explains)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return text
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The ``semgym`` argument parser with every subcommand attached."""
    from semgym.cli import demo, figures, latents

    parser = argparse.ArgumentParser(
        prog="semgym", description=__doc__, formatter_class=HelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)
    demo.add_subparser(sub)
    latents.add_subparser(sub)
    figures.add_subparser(sub)
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
