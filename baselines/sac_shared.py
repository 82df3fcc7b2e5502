"""stable-baselines3 SAC with parameters shared over links, on an interference preset.

Like ``ppo_shared.py`` (one policy for every link slot of :class:`semgym.vector.SB3VecEnv`,
each link's own observation and reward, VecNormalize observations, ``normalized`` actions),
trained off-policy by SAC with automatic entropy tuning. Budget: 300,000 link decisions
(16 envs × L links, 4 gradient steps per vector step), under 15 minutes on 2 CPU cores.

    python baselines/sac_shared.py --preset low-snr [--seed 0] [--budget 300000] [--ship]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harness import TRAINED_PRESETS, Run, parse, parser
from sb3_common import normalized_env, sb3_act, sb3_normalized_actor, sb3_train
from stable_baselines3 import SAC

from semgym.vector import SB3VecEnv

HYPERPARAMETERS = {
    "num_envs": 16,
    "buffer_size": 300_000,
    "batch_size": 256,
    "learning_starts": 4_800,
    "gradient_steps": 4,
    "learning_rate": 3e-4,
    "gamma": 0.5,
    "tau": 0.005,
    "net_arch": [256, 256],
    "ent_coef": "auto",
    "normalize_observations": True,
}
SMOKE = {"num_envs": 2, "learning_starts": 24, "batch_size": 16, "gradient_steps": 1}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(parser(__doc__.splitlines()[0], budget=300_000, presets=TRAINED_PRESETS), argv)
    run = Run("sac-shared", "sac_shared.py", "link", args)
    hp = {**HYPERPARAMETERS, **(SMOKE if args.smoke else {})}
    budget = 120 if args.smoke else args.budget
    venv = SB3VecEnv(run.training_env(hp["num_envs"]))
    env = normalized_env(run, venv, hp)
    model = SAC(
        "MlpPolicy",
        env,
        buffer_size=hp["buffer_size"],
        batch_size=hp["batch_size"],
        learning_starts=hp["learning_starts"],
        train_freq=1,
        gradient_steps=hp["gradient_steps"],
        learning_rate=hp["learning_rate"],
        gamma=hp["gamma"],
        tau=hp["tau"],
        ent_coef=hp["ent_coef"],
        policy_kwargs={"net_arch": hp["net_arch"]},
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    sb3_train(
        run,
        model,
        env,
        lambda: sb3_act(model, env),
        lambda: sb3_normalized_actor(model, env, squash=True),
        budget=budget,
        hp=hp,
        what=f"agent-steps on {venv.num_envs} link slots",
        library="stable-baselines3 SAC",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
