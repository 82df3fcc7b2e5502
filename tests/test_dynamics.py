"""Time-varying channels: the Gauss–Markov process, its counter-based draws, CSI delay and
estimation error, and the envs that run them (batches equal single envs, nothing read back)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import no_host_reads
from scipy.special import j0

from semgym import interference_v0
from semgym.channels import InterferenceChannelConfig
from semgym.channels.dynamics import (
    FADING_STREAM,
    counter_complex_normal,
    counter_uniform,
    doppler_hz,
    gauss_markov_step,
    jakes_correlation,
)
from semgym.envs.interference import InterferenceEnvConfig
from semgym.vector import InterferenceVecEnv

SMALL = {"latents": "synthetic", "n_antennas": 2, "channel_uses": 2, "n_links": 3}


def test_jakes_correlation_of_the_doppler():
    """f_D = v f_c / c, ρ = J0(2π f_D T): 97 Hz and 0.91 at 30 km/h, 0.66 at 60 km/h (3.5 GHz,
    1 ms blocks), against scipy's Bessel function."""
    assert doppler_hz(30.0, 3.5e9) == pytest.approx(97.29, abs=0.01)
    for speed in (3.0, 30.0, 60.0, 120.0, 500.0):
        f = doppler_hz(speed, 3.5e9)
        assert jakes_correlation(f, 1e-3) == pytest.approx(j0(2 * math.pi * f * 1e-3), abs=1e-12)
    assert InterferenceChannelConfig(speed_kmh=30.0).fading_correlation == pytest.approx(
        0.909, abs=1e-3
    )
    assert InterferenceChannelConfig(speed_kmh=60.0).fading_correlation == pytest.approx(
        0.660, abs=1e-3
    )
    assert InterferenceChannelConfig().fading_correlation == 1.0  # static


def test_counter_draws_are_standard_and_reproducible():
    """CN(0, 1) moments over 10⁶ entries, uniforms in (0, 1), and the same (key, counter,
    stream) gives the same draw in any batch, other ones independent draws."""
    keys = torch.arange(4000, dtype=torch.int64)
    counters = torch.full((4000,), 7, dtype=torch.int64)
    z = counter_complex_normal(keys, counters, FADING_STREAM, (16, 16))
    assert z.dtype == torch.complex128 and z.shape == (4000, 16, 16)
    n = z.numel()
    assert float(z.abs().square().mean()) == pytest.approx(1.0, abs=5 / math.sqrt(n))
    assert abs(complex(z.mean())) < 5 / math.sqrt(n)
    assert abs(complex((z * z).mean())) < 5 / math.sqrt(n)  # circular
    # |z|² ~ Exp(1): its variance is 1
    assert float(z.abs().square().var()) == pytest.approx(1.0, abs=0.02)
    alone = counter_complex_normal(keys[[123]], counters[[123]], FADING_STREAM, (16, 16))
    torch.testing.assert_close(alone[0], z[123], rtol=0, atol=0)
    for other in (
        counter_complex_normal(keys, counters + 1, FADING_STREAM, (16, 16)),
        counter_complex_normal(keys, counters, FADING_STREAM + 1, (16, 16)),
        counter_complex_normal(keys + 1, counters, FADING_STREAM, (16, 16)),
    ):
        assert abs(complex((z * other.conj()).mean())) < 5 / math.sqrt(n)
    u = counter_uniform(keys, counters, 3, 256)
    assert float(u.min()) > 0 and float(u.max()) < 1
    assert float(u.mean()) == pytest.approx(0.5, abs=0.002)


@pytest.mark.parametrize("rho", [0.99, 0.66, -0.2])
def test_gauss_markov_process_is_stationary_with_the_lag_correlation(rho):
    """Monte-Carlo over 2·10⁵ entries and 6 blocks: E|S_t|² = 1 at every t and
    E[S_{t+k} S_t*] = ρ^k."""
    keys = torch.arange(800, dtype=torch.int64)
    start = counter_complex_normal(keys, torch.zeros(800, dtype=torch.int64), 9, (16, 16))
    path = [start]
    for t in range(1, 6):
        w = counter_complex_normal(keys, torch.full((800,), t), FADING_STREAM, (16, 16))
        path.append(gauss_markov_step(path[-1], w, rho))
    tol = 5 / math.sqrt(start.numel())
    for t, s in enumerate(path):
        assert float(s.abs().square().mean()) == pytest.approx(1.0, abs=5 * tol), t
        for lag in (1, 3):
            if t + lag < len(path):
                c = complex((path[t + lag] * s.conj()).mean())
                assert abs(c - rho**lag) < 4 * tol, (t, lag, c)


def test_dynamics_off_changes_nothing():
    """The default (speed_kmh=None) is the static game: the same observations and rewards as
    an env built before dynamics existed would give (both spellings agree), and the channel
    does not move over the episode."""
    plain = interference_v0.parallel_env(**SMALL, max_cycles=4)
    named = interference_v0.parallel_env(**SMALL, speed_kmh=None, csi_delay=3, max_cycles=4)
    for env in (plain, named):
        env.reset(seed=5)
    first = plain.game.channels.clone()
    for _ in range(3):
        a = plain.best_response_actions(np.float64)
        o1, r1, *_ = plain.step(a)
        o2, r2, *_ = named.step(a)
        assert r1 == r2
        for k in o1:
            np.testing.assert_array_equal(o1[k], o2[k])
    torch.testing.assert_close(plain.game.channels, first, rtol=0, atol=0)
    assert not plain.batch.dynamic and plain.batch.played is plain.batch.evaluation


def test_the_channel_moves_from_the_static_draw_with_the_right_correlation():
    """Block 0 of a dynamic episode is the static game's channel; later blocks keep the
    deterministic part and the path gains, and their scattered parts correlate as ρ^t (Monte
    Carlo over 400 envs)."""
    kw = {**SMALL, "fading": "rayleigh", "max_cycles": 10}
    static = InterferenceVecEnv(400, **kw, dtype="float64")
    venv = InterferenceVecEnv(400, **kw, speed_kmh=60.0, csi_delay=0, dtype="float64")
    static.reset(seed=0)
    venv.reset(seed=0)
    batch = venv.batch
    h0 = batch.true_game.channels.clone()
    torch.testing.assert_close(h0, static.batch.game.channels, rtol=0, atol=1e-12)
    rho = InterferenceChannelConfig(speed_kmh=60.0).fading_correlation
    actions = venv.best_response_actions()
    gain = batch.true_game.fading.amplitude.square()[..., None, None]
    for t in range(1, 4):
        venv.step(actions)
        h = batch.true_game.channels
        power = float((h.abs().square() / gain).mean())
        corr = complex(((h * h0.conj()) / gain).mean())
        assert power == pytest.approx(1.0, abs=0.03)
        assert abs(corr - rho**t) < 0.03, (t, corr, rho**t)
        # the delay 0 env observes the block its next action plays on
        torch.testing.assert_close(batch.game.channels, h, rtol=0, atol=0)


def test_the_observation_describes_block_t_minus_d_with_the_stated_estimation_error():
    """With delay d the observed channels are those of block t − d (block 0 before that), and
    with pilots their error has the variance g_ll / SNR_p at receiver l."""
    kw = {**SMALL, "max_cycles": 10, "dtype": "float64", "speed_kmh": 30.0}
    venv = InterferenceVecEnv(300, **kw, csi_delay=2)
    noisy = InterferenceVecEnv(300, **kw, csi_delay=2, pilot_snr_db=10.0)
    for v in (venv, noisy):
        v.reset(seed=11)
    true = [venv.batch.true_game.channels.clone()]
    actions = venv.best_response_actions()
    for t in range(1, 5):
        venv.step(actions)
        noisy.step(actions)
        true.append(venv.batch.true_game.channels.clone())
        torch.testing.assert_close(
            venv.batch.game.channels, true[max(0, t - 2)], rtol=1e-12, atol=0
        )
        torch.testing.assert_close(noisy.batch.true_game.channels, true[t], rtol=0, atol=0)
        error = noisy.batch.game.channels - true[max(0, t - 2)]
        g = noisy.batch.true_game.fading.direct_gain  # (B, L)
        ratio = error.abs().square().mean((1, 3, 4)) / (g / 10.0)  # per receiver
        assert float(ratio.mean()) == pytest.approx(1.0, abs=0.05), t


@pytest.mark.parametrize(
    "extra",
    [
        {"speed_kmh": 30.0},
        {"speed_kmh": 60.0, "csi_delay": 0},
        {
            "speed_kmh": 60.0,
            "csi_delay": 2,
            "pilot_snr_db": 5.0,
            "topology": "random",
            "observe_previous": True,
        },
        {
            "speed_kmh": 60.0,
            "block_s": 0.05,
            "moving_receivers": True,
            "topology": "random",
            "pilot_snr_db": 10.0,
        },
        {"speed_kmh": 30.0, "processing": "widely_linear", "primary_users": 1},
    ],
    ids=[
        "delay-1",
        "delay-0",
        "delayed-noisy-random",
        "moving-receivers",
        "widely-linear-primaries",
    ],
)
def test_batch_of_dynamic_envs_equals_single_envs(extra):
    """B dynamic episodes (autoresets included) equal B single envs with the same seeds: the
    fading and estimation draws depend on the env's seed and block alone."""
    from test_vector import _compare_with_singles

    kwargs = {**SMALL, "max_cycles": 3, **extra}
    worst, truncated = _compare_with_singles(
        "semgym/Interference-v0", InterferenceVecEnv, kwargs, 5
    )
    assert truncated and max(worst.values()) < 1e-5, worst


def test_rewards_score_the_played_block_and_the_step_reads_nothing_back(monkeypatch):
    """The reward is the NMSE of the state on the block it was played on (not on what the
    links observe next), and a dynamic step reads no tensor on the host."""
    kw = {**SMALL, "speed_kmh": 60.0, "csi_delay": 2, "pilot_snr_db": 10.0, "max_cycles": 50}
    venv = InterferenceVecEnv(4, **kw, dtype="float64")
    venv.reset(seed=2)
    actions = venv.best_response_actions()
    played = venv.batch.true_operator
    _, rewards, *_, infos = venv.step_links(actions.reshape(4, 3, -1))
    expected = played.score(venv.batch.state).nmse
    torch.testing.assert_close(rewards, -expected)
    torch.testing.assert_close(infos["nmse"], expected)
    assert not torch.allclose(venv.batch.evaluation.nmse, expected)

    with no_host_reads(monkeypatch):
        for _ in range(3):
            obs, *_ = venv.step(actions)
            actions = venv.best_response_actions()
    assert torch.isfinite(obs).all()


def test_the_previous_observation_is_one_step_old():
    """With ``observe_previous`` the blocks ``previous_log_gain`` and ``previous_log_inr`` hold
    what ``log_gain`` and ``log_inr`` held one step earlier; at a reset (an autoreset included)
    they repeat the first observation; the other blocks are those of the plain env."""
    kw = {**SMALL, "speed_kmh": 60.0, "max_cycles": 3}
    venv = InterferenceVecEnv(3, **kw, observe_previous=True)
    plain = InterferenceVecEnv(3, **kw)
    layout, base = venv.batch.layout, plain.batch.layout
    assert layout.size == base.size + venv.batch.n_modes + 1

    def blocks(obs, lay, names):
        links = obs.reshape(3, venv.n_links, -1)
        return {name: lay.block(links, name) for name in names}

    names = ("log_gain", "log_inr")
    obs, _ = venv.reset(seed=[1, 2, 3])
    plain_obs, _ = plain.reset(seed=[1, 2, 3])
    before: dict[str, torch.Tensor] = {}
    for t in range(5):
        now = blocks(obs, layout, names)
        previous = blocks(obs, layout, ("previous_log_gain", "previous_log_inr"))
        if t % 3 == 0:  # a reset: the first observation stands for the previous one
            torch.testing.assert_close(previous["previous_log_gain"], now["log_gain"])
        else:
            torch.testing.assert_close(previous["previous_log_gain"], before["log_gain"])
            torch.testing.assert_close(previous["previous_log_inr"], before["log_inr"])
        plain_blocks = blocks(plain_obs, base, base.names)
        for name, value in blocks(obs, layout, base.names).items():
            torch.testing.assert_close(value, plain_blocks[name])
        before = now
        actions = venv.best_response_actions()
        obs, *_ = venv.step(actions)
        plain_obs, *_ = plain.step(actions)


def test_a_step_with_moving_receivers_reads_nothing_back(monkeypatch):
    """Receivers on the move (their geometry recomputed every block) with late, noisy CSI in
    a random topology: the step and its infos (where the receivers are) read no tensor on the
    host, and the reported positions move by v·T per block."""
    kw = {**SMALL, "speed_kmh": 60.0, "csi_delay": 2, "pilot_snr_db": 10.0, "max_cycles": 50}
    venv = InterferenceVecEnv(4, **kw, moving_receivers=True, topology="random", block_s=0.1)
    venv.reset(seed=3)
    actions = venv.best_response_actions()
    _, _, _, _, infos = venv.step(actions)
    before = infos["rx_position"]
    with no_host_reads(monkeypatch):
        for _ in range(3):
            obs, _, _, _, infos = venv.step(actions)
            actions = venv.best_response_actions()
    moved = torch.linalg.vector_norm(infos["rx_position"] - before, dim=-1)
    torch.testing.assert_close(moved, torch.full_like(moved, 3 * 60.0 / 3.6 * 0.1))
    assert torch.isfinite(obs).all()


@pytest.mark.parametrize("topology", ["line", "random"])
def test_moving_receivers_carry_their_path_gains_and_line_of_sight(topology):
    """With ``moving_receivers`` every receiver moves v·T per block along its heading, and the
    channel's deterministic part and scattering amplitude at block t are those a deployment
    with the receivers there has (the line of sight and path gains of the channel model,
    computed on the CPU; a receiver closer to a transmitter than ``min_distance_m`` hears it
    from there); the scattering keeps unit variance around them."""
    from semgym.channels import Deployment, los_matrices, path_gain
    from semgym.channels.fading import rician_parts

    kw = {**SMALL, "speed_kmh": 60.0, "block_s": 0.1, "topology": topology, "dtype": "float64"}
    venv = InterferenceVecEnv(300, **kw, moving_receivers=True, max_cycles=50)
    venv.reset(seed=list(range(40, 340)))
    start = venv.batch.true_game.fading.motion.receivers_at(torch.zeros(300, dtype=torch.int64))
    for _ in range(4):
        venv.step(venv.best_response_actions())
    batch, config = venv.batch, venv.batch.scenario.channel
    motion = batch.true_game.fading.motion
    now = motion.receivers_at(batch.cycles)
    moved = torch.linalg.vector_norm(now - start, dim=-1)
    torch.testing.assert_close(moved, torch.full_like(moved, 4 * 60.0 / 3.6 * 0.1))
    parts = batch.true_game.fading.at(batch.cycles)
    for b in (0, 1, 299):
        drop = Deployment(motion.tx_positions[b], now[b])
        gain = path_gain(
            drop.distances().clamp_min(config.min_distance_m),  # no closer than that
            config.carrier_hz,
            config.pathloss_exponent,
            config.reference_distance_m,
        )
        los = los_matrices(drop, config.n_rx_antennas, config.n_tx_antennas, config.carrier_hz)
        mean, amplitude = rician_parts(los, gain, config.k_factor)
        torch.testing.assert_close(parts.mean[b], mean)
        torch.testing.assert_close(parts.amplitude[b], amplitude)
    true = parts.channels(batch.history[-1])
    torch.testing.assert_close(batch.true_game.channels, true)
    unit = ((true - parts.mean) / parts.amplitude[..., None, None]).abs().square().mean()
    assert float(unit) == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="speed_kmh"):
        InterferenceChannelConfig(moving_receivers=True)


def test_evaluate_scores_a_moving_channel_by_the_mean_over_its_blocks():
    """On a time-varying channel ``evaluate`` scores an episode by the mean NMSE of the blocks
    after the first ``DYNAMIC_FIRST_SCORED`` (each block as it was played), as the baselines'
    vector-env scoring does; a static channel keeps its last step."""
    from semgym.policies import Uniform, evaluate
    from semgym.presets import DYNAMIC_FIRST_SCORED

    kw = {**SMALL, "speed_kmh": 60.0, "csi_delay": 2, "dtype": "float64"}
    steps = DYNAMIC_FIRST_SCORED + 4
    env = interference_v0.parallel_env(**kw, max_cycles=steps)
    row = evaluate({"uniform": Uniform.for_env(env)}, env, seeds=(5, 6), show=False)[0]
    venv = InterferenceVecEnv(2, **kw, max_cycles=steps + 1)
    venv.reset(seed=[5, 6])
    total = 0.0
    for t in range(steps):
        venv.step(torch.zeros(venv.action_space.shape, dtype=torch.float64))
        if t >= DYNAMIC_FIRST_SCORED:
            total = total + venv.batch.played.nmse
    expected = (total / (steps - DYNAMIC_FIRST_SCORED)).mean()
    assert row["network_nmse"] == pytest.approx(float(expected), rel=1e-9)
    assert row["network_nmse"] != pytest.approx(float(venv.batch.played.nmse.mean()), rel=1e-6)


def test_dynamic_settings_are_checked():
    with pytest.raises(ValueError, match="speed_kmh"):
        InterferenceChannelConfig(speed_kmh=-1.0)
    with pytest.raises(ValueError, match="speed_kmh"):
        InterferenceChannelConfig(pilot_snr_db=10.0)
    with pytest.raises(ValueError, match="block_s"):
        InterferenceChannelConfig(speed_kmh=3.0, block_s=0.0)
    with pytest.raises(ValueError, match="csi_delay"):
        InterferenceChannelConfig(speed_kmh=3.0, csi_delay=-1)
    with pytest.raises(ValueError, match="pilot_snr_db"):
        InterferenceChannelConfig(speed_kmh=3.0, pilot_snr_db=float("nan"))
    with pytest.raises(ValueError, match="csi_delay"):
        interference_v0.parallel_env(**SMALL, speed_kmh=3.0, csi_delay=1.5)
    with pytest.raises(ValueError, match="moving_receivers"):
        InterferenceChannelConfig(speed_kmh=3.0, moving_receivers=1)
    # the blocks a long CSI delay keeps count in the memory estimate: refused before any
    # allocation (the same number of static envs fits)
    big = {**SMALL, "n_links": 10, "topology": "random", "n_antennas": 8}
    with pytest.raises(ValueError, match="GB"):
        InterferenceVecEnv(20_000, **big, speed_kmh=60.0, csi_delay=100)
    static = InterferenceEnvConfig.from_kwargs(**big).bytes_per_env()
    late = InterferenceEnvConfig.from_kwargs(**big, speed_kmh=60.0, csi_delay=100).bytes_per_env()
    assert late > 2 * static


def test_the_genie_plays_the_true_channel_and_bounds_the_stale_best_response():
    """The genie's best response reads the block its action plays on: with perfect current CSI
    it is the links' own best response; one block late at 60 km/h the stale best response
    (the papers' solution on what the links observe) loses to it on average (Monte Carlo over
    48 envs × 12 blocks); the power modes refuse it."""
    kw = {**SMALL, "action_mode": "precoder", "max_cycles": 50, "dtype": "float64"}
    exact = InterferenceVecEnv(4, **kw, speed_kmh=60.0, csi_delay=0)
    exact.reset(seed=1)
    exact.step(exact.best_response_actions())
    torch.testing.assert_close(exact.genie_best_response_actions(), exact.best_response_actions())
    scores = {}
    for name in ("stale", "genie"):
        venv = InterferenceVecEnv(48, **kw, speed_kmh=60.0)
        venv.reset(seed=100)
        total = 0.0
        for t in range(12):
            act = (
                venv.genie_best_response_actions if name == "genie" else venv.best_response_actions
            )
            _, rewards, *_ = venv.step(act())
            total += float(rewards.mean()) if t >= 2 else 0.0
        scores[name] = total
    assert scores["genie"] > scores["stale"], scores
    with pytest.raises(ValueError, match="precoder"):
        power = InterferenceVecEnv(2, **SMALL, speed_kmh=60.0)
        power.reset(seed=0)
        power.genie_best_response_actions()


def test_a_partial_reset_leaves_the_other_envs_channels_alone():
    """Resetting one env of a batch (as an autoreset does) starts its channel afresh and
    leaves the others' true channels, observations and rewards as if nothing happened."""
    kw = {**SMALL, "max_cycles": 50, "speed_kmh": 60.0, "csi_delay": 2, "pilot_snr_db": 10.0}
    pair = InterferenceVecEnv(2, **kw, dtype="float64")
    alone = InterferenceVecEnv(1, **kw, dtype="float64")
    pair.reset(seed=[5, 6])
    alone.reset(seed=[5])
    for t in range(6):
        if t == 3:
            pair.batch.reset([5, 7], torch.tensor([False, True]))
            torch.testing.assert_close(
                pair.batch.true_game.channels[1],
                alone.batch.scenario.sample([7], dtype=torch.complex128).channels[0],
                rtol=1e-12,
                atol=0,
            )
        obs, rewards, *_ = pair.step(pair.best_response_actions())
        obs_alone, rewards_alone, *_ = alone.step(alone.best_response_actions())
        torch.testing.assert_close(
            pair.batch.true_game.channels[:1], alone.batch.true_game.channels
        )
        torch.testing.assert_close(rewards[:1], rewards_alone)
        torch.testing.assert_close(obs[:1], obs_alone)
