"""Rendering of the environments: the interference game's deployment, interference and
per-link state; the downlink's access point, its users and what each one decodes."""

from __future__ import annotations

from typing import Any

import numpy as np


def render_interference(env: Any, figure: Any, mode: str) -> tuple[np.ndarray | None, Any]:
    """Draw the deployment (links, interference strength) and every link's powers and NMSE.

    Returns (RGB image (H, W, 3) uint8 for ``"rgb_array"``, else None; the figure to reuse).
    """
    figure = _figure(figure, mode)
    geo, bars, err = figure.subplots(1, 3, gridspec_kw={"width_ratios": [2, 2, 1]})
    tx, rx = env.game.positions[0].numpy()  # where the links stand this episode
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
    config = env.channel_config
    where = f"α = {config.alpha:g}" if config.topology == "line" else "random topology"
    geo.set_title(f"{where}, cycle {env.cycles}")
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
    return _show(figure, mode)


def render_broadcast(env: Any, figure: Any, mode: str) -> tuple[np.ndarray | None, Any]:
    """Draw the access point and its users (each user's link coloured by the NMSE of what it
    decodes, its channel's strength as the link's width), the energy the shared precoder puts
    on each pooled semantic direction, and every user's NMSE (and accuracy, when computed).

    Returns (RGB image (H, W, 3) uint8 for ``"rgb_array"``, else None; the figure to reuse).
    """
    import matplotlib.pyplot as plt

    figure = _figure(figure, mode)
    geo, bars, err = figure.subplots(1, 3, gridspec_kw={"width_ratios": [2, 2, 2]})
    nmse = env.batch.evaluation.nmse[0].numpy()
    users = len(nmse)
    gains = env.batch.pooled.user_gains[0].numpy().sum(-1)  # Σ_m λ_l,m of R_H,l
    width = 1.0 + 3.0 * gains / max(float(gains.max()), 1e-300)
    angle = 2 * np.pi * np.arange(users) / users
    x, y = np.cos(angle), np.sin(angle)
    colour = plt.get_cmap("viridis_r")
    for user in range(users):
        geo.plot([0, x[user]], [0, y[user]], color=colour(float(nmse[user])), lw=width[user])
        geo.annotate(env.user_encoders[user], (x[user], y[user]), fontsize=6, ha="center")
    geo.scatter([0], [0], marker="^", s=80, color="k", zorder=3, label=f"AP ({env.ap_encoder})")
    geo.scatter(x, y, marker="o", color="tab:green", zorder=3, label="users")
    geo.set_title(f"SNR {env.downlink_config.snr_db:g} dB, cycle {env.cycles}")
    geo.set_aspect("equal")
    geo.axis("off")
    geo.legend(loc="lower right", fontsize=7)
    energy = env.batch.observations()[0].numpy()[env.observation_layout.slices["energy_share"]]
    bars.bar(range(len(energy)), energy * env.budget, color="tab:blue")
    bars.set_title("energy per pooled semantic direction (W)")
    bars.set_xlabel("direction m")
    err.bar(range(users), nmse, color="tab:purple", label="NMSE")
    accuracy = getattr(env, "_accuracy", None)
    if accuracy is not None:
        err.plot(range(users), accuracy, "o", color="tab:orange", label="accuracy")
    err.set_ylim(0, 1)
    err.set_xlabel("user")
    err.set_title("what each user decodes")
    err.legend(fontsize=7)
    return _show(figure, mode)


def _figure(figure: Any, mode: str) -> Any:
    """The figure to draw on (a new one the first time), cleared."""
    import matplotlib

    if mode == "rgb_array":
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if figure is None:
        figure = plt.figure(figsize=(9, 4), dpi=80)
    figure.clf()
    return figure


def _show(figure: Any, mode: str) -> tuple[np.ndarray | None, Any]:
    """Show the figure (``"human"``) or return it as an RGB array."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    if mode == "human":
        plt.pause(0.001)
        return None, figure
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    return image, figure
