"""ADMM alignment (semgym.core.admm, semgym.solvers.admm / .federated) against closed forms."""

from __future__ import annotations

import pytest
import torch
from helpers import CDTYPE, crandn, random_hpd, random_pair

from semgym import core
from semgym.channels import PAPER_SEEDS, InterferenceChannelConfig
from semgym.channels.interference import sample_rayleigh_downlink
from semgym.core import reference
from semgym.scenarios import Downlink, DownlinkConfig, InterferenceGame, prepare_users
from semgym.solvers import (
    FederatedSettings,
    admm_alignment,
    federated_admm,
    mui_agnostic_admm,
    protocol_cost,
)


def waterfill_optimum(stats: core.SemanticStatistics, channel, noise_power, budget) -> float:
    """min_F MSE(F) s.t. tr(F Fᴴ) ≤ budget under white noise: the structured water-filling."""
    eye = torch.eye(channel.shape[-2], dtype=channel.dtype)
    gains, _ = core.effective_channel_modes(core.effective_channel(channel, noise_power * eye))
    weights = stats.semantic_weights(channel.shape[-1])
    powers = core.semantic_waterfill(weights, gains, budget)
    return float(stats.target_energy - core.semantic_utility(weights, gains, powers))


def synthetic_latents(n: int, d: int, widths: list[int], seed: int):
    gen = torch.Generator().manual_seed(seed)
    base = torch.randn(n, d, dtype=torch.float64, generator=gen)
    noise = [0.5 * torch.randn(n, m, dtype=torch.float64, generator=gen) for m in widths]
    rx = [
        base @ torch.randn(d, m, dtype=torch.float64, generator=gen) + e
        for m, e in zip(widths, noise, strict=True)
    ]
    return base @ torch.randn(d, d, dtype=torch.float64, generator=gen), rx


# --- core steps ------------------------------------------------------------------------------
def test_precoder_step_matches_bartels_stewart(gen: torch.Generator) -> None:
    b, dx, dy = 4, 6, 5
    chain = crandn(3, dy, b, gen=gen)
    cross = crandn(3, dy, dx, gen=gen)
    gram, corr = core.admm_local_terms(chain, torch.eye(b, dtype=CDTYPE), cross)
    z, u = crandn(3, b, dx, gen=gen), crandn(3, b, dx, gen=gen)
    r_x = random_hpd(3, size=dx, gen=gen)
    for rx in (r_x, torch.eye(dx, dtype=CDTYPE).expand(3, dx, dx)):
        ours = core.admm_precoder_step(gram, corr, z, u, 0.7, tx_covariance=rx)
        ref = core.sylvester_precoder_step(gram, corr, z, u, 0.7, rx)
        assert torch.allclose(ours, ref, atol=1e-10)
        # stationarity of the F subproblem: Aᴴ A F R_x + ρ F = Aᴴ P + ρ (Z − U)
        lhs = gram @ ours @ rx + 0.7 * ours
        assert torch.allclose(lhs, corr + 0.7 * (z - u), atol=1e-10)
    white = core.admm_precoder_step(gram, corr, z, u, 0.7)
    assert torch.allclose(
        white, core.sylvester_precoder_step(gram, corr, z, u, 0.7, rx), atol=1e-10
    )


def test_wiener_local_terms_equal_the_formed_receiver(gen: torch.Generator) -> None:
    """Aᴴ A and Aᴴ P from C = Pᴴ P equal those of the G step's receiver formed explicitly,
    for a user axis sharing one precoder (the federated layout)."""
    users, a, b, dx, dy = 3, 5, 4, 6, 7
    cross = crandn(users, dy, dx, gen=gen)
    h, f = crandn(users, a, b, gen=gen), crandn(1, b, dx, gen=gen)
    r_n = random_hpd(users, size=a, gen=gen)
    g = core.admm_equalizer_step(cross, f, h, r_n)
    gram, corr = core.admm_local_terms(g, h, cross)
    fast_gram, fast_corr = core.admm_wiener_local_terms(cross.mH @ cross, f, h, r_n)
    assert torch.allclose(fast_gram, gram, rtol=1e-10, atol=1e-12)
    assert torch.allclose(fast_corr, corr, rtol=1e-10, atol=1e-12)


def test_federated_step_is_mean_of_user_solutions(gen: torch.Generator) -> None:
    gram = random_hpd(4, size=3, gen=gen)
    corr = crandn(4, 3, 5, gen=gen)
    z, u = crandn(3, 5, gen=gen), crandn(3, 5, gen=gen)
    fed = core.federated_precoder_step(gram, corr, z, u, 1.0)
    each = [core.admm_precoder_step(gram[i], corr[i], z, u, 1.0) for i in range(4)]
    assert torch.allclose(fed, torch.stack(each).mean(0), atol=1e-12)
    one = core.federated_precoder_step(gram[:1], corr[:1], z, u, 1.0)
    assert torch.allclose(one, each[0], atol=1e-12)


def test_objective_equals_closed_form_and_empirical(gen: torch.Generator) -> None:
    x, y = random_pair(500, 6, 4, gen=gen)
    stats = core.semantic_statistics(x, y)
    h, f = crandn(5, 4, gen=gen), crandn(4, 6, gen=gen)
    r_n = random_hpd(size=5, gen=gen)
    g = core.admm_equalizer_step(stats.cross_covariance, f, h, r_n)
    obj = core.alignment_objective(g, h, f, stats.cross_covariance, stats.target_energy, r_n)
    effective = core.effective_channel(h, r_n)
    closed = core.alignment_mse(f, effective, stats.cross_gram, stats.target_energy)
    emp = reference.empirical_mse(x, y, g, h, f, r_n)
    assert torch.allclose(obj, closed, rtol=1e-10)
    assert torch.allclose(obj, emp, rtol=1e-10)
    # the G step is the minimizer: any perturbed receiver does worse
    for _ in range(5):
        other = g + 0.05 * crandn(*g.shape, gen=gen)
        worse = core.alignment_objective(
            other, h, f, stats.cross_covariance, stats.target_energy, r_n
        )
        assert float(worse) > float(obj)


def test_equalizer_step_with_general_tx_covariance(gen: torch.Generator) -> None:
    cross, f, h = crandn(4, 6, gen=gen), crandn(3, 6, gen=gen), crandn(5, 3, gen=gen)
    r_x, r_n = random_hpd(size=6, gen=gen), random_hpd(size=5, gen=gen)
    g = core.admm_equalizer_step(cross, f, h, r_n, tx_covariance=r_x)
    link = h @ f
    ref = cross @ link.mH @ torch.linalg.inv(link @ r_x @ link.mH + r_n)
    assert torch.allclose(g, ref, atol=1e-10)


def test_projection_dual_lagrangian_and_rho_validation(gen: torch.Generator) -> None:
    f, u = crandn(2, 3, 4, gen=gen), crandn(2, 3, 4, gen=gen)
    z = core.admm_projection_step(f, u, 1.5)
    assert bool((z.abs().square().sum((-2, -1)) <= 1.5 + 1e-12).all())
    assert torch.allclose(core.admm_dual_step(u, f, z), u + f - z)
    obj = torch.tensor([1.0, 2.0], dtype=torch.float64)
    lag = core.augmented_lagrangian(obj, f, z, u, 2.0)
    assert torch.allclose(lag, obj + 2.0 * (f - z + u).abs().square().sum((-2, -1)))
    assert torch.allclose(core.primal_residual(f, z), torch.linalg.matrix_norm(f - z))
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="rho"):
            core.admm_precoder_step(f @ f.mH, f, z, u, bad)
        with pytest.raises(ValueError, match="rho"):
            core.augmented_lagrangian(obj, f, z, u, bad)


# --- MUI-agnostic ADMM -----------------------------------------------------------------------
def test_single_link_admm_reaches_structured_optimum(gen: torch.Generator) -> None:
    x, y = random_pair(400, 8, 5, gen=gen)
    stats = core.semantic_statistics(x, y)
    k, n = 2, 2
    h = core.kron_identity(crandn(n, n, gen=gen), k)
    sigma2, budget = 0.1, 2.0
    start = crandn(k * n, 8, gen=gen)

    def run_admm(track: bool):
        return admm_alignment(
            stats.cross_covariance[None],
            stats.target_energy[None],
            h[None],
            sigma2 * torch.eye(k * n, dtype=CDTYPE)[None],
            start * (budget / start.abs().square().sum()).sqrt(),
            budget=budget,
            rho=float(stats.target_energy / budget),
            iterations=1000,
            track=track,
        )

    run = run_admm(True)
    best = waterfill_optimum(stats, h, sigma2, budget)
    assert abs(float(run.mse[-1, 0]) - best) / best < 1e-3
    assert float(run.consensus.abs().square().sum()) <= budget * (1 + 1e-12)
    quiet = run_admm(False)  # without the per-iteration diagnostics the iterates are the same
    assert torch.equal(quiet.consensus, run.consensus) and quiet.mse.shape == (0,)


@pytest.mark.parametrize("receiver", ["wiener", "design"])
def test_mui_agnostic_admm_without_mui_and_power(gen: torch.Generator, receiver: str) -> None:
    config = InterferenceChannelConfig(n_links=2, n_tx_antennas=2, n_rx_antennas=2, alpha=2.0)
    game = InterferenceGame.synthetic(config, channel_uses=2, seed=[27, 42])
    tx, rx = synthetic_latents(300, 12, [8, 6], 5)
    pairs = [core.prepare_pair(tx, r) for r in rx]
    scale = float(pairs[0].stats.target_energy) / game.budget
    out = mui_agnostic_admm(game, pairs, rho=scale, iterations=400, receiver=receiver)
    for z in out.precoders:
        assert bool((z.abs().square().sum((-2, -1)) <= game.budget * (1 + 1e-9)).all())
    assert out.mse.shape == (2, 2) and out.tx_covariance.shape == (2, 2, 4, 4)
    assert bool((out.mse >= out.mui_free_mse - 1e-9).all())  # MUI only hurts
    # no MUI at all (a single link): the design's MSE is the structured optimum
    solo = InterferenceGame(
        game.channels[:, :1, :1],
        2,
        game.noise_power,
        game.tx_power_w,
        game.weights[:, :1],
        game.target_energy[:, :1],
    )
    alone = mui_agnostic_admm(solo, pairs[:1], rho=scale, iterations=400, receiver=receiver)
    for b in range(2):
        h = core.kron_identity(game.channels[b, 0, 0], 2)
        best = waterfill_optimum(pairs[0].stats, h, float(game.noise_power[b]), game.budget)
        assert abs(float(alone.mse[b, 0]) - best) / best < 1e-3


# --- federated downlink ----------------------------------------------------------------------
@pytest.mark.parametrize("seed", [27, 42])
def test_federated_single_user_reaches_central_optimum(seed: int) -> None:
    config = DownlinkConfig(n_users=1, n_tx=2, n_rx=2, channel_uses=2)
    tx, rx = synthetic_latents(300, 16, [8], seed)
    pairs, n = prepare_users(tx, rx, config)
    channels = sample_rayleigh_downlink(1, 2, 2, seed=seed, dtype=CDTYPE)[0]
    trace = federated_admm(
        Downlink.build(pairs, channels, config, n), FederatedSettings(iterations=2000)
    )
    h = core.kron_identity(channels[0], 2)
    best = waterfill_optimum(pairs[0].stats, h, float(trace.noise_power[0]), config.power)
    assert abs(float(trace.mse[-1, 0]) - best) / best < 1e-4


def test_federated_descends_on_paper_seeds() -> None:
    config = DownlinkConfig(n_users=4, n_tx=2, n_rx=2, channel_uses=2)
    for seed in PAPER_SEEDS:
        tx, rx = synthetic_latents(300, 16, [8, 12, 8, 10], seed)
        pairs, n = prepare_users(tx, rx, config)
        channels = sample_rayleigh_downlink(4, 2, 2, seed=seed, dtype=CDTYPE)[0]
        trace = federated_admm(Downlink.build(pairs, channels, config, n))
        lag, res = trace.lagrangian, trace.residual
        assert float(lag[-1]) < float(lag[0])
        assert float(res[-1]) <= float(res.max()) and float(res[-1]) < 1e-2
        assert float(trace.consensus.abs().square().sum()) <= config.power * (1 + 1e-12)
        assert float(trace.network_mse[-1]) < float(trace.network_mse[0])
        assert trace.mse.shape == (30, 4) and bool(torch.isfinite(trace.nmse).all())


def test_protocol_payload_hand_count() -> None:
    # L = 2 users, N_T = 2, N_R = 3, K = 2, n = 5 pilots, T = 3: B = K·N_T = 4
    with_csi = protocol_cost(DownlinkConfig(n_users=2, n_tx=2, n_rx=3, channel_uses=2), 3, 5)
    # down: 2 users · (K·N_R = 6) · 5 = 60; up: 2 · (4·4 + 4·5) = 72; handshake: 2 · 3·2 = 12
    assert (with_csi.downlink_payload, with_csi.uplink_payload) == (60, 72)
    assert (with_csi.handshake_messages, with_csi.handshake_payload) == (2, 12)
    assert with_csi.messages_per_iteration == 4 and with_csi.total_messages == 2 + 3 * 4
    assert with_csi.total_payload == 12 + 3 * 132
    no_csi = protocol_cost(
        DownlinkConfig(n_users=2, n_tx=2, n_rx=3, channel_uses=2, ap_has_csi=False), 3, 5
    )
    # down: 2 · (K·N_T = 4) · 5 = 40; no CSI upload at handshake
    assert (no_csi.downlink_payload, no_csi.handshake_payload) == (40, 0)
    assert no_csi.total_payload == 3 * (40 + 72)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rho", 0.0),
        ("rho", -1.0),
        ("iterations", 0),
        ("snr_db", float("nan")),
        ("pilot_fraction", 0.0),
        ("pilot_fraction", 1.5),
        ("n_users", 0),
    ],
)
def test_federated_config_rejects_bad_input(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        if field in ("rho", "iterations"):
            FederatedSettings(**{field: value})
        else:
            DownlinkConfig(**{field: value})


def test_federated_rejects_empty_group() -> None:
    config = DownlinkConfig(n_users=1, n_tx=2, n_rx=2)
    channels = sample_rayleigh_downlink(1, 2, 2, seed=0, dtype=CDTYPE)[0]
    with pytest.raises(ValueError, match="user group"):
        federated_admm(Downlink.build([], channels, config, n_pilots=10))
    with pytest.raises(ValueError, match="user group"):
        prepare_users(torch.zeros(10, 4, dtype=torch.float64), [], config)
