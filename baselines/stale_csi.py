"""What stale channel knowledge costs the papers' best response on a time-varying channel.

The paper preset with a moving receiver (``speed_kmh``), the links knowing the channel
``csi_delay`` blocks late, optionally from noisy pilots (``pilot_snr_db``); see the
time-varying section of the interference env's docs. Two policies play every block from the
same held-out seeds (16 envs, seeds 10,000–10,015, which no training run saw): the stale best
response (the papers' water-filling on what the links observe, ``best_response_actions``)
and the genie (the best response on the true channel of the block it plays on,
``genie_best_response_actions``, precoder actions: the papers' solution with perfect
current knowledge, which no link could run). Columns: the
correlation ρ between blocks, the mean network NMSE over blocks ``FIRST``–``BLOCKS`` of each,
and how much worse the stale best response is, per env (stale − genie)/genie, mean with a
95 % bootstrap interval over the envs.

    python baselines/stale_csi.py [--smoke]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from harness import HELD_OUT_SEEDS, RESULTS, SMOKE_INTERFERENCE, mean_interval, write_json

from semgym.channels import InterferenceChannelConfig
from semgym.presets import get_preset

#: (speed km/h, CSI delay in blocks, pilot SNR dB or None) of each row.
SETTINGS = (
    (30.0, 1, None),
    (60.0, 0, None),
    (60.0, 1, None),
    (60.0, 2, None),
    (60.0, 4, None),
    (60.0, 2, 10.0),
)
#: Blocks played per env, and the first block scored (the start's transient left out).
BLOCKS = 40
FIRST = 10


def network_nmse(
    policy: str, dynamics: dict[str, Any], seeds: Sequence[int], blocks: int, smoke: bool
) -> np.ndarray:
    """Mean network NMSE per env over blocks ``FIRST``… of ``policy`` (``"stale"`` or
    ``"genie"``), (len(seeds),)."""
    mode = "precoder" if policy == "genie" else "normalized"
    extra = SMOKE_INTERFERENCE if smoke else {}
    venv = get_preset("paper").vector_env(
        len(seeds), **extra, **dynamics, action_mode=mode, max_cycles=blocks, dtype="float64"
    )
    venv.reset(seed=list(seeds))
    act = venv.genie_best_response_actions if policy == "genie" else venv.best_response_actions
    first = min(FIRST, blocks - 1)
    total = torch.zeros(len(seeds), dtype=torch.float64)
    for block in range(blocks):
        _, rewards, *_ = venv.step(act())
        if block >= first:
            total -= rewards.reshape(len(seeds), -1).mean(-1).double()
    return (total / (blocks - first)).numpy()


def setting_row(
    speed: float, delay: int, pilot: float | None, seeds: Sequence[int], blocks: int, smoke: bool
) -> dict[str, Any]:
    """One row of the report."""
    dynamics = {"speed_kmh": speed, "csi_delay": delay, "pilot_snr_db": pilot}
    stale = network_nmse("stale", dynamics, seeds, blocks, smoke)
    genie = network_nmse("genie", dynamics, seeds, blocks, smoke)
    loss = (stale - genie) / genie
    low, high = mean_interval(loss)
    return {
        "speed_kmh": speed,
        "csi_delay": delay,
        "pilot_snr_db": pilot,
        "rho": InterferenceChannelConfig(speed_kmh=speed).fading_correlation,
        "seeds": len(seeds),
        "stale": float(stale.mean()),
        "genie": float(genie.mean()),
        "loss": float(loss.mean()),
        "loss_ci95": [low, high],
    }


def table(rows: list[dict[str, Any]]) -> str:
    """The report's markdown table."""
    lines = [
        "| speed | ρ per block | CSI delay | pilots | stale best response | genie "
        "| stale over genie [95 % CI] |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        low, high = r["loss_ci95"]
        pilots = "exact" if r["pilot_snr_db"] is None else f"{r['pilot_snr_db']:g} dB"
        lines.append(
            f"| {r['speed_kmh']:g} km/h | {r['rho']:.3f} | {r['csi_delay']} | {pilots} | "
            f"{r['stale']:.4f} | {r['genie']:.4f} | {r['loss']:+.1%} [{low:+.1%}, {high:+.1%}] |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="tiny scenarios, few blocks, no files")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds, blocks = HELD_OUT_SEEDS[:16], BLOCKS
    settings = SETTINGS
    if args.smoke:
        seeds, blocks, settings = HELD_OUT_SEEDS[:3], 4, SETTINGS[1:3]
    rows = []
    for speed, delay, pilot in settings:
        rows.append(setting_row(speed, delay, pilot, seeds, blocks, args.smoke))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(table(rows))
    if not args.smoke:
        write_json(RESULTS / "stale-csi.json", rows)
        (RESULTS / "stale-csi.md").write_text(table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
