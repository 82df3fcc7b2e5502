"""stable-baselines3 PPO with parameters shared over links, on an interference preset.

Every link of every env is one slot of an SB3 ``VecEnv`` (:class:`semgym.vector.SB3VecEnv`):
one policy acts for every link from that link's own observation and learns from that link's
own reward (−NMSE_l), decentralized like the best response. Observations are normalized by
VecNormalize; actions are the env's ``normalized`` encoding. Budget: 1,000,000 link decisions
(64 envs × L links × 10-step episodes on training seeds), under 15 minutes on 2 CPU cores.

On the time-varying presets ``--previous`` gives the policy a memory of one step: the env's
``observe_previous`` blocks (the gains and INR the link observed one step earlier), shipped as
``ppo-shared-memory``.

    python baselines/ppo_shared.py --preset low-snr [--seed 0] [--budget 1000000] [--ship]
    python baselines/ppo_shared.py --preset vehicular --previous [--ship]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harness import DYNAMIC_PRESETS, TRAINED_PRESETS, Run, parse, parser
from sb3_common import normalized_env, sb3_act, sb3_normalized_actor, sb3_train, shared_ppo

from semgym.vector import SB3VecEnv

HYPERPARAMETERS = {
    "num_envs": 64,
    "n_steps": 10,
    "batch_size": 640,
    "n_epochs": 5,
    "learning_rate": 3e-4,
    "gamma": 0.5,
    "gae_lambda": 0.9,
    "clip_range": 0.2,
    "net_arch": [256, 256],
    "log_std_init": -1.0,
    "normalize_observations": True,
}
SMOKE = {"num_envs": 4, "batch_size": 60}


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], budget=1_000_000, presets=TRAINED_PRESETS + DYNAMIC_PRESETS)
    p.add_argument(
        "--previous", action="store_true", help="observe the previous step's gains and INR"
    )
    args = parse(p, argv)
    options = {"observe_previous": True} if args.previous else {}
    algorithm = "ppo-shared-memory" if args.previous else "ppo-shared"
    run = Run(algorithm, "ppo_shared.py", "link", args, options)
    hp = {**HYPERPARAMETERS, **(SMOKE if args.smoke else {})}
    budget = 600 if args.smoke else args.budget
    venv = SB3VecEnv(run.training_env(hp["num_envs"]))
    env = normalized_env(run, venv, hp)
    model = shared_ppo(env, hp, args.seed)
    sb3_train(
        run,
        model,
        env,
        lambda: sb3_act(model, env),
        lambda: sb3_normalized_actor(model, env, squash=False),
        budget=budget,
        hp=hp,
        what=f"agent-steps on {venv.num_envs} link slots",
        library="stable-baselines3 PPO",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
