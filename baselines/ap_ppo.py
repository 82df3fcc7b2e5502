"""A learned access point on ``semgym/Broadcast-v0`` (power mode): stable-baselines3 PPO sets the
power of each pooled mode of the shared precoder F = V diag(√p) Q̃ᴴ from the AP's observation,
for the network reward (−mean NMSE over the users).

Actions in [-1, 1]^M are decoded into watts like the interference env's ``normalized`` mode
(u = (a + 1)/2, p = P_T·u / max(1, Σu)); observations and rewards are normalized by
VecNormalize (the users' NMSE moves by thousandths). Compared with federated ADMM, First-K and
Top-K by ``baselines/compare.py``. Budget: 300,000 AP decisions (64 envs, 10-step episodes),
under 15 minutes on 2 CPU cores.

    python baselines/ap_ppo.py [--preset broadcast] [--seed 0] [--ship]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harness import Run, parse, parser
from sb3_common import normalized_env, sb3_act, sb3_normalized_actor, sb3_train, shared_ppo

from semgym.vector import SB3FlatVecEnv

HYPERPARAMETERS = {
    "num_envs": 64,
    "n_steps": 10,
    "batch_size": 160,
    "n_epochs": 10,
    "learning_rate": 3e-4,
    "gamma": 0.5,
    "gae_lambda": 0.9,
    "clip_range": 0.2,
    "net_arch": [128, 128],
    "log_std_init": -1.0,
    "normalize_observations": True,
    "normalize_rewards": True,
}
SMOKE = {"num_envs": 4, "batch_size": 20}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(parser(__doc__.splitlines()[0], budget=300_000, presets=("broadcast",)), argv)
    run = Run("ap-ppo", "ap_ppo.py", "access-point", args)
    hp = {**HYPERPARAMETERS, **(SMOKE if args.smoke else {})}
    budget = 240 if args.smoke else args.budget
    venv = SB3FlatVecEnv(run.training_env(hp["num_envs"]), normalized_power=True)
    env = normalized_env(run, venv, hp, rewards=True)
    model = shared_ppo(env, hp, args.seed)

    sb3_train(
        run,
        model,
        env,
        lambda: sb3_act(model, env, budget=venv.budget),
        lambda: sb3_normalized_actor(model, env, squash=False),
        budget=budget,
        hp=hp,
        what=f"AP decisions on {venv.num_envs} envs",
        library="stable-baselines3 PPO",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
