"""The federated paper's Figs. 2–3 (§IV): one access point (AP) broadcasts its whitened latents
through one shared pre-equalizer F to L users over square N × N unit-variance Rayleigh MIMO
channels (SNR 20 dB, P_T = 1 W, ρ = 1, T = 30), the broadcast env's user groups.

Methods (CSV column ``method``):

- ``federated``: federated ADMM (Algorithm 1), transmitting the feasible Z.
- ``first_k``: the first K·N_T whitened components of the AP latent at uniform power.
- ``top_k``: the K·N_T whitened components of largest semantic energy (indices sent once).
- ``multi_link``: one water-filling pre-equalizer per user, each with its own full budget and
  channel (the paper's multiplexing benchmark: L independent links, no MUI).

Every user applies its Wiener receiver for the transmitted F; ``mse`` is the closed form (8)
on the pilots (targets whitened, so NMSE is the per-dimension MSE); accuracy is the test split
sent through F, H_l, noise and G_l, de-whitened and classified by the user's head
(``native_accuracy``: the head on its own latents); ``latent_mse`` is the per-element MSE of
those de-whitened test latents against the user's own (the public reference code's MSE).

Conventions of the public reference code (CSV column ``convention``; ``none`` is semgym's):

- ``transmit_f``: the AP transmits the last ADMM iterate F instead of the feasible Z
  (federated rows; ``power_w`` shows tr(F Fᴴ), which may exceed P_T).
- ``baselines_not_dewhitened``: First-K/Top-K estimates are handed to the heads without
  undoing the users' target whitening.
- ``noise_shrinks_with_k``: the noise std shrinks as 1/K (σ² ∝ 1/K² instead of the ∝ 1/K of
  a constant per-symbol SNR), i.e. the per-symbol SNR grows as K: ``snr_db`` + 10·log10 K.

Figures: ``federated-fig2`` (network accuracy vs ζ for several antenna configurations),
``federated-fig3`` (network NMSE and accuracy vs ζ for homogeneous and heterogeneous users and
pilot fractions 10/50/100 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from semgym.figures import _library as lib
from semgym.figures import plotting as plot
from semgym.figures.figure import ROW_COLUMNS, GridOptions, figure
from semgym.figures.sweep import Point, Row, compute_kind

METHODS = ("federated", "first_k", "top_k", "multi_link")
#: Conventions a point evaluates beside semgym's ("none").
EVALUATION_CONVENTIONS = ("transmit_f", "baselines_not_dewhitened")
NOISE_CONVENTIONS = ("none", "noise_shrinks_with_k")
CONVENTIONS = (*EVALUATION_CONVENTIONS, "noise_shrinks_with_k")

_COLUMNS = (
    "bank",
    "processing",
    "n_users",
    "group",
    "pilot_fraction",
    "n_antennas",
    "channel_uses",
    "snr_db",
    "zeta",
    *ROW_COLUMNS,
    "mse",
    "nmse",
    "latent_mse",
    "accuracy",
    "native_accuracy",
    "power_w",
)


def effective_snr_db(snr_db: float, channel_uses: int, noise_convention: str) -> float:
    """The SNR the scenario runs at: ``snr_db``, or + 10·log10 K under
    ``noise_shrinks_with_k``."""
    if noise_convention == "noise_shrinks_with_k":
        return snr_db + 10.0 * math.log10(channel_uses)
    if noise_convention != "none":
        raise ValueError(f"unknown noise convention {noise_convention!r}: {NOISE_CONVENTIONS}")
    return snr_db


def _user_rows(
    base: Mapping[str, Any], users: lib.DownlinkUsers, metrics: Mapping[str, np.ndarray]
) -> list[Row]:
    """One row per user and a ``network`` row (means over users) from per-user metrics (L,)."""
    energy = np.array(users.target_energy)
    rows: list[Row] = []
    for i, rx in enumerate(users.encoders):
        row: Row = {**base, "link": str(i), "tx": users.ap, "rx": rx}
        row.update({k: float(v[i]) for k, v in metrics.items()})
        row["nmse"] = float(metrics["mse"][i] / energy[i])
        rows.append(row)
    net: Row = {**base, "link": "network", "tx": users.ap, "rx": "mean"}
    net.update({k: float(np.mean(v)) for k, v in metrics.items()})
    net["nmse"] = float(np.mean(metrics["mse"] / energy))
    return [*rows, net]


@compute_kind("downlink_design", version=3)
def design_rows(params: Mapping[str, Any], seeds: tuple[int, ...]) -> dict[int, list[Row]]:
    """The designs of ``params["methods"]`` on one downlink setting, per user and seed."""
    users = lib.downlink_users(
        params["bank"],
        params["n_users"],
        params["group"],
        params["pilot_fraction"],
        processing=params["processing"],
    )
    noise_convention = params["noise_convention"]
    k = params["channel_uses"]
    dl = lib.downlink(
        users,
        seeds,
        n_antennas=params["n_antennas"],
        channel_uses=k,
        snr_db=effective_snr_db(params["snr_db"], k, noise_convention),
        processing=params["processing"],
    )
    native = np.array(users.native)
    # (method, precoders, [(convention, de-whitened?), ...]): conventions sharing a transmission
    evaluations: list[tuple[str, Any, list[tuple[str, bool]]]] = []
    reference = noise_convention == "none"  # evaluation conventions only beside semgym's noise
    for method in params["methods"]:
        if method == "federated":
            design = lib.federated_design(dl)
            evaluations.append((method, design.consensus, [(noise_convention, True)]))
            if reference:
                evaluations.append((method, design.precoder, [("transmit_f", True)]))
        elif method in ("first_k", "top_k"):
            precoder = lib.selection_design(dl, "first" if method == "first_k" else "top")
            variants = [(noise_convention, True)]
            if reference:
                variants.append(("baselines_not_dewhitened", False))
            evaluations.append((method, precoder, variants))
        elif method == "multi_link":
            evaluations.append((method, lib.multi_link_design(dl), [(noise_convention, True)]))
        else:
            raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    out: dict[int, list[Row]] = {s: [] for s in seeds}
    base_common = {
        **{key: params[key] for key in ("bank", "processing", "n_users", "group", "n_antennas")},
        **{key: float(params[key]) for key in ("pilot_fraction", "snr_db")},
        **{"channel_uses": k, "zeta": k / users.tx_dim},
    }
    for method, precoders, variants in evaluations:
        mse = lib.downlink_mse(dl, precoders)
        power = lib.downlink_power(dl, precoders)
        scores = lib.downlink_scores(dl, precoders, dewhiten=[d for _, d in variants])
        for (convention, _), acc, latent in zip(
            variants, scores.accuracy, scores.latent_mse, strict=True
        ):
            for b, seed in enumerate(seeds):
                metrics = {
                    "mse": mse[b],
                    "latent_mse": latent[b],
                    "accuracy": acc[b],
                    "native_accuracy": native,
                    "power_w": power[b],
                }
                base = {**base_common, "method": method, "convention": convention}
                out[seed].extend({**r, "seed": seed} for r in _user_rows(base, users, metrics))
    return out


# --- grids ------------------------------------------------------------------------------------
def _fits(options: GridOptions, n_antennas: int, channel_uses: int, n_users: int) -> bool:
    users = lib.downlink_users(
        options.bank, n_users, "heterogeneous", 1.0, processing=options.processing
    )
    return channel_uses * n_antennas <= users.tx_dim


def _point(options: GridOptions, **params: Any) -> Point:
    return Point.make(
        "downlink_design",
        bank=options.bank,
        processing=options.processing,
        snr_db=20.0,
        **params,
    )


def compression_grid(options: GridOptions) -> list[Point]:
    """Fig. 2: 10 heterogeneous users, all pilots, N × N ∈ {2, 4, 8}, K ∈ {1, 2, 4, 8, 12}
    (``--quick``: N ∈ {2, 4}, K ∈ {1, 4}); every method, with and without the reference
    code's noise convention."""
    antennas = (2, 4) if options.quick else (2, 4, 8)
    uses = (1, 4) if options.quick else (1, 2, 4, 8, 12)
    return [
        _point(
            options,
            n_users=10,
            group="heterogeneous",
            pilot_fraction=1.0,
            n_antennas=n,
            channel_uses=k,
            methods=METHODS,
            noise_convention=noise,
        )
        for noise in NOISE_CONVENTIONS
        for n in antennas
        for k in uses
        if _fits(options, n, k, 10)
    ]


def pilots_grid(options: GridOptions) -> list[Point]:
    """Fig. 3: 4 users, 4 × 4, homogeneous and heterogeneous groups, pilot fractions
    {0.1, 0.5, 1.0}, K ∈ {1, 2, 4, 8, 12, 24} (``--quick``: K ∈ {1, 4}); federated ADMM."""
    uses = (1, 4) if options.quick else (1, 2, 4, 8, 12, 24)
    return [
        _point(
            options,
            n_users=4,
            group=group,
            pilot_fraction=fraction,
            n_antennas=4,
            channel_uses=k,
            methods=("federated",),
            noise_convention="none",
        )
        for group in ("homogeneous", "heterogeneous")
        for fraction in (0.1, 0.5, 1.0)
        for k in uses
        if _fits(options, 4, k, 4)
    ]


# --- plots ------------------------------------------------------------------------------------
def _subtitle(rows: Sequence[Row]) -> str:
    seeds = sorted({r["seed"] for r in rows})
    return f"bank {rows[0]['bank']}, AP {rows[0]['tx']}, seeds {seeds}"


def _convention_rows(rows: Sequence[Row], method: str, convention: str) -> list[Row]:
    """The rows of ``method`` under ``convention`` (semgym's where it does not apply)."""
    chosen = plot.select(rows, method=method, convention=convention)
    return chosen or plot.select(rows, method=method, convention="none")


@figure(
    "federated-fig2",
    "federated",
    "Fig. 2",
    columns=_COLUMNS,
    grid=compression_grid,
    conventions=CONVENTIONS,
)
def plot_fig2(rows: Sequence[Row], path: Path, convention: str) -> None:
    """Network accuracy vs ζ for several antenna configurations.

    Network accuracy vs ζ, one panel per antenna configuration."""
    rows = plot.select(rows, link="network")
    antennas = sorted({r["n_antennas"] for r in rows})
    fig, axes = plot.new_figure(len(antennas), width=4.2)
    for ax, n in zip(axes, antennas, strict=True):
        sub = plot.select(rows, n_antennas=n)
        for method in METHODS:
            plot.curve(
                ax,
                _convention_rows(sub, method, convention),
                "zeta",
                "accuracy",
                **plot.method_style(method),
            )
        plot.ceiling(ax, plot.select(sub, method="federated", convention="none"))
        ax.set(
            xlabel="compression factor ζ = K/(d/2)",
            ylabel="network accuracy",
            title=f"{n} × {n} MIMO, SNR {sub[0]['snr_db']:g} dB, L = {sub[0]['n_users']}",
        )
        _zeta_ticks(ax, sub)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    shown = "" if convention == "none" else f" [reference-code convention: {convention}]"
    plot.save(fig, path, f"Federated paper Fig. 2 — {_subtitle(rows)}{shown}")


def _zeta_ticks(ax, rows: Sequence[Row]) -> None:
    ticks = sorted({(r["zeta"], r["channel_uses"]) for r in rows})
    plot.log_ticks(ax, [z for z, _ in ticks], [f"{z:.2g}\nK={k}" for z, k in ticks])


_PILOT_STYLE = {0.1: ":", 0.5: "--", 1.0: "-"}
_GROUP_COLOR = {"homogeneous": "tab:blue", "heterogeneous": "tab:red"}


@figure("federated-fig3", "federated", "Fig. 3", columns=_COLUMNS, grid=pilots_grid)
def plot_fig3(rows: Sequence[Row], path: Path, convention: str) -> None:
    """Network MSE and accuracy vs ζ, homogeneous vs heterogeneous users, pilots.

    Network NMSE (left) and accuracy (right) vs ζ per user group and pilot fraction."""
    rows = plot.select(plot.select(rows, link="network", method="federated"), convention="none")
    fig, (mse, acc) = plot.new_figure(2)
    for group, color in _GROUP_COLOR.items():
        for fraction, style in _PILOT_STYLE.items():
            sub = plot.select(rows, group=group, pilot_fraction=fraction)
            label = f"{group}, {fraction:.0%} pilots"
            plot.curve(mse, sub, "zeta", "nmse", label=label, color=color, linestyle=style)
            plot.curve(acc, sub, "zeta", "accuracy", label=label, color=color, linestyle=style)
        plot.level(
            acc,
            plot.select(rows, group=group, pilot_fraction=1.0),
            "native_accuracy",
            label=f"{group}: native (ceiling)",
            color=color,
            linestyle=":",
            lw=0.8,
        )
    mse.set(
        xlabel="compression factor ζ = K/(d/2)",
        ylabel="network NMSE (whitened targets)",
    )
    acc.set(xlabel="compression factor ζ = K/(d/2)", ylabel="network accuracy")
    plot.finish((mse, acc), lambda ax: _zeta_ticks(ax, rows), legend_size=6)
    r = rows[0]
    plot.save(
        fig,
        path,
        f"Federated paper Fig. 3 — {r['n_antennas']} × {r['n_antennas']} MIMO, "
        f"SNR {r['snr_db']:g} dB, L = {r['n_users']}; {_subtitle(rows)}",
    )
