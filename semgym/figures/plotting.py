"""Drawing the figures from their CSV rows: mean over seeds with a band across seeds.

Every curve is the mean over the channel seeds of one column, grouped by the x column, with a
shaded band of ± one standard deviation across seeds (the papers' "confidence bands that
highlight the variability across different channel realizations").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure

from semgym.figures.sweep import Row

#: One colour per method, shared by every figure.
METHOD_STYLE: dict[str, dict[str, object]] = {
    "game_jacobi": {"color": "tab:blue", "label": "game (best response, Jacobi)"},
    "game_gauss_seidel": {"color": "tab:cyan", "label": "game (best response, Gauss-Seidel)"},
    "mui_less": {"color": "tab:green", "label": "MUI-less bound", "linestyle": "--"},
    "admm_wiener": {"color": "tab:red", "label": "MUI-agnostic ADMM (Wiener rx)"},
    "admm_design": {"color": "tab:orange", "label": "MUI-agnostic ADMM (designed rx)"},
    "game_capped": {"color": "tab:blue", "label": "game with caps (priced water-filling)"},
    "game_uncapped": {"color": "tab:red", "label": "game ignoring caps"},
    "federated": {"color": "tab:blue", "label": "federated ADMM"},
    "first_k": {"color": "tab:orange", "label": "First-K"},
    "top_k": {"color": "tab:red", "label": "Top-K"},
    "multi_link": {"color": "tab:green", "label": "multi-link", "linestyle": "--"},
}


def select(rows: Iterable[Row], **where: object) -> list[Row]:
    """Rows whose columns equal every ``where`` value."""
    return [r for r in rows if all(r.get(k) == v for k, v in where.items())]


def mean_band(
    rows: Sequence[Row], x: str, y: str, transform: Callable[[float], float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x values ascending, mean of y over seeds, std of y over seeds) of ``rows``."""
    groups: dict[float, list[float]] = defaultdict(list)
    for r in rows:
        value = r.get(y)
        if r.get(x) is None or value is None:
            continue
        groups[float(r[x])].append(float(transform(value) if transform else value))
    xs = np.array(sorted(groups))
    values = [np.array(groups[v]) for v in xs]
    mean = np.array([v.mean() for v in values])
    std = np.array([v.std(ddof=1) if len(v) > 1 else 0.0 for v in values])
    return xs, mean, std


def curve(
    ax: Axes,
    rows: Sequence[Row],
    x: str,
    y: str,
    *,
    label: str,
    transform: Callable[[float], float] | None = None,
    marker: str | None = "o",
    **style: object,
) -> None:
    """Mean over seeds with a ± std band; nothing when no row has both columns."""
    xs, mean, std = mean_band(rows, x, y, transform)
    if xs.size == 0:
        return
    (line,) = ax.plot(xs, mean, label=label, marker=marker, markersize=3, **style)
    ax.fill_between(xs, mean - std, mean + std, color=line.get_color(), alpha=0.18, lw=0)


def level(
    ax: Axes, rows: Sequence[Row], y: str, *, label: str, transform=None, **style: object
) -> None:
    """A horizontal line at the seed mean of ``y`` with its ± std band (a design's value)."""
    values = np.array(
        [float(transform(r[y]) if transform else r[y]) for r in rows if r.get(y) is not None]
    )
    if values.size == 0:
        return
    mean, std = values.mean(), values.std(ddof=1) if values.size > 1 else 0.0
    line = ax.axhline(mean, label=label, **style)
    ax.axhspan(mean - std, mean + std, color=line.get_color(), alpha=0.12, lw=0)


#: The style of reference levels (the receivers' native ceiling, a primary alone).
REFERENCE_STYLE: dict[str, object] = {"color": "black", "linestyle": ":", "lw": 1}


def ceiling(
    ax: Axes, rows: Sequence[Row], y: str = "native_accuracy", *, label: str = "native (ceiling)"
) -> None:
    """A reference :func:`level` (black, dotted): by default the receivers' native accuracy."""
    level(ax, rows, y, label=label, **REFERENCE_STYLE)


def finish(axes: Sequence[Axes], ticks: Callable[[Axes], None], *, legend_size: int = 7) -> None:
    """Ticks (``ticks(ax)``), a light grid and a small legend on every panel."""
    for ax in axes:
        ticks(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=legend_size)


def method_style(method: str) -> dict[str, object]:
    """Colour, label and line style of a method."""
    style = dict(METHOD_STYLE.get(method, {"label": method}))
    return style


def new_figure(n_panels: int, *, width: float = 5.0, height: float = 3.8):
    """A row of ``n_panels`` axes on a figure of its own (no pyplot state, no display)."""
    fig = MplFigure(figsize=(width * n_panels, height))
    axes = fig.subplots(1, n_panels, squeeze=False)
    return fig, list(axes[0])


def save(fig: MplFigure, path: Path, title: str) -> None:
    """Title, layout, PNG at 150 dpi, close."""
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)


def log_ticks(ax: Axes, values: Iterable[float], labels: Iterable[str] | None = None) -> None:
    """A log x axis ticked at the grid's values only (no overlapping minor labels)."""
    values = sorted(set(values))
    ax.set_xscale("log")
    ax.set_xticks(values)
    ax.set_xticks([], minor=True)
    ax.set_xticklabels(
        list(labels) if labels is not None else [f"{v:g}" for v in values],
        fontsize=7 if len(values) > 5 else None,
        rotation=35 if len(values) > 6 and labels is None else 0,
    )
