"""How long a new process waits for its first env, every path side by side in one run.

Rows (wall seconds of a fresh ``python`` process, the median of ``--repeats`` runs; the banks'
cache is the user's, so build ``mnist5k`` first with ``make demo`` or ``semgym latents build``):

- ``import semgym``: the interpreter and the import (torch, gymnasium, pettingzoo).
- ``first env, warm caches``: ``gym.make("semgym/Interference-v0").reset()`` (the default
  ``mnist5k`` bank and the paper's three links) with the bank and its prepared pairs cached.
- ``first env, cold pair cache`` (the old path): the same with the bank cached but no prepared
  pairs, so the process whitens the links' latents and computes their SVDs, and caches them.
- ``bank build``: ``semgym latents build digits --rebuild`` into an empty cache (the small
  embedded bank; ``--bank mnist5k`` for the default one, a few minutes).

    python benchmarks/bench_startup.py [--repeats 3] [--bank digits]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from semgym.latents import resolve_cache_dir

FIRST_ENV = (
    "import gymnasium as gym, semgym; env = gym.make('semgym/Interference-v0'); env.reset(seed=0)"
)


def seconds(code: str, env: dict[str, str], repeats: int) -> float:
    """Median wall time of ``python -c code`` over ``repeats`` fresh processes."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bank", default="digits", help="the bank whose build is timed")
    args = parser.parse_args()
    user = dict(os.environ)
    cache = resolve_cache_dir()
    bank = cache / "latents" / "mnist5k.npz"
    if not bank.exists():
        sys.exit(
            f"build the default bank first (make demo, or semgym latents build mnist5k): {bank}"
        )
    cpu = platform.processor() or platform.machine()
    print(f"CPU: {cpu} ({os.cpu_count()} cores); median of {args.repeats} fresh processes\n")
    rows = [("import semgym", seconds("import semgym", user, args.repeats))]
    subprocess.run([sys.executable, "-c", FIRST_ENV], env=user, check=True)  # warm the pairs
    rows.append(("first env, warm caches", seconds(FIRST_ENV, user, args.repeats)))
    with tempfile.TemporaryDirectory() as tmp:
        cold = Path(tmp)
        (cold / "latents").mkdir()
        for name in (bank.name, bank.name + ".sha256"):
            os.symlink(bank.parent / name, cold / "latents" / name)
        times = []
        for _ in range(args.repeats):
            shutil.rmtree(cold / "pairs", ignore_errors=True)
            times.append(seconds(FIRST_ENV, {**user, "SEMGYM_CACHE": tmp}, 1))
        rows.append(("first env, cold pair cache (old path)", statistics.median(times)))
    with tempfile.TemporaryDirectory() as tmp:
        build = [sys.executable, "-m", "semgym", "latents", "build", args.bank, "--rebuild"]
        start = time.perf_counter()
        subprocess.run([*build, "--cache-dir", tmp], env=user, check=True, capture_output=True)
        rows.append((f"bank build ({args.bank})", time.perf_counter() - start))
    warm = rows[1][1]
    print(f"{'path':<40}{'seconds':>10}{'vs warm':>10}")
    for name, value in rows:
        print(f"{name:<40}{value:>10.2f}{value / warm:>9.1f}×")


if __name__ == "__main__":
    main()
