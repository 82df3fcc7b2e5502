"""What the scenarios' evaluations share."""

from __future__ import annotations

from torch import Tensor


class NetworkScores:
    """Network means of per-receiver scores ``mse`` and ``nmse`` (..., L)."""

    mse: Tensor
    nmse: Tensor

    @property
    def network_mse(self) -> Tensor:
        """Mean MSE over the receivers, (...)."""
        return self.mse.mean(-1)

    @property
    def network_nmse(self) -> Tensor:
        """Mean NMSE over the receivers, (...)."""
        return self.nmse.mean(-1)
