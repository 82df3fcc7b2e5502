"""The baseline commands in smoke mode (a few iterations on a tiny scenario) and the comparison."""

from __future__ import annotations

import csv
import importlib
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from semgym.policies import Learned, evaluate
from semgym.presets import HELD_OUT_SEEDS

BASELINES = Path(__file__).resolve().parents[1] / "baselines"
if str(BASELINES) not in sys.path:
    sys.path.insert(0, str(BASELINES))

COMMANDS = {
    "ppo_shared": "link",
    "sac_shared": "link",
    "central_ppo": "central",
    "mappo_torchrl": "link",
    "ap_ppo": "access-point",
    "l2o_shared": "link",
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_training_command_runs_in_smoke_mode(command, tmp_path):
    module = importlib.import_module(command)
    assert module.main(["--smoke", "--out", str(tmp_path)]) == 0
    # the learning curve: CSV and PNG, finite points from step 0 on
    with (tmp_path / "curve.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 2 and int(rows[0]["agent_steps"]) == 0
    assert all(math.isfinite(float(r["nmse"])) and 0 < float(r["nmse"]) < 2 for r in rows)
    assert (tmp_path / "curve.png").stat().st_size > 0
    # the trainer's own checkpoint and the export, which loads without the trainer
    trainer = [p for p in tmp_path.iterdir() if p.name.startswith(("sb3_", "torchrl_", "l2o_"))]
    assert trainer and all(p.stat().st_size > 0 for p in trainer)
    policy = Learned.load(tmp_path / "policy.pt")
    assert policy.kind == COMMANDS[command]
    card = policy.card
    assert card["command"].startswith(f"python baselines/{command}.py --preset ")
    assert math.isfinite(card["score"]["nmse"])
    low, high = card["score"]["nmse_ci95"]
    assert low <= card["score"]["nmse"] <= high
    # it plays in its env through evaluate (the central controller from env.state())
    env = policy.preset.parallel_env(**policy.env_kwargs(max_cycles=2))
    row = evaluate({"learned": policy}, env, seeds=(10_000,), show=False)[0]
    assert 0 < row["network_nmse"] < 2


@pytest.mark.parametrize(
    ("command", "flags"), [("l2o_shared", ["--prices"]), ("mappo_torchrl", ["--team", "--prices"])]
)
def test_cooperative_runs_record_their_reward_scope_and_prices(command, flags, tmp_path):
    """The card records the env settings a cooperative policy was trained with (team reward,
    observed prices), its layout has the price block, its command the flags, and it plays."""
    module = importlib.import_module(command)
    assert module.main(["--smoke", *flags, "--out", str(tmp_path)]) == 0
    policy = Learned.load(tmp_path / "policy.pt")
    card = policy.card
    assert card["env_kwargs"]["observe_prices"] is True
    assert card["env_kwargs"]["reward_scope"] == "team"
    assert card["observation_layout"]["blocks"][-1][0] == "log_mui_price"
    assert all(f" {flag} " in card["command"] for flag in flags)
    assert "-prices/" in card["name"]
    env = policy.make_env(max_cycles=2)
    row = evaluate({"learned": policy}, env, seeds=(10_000,), show=False)[0]
    assert 0 < row["network_nmse"] < 2


def test_a_memory_policy_trains_on_a_time_varying_preset(tmp_path):
    """``--previous`` on a time-varying preset: the card records ``observe_previous``, the
    layout ends in the previous step's blocks, the score is the mean over blocks, and the
    policy plays through evaluate, which averages a moving channel's blocks."""
    module = importlib.import_module("ppo_shared")
    out = tmp_path / "run"
    assert module.main(["--smoke", "--preset", "vehicular", "--previous", "--out", str(out)]) == 0
    policy = Learned.load(out / "policy.pt")
    card = policy.card
    assert card["name"] == "ppo-shared-memory/interference-v0/vehicular"
    assert card["env_kwargs"]["observe_previous"] is True
    blocks = [b[0] for b in card["observation_layout"]["blocks"]]
    assert blocks[-2:] == ["previous_log_gain", "previous_log_inr"]
    assert card["command"].endswith("--preset vehicular --previous --seed 0")
    assert "mean over blocks" in card["score"]["metric"]
    env = policy.make_env(max_cycles=14)
    row = evaluate({"learned": policy}, env, seeds=(10_000,), show=False)[0]
    assert 0 < row["network_nmse"] < 2


def test_dynamic_report_runs_in_smoke_mode(capsys):
    """Every time-varying preset's references: the stale best response is the zero of the
    differences and the genie closes its whole gap; the robust best response beats the
    stale one on these seeds; the sampled robust best response plays its first seeds."""
    module = importlib.import_module("dynamic")
    assert module.main(["--smoke", "--presets", "vehicular"]) == 0
    rows = module.preset_rows("vehicular", HELD_OUT_SEEDS[:3], smoke=True)
    by_name = {r["policy"]: r for r in rows}
    assert set(by_name) == {*module.REFERENCES, module.SAMPLED}
    assert by_name["Stale best response"]["vs_stale"] == 0.0
    assert by_name["Genie (current CSI)"]["gap_closed"] == pytest.approx(1.0)
    assert by_name["Robust best response"]["vs_stale"] < 0.0
    assert by_name[module.SAMPLED]["seeds"] == 2
    out = capsys.readouterr().out
    assert "| vehicular | Robust best response |" in out


def test_robust_instances_report_runs_in_smoke_mode(capsys):
    """The instance-by-instance report counts every instance (jointly) and every link of
    every instance (unilaterally), and its counts add up."""
    module = importlib.import_module("robust_instances")
    assert module.main(["--smoke"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6  # head, rule, two comparisons of two responses
    for line, (response, cases) in zip(
        lines[2:],
        [
            ("closed form, joint", 4),
            ("closed form, unilateral", 12),
            ("sampled (64 draws), joint", 4),
            ("sampled (64 draws), unilateral", 12),
        ],
        strict=True,
    ):
        assert f"| {response}" in line and f" of {cases} |" in line
    row = module._summary("s", "c", [(1.0, 0.1, 2.0), (-1.0, 0.1, 2.0), (0.01, 0.1, 2.0)])
    assert (row["worse"], row["better"], row["cases"]) == (1, 1, 3)
    assert row["worst_change"] == pytest.approx(0.5)


def test_training_leaves_nothing_in_the_temp_directory(tmp_path, monkeypatch):
    """An SB3 run logs nowhere but its run folder (SB3's default makes a folder in the temp
    directory on every learn())."""
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    module = importlib.import_module("ppo_shared")
    assert module.main(["--smoke", "--out", str(tmp_path / "run")]) == 0
    assert not [p.name for p in scratch.iterdir() if p.name.startswith("SB3-")]


def test_the_same_seed_trains_the_same_policy(tmp_path):
    module = importlib.import_module("ppo_shared")
    for run in ("a", "b"):
        assert module.main(["--smoke", "--out", str(tmp_path / run)]) == 0
    a, b = (Learned.load(tmp_path / run / "policy.pt") for run in ("a", "b"))
    obs = np.linspace(-1, 1, a.observation_size, dtype=np.float32)
    assert np.array_equal(a.act(obs), b.act(obs))
    assert a.card["score"]["nmse"] == b.card["score"]["nmse"]


def test_compare_runs_in_smoke_mode(capsys):
    module = importlib.import_module("compare")
    assert module.main(["--smoke", "--presets", "close-interferers", "broadcast"]) == 0
    out = capsys.readouterr().out
    for name in ("Best response", "Cooperative optimum (best found)", "Federated ADMM", "Top-K"):
        assert name in out


@pytest.mark.parametrize("name", Learned.available())
def test_shipped_policy_reproduces_its_card_score(name):
    """The held-out score on the card (what the README's learned-policy tables report) is what
    the shipped actor plays now on the card's scenario: nothing since training moved it.

    To the tables' fourth decimal, not to the bit: the actors are float32 networks, and on
    another CPU their matrix products round differently (about 1e-7 per product); 30 closed-loop
    steps over 64 seeds carry that to about 1e-5 in network NMSE."""
    harness = importlib.import_module("harness")
    policy = Learned.load(name)
    kwargs = {k: v for k, v in policy.env_kwargs().items() if k != "max_cycles"}
    scores = harness.play((policy.preset, kwargs, policy.kind), policy.act_batch, HELD_OUT_SEEDS)
    assert float(np.mean(scores["network_nmse"])) == pytest.approx(
        policy.card["score"]["nmse"], abs=5e-5
    )


def test_training_seeds_scores_the_shipped_run_as_its_card(tmp_path):
    """The training-seed report plays seed 0 (the shipped policy) to its card's score, and a
    run it cannot find is named with the command that trains it."""
    module = importlib.import_module("training_seeds")
    with pytest.raises(SystemExit, match=r"low-snr-seed99.* is missing: train it with"):
        module.main(["--presets", "low-snr", "--seeds", "0", "99", "--out", str(tmp_path)])
    args = ["--presets", "low-snr", "--algorithms", "ppo-shared", "--seeds", "0"]
    assert module.main([*args, "--out", str(tmp_path)]) == 0
    (row,) = list(csv.DictReader((tmp_path / "training-seeds.csv").open()))
    score = Learned.load("ppo-shared/interference-v0/low-snr").card["score"]
    assert float(row["network_nmse"]) == pytest.approx(score["nmse"], abs=5e-5)
    assert float(row["gap_closed"]) == pytest.approx(score["gap_share"], abs=1e-3)
    table = (tmp_path / "training-seeds.md").read_text()
    assert f"| low-snr | ppo-shared | {score['gap_share']:.1%} |" in table


def test_training_seed_intervals_are_the_same_on_every_call():
    """Same scores, same intervals: rliable's stratified bootstrap draws from NumPy's global
    generator, which the report seeds (without it two calls differ)."""
    module = importlib.import_module("training_seeds")
    rng = np.random.default_rng(1)
    scores = {"a": rng.uniform(0.2, 0.9, (5, 2)), "b": rng.uniform(0.2, 0.9, (5, 2))}
    first = module.intervals(scores, module._iqm_mean)
    np.random.rand(7)  # noqa: NPY002 (something else drawing from the global generator)
    second = module.intervals(scores, module._iqm_mean)
    for name in scores:
        np.testing.assert_array_equal(first[1][name], second[1][name])
        assert first[1][name][0, 1] < first[0][name][1] < first[1][name][1, 1]


def test_pricing_report_runs_in_smoke_mode(capsys):
    module = importlib.import_module("pricing")
    assert module.main(["--smoke", "--presets", "close-interferers"]) == 0
    row = capsys.readouterr().out.splitlines()[-1]
    assert row.startswith("| close-interferers | paper (2) |")
    # settled_round: the first round from which the trajectory stays near its end
    trajectory = np.array([1.0, 0.5, 0.9, 0.62, 0.6, 0.6])
    assert module.settled_round(trajectory, 1.0) == 3
    assert module.settled_round(np.full(4, 0.5), 0.5) == 0


def test_stale_csi_report_runs_in_smoke_mode(capsys):
    """With perfect current knowledge (delay 0) the stale best response plays the genie (up to
    the water-filling tolerances of their two action modes); one block late it is a row of its
    own."""
    module = importlib.import_module("stale_csi")
    assert module.main(["--smoke"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("| 60 km/h | 0.660 | 0 | exact |")
    assert lines[-2].endswith("0.0% [-0.0%, -0.0%] |") or lines[-2].endswith(
        "0.0% [+0.0%, +0.0%] |"
    )
    assert lines[-1].startswith("| 60 km/h | 0.660 | 1 | exact |")
    exact = module.setting_row(60.0, 0, None, [10_000, 10_001], 3, smoke=True)
    assert abs(exact["loss"]) < 1e-6 and exact["stale"] == pytest.approx(exact["genie"], rel=1e-6)


def test_transfer_scores_a_network_policy_unchanged_on_larger_networks(tmp_path, capsys):
    """A policy trained on a network preset plays, unchanged, on 3× and 10× the links and on
    the papers' line; at the training size it replays its card's held-out score."""
    assert (
        importlib.import_module("l2o_shared").main(
            ["--smoke", "--preset", "sparse-network", "--out", str(tmp_path)]
        )
        == 0
    )
    module = importlib.import_module("transfer")
    rows = module.transfer_rows(str(tmp_path / "policy.pt"), 4, 4, smoke=True)
    assert [r["n_links"] for r in rows] == [10, 30, 100, 3]
    assert [r["sequential_nmse"] is None for r in rows] == [False, False, True, False]
    card = Learned.load(tmp_path / "policy.pt").card
    assert rows[0]["nmse"] == pytest.approx(card["score"]["nmse"], rel=1e-12)
    for r in rows:
        low, high = r["nmse_ci95"]
        assert low <= r["nmse"] <= high and math.isfinite(r["gap_share"])
        assert r["best_response_nmse"] < r["uniform_nmse"]
    assert "paper (line), L = 3" in module.markdown(rows)


def test_beyond_equilibrium_report_runs_in_smoke_mode(capsys):
    module = importlib.import_module("beyond_equilibrium")
    assert module.main(["--smoke", "--presets", "close-interferers"]) == 0
    out = capsys.readouterr().out
    assert "| close-interferers (" in out and "Interference pricing" in out
