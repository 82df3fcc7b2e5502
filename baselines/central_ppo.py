"""A central controller on ``semgym/Interference-v0``: one stable-baselines3 PPO policy sets every
link's powers from the state (all links' observations) for the network reward (−mean NMSE).

Unlike the decentralized policies it optimizes the network, not each link, so it is the learner
that could beat the Nash equilibrium (the cooperative optimum shows how far that can go). Its
MLP is shared by the links: link l's ``normalized`` action comes from [o_l, mean of the other
links' o_j] (:class:`semgym.vector.SB3CentralSlots`), so the controller sees the whole state
and learns from L samples per step; a plain MLP from the 729-entry state to the 240 actions
(L = 3) stayed at equal power in this budget. Observations are normalized by VecNormalize.
Budget: 1,000,000 link decisions (64 envs × L links, 10-step episodes), under 15 minutes on
2 CPU cores.

    python baselines/central_ppo.py --preset close-interferers [--seed 0] [--ship]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import ppo_shared
from harness import TRAINED_PRESETS, Run, parse, parser
from sb3_common import central_act, normalized_env, sb3_normalized_actor, sb3_train, shared_ppo

from semgym.vector import SB3CentralSlots

#: shared PPO's, with one MLP shared by the links of the controller
HYPERPARAMETERS = {**ppo_shared.HYPERPARAMETERS, "shared_over_links": True}
SMOKE = ppo_shared.SMOKE


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], budget=1_000_000, presets=TRAINED_PRESETS)
    args = parse(p, argv)
    run = Run("central-ppo", "central_ppo.py", "central", args)
    hp = {**HYPERPARAMETERS, **(SMOKE if args.smoke else {})}
    budget = 600 if args.smoke else args.budget
    venv = SB3CentralSlots(run.training_env(hp["num_envs"]))
    n_links = venv.n_links
    env = normalized_env(run, venv, hp)
    model = shared_ppo(env, hp, args.seed)
    sb3_train(
        run,
        model,
        env,
        lambda: central_act(model, env, n_links),
        lambda: sb3_normalized_actor(model, env, squash=False, links=n_links),
        budget=budget,
        hp=hp,
        what=f"link decisions on {venv.num_envs} link slots",
        library="stable-baselines3 PPO",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
