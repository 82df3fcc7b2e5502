"""The solvers on random games: finite outputs, feasible powers and precoders,
exploitability >= 0, the best response below any state's MSE, the MUI-less bound below every
allocation's MSE, the multi-link bound below every shared precoder's MSE, determinism,
batches equal single games."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from helpers import related_latents
from hypothesis import strategies as st
from properties import (
    ALPHAS,
    SEEDS,
    SNRS,
    all_finite,
    assert_same,
    twins,
)

import semgym  # noqa: F401  (registers the Gymnasium ids)
from semgym.channels import InterferenceChannelConfig
from semgym.channels.interference import sample_rayleigh_downlink
from semgym.scenarios import (
    Downlink,
    DownlinkConfig,
    GameOperator,
    InterferenceGame,
    prepare_users,
)
from semgym.solvers import (
    FederatedSettings,
    best_response_dynamics,
    federated_admm,
    first_k,
    mmse_svd_least_squares,
    mui_agnostic_design,
    mui_less_bound,
    multi_link,
    random_powers,
    top_k,
    uniform_powers,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- 3. solvers --------------------------------------------------------------------------------
@st.composite
def synthetic_games(draw: st.DrawFn) -> tuple[InterferenceChannelConfig, int, list[int]]:
    """(channel config, K, seeds) of ``InterferenceGame.synthetic`` (a batch of 1 or 2)."""
    config = InterferenceChannelConfig(
        n_links=draw(st.integers(1, 4)),
        n_tx_antennas=draw(st.integers(1, 3)),
        n_rx_antennas=draw(st.integers(1, 3)),
        alpha=draw(ALPHAS),
        snr_db=draw(SNRS),
        fading=draw(st.sampled_from(("rician", "rayleigh"))),
        tx_power_w=draw(st.sampled_from((1.0, 0.1, 4.0))),
    )
    seeds = draw(st.lists(SEEDS, min_size=1, max_size=2))
    return config, draw(st.integers(1, 3)), seeds


def _solve(setup: tuple, options: dict[str, Any], power_seed: int) -> dict[str, Any]:
    config, k, seeds = setup
    game = InterferenceGame.synthetic(config, channel_uses=k, seed=seeds)
    return {
        "game": game,
        "trace": best_response_dynamics(game, **options),
        "bound": mui_less_bound(game),
        "agnostic": mui_agnostic_design(game),
        "uniform": uniform_powers(game),
        "random": random_powers(game, seed=power_seed),
    }


def _tensors(result: dict[str, Any]) -> dict[str, object]:
    """Every tensor of a ``_solve`` result, by name (for exact comparisons)."""
    out: dict[str, object] = {}
    for name, value in result.items():
        if name == "game":
            continue
        trace_fields = (
            "mse",
            "nmse",
            "network_mse",
            "mui_power",
            "exploitability",
            "step_size",
            "relative_change",
            "converged",
            "iterations",
        )
        fields = trace_fields if name == "trace" else ()
        for field in fields:
            out[f"{name}.{field}"] = getattr(value, field)
        state = value.state
        out[f"{name}.powers"] = state.powers
        out[f"{name}.covariance"] = state.covariance_blocks
        if name != "trace":
            out[f"{name}.mse"] = value.metrics.mse
    return out


SCHEMES_ST = st.sampled_from(("jacobi", "gauss_seidel"))


@st.composite
def dynamics_options(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "scheme": draw(SCHEMES_ST),
        "max_iters": draw(st.integers(1, 12)),
        "tol": draw(st.sampled_from((1e-8, 1e-4))),
        "step_size": draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0))),
        "epsilon": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0))),
        "seed": draw(SEEDS),
    }


def _interference_solvers(setup: tuple, options: dict[str, Any], power_seed: int) -> None:
    result = _solve(setup, options, power_seed)
    game, trace = result["game"], result["trace"]
    b, n_links, budget, m = game.batch_size, game.n_links, game.budget, game.n_modes
    energy = game.target_energy
    tol = 1e-9 * energy
    # the dynamics' trace: shapes, finiteness, the recorded step sizes, the final row
    rows = trace.mse.shape[0]
    assert 2 <= rows <= options["max_iters"] + 1 and trace.mse.shape == (rows, b, n_links)
    assert bool((trace.iterations <= options["max_iters"]).all())
    assert all_finite(_tensors(result))
    torch.testing.assert_close(trace.network_mse, trace.mse.mean(-1))
    assert bool((trace.exploitability >= 0).all()) and bool((trace.relative_change >= 0).all())
    assert bool((trace.relative_change[-1] == 0).all())
    gamma = options["step_size"]
    for t in range(rows):
        assert abs(float(trace.step_size[t]) - gamma) <= 1e-12
        gamma *= 1.0 - options["epsilon"] * gamma
    final = GameOperator(game, trace.state.structure).evaluate(trace.state)
    torch.testing.assert_close(trace.mse[-1], final.mse, rtol=1e-12, atol=0.0)
    bound = result["bound"].metrics
    assert bool((bound.mui_power == 0).all())
    # the MUI-agnostic design is the MUI-less design (same powers), evaluated under MUI
    assert torch.equal(result["agnostic"].state.powers, result["bound"].state.powers)
    uniform = result["uniform"].state.powers
    torch.testing.assert_close(uniform, torch.full_like(uniform, budget / m))
    spent = result["random"].state.powers.sum(-1)
    torch.testing.assert_close(spent, torch.full_like(spent, budget))
    states = {name: result[name].state for name in ("bound", "agnostic", "uniform", "random")}
    metrics = {name: result[name].metrics for name in ("agnostic", "uniform", "random")}
    states["trace"], metrics["trace"] = trace.state, final
    for name, state in states.items():  # feasible powers
        powers = state.powers
        assert powers.shape == (b, n_links, m)
        assert bool((powers >= 0).all()), name
        assert bool((powers.sum(-1) <= budget * (1 + 1e-9)).all()), name
    for name, met in metrics.items():
        # the best response is optimal: no state beats it (exploitability >= 0, unclamped)
        assert bool((met.best_response_mse <= met.mse + tol).all()), name
        torch.testing.assert_close(
            met.exploitability, (met.mse - met.best_response_mse).amax(-1).clamp_min(0)
        )
        # MUI only hurts: the MUI-less bound lies below every allocation, link by link
        assert bool((bound.mse <= met.mse + tol).all()), name
        # a fifth of tr(R_y) is not linearly predictable (synthetic statistics)
        assert bool((met.nmse >= 0.2 - 1e-9).all()) and bool((met.nmse <= 1 + 1e-9).all()), name
    assert bool((bound.mse <= trace.mse + tol).all())  # every iterate
    # determinism: the same seeds give the same numbers
    assert_same(_tensors(_solve(setup, options, power_seed)), _tensors(result))


test_interference_solvers, test_interference_solvers_slow = twins(
    120, setup=synthetic_games(), options=dynamics_options(), power_seed=SEEDS
)(_interference_solvers)


def _solver_batches(setup: tuple, options: dict[str, Any]) -> None:
    """A batch of games gives the single games (documented for the synthetic games, the
    dynamics, whose converged games are frozen, and the interference-free references)."""
    config, k, seeds = setup
    seeds = list(dict.fromkeys([*seeds, (seeds[0] + 1) % (2**31 - 1)]))
    game = InterferenceGame.synthetic(config, channel_uses=k, seed=seeds)
    trace = best_response_dynamics(game, **options)
    references = (mui_less_bound, mui_agnostic_design, uniform_powers)
    together = [fn(game) for fn in references]
    for i, s in enumerate(seeds):
        single = InterferenceGame.synthetic(config, channel_uses=k, seed=s)
        assert torch.equal(single.channels, game.channels[i : i + 1])
        assert torch.equal(single.weights, game.weights[i : i + 1])
        alone = best_response_dynamics(single, **options)
        rows = alone.mse.shape[0]
        assert rows <= trace.mse.shape[0]
        assert int(alone.iterations[0]) == int(trace.iterations[i])
        assert bool(alone.converged[0]) == bool(trace.converged[i])
        for name in ("mse", "nmse", "mui_power", "exploitability"):
            ours, theirs = getattr(trace, name)[:, i], getattr(alone, name)[:, 0]
            frozen = theirs[-1:].expand(ours.shape[0] - rows, *theirs.shape[1:])
            torch.testing.assert_close(
                ours, torch.cat([theirs, frozen]), rtol=1e-9, atol=1e-12, msg=name
            )
        torch.testing.assert_close(
            trace.state.powers[i], alone.state.powers[0], rtol=1e-9, atol=1e-12
        )
        for fn, batch in zip(references, together, strict=True):
            one = fn(single)
            torch.testing.assert_close(
                batch.metrics.mse[i], one.metrics.mse[0], rtol=1e-9, atol=1e-12
            )
            torch.testing.assert_close(
                batch.state.powers[i], one.state.powers[0], rtol=1e-9, atol=1e-12
            )


test_solver_batches_are_single_games, test_solver_batches_are_single_games_slow = twins(
    30, setup=synthetic_games(), options=dynamics_options()
)(_solver_batches)


@st.composite
def downlinks(
    draw: st.DrawFn,
) -> tuple[DownlinkConfig, FederatedSettings, int, list[int], int, int, int]:
    """(scenario, ADMM settings, d_x, user widths, n samples, latent seed, channel seed) of a
    small downlink."""
    config = DownlinkConfig(
        n_users=draw(st.integers(1, 4)),
        n_tx=draw(st.integers(1, 3)),
        n_rx=draw(st.integers(1, 3)),
        channel_uses=draw(st.integers(1, 3)),
        snr_db=draw(st.floats(-30.0, 60.0)),
        power=draw(st.sampled_from((1.0, 0.1, 4.0))),
        pilot_fraction=draw(st.sampled_from((1.0, 0.5, 0.1))),
    )
    settings = FederatedSettings(
        rho=draw(st.floats(0.1, 10.0)),
        iterations=draw(st.integers(1, 8)),
        seed=draw(st.integers(0, 2**31 - 2)),
    )
    d_x = config.channel_uses * config.n_tx + draw(st.integers(0, 4))
    widths = draw(
        st.lists(
            st.integers(1, 8).map(lambda w: 2 * w), min_size=config.n_users, max_size=config.n_users
        )
    )
    return config, settings, d_x, widths, draw(st.integers(40, 160)), draw(SEEDS), draw(SEEDS)


def _federated(setup: tuple) -> dict[str, Any]:
    config, settings, d_x, widths, n, latent_seed, channel_seed = setup
    tx, rx = related_latents(n, 2 * d_x, widths, latent_seed)
    pairs, pilots = prepare_users(tx, rx, config)
    channels = sample_rayleigh_downlink(
        config.n_users, config.n_tx, config.n_rx, seed=channel_seed, dtype=torch.complex128
    )[0]
    scene = Downlink.build(pairs, channels, config, pilots)
    return {
        "pairs": pairs,
        "federated": federated_admm(scene, settings),
        "first_k": first_k(scene),
        "top_k": top_k(scene),
        "multi_link": multi_link(scene),
        "disjoint_first": mmse_svd_least_squares(scene, selection="first"),
        "disjoint_top": mmse_svd_least_squares(scene, selection="top"),
    }


def _federated_tensors(result: dict[str, Any]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in result.items():
        if name == "pairs":
            continue
        for field in ("precoder", "mse", "nmse", "equalizers", "consensus", "lagrangian"):
            if hasattr(value, field):
                out[f"{name}.{field}"] = getattr(value, field)
    return out


def _federated_solvers(setup: tuple) -> None:
    config, settings = setup[0], setup[1]
    result = _federated(setup)
    users, budget, b = config.n_users, config.power, config.channel_uses * config.n_tx
    energy = torch.stack([p.stats.target_energy for p in result["pairs"]])
    tol = 1e-9 * energy
    assert all_finite(_federated_tensors(result))
    fed, link = result["federated"], result["multi_link"]
    assert fed.mse.shape == (settings.iterations, users)
    # feasible precoders: tr(F Fᴴ) <= P_T (the multi-link one per user)
    assert float(fed.consensus.abs().square().sum()) <= budget * (1 + 1e-9)
    assert bool((link.precoder.abs().square().sum((-2, -1)) <= budget * (1 + 1e-9)).all())
    for name in ("first_k", "top_k", "disjoint_first", "disjoint_top"):
        power = float(result[name].precoder.abs().square().sum())
        assert power <= budget * (1 + 1e-9), name
    # Wiener receivers convey something or nothing: 0 <= NMSE <= 1
    for nmse in (fed.nmse, link.nmse, result["first_k"].nmse, result["top_k"].nmse):
        assert bool((nmse >= -1e-12).all()) and bool((nmse <= 1 + 1e-9).all())
    # the multi-link design is each user's single-user optimum: below every shared precoder
    for other in (fed.mse, result["first_k"].mse, result["top_k"].mse):
        assert bool((link.mse <= other + tol).all())
    # the Wiener receiver is the best linear receiver for the same precoder
    assert bool((result["first_k"].mse <= result["disjoint_first"].mse + tol).all())
    assert bool((result["top_k"].mse <= result["disjoint_top"].mse + tol).all())
    # Top-K sends at least First-K's semantic energy; its side information is L·B indices
    semantic = sum(p.stats.cross_covariance.abs().square().sum(-2) for p in result["pairs"])
    top, first = result["top_k"].selected, result["first_k"].selected
    assert float(semantic[top].sum()) >= float(semantic[first].sum()) * (1 - 1e-12)
    assert result["top_k"].side_information == users * b
    assert result["first_k"].side_information == 0 == link.side_information
    assert fed.protocol.messages_per_iteration == 2 * users
    assert_same(_federated_tensors(_federated(setup)), _federated_tensors(result))


test_federated_solvers, test_federated_solvers_slow = twins(150, setup=downlinks())(
    _federated_solvers
)
