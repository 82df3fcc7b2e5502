"""The papers' figures from one command (``semgym figures``): sweeps as data, cached, local or
on Ray, each figure a PNG drawn from the tidy CSV written next to it, and a report of which of
the papers' claims the CSVs support (https://semgym.readthedocs.io/en/latest/reproduction/).

- :mod:`~semgym.figures.sweep`: points, the on-disk cache, the local and Ray runners.
- :mod:`~semgym.figures.figure`: a figure's grid, CSV schema and plot; :func:`run_figure`.
- :mod:`~semgym.figures.interference_paper`: the interference paper's Figs. 2–5.
- :mod:`~semgym.figures.federated_paper`: the federated paper's Figs. 2–3.
- :mod:`~semgym.figures.cognitive_radio`: hierarchical access with primary users.
- :mod:`~semgym.figures.claims`: the papers' claims; :mod:`~semgym.figures.checks`: the checks
  that decide them on the CSVs; :mod:`~semgym.figures.report`: the report that renders them.
- :mod:`~semgym.figures._library`: the one adapter through which all of it calls the library.
"""

from semgym.channels import PAPER_SEEDS
from semgym.figures import (  # noqa: F401  (register their figures)
    cognitive_radio,
    federated_paper,
    interference_paper,
)
from semgym.figures.figure import COLUMNS, FIGURES, Figure, GridOptions, run_figure
from semgym.figures.sweep import (
    PROCESSING_MODES,
    QUICK_SEEDS,
    Point,
    PointCache,
    run_sweep,
)

__all__ = [
    "COLUMNS",
    "FIGURES",
    "PAPER_SEEDS",
    "PROCESSING_MODES",
    "QUICK_SEEDS",
    "Figure",
    "GridOptions",
    "Point",
    "PointCache",
    "run_figure",
    "run_sweep",
]
