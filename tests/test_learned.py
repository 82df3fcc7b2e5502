"""Shipped learned policies: they load by name without their trainers, check their observation
layout, act like every reference policy, and beat Random on held-out seeds of their preset."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from semgym.policies import Learned, RandomPolicy, evaluate
from semgym.policies.learned import Actor, scenario_record
from semgym.presets import HELD_OUT_SEEDS, TRAINING_SEEDS

SHIPPED = Learned.available()


def test_policies_are_shipped():
    kinds = {Learned.load(name).kind for name in SHIPPED}
    assert kinds == {"link", "central", "access-point"}
    assert "ppo-shared/interference-v0/low-snr" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_policy_beats_random_on_held_out_seeds(name):
    policy = Learned.load(name)
    card = policy.card
    for key in ("preset", "algorithm", "budget", "training", "score", "command"):
        assert key in card, key
    assert card["training"]["channel_seeds"] == f"[{TRAINING_SEEDS[0]}, {TRAINING_SEEDS[1]})"
    env = policy.preset.parallel_env(**policy.env_kwargs(max_cycles=10))
    policies = {"learned": policy, "random": RandomPolicy.for_env(env, seed=0)}
    rows = evaluate(policies, env, seeds=HELD_OUT_SEEDS[:2], show=False)
    assert rows[0]["network_nmse"] < rows[1]["network_nmse"], rows


def test_make_env_builds_the_preset_env():
    policy = Learned.load("ppo-shared/interference-v0/low-snr")
    env = policy.make_env()
    assert env.scenario.channel.snr_db == 0.0 and env.action_mode == "normalized"
    observations, _ = env.reset(seed=HELD_OUT_SEEDS[0])
    action = policy.act(observations["link_0"])
    assert action.shape == env.action_space("link_0").shape and action.dtype == np.float32
    assert env.action_space("link_0").contains(action)
    with pytest.raises(ValueError, match="observation must have shape"):
        policy.act(observations["link_0"][:-1])


def test_another_observation_layout_is_refused(tmp_path):
    policy = Learned.load("ppo-shared/interference-v0/low-snr")
    primaries = policy.preset.parallel_env(primary_users=1, action_mode="normalized")
    with pytest.raises(ValueError, match="trained for the observation layout"):
        Learned.load("ppo-shared/interference-v0/low-snr", env=primaries)
    # a checkpoint whose card says it was trained on another layout (K = 5: M = 40 modes)
    m = 40
    size = 3 * m + 3
    actor = Actor([torch.zeros(m, size)], [torch.zeros(m)])
    blocks = [["log_gain", m], ["weight_share", m], ["power_share", m]]
    blocks += [["log_inr", 1], ["nmse", 1], ["budget_use", 1]]
    card = {
        "name": "stale",
        "kind": "link",
        "preset": "low-snr",
        "observation_layout": {"blocks": blocks, "repeat": 1, "size": size},
    }
    path = Learned(actor, card).save(tmp_path / "stale.pt")
    assert json.loads(path.with_suffix(".json").read_text())["name"] == "stale"
    with pytest.raises(ValueError, match=r"trained for the observation layout .* D = 123"):
        Learned.load(path)


def test_cards_record_the_scenario_and_a_changed_one_is_refused(tmp_path):
    for name in SHIPPED:
        card = Learned.load(name).card  # loading by name checks the scenario
        assert card["scenario"] == scenario_record(
            card["kind"], card["preset"], **card.get("env_kwargs", {})
        ), name
    policy = Learned.load("ppo-shared/interference-v0/primary-users")
    card = json.loads(json.dumps(policy.card))
    card["scenario"]["channel"]["alpha"] = 1.0  # as if the preset's α had changed since
    card["scenario"]["interference_cap"] = 0.1
    path = Learned(policy.actor, card).save(tmp_path / "moved.pt")
    with pytest.raises(ValueError, match=r"channel\.alpha 1\.0 → 3\.0; interference_cap 0\.1"):
        Learned.load(path)
    # on purpose, on another scenario: the env decides, only the layout must match
    env = policy.preset.parallel_env(**policy.env_kwargs(alpha=1.0, interference_cap=0.1))
    assert Learned.load(path, env=env).card["scenario"]["channel"]["alpha"] == 1.0


def test_bad_names_are_named():
    with pytest.raises(ValueError, match="no shipped learned policy"):
        Learned.load("ppo-shared/interference-v0/nowhere")
    with pytest.raises(ValueError, match="does not exist"):
        Learned.load("missing.pt")
    with pytest.raises(ValueError, match="kind"):
        Learned(Actor([torch.zeros(2, 3)], [torch.zeros(2)]), {"preset": "paper"})


def test_loading_needs_no_trainer():
    code = (
        "import sys\n"
        "from semgym.policies import Learned\n"
        "for name in Learned.available():\n"
        "    p = Learned.load(name)\n"
        "    p.act([0.0] * p.observation_size)\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in "
        "('stable_baselines3', 'torchrl', 'tensordict', 'ray')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_demo_plays_the_game_with_a_shipped_policy(tmp_path):
    from semgym.demo_game import LEARNED, run_game_demo

    rows, path = run_game_demo(seeds=(27,), out=tmp_path, search_iterations=5)
    names = [r["policy"] for r in rows]
    assert names[:3] == ["BestResponse", "Uniform", "RandomPolicy"] and LEARNED in names[3]
    assert names[-1] == "Cooperative optimum (best found)"
    by_name = dict(zip(names, rows, strict=True))
    # the cooperative search starts from the equilibrium: never worse than the best response
    best = by_name["Cooperative optimum (best found)"]["network_nmse"]
    assert best <= by_name["BestResponse"]["network_nmse"] * (1 + 3e-3)
    assert path.suffix == ".png" and path.stat().st_size > 10_000
