"""Where transmitters and receivers stand: positions (metres), distances and angles.

Coordinates are 2-D, in metres. Angles are azimuths in radians measured from the
+x axis (counter-clockwise), the axis along which every antenna array is laid out
(see :mod:`semgym.channels.fading`).

The interference paper's geometry (§IV) is :class:`LineDeployment`: L links whose
transmitters sit on the x-axis, adjacent transmitters ``α·d₀`` apart, and whose
receivers stand ``d₀`` from their own transmitter, perpendicular to that line::

    rx0          rx1          rx2        y = d₀
     |            |            |
    tx0 -------- tx1 -------- tx2        y = 0
     <-- α·d₀ -->

so tx ``j`` is at ``(j·α·d₀, 0)`` and rx ``l`` at ``(l·α·d₀, d₀)``. Any other layout
(for instance extra primary users) is a generic :class:`Deployment`;
:func:`random_deployment` drops links at random in a square area (the random topology of
generated networks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from semgym._validation import check_positive, check_positive_int
from semgym.channels._common import as_float64

#: Redraws of one link before :func:`random_deployment` gives up (the area is too crowded).
MAX_REDRAWS = 1000
#: The stream of a channel seed that places the nodes (the fading draws use the seed itself).
POSITION_STREAM = 0x706F73


class _PairGeometry:
    """Distances and angles of every (transmitter, receiver) pair, from the positions."""

    tx_positions: torch.Tensor
    rx_positions: torch.Tensor

    @property
    def n_tx(self) -> int:
        """Number of transmitters ``L_tx``."""
        return int(self.tx_positions.shape[0])

    @property
    def n_rx(self) -> int:
        """Number of receivers ``L_rx``."""
        return int(self.rx_positions.shape[0])

    def _offsets(self) -> torch.Tensor:
        """``(..., L_tx, L_rx, 2)``: vector from tx ``j`` to rx ``l`` (metres)."""
        return self.rx_positions.unsqueeze(-3) - self.tx_positions.unsqueeze(-2)

    def distances(self) -> torch.Tensor:
        """``(..., L_tx, L_rx)`` float64, metres: ``d[j, l]`` = distance from tx ``j`` to rx
        ``l``."""
        return torch.linalg.vector_norm(self._offsets(), dim=-1)

    def direct_distances(self) -> torch.Tensor:
        """``(L,)`` tx l → rx l distances (the diagonal of :meth:`distances`, bit for bit,
        without the L × L matrix)."""
        return torch.linalg.vector_norm(self.rx_positions - self.tx_positions, dim=-1)

    def departure_angles(self) -> torch.Tensor:
        """``(..., L_tx, L_rx)`` float64, radians: direction of rx ``l`` seen from tx ``j``."""
        off = self._offsets()
        return torch.atan2(off[..., 1], off[..., 0])

    def arrival_angles(self) -> torch.Tensor:
        """``(..., L_tx, L_rx)`` float64, radians: direction of tx ``j`` seen from rx ``l``."""
        off = -self._offsets()
        return torch.atan2(off[..., 1], off[..., 0])

    def extended(
        self,
        extra_tx_positions: object = None,
        extra_rx_positions: object = None,
    ) -> Deployment:
        """A :class:`Deployment` with extra transmitters/receivers appended (e.g. primary users).

        The existing nodes keep their indices; the new ones follow them.
        """
        tx, rx = self.tx_positions, self.rx_positions
        if extra_tx_positions is not None:
            tx = torch.cat([tx, _positions("extra_tx_positions", extra_tx_positions)])
        if extra_rx_positions is not None:
            rx = torch.cat([rx, _positions("extra_rx_positions", extra_rx_positions)])
        return Deployment(tx, rx)


def _positions(name: str, value: object) -> torch.Tensor:
    t = as_float64(name, value)
    if t.ndim != 2 or t.shape[1] != 2 or t.shape[0] < 1:
        raise ValueError(f"{name} must have shape (n >= 1, 2) in metres, got {tuple(t.shape)}")
    return t


@dataclass(frozen=True, eq=False)
class Positions(_PairGeometry):
    """Positions of a batch of deployments as they are, on any device and unchecked:
    ``tx_positions`` and ``rx_positions`` ``(..., L, 2)`` metres (e.g. receivers on the move,
    block by block). Distances and angles as a :class:`Deployment`'s, batched."""

    tx_positions: torch.Tensor
    rx_positions: torch.Tensor


@dataclass(frozen=True, eq=False)
class Deployment(_PairGeometry):
    """Any set of transmitter and receiver positions.

    Arguments:
        tx_positions: ``(L_tx, 2)`` metres (anything ``torch.as_tensor`` accepts).
        rx_positions: ``(L_rx, 2)`` metres.

    Stored as float64 CPU tensors. Every transmitter–receiver distance must be
    > 0 (a path loss at distance 0 is undefined).
    """

    tx_positions: torch.Tensor
    rx_positions: torch.Tensor

    def __post_init__(self) -> None:
        object.__setattr__(self, "tx_positions", _positions("tx_positions", self.tx_positions))
        object.__setattr__(self, "rx_positions", _positions("rx_positions", self.rx_positions))
        if not bool((self.distances() > 0).all()):
            raise ValueError("rx_positions must differ from every tx_positions (distance > 0)")


@dataclass(frozen=True)
class LineDeployment(_PairGeometry):
    """The interference paper's line of links (§IV); see the module docstring for the picture.

    Arguments:
        n_links: number of links L (>= 1).
        link_distance_m: d₀, distance from each transmitter to its own receiver,
            metres (> 0). Paper: 30 m.
        alpha: MUI scaling factor α = d(T_i, T_{i+1}) / d(T_i, R_i) (> 0). Paper: 1 … 40.
    """

    n_links: int = 3
    link_distance_m: float = 30.0
    alpha: float = 3.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_links", check_positive_int("n_links", self.n_links))
        object.__setattr__(
            self, "link_distance_m", check_positive("link_distance_m", self.link_distance_m)
        )
        object.__setattr__(self, "alpha", check_positive("alpha", self.alpha))

    @property
    def tx_spacing_m(self) -> float:
        """Distance between adjacent transmitters, α·d₀ (metres)."""
        return self.alpha * self.link_distance_m

    @property
    def tx_positions(self) -> torch.Tensor:  # type: ignore[override]
        """``(L, 2)`` float64 metres: tx ``j`` at ``(j·α·d₀, 0)``."""
        x = torch.arange(self.n_links, dtype=torch.float64) * self.tx_spacing_m
        return torch.stack([x, torch.zeros_like(x)], dim=-1)

    @property
    def rx_positions(self) -> torch.Tensor:  # type: ignore[override]
        """``(L, 2)`` float64 metres: rx ``l`` at ``(l·α·d₀, d₀)``."""
        x = torch.arange(self.n_links, dtype=torch.float64) * self.tx_spacing_m
        return torch.stack([x, torch.full_like(x, self.link_distance_m)], dim=-1)

    def to_deployment(self) -> Deployment:
        """The same positions as a generic :class:`Deployment`."""
        return Deployment(self.tx_positions, self.rx_positions)


def random_deployment(
    n_links: int,
    area_m: float,
    link_distance_range_m: tuple[float, float],
    seed: int,
    *,
    n_extra: int = 0,
) -> Deployment:
    """L links dropped uniformly in the square [0, area_m]² (metres), seeded by ``seed``.

    Each transmitter is uniform in the square and its receiver at a distance uniform in
    ``link_distance_range_m`` = [d_min, d_max] (metres) in a uniform direction (a receiver
    may lie outside the square). A link is redrawn while one of its nodes is closer than d_min
    to a node of another link (transmitter to receiver), so every transmitter–receiver
    distance is at least d_min (``ValueError`` after :data:`MAX_REDRAWS` redraws of one link:
    the area is too small for L links). ``n_extra`` more links are dropped the same way after
    the L (e.g. primary users), appended to both position lists. Positions come from
    ``numpy.random.default_rng([seed, POSITION_STREAM])``: the same seed, the same drop.
    """
    n_links = check_positive_int("n_links", n_links)
    area_m = check_positive("area_m", area_m)
    low, high = (check_positive("link_distance_range_m", d) for d in link_distance_range_m)
    if high < low:
        raise ValueError(
            f"link_distance_range_m must be (d_min, d_max) with d_min <= d_max, "
            f"got {link_distance_range_m!r}"
        )
    rng = np.random.default_rng([int(seed), POSITION_STREAM])
    tx: list[np.ndarray] = []
    rx: list[np.ndarray] = []
    for link in range(n_links + n_extra):
        for _ in range(MAX_REDRAWS):
            t = rng.uniform(0.0, area_m, 2)
            angle, distance = rng.uniform(0.0, 2 * np.pi), rng.uniform(low, high)
            r = t + distance * np.array([np.cos(angle), np.sin(angle)])
            if not tx or (
                np.linalg.norm(np.array(rx) - t, axis=-1).min() >= low
                and np.linalg.norm(np.array(tx) - r, axis=-1).min() >= low
            ):
                break
        else:
            raise ValueError(
                f"could not place link {link} at least {low:g} m from the others' nodes in a "
                f"{area_m:g} m square after {MAX_REDRAWS} draws: enlarge the area (or lower "
                "the density)"
            )
        tx.append(t)
        rx.append(r)
    return Deployment(torch.tensor(np.array(tx)), torch.tensor(np.array(rx)))
