"""Federated downlink baselines: First-K, Top-K, MMSE-SVD + least squares, multi-link."""

from __future__ import annotations

import pytest
import torch
from helpers import CDTYPE, related_latents

from semgym.channels.interference import sample_rayleigh_downlink
from semgym.core import reference
from semgym.scenarios import Downlink, DownlinkConfig, prepare_users
from semgym.solvers import (
    federated_admm,
    first_k,
    mmse_svd_least_squares,
    multi_link,
    top_k,
)

BASELINES = {
    "first_k": first_k,
    "top_k": top_k,
    "mmse_svd_ls_first": lambda d: mmse_svd_least_squares(d, selection="first"),
    "mmse_svd_ls_top": lambda d: mmse_svd_least_squares(d, selection="top"),
    "multi_link": multi_link,
}


def downlink(pairs, channels, config) -> Downlink:
    return Downlink.build(pairs, channels, config, n_pilots=200)


def scenario(seed: int = 0, snr_db: float = 10.0):
    config = DownlinkConfig(n_users=3, n_tx=2, n_rx=2, channel_uses=2, snr_db=snr_db)
    tx, rx = related_latents(200, 16, [10, 12, 14], seed)
    pairs, n = prepare_users(tx, rx, config)
    channels = sample_rayleigh_downlink(3, 2, 2, seed=seed, dtype=CDTYPE)[0]
    return config, tx, rx, pairs, n, channels


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_feasible_finite_deterministic(name: str) -> None:
    config, _, _, pairs, _, channels = scenario()
    result = BASELINES[name](downlink(pairs, channels, config))
    again = BASELINES[name](downlink(pairs, channels, config))
    power = result.precoder.abs().square().sum((-2, -1))
    assert bool((power <= config.power * (1 + 1e-9)).all())
    assert result.mse.shape == (3,) and result.nmse.shape == (3,)
    assert bool(torch.isfinite(result.mse).all()) and bool(torch.isfinite(result.nmse).all())
    assert bool((result.nmse > 0).all()) and bool((result.nmse <= 1 + 1e-9).all())
    assert torch.equal(result.mse, again.mse) and torch.equal(result.precoder, again.precoder)
    assert result.name == name


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_closed_form_matches_empirical_on_pilots(name: str) -> None:
    config, tx, rx, pairs, n, channels = scenario(seed=3)
    result = BASELINES[name](downlink(pairs, channels, config))
    dense = downlink(pairs, channels, config).dense
    for user, pair in enumerate(pairs):
        x = pair.tx_symbols(tx[:n])
        y = pair.rx_targets(rx[user][:n])
        f = result.precoder[user] if name == "multi_link" else result.precoder
        g = result.equalizers[user, : pair.stats.rx_dim]
        eye = torch.eye(dense.shape[-2], dtype=CDTYPE)
        noise = result.noise_power[user] * eye
        empirical = reference.empirical_mse(x, y, g, dense[user], f, noise)
        # R_x = I up to the whitener's jitter (1e-6 of the mean eigenvalue)
        torch.testing.assert_close(empirical, result.mse[user], rtol=1e-5, atol=1e-8)


def test_orderings_by_construction() -> None:
    config, _, _, pairs, n, channels = scenario(seed=1)
    scene = Downlink.build(pairs, channels, config, n_pilots=n)
    link = multi_link(scene)
    fed = federated_admm(scene)
    first = first_k(scene)
    top = top_k(scene)
    disjoint_first = mmse_svd_least_squares(scene, selection="first")
    disjoint_top = mmse_svd_least_squares(scene, selection="top")
    tol = 1e-9
    # multi-link is each user's single-user optimum: below any shared precoder, per user
    for other in (fed.mse[-1], first.mse, top.mse):
        assert bool((link.mse <= other + tol).all())
    # the Wiener receiver is the best linear receiver for the same precoder
    assert bool((first.mse <= disjoint_first.mse + tol).all())
    assert bool((top.mse <= disjoint_top.mse + tol).all())
    # Top-K picks the components of most semantic energy: it sends at least First-K's
    energy = sum(p.stats.cross_covariance.abs().square().sum(-2) for p in pairs)
    assert energy[top.selected].sum() >= energy[first.selected].sum() - tol
    assert top.side_information == 3 * 4 and first.side_information == 0
    assert disjoint_top.side_information == 12 and link.side_information == 0


def test_batched_channels_match_unbatched() -> None:
    config, _, _, pairs, _, _ = scenario()
    batch = sample_rayleigh_downlink(3, 2, 2, batch_size=2, seed=5, dtype=CDTYPE)
    for name, fn in BASELINES.items():
        together = fn(downlink(pairs, batch, config))
        for i in range(2):
            alone = fn(downlink(pairs, batch[i], config))
            torch.testing.assert_close(together.mse[i], alone.mse, msg=name)


def test_bad_input_raises() -> None:
    config, _, _, pairs, _, channels = scenario()
    scene = downlink(pairs, channels, config)
    with pytest.raises(ValueError, match="pairs"):
        downlink([], channels, config)
    with pytest.raises(ValueError, match="pairs"):
        downlink(pairs[:2], channels, config)
    with pytest.raises(ValueError, match="channels"):
        downlink(pairs, channels[:, :1], config)
    with pytest.raises(ValueError, match="channels"):
        downlink(pairs, channels.real, config)
    with pytest.raises(ValueError, match="receiver"):
        first_k(scene, receiver="zf")
    with pytest.raises(ValueError, match="selection"):
        mmse_svd_least_squares(scene, selection="last")
    with pytest.raises(ValueError, match="config"):
        downlink(pairs, channels, object())
    with pytest.raises(ValueError, match="downlink"):
        first_k(pairs)
    big = DownlinkConfig(n_users=3, n_tx=2, n_rx=2, channel_uses=5)
    with pytest.raises(ValueError, match="K·N_T"):
        downlink(pairs, channels, big)


def test_disjoint_design_equals_wiener_on_whitened_selection() -> None:
    # With R_x = I and a uniform-power selection, the LMMSE estimate of the sent components
    # mapped by P (zero for the unsent, uncorrelated ones) is the Wiener receiver itself.
    config, _, _, pairs, _, channels = scenario(seed=2, snr_db=5.0)
    scene = downlink(pairs, channels, config)
    for selection, fn in (("first", first_k), ("top", top_k)):
        wiener = fn(scene)
        disjoint = mmse_svd_least_squares(scene, selection=selection)
        torch.testing.assert_close(disjoint.mse, wiener.mse, rtol=1e-9, atol=1e-10)
        torch.testing.assert_close(disjoint.equalizers, wiener.equalizers)
