"""``semgym figures``: sweeps (cache, resume, Ray), the figures' CSVs and PNGs, the report, and
the library changes the figures rely on."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from semgym.figures import FIGURES, GridOptions, Point, PointCache, run_sweep
from semgym.figures import _library as lib
from semgym.figures.figure import read_csv
from semgym.figures.sweep import PROCESSING_MODES, compute_kind

BANK = "synthetic"
SEEDS = (27, 42)

# --- a toy kind to watch the runner ------------------------------------------------------------
CALLS: list[tuple[int, tuple[int, ...]]] = []
FAIL_AT: set[int] = set()


@compute_kind("test_counter", version=1)
def _counter(params, seeds):
    if params["x"] in FAIL_AT:
        raise RuntimeError(f"interrupted at x = {params['x']}")
    CALLS.append((params["x"], seeds))
    return {s: [{"x": params["x"], "seed": s, "value": params["x"] * 1000 + s}] for s in seeds}


def _toy(xs):
    return [Point.make("test_counter", processing="linear", x=x) for x in xs]


@pytest.fixture
def calls():
    CALLS.clear()
    FAIL_AT.clear()
    yield CALLS
    FAIL_AT.clear()


def test_processing_modes_and_clear_errors():
    assert PROCESSING_MODES == ("linear", "widely_linear")
    with pytest.raises(ValueError, match=r"bogus.*not available.*'linear', 'widely_linear'"):
        Point.make("test_counter", processing="bogus", x=1)
    with pytest.raises(ValueError, match="processing"):
        GridOptions(processing="bogus")
    with pytest.raises(ValueError, match="links are 'linear'"):
        lib.interference_scenario(
            lib.interference_links(BANK),
            SEEDS,
            n_antennas=2,
            channel_uses=1,
            alpha=3.0,
            processing="widely_linear",
        )


def test_cli_rejects_other_processing(capsys):
    from semgym.cli import main

    assert main(["figures", "interference-fig2", "--processing", "bogus"]) == 2
    assert "processing 'bogus' is not available" in capsys.readouterr().err


@pytest.mark.parametrize("processing", ["linear", "widely_linear"])
def test_processing_is_in_every_point_and_key(processing):
    point = Point.make("test_counter", processing=processing, x=1)
    assert dict(point.params)["processing"] == processing
    for name, figure in FIGURES.items():
        for p in figure.grid(GridOptions(bank=BANK, quick=True, processing=processing)):
            assert p.param_dict["processing"] == processing, name
    assert point.key(27) != point.key(42)
    other = "widely_linear" if processing == "linear" else "linear"
    assert point.key(27) != Point.make("test_counter", processing=other, x=1).key(27)


def test_sweep_caches_per_point_and_seed(tmp_path, calls):
    cache = PointCache(tmp_path)
    rows, stats = run_sweep(_toy([1, 2, 3]), SEEDS, cache, progress=False)
    assert [r["value"] for r in rows] == [1027, 1042, 2027, 2042, 3027, 3042]
    assert calls == [(1, SEEDS), (2, SEEDS), (3, SEEDS)]  # one batch of seeds per point
    again, stats = run_sweep(_toy([1, 2, 3]), SEEDS, cache, progress=False)
    assert again == rows and stats.computed_points == 0 and stats.cached_seeds == 6
    assert len(calls) == 3
    # a changed parameter recomputes, a new seed computes only that seed
    _, stats = run_sweep(_toy([1, 4]), (27, 42, 100), cache, progress=False)
    assert calls[3:] == [(1, (100,)), (4, (27, 42, 100))]


def test_interrupted_sweep_recomputes_only_missing_points(tmp_path, calls):
    cache = PointCache(tmp_path)
    FAIL_AT.add(3)
    with pytest.raises(RuntimeError, match="interrupted"):
        run_sweep(_toy([1, 2, 3, 4]), SEEDS, cache, progress=False)
    assert [x for x, _ in calls] == [1, 2]
    FAIL_AT.clear()
    calls.clear()
    rows, stats = run_sweep(_toy([1, 2, 3, 4]), SEEDS, cache, progress=False)
    assert calls == [(3, SEEDS), (4, SEEDS)]
    assert stats.computed_points == 2 and stats.cached_seeds == 4
    # a deleted (or corrupt) cache file is recomputed, alone
    calls.clear()
    cache.path(_toy([2])[0], 42).unlink()
    cache.path(_toy([4])[0], 27).write_text("{not json")
    again, _ = run_sweep(_toy([1, 2, 3, 4]), SEEDS, cache, progress=False)
    assert sorted(calls) == [(2, (42,)), (4, (27,))]
    assert again == rows


def test_cache_file_names_the_point(tmp_path, calls):
    cache = PointCache(tmp_path)
    point = _toy([7])[0]
    run_sweep([point], (27,), cache, progress=False)
    blob = json.loads(cache.path(point, 27).read_text())
    assert blob["kind"] == "test_counter" and blob["seed"] == 27
    assert dict(map(tuple, blob["params"])) == {"processing": "linear", "x": 7}


def _tiny_points():
    common = {"bank": BANK, "processing": "linear", "iterations": 3}
    return [
        Point.make(
            "interference_final",
            **common,
            n_antennas=2,
            channel_uses=2,
            alphas=(1.0, 3.0),
            methods=("game_jacobi", "mui_less", "admm_wiener", "admm_design"),
        ),
        Point.make(
            "downlink_design",
            bank=BANK,
            processing="linear",
            n_users=3,
            group="heterogeneous",
            pilot_fraction=0.5,
            n_antennas=2,
            channel_uses=2,
            snr_db=20.0,
            methods=("federated", "first_k", "top_k", "multi_link"),
            noise_convention="none",
        ),
    ]


def test_ray_gives_the_same_rows_as_local(tmp_path):
    pytest.importorskip("ray")
    points = _tiny_points()
    lib.clear_caches()  # prepare banks and pairs as the fresh Ray workers do
    local, _ = run_sweep(points, SEEDS, PointCache(tmp_path / "local"), progress=False)
    remote, stats = run_sweep(
        points, SEEDS, PointCache(tmp_path / "ray"), backend="ray", progress=False
    )
    assert stats.computed_points == len(points)
    assert remote == local


def test_a_batch_of_seeds_equals_single_seeds(tmp_path):
    points = _tiny_points()
    batch, _ = run_sweep(points, SEEDS, PointCache(tmp_path / "batch"), progress=False)
    single = []
    for point in points:
        for seed in SEEDS:
            rows, _ = run_sweep([point], (seed,), PointCache(tmp_path / "one"), progress=False)
            single.extend(rows)
    assert len(batch) == len(single)
    for a, b in zip(batch, single, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            if isinstance(a[k], float):
                assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-12), k
            else:
                assert a[k] == b[k], k


def test_quick_all_writes_every_csv_and_png_and_the_report(tmp_path):
    from semgym.cli import main

    out, cache = tmp_path / "figures", tmp_path / "cache"
    report = tmp_path / "reproduction.md"
    args = ["figures", "all", "report", "--quick", "--bank", BANK, "--no-progress"]
    args += ["--out", str(out), "--cache-dir", str(cache), "--report", str(report)]
    assert main(args) == 0
    for name, figure in FIGURES.items():
        csv_path, png = out / f"{name}.csv", out / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        header = csv_path.read_text().splitlines()[0].split(",")
        assert tuple(header) == figure.columns, name
        rows = read_csv(csv_path)
        assert rows, name
        assert {r["seed"] for r in rows} == set(SEEDS), name
        assert all(r["processing"] == "linear" and r["bank"] == BANK for r in rows)
        assert any(r["link"] == "network" for r in rows)
        for r in rows:
            if r.get("accuracy") is not None:
                assert 0.0 <= r["accuracy"] <= 1.0 and r["native_accuracy"] is not None
    text = report.read_text()
    assert "claims hold" in text and "| IG-1 |" in text and "| FA-1 |" in text
    timings = (out / "timings.csv").read_text()
    assert all(name in timings for name in FIGURES)
    # a rerun computes nothing
    assert main(args) == 0
    import csv

    with (out / "timings.csv").open() as handle:
        assert {r["points_computed"] for r in csv.DictReader(handle)} == {"0"}


# --- the report's verdicts are computed ---------------------------------------------------------
def _fig5_rows(game_gap: float):
    rows = []
    for n in (4, 8):
        for alpha in (1.0, 40.0):
            for method, acc in (
                ("game_jacobi", 0.5 - (game_gap if alpha == 1.0 else 0.0)),
                ("mui_less", 0.5),
                ("admm_wiener", 0.3),
                ("admm_design", 0.1 if alpha == 1.0 else 0.45),
            ):
                for seed in SEEDS:
                    rows.append(
                        {
                            "n_antennas": n,
                            "alpha": alpha,
                            "method": method,
                            "link": "network",
                            "seed": seed,
                            "accuracy": acc,
                            "native_accuracy": 0.9,
                            "convention": "none",
                        }
                    )
    return rows


def test_report_verdicts_follow_the_numbers():
    from semgym.figures.report import CLAIMS, evaluate

    by_key = {c.key: c for c in CLAIMS}
    close = by_key["IG-12"].check(_fig5_rows(0.01))
    far = by_key["IG-12"].check(_fig5_rows(0.10))
    assert close.held and not far.held
    assert "α = 1" in far.numbers
    catastrophic = by_key["IG-15"].check(_fig5_rows(0.0))
    assert catastrophic.held  # 10 % at α = 1 vs 45 % at α = 40
    outcomes = evaluate({"interference-fig5": _fig5_rows(0.10)})
    assert {o.claim.figure for o in outcomes} == {"interference-fig5"}


def test_committed_report_has_a_reason_for_every_claim_that_fails():
    from pathlib import Path

    from semgym.figures.report import evaluate, load_tables

    docs = Path(__file__).resolve().parents[1] / "docs" / "figures"
    tables = load_tables(docs)
    assert tables, "the figure CSVs are committed under docs/figures"
    for outcome in evaluate(tables):
        if not outcome.verdict.held:
            assert outcome.claim.reason, outcome.claim.key


# --- the adapter agrees with the solvers --------------------------------------------------------
@pytest.mark.parametrize("processing", ["linear", "widely_linear"])
def test_adapter_mse_equals_the_solvers(processing):
    links = lib.interference_links(BANK, processing=processing)
    scenario = lib.interference_scenario(
        links, SEEDS, n_antennas=2, channel_uses=2, alpha=1.0, processing=processing
    )
    trajectory = lib.best_response_trajectory(scenario, iterations=3)
    precoders = lib.game_precoders(scenario, trajectory.states[-1])
    np.testing.assert_allclose(
        lib.interference_scores(scenario, precoders, accuracy=False).mse,
        trajectory.mse[-1],
        rtol=1e-9,
    )
    bound = lib.mui_less(scenario)
    np.testing.assert_allclose(
        lib.interference_scores(scenario, bound.precoders, interference=False, accuracy=False).mse,
        bound.mse,
        rtol=1e-9,
    )
    admm = lib.mui_agnostic(scenario, iterations=5)
    np.testing.assert_allclose(
        lib.interference_scores(scenario, admm.precoders, accuracy=False).mse, admm.mse, rtol=1e-9
    )
    designed = lib.interference_scores(
        scenario, admm.precoders, receiver="design", accuracy=False
    ).mse
    assert (designed >= admm.mse * (1 - 1e-12)).all()  # never below the Wiener receiver


def test_trajectory_equals_one_run_of_the_dynamics():
    from semgym.scenarios import GameOperator
    from semgym.solvers import best_response_dynamics

    links = lib.interference_links(BANK)
    scenario = lib.interference_scenario(
        links, SEEDS, n_antennas=2, channel_uses=2, alpha=3.0, processing="linear"
    )
    trajectory = lib.best_response_trajectory(scenario, iterations=4)
    start = GameOperator(scenario.game).initial_state(seed=list(SEEDS))
    trace = best_response_dynamics(scenario.game, max_iters=4, init=start, tol=1e-300)
    np.testing.assert_allclose(trajectory.mse, trace.mse.numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        trajectory.exploitability, trace.exploitability.numpy(), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("processing", ["linear", "widely_linear"])
def test_downlink_mse_equals_federated_admm(processing):
    from semgym.solvers import federated_admm

    users = lib.downlink_users(BANK, 3, "heterogeneous", 1.0, processing=processing)
    dl = lib.downlink(
        users, SEEDS, n_antennas=2, channel_uses=2, snr_db=20.0, processing=processing
    )
    design = lib.federated_design(dl)
    trace = federated_admm(dl.scene)
    np.testing.assert_allclose(
        lib.downlink_mse(dl, design.consensus), trace.mse[-1].numpy(), rtol=1e-9
    )
    assert (lib.downlink_power(dl, design.consensus) <= 1.0 + 1e-9).all()


# --- library changes the figures need -----------------------------------------------------------
def test_centering_only_whitener_skips_the_identity_product(gen):
    from semgym.core import fit_whitener

    x = torch.randn(50, 6, dtype=torch.complex128, generator=gen)
    centred = fit_whitener(x, whiten=False)
    assert centred.identity
    full = type(centred)(centred.mean, centred.factor)  # the same map, through the product
    torch.testing.assert_close(centred.apply(x), full.apply(x), rtol=0, atol=0)
    z = centred.apply(x)
    torch.testing.assert_close(centred.invert(z), full.invert(z), rtol=0, atol=0)
    assert not fit_whitener(x).identity


def test_untracked_admm_runs_give_the_tracked_results():
    from semgym.solvers import federated_admm, mui_agnostic_admm

    links = lib.interference_links(BANK)
    scenario = lib.interference_scenario(
        links, SEEDS, n_antennas=2, channel_uses=2, alpha=3.0, processing="linear"
    )
    pairs = list(links.pairs)
    a = mui_agnostic_admm(scenario.game, pairs, rho=1.0, iterations=6)
    b = mui_agnostic_admm(scenario.game, pairs, rho=1.0, iterations=6, track=False)
    torch.testing.assert_close(a.mse, b.mse, rtol=1e-12, atol=0)
    torch.testing.assert_close(a.mui_free_mse, b.mui_free_mse, rtol=1e-12, atol=0)
    assert b.runs[0].objective.shape[0] == 0

    users = lib.downlink_users(BANK, 3, "homogeneous", 1.0)
    dl = lib.downlink(users, SEEDS, n_antennas=2, channel_uses=2, snr_db=10.0, processing="linear")
    full = federated_admm(dl.scene)
    bare = federated_admm(dl.scene, track=False)
    torch.testing.assert_close(full.consensus, bare.consensus, rtol=0, atol=0)
    torch.testing.assert_close(full.mse[-1], bare.mse[-1], rtol=1e-12, atol=0)
    assert bare.mse.shape[0] == 1 and bare.objective.shape[0] == 0


@pytest.mark.parametrize("processing", ["linear", "widely_linear"])
def test_latents_with_and_without_dewhitening(gen, processing):
    """rx_latents(dewhiten=False) is the unpacked estimate of the whitened target (what the
    reference code's baselines hand their heads); with dewhitening it inverts the whitener."""
    from semgym import core

    users = lib.downlink_users(BANK, 2, "heterogeneous", 1.0, processing=processing)
    pair = users.pairs[0]
    dtype = torch.float64 if pair.widely_linear else torch.complex128
    estimate = torch.randn(40, pair.stats.rx_dim, dtype=dtype, generator=gen)
    raw = pair.rx_latents(estimate, dewhiten=False)
    if pair.widely_linear:
        torch.testing.assert_close(raw, estimate[:, : pair.rx_real_dim])
    else:
        torch.testing.assert_close(raw, core.complex_to_real(estimate, pair.rx_real_dim))
    undone = pair.rx_latents(estimate)
    torch.testing.assert_close(pair.rx_targets(undone), estimate, rtol=1e-8, atol=1e-8)
    assert not torch.allclose(raw, undone)


def test_per_element_mse(gen):
    from semgym.core import per_element_mse

    a = torch.randn(3, 20, 5, dtype=torch.float64, generator=gen)
    b = torch.randn(3, 20, 5, dtype=torch.float64, generator=gen)
    expected = torch.tensor([float(((a[i] - b[i]) ** 2).mean()) for i in range(3)])
    torch.testing.assert_close(per_element_mse(a, b), expected.double())
    z = torch.complex(a, b)
    torch.testing.assert_close(
        per_element_mse(z, torch.zeros_like(z)), (a**2 + b**2).mean((-2, -1))
    )
    with pytest.raises(ValueError, match="same"):
        per_element_mse(a, b[..., :4])
