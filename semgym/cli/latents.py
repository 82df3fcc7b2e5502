"""``semgym latents {build,info,extract,ceilings}``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from semgym.cli import HelpFormatter, positive_int
from semgym.latents.bank import LatentBank, save_bank


def add_subparser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Attach the ``latents`` command and its subcommands to ``subparsers``."""
    from semgym.latents.extract import DEFAULT_ENCODERS
    from semgym.latents.loading import available_banks

    parser = subparsers.add_parser(
        "latents",
        help="build, inspect and extract latent banks",
        formatter_class=HelpFormatter,
    )
    sub = parser.add_subparsers(dest="latents_command", required=True)

    build = sub.add_parser(
        "build",
        formatter_class=HelpFormatter,
        help="build (or refresh) an embedded bank into the cache",
    )
    build.add_argument("name", choices=[b for b in available_banks() if b != "synthetic"])
    build.add_argument("--cache-dir", default=None, help="cache folder (default: $SEMGYM_CACHE)")
    build.add_argument("--rebuild", action="store_true", help="rebuild even if cached")
    build.set_defaults(func=_build)

    info = sub.add_parser(
        "info",
        formatter_class=HelpFormatter,
        help="print a bank's encoders, widths and native accuracies",
    )
    info.add_argument("name", help=f"one of {', '.join(available_banks())} or a .npz path")
    info.add_argument("--cache-dir", default=None, help="cache folder (default: $SEMGYM_CACHE)")
    info.set_defaults(func=_info)

    extract = sub.add_parser(
        "extract",
        formatter_class=HelpFormatter,
        help="encode CIFAR-10 with pretrained timm backbones into a bank file",
    )
    extract.add_argument("--output", "-o", required=True, help="bank file to write (.npz)")
    extract.add_argument(
        "--encoders",
        default=",".join(DEFAULT_ENCODERS),
        help="comma-separated timm model names (default: the papers' backbones)",
    )
    extract.add_argument("--root", default="data", help="CIFAR-10 download folder")
    extract.add_argument(
        "--limit", type=positive_int, default=None, help="at most N samples per split"
    )
    extract.add_argument("--batch-size", type=positive_int, default=64, help="images per batch")
    extract.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    extract.add_argument(
        "--no-pretrained", action="store_true", help="random-init models (for testing)"
    )
    extract.set_defaults(func=_extract)

    ceilings = sub.add_parser(
        "ceilings",
        formatter_class=HelpFormatter,
        help="alignment ceilings of every encoder pair: native, unaligned, least squares, "
        "widely linear and linear (the receivers' test accuracy, no channel)",
    )
    ceilings.add_argument("name", nargs="?", default="mnist5k", help="bank (default: mnist5k)")
    ceilings.add_argument(
        "--rank",
        type=positive_int,
        default=160,
        help="real symbols of the rank-limited columns (default 160 = 2·K·N_T at K=10, N_T=8)",
    )
    ceilings.add_argument("--links", action="store_true", help="only the bank's default links")
    ceilings.set_defaults(func=_ceilings)
    return parser


def _ceilings(args: argparse.Namespace) -> int:
    from semgym.latents import paper_links
    from semgym.scenarios.ceilings import alignment_ceilings, format_ceilings
    from semgym.scenarios.latents import cached_bank

    pairs = list(paper_links(cached_bank(args.name))) if args.links else None
    print(format_ceilings(alignment_ceilings(args.name, pairs, rank=args.rank), args.name))
    return 0


def format_bank(bank: LatentBank) -> str:
    """A short table: encoder, width, native test accuracy."""
    lines = [
        f"bank {bank.name}: {bank.n_samples} samples ({bank.train_index.size} train / "
        f"{bank.test_index.size} test), {bank.n_classes} classes",
        f"{'encoder':<24}{'width':>8}{'native acc':>12}",
    ]
    for enc in bank.encoders:
        lines.append(f"{enc:<24}{bank.dim(enc):>8}{bank.native_accuracy[enc]:>12.4f}")
    if "build_seconds" in bank.meta:
        lines.append(f"build seconds: {bank.meta['build_seconds']}")
    return "\n".join(lines)


def _build(args: argparse.Namespace) -> int:
    from semgym.latents.loading import load_bank

    bank = load_bank(args.name, cache_dir=args.cache_dir, rebuild=args.rebuild)
    sys.stdout.write(format_bank(bank) + "\n")
    return 0


def _info(args: argparse.Namespace) -> int:
    from semgym.latents.loading import load_bank

    try:
        bank = load_bank(args.name, cache_dir=args.cache_dir)
    except ValueError as error:
        sys.stderr.write(f"semgym latents info: {error}\n")
        return 2
    sys.stdout.write(format_bank(bank) + "\n")
    return 0


def _extract(args: argparse.Namespace) -> int:
    from semgym.latents.extract import extract_cifar10

    encoders = [name.strip() for name in args.encoders.split(",") if name.strip()]
    if not encoders:
        sys.stderr.write("semgym latents extract: --encoders is empty\n")
        return 2
    if not args.output.endswith(".npz"):
        sys.stderr.write("semgym latents extract: --output must end in .npz\n")
        return 2
    bank = extract_cifar10(
        encoders,
        root=args.root,
        pretrained=not args.no_pretrained,
        limit=args.limit,
        batch_size=args.batch_size,
        device=args.device,
    )
    path = save_bank(bank, Path(args.output))
    sys.stdout.write(format_bank(bank) + f"\nwrote {path}\n")
    return 0
