"""What the baseline commands share: arguments, seeds, the envs they train on, SB3 adapters,
scoring on held-out seeds, learning curves, export to :class:`semgym.policies.Learned` and
model cards.

Seeds (documented in :mod:`semgym.presets`): training episodes draw their channel seeds from
``TRAINING_SEEDS`` = [1,000,000, 2³¹ − 1) (the vector envs' ``seed_range``); learning curves are
measured on ``VALIDATION_SEEDS`` (900,000–900,015); scores on the held-out seeds 10,000–10,063
and the paper's six, which no training run or curve touches.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.stats
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from semgym import DOCS_URL  # noqa: E402
from semgym.policies import Learned  # noqa: E402
from semgym.policies.learned import (  # noqa: E402
    CHECKPOINTS,
    Actor,
    observation_layout,
    scenario_record,
)
from semgym.presets import (  # noqa: E402
    DYNAMIC_FIRST_SCORED,
    DYNAMIC_STEPS,
    EVALUATION_STEPS,
    HELD_OUT_SEEDS,
    PAPER_SEEDS,
    PRESETS,
    TRAINING_SEEDS,
    Preset,
    get_preset,
)

RESULTS = ROOT / "baselines" / "results"
SHIPPED = ROOT / "semgym" / "policies" / CHECKPOINTS
RUNS = ROOT / "runs"
VALIDATION_SEEDS = tuple(range(900_000, 900_016))
#: Interference presets the learned baselines train on: every interference preset.
TRAINED_PRESETS = (
    "paper",
    "low-snr",
    "close-interferers",
    "more-links",
    "primary-users",
    "widely-linear",
    "sparse-network",
    "dense-network",
)
#: The time-varying presets (scored by the mean network NMSE over blocks, see :func:`play`).
DYNAMIC_PRESETS = tuple(n for n, p in PRESETS.items() if p.dynamic)
#: Small, fast scenarios of the smoke runs (``--smoke``), which the tests execute.
SMOKE_INTERFERENCE = {"latents": "synthetic", "n_antennas": 2, "channel_uses": 2}
SMOKE_BROADCAST = {"latents": "synthetic", "n_users": 3, "n_tx": 2, "n_rx": 2}
#: Steps of the training episodes (the evaluation plays EVALUATION_STEPS = 30).
TRAINING_CYCLES = 10


# --- arguments and runs ------------------------------------------------------------------------
def parser(description: str, *, budget: int, presets: Sequence[str]) -> argparse.ArgumentParser:
    """The arguments every baseline command takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--preset", default=presets[0], choices=list(presets))
    p.add_argument("--seed", type=int, default=0, help="training seed")
    p.add_argument("--budget", type=int, default=budget, help="agent-steps (link decisions)")
    p.add_argument("--smoke", action="store_true", help="a few iterations on a tiny scenario")
    p.add_argument("--out", type=Path, default=None, help="run folder (default runs/...)")
    p.add_argument("--ship", action="store_true", help="copy the export into the package")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    return p


@dataclass
class Run:
    """One training run: its arguments, folder, clock and learning curve."""

    algorithm: str
    script: str
    kind: str  # "link", "central" or "access-point"
    args: argparse.Namespace
    #: env settings the policy is trained and scored with beyond the preset's (e.g.
    #: ``reward_scope="team"``, ``observe_prices=True``); the card records them
    options: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        torch.set_num_threads(self.args.threads)
        torch.manual_seed(self.args.seed)
        self.preset: Preset = get_preset(self.args.preset)
        self.out = (
            self.args.out or RUNS / self.algorithm / f"{self.args.preset}-seed{self.args.seed}"
        )
        self.out.mkdir(parents=True, exist_ok=True)
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.references = validation_references(self)

    @property
    def env_name(self) -> str:
        return "broadcast-v0" if self.preset.env == "broadcast" else "interference-v0"

    @property
    def name(self) -> str:
        """The shipped name, ``<algorithm>/<env>/<preset>``."""
        return f"{self.algorithm}/{self.env_name}/{self.args.preset}"

    @property
    def smoke_kwargs(self) -> dict[str, Any]:
        if not self.args.smoke:
            return {}
        return SMOKE_BROADCAST if self.preset.env == "broadcast" else SMOKE_INTERFERENCE

    def env_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """The preset's keywords (smoke scenario applied), in the policy's action mode."""
        mode = "power" if self.kind == "access-point" else "normalized"
        base = {"action_mode": mode, **self.options, **self.smoke_kwargs}
        return self.preset.env_kwargs(**{**base, **overrides})

    def training_env(self, num_envs: int) -> Any:
        """The vector env of the training episodes (training seed range, float32)."""
        venv = self.preset.vector_env(
            num_envs, seed_range=TRAINING_SEEDS, **self.env_kwargs(max_cycles=TRAINING_CYCLES)
        )
        return venv

    def first_seed(self, num_envs: int) -> int:
        """The seeded first reset: env i gets TRAINING_SEEDS[0] + seed·num_envs + i."""
        return TRAINING_SEEDS[0] + self.args.seed * num_envs

    def curve_every(self, total: int) -> int:
        """Steps between learning-curve points: ten points a run (two in smoke runs)."""
        return max(total // (2 if self.args.smoke else 10), 1)

    @property
    def validation_seeds(self) -> tuple[int, ...]:
        """The learning curves' seeds (four in smoke runs)."""
        return VALIDATION_SEEDS[:4] if self.args.smoke else VALIDATION_SEEDS

    @property
    def wall(self) -> float:
        return time.perf_counter() - self.start

    def record(self, agent_steps: int, act: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """A learning-curve point: the deterministic policy's validation network NMSE."""
        played = play(self, act, self.validation_seeds, dtype="float32")
        nmse = float(np.mean(played["network_nmse"]))
        self.rows.append({"agent_steps": agent_steps, "wall_s": self.wall, "nmse": nmse})
        print(f"  {agent_steps:>9,d} agent-steps  {self.wall:7.1f} s  validation NMSE {nmse:.4f}")

    def finish(
        self,
        actor: Actor,
        hyperparameters: dict[str, Any],
        *,
        library: str,
        trainer_checkpoint: Path | None,
        agent_steps: int,
    ) -> Learned:
        """Score the export on the held-out seeds, write the curve, the card and the
        checkpoint (and ship them with ``--ship``); returns the policy."""
        train_wall = self.wall
        train_cpu = time.process_time() - self.cpu_start
        actor = actor.rounded()  # what the checkpoint stores (float16 weights)
        card = {
            "name": self.name,
            "kind": self.kind,
            "preset": self.args.preset,
            "algorithm": self.algorithm,
            "library": library,
            "env_kwargs": {
                "action_mode": self.env_kwargs()["action_mode"],
                **self.options,
                **self.smoke_kwargs,
            },
            "observation_layout": observation_layout(
                self.kind, self.args.preset, **self.options, **self.smoke_kwargs
            ),
            "scenario": scenario_record(
                self.kind, self.args.preset, **self.options, **self.smoke_kwargs
            ),
            "budget": {
                "agent_steps": agent_steps,
                "train_wall_s": round(train_wall, 1),
                "train_cpu_s": round(train_cpu, 1),
            },
            "training": {
                "seed": self.args.seed,
                "channel_seeds": f"[{TRAINING_SEEDS[0]}, {TRAINING_SEEDS[1]})",
                "episode_steps": TRAINING_CYCLES,
                "torch_threads": self.args.threads,
                "hyperparameters": hyperparameters,
                "host": f"{platform.machine()}, torch {torch.__version__}",
            },
            "command": self.command,
            "documentation": f"{DOCS_URL}learned/",
        }
        policy = Learned(actor, card)
        score = held_out_score(self, policy)
        card["score"] = score
        policy = Learned(actor, card)
        path = policy.save(self.out / "policy.pt")
        curve = self.write_curve()
        share = score["gap_share"]
        print(
            f"{self.name}: held-out network NMSE {score['nmse']:.4f} "
            f"[{score['nmse_ci95'][0]:.4f}, {score['nmse_ci95'][1]:.4f}], gap share "
            f"{'n/a' if share is None else f'{share:.1%}'}; trained in {train_wall:.0f} s "
            f"({train_cpu:.0f} s CPU)"
        )
        print(f"  export: {path}")
        if trainer_checkpoint is not None:
            print(f"  trainer checkpoint: {trainer_checkpoint}")
        if self.args.ship:
            if self.args.smoke:
                raise SystemExit("--ship refuses smoke runs")
            target = SHIPPED / self.name
            policy.save(target)
            (RESULTS / "curves").mkdir(parents=True, exist_ok=True)
            stem = self.name.replace("/", "__")
            for suffix in (".csv", ".png"):
                shutil.copy(curve.with_suffix(suffix), RESULTS / "curves" / f"{stem}{suffix}")
            print(f"  shipped as {self.name!r}")
        return policy

    @property
    def command(self) -> str:
        command = f"python baselines/{self.script} --preset {self.args.preset}"
        for flag in ("team", "prices", "previous"):
            if getattr(self.args, flag, False):
                command += f" --{flag}"
        command += f" --seed {self.args.seed}"
        if self.args.budget != self.args._default_budget:
            command += f" --budget {self.args.budget}"
        return command

    def write_curve(self) -> Path:
        """The learning curve as CSV and PNG (validation network NMSE vs agent-steps, with the
        Uniform and best-response levels on the same seeds)."""
        path = self.out / "curve.csv"
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, ["agent_steps", "wall_s", "nmse"])
            writer.writeheader()
            writer.writerows(self.rows)
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5.5, 3.5), dpi=110)
        steps = [r["agent_steps"] for r in self.rows]
        ax.plot(steps, [r["nmse"] for r in self.rows], "o-", label=self.algorithm)
        for name, value in self.references.items():
            ax.axhline(value, ls="--", lw=1, color="k" if name == "best response" else "gray")
            ax.annotate(name, (steps[0] if steps else 0, value), fontsize=7, va="bottom")
        ax.set_xlabel("agent-steps (link decisions)")
        ax.set_ylabel(score_metric(self.preset).split(" (")[0])
        ax.set_title(f"{self.name} (validation seeds)", fontsize=9)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path.with_suffix(".png"))
        plt.close(fig)
        return path


def parse(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    args = p.parse_args(argv)
    args._default_budget = p.get_default("budget")
    return args


def observation_statistics(run: Run, num_envs: int, steps: int) -> tuple[torch.Tensor, ...]:
    """Mean and standard deviation (D,) of link observations under random actions, on
    training seeds (after the range the run's episodes start from)."""
    venv = run.training_env(num_envs)
    obs, _ = venv.reset(seed=TRAINING_SEEDS[0] + 10**8 + run.args.seed * num_envs)
    gen = torch.Generator().manual_seed(run.args.seed)
    seen = [obs.reshape(-1, venv.link_observation_space.shape[0])]
    for _ in range(steps):
        actions = torch.rand(venv.action_space.shape, generator=gen) * 2 - 1
        obs, *_ = venv.step(actions)
        seen.append(obs.reshape(-1, venv.link_observation_space.shape[0]))
    stacked = torch.cat(seen)
    return stacked.mean(0), stacked.std(0).clamp_min(1e-4)


# --- playing policies in the vector env --------------------------------------------------------
def _spec(
    run_or_preset: Run | tuple[Preset, dict[str, Any], str],
) -> tuple[Preset, dict[str, Any], str]:
    """(preset, env keyword arguments, kind) of a run, or the tuple itself."""
    if isinstance(run_or_preset, Run):
        return run_or_preset.preset, run_or_preset.env_kwargs(), run_or_preset.kind
    return run_or_preset


def play(
    run_or_preset: Run | tuple[Preset, dict[str, Any], str],
    act: Callable[[torch.Tensor], torch.Tensor] | None,
    seeds: Sequence[int],
    *,
    dtype: str = "float64",
    steps: int | None = None,
    kind: str | None = None,
    reference: str = "best_response",
    reference_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Play one episode per seed in the batched env (all seeds at once) and return the last
    step's scores: ``network_nmse`` (S,), ``nmse`` (S, L), ``exploitability`` (S,) in NMSE
    (max over links of the MSE a unilateral deviation saves, over tr R_y), ``caps_hold`` (S,)
    bool with primary users (else None), and the env. On a time-varying preset the episode
    has ``DYNAMIC_STEPS`` blocks (unless ``steps`` is given) and ``nmse`` is the mean over
    blocks ``DYNAMIC_FIRST_SCORED``… of each block's NMSE where it was played.

    ``act`` maps observations to actions: per link (N, D) → (N, A) for ``kind="link"``, the
    joint (B, L·D) → (B, L·A) for ``"central"``, the AP's (B, D) → (B, M) watts for
    ``"access-point"``; None plays the env's reference policy named by ``reference``: every
    link's ``"best_response"``, or on a time-varying channel its ``"robust_best_response"``
    or the ``"genie_best_response"`` (these two in ``action_mode="precoder"``), or its
    ``"sampled_robust_best_response"``; ``reference_options``: keyword arguments of it.
    """
    preset, kwargs, kind = _spec(run_or_preset)
    if steps is None:
        steps = DYNAMIC_STEPS if preset.dynamic else EVALUATION_STEPS
    first = min(DYNAMIC_FIRST_SCORED, steps - 1)
    venv = preset.vector_env(len(seeds), dtype=dtype, **{**kwargs, "max_cycles": steps + 1})
    obs, _ = venv.reset(seed=[int(s) for s in seeds])
    played = 0.0
    for step in range(steps):
        if act is None:
            actions = getattr(venv, f"{reference}_actions")(**(reference_options or {}))
        elif kind == "link":
            b, n_links = venv.num_envs, venv.n_links
            actions = act(obs.reshape(b * n_links, -1).float()).reshape(b, -1)
        else:
            actions = act(obs.float())
        obs, *_ = venv.step(actions.to(torch.float64 if dtype == "float64" else torch.float32))
        if preset.dynamic and step >= first:
            played = played + venv.batch.played.nmse
    ev = venv.batch.evaluation
    nmse = (played / (steps - first)).numpy() if preset.dynamic else ev.nmse.numpy()
    exploit, caps = None, None
    if kind != "access-point":
        game = venv.batch.game
        exploit = (ev.link_exploitability / game.target_energy).amax(-1).numpy()
        caps = caps_held(game, venv.batch.state)
    return {
        "nmse": nmse,
        "network_nmse": nmse.mean(-1),
        "exploitability": exploit,
        "caps_hold": caps,
        "venv": venv,
    }


def caps_held(game: Any, state: Any) -> np.ndarray | None:
    """Per game (B,) bool: every primary's received interference within its cap I_max under
    ``state``'s precoders; None without primary users."""
    if game.primary is None:
        return None
    covariances = state.channel_use_covariances(game.channel_uses)
    return game.primary.caps_hold(covariances).numpy()


def references(
    run_or_preset: Run | tuple[Preset, dict[str, Any], str],
    seeds: Sequence[int],
    *,
    dtype: str = "float64",
) -> dict[str, np.ndarray]:
    """Per-seed network NMSE (S,) of the reference levels in ``run_or_preset``'s env (normalized
    actions): ``"uniform"`` (equal power on every mode; K·P_max/M watts each for the access
    point) and, in the games, ``"best response"`` (every link's, the env's)."""
    preset, kwargs, kind = _spec(run_or_preset)
    venv = preset.vector_env(1, **kwargs)
    m = venv.batch.n_modes
    if kind == "access-point":
        budget = venv.batch.budget
        uniform = play(
            run_or_preset, lambda o: torch.full((o.shape[0], m), budget / m), seeds, dtype=dtype
        )
        return {"uniform": uniform["network_nmse"]}
    width = m * (venv.n_links if kind == "central" else 1)
    uniform = play(run_or_preset, lambda o: torch.zeros(o.shape[0], width), seeds, dtype=dtype)
    best = play(run_or_preset, None, seeds, dtype=dtype)
    return {"uniform": uniform["network_nmse"], "best response": best["network_nmse"]}


def validation_references(run: Run) -> dict[str, float]:
    """Uniform and best-response network NMSE on the validation seeds (the curves' levels)."""
    levels = references(run, run.validation_seeds, dtype="float32")
    return {name: float(values.mean()) for name, values in levels.items()}


# --- intervals ---------------------------------------------------------------------------------
def mean_interval(values: Sequence[float], *, seed: int = 0) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the mean over seeds (scipy.stats.bootstrap)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2 or np.ptp(values) == 0:
        return float(values.mean()), float(values.mean())
    result = scipy.stats.bootstrap(
        (values,),
        np.mean,
        confidence_level=0.95,
        n_resamples=4000,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def gap_share(policy: np.ndarray, uniform: np.ndarray, equilibrium: np.ndarray) -> float:
    """Share of the Uniform → equilibrium gap in mean network NMSE that a policy closes."""
    gap = float(np.mean(uniform) - np.mean(equilibrium))
    return float(np.mean(uniform) - np.mean(policy)) / gap if gap != 0 else math.nan


def gap_interval(
    policy: np.ndarray, uniform: np.ndarray, equilibrium: np.ndarray, *, seed: int = 0
) -> tuple[float, float]:
    """95 % paired percentile-bootstrap interval of :func:`gap_share` (seeds resampled jointly
    for the three policies, scipy.stats.bootstrap with ``paired=True``)."""

    def statistic(p: np.ndarray, u: np.ndarray, e: np.ndarray, axis: int = -1) -> np.ndarray:
        gap = u.mean(axis) - e.mean(axis)
        return (u.mean(axis) - p.mean(axis)) / np.where(gap == 0, np.nan, gap)

    result = scipy.stats.bootstrap(
        (np.asarray(policy), np.asarray(uniform), np.asarray(equilibrium)),
        statistic,
        paired=True,
        vectorized=True,
        confidence_level=0.95,
        n_resamples=4000,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def held_out_score(run: Run, policy: Learned) -> dict[str, Any]:
    """The card's score: the exported policy on the held-out seeds (float64 env, 30 steps),
    with Uniform and the best response on the same seeds."""
    seeds = HELD_OUT_SEEDS[:4] if run.args.smoke else HELD_OUT_SEEDS
    ours = play(run, policy.act_batch, seeds)["network_nmse"]
    levels = references(run, seeds)
    uniform, reference = levels["uniform"], levels.get("best response")
    low, high = mean_interval(ours)
    score: dict[str, Any] = {
        "metric": score_metric(run.preset),
        "seeds": f"held-out {seeds[0]}–{seeds[-1]} ({len(seeds)} channel seeds)",
        "nmse": float(np.mean(ours)),
        "nmse_ci95": [low, high],
        "uniform_nmse": float(np.mean(uniform)),
    }
    if reference is not None:
        score["best_response_nmse"] = float(np.mean(reference))
        score["gap_share"] = gap_share(ours, uniform, reference)
        score["gap_share_ci95"] = list(gap_interval(ours, uniform, reference))
    else:  # the downlink has one player: no equilibrium, no gap to close
        score["gap_share"] = None
    return score


def score_metric(preset: Preset) -> str:
    """What :func:`play` scores on ``preset``, in words."""
    if preset.dynamic:
        return (
            f"network NMSE, mean over blocks {DYNAMIC_FIRST_SCORED}–{DYNAMIC_STEPS - 1} "
            "(lower is better)"
        )
    return f"network NMSE after {EVALUATION_STEPS} steps (lower is better)"


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def merged_rows(
    path: Path, rows: list[dict[str, Any]], field: str, order: Callable[[Any], Any]
) -> list[dict[str, Any]]:
    """A report's ``rows`` measured now with the rows stored in ``path`` (a JSON list) whose
    ``field`` none of them has (those keep their stored measurements), sorted by ``order`` of
    the field (stable: rows of one value keep their order)."""
    measured = {r[field] for r in rows}
    stored = json.loads(path.read_text()) if path.is_file() else []
    kept = [r for r in stored if r[field] not in measured]
    return sorted(kept + rows, key=lambda r: order(r[field]))


__all__ = [
    "DYNAMIC_PRESETS",
    "EVALUATION_STEPS",
    "HELD_OUT_SEEDS",
    "PAPER_SEEDS",
    "RESULTS",
    "SHIPPED",
    "TRAINED_PRESETS",
    "VALIDATION_SEEDS",
    "Actor",
    "Learned",
    "Run",
    "gap_interval",
    "gap_share",
    "mean_interval",
    "merged_rows",
    "observation_statistics",
    "parse",
    "parser",
    "play",
]
