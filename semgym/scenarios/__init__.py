"""The scenario layer: what the envs simulate and the solvers solve, configured and batched.

- :mod:`~semgym.scenarios.interference`: the interference game (interference paper §II–§III):
  :class:`InterferenceScenario` (configuration), :class:`InterferenceGame` (a batch of sampled
  games), :class:`GameState` (every link's pre-equalizer), :class:`GameOperator` and its one
  :class:`Evaluation` of a state (R_n, R_H, MSE, MUI, best responses, exploitability).
- :mod:`~semgym.scenarios.primary`: primary users of the cognitive-radio game.
- :mod:`~semgym.scenarios.downlink`: the federated paper's downlink: :class:`DownlinkConfig`,
  :class:`Downlink` (a batch of realizations, scored by :meth:`Downlink.evaluate`),
  :class:`DownlinkScenario`.
- :mod:`~semgym.scenarios.latents`: latent pairs, prepared once per process.
- :mod:`~semgym.scenarios.accuracy`: task accuracy through the simulated channel.
"""

from semgym.scenarios.accuracy import (
    downlink_accuracy,
    downlink_estimates,
    game_accuracy,
    network_accuracy,
    simulated_accuracy,
    simulated_estimates,
    structured_precoders,
)
from semgym.scenarios.downlink import (
    Downlink,
    DownlinkConfig,
    DownlinkEvaluation,
    DownlinkScenario,
    PooledModes,
    downlink_noise_power,
    pilot_count,
    prepare_users,
)
from semgym.scenarios.interference import (
    STRUCTURES,
    Evaluation,
    GameOperator,
    GameState,
    InterferenceGame,
    InterferenceScenario,
    PrecoderEvaluation,
    Received,
    Response,
    evaluate_precoders,
    relative_change,
)
from semgym.scenarios.latents import LatentLink, cached_bank, downlink_user, latent_link
from semgym.scenarios.primary import PrimaryUsers

__all__ = [
    "STRUCTURES",
    "Downlink",
    "DownlinkConfig",
    "DownlinkEvaluation",
    "DownlinkScenario",
    "Evaluation",
    "GameOperator",
    "GameState",
    "InterferenceGame",
    "InterferenceScenario",
    "LatentLink",
    "PooledModes",
    "PrecoderEvaluation",
    "PrimaryUsers",
    "Received",
    "Response",
    "cached_bank",
    "downlink_accuracy",
    "downlink_estimates",
    "downlink_noise_power",
    "downlink_user",
    "evaluate_precoders",
    "game_accuracy",
    "latent_link",
    "network_accuracy",
    "pilot_count",
    "prepare_users",
    "relative_change",
    "simulated_accuracy",
    "simulated_estimates",
    "structured_precoders",
]
