"""Tests of semgym.channels: geometry, path loss, fading statistics, seeding, noise, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from semgym.channels import (
    PAPER_SEEDS,
    Deployment,
    InterferenceChannelConfig,
    LineDeployment,
    kron_channel_uses,
    los_matrices,
    noise_power_from_snr,
    path_gain,
    path_loss_db,
    rayleigh_fading,
    rician_fading,
    sample_channels,
    sample_interference_channels,
    sample_rayleigh_downlink,
    snr_db_from_noise_power,
    steering_vector,
    thermal_noise_power,
    watts_to_dbm,
    wavelength_m,
)

# ---------------------------------------------------------------- geometry


def test_line_deployment_distances_by_hand():
    dep = LineDeployment(n_links=3, link_distance_m=30.0, alpha=3.0)
    d = dep.distances()
    assert d.shape == (3, 3)
    assert torch.allclose(torch.diagonal(d), torch.full((3,), 30.0, dtype=torch.float64))
    assert d[0, 1].item() == pytest.approx(math.sqrt(90**2 + 30**2))
    assert d[1, 0].item() == pytest.approx(math.sqrt(90**2 + 30**2))
    assert d[0, 2].item() == pytest.approx(math.sqrt(180**2 + 30**2))
    assert dep.tx_positions.tolist() == [[0, 0], [90, 0], [180, 0]]
    assert dep.rx_positions.tolist() == [[0, 30], [90, 30], [180, 30]]


@pytest.mark.parametrize("alpha", [0.5, 1.0, 6.0, 40.0])
def test_alpha_scales_transmitter_spacing(alpha):
    dep = LineDeployment(n_links=4, alpha=alpha)
    tx = dep.tx_positions
    spacing = tx[1:, 0] - tx[:-1, 0]
    assert torch.allclose(spacing, torch.full((3,), 30.0 * alpha, dtype=torch.float64))
    d = dep.distances()
    assert d[0, 1].item() == pytest.approx(math.hypot(30.0 * alpha, 30.0))
    assert d[3, 0].item() == pytest.approx(math.hypot(90.0 * alpha, 30.0))


def test_angles_point_along_the_pair():
    dep = LineDeployment(n_links=2, alpha=3.0)
    dep_ang, arr_ang = dep.departure_angles(), dep.arrival_angles()
    assert dep_ang[0, 0].item() == pytest.approx(math.pi / 2)  # rx straight above
    assert arr_ang[0, 0].item() == pytest.approx(-math.pi / 2)  # tx straight below
    assert dep_ang[0, 1].item() == pytest.approx(math.atan2(30.0, 90.0))
    assert arr_ang[0, 1].item() == pytest.approx(math.atan2(-30.0, -90.0))


def test_generic_deployment_and_extra_receivers():
    line = LineDeployment(n_links=2, alpha=2.0)
    generic = line.to_deployment()
    assert torch.equal(generic.distances(), line.distances())
    grown = line.extended(extra_rx_positions=[[30.0, -40.0]])
    assert (grown.n_tx, grown.n_rx) == (2, 3)
    assert grown.distances()[0, 2].item() == pytest.approx(50.0)
    custom = Deployment([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]])
    assert custom.distances().tolist() == [[5.0, 1.0]]


# ---------------------------------------------------------------- path loss


def test_path_loss_is_friis_at_reference_distance():
    lam = 299_792_458.0 / 3.5e9
    assert wavelength_m() == pytest.approx(lam)
    friis = (lam / (4 * math.pi * 1.0)) ** 2
    assert path_gain(1.0).item() == pytest.approx(friis, rel=1e-12)
    assert path_loss_db(1.0).item() == pytest.approx(43.33, abs=0.01)
    # also with another reference distance: free space at d_ref, continuous there
    assert path_gain(10.0, reference_distance_m=10.0).item() == pytest.approx(
        (lam / (4 * math.pi * 10.0)) ** 2, rel=1e-12
    )


def test_path_loss_slope_per_decade():
    loss = path_loss_db([10.0, 100.0, 1000.0])
    assert (loss[1] - loss[0]).item() == pytest.approx(25.0, abs=1e-9)
    assert (loss[2] - loss[1]).item() == pytest.approx(25.0, abs=1e-9)
    other = path_loss_db([10.0, 100.0], exponent=3.7)
    assert (other[1] - other[0]).item() == pytest.approx(37.0, abs=1e-9)
    # free space (slope 20 dB/decade) below the reference distance
    near = path_loss_db([0.1, 1.0])
    assert (near[1] - near[0]).item() == pytest.approx(20.0, abs=1e-9)


# ---------------------------------------------------------------- fading statistics


def test_rayleigh_unit_variance_and_circular():
    h = rayleigh_fading((4, 4), batch_size=20_000, seed=1, dtype=torch.complex128).flatten()
    assert h.numel() == 320_000
    # E|h|^2 = 1 (std error ~0.002): a variance-0.5 generator would fail
    assert (h.abs() ** 2).mean().item() == pytest.approx(1.0, abs=0.02)
    assert abs((h * h).mean().item()) < 0.01  # circular: E[h^2] = 0
    assert abs(h.mean().item()) < 0.01
    assert h.real.var().item() == pytest.approx(0.5, abs=0.01)
    assert h.imag.var().item() == pytest.approx(0.5, abs=0.01)


def test_rician_mean_and_power():
    k = 1.5
    cfg = InterferenceChannelConfig(n_links=2, n_tx_antennas=3, n_rx_antennas=2, alpha=2.0)
    ch = sample_interference_channels(cfg, batch_size=20_000, seed=7, dtype=torch.complex128)
    g = ch.path_gain
    los = los_matrices(cfg.deployment(), 2, 3, cfg.carrier_hz)
    assert torch.allclose(los.abs(), torch.ones_like(los.abs()))
    normalized = ch.matrices / torch.sqrt(g)[None, :, :, None, None]
    mean = normalized.mean(dim=0)
    expected = math.sqrt(k / (k + 1)) * los
    # per-entry std error sqrt(0.4 / 20000) = 0.0045
    assert (mean - expected).abs().max().item() < 0.025
    power = (ch.matrices.abs() ** 2).mean(dim=(0, 3, 4))  # (L_tx, L_rx)
    assert torch.allclose(power / g, torch.ones_like(g), atol=0.03)
    # the scattered part alone has unit variance / (K + 1)
    scattered = (normalized - expected).abs().pow(2).mean().item()
    assert scattered == pytest.approx(1 / (k + 1), abs=0.01)


def test_rician_k_zero_is_rayleigh_draw_and_los_is_rank_one():
    los = los_matrices(LineDeployment(2), 4, 4)
    r0 = rician_fading(los, 0.0, batch_size=3, seed=5, dtype=torch.complex128)
    ray = rayleigh_fading((2, 2, 4, 4), batch_size=3, seed=5, dtype=torch.complex128)
    assert torch.allclose(r0, ray)
    sv = torch.linalg.svdvals(los)
    assert torch.allclose(sv[..., 0], torch.full_like(sv[..., 0], 4.0))
    assert sv[..., 1:].abs().max().item() < 1e-9
    a = steering_vector(torch.tensor([0.0, math.pi / 2]), 3)
    assert torch.allclose(
        a[0],
        torch.polar(
            torch.ones(3, dtype=torch.float64), math.pi * torch.arange(3.0, dtype=torch.float64)
        ),
    )
    assert torch.allclose(a[1], torch.ones(3, dtype=torch.complex128))


# ---------------------------------------------------------------- seeding


def test_same_seed_same_channels_different_seed_differs():
    cfg = InterferenceChannelConfig()
    a = sample_interference_channels(cfg, batch_size=4, seed=42)
    b = sample_interference_channels(cfg, batch_size=4, seed=42)
    c = sample_interference_channels(cfg, batch_size=4, seed=43)
    assert torch.equal(a.matrices, b.matrices)
    assert not torch.allclose(a.matrices, c.matrices)
    assert a.matrices.shape == (4, 3, 3, 8, 8)
    assert a.matrices.dtype == torch.complex64
    assert a.noise_power.shape == (4,) and a.noise_power.dtype == torch.float32
    assert a.path_gain.dtype == torch.float64


def test_seed_sequence_equals_single_draws():
    cfg = InterferenceChannelConfig(n_tx_antennas=4, n_rx_antennas=4)
    batch = sample_interference_channels(cfg, seed=PAPER_SEEDS)
    assert batch.batch_size == len(PAPER_SEEDS)
    for b, s in enumerate(PAPER_SEEDS):
        single = sample_interference_channels(cfg, seed=s)
        assert torch.equal(batch.matrices[b], single.matrices[0])
    with pytest.raises(ValueError, match="batch_size"):
        sample_interference_channels(cfg, batch_size=2, seed=PAPER_SEEDS)
    numpy_seed = sample_interference_channels(cfg, seed=np.int64(27)).matrices
    assert torch.equal(numpy_seed[0], batch.matrices[0])


def test_generator_and_dtypes():
    cfg = InterferenceChannelConfig(n_links=2, fading="rayleigh")
    gen = torch.Generator().manual_seed(3)
    first = sample_interference_channels(cfg, batch_size=2, seed=gen)
    second = sample_interference_channels(cfg, batch_size=2, seed=gen)
    assert not torch.allclose(first.matrices, second.matrices)  # generator advanced
    again = sample_interference_channels(cfg, batch_size=2, seed=torch.Generator().manual_seed(3))
    assert torch.equal(first.matrices, again.matrices)
    c64 = sample_interference_channels(cfg, seed=9, dtype=torch.complex64).matrices
    c128 = sample_interference_channels(cfg, seed=9, dtype=torch.complex128).matrices
    assert c128.dtype == torch.complex128
    assert torch.allclose(c64.to(torch.complex128), c128, rtol=1e-6, atol=0)
    on_cpu = sample_interference_channels(cfg, seed=9, device="cpu")
    assert torch.equal(on_cpu.to("cpu").matrices, c64)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    cfg = InterferenceChannelConfig()
    cpu = sample_interference_channels(cfg, batch_size=3, seed=11)
    gpu = sample_interference_channels(cfg, batch_size=3, seed=11, device="cuda")
    assert gpu.matrices.is_cuda and gpu.noise_power.is_cuda
    assert torch.equal(gpu.matrices.cpu(), cpu.matrices)
    assert torch.equal(cpu.to("cuda").matrices.cpu(), cpu.matrices)


# ---------------------------------------------------------------- noise


def test_thermal_noise_default_is_minus_97_dbm():
    sigma2 = thermal_noise_power(10e6, 7.0, 290.0)
    assert watts_to_dbm(sigma2) == pytest.approx(-97.0, abs=0.1)
    assert thermal_noise_power() == sigma2
    doubled = watts_to_dbm(thermal_noise_power(20e6))
    assert doubled == pytest.approx(watts_to_dbm(sigma2) + 10 * math.log10(2), abs=1e-9)
    assert watts_to_dbm(thermal_noise_power(noise_figure_db=0.0)) == pytest.approx(-104.0, abs=0.1)
    cfg = InterferenceChannelConfig()
    assert cfg.noise_power_w() == pytest.approx(sigma2)


def test_snr_convention_round_trip():
    assert noise_power_from_snr(20.0, 2.0) == pytest.approx(0.02)
    assert snr_db_from_noise_power(noise_power_from_snr(13.0, 3e-9), 3e-9) == pytest.approx(13.0)
    vec = noise_power_from_snr(torch.tensor([0.0, 10.0]), 1.0)
    assert torch.allclose(vec, torch.tensor([1.0, 0.1], dtype=torch.float64))
    cfg = InterferenceChannelConfig(snr_db=20.0, tx_power_w=2.0, fading="rayleigh")
    g = cfg.path_gains()[0, 0].item()
    assert cfg.noise_power_w() == pytest.approx(g * 2.0 / 100.0)
    # Monte-Carlo: received power per rx antenna of the direct link at full power
    # (x with E[x x^H] = P/N_T I) over sigma^2 is the configured SNR.
    ch = sample_interference_channels(cfg, batch_size=4000, seed=0, dtype=torch.complex128)
    direct = ch.direct  # (B, L, N_R, N_T)
    rx_power = (direct.abs() ** 2).sum(-1).mean() * cfg.tx_power_w / cfg.n_tx_antennas
    snr = 10 * torch.log10(rx_power / ch.noise_power[0]).item()
    assert snr == pytest.approx(20.0, abs=0.1)


# ---------------------------------------------------------------- helpers


def test_kron_channel_uses_is_block_diagonal():
    h = rayleigh_fading((2, 3), batch_size=5, seed=0)
    big = kron_channel_uses(h, 4)
    assert big.shape == (5, 8, 12)
    ref = torch.kron(torch.eye(4, dtype=h.dtype), h[2])
    assert torch.equal(big[2], ref)
    assert torch.equal(big[:, 2:4, 3:6], h)
    assert big[:, 0:2, 3:].abs().max().item() == 0.0


def test_rayleigh_downlink_unit_variance():
    h = sample_rayleigh_downlink(10, 4, 2, batch_size=4000, seed=PAPER_SEEDS[0])
    assert h.shape == (4000, 10, 2, 4)
    assert (h.abs() ** 2).mean().item() == pytest.approx(1.0, abs=0.02)
    assert torch.equal(h, sample_rayleigh_downlink(10, 4, 2, batch_size=4000, seed=27))


def test_sample_channels_with_primary_receiver():
    dep = LineDeployment(n_links=2).extended(extra_rx_positions=[[45.0, 60.0]])
    h, g = sample_channels(dep, 2, 3, batch_size=2, seed=1)
    assert h.shape == (2, 2, 3, 2, 3) and g.shape == (2, 3)
    assert torch.allclose(g, path_gain(dep.distances()))


# ---------------------------------------------------------------- bad input and extremes


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_links": 0}, "n_links"),
        ({"n_links": 2.5}, "n_links"),
        ({"n_tx_antennas": 0}, "n_tx_antennas"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": -1.0}, "alpha"),
        ({"link_distance_m": -30.0}, "link_distance_m"),
        ({"fading": "nakagami"}, "fading"),
        ({"snr_db": float("nan")}, "snr_db"),
        ({"bandwidth_hz": 0.0}, "bandwidth_hz"),
        ({"bandwidth_hz": -1e6}, "bandwidth_hz"),
        ({"carrier_hz": 0.0}, "carrier_hz"),
        ({"rician_k": -1.0}, "rician_k"),
        ({"tx_power_w": 0.0}, "tx_power_w"),
        ({"temperature_k": float("inf")}, "temperature_k"),
    ],
)
def test_bad_config_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        InterferenceChannelConfig(**kwargs)


def test_bad_input_elsewhere():
    with pytest.raises(ValueError, match="'rician', 'rayleigh'"):
        InterferenceChannelConfig(fading="nakagami")
    with pytest.raises(ValueError, match="n_links"):
        LineDeployment(n_links=0)
    with pytest.raises(ValueError, match="alpha"):
        LineDeployment(alpha=0.0)
    with pytest.raises(ValueError, match="link_distance_m"):
        LineDeployment(link_distance_m=float("nan"))
    with pytest.raises(ValueError, match="distance_m"):
        path_gain(-1.0)
    with pytest.raises(ValueError, match="distance_m"):
        path_gain([10.0, 0.0])
    with pytest.raises(ValueError, match="carrier_hz"):
        path_gain(10.0, carrier_hz=-3.5e9)
    with pytest.raises(ValueError, match="snr_db"):
        noise_power_from_snr(float("nan"), 1.0)
    with pytest.raises(ValueError, match="snr_db"):
        noise_power_from_snr(torch.tensor([1.0, float("nan")]), 1.0)
    with pytest.raises(ValueError, match="bandwidth_hz"):
        thermal_noise_power(bandwidth_hz=0.0)
    with pytest.raises(ValueError, match="rx_positions"):
        Deployment([[0.0, 0.0]], [[0.0, 0.0]])
    with pytest.raises(ValueError, match="tx_positions"):
        Deployment([0.0, 0.0], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="dtype"):
        sample_interference_channels(InterferenceChannelConfig(), dtype=torch.float32)
    with pytest.raises(ValueError, match="seed"):
        sample_interference_channels(InterferenceChannelConfig(), seed=-1)
    with pytest.raises(ValueError, match="channel_uses"):
        kron_channel_uses(torch.zeros(2, 2, dtype=torch.complex64), 0)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 3.0, 40.0, 100.0])
@pytest.mark.parametrize("snr_db", [-30.0, 0.0, 60.0, None])
def test_finite_over_alpha_and_snr(alpha, snr_db):
    cfg = InterferenceChannelConfig(alpha=alpha, snr_db=snr_db)
    for dtype in (torch.complex64, torch.complex128):
        ch = sample_interference_channels(cfg, batch_size=2, seed=0, dtype=dtype)
        assert torch.isfinite(torch.view_as_real(ch.matrices)).all()
        assert (ch.matrices.abs() > 0).any(dim=(-1, -2)).all()  # nothing underflowed to 0
        assert torch.isfinite(ch.noise_power).all() and (ch.noise_power > 0).all()
        assert torch.isfinite(ch.path_gain).all() and (ch.path_gain > 0).all()
