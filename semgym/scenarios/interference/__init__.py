"""The semantic interference game (interference paper §II–§III): scenario, state, evaluation.

Players are the L links; link l's strategy is its structured pre-equalizer (11)
F_l = V_l diag(√p_l) Q̃_lᴴ, i.e. modes V_l and powers p_l ≥ 0 with Σ p_l ≤ K·P_max, and its
payoff is −MSE_l, the exact closed-form MSE (8) with the Wiener receiver (7) under the MUI (5)
of the others. The game needs no latents: only the semantic weights w = σ̃² and tr(R_y).

One module per concept:

- ``scenario``: :class:`InterferenceScenario`, the frozen configuration (channels, K, latent
  links, primaries) that samples batches of games.
- ``game``: :class:`InterferenceGame`, a batch of B sampled games (channels, noise, weights).
- ``state``: :class:`GameState`, every link's pre-equalizer, stored by diagonal blocks of V.
- ``operator``: :class:`GameOperator`, the game's channels prepared once;
  :meth:`GameOperator.evaluate` is the one :class:`Evaluation` of a state that the envs,
  solvers, rendering and policies read.
- ``precoders``: :func:`evaluate_precoders`, arbitrary (unstructured) precoders scored in the
  game's channels.

Structure (https://semgym.readthedocs.io/en/latest/design/). Channels are H = I_K ⊗ H̄; a state is
stored as ``n_blocks`` diagonal blocks of every V_l: ``structure="block"`` keeps K blocks of N_T ×
N_T (one per channel use, so a best response is K eigenproblems of size N_T), ``structure="dense"``
keeps one block of K·N_T × K·N_T (one eigenproblem of size K·N_T). Each mode also records ``rank``:
the index m of the semantic direction q̃_m (weight w_m) it carries, so F_l is fully determined. Best
responses keep block-diagonal covariances block-diagonal, so both structures follow the same
trajectory from the same block-diagonal start (tests show they reach the same MSE).
"""

from semgym.scenarios.interference.game import InterferenceGame, widely_linear_channels
from semgym.scenarios.interference.operator import (
    Evaluation,
    GameOperator,
    Received,
    Response,
)
from semgym.scenarios.interference.precoders import (
    RECEIVERS,
    PrecoderEvaluation,
    evaluate_precoders,
)
from semgym.scenarios.interference.scenario import InterferenceScenario
from semgym.scenarios.interference.state import STRUCTURES, GameState, relative_change

__all__ = [
    "RECEIVERS",
    "STRUCTURES",
    "Evaluation",
    "GameOperator",
    "GameState",
    "InterferenceGame",
    "InterferenceScenario",
    "PrecoderEvaluation",
    "Received",
    "Response",
    "evaluate_precoders",
    "relative_change",
    "widely_linear_channels",
]
