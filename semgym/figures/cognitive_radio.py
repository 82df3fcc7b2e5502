"""Hierarchical spectrum access (journal abstract): the interference game of the interference
paper with a licensed primary link that the semantic secondary links must protect.

The primary link is Rayleigh with the secondary links' direct gain, at the far end of the line
(its cross links have the path gain of one transmitter spacing α·d₀); it transmits with
Q_p = (P_max/N_T) I and must receive at most I_max of secondary interference (mean over the K
channel uses). I_max is swept as ``cap_fraction`` × the interference the primary would receive
from all secondaries at full, isotropic power (the interference env's convention); every
secondary keeps an equal share I_max/L (:mod:`semgym.solvers.primary`).

Methods: ``game_capped`` (best responses with the interference price: priced semantic
water-filling) and ``game_uncapped`` (the same game with the cap lifted: secondaries that
ignore the primary, whose signal still reaches them). Both after T Jacobi iterations from the
seeded F⁽⁰⁾. Network rows carry the primary's rate (bit/s/Hz), its rate without secondaries,
the interference it receives, its cap and whether the cap holds.

Figure ``cognitive-radio``: secondary network MSE, secondary network accuracy and the primary's
rate vs I_max, with the cap's status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from semgym.figures import _library as lib
from semgym.figures import plotting as plot
from semgym.figures.figure import ROW_COLUMNS, GridOptions, figure
from semgym.figures.interference_paper import QUICK_ITERATIONS, link_rows, scenario_values
from semgym.figures.sweep import Point, Row, compute_kind

METHODS = ("game_capped", "game_uncapped")
#: I_max / (interference of all secondaries at full isotropic power).
CAP_FRACTIONS = (1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0)
#: Game iterations T: the network MSE settles within a few iterations (Fig. 2).
ITERATIONS = 20

_COLUMNS = (
    *("bank", "processing", "n_antennas", "channel_uses", "alpha", "cap_fraction", *ROW_COLUMNS),
    *("mse", "mse_db", "nmse", "accuracy", "native_accuracy", "exploitability"),
    *("cap_w", "primary_interference_w", "caps_hold", "primary_rate", "primary_rate_alone"),
)


def _play(scenario: lib.GameSetup, iterations: int):
    """(last iterate of T Jacobi best responses, its accuracy (B, L))."""
    final = lib.best_response_final(scenario, iterations=iterations)
    accuracy = lib.interference_scores(scenario, lib.game_precoders(scenario, final.state)).accuracy
    return final, accuracy


@compute_kind("primary_access", version=2)
def access_rows(params: Mapping[str, Any], seeds: tuple[int, ...]) -> dict[int, list[Row]]:
    """Both methods at every cap of ``params["cap_fractions"]``, per link and seed."""
    links = lib.interference_links(params["bank"], processing=params["processing"])
    native = np.array(links.native)
    out: dict[int, list[Row]] = {s: [] for s in seeds}
    ignoring = None  # the uncapped game does not depend on the cap: played once
    for fraction in params["cap_fractions"]:
        scenario = lib.point_scenario(params, links, seeds, n_primaries=1, cap_fraction=fraction)
        capped = _play(scenario, params["iterations"])
        if ignoring is None:
            ignoring = _play(lib.uncapped(scenario), params["iterations"])
        for method, (final, accuracy) in zip(METHODS, (capped, ignoring), strict=True):
            report = lib.primary_report(scenario, final.state)
            for b, seed in enumerate(seeds):
                base = {
                    **scenario_values(params, params["alpha"]),
                    **{"cap_fraction": float(fraction), "method": method},
                }
                metrics = {
                    "mse": final.mse[b],
                    "accuracy": accuracy[b],
                    "native_accuracy": native,
                }
                network = {
                    "exploitability": float(final.exploitability[b]),
                    "cap_w": float(report.cap_w[b].min()),
                    "primary_interference_w": float(report.received_w[b].max()),
                    "caps_hold": bool(report.caps_hold[b]),
                    "primary_rate": float(report.rate[b].mean()),
                    "primary_rate_alone": float(report.rate_alone[b].mean()),
                }
                out[seed].extend(
                    {**r, "seed": seed} for r in link_rows(base, links, metrics, network)
                )
    return out


def access_grid(options: GridOptions) -> list[Point]:
    """N = 8, K = 10, α = 3, one primary, I_max over :data:`CAP_FRACTIONS` (``--quick``:
    N = 4, K = 4, two caps)."""
    quick = options.quick
    return [
        Point.make(
            "primary_access",
            bank=options.bank,
            processing=options.processing,
            n_antennas=4 if quick else 8,
            channel_uses=4 if quick else 10,
            alpha=3.0,
            cap_fractions=(1e-3, 0.1) if quick else CAP_FRACTIONS,
            iterations=QUICK_ITERATIONS if quick else ITERATIONS,
        )
    ]


@figure("cognitive-radio", "journal", "hierarchical access", columns=_COLUMNS, grid=access_grid)
def plot_access(rows: Sequence[Row], path: Path, convention: str) -> None:
    """Secondary MSE and accuracy, primary rate vs the interference cap I_max.

    Secondary network MSE, accuracy and the primary's rate vs I_max; a hollow marker where
    the cap is violated at some seed."""
    rows = plot.select(plot.select(rows, convention=convention), link="network")
    fig, (mse, acc, rate) = plot.new_figure(3, width=4.3)
    for method in METHODS:
        sub = plot.select(rows, method=method)
        style = plot.method_style(method)
        plot.curve(mse, sub, "cap_fraction", "mse_db", **style)
        plot.curve(acc, sub, "cap_fraction", "accuracy", **style)
        plot.curve(rate, sub, "cap_fraction", "primary_rate", **style)
        broken = sorted({r["cap_fraction"] for r in sub if not r["caps_hold"]})
        xs, ys, _ = plot.mean_band(sub, "cap_fraction", "primary_rate")
        marks = [(x, y) for x, y in zip(xs, ys, strict=True) if x in broken]
        if marks:
            rate.scatter(
                *zip(*marks, strict=True),
                s=60,
                facecolors="none",
                edgecolors=style["color"],
                label=f"{style['label']}: cap violated",
            )
    capped = plot.select(rows, method="game_capped")
    plot.ceiling(rate, capped, "primary_rate_alone", label="primary alone")
    plot.ceiling(acc, capped)
    label = "I_max / I_iso"
    mse.set(xlabel=label, ylabel="secondary network MSE (dB)")
    acc.set(xlabel=label, ylabel="secondary network accuracy")
    rate.set(xlabel=label, ylabel="primary rate (bit/s/Hz)")
    for ax in (mse, acc, rate):
        plot.log_ticks(ax, [r["cap_fraction"] for r in rows], None)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    r = rows[0]
    seeds = sorted({x["seed"] for x in rows})
    plot.save(
        fig,
        path,
        f"Hierarchical access (journal abstract) — N_T = N_R = {r['n_antennas']}, "
        f"K = {r['channel_uses']}, α = {r['alpha']:g}, 1 primary; bank {r['bank']}, "
        f"seeds {seeds}\nI_iso: interference the primary receives from all secondaries at full, "
        "isotropic power",
    )
