"""A figure: its grid of points, its CSV schema and how it is drawn; running one.

:func:`run_figure` evaluates a figure's points (:func:`~semgym.figures.sweep.run_sweep`),
writes ``<out>/<name>.csv`` (one row per plotted point and seed, the columns of
:attr:`Figure.columns`, described in :data:`COLUMNS`) and draws ``<out>/<name>.png`` from
exactly those rows.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from semgym.figures.sweep import (
    PointCache,
    Row,
    SweepStats,
    check_processing,
    run_sweep,
)

#: Reference-code conventions a figure may offer beside semgym's own ("none").
NO_CONVENTION = "none"

#: Every CSV column of every figure, with its meaning and unit.
COLUMNS: dict[str, str] = {
    "bank": "latent bank",
    "processing": "latent processing mode (linear: the papers' complex-linear F and G)",
    "n_antennas": "N_T = N_R (antennas per transmitter and receiver)",
    "channel_uses": "K, channel uses",
    "alpha": "α, MUI scaling factor (transmitter spacing / link length)",
    "xi": "ξ = K/(d/2), compression factor (interference paper)",
    "zeta": "ζ = K/(d/2), compression factor of the AP latent (federated paper)",
    "iteration": "game iteration t (0: Algorithm 1's random F⁽⁰⁾); empty for a design",
    "method": "design (see the figure's module)",
    "convention": "'none' (semgym's) or the public reference code's convention evaluated",
    "link": "link or user index, or 'network' (mean over links/users)",
    "tx": "transmitter encoder (AP encoder in the downlink)",
    "rx": "receiver encoder ('mean' on network rows)",
    "group": "user group of the downlink",
    "pilot_fraction": "share of the train split used as semantic pilots",
    "snr_db": "SNR, dB (federated paper's convention)",
    "n_users": "L, users of the downlink",
    "cap_fraction": "I_max as a fraction of the interference of all secondaries at full, "
    "isotropic power",
    "seed": "channel seed",
    "mse": "MSE per sample, summed over complex dimensions, closed form (8)",
    "mse_db": "10·log10(mse), dB",
    "nmse": "mse / tr(R_y) (1 = nothing conveyed)",
    "latent_mse": "test-split MSE per element in the receiver's latent space (its de-whitened "
    "estimate against its own latent)",
    "mui_power_w": "MUI power at the receiver, summed over channel uses, W",
    "mui_power_db": "10·log10(mui_power_w / 1 mW), dBm",
    "accuracy": "test-split accuracy of the receiver's head after the channel (fraction)",
    "native_accuracy": "the head's accuracy on its own latents: the ceiling (fraction)",
    "exploitability": "largest MSE a link still gains by a unilateral best response",
    "power_w": "tr(F Fᴴ) transmitted, W",
    "cap_w": "I_max per primary, W",
    "primary_interference_w": "secondary interference at the primary, W (mean over uses)",
    "caps_hold": "every primary within its cap",
    "primary_rate": "primary rate, bit/s/Hz",
    "primary_rate_alone": "primary rate without secondaries, bit/s/Hz",
}


#: The columns that identify a row of every figure's CSV: the method, the reference-code
#: convention, the link (``network`` for the mean over links) with its encoders, the seed.
ROW_COLUMNS = ("method", "convention", "link", "tx", "rx", "seed")


@dataclass(frozen=True)
class GridOptions:
    """What every figure's grid depends on: the latent bank, the processing mode, the size."""

    bank: str = "mnist5k"
    processing: str = "linear"
    quick: bool = False

    def __post_init__(self) -> None:
        check_processing(self.processing)


#: Draws a figure's PNG from its CSV rows; the last argument is the convention shown.
PlotFn = Callable[[Sequence[Row], Path, str], None]


@dataclass(frozen=True)
class Figure:
    """One of the papers' figures.

    Attributes:
        name: CLI name, e.g. ``"interference-fig2"``.
        paper: ``"interference"``, ``"federated"`` or ``"journal"`` (the journal abstract).
        label: the paper's figure (e.g. ``"Fig. 2"``).
        caption: what it shows.
        columns: the CSV schema, in order (described in :data:`COLUMNS`).
        grid: the points for some :class:`GridOptions`.
        plot: draws the PNG from the CSV rows; its last argument is the convention shown.
        conventions: the public reference code's conventions the figure offers (its CSV
            holds rows for each; the PNG shows one, ``"none"`` by default).
    """

    name: str
    paper: str
    label: str
    caption: str
    columns: tuple[str, ...]
    grid: Callable[[GridOptions], list]
    plot: PlotFn
    conventions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [c for c in self.columns if c not in COLUMNS]
        if unknown:
            raise ValueError(f"figure {self.name}: undocumented columns {unknown}")


FIGURES: dict[str, Figure] = {}


def register(figure: Figure) -> Figure:
    """Add ``figure`` to :data:`FIGURES`."""
    if figure.name in FIGURES:
        raise ValueError(f"figure {figure.name!r} is already registered")
    FIGURES[figure.name] = figure
    return figure


def figure(
    name: str,
    paper: str,
    label: str,
    *,
    columns: tuple[str, ...],
    grid: Callable[[GridOptions], list],
    conventions: tuple[str, ...] = (),
) -> Callable[[PlotFn], PlotFn]:
    """Decorator: register the plot function as the :class:`Figure` ``name``.

    The first line of the function's docstring, without its full stop, is the caption (what
    the figure shows); the rest of the docstring says how it is drawn.
    """

    def register_plot(plot: PlotFn) -> PlotFn:
        summary = (plot.__doc__ or "").strip().split("\n", 1)[0].strip()
        if not summary:
            raise ValueError(f"figure {name}: {plot.__name__} needs a docstring (its caption)")
        caption = summary.removesuffix(".")
        register(Figure(name, paper, label, caption, columns, grid, plot, conventions))
        return plot

    return register_plot


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def write_csv(rows: Sequence[Row], columns: Sequence[str], path: Path) -> None:
    """Rows as CSV with exactly ``columns`` (missing values empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_format(row.get(c)) for c in columns])


def _parse(text: str) -> object:
    if text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def read_csv(path: Path) -> list[Row]:
    """A figure's CSV back as rows (numbers parsed, empty cells None)."""
    with Path(path).open(newline="") as handle:
        reader = csv.DictReader(handle)
        return [{k: _parse(v) for k, v in row.items()} for row in reader]


@dataclass
class FigureRun:
    """The outcome of :func:`run_figure`."""

    figure: Figure
    csv_path: Path
    png_path: Path
    rows: list[Row]
    stats: SweepStats
    seconds: float


def run_figure(
    figure: Figure,
    *,
    out_dir: str | Path,
    seeds: Sequence[int],
    options: GridOptions,
    cache: PointCache,
    backend: str = "local",
    address: str | None = None,
    progress: bool = True,
    convention: str = NO_CONVENTION,
) -> FigureRun:
    """Compute (or load) the figure's points, write its CSV and draw its PNG from the CSV."""
    if convention != NO_CONVENTION and convention not in figure.conventions:
        allowed = ", ".join(map(repr, (NO_CONVENTION, *figure.conventions)))
        raise ValueError(f"figure {figure.name} offers the conventions {allowed}")
    start = time.perf_counter()
    out = Path(out_dir)
    points = figure.grid(options)
    rows, stats = run_sweep(
        points,
        seeds,
        cache,
        backend=backend,
        address=address,
        progress=progress,
        desc=figure.name,
    )
    table = [{c: row.get(c) for c in figure.columns} for row in rows]
    csv_path = out / f"{figure.name}.csv"
    png_path = out / f"{figure.name}.png"
    write_csv(table, figure.columns, csv_path)
    figure.plot(read_csv(csv_path), png_path, convention)
    return FigureRun(figure, csv_path, png_path, table, stats, time.perf_counter() - start)
