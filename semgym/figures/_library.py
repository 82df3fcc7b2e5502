"""The figures' one door into the library.

Every call from :mod:`semgym.figures` into latent banks, scenarios, solvers and simulators goes
through this module, so a change of the library's layout is ported here and nowhere else. It
holds no formula of its own: it builds the papers' scenarios with :mod:`semgym.scenarios`, runs
:mod:`semgym.solvers`, scores designs with the scenarios' own evaluations and computes test-set
accuracy with the scenarios' one simulator, for either processing (``"linear"``, the papers'
complex-linear transceivers, or ``"widely_linear"``). Everything is double precision on the CPU.

Interference network (interference paper §II–§IV): :func:`interference_links`,
:func:`interference_scenario`, :func:`uncapped`, :func:`same_direct_links`,
:func:`best_response_trajectory`, :func:`best_response_final`, :func:`game_precoders`,
:func:`mui_less`, :func:`mui_agnostic`, :func:`interference_scores`,
:func:`primary_report`; :func:`native_accuracy` for both.

Federated downlink (federated paper §II–§IV): :func:`downlink_users`, :func:`downlink`,
:func:`federated_design`, :func:`selection_design`, :func:`multi_link_design`,
:func:`downlink_mse`, :func:`downlink_power`, :func:`downlink_scores`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from semgym import core
from semgym.channels import InterferenceChannelConfig, sample_rayleigh_downlink
from semgym.figures.sweep import check_processing, point_threads
from semgym.scenarios import (
    Downlink as DownlinkScene,
)
from semgym.scenarios import (
    DownlinkConfig,
    GameOperator,
    GameState,
    InterferenceGame,
    InterferenceScenario,
    LatentLink,
    cached_bank,
    downlink_estimates,
    downlink_user,
    evaluate_precoders,
    latent_link,
    network_accuracy,
    pilot_count,
    structured_precoders,
)
from semgym.scenarios.latents import downlink_encoders
from semgym.scenarios.latents import interference_links as link_encoders
from semgym.solvers import (
    FederatedSettings,
    best_response_dynamics,
    federated_admm,
    first_k,
    mui_agnostic_admm,
    mui_less_bound,
    multi_link,
    top_k,
)

REAL = torch.float64
#: ADMM iterations of the MUI-agnostic benchmark (the federated paper's T = 30).
ADMM_ITERATIONS = 30
#: A cap no interference reaches: primaries present, constraint inactive (W).
UNCAPPED_W = 1e30


def clear_caches() -> None:
    """Forget the banks and latent pairs this process prepared (the library's per-process
    caches): the next call starts as a fresh process would."""
    for cache in (cached_bank, latent_link, downlink_user):
        cache.cache_clear()


def native_accuracy(bank: str, encoder: str) -> float:
    """Test accuracy of ``encoder``'s task head on its own latents: the ceiling of a link."""
    return float(cached_bank(bank).native_accuracy[encoder])


class _PreparedLinks:
    """What the interference links and the downlink users share: prepared pairs and heads."""

    links: tuple[LatentLink, ...]
    processing: str

    @property
    def pairs(self) -> tuple[core.SemanticPair, ...]:
        """Every link's :class:`~semgym.core.SemanticPair`."""
        return tuple(link.pair for link in self.links)

    @property
    def tx_dim(self) -> int:
        """The widest K·N_T every link can carry: the smallest d/2 over the transmitters."""
        per_symbol = 2 if self.processing == "widely_linear" else 1
        return min(p.stats.tx_dim for p in self.pairs) // per_symbol

    @property
    def native(self) -> tuple[float, ...]:
        """Native accuracy of every link's receiver head."""
        return tuple(link.native_accuracy for link in self.links)

    @property
    def target_energy(self) -> tuple[float, ...]:
        """tr(R_y) of every link: the MSE of sending nothing (≈ d_y for whitened targets)."""
        return tuple(float(p.stats.target_energy) for p in self.pairs)


# --- interference network ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class InterferenceLinks(_PreparedLinks):
    """The L links' prepared latent pairs of a bank, in one processing."""

    bank: str
    encoders: tuple[tuple[str, str], ...]
    links: tuple[LatentLink, ...]
    processing: str


def interference_links(
    bank: str, n_links: int = 3, processing: str = "linear"
) -> InterferenceLinks:
    """The bank's paper links (cycled to ``n_links``), prepared once per process (with the
    points' threads, so the statistics are the same whoever asks first)."""
    check_processing(processing)
    with point_threads():
        encoders = link_encoders(bank, n_links, None, None)
        links = tuple(latent_link(bank, tx, rx, processing) for tx, rx in encoders)
    return InterferenceLinks(bank, tuple(encoders), links, processing)


@dataclass(frozen=True, eq=False)
class GameSetup:
    """A batch of interference games, one per channel seed (B = len(seeds))."""

    links: InterferenceLinks
    game: InterferenceGame
    seeds: tuple[int, ...]


def interference_scenario(
    links: InterferenceLinks,
    seeds: Sequence[int],
    *,
    n_antennas: int,
    channel_uses: int,
    alpha: float,
    processing: str,
    n_primaries: int = 0,
    cap_fraction: float = 0.1,
) -> GameSetup:
    """The paper's deployment (§IV: Rician K = 1.5, path-loss exponent 2.5, 3.5 GHz, 30 m links,
    thermal noise, P_max = 1 W) for every seed, with optional primary users at the far end of
    the line (:meth:`~semgym.scenarios.PrimaryUsers.on_line`, as in the interference env)."""
    if check_processing(processing) != links.processing:
        raise ValueError(f"links are {links.processing!r}, the scenario asks {processing!r}")
    config = InterferenceChannelConfig(
        n_links=len(links.links), n_tx_antennas=n_antennas, n_rx_antennas=n_antennas, alpha=alpha
    )
    scenario = InterferenceScenario(
        config,
        channel_uses,
        links.bank,
        links.encoders,
        n_primaries,
        cap_fraction,
        processing,
    )
    seeds = tuple(int(s) for s in seeds)
    return GameSetup(links, scenario.sample(seeds), seeds)


def same_direct_links(a: GameSetup, b: GameSetup) -> bool:
    """Whether two scenarios share their direct channels H̄_ll and noise (the MUI-agnostic
    designs then coincide: they never see the cross links)."""
    diag_a = torch.diagonal(a.game.channels, dim1=1, dim2=2)
    diag_b = torch.diagonal(b.game.channels, dim1=1, dim2=2)
    return bool(
        a.seeds == b.seeds
        and a.game.channel_uses == b.game.channel_uses
        and diag_a.shape == diag_b.shape
        and torch.equal(diag_a, diag_b)
        and torch.equal(a.game.noise_power, b.game.noise_power)
    )


def uncapped(scenario: GameSetup) -> GameSetup:
    """The same scenario with the primaries' caps lifted (their signals still reach the
    secondaries): secondaries that ignore the caps."""
    primary = scenario.game.primary
    if primary is None:
        raise ValueError("the scenario has no primary users")
    game = scenario.game.with_primary(primary.with_cap(UNCAPPED_W))
    return GameSetup(scenario.links, game, scenario.seeds)


@dataclass(frozen=True)
class Trajectory:
    """Best-response dynamics, iterate t = 0 … T (B games, L links).

    Attributes:
        states: the pre-equalizers of every iterate (t = 0 is Algorithm 1's random F⁽⁰⁾).
        mse, nmse, mui_power: per link, (T+1, B, L); MUI in W summed over channel uses.
        exploitability: (T+1, B), the most MSE a link still gains by a unilateral deviation.
    """

    states: list[GameState]
    mse: np.ndarray
    nmse: np.ndarray
    mui_power: np.ndarray
    exploitability: np.ndarray


def best_response_trajectory(
    scenario: GameSetup,
    *,
    iterations: int,
    scheme: str = "jacobi",
    step_size: float = 1.0,
    epsilon: float = 0.0,
) -> Trajectory:
    """Algorithm 1 from F⁽⁰⁾ seeded per channel seed (as the interference env starts), one
    update at a time through :func:`~semgym.solvers.best_response_dynamics` so every iterate's
    state is kept; γ^{t+1} = γ^t (1 − ε γ^t) (20)."""
    game = scenario.game
    state = GameOperator(game, "block").initial_state(seed=list(scenario.seeds))
    states, rows = [state], []
    gamma = step_size
    for t in range(iterations):
        trace = best_response_dynamics(
            game, scheme=scheme, max_iters=1, step_size=gamma, init=state, tol=1e-300
        )
        if t == 0:
            rows.append((trace.mse[0], trace.nmse[0], trace.mui_power[0], trace.exploitability[0]))
        rows.append((trace.mse[1], trace.nmse[1], trace.mui_power[1], trace.exploitability[1]))
        state = trace.state
        states.append(state)
        gamma = gamma * (1.0 - epsilon * gamma)
    stacked = [np.stack([r[i].numpy() for r in rows]) for i in range(4)]
    return Trajectory(states, *stacked)


@dataclass(frozen=True)
class Equilibrium:
    """The last iterate of T best-response updates: its state, MSE per link (B, L) and
    exploitability (B,)."""

    state: GameState
    mse: np.ndarray
    exploitability: np.ndarray


def best_response_final(
    scenario: GameSetup, *, iterations: int, scheme: str = "jacobi"
) -> Equilibrium:
    """Algorithm 1 run for T updates in one call of
    :func:`~semgym.solvers.best_response_dynamics` (the same iterates as
    :func:`best_response_trajectory`, half the evaluations: only the last state is kept)."""
    game = scenario.game
    start = GameOperator(game, "block").initial_state(seed=list(scenario.seeds))
    trace = best_response_dynamics(
        game, scheme=scheme, max_iters=iterations, init=start, tol=1e-300
    )
    return Equilibrium(trace.state, trace.mse[-1].numpy(), trace.exploitability[-1].numpy())


def game_precoders(scenario: GameSetup, state: GameState) -> list[Tensor]:
    """F_l = V_l diag(√p_l) Q̃_lᴴ (11) of every link, (B, M, d_x,l) each."""
    return structured_precoders(scenario.game, state, scenario.links.links)


@dataclass(frozen=True)
class Design:
    """Precoders of every link, (B, M, d_x,l) each, and their MSE per link (B, L) as the
    solver reports it."""

    precoders: list[Tensor]
    mse: np.ndarray


def mui_less(scenario: GameSetup) -> Design:
    """The MUI-less bound (:func:`~semgym.solvers.mui_less_bound`): water-filling designed and
    evaluated with R_n = σ² I."""
    bound = mui_less_bound(scenario.game)
    return Design(game_precoders(scenario, bound.state), bound.metrics.mse.numpy())


def mui_agnostic(scenario: GameSetup, *, iterations: int = ADMM_ITERATIONS) -> Design:
    """The MUI-agnostic ADMM benchmark (:func:`~semgym.solvers.mui_agnostic_admm`): each link
    aligned alone (R_n = σ² I) from one seeded F⁽⁰⁾, ρ = mean tr(R_y)/(K·P_max) (the solver's
    default, :func:`~semgym.solvers.default_rho`); ``mse`` with Wiener receivers that know
    the MUI (the library's default receiver)."""
    result = mui_agnostic_admm(
        scenario.game, list(scenario.links.pairs), iterations=iterations, track=False
    )
    return Design(list(result.precoders), result.mse.numpy())


@dataclass(frozen=True)
class LinkScores:
    """Per-link scores of B games, (B, L) each: closed-form MSE, test accuracy (or ``None``)."""

    mse: np.ndarray
    accuracy: np.ndarray | None


def interference_scores(
    scenario: GameSetup,
    precoders: Sequence[Tensor],
    *,
    receiver: str = "wiener",
    interference: bool = True,
    accuracy: bool = True,
) -> LinkScores:
    """Closed-form MSE and test accuracy of every link of any precoders, from one evaluation
    (:func:`~semgym.scenarios.evaluate_precoders`).

    ``receiver="wiener"`` receivers know their MUI+noise covariance; ``"design"`` receivers are
    the Wiener filters for σ² I and face the real MUI. ``interference=False`` removes the MUI.
    Accuracy (skipped with ``accuracy=False``): the test split of every link sent through F_l,
    the interference channel, thermal noise (and primaries' signals) and G_l, de-whitened,
    classified by the receiver's head (:func:`~semgym.scenarios.network_accuracy`, the
    interference env's accuracy). Noise and sample orders are drawn from the channel seed, the
    same for every call: designs and iterates on one channel are compared on one noise draw
    (common random numbers)."""
    game = scenario.game
    scores = evaluate_precoders(
        game, scenario.links.pairs, precoders, receiver=receiver, interference=interference
    )
    if not accuracy:
        return LinkScores(scores.mse.numpy(), None)
    per_game = [
        network_accuracy(
            game,
            scenario.links.links,
            [f[b] for f in precoders],
            scores.assumed[b],
            index=b,
            seed=seed,
            interference=interference,
        )
        for b, seed in enumerate(scenario.seeds)
    ]
    return LinkScores(scores.mse.numpy(), np.stack(per_game))


@dataclass(frozen=True)
class PrimaryReport:
    """The primaries under a state (B games, P primaries).

    Attributes:
        received_w: secondary interference at each primary, (B, P) W (mean over channel uses).
        cap_w: I_max, (B, P) W. caps_hold: (B,) every primary within its cap.
        rate: each primary's rate, (B, P) bit/s/Hz. rate_alone: without secondaries, (B, P).
    """

    received_w: np.ndarray
    cap_w: np.ndarray
    caps_hold: np.ndarray
    rate: np.ndarray
    rate_alone: np.ndarray


def primary_report(scenario: GameSetup, state: GameState) -> PrimaryReport:
    """:class:`PrimaryReport` of ``state`` against the scenario's (real) caps."""
    primary = scenario.game.primary
    if primary is None:
        raise ValueError("the scenario has no primary users")
    cov = state.channel_use_covariances(scenario.game.channel_uses)
    return PrimaryReport(
        primary.received(cov).numpy(),
        primary.interference_cap_w.numpy(),
        primary.caps_hold(cov).numpy(),
        primary.rate(cov).numpy(),
        primary.rate(torch.zeros_like(cov)).numpy(),
    )


# --- federated downlink -----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class DownlinkUsers(_PreparedLinks):
    """An AP and its user group (federated paper §II): pairs on the first n pilots, targets
    whitened (§III-B), in one processing."""

    bank: str
    ap: str
    encoders: tuple[str, ...]
    links: tuple[LatentLink, ...]
    n_pilots: int
    pilot_fraction: float
    processing: str


def downlink_users(
    bank: str, n_users: int, group: str, pilot_fraction: float, processing: str = "linear"
) -> DownlinkUsers:
    """The broadcast env's user groups (``"heterogeneous"`` or ``"homogeneous"``), prepared once
    per process (with the points' threads)."""
    check_processing(processing)
    with point_threads():
        ap, encoders = downlink_encoders(bank, n_users, group)
        n = pilot_count(len(cached_bank(bank).train_labels), float(pilot_fraction))
        links = tuple(downlink_user(bank, ap, u, n, processing) for u in encoders)
    return DownlinkUsers(bank, ap, tuple(encoders), links, n, float(pilot_fraction), processing)


def point_scenario(
    params: Mapping[str, Any], links: InterferenceLinks, seeds: Sequence[int], **overrides: Any
) -> GameSetup:
    """:func:`interference_scenario` of a sweep point: its ``n_antennas``, ``channel_uses``,
    ``alpha`` and ``processing`` parameters (those it has), ``overrides`` on top."""
    keys = ("n_antennas", "channel_uses", "alpha", "processing")
    return interference_scenario(
        links, seeds, **{**{k: params[k] for k in keys if k in params}, **overrides}
    )


@dataclass(frozen=True, eq=False)
class Downlink:
    """The users over Rayleigh channels, one draw per seed, as the library's batched
    :class:`~semgym.scenarios.Downlink` (B = len(seeds))."""

    users: DownlinkUsers
    scene: DownlinkScene
    seeds: tuple[int, ...]


def downlink(
    users: DownlinkUsers,
    seeds: Sequence[int],
    *,
    n_antennas: int,
    channel_uses: int,
    snr_db: float,
    processing: str,
) -> Downlink:
    """Square N × N MIMO, unit-variance Rayleigh (§IV), P_T = 1 W, ρ = 1, T = 30."""
    if check_processing(processing) != users.processing:
        raise ValueError(f"users are {users.processing!r}, the downlink asks {processing!r}")
    config = DownlinkConfig(
        n_users=len(users.links),
        n_tx=n_antennas,
        n_rx=n_antennas,
        channel_uses=channel_uses,
        snr_db=snr_db,
        pilot_fraction=users.pilot_fraction,
    )
    seeds = tuple(int(s) for s in seeds)
    channels = sample_rayleigh_downlink(
        config.n_users, n_antennas, n_antennas, seed=list(seeds), dtype=torch.complex128
    )
    scene = DownlinkScene.build(users.pairs, channels, config, users.n_pilots)
    return Downlink(users, scene, seeds)


@dataclass(frozen=True)
class FederatedDesign:
    """Federated ADMM's final iterates: Z (feasible, transmitted) and F, (B, M, d_x) each."""

    consensus: Tensor
    precoder: Tensor


def federated_design(dl: Downlink) -> FederatedDesign:
    """:func:`~semgym.solvers.federated_admm` (Algorithm 1, ρ = 1, T = 30)."""
    trace = federated_admm(dl.scene, FederatedSettings(), track=False)
    return FederatedDesign(trace.consensus, trace.precoder)


def selection_design(dl: Downlink, selection: str) -> Tensor:
    """First-K (``"first"``) or Top-K (``"top"``) shared precoder, (M, d_x)."""
    fn = first_k if selection == "first" else top_k
    return fn(dl.scene).precoder


def multi_link_design(dl: Downlink) -> Tensor:
    """One water-filling precoder per user (:func:`~semgym.solvers.multi_link`), (B, L, M, d_x)."""
    return multi_link(dl.scene).precoder


def _per_user(dl: Downlink, precoders: Tensor) -> Tensor:
    """Precoders as (B, L, M, d_x): shared (M, d_x) or (B, M, d_x), or per user (B, L, M, d_x)."""
    b, n_users = dl.scene.channels.shape[:2]
    if precoders.ndim == 2:
        precoders = precoders.expand(b, *precoders.shape)
    if precoders.ndim == 3:
        precoders = precoders.unsqueeze(1).expand(b, n_users, *precoders.shape[-2:])
    return precoders


def downlink_mse(dl: Downlink, precoders: Tensor) -> np.ndarray:
    """Closed-form MSE (8) per user with its Wiener receiver, (B, L): the downlink's own score
    (:meth:`~semgym.scenarios.Downlink.evaluate`), the broadcast env's."""
    return dl.scene.evaluate(_per_user(dl, precoders)).mse.numpy()


@dataclass(frozen=True)
class DownlinkScores:
    """Test-split scores of every user, (V, B, L) for the V de-whitening variants.

    Attributes:
        accuracy: the user's head on the received latents (fraction).
        latent_mse: per-element MSE of those latents against the user's own test latents.
    """

    accuracy: np.ndarray
    latent_mse: np.ndarray


def downlink_scores(
    dl: Downlink, precoders: Tensor, *, dewhiten: Sequence[bool] = (True,)
) -> DownlinkScores:
    """Each user's test scores for the V entries of ``dewhiten``: x → F → H_l → + n_l →
    Wiener G_l → de-whiten → head (:func:`~semgym.scenarios.downlink_estimates`, the broadcast
    env's accuracy); ``False`` hands the head the estimate of the *whitened* target, as the
    public reference code does for its First-K/Top-K baselines. The variants share one
    transmission (same noise)."""
    f = _per_user(dl, precoders)
    bank = cached_bank(dl.users.bank)
    truth = {u: torch.as_tensor(bank.test(u), dtype=REAL) for u in set(dl.users.encoders)}
    accuracy = np.zeros((len(dewhiten), *dl.scene.channels.shape[:2]))
    latent_mse = np.zeros_like(accuracy)
    for b, seed in enumerate(dl.seeds):
        single = dl.scene.select(b)
        estimates = downlink_estimates(single, f[b], dl.users.links, seed=seed)
        for i, (link, est) in enumerate(zip(dl.users.links, estimates, strict=True)):
            for v, undo in enumerate(dewhiten):
                latents = link.pair.rx_latents(est, dewhiten=undo)
                accuracy[v, b, i] = bank.accuracy(link.rx, latents.numpy(), bank.test_labels)
                latent_mse[v, b, i] = float(core.per_element_mse(latents, truth[link.rx]))
    return DownlinkScores(accuracy, latent_mse)


def downlink_power(dl: Downlink, precoders: Tensor) -> np.ndarray:
    """tr(F Fᴴ) each user's signal is sent with, (B, L), W."""
    return core.squared_magnitude(_per_user(dl, precoders)).sum((-2, -1)).numpy()
