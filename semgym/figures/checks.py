"""The checks of the papers' claims: functions of one figure's CSV rows that return a
:class:`Verdict` (held or not, and the numbers it is based on), and the quantitative reading
of the papers' qualitative words (:data:`THRESHOLDS`). The claims that use them are in
:mod:`semgym.figures.claims`.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from semgym.figures.figure import NO_CONVENTION
from semgym.figures.sweep import Row

#: The quantitative reading of the papers' words.
THRESHOLDS = {
    "significant_accuracy": 0.02,  # "significantly/substantially better": ≥ 2 points
    "significant_db": 0.5,  # ... or ≥ 0.5 dB of MSE
    "close_accuracy": 0.02,  # "close to": within 2 points
    "settled": 1e-3,  # a sequence has settled: relative change over the last 5 iterations
    "settled_accuracy": 0.01,  # an accuracy has settled: spread < 1 point over the last 10
    "equilibrium": 1e-4,  # a Nash equilibrium: exploitability / network MSE
    "robust": 0.8,  # "robust at high compression": keeps ≥ 80 % of its best accuracy
    "catastrophic": 0.5,  # "catastrophic": loses ≥ half of its accuracy
}


@dataclass(frozen=True)
class Verdict:
    """Whether a claim holds on the rows, and the numbers that say so."""

    held: bool
    numbers: str


# --- helpers on rows --------------------------------------------------------------------------
def _where(rows: Iterable[Row], **match: object) -> list[Row]:
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def _net(rows: Iterable[Row], **match: object) -> list[Row]:
    return _where(rows, link="network", **match)


def _mean_by(rows: Iterable[Row], key: str, value: str) -> dict[object, float]:
    """Mean of ``value`` over the rows (seeds) of each ``key``, keys ascending."""
    groups: dict[object, list[float]] = defaultdict(list)
    for r in rows:
        if r.get(value) is not None:
            groups[r[key]].append(float(r[value]))
    return {k: float(np.mean(groups[k])) for k in sorted(groups, key=_sort_key)}


def _sort_key(value: object) -> tuple[int, object]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def _std_by(rows: Iterable[Row], key: str, value: str) -> dict[object, float]:
    groups: dict[object, list[float]] = defaultdict(list)
    for r in rows:
        if r.get(value) is not None:
            groups[r[key]].append(float(r[value]))
    return {k: float(np.std(groups[k], ddof=1)) for k in sorted(groups, key=_sort_key)}


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _pts(value: float) -> str:
    return f"{100 * value:+.1f} pts"


def _last(rows: Sequence[Row]) -> int:
    return max(int(r["iteration"]) for r in rows if r.get("iteration") is not None)


def with_convention(rows: Sequence[Row], convention: str) -> list[Row]:
    """The rows as the reference code's ``convention`` would give them: each method's rows
    under that convention where the CSV has some, semgym's (``none``) otherwise."""
    if convention == NO_CONVENTION:
        return [r for r in rows if r.get("convention") == NO_CONVENTION]
    changed = {r["method"] for r in rows if r.get("convention") == convention}
    return [
        r
        for r in rows
        if r.get("convention") == convention
        or (r.get("convention") == NO_CONVENTION and r["method"] not in changed)
    ]


def _native(rows: Sequence[Row]) -> str:
    values = [float(r["native_accuracy"]) for r in rows if r.get("native_accuracy") is not None]
    return f"native {_pct(float(np.mean(values)))}" if values else "native n/a"


# --- interference paper -----------------------------------------------------------------------
_GAMES = {"game_jacobi": "Jacobi", "game_gauss_seidel": "Gauss-Seidel"}
_ADMM = {"admm_design": "designed rx", "admm_wiener": "Wiener rx"}


def settles(rows: list[Row]) -> Verdict:
    parts, held = [], True
    for method, name in _GAMES.items():
        net = _net(rows, method=method)
        last = _last(net)
        worst = 0.0
        for seed in sorted({r["seed"] for r in net}):
            mse = {r["iteration"]: r["mse"] for r in _where(net, seed=seed)}
            tail = [mse[t] for t in range(max(0, last - 5), last + 1)]
            worst = max(worst, (max(tail) - min(tail)) / mse[last])
        held &= worst < THRESHOLDS["settled"]
        parts.append(
            f"{name}: network MSE varies by ≤ {worst:.1e} (relative) over t = "
            f"{max(0, last - 5)}…{last}"
        )
    return Verdict(held, "; ".join(parts))


def equilibrium(method: str) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        net = _net(rows, method=method)
        last = _last(net)
        final = _where(net, iteration=last)
        ratio = max(float(r["exploitability"]) / float(r["mse"]) for r in final)
        return Verdict(
            ratio < THRESHOLDS["equilibrium"],
            f"exploitability after {last} iterations ≤ {ratio:.1e} of the network MSE "
            f"(all seeds; max over links of the MSE a unilateral best response gains)",
        )

    return check


def _middle(links: Sequence[str]) -> str:
    ordered = sorted(links, key=int)
    return ordered[(len(ordered) - 1) // 2]


def middle_mui(rows: list[Row]) -> Verdict:
    game = _where(rows, method="game_jacobi")
    final = [r for r in _where(game, iteration=_last(game)) if r["link"] != "network"]
    mui = _mean_by(final, "link", "mui_power_db")
    middle = _middle(list(mui))
    top = max(mui, key=mui.get)
    text = ", ".join(f"link {k} {v:.1f} dBm" for k, v in mui.items())
    return Verdict(top == middle, f"MUI power at the equilibrium iterate: {text}")


def middle_struggler(rows: list[Row]) -> Verdict:
    game = _where(rows, method="game_jacobi")
    final = [r for r in _where(game, iteration=_last(game)) if r["link"] != "network"]
    alone = [r for r in _where(rows, method="mui_less") if r["link"] != "network"]
    mse, free = _mean_by(final, "link", "mse"), _mean_by(alone, "link", "mse")
    loss = {k: mse[k] / free[k] - 1 for k in mse}
    middle = _middle(list(loss))
    top = max(loss, key=loss.get)
    text = ", ".join(f"link {k} +{100 * v:.2f} %" for k, v in loss.items())
    raw = ", ".join(f"link {k} {v:.0f}" for k, v in mse.items())
    return Verdict(
        top == middle, f"MSE lost to MUI (game vs MUI-less, per link): {text}; MSE: {raw}"
    )


def mui_decreases(rows: list[Row]) -> Verdict:
    game = [r for r in _where(rows, method="game_jacobi") if r["link"] != "network"]
    last = _last(game)
    start = _mean_by(_where(game, iteration=0), "link", "mui_power_db")
    end = _mean_by(_where(game, iteration=last), "link", "mui_power_db")
    change = {k: end[k] - start[k] for k in start}
    text = ", ".join(f"link {k} {v:+.2f} dB" for k, v in change.items())
    held = all(v <= -THRESHOLDS["significant_db"] for v in change.values())
    return Verdict(
        held,
        f"MUI power t = 0 → {last}: {text} (a visible trend: ≥ {THRESHOLDS['significant_db']} dB)",
    )


def accuracy_settles(rows: list[Row]) -> Verdict:
    net = _net(rows, method="game_jacobi")
    acc = _mean_by(net, "iteration", "accuracy")
    last = max(acc)
    tail = [acc[t] for t in range(max(0, last - 9), last + 1)]
    spread = max(tail) - min(tail)
    held = acc[last] > acc[0] and spread < THRESHOLDS["settled_accuracy"]
    return Verdict(
        held,
        f"network accuracy {_pct(acc[0])} at t = 0, {_pct(acc[last])} at t = {last}; spread "
        f"over the last 10 iterations {100 * spread:.1f} pts ({_native(net)})",
    )


def _series(rows: Sequence[Row], method: str, x: str, y: str, **match: object) -> dict:
    return _mean_by(_net(rows, method=method, **match), x, y)


def beats(admm: str) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        game_db = _series(rows, "game_jacobi", "xi", "mse_db")
        game_acc = _series(rows, "game_jacobi", "xi", "accuracy")
        other_db = _series(rows, admm, "xi", "mse_db")
        other_acc = _series(rows, admm, "xi", "accuracy")
        gaps_db = [other_db[x] - game_db[x] for x in game_db]
        gaps_acc = [game_acc[x] - other_acc[x] for x in game_acc]
        held = min(gaps_db) >= THRESHOLDS["significant_db"] or (
            min(gaps_acc) >= THRESHOLDS["significant_accuracy"] and min(gaps_db) > 0
        )
        return Verdict(
            held,
            f"over ξ ∈ [{min(game_db):.2g}, {max(game_db):.2g}]: game MSE lower by "
            f"{min(gaps_db):.2f}–{max(gaps_db):.2f} dB, accuracy higher by "
            f"{_pts(min(gaps_acc))}…{_pts(max(gaps_acc))} "
            f"(game {_pct(min(game_acc.values()))}–{_pct(max(game_acc.values()))}, "
            f"{_native(_net(rows))})",
        )

    return check


def closer_with_xi(rows: list[Row]) -> Verdict:
    game_db = _series(rows, "game_jacobi", "xi", "mse_db")
    less_db = _series(rows, "mui_less", "xi", "mse_db")
    game_acc = _series(rows, "game_jacobi", "xi", "accuracy")
    less_acc = _series(rows, "mui_less", "xi", "accuracy")
    xs = list(game_db)
    gap = {x: game_db[x] - less_db[x] for x in xs}
    gap_acc = {x: less_acc[x] - game_acc[x] for x in xs}
    held = gap[xs[-1]] < gap[xs[0]] and gap_acc[xs[-1]] < gap_acc[xs[0]]
    text = ", ".join(f"{gap[x]:.2f} dB / {_pts(gap_acc[x])}" for x in xs)
    return Verdict(
        held,
        f"gap to the MUI-less bound (MSE / accuracy) at ξ = "
        f"{', '.join(f'{x:.2g}' for x in xs)}: {text}",
    )


def tradeoff(rows: list[Row]) -> Verdict:
    mse = _series(rows, "game_jacobi", "xi", "mse_db")
    acc = _series(rows, "game_jacobi", "xi", "accuracy")
    values = list(mse.values())
    decreasing = all(b < a for a, b in itertools.pairwise(values))
    xs = list(acc)
    held = decreasing and acc[xs[-1]] > acc[xs[0]]
    return Verdict(
        held,
        f"game MSE {' → '.join(f'{v:.2f}' for v in values)} dB, accuracy "
        f"{' → '.join(_pct(acc[x]) for x in xs)} as ξ grows ({_native(_net(rows))})",
    )


def close_to_bound(rows: list[Row]) -> Verdict:
    parts, held = [], True
    for n in sorted({r["n_antennas"] for r in rows}):
        game = _series(rows, "game_jacobi", "alpha", "accuracy", n_antennas=n)
        less = _series(rows, "mui_less", "alpha", "accuracy", n_antennas=n)
        gaps = {a: less[a] - game[a] for a in game}
        worst = max(gaps, key=gaps.get)
        held &= gaps[worst] <= THRESHOLDS["close_accuracy"]
        close = [
            a
            for a in sorted(gaps)
            if all(gaps[b] <= THRESHOLDS["close_accuracy"] for b in gaps if b >= a)
        ]
        from_alpha = (
            f"; within {_pts(THRESHOLDS['close_accuracy'])[1:]} for α ≥ {close[0]:g}"
            if close
            else ""
        )
        parts.append(
            f"N = {n}: game up to {_pts(gaps[worst])[1:]} below MUI-less (at α = "
            f"{worst:g}: {_pct(game[worst])} vs {_pct(less[worst])}){from_alpha}"
        )
    return Verdict(held, "; ".join(parts) + f" ({_native(_net(rows))})")


def gap_grows(admm: str) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        parts, held = [], True
        for n in sorted({r["n_antennas"] for r in rows}):
            game = _series(rows, "game_jacobi", "alpha", "accuracy", n_antennas=n)
            other = _series(rows, admm, "alpha", "accuracy", n_antennas=n)
            lo, hi = min(game), max(game)
            gap_lo, gap_hi = game[lo] - other[lo], game[hi] - other[hi]
            ok = gap_lo >= THRESHOLDS["significant_accuracy"] and gap_lo > gap_hi
            held &= ok
            parts.append(
                f"N = {n}: game − ADMM ({_ADMM[admm]}) {_pts(gap_lo)} at α = {lo:g}, "
                f"{_pts(gap_hi)} at α = {hi:g}"
            )
        return Verdict(held, "; ".join(parts))

    return check


def catastrophic(admm: str) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        parts, held = [], True
        for n in sorted({r["n_antennas"] for r in rows}):
            acc = _series(rows, admm, "alpha", "accuracy", n_antennas=n)
            lo, hi = min(acc), max(acc)
            kept = acc[lo] / acc[hi]
            held &= kept <= 1 - THRESHOLDS["catastrophic"]
            parts.append(
                f"N = {n}: ADMM ({_ADMM[admm]}) {_pct(acc[lo])} at α = {lo:g} vs "
                f"{_pct(acc[hi])} at α = {hi:g}"
            )
        return Verdict(held, "; ".join(parts) + f" ({_native(_net(rows))})")

    return check


def worse_with_antennas(admm: str) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        antennas = sorted({r["n_antennas"] for r in rows})
        small, large = antennas[0], antennas[-1]
        a = _series(rows, admm, "alpha", "accuracy", n_antennas=small)
        b = _series(rows, admm, "alpha", "accuracy", n_antennas=large)
        lo, hi = min(a), max(a)
        drop_small, drop_large = a[hi] - a[lo], b[hi] - b[lo]
        held = a[lo] - b[lo] >= THRESHOLDS["significant_accuracy"]
        other = "admm_wiener" if admm == "admm_design" else "admm_design"
        c = _series(rows, other, "alpha", "accuracy", n_antennas=small)
        d = _series(rows, other, "alpha", "accuracy", n_antennas=large)
        return Verdict(
            held,
            f"ADMM ({_ADMM[admm]}) at α = {lo:g}: {_pct(a[lo])} (N = {small}) vs {_pct(b[lo])} "
            f"(N = {large}); its loss from α = {hi:g} to {lo:g}: {_pts(drop_small)} vs "
            f"{_pts(drop_large)}; ADMM ({_ADMM[other]}) at α = {lo:g}: {_pct(c[lo])} vs "
            f"{_pct(d[lo])} (chance: 10 %)",
        )

    return check


# --- federated paper --------------------------------------------------------------------------
def fed_beats(baselines: Sequence[str]) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        parts, worst_all = [], math.inf
        nmse_lower = {}
        for n in sorted({r["n_antennas"] for r in rows}):
            fed = _series(rows, "federated", "zeta", "accuracy", n_antennas=n)
            fed_nmse = _series(rows, "federated", "zeta", "nmse", n_antennas=n)
            for base in baselines:
                other = _series(rows, base, "zeta", "accuracy", n_antennas=n)
                other_nmse = _series(rows, base, "zeta", "nmse", n_antennas=n)
                lower = all(fed_nmse[z] < other_nmse[z] for z in fed_nmse)
                nmse_lower[base] = nmse_lower.get(base, True) and lower
                gaps = {z: fed[z] - other[z] for z in fed}
                worst = min(gaps, key=gaps.get)
                worst_all = min(worst_all, gaps[worst])
                parts.append(
                    f"{n}×{n} vs {base}: {_pts(gaps[worst])} at ζ = {worst:.2g} "
                    f"({_pct(fed[worst])} vs {_pct(other[worst])}), best "
                    f"{_pts(max(gaps.values()))}"
                )
        need = THRESHOLDS["significant_accuracy"] if "multi_link" not in baselines else 0.0
        held = worst_all >= need and worst_all > 0
        nmse = ", ".join(
            f"federated NMSE {'below' if v else 'not always below'} {b}'s at every point"
            for b, v in nmse_lower.items()
        )
        return Verdict(held, "; ".join(parts) + f"; {nmse} ({_native(_net(rows))})")

    return check


def robust(rows: list[Row]) -> Verdict:
    parts, held = [], True
    for n in sorted({r["n_antennas"] for r in rows}):
        fed = _series(rows, "federated", "zeta", "accuracy", n_antennas=n)
        kept = fed[min(fed)] / max(fed.values())
        held &= kept >= THRESHOLDS["robust"]
        parts.append(
            f"{n}×{n}: {_pct(fed[min(fed)])} at ζ = {min(fed):.2g} vs best "
            f"{_pct(max(fed.values()))} ({100 * kept:.0f} % kept)"
        )
    return Verdict(held, "; ".join(parts) + f" ({_native(_net(rows))})")


def _groups(rows: Sequence[Row]) -> list[tuple[str, float]]:
    return sorted({(r["group"], float(r["pilot_fraction"])) for r in _net(rows)})


def monotone(column: str, decreasing: bool) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        parts, held = [], True
        for group, fraction in _groups(rows):
            s = _series(rows, "federated", "zeta", column, group=group, pilot_fraction=fraction)
            v = list(s.values())
            if decreasing:
                ok = all(b < a for a, b in itertools.pairwise(v))
            else:
                ok = v[-1] > v[0]
            held &= ok
            shown = " → ".join(_pct(x) if column == "accuracy" else f"{x:.3g}" for x in v)
            parts.append(f"{group} {fraction:.0%}: {shown}{'' if ok else ' ✗'}")
        return Verdict(held, "; ".join(parts))

    return check


def homogeneous_lower(column: str) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        parts, held = [], True
        for fraction in sorted({float(r["pilot_fraction"]) for r in rows}):
            sel = {"pilot_fraction": fraction}
            hom = _series(rows, "federated", "zeta", column, group="homogeneous", **sel)
            het = _series(rows, "federated", "zeta", column, group="heterogeneous", **sel)
            ratio = [hom[z] / het[z] for z in hom]
            held &= max(ratio) < 0.95
            parts.append(
                f"{fraction:.0%} pilots: homogeneous {column} {100 * (1 - max(ratio)):.1f}–"
                f"{100 * (1 - min(ratio)):.1f} % below heterogeneous"
            )
        return Verdict(held, "; ".join(parts) + " (significant: ≥ 5 % lower at every ζ)")

    return check


def homogeneous_accuracy(rows: list[Row]) -> Verdict:
    parts, held = [], True
    for fraction in sorted({float(r["pilot_fraction"]) for r in rows}):
        sel = {"pilot_fraction": fraction}
        hom = _series(rows, "federated", "zeta", "accuracy", group="homogeneous", **sel)
        het = _series(rows, "federated", "zeta", "accuracy", group="heterogeneous", **sel)
        gaps = [hom[z] - het[z] for z in hom]
        held &= min(gaps) >= THRESHOLDS["significant_accuracy"]
        parts.append(
            f"{fraction:.0%} pilots: homogeneous {_pts(min(gaps))}…{_pts(max(gaps))} "
            "above heterogeneous"
        )
    hom_rows = _net(rows, group="homogeneous")
    het_rows = _net(rows, group="heterogeneous")
    return Verdict(
        held,
        "; ".join(parts) + f" ({_native(hom_rows)} homogeneous, {_native(het_rows)} heterogeneous)",
    )


def homogeneous_stable(rows: list[Row]) -> Verdict:
    hom = _net(rows, method="federated", group="homogeneous")
    het = _net(rows, method="federated", group="heterogeneous")

    def spread(sub: list[Row]) -> float:
        keyed = defaultdict(list)
        for r in sub:
            keyed[(r["zeta"], r["pilot_fraction"])].append(float(r["accuracy"]))
        return float(np.mean([np.std(v, ddof=1) for v in keyed.values()]))

    a, b = spread(hom), spread(het)
    return Verdict(
        a < b,
        f"accuracy std across seeds, mean over ζ and pilots: homogeneous "
        f"{_pts(a)[1:]}, heterogeneous {_pts(b)[1:]}",
    )


def pilots(better: float, worse: float) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        parts, held = [], True
        for group in sorted({r["group"] for r in rows}):
            a = _series(rows, "federated", "zeta", "accuracy", group=group, pilot_fraction=better)
            b = _series(rows, "federated", "zeta", "accuracy", group=group, pilot_fraction=worse)
            gain = float(np.mean([a[z] - b[z] for z in a]))
            held &= gain > 0
            top = max(a)
            train = {
                f: _series(rows, "federated", "zeta", "nmse", group=group, pilot_fraction=f)[top]
                for f in (better, worse)
            }
            test = {
                f: _series(rows, "federated", "zeta", "latent_mse", group=group, pilot_fraction=f)[
                    top
                ]
                for f in (better, worse)
            }
            parts.append(
                f"{group}: accuracy with {better:.0%} of the pilots vs {worse:.0%}: "
                f"{_pts(gain)} (mean over ζ; {_pts(min(a[z] - b[z] for z in a))}…"
                f"{_pts(max(a[z] - b[z] for z in a))}); at ζ = {top:.2g} pilot NMSE "
                f"{train[better]:.3f} vs {train[worse]:.3f}, test latent MSE "
                f"{test[better]:.3g} vs {test[worse]:.3g}"
            )
        return Verdict(held, "; ".join(parts))

    return check


# --- journal abstract -------------------------------------------------------------------------
def caps_hold(rows: list[Row]) -> Verdict:
    capped = _net(rows, method="game_capped")
    ignoring = _net(rows, method="game_uncapped")
    held = all(bool(r["caps_hold"]) for r in capped)
    broken = sorted({r["cap_fraction"] for r in ignoring if not r["caps_hold"]})
    worst = max(float(r["primary_interference_w"]) / float(r["cap_w"]) for r in capped)
    return Verdict(
        held,
        f"capped game: received/I_max ≤ {worst:.3f} at every cap and seed; the game ignoring "
        f"the caps violates them at I_max/I_iso ∈ {{{', '.join(f'{c:g}' for c in broken)}}}",
    )


def nonincreasing(column: str, method: str, label: str) -> Callable[[list[Row]], Verdict]:
    def check(rows: list[Row]) -> Verdict:
        s = _series(rows, method, "cap_fraction", column)
        v = list(s.values())
        held = all(b <= a * (1 + 1e-9) for a, b in itertools.pairwise(v)) and v[-1] < v[0]
        shown = " → ".join(f"{x:.3g}" for x in v)
        return Verdict(held, f"{label} as I_max grows ({min(s):g} → {max(s):g} of I_iso): {shown}")

    return check


def access_accuracy(rows: list[Row]) -> Verdict:
    s = _series(rows, "game_capped", "cap_fraction", "accuracy")
    v = list(s.values())
    return Verdict(
        v[-1] > v[0] + THRESHOLDS["significant_accuracy"],
        f"secondary accuracy {' → '.join(_pct(x) for x in v)} as I_max grows "
        f"({_native(_net(rows))})",
    )


def access_equilibrium(rows: list[Row]) -> Verdict:
    capped = _net(rows, method="game_capped")
    ratio = max(float(r["exploitability"]) / float(r["mse"]) for r in capped)
    return Verdict(
        ratio < THRESHOLDS["equilibrium"],
        f"capped game after its iterations: exploitability ≤ {ratio:.1e} of the network MSE "
        "(all caps and seeds, Jacobi updates)",
    )
