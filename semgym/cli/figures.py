"""``semgym figures NAME ... [--out DIR] [--seeds ...] [--quick] [--processing P]
[--ray [--address ADDR]]``: the papers' figures, their CSVs and the reproduction report."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from semgym.cli import HelpFormatter, seed

#: Figure names are checked when the command runs (the figure modules load on demand).
SPECIAL = ("all", "report", "list")


def add_subparser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Attach ``semgym figures`` to the CLI."""
    parser = subparsers.add_parser(
        "figures",
        help="reproduce the papers' figures (PNG + tidy CSV) and the claims report",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="a figure (see 'list'), 'all' (every figure) or 'report' (docs/reproduction.md "
        "from the CSVs in --out)",
    )
    parser.add_argument("--out", default="docs/figures", help="folder of the PNGs and CSVs")
    parser.add_argument(
        "--seeds",
        type=seed,
        nargs="+",
        default=None,
        help="channel seeds (default: the papers' 27 42 100 123 144 200; --quick: 27 42)",
    )
    parser.add_argument("--quick", action="store_true", help="reduced grids (CI)")
    parser.add_argument(
        "--processing",
        default="linear",
        help="transceiver processing: 'linear' (the papers' complex-linear model, default) or "
        "'widely_linear' (any real-linear map of the real-composite latent)",
    )
    parser.add_argument("--bank", default="mnist5k", help="latent bank (default: mnist5k)")
    parser.add_argument("--ray", action="store_true", help="run the points as Ray tasks")
    parser.add_argument(
        "--address", default=None, help="Ray cluster address (default: a local Ray instance)"
    )
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="cache of computed points (default: <semgym cache>/figures)",
    )
    parser.add_argument(
        "--convention",
        default="none",
        help="the public reference code's convention the PNGs show, where a figure offers it "
        "(default: none, semgym's conventions)",
    )
    parser.add_argument(
        "--report", default="docs/reproduction.md", help="where 'report' writes the report"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=_command)
    return parser


def _fail(message: str) -> int:
    print(f"semgym figures: error: {message}", file=sys.stderr)
    return 2


def _write_timings(out: Path, runs: list, backend: str, quick: bool) -> Path:
    """Merge this run's wall times into ``<out>/timings.csv`` (one row per figure)."""
    path = out / "timings.csv"
    rows: dict[str, dict[str, str]] = {}
    if path.exists():
        with path.open(newline="") as handle:
            rows = {r["figure"]: r for r in csv.DictReader(handle)}
    for run in runs:
        rows[run.figure.name] = {
            "figure": run.figure.name,
            "seconds": f"{run.seconds:.1f}",
            "points_computed": str(run.stats.computed_points),
            "seeds_computed": str(run.stats.computed_seeds),
            "seeds_cached": str(run.stats.cached_seeds),
            "backend": backend,
            "quick": str(quick),
        }
    fields = [
        "figure",
        "seconds",
        "points_computed",
        "seeds_computed",
        "seeds_cached",
        "backend",
        "quick",
    ]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[name] for name in sorted(rows))
    return path


def _command(args: argparse.Namespace) -> int:
    from semgym.channels import PAPER_SEEDS
    from semgym.figures import FIGURES, GridOptions, PointCache, run_figure
    from semgym.figures.sweep import QUICK_SEEDS, check_processing
    from semgym.latents import resolve_cache_dir

    try:
        processing = check_processing(args.processing)
    except ValueError as error:
        return _fail(str(error))
    if args.address is not None and not args.ray:
        return _fail("--address needs --ray")
    names: list[str] = []
    for name in args.names:
        if name == "list":
            for fig in FIGURES.values():
                print(f"{fig.name:<20} {fig.paper} paper {fig.label}: {fig.caption}")
            continue
        if name == "all":
            names.extend(FIGURES)
        elif name == "report" or name in FIGURES:
            names.append(name)
        else:
            return _fail(
                f"unknown figure {name!r}; choose from {', '.join(FIGURES)}, {', '.join(SPECIAL)}"
            )
    names = list(dict.fromkeys(names))
    from semgym.figures.claims import CONVENTION_DOCS
    from semgym.figures.figure import NO_CONVENTION

    known = (NO_CONVENTION, *CONVENTION_DOCS)
    if args.convention not in known:
        return _fail(f"unknown --convention {args.convention!r}; choose one of {', '.join(known)}")
    offered = [n for n in names if n != "report" and args.convention in FIGURES[n].conventions]
    if args.convention != NO_CONVENTION and not offered:
        return _fail(
            f"--convention {args.convention!r} is offered by "
            f"{', '.join(n for n, f in FIGURES.items() if args.convention in f.conventions)}, "
            f"not by {', '.join(names)}"
        )
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _fail(f"--out {str(out)!r} is a file, not a folder")
    seeds = tuple(args.seeds) if args.seeds else (QUICK_SEEDS if args.quick else PAPER_SEEDS)
    options = GridOptions(bank=args.bank, processing=processing, quick=args.quick)
    cache_dir = Path(args.cache_dir) if args.cache_dir else resolve_cache_dir() / "figures"
    cache = PointCache(cache_dir)
    backend = "ray" if args.ray else "local"
    runs = []
    for name in names:
        if name == "report":
            continue
        figure = FIGURES[name]
        convention = args.convention if args.convention in figure.conventions else "none"
        try:
            run = run_figure(
                figure,
                out_dir=out,
                seeds=seeds,
                options=options,
                cache=cache,
                backend=backend,
                address=args.address,
                progress=not args.no_progress,
                convention=convention,
            )
        except ValueError as error:
            return _fail(f"{name}: {error}")
        runs.append(run)
        print(
            f"{name:<20} {run.seconds:7.1f} s  {run.stats.computed_points} points computed "
            f"({run.stats.computed_seeds} seeds, {run.stats.cached_seeds} cached)  "
            f"→ {run.png_path}, {run.csv_path}"
        )
    if runs:
        total = sum(r.seconds for r in runs)
        path = _write_timings(out, runs, backend, args.quick)
        print(f"{'total':<20} {total:7.1f} s  (wall times in {path})")
    if "report" in names:
        from semgym.figures.report import write_report

        report_path = Path(args.report)
        if report_path.is_dir() or report_path.suffix != ".md":
            return _fail(f"--report {args.report!r} must name a Markdown file (.md)")
        try:
            report = write_report(out, report_path)
        except ValueError as error:
            return _fail(str(error))
        print(f"report → {report.path}: {report.held} of {report.total} claims held")
    return 0
