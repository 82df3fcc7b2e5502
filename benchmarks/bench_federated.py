"""One federated ADMM iteration: normalized statistics vs a per-user loop on n-long matrices.

Federated paper setting: L = 10 users, N_T = N_R = 4, K ∈ {1, 4, 10} channel uses, AP latent
width 192 (d_x = 96 complex), user targets 96 complex, n ∈ {1000, 42500} pilots (synthetic
Gaussian latents, complex64). semgym's iteration (:func:`semgym.solvers.admm_alignment`) works
on P = Y Xᴴ/n and never touches n-long matrices; it is timed as a run of T = 30 iterations (the
paper's) divided by T, so its once-per-run work (Pᴴ P, the last receivers) is shared as in
practice; the statistics are computed once per user group (timed separately, "stats");
per-iteration diagnostics are off (``track=False``), as the loop computes none. The loop
mirrors the structure of the public reference code: per user S = H F X,
G = Y Sᴴ (S Sᴴ + n Σ)⁻¹, A = (G H)ᴴ G H, (G H)ᴴ Y, then
``scipy.linalg.solve_sylvester(A, ρ n (X Xᴴ)⁻¹, (ρ n (Z − U) + (G H)ᴴ Y Xᴴ)(X Xᴴ)⁻¹)``, the
average, Z and U. Prints median times per iteration and their ratio.

    python benchmarks/bench_federated.py [--pilots 1000 42500] [--uses 1 4 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from scipy.linalg import solve_sylvester

from semgym import core
from semgym.channels.interference import sample_rayleigh_downlink
from semgym.solvers import admm_alignment

USERS, ANTENNAS, TX_WIDTH, RX_WIDTH = 10, 4, 96, 96
SIGMA2, RHO, BUDGET, ITERATIONS = 0.01, 1.0, 1.0, 30


def _timed(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _reference_iteration(x, ys, hs, f, z, u):
    """Per-user loop on n-long matrices with scipy's Bartels–Stewart (reference structure)."""
    n = x.shape[1]
    local = []
    for y, h in zip(ys, hs, strict=True):
        s = h @ f @ x
        g = y @ s.conj().T @ np.linalg.inv(s @ s.conj().T + n * SIGMA2 * np.eye(h.shape[0]))
        gh = g @ h
        a = gh.conj().T @ gh
        msg = gh.conj().T @ y
        b_inv = np.linalg.inv(x @ x.conj().T)
        c = (RHO * n * (z - u) + msg @ x.conj().T) @ b_inv
        local.append(solve_sylvester(a, RHO * n * b_inv, c))
    f = np.mean(local, axis=0)
    energy = np.sum(np.abs(f + u) ** 2)
    z = (f + u) * min(1.0, np.sqrt(BUDGET / energy))
    return f, z, u + f - z


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pilots", type=int, nargs="+", default=[1000, 42500])
    parser.add_argument("--uses", type=int, nargs="+", default=[1, 4, 10])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, complex64, L={USERS}")
    print(f"{'n':>6} {'K':>3} {'stats s':>9} {'semgym ms':>10} {'loop ms':>10} {'ratio':>8}")
    gen = torch.Generator().manual_seed(0)
    for n in args.pilots:
        tx = torch.randn(n, 2 * TX_WIDTH, generator=gen)
        rx = [tx @ torch.randn(2 * TX_WIDTH, 2 * RX_WIDTH, generator=gen) for _ in range(USERS)]
        start = time.perf_counter()
        pairs = [core.prepare_pair(tx, r, whiten_targets=True) for r in rx]
        stats_s = time.perf_counter() - start
        x = pairs[0].tx_symbols(tx).T.numpy()
        ys = [p.rx_targets(r).T.numpy() for p, r in zip(pairs, rx, strict=True)]
        cross = torch.stack([p.stats.cross_covariance for p in pairs])
        energy = torch.stack([p.stats.target_energy for p in pairs])
        for k in args.uses:
            per_use = sample_rayleigh_downlink(USERS, ANTENNAS, ANTENNAS, seed=k)[0]
            dense = core.kron_identity(per_use, k)
            noise = SIGMA2 * torch.eye(k * ANTENNAS, dtype=torch.complex64).expand(USERS, -1, -1)
            f0 = core.gaussian((k * ANTENNAS, TX_WIDTH), 1.0, dtype=torch.complex64)

            def ours(cross=cross, energy=energy, dense=dense, noise=noise, f0=f0) -> None:
                admm_alignment(
                    cross,
                    energy,
                    dense,
                    noise,
                    f0,
                    budget=BUDGET,
                    rho=RHO,
                    iterations=ITERATIONS,
                    track=False,
                )

            hs = list(dense.numpy())
            f_np = f0.numpy()
            zeros = np.zeros_like(f_np)

            def loop(x=x, ys=ys, hs=hs, f_np=f_np, zeros=zeros) -> None:
                _reference_iteration(x, ys, hs, f_np, zeros, zeros)

            t_ours = _timed(ours, args.repeats) / ITERATIONS
            t_loop = _timed(loop, args.repeats)
            print(
                f"{n:>6} {k:>3} {stats_s:>9.2f} {1e3 * t_ours:>10.2f} {1e3 * t_loop:>10.1f} "
                f"{t_loop / t_ours:>7.0f}x"
            )


if __name__ == "__main__":
    main()
