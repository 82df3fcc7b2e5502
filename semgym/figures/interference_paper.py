"""The interference paper's Figs. 2–5 (§IV): the semantic interference game on the line
deployment (L = 3 links, Rician K = 1.5, path-loss exponent 2.5, 3.5 GHz, 30 m links, thermal
noise, P_max = 1 W per channel use), the bank's paper links.

Methods (CSV column ``method``):

- ``game_jacobi`` / ``game_gauss_seidel``: best-response dynamics, Algorithm 1 with the Jacobi
  (19) or Gauss-Seidel (18) update, γ = 1, from F⁽⁰⁾ seeded by the channel seed; T iterations.
- ``mui_less``: the MUI-less alignment benchmark, each link's water-filling designed and
  evaluated with R_n = σ² I (no MUI): the interference-free bound.
- ``admm_wiener``: the MUI-agnostic ADMM benchmark (each link aligned alone by ADMM, T = 30,
  ignoring MUI), evaluated under the real MUI with receivers that know their MUI+noise
  covariance (Wiener filters recomputed).
- ``admm_design``: the same precoders with the receivers the ADMM designed (Wiener filters for
  σ² I): MUI-agnostic at both ends.

Accuracy: every link's test split sent through its precoder, the channel (with the other
links' signals), noise and its receiver, de-whitened and classified by the receiver's head;
``native_accuracy`` is that head on its own latents (the ceiling). ``link = "network"`` rows
hold the mean over links (MSE in dB of the mean MSE).

Figures: ``interference-fig2`` (MSE per link and network over game iterations),
``interference-fig3`` (MUI power per link and network accuracy over iterations),
``interference-fig4`` (accuracy and MSE vs ξ), ``interference-fig5`` (network accuracy vs α
for N = 4 and 8).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from semgym.figures import _library as lib
from semgym.figures import plotting as plot
from semgym.figures.figure import GridOptions, figure
from semgym.figures.sweep import Point, Row, compute_kind

#: Game methods and their update schemes.
GAME_SCHEMES = {"game_jacobi": "jacobi", "game_gauss_seidel": "gauss_seidel"}
#: Every method of :func:`final_rows`.
FINAL_METHODS = ("game_jacobi", "mui_less", "admm_wiener", "admm_design")
#: Game iterations T of every figure (the score tables' 30).
ITERATIONS = 30
QUICK_ITERATIONS = 6

_SCENARIO = ("bank", "processing", "n_antennas", "channel_uses", "alpha")
_DYNAMICS_COLUMNS = (*_SCENARIO, "xi", "iteration", "method", "convention", "link", "tx", "rx")
_FIG2_COLUMNS = (*_DYNAMICS_COLUMNS, "seed", "mse", "mse_db", "nmse", "exploitability")
_FIG3_COLUMNS = (
    *_DYNAMICS_COLUMNS,
    *("seed", "mui_power_w", "mui_power_db", "accuracy", "native_accuracy"),
)
#: The columns of the final-state figures (Figs. 4 and 5).
_FINAL_COLUMNS = (
    *_DYNAMICS_COLUMNS,
    *("seed", "mse", "mse_db", "nmse", "accuracy", "native_accuracy"),
)


def db(value: float, unit: float = 1.0) -> float:
    """10·log10(value / unit)."""
    return 10.0 * math.log10(value / unit) if value > 0 else -math.inf


def link_rows(
    base: Mapping[str, Any],
    links: lib.InterferenceLinks,
    metrics: Mapping[str, np.ndarray],
    network: Mapping[str, float] | None = None,
) -> list[Row]:
    """One row per link and a ``network`` row (means over links) from per-link metrics (L,)."""
    energy = np.array(links.target_energy)
    rows: list[Row] = []
    for i, (tx, rx) in enumerate(links.encoders):
        row: Row = {**base, "link": str(i), "tx": tx, "rx": rx}
        row.update({k: float(v[i]) for k, v in metrics.items()})
        rows.append(row)
    net: Row = {**base, "link": "network", "tx": "mean", "rx": "mean"}
    net.update({k: float(np.mean(v)) for k, v in metrics.items()})
    if "mse" in metrics:
        for row, value in zip(rows, metrics["mse"], strict=True):
            row["nmse"] = float(value / energy[int(row["link"])])
            row["mse_db"] = db(float(value))
        net["nmse"] = float(np.mean(metrics["mse"] / energy))
        net["mse_db"] = db(net["mse"])
    if "mui_power_w" in metrics:
        for row in [*rows, net]:
            row["mui_power_db"] = db(float(row["mui_power_w"]), 1e-3)
    net.update(network or {})
    return [*rows, net]


def scenario_values(params: Mapping[str, Any], alpha: float) -> Row:
    """The scenario columns of an interference point's rows (at MUI scaling ``alpha``)."""
    keys = ("bank", "processing", "n_antennas", "channel_uses")
    return {**{k: params[k] for k in keys}, "alpha": float(alpha), "convention": "none"}


def _base(params: Mapping[str, Any], links: lib.InterferenceLinks, alpha: float) -> Row:
    return {**scenario_values(params, alpha), "xi": params["channel_uses"] / links.tx_dim}


@compute_kind("interference_dynamics", version=2)
def dynamics_rows(params: Mapping[str, Any], seeds: tuple[int, ...]) -> dict[int, list[Row]]:
    """Best-response dynamics at one setting: per iterate, link and seed MSE, MUI power and
    (if ``params["accuracy"]``) accuracy; exploitability on the network rows."""
    links = lib.interference_links(params["bank"], processing=params["processing"])
    scenario = lib.point_scenario(params, links, seeds)
    method = params["method"]
    trajectory = lib.best_response_trajectory(
        scenario, iterations=params["iterations"], scheme=GAME_SCHEMES[method]
    )
    native = np.array(links.native)
    out: dict[int, list[Row]] = {s: [] for s in seeds}
    for t, state in enumerate(trajectory.states):
        accuracy = None
        if params["accuracy"]:
            precoders = lib.game_precoders(scenario, state)
            accuracy = lib.interference_scores(scenario, precoders).accuracy
        for b, seed in enumerate(seeds):
            metrics = {"mse": trajectory.mse[t, b], "mui_power_w": trajectory.mui_power[t, b]}
            if accuracy is not None:
                metrics.update(accuracy=accuracy[b], native_accuracy=native)
            base = {**_base(params, links, params["alpha"]), "iteration": t, "method": method}
            network = {"exploitability": float(trajectory.exploitability[t, b])}
            out[seed].extend({**r, "seed": seed} for r in link_rows(base, links, metrics, network))
    return out


@compute_kind("interference_final", version=2)
def final_rows(params: Mapping[str, Any], seeds: tuple[int, ...]) -> dict[int, list[Row]]:
    """The designs of ``params["methods"]`` at every α of ``params["alphas"]``: per link and
    seed MSE and accuracy (the game: its last iterate after T iterations). The MUI-agnostic
    ADMM design never sees the cross links, so it is computed once for all α when the direct
    links do not change with α (they do not on the line deployment) and evaluated under each
    α's MUI."""
    links = lib.interference_links(params["bank"], processing=params["processing"])
    native = np.array(links.native)
    methods = tuple(params["methods"])
    out: dict[int, list[Row]] = {s: [] for s in seeds}
    admm: tuple[lib.GameSetup, lib.Design] | None = None
    for alpha in params["alphas"]:
        scenario = lib.point_scenario(params, links, seeds, alpha=alpha)
        results: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for method in methods:
            if method in GAME_SCHEMES:
                final = lib.best_response_final(
                    scenario, iterations=params["iterations"], scheme=GAME_SCHEMES[method]
                )
                precoders = lib.game_precoders(scenario, final.state)
                results[method] = (final.mse, lib.interference_scores(scenario, precoders).accuracy)
            elif method == "mui_less":
                design = lib.mui_less(scenario)
                scores = lib.interference_scores(scenario, design.precoders, interference=False)
                results[method] = (design.mse, scores.accuracy)
            elif method in ("admm_wiener", "admm_design"):
                if admm is None or not lib.same_direct_links(admm[0], scenario):
                    admm = (scenario, lib.mui_agnostic(scenario))
                receiver = "wiener" if method == "admm_wiener" else "design"
                scores = lib.interference_scores(scenario, admm[1].precoders, receiver=receiver)
                results[method] = (scores.mse, scores.accuracy)
            else:
                raise ValueError(f"unknown method {method!r}; choose from {FINAL_METHODS}")
        for method, (mse, accuracy) in results.items():
            for b, seed in enumerate(seeds):
                base = {**_base(params, links, alpha), "iteration": None, "method": method}
                metrics = {"mse": mse[b], "accuracy": accuracy[b], "native_accuracy": native}
                out[seed].extend({**r, "seed": seed} for r in link_rows(base, links, metrics))
    return out


# --- grids ------------------------------------------------------------------------------------
def _setting(options: GridOptions) -> dict[str, Any]:
    """The paper setting (N_T = N_R = 8, K = 10, α = 3), reduced for ``--quick``."""
    if options.quick:
        return {"n_antennas": 4, "channel_uses": 4, "alpha": 3.0}
    return {"n_antennas": 8, "channel_uses": 10, "alpha": 3.0}


def _common(options: GridOptions) -> dict[str, Any]:
    return {
        "bank": options.bank,
        "processing": options.processing,
        "iterations": QUICK_ITERATIONS if options.quick else ITERATIONS,
    }


def _fits(options: GridOptions, n_antennas: int, channel_uses: int) -> bool:
    """K·N_T must not exceed the links' d/2."""
    return (
        channel_uses * n_antennas
        <= lib.interference_links(options.bank, processing=options.processing).tx_dim
    )


def dynamics_grid(options: GridOptions) -> list[Point]:
    """Figs. 2–3: the dynamics of both update schemes at the paper setting, and the MUI-less
    bound there as a reference level."""
    setting = _setting(options)
    points = [
        Point.make("interference_dynamics", **_common(options), **setting, method=m, accuracy=True)
        for m in GAME_SCHEMES
    ]
    alpha = setting.pop("alpha")
    points.append(
        Point.make(
            "interference_final",
            **_common(options),
            **setting,
            alphas=(alpha,),
            methods=("mui_less",),
        )
    )
    return points


def compression_grid(options: GridOptions) -> list[Point]:
    """Fig. 4: K ∈ {1, 2, 5, 10, 20} (ξ = K/(d/2)) at N = 8, α = 3 (``--quick``: K ∈ {1, 4},
    N = 4); K·N_T beyond d/2 is left out."""
    n = 4 if options.quick else 8
    uses = (1, 4) if options.quick else (1, 2, 5, 10, 20)
    return [
        Point.make(
            "interference_final",
            **_common(options),
            n_antennas=n,
            channel_uses=k,
            alphas=(3.0,),
            methods=FINAL_METHODS,
        )
        for k in uses
        if _fits(options, n, k)
    ]


#: α of Fig. 5 (transmitter spacing from 30 m to 1.2 km).
ALPHAS = (1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 40.0)


def mui_grid(options: GridOptions) -> list[Point]:
    """Fig. 5: α ∈ :data:`ALPHAS` for N ∈ {4, 8} at K = 10 (``--quick``: α ∈ {1, 3, 10},
    N ∈ {2, 4}, K = 4)."""
    antennas = (2, 4) if options.quick else (4, 8)
    k = 4 if options.quick else 10
    alphas = (1.0, 3.0, 10.0) if options.quick else ALPHAS
    return [
        Point.make(
            "interference_final",
            **_common(options),
            n_antennas=n,
            channel_uses=k,
            alphas=alphas,
            methods=FINAL_METHODS,
        )
        for n in antennas
        if _fits(options, n, k)
    ]


# --- plots ------------------------------------------------------------------------------------
def _subtitle(rows: Sequence[Row]) -> str:
    first = rows[0]
    seeds = sorted({r["seed"] for r in rows})
    return f"bank {first['bank']}, {first['processing']} processing, seeds {seeds}"


def _setting_text(rows: Sequence[Row]) -> str:
    r = rows[0]
    return f"N_T = N_R = {r['n_antennas']}, K = {r['channel_uses']}, α = {r['alpha']:g}"


def _native(ax, rows: Sequence[Row]) -> None:
    plot.ceiling(ax, plot.select(rows, link="network"))


def _game_over_iterations(ax, rows: Sequence[Row], metric: str) -> None:
    """The network ``metric`` of both game schemes over iterations, with the MUI-less level."""
    for method in GAME_SCHEMES:
        plot.curve(
            ax,
            plot.select(rows, method=method, link="network"),
            "iteration",
            metric,
            **plot.method_style(method),
        )
    plot.level(
        ax,
        plot.select(rows, method="mui_less", link="network"),
        metric,
        **plot.method_style("mui_less"),
    )


@figure("interference-fig2", "interference", "Fig. 2", columns=_FIG2_COLUMNS, grid=dynamics_grid)
def plot_fig2(rows: Sequence[Row], path: Path, convention: str) -> None:
    """MSE per link and network MSE over best-response iterations.

    Network MSE (left) and per-link MSE (right, Jacobi) over game iterations."""
    rows = plot.select(rows, convention=convention)
    fig, (net, per) = plot.new_figure(2)
    _game_over_iterations(net, rows, "mse")
    net.set(xlabel="game iteration", ylabel="network MSE (mean over links)")
    game = plot.select(rows, method="game_jacobi")
    links = sorted({r["link"] for r in game if r["link"] != "network"})
    for link in links:
        sub = plot.select(game, link=link)
        label = f"link {link}: {sub[0]['tx']} → {sub[0]['rx']}" + (
            " (middle)" if int(link) == (len(links) - 1) / 2 else ""
        )
        plot.curve(per, sub, "iteration", "mse", label=label)
    per.set(xlabel="game iteration", ylabel="MSE_l (Jacobi)")
    plot.finish((net, per), lambda ax: None)
    plot.save(fig, path, f"Interference paper Fig. 2 — {_setting_text(rows)}; {_subtitle(rows)}")


@figure("interference-fig3", "interference", "Fig. 3", columns=_FIG3_COLUMNS, grid=dynamics_grid)
def plot_fig3(rows: Sequence[Row], path: Path, convention: str) -> None:
    """MUI power per link and network accuracy over best-response iterations.

    MUI power per link in dBm (left, Jacobi) and network accuracy (right) over iterations."""
    rows = plot.select(rows, convention=convention)
    fig, (mui, acc) = plot.new_figure(2)
    game = plot.select(rows, method="game_jacobi")
    for link in sorted({r["link"] for r in game if r["link"] != "network"}):
        sub = plot.select(game, link=link)
        plot.curve(
            mui,
            sub,
            "iteration",
            "mui_power_db",
            label=f"link {link}: {sub[0]['tx']} → {sub[0]['rx']}",
        )
    mui.set(xlabel="game iteration", ylabel="MUI power at the receiver (dBm)")
    _game_over_iterations(acc, rows, "accuracy")
    _native(acc, rows)
    acc.set(xlabel="game iteration", ylabel="network accuracy")
    plot.finish((mui, acc), lambda ax: None)
    plot.save(fig, path, f"Interference paper Fig. 3 — {_setting_text(rows)}; {_subtitle(rows)}")


@figure(
    "interference-fig4", "interference", "Fig. 4", columns=_FINAL_COLUMNS, grid=compression_grid
)
def plot_fig4(rows: Sequence[Row], path: Path, convention: str) -> None:
    """Network accuracy and MSE vs the compression factor ξ.

    Network MSE in dB (left) and network accuracy (right) vs ξ."""
    rows = plot.select(plot.select(rows, convention=convention), link="network")
    fig, (mse, acc) = plot.new_figure(2)
    for method in FINAL_METHODS:
        sub = plot.select(rows, method=method)
        plot.curve(mse, sub, "xi", "mse_db", **plot.method_style(method))
        plot.curve(acc, sub, "xi", "accuracy", **plot.method_style(method))
    _native(acc, rows)
    mse.set(xlabel="compression factor ξ = K/(d/2)", ylabel="network MSE (dB)")
    acc.set(xlabel="compression factor ξ = K/(d/2)", ylabel="network accuracy")
    ticks = sorted({(r["xi"], r["channel_uses"]) for r in rows})
    labels = [f"{x:.2g}\nK={k}" for x, k in ticks]
    plot.finish((mse, acc), lambda ax: plot.log_ticks(ax, [x for x, _ in ticks], labels))
    r = rows[0]
    plot.save(
        fig,
        path,
        f"Interference paper Fig. 4 — N_T = N_R = {r['n_antennas']}, "
        f"α = {r['alpha']:g}; {_subtitle(rows)}",
    )


@figure("interference-fig5", "interference", "Fig. 5", columns=_FINAL_COLUMNS, grid=mui_grid)
def plot_fig5(rows: Sequence[Row], path: Path, convention: str) -> None:
    """Network accuracy vs the MUI scaling factor α for N = 4 and 8.

    Network accuracy vs α, one panel per antenna configuration."""
    rows = plot.select(plot.select(rows, convention=convention), link="network")
    antennas = sorted({r["n_antennas"] for r in rows})
    fig, axes = plot.new_figure(len(antennas))
    for ax, n in zip(axes, antennas, strict=True):
        sub = plot.select(rows, n_antennas=n)
        for method in FINAL_METHODS:
            plot.curve(
                ax,
                plot.select(sub, method=method),
                "alpha",
                "accuracy",
                **plot.method_style(method),
            )
        _native(ax, sub)
        ax.set(
            xlabel="MUI scaling factor α",
            ylabel="network accuracy",
            title=f"N_T = N_R = {n}, K = {sub[0]['channel_uses']}",
        )
        plot.log_ticks(ax, [r["alpha"] for r in sub])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    plot.save(fig, path, f"Interference paper Fig. 5 — {_subtitle(rows)}")
