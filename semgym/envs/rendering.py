"""Rendering of the interference environment: deployment, interference and per-link state."""

from __future__ import annotations

from typing import Any

import numpy as np


def render_interference(env: Any, figure: Any, mode: str) -> tuple[np.ndarray | None, Any]:
    """Draw the deployment (links, interference strength) and every link's powers and NMSE.

    Returns (RGB image (H, W, 3) uint8 for ``"rgb_array"``, else None; the figure to reuse).
    """
    import matplotlib

    if mode == "rgb_array":
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if figure is None:
        figure = plt.figure(figsize=(9, 4), dpi=80)
    figure.clf()
    geo, bars, err = figure.subplots(1, 3, gridspec_kw={"width_ratios": [2, 2, 1]})
    deployment = env.channel_config.deployment()
    tx = deployment.tx_positions.numpy()
    rx = deployment.rx_positions.numpy()
    mui = env.evaluation.mui_power[0].numpy()
    strength = mui / max(float(mui.max()), 1e-300)
    for j in range(len(tx)):
        for link in range(len(rx)):
            if j != link:
                geo.plot(
                    [tx[j, 0], rx[link, 0]],
                    [tx[j, 1], rx[link, 1]],
                    color="tab:red",
                    alpha=0.15 + 0.6 * float(strength[link]),
                    lw=1,
                )
        geo.plot([tx[j, 0], rx[j, 0]], [tx[j, 1], rx[j, 1]], color="tab:blue", lw=2.5)
    geo.scatter(tx[:, 0], tx[:, 1], marker="^", color="k", zorder=3, label="tx")
    geo.scatter(rx[:, 0], rx[:, 1], marker="o", color="tab:green", zorder=3, label="rx")
    geo.set_title(f"α = {env.channel_config.alpha:g}, cycle {env.cycles}")
    geo.set_xlabel("m")
    geo.legend(loc="upper right", fontsize=7)
    powers = env.batch.direction_powers()[0].numpy()
    for i, row in enumerate(powers):
        bars.plot(row, label=env.possible_agents[i], lw=1)
    bars.set_title("power per semantic mode (W)")
    bars.set_xlabel("mode m")
    bars.legend(fontsize=7)
    nmse = env.evaluation.nmse[0].numpy()
    err.bar(range(len(nmse)), nmse, color="tab:purple")
    err.set_ylim(0, 1)
    err.set_title("NMSE per link")
    figure.tight_layout()
    if mode == "human":
        plt.pause(0.001)
        return None, figure
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    return image, figure
