"""Command line: ``semgym demo``, ``semgym latents ...``, ``semgym figures ...``.

The one place for command-line code: it sits on top of every layer (each verb's module here
parses its arguments and calls the library), and no library module imports it."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from semgym._validation import check_finite, check_positive, check_seed


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help shows its default, unless the help already says it (or there is
    none: flags, and options whose absence means something the help explains)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return text
        return super()._get_help_string(action)


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (its error is argparse's one line)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not an integer >= 1")
    return value


def seed(text: str) -> int:
    """An argparse type: a seed, an integer in [0, 2**62)."""
    try:
        return check_seed("seed", int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer in [0, 2**62)") from None


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        return check_positive("value", float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number > 0") from None


def finite_float(text: str) -> float:
    """An argparse type: a finite number."""
    try:
        return check_finite("value", float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number") from None


def build_parser() -> argparse.ArgumentParser:
    """The ``semgym`` argument parser with every subcommand attached."""
    from semgym.cli import demo, figures, latents

    parser = argparse.ArgumentParser(
        prog="semgym", description=__doc__, formatter_class=HelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error (not one line)"
    )
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
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError, RuntimeError) as error:
        if args.debug:
            raise
        message = str(error) or type(error).__name__
        print(
            f"semgym {args.command}: error: {message} (--debug shows the traceback)",
            file=sys.stderr,
        )
        return 2
