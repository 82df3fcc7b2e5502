"""Named scenarios: the paper setting and settings where the choice of powers matters.

At the interference paper's setting (thermal noise, direct-link SNR ≈ 47 dB, α = 3) the links
are limited by compression, not by each other: equal power on every mode is within 0.5 % of the
Nash equilibrium's network NMSE, so there is little for any policy to learn. The other presets
change one or two things so that powers matter (the README's preset table has the measured
headroom of each):

- ``paper`` (``interference_v0``, defaults): L = 3, N_T = N_R = 8, K = 10, α = 3, thermal
  noise.
- ``low-snr`` (``snr_db=0.0``): direct-link SNR 0 dB.
- ``close-interferers`` (``alpha=1.0``): adjacent transmitters 30 m apart.
- ``more-links`` (``n_links=5, alpha=1.0``): five links, 30 m apart.
- ``primary-users`` (``snr_db=0.0, primary_users=1, interference_cap=1.0, enforce_caps=True``):
  low SNR and one licensed link whose cap is the interference all secondaries cause at full
  isotropic power (equal power sits exactly at it; the best response is priced to keep it).
  The caps are a rule of the band: powers that would break a link's share are scaled onto it,
  so no policy scores by breaking them.
- ``widely-linear`` (``snr_db=0.0, processing="widely_linear"``): ``low-snr`` with
  widely-linear transceivers (any real-linear map of the real-composite latent), 2M = 160 real
  modes per link; the largest headroom of the presets.
- ``sparse-network`` (``n_links=10, topology="random", density_per_km2=100.0``): ten
  links dropped at random in a 316 m square per channel seed, each receiver 20-60 m from its
  transmitter; thermal noise.
- ``dense-network`` (``density_per_km2=1000.0``, otherwise ``sparse-network``): the same ten
  links in a 100 m square; the largest price of anarchy of the presets.
- ``broadcast`` (``broadcast_v0``, defaults): the federated downlink, 10 users, 4 × 4, K = 1,
  SNR 20 dB.

Time-varying presets (``close-interferers`` with moving receivers, one 1 ms block per env step,
episodes of :data:`DYNAMIC_STEPS` blocks; their policies are compared on the mean network NMSE
over blocks rather than on a final state, see :attr:`Preset.dynamic`):

- ``pedestrian`` (``speed_kmh=5.0``): ρ = 0.997 between blocks, channel knowledge one block
  late; the papers' best response on it is nearly as good as on the current channel.
- ``vehicular`` (``speed_kmh=60.0``): ρ = 0.66, one block late.
- ``vehicular-noisy`` (``speed_kmh=60.0, csi_delay=2, pilot_snr_db=10.0``): two blocks late
  and estimated from pilots at 10 dB SNR.

Every preset builds its envs with :meth:`Preset.parallel_env`, :meth:`Preset.gym_env` and
:meth:`Preset.vector_env` (keyword overrides allowed), or by hand from :attr:`Preset.kwargs`.

Seeds. Learned policies shipped with semgym were trained on channel seeds drawn from
:data:`TRAINING_SEEDS` only (the vector envs' ``seed_range``) and are scored on
:data:`HELD_OUT_SEEDS` and the paper's six :data:`PAPER_SEEDS`, which no training run saw.
On a random topology the channel seed also drops the links, so held-out seeds are held-out
topologies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from semgym._validation import check_choice
from semgym.channels import PAPER_SEEDS

#: Channel seeds of training episodes: [low, high).
TRAINING_SEEDS = (1_000_000, 2**31 - 1)
#: Channel seeds on which learned and reference policies are compared (never trained on).
HELD_OUT_SEEDS = tuple(range(10_000, 10_064))
#: Game iterations (env steps) of an evaluation episode; the score is the last step's.
EVALUATION_STEPS = 30
#: Blocks of an episode of a time-varying preset (the episodes' length in its env).
DYNAMIC_STEPS = 40
#: The first block scored when comparing policies on a time-varying preset (the start, where
#: the links' knowledge is fresher than later, is left out).
DYNAMIC_FIRST_SCORED = 10
#: The env each kind of preset builds.
ENVS = ("interference", "broadcast")

__all__ = [
    "DYNAMIC_FIRST_SCORED",
    "DYNAMIC_STEPS",
    "ENVS",
    "EVALUATION_STEPS",
    "HELD_OUT_SEEDS",
    "PAPER_SEEDS",
    "PRESETS",
    "TRAINING_SEEDS",
    "Preset",
    "get_preset",
]


@dataclass(frozen=True)
class Preset:
    """A named scenario: which env and which keyword arguments.

    Attributes:
        name: the preset's name (``"low-snr"``, …).
        env: ``"interference"`` (``interference_v0``, ``semgym/Interference-v0``) or
            ``"broadcast"`` (``broadcast_v0``, ``semgym/Broadcast-v0``).
        kwargs: the env's keyword arguments that define the scenario (units: the env manual).
        description: one line on what the preset changes.
    """

    name: str
    env: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        check_choice("env", self.env, ENVS)
        object.__setattr__(self, "kwargs", dict(self.kwargs))

    @property
    def dynamic(self) -> bool:
        """Whether the preset's channel varies over an episode (a ``speed_kmh``): one block per
        step, scored by the mean over blocks ``DYNAMIC_FIRST_SCORED``… of an episode of
        ``DYNAMIC_STEPS`` (a static preset's policies are scored on their final state)."""
        return self.kwargs.get("speed_kmh") is not None

    def env_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """The preset's keyword arguments with ``overrides`` applied."""
        return {**self.kwargs, **overrides}

    def parallel_env(self, **overrides: Any) -> Any:
        """The PettingZoo ``parallel_env`` of the preset."""
        if self.env == "interference":
            from semgym import interference_v0

            return interference_v0.parallel_env(**self.env_kwargs(**overrides))
        from semgym import broadcast_v0

        return broadcast_v0.parallel_env(**self.env_kwargs(**overrides))

    def gym_env(self, **overrides: Any) -> Any:
        """The Gymnasium env (``semgym/Interference-v0``: the central controller, or
        ``semgym/Broadcast-v0``) of the preset."""
        import gymnasium

        import semgym  # noqa: F401  (registers the ids)

        env_id = "semgym/Interference-v0" if self.env == "interference" else "semgym/Broadcast-v0"
        return gymnasium.make(env_id, **self.env_kwargs(**overrides))

    def vector_env(self, num_envs: int, **overrides: Any) -> Any:
        """The batched env (:class:`~semgym.vector.InterferenceVecEnv` or
        :class:`~semgym.vector.BroadcastVecEnv`) of ``num_envs`` copies of the preset."""
        from semgym.vector import BroadcastVecEnv, InterferenceVecEnv

        cls = InterferenceVecEnv if self.env == "interference" else BroadcastVecEnv
        return cls(num_envs, **self.env_kwargs(**overrides))


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "paper",
            "interference",
            {},
            "the interference paper's setting: L = 3, N = 8, K = 10, α = 3, thermal noise",
        ),
        Preset("low-snr", "interference", {"snr_db": 0.0}, "direct-link SNR 0 dB"),
        Preset(
            "close-interferers",
            "interference",
            {"alpha": 1.0},
            "α = 1: adjacent transmitters 30 m apart",
        ),
        Preset(
            "more-links",
            "interference",
            {"n_links": 5, "alpha": 1.0},
            "five links, α = 1",
        ),
        Preset(
            "primary-users",
            "interference",
            {"snr_db": 0.0, "primary_users": 1, "interference_cap": 1.0, "enforce_caps": True},
            "SNR 0 dB and one primary link capped at the interference of full isotropic power,"
            " the caps enforced",
        ),
        Preset(
            "widely-linear",
            "interference",
            {"snr_db": 0.0, "processing": "widely_linear"},
            "low-snr with widely-linear transceivers: 2M = 160 real modes per link",
        ),
        Preset(
            "sparse-network",
            "interference",
            {"n_links": 10, "topology": "random", "density_per_km2": 100.0},
            "ten links dropped at random, 100 links per km² (a 316 m square)",
        ),
        Preset(
            "dense-network",
            "interference",
            {"n_links": 10, "topology": "random", "density_per_km2": 1000.0},
            "ten links dropped at random, 1,000 links per km² (a 100 m square)",
        ),
        Preset(
            "pedestrian",
            "interference",
            {"alpha": 1.0, "speed_kmh": 5.0, "max_cycles": DYNAMIC_STEPS},
            "close-interferers with receivers walking at 5 km/h (ρ = 0.997 per 1 ms block), "
            "channel knowledge one block late",
        ),
        Preset(
            "vehicular",
            "interference",
            {"alpha": 1.0, "speed_kmh": 60.0, "max_cycles": DYNAMIC_STEPS},
            "close-interferers with receivers driving at 60 km/h (ρ = 0.66 per 1 ms block), "
            "channel knowledge one block late",
        ),
        Preset(
            "vehicular-noisy",
            "interference",
            {
                "alpha": 1.0,
                "speed_kmh": 60.0,
                "csi_delay": 2,
                "pilot_snr_db": 10.0,
                "max_cycles": DYNAMIC_STEPS,
            },
            "vehicular with channel knowledge two blocks late, estimated from pilots at 10 dB",
        ),
        Preset(
            "broadcast",
            "broadcast",
            {},
            "the federated downlink: 10 users, 4 × 4, K = 1, SNR 20 dB, heterogeneous users",
        ),
    )
}


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (``ValueError`` listing the names otherwise)."""
    check_choice("preset", name, PRESETS)
    return PRESETS[name]
