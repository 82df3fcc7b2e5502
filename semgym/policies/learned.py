"""Learned policies shipped with semgym, loadable by name with the ``act(observation)`` of every
reference policy.

Each shipped policy is a plain-torch actor (an MLP exported from the trainer that produced it:
stable-baselines3, TorchRL or RLlib, none of which is needed to load it) and a model card
(JSON): scenario preset, algorithm, budget, seeds, held-out score and the command that trained
it. Names read ``<algorithm>/<env>/<preset>``::

    from semgym.policies import Learned, evaluate

    Learned.available()                       # the shipped names
    policy = Learned.load("ppo-shared/interference-v0/low-snr")
    env = policy.make_env()                   # the preset's env, in the policy's action mode
    evaluate({"PPO": policy}, env, seeds=(10_000, 10_001))

Kinds of policy (``card["kind"]``):

- ``"link"``: one actor shared by every link, acting from that link's own observation (a
  decentralized policy, like :class:`~semgym.policies.BestResponse`);
  :meth:`Learned.make_env` builds ``interference_v0.parallel_env``.
- ``"central"``: one controller of all links, acting from the state (every link's observation)
  on ``semgym/Interference-v0`` (:meth:`Learned.make_env` builds it); in the PettingZoo env
  :func:`~semgym.policies.evaluate` calls it once per step on ``env.state()``. Its MLP may be
  shared by the links (:class:`Actor` with ``links``): link l's action from its observation
  and the mean of the others'.
- ``"access-point"``: the access point of ``broadcast_v0`` in ``action_mode="power"``.

Actions: the actor outputs a ∈ [-1, 1]^M per link, the interference env's ``normalized``
encoding (u = (a + 1)/2, p = K·P_max·u / max(1, Σu)); the access point's are decoded the same
way into watts of the broadcast env's power mode.

Observation layouts: the card records the layout the actor was trained on (the blocks of the
env manual and their sizes). Loading checks it against the layout the current env of the preset
produces, and a mismatch (another mode count, primary users, a changed layout) raises a
``ValueError`` that names both.

Scenarios: the card also records the scenario it was trained and scored on, every parameter
resolved (channel, antennas, K, noise, latent bank and links, primary users and their cap,
processing). Loading by name checks that the preset's env still builds that scenario (a
changed preset or default would void the card's score) and raises a ``ValueError`` listing
what differs; ``Learned.load(name, env=...)`` plays the policy on another scenario on purpose.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from semgym.envs.codec import decode_powers
from semgym.envs.config import EnvConfig
from semgym.envs.layout import describe_record
from semgym.envs.observations import shared_controller_inputs
from semgym.presets import DYNAMIC_STEPS, EVALUATION_STEPS, get_preset

#: Version of the checkpoint format written by :meth:`Learned.save`.
FORMAT = 1
#: Kinds of learned policy (see the module docstring).
KINDS = ("link", "central", "access-point")
#: Hidden-layer activations an exported actor may use.
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
#: How the last layer's output becomes an action in [-1, 1]: clipped (Gaussian policies'
#: mean) or squashed by tanh (SAC's and TorchRL's TanhNormal).
OUTPUTS = ("clip", "tanh")
#: Where the shipped checkpoints live inside the package.
CHECKPOINTS = "learned_checkpoints"


class Actor(nn.Module):
    """A deterministic MLP actor: observation (…, D) → action (…, A) in [-1, 1].

    Arguments:
        weights: the linear layers' weights, (out, in) each, input layer first.
        biases: their biases, (out,) each.
        activation: hidden activation, ``"tanh"`` or ``"relu"``.
        output: ``"clip"`` or ``"tanh"`` (see :data:`OUTPUTS`).
        observation_mean: optional centre of the MLP's input: it sees (x − mean) / scale.
        observation_scale: optional scale of the MLP's input (> 0).
        observation_clip: the normalized input is clipped to ± this when given.
        links: for a central controller of L links whose MLP is shared by the links: the
            observation is the state (…, L·D) and link l's action (A per link) comes from
            x_l = [o_l, mean of the other links' o_j] (2D entries, the MLP's input); the output
            is every link's action, concatenated (…, L·A). None: a plain MLP on (…, D).
    """

    def __init__(
        self,
        weights: Sequence[Tensor],
        biases: Sequence[Tensor],
        *,
        activation: str = "tanh",
        output: str = "clip",
        observation_mean: Tensor | None = None,
        observation_scale: Tensor | None = None,
        observation_clip: float | None = None,
        links: int | None = None,
    ) -> None:
        super().__init__()
        if links is not None and (int(links) != links or links < 2):
            raise ValueError(f"links must be an integer >= 2 or None, got {links!r}")
        self.links = None if links is None else int(links)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {list(ACTIVATIONS)}"
            )
        if output not in OUTPUTS:
            raise ValueError(f"unknown output {output!r}; choose one of {list(OUTPUTS)}")
        if not weights or len(weights) != len(biases):
            raise ValueError("weights and biases must list the same (>= 1) layers")
        layers: list[nn.Module] = []
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            w, b = torch.as_tensor(w, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
            if w.ndim != 2 or b.shape != (w.shape[0],):
                raise ValueError(f"layer {i}: weight must be (out, in) and bias (out,)")
            if i and w.shape[1] != layers[-2].out_features:
                raise ValueError(f"layer {i} takes {w.shape[1]} inputs, the previous gives more")
            linear = nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                linear.weight.copy_(w)
                linear.bias.copy_(b)
            layers += [linear, ACTIVATIONS[activation]()]
        self.net = nn.Sequential(*layers[:-1]).requires_grad_(False)
        self.activation, self.output = activation, output
        d = int(self.net[0].in_features)
        if self.links is not None and d % 2:
            raise ValueError(f"a shared central MLP takes [o_l, context] (2D inputs), got {d}")
        mean = torch.zeros(d) if observation_mean is None else torch.as_tensor(observation_mean)
        scale = torch.ones(d) if observation_scale is None else torch.as_tensor(observation_scale)
        if mean.shape != (d,) or scale.shape != (d,) or bool((scale <= 0).any()):
            raise ValueError(f"observation mean and scale must be ({d},), scale > 0")
        self.register_buffer("observation_mean", mean.float())
        self.register_buffer("observation_scale", scale.float())
        self.observation_clip = None if observation_clip is None else float(observation_clip)

    def rounded(self) -> Actor:
        """This actor with its layer weights rounded to float16, as :meth:`Learned.save`
        stores them (score an actor with this before shipping it)."""
        return _from_export(self.export())

    @property
    def input_size(self) -> int:
        """The observation length: D, or L·D for a shared central MLP."""
        d = int(self.net[0].in_features)
        return d if self.links is None else self.links * d // 2

    @property
    def output_size(self) -> int:
        """The action length: A, or L·A for a shared central MLP."""
        a = int(self.net[-1].out_features)
        return a if self.links is None else self.links * a

    def link_inputs(self, state: Tensor) -> Tensor:
        """[o_l, mean over j ≠ l of o_j] of every link, (…, L, 2D), from the state (…, L·D)."""
        return shared_controller_inputs(state, self.links)

    def forward(self, observation: Tensor) -> Tensor:
        x = observation.float()
        if self.links is not None:
            x = self.link_inputs(x)
        x = (x - self.observation_mean) / self.observation_scale
        if self.observation_clip is not None:
            x = x.clamp(-self.observation_clip, self.observation_clip)
        y = self.net(x)
        y = y.clamp(-1.0, 1.0) if self.output == "clip" else torch.tanh(y)
        return y if self.links is None else y.flatten(-2)

    def export(self) -> dict[str, Any]:
        """The actor as plain tensors and numbers (what :meth:`Learned.save` stores): layer
        weights and biases in float16, which halves the files (:meth:`rounded` gives the actor
        those weights act with)."""
        linears = [m for m in self.net if isinstance(m, nn.Linear)]
        return {
            "weights": [m.weight.detach().half() for m in linears],
            "biases": [m.bias.detach().half() for m in linears],
            "activation": self.activation,
            "output": self.output,
            "observation_mean": self.observation_mean.clone(),
            "observation_scale": self.observation_scale.clone(),
            "observation_clip": self.observation_clip,
            "links": self.links,
        }


#: What :meth:`Actor.export` stores (``links`` may be absent in older checkpoints).
_EXPORT_KEYS = (
    "weights",
    "biases",
    "activation",
    "output",
    "observation_mean",
    "observation_scale",
    "observation_clip",
)


def _from_export(stored: Mapping[str, Any]) -> Actor:
    return Actor(
        [w.float() for w in stored["weights"]],
        [b.float() for b in stored["biases"]],
        activation=stored["activation"],
        output=stored["output"],
        observation_mean=stored["observation_mean"],
        observation_scale=stored["observation_scale"],
        observation_clip=stored["observation_clip"],
        links=stored.get("links"),
    )


def _layout(kind: str, config: Any) -> dict[str, Any]:
    """The layout record a ``kind`` policy reads from an env of ``config`` (an
    :class:`~semgym.envs.config.EnvConfig`): one agent's blocks, repeated over the links for
    the central controller's state."""
    from semgym.envs.broadcast import BroadcastEnvConfig

    if (kind == "access-point") != isinstance(config, BroadcastEnvConfig):
        want = "a broadcast" if kind == "access-point" else "an interference"
        raise ValueError(f"a {kind!r} policy acts in {want} env")
    repeat = config.scenario.n_links if kind == "central" else 1
    return config.observation_layout.record(repeat)


def _env_config(kind: str, preset: str, **env_overrides: Any) -> Any:
    """The env configuration of ``preset`` (with ``env_overrides``) for a ``kind`` policy."""
    from semgym.envs.broadcast import BroadcastEnvConfig
    from semgym.envs.interference import InterferenceEnvConfig

    kwargs = get_preset(preset).env_kwargs(**env_overrides)
    config_class = BroadcastEnvConfig if kind == "access-point" else InterferenceEnvConfig
    return config_class.from_kwargs(**kwargs)


def observation_layout(kind: str, preset: str, **env_overrides: Any) -> dict[str, Any]:
    """The observation layout the env of ``preset`` gives a ``kind`` policy: its blocks (name,
    length) in the env manual's order, how many times they repeat (links, for the central
    controller's state) and the total size D."""
    return _layout(kind, _env_config(kind, preset, **env_overrides))


def scenario_record(kind: str, preset: str, **env_overrides: Any) -> dict[str, Any]:
    """The scenario the env of ``preset`` plays, every parameter resolved, as the JSON a model
    card stores (nested by configuration; units: the env manual)."""
    scenario = _env_config(kind, preset, **env_overrides).scenario
    return json.loads(json.dumps(dataclasses.asdict(scenario)))


def _added_defaults() -> dict[str, Any]:
    """The interference scenario's default fields as scenario-record leaves (``channel.…`` and
    the scenario's own): what a card written before a field existed played."""
    from semgym.channels import InterferenceChannelConfig
    from semgym.scenarios import InterferenceScenario

    record: dict[str, Any] = {"channel": dataclasses.asdict(InterferenceChannelConfig())}
    for field in dataclasses.fields(InterferenceScenario):
        if field.default is not dataclasses.MISSING:
            record[field.name] = field.default
    return _leaves(json.loads(json.dumps(record)))


def _leaves(record: Any, prefix: str = "") -> dict[str, Any]:
    """``{"channel.alpha": 3.0, …}``: the leaves of a nested scenario record by dotted path."""
    if not isinstance(record, Mapping):
        return {prefix: record}
    out: dict[str, Any] = {}
    for key, value in record.items():
        out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


class Learned:
    """A learned policy: an :class:`Actor` and its model card (see the module docstring).

    Arguments:
        actor: the exported actor.
        card: the model card; must name ``kind``, ``preset`` and ``observation_layout`` (and
            may override the preset's env keywords with ``env_kwargs``).
    """

    needs_agent = False

    def __init__(self, actor: Actor, card: Mapping[str, Any]) -> None:
        for key in ("kind", "preset", "observation_layout"):
            if key not in card:
                raise ValueError(f"the model card must name {key!r}")
        if card["kind"] not in KINDS:
            raise ValueError(f"unknown kind {card['kind']!r}; choose one of {list(KINDS)}")
        self.actor = actor
        self.card = dict(card)
        self.kind = str(card["kind"])
        self.central = self.kind == "central"
        self.preset = get_preset(str(card["preset"]))
        layout = card["observation_layout"]
        if int(layout["size"]) != actor.input_size:
            raise ValueError(
                f"the actor takes {actor.input_size} inputs but the card's observation layout "
                f"has {layout['size']}"
            )
        self.observation_size = actor.input_size
        self.budget: float | None = None  # watts, for the access point's decoding

    # --- loading ---------------------------------------------------------------------------
    @staticmethod
    def _root() -> Path:
        return Path(str(resources.files("semgym.policies") / CHECKPOINTS))

    @classmethod
    def available(cls) -> list[str]:
        """The names of the shipped policies, sorted."""
        root = cls._root()
        return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.pt"))

    @classmethod
    def load(cls, name: str | Path, *, env: Any | None = None) -> Learned:
        """A shipped policy by name (:meth:`available`), or a checkpoint file (``.pt`` with its
        ``.json`` card beside it).

        The card's observation layout is checked against the layout of the preset's env (or of
        ``env``, when given, e.g. an env built with other keywords): a policy trained for
        another layout raises ``ValueError`` saying which layout it expects.
        """
        path = Path(name)
        if path.suffix != ".pt":
            path = cls._root() / f"{name}.pt"
            if not path.is_file():
                raise ValueError(
                    f"no shipped learned policy {str(name)!r}; available: {cls.available()}"
                )
        elif not path.is_file():
            raise ValueError(f"checkpoint {str(path)!r} does not exist")
        card_path = path.with_suffix(".json")
        if not card_path.is_file():
            raise ValueError(f"checkpoint {str(path)!r} has no model card {card_path.name!r}")
        try:
            card = json.loads(card_path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(
                f"model card {card_path.name!r} is not readable JSON: {error}"
            ) from None
        if not isinstance(card, dict):
            raise ValueError(f"model card {card_path.name!r} must be a JSON object")
        try:  # weights_only: tensors and plain containers, never code
            stored = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise ValueError(f"checkpoint {path.name!r} cannot be read: {error}") from None
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            found = stored.get("format") if isinstance(stored, dict) else type(stored).__name__
            raise ValueError(
                f"checkpoint {path.name!r} has format {found!r}, this semgym reads format {FORMAT}"
            )
        missing = sorted(set(_EXPORT_KEYS) - set(stored))
        if missing:
            raise ValueError(f"checkpoint {path.name!r} lacks {', '.join(missing)}")
        try:
            actor = _from_export(stored)
        except (TypeError, ValueError, AttributeError, RuntimeError) as error:
            raise ValueError(f"checkpoint {path.name!r} is malformed: {error}") from None
        policy = cls(actor, card)
        policy.check_layout(env)
        if env is None:
            policy.check_scenario()
        return policy

    def save(self, path: str | Path) -> Path:
        """Write the actor (``path``, ``.pt``) and the model card (same name, ``.json``)."""
        path = Path(path).with_suffix(".pt")
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"format": FORMAT, **self.actor.export()}, path)
        path.with_suffix(".json").write_text(json.dumps(self.card, indent=2) + "\n")
        return path

    # --- the env ---------------------------------------------------------------------------
    def env_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """The keywords of the preset's env in this policy's action mode (``normalized`` for
        links, ``power`` for the access point), ``max_cycles`` = the evaluation's 30 steps
        (``DYNAMIC_STEPS`` blocks on a time-varying preset)."""
        mode = "power" if self.kind == "access-point" else "normalized"
        steps = DYNAMIC_STEPS if self.preset.dynamic else EVALUATION_STEPS
        base = {"action_mode": mode, "max_cycles": steps}
        return self.preset.env_kwargs(**{**base, **self.card.get("env_kwargs", {}), **overrides})

    def make_env(self, **overrides: Any) -> Any:
        """The env of the policy's preset: ``interference_v0.parallel_env`` (links),
        ``semgym/Interference-v0`` (central) or ``broadcast_v0.parallel_env`` (access point)."""
        kwargs = self.env_kwargs(**overrides)
        if self.central:
            return self.preset.gym_env(**kwargs)
        return self.preset.parallel_env(**kwargs)

    def check_layout(self, env: Any | None = None) -> None:
        """``ValueError`` unless ``env`` (default: the preset's env) gives the observation
        layout the policy was trained on."""
        trained = self.card["observation_layout"]
        if env is None:
            layout = observation_layout(
                self.kind, self.preset.name, **self.card.get("env_kwargs", {})
            )
            where = f"the {self.preset.name!r} env"
        else:
            layout = self._env_layout(env)
            where = "this env"
        same = layout["size"] == trained["size"] and [list(b) for b in layout["blocks"]] == [
            list(b) for b in trained["blocks"]
        ]
        if not same or layout["repeat"] != trained["repeat"]:
            raise ValueError(
                f"{self.card.get('name', 'this policy')!r} was trained for the observation layout "
                f"{describe_record(trained)}, but {where} gives {describe_record(layout)}"
            )

    def check_scenario(self) -> None:
        """``ValueError`` unless the preset's env still plays the scenario the card records
        (cards without a ``scenario`` entry are not checked)."""
        trained = self.card.get("scenario")
        if trained is None:
            return
        now = _leaves(
            scenario_record(self.kind, self.preset.name, **self.card.get("env_kwargs", {}))
        )
        # a field added since the card was written takes its default (what the card played)
        added = {k: v for k, v in _added_defaults().items() if k in now}
        before = {**added, **_leaves(trained)}
        changed = [
            f"{key} {before.get(key, '(absent)')!r} → {now.get(key, '(absent)')!r}"
            for key in sorted(set(before) | set(now))
            if before.get(key) != now.get(key)
        ]
        if changed:
            raise ValueError(
                f"{self.card.get('name', 'this policy')!r} was trained and scored on another "
                f"scenario than the {self.preset.name!r} env builds now: {'; '.join(changed)}. "
                "Its card's score does not apply; retrain it, or load it with env=... to play "
                "it on another scenario on purpose"
            )

    def _env_layout(self, env: Any) -> dict[str, Any]:
        base = getattr(env, "unwrapped", env)
        base = getattr(base, "multi", base)  # the Gymnasium views wrap the parallel env
        config = getattr(base, "config", None)
        if not isinstance(config, EnvConfig):
            raise ValueError(f"env must be a semgym env, got {type(env).__name__}")
        return _layout(self.kind, config)

    # --- acting ----------------------------------------------------------------------------
    def act_batch(self, observations: Tensor) -> Tensor:
        """Actions (N, A) of observations (N, D) (float32, on the CPU): [-1, 1] for links and
        the central controller, watts for the access point."""
        with torch.no_grad():
            actions = self.actor(torch.as_tensor(observations, dtype=torch.float32))
        if self.kind == "access-point":
            budget = self._budget()
            actions = decode_powers(actions.double(), "normalized", budget)[0].float()
        return actions

    def act(self, observation: np.ndarray) -> np.ndarray:
        """The action (A,) float32 for one observation (D,) of the policy's env."""
        obs = np.asarray(observation, dtype=np.float32)
        if obs.shape != (self.observation_size,):
            layout = describe_record(self.card["observation_layout"])
            raise ValueError(
                f"observation must have shape ({self.observation_size},) — the layout "
                f"{layout} — got {obs.shape}"
            )
        return self.act_batch(torch.from_numpy(obs)[None])[0].numpy()

    def _budget(self) -> float:
        if self.budget is None:
            from semgym.envs.broadcast import BroadcastEnvConfig

            config = BroadcastEnvConfig.from_kwargs(**self.env_kwargs())
            self.budget = float(config.scenario.config.power)
        return self.budget

    def __repr__(self) -> str:
        return f"Learned({self.card.get('name', self.preset.name)!r})"
