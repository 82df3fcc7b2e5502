"""One best response of every link, dense vs block-structured path (``docs/design.md``).

Paper setting L = 3 links, N_T = N_R = 8 antennas, K = 10 channel uses (M = 80 modes),
d_x = 96 complex transmitter symbols (a 192-wide latent). Both paths run
R_n → R_H → eigendecomposition → semantic water-filling → F = V diag(√p) Q̃ᴴ from the same
block-diagonal transmit covariances; the block path solves K eigenproblems of 8 × 8 per link
instead of one of 80 × 80. Prints times side by side, their ratio, and whether both paths give
the same per-link MSE.

    python benchmarks/bench_core.py [--batch 1 64] [--repeats 50] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from semgym import core
from semgym.channels import InterferenceChannelConfig, sample_interference_channels
from semgym.core import reference
from semgym.scenarios import GameOperator, InterferenceGame


def _timed(fn, repeats: int, device: torch.device) -> float:
    """Median wall time of ``fn()`` in seconds (synchronizing CUDA)."""
    fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build_instance(batch: int, device: torch.device, dtype: torch.dtype, seed: int = 27):
    """Channels, block-diagonal starting covariances, semantic weights and directions."""
    n_links, n_ant, k, tx_dim = 3, 8, 10, 96
    config = InterferenceChannelConfig(n_links=n_links, n_tx_antennas=n_ant, n_rx_antennas=n_ant)
    channels = sample_interference_channels(config, batch_size=batch, seed=seed, dtype=dtype)
    gen = torch.Generator().manual_seed(seed)
    real = torch.empty((), dtype=dtype).real.dtype
    raw = torch.randn(batch, n_links, k, n_ant, n_ant, 2, generator=gen, dtype=real)
    block_modes = torch.linalg.qr(torch.view_as_complex(raw))[0]
    # random powers (uniform ones would make every block equal and the modes degenerate)
    powers = torch.rand(batch, n_links, k, n_ant, generator=gen, dtype=real)
    powers = powers / powers.sum((-2, -1), keepdim=True) * k * config.tx_power_w
    blocks = core.structured_covariance(block_modes, powers)
    weights = torch.rand(batch, n_links, k * n_ant, generator=gen, dtype=real).square()
    weights = weights.sort(-1, descending=True).values
    raw_q = torch.randn(batch, n_links, tx_dim, k * n_ant, 2, generator=gen, dtype=real)
    directions = torch.linalg.qr(torch.view_as_complex(raw_q))[0]
    game = InterferenceGame(
        channels.matrices.to(device),
        k,
        channels.noise_power.to(device),
        config.tx_power_w,
        weights.to(device),
        torch.full((batch, n_links), 10.0, dtype=real, device=device),
    )
    return {
        "operator": GameOperator(game, "block"),
        "factors": core.mode_factor(block_modes, powers).to(device),
        "dense_h": core.kron_identity(channels.matrices, k).to(device),
        "blocks": blocks.to(device),
        "dense_cov": core.block_diagonal(blocks).to(device),
        "noise": channels.noise_power.to(device),
        "weights": weights.to(device),
        "directions": directions.to(device),
        "budget": float(k) * config.tx_power_w,
    }


def dense_step(x):
    """The straightforward path: dense covariances, one 80 × 80 eigenproblem per link."""
    res = reference.dense_best_response(
        x["dense_h"], x["dense_cov"], x["noise"], x["weights"], x["budget"]
    )
    return res, core.structured_precoder(res.modes, res.powers, x["directions"])


def block_step(x):
    """The scenario's path: MUI from the covariances' factors, K eigenproblems of 8 × 8."""
    op = x["operator"]
    best = op.respond(op.received(x["factors"]).effective)
    return best, core.structured_precoder(best.modes, best.powers, x["directions"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", choices=["complex64", "complex128"], default="complex64")
    args = parser.parse_args()
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {name}, torch threads: {torch.get_num_threads()}, dtype: {args.dtype}")
    print("one best response of all links, L=3, N=8, K=10 (M=80), d_x=96")
    header = (
        f"{'batch':>6} {'dense ms':>10} {'block ms':>10} {'speed-up':>9} {'max rel MSE diff':>17}"
    )
    print(header)
    for batch in args.batch:
        x = build_instance(batch, device, dtype)
        dense_res, _ = dense_step(x)
        block_res, _ = block_step(x)
        # MSE of each link's new precoder under the effective channel it answered
        noise_cov = reference.interference_covariance(x["dense_h"], x["dense_cov"], x["noise"])
        effective = core.effective_channel(core.direct_channels(x["dense_h"]), noise_cov)
        energy = torch.full(x["weights"].shape[:-1], 10.0, dtype=x["weights"].dtype, device=device)
        mse = [
            reference.structured_mse(effective, r.modes, r.powers, x["weights"], energy)
            for r in (dense_res, block_res)
        ]
        rel = ((mse[0] - mse[1]).abs() / mse[0].abs()).max().item()
        # same gains and same MSE; the precoders themselves may differ where two channel uses'
        # gains (nearly) tie, since any basis of a tied eigenspace is a best response
        scale = dense_res.gains.amax(-1, keepdim=True)
        assert torch.allclose(dense_res.gains / scale, block_res.gains / scale, atol=1e-5)
        assert rel < 1e-4, f"dense and block MSE differ by {rel:.1e}"
        t_dense = _timed(lambda x=x: dense_step(x), args.repeats, device)
        t_block = _timed(lambda x=x: block_step(x), args.repeats, device)
        print(
            f"{batch:>6} {t_dense * 1e3:>10.3f} {t_block * 1e3:>10.3f} "
            f"{t_dense / t_block:>8.1f}x {rel:>17.2e}"
        )


if __name__ == "__main__":
    main()
