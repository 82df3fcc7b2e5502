"""How long a new process waits for its first env, every path side by side in one run.

Rows (seconds in a fresh ``python`` process, the median of ``--repeats`` processes; the banks'
cache is the user's, so build ``mnist5k`` first with ``make demo`` or ``semgym latents build``):

- ``import``: ``import gymnasium, semgym`` and the env module (torch's import is most of it).
- ``first env, warm caches``: then ``gym.make("semgym/Interference-v0").reset(seed=0)`` (the
  default ``mnist5k`` bank and the paper's three links) with the bank and its prepared pairs
  cached on disk.
- ``first env, cold pair cache`` (the old path, every new process before pairs were cached):
  the same with the bank cached but no prepared pairs, so the process whitens the links'
  latents, computes their SVDs, and caches them.
- ``whole process, warm caches``: the interpreter, the import and the first env, from outside.
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

#: A new process: its import, then its first env (each timed inside it), printed.
FIRST_ENV = """
import time
start = time.perf_counter()
import gymnasium as gym
import semgym, semgym.envs.gym_envs
imported = time.perf_counter()
env = gym.make("semgym/Interference-v0")
env.reset(seed=0)
print(imported - start, time.perf_counter() - imported)
"""


def fresh_process(env: dict[str, str]) -> tuple[float, float, float]:
    """(import, first env, whole process) seconds of one new process."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", FIRST_ENV], env=env, check=True, capture_output=True, text=True
    )
    whole = time.perf_counter() - start
    imported, first = (float(x) for x in out.stdout.split())
    return imported, first, whole


def medians(runs: list[tuple[float, ...]]) -> list[float]:
    """The median of every column of ``runs``."""
    return [statistics.median(column) for column in zip(*runs, strict=True)]


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
    fresh_process(user)  # warms the pair cache (and the OS's file cache)
    imported, warm, whole = medians([fresh_process(user) for _ in range(args.repeats)])
    with tempfile.TemporaryDirectory() as tmp:
        cold = Path(tmp)
        (cold / "latents").mkdir()
        for name in (bank.name, bank.name + ".sha256"):
            os.symlink(bank.parent / name, cold / "latents" / name)
        runs = []
        for _ in range(args.repeats):
            shutil.rmtree(cold / "pairs", ignore_errors=True)
            runs.append(fresh_process({**user, "SEMGYM_CACHE": tmp}))
        cold_env = medians(runs)[1]
    rows = [
        ("import (gymnasium, semgym, torch)", imported),
        ("first env, warm caches", warm),
        ("first env, cold pair cache (old path)", cold_env),
        ("whole process, warm caches", whole),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        build = [sys.executable, "-m", "semgym", "latents", "build", args.bank, "--rebuild"]
        start = time.perf_counter()
        subprocess.run([*build, "--cache-dir", tmp], env=user, check=True, capture_output=True)
        rows.append((f"bank build ({args.bank})", time.perf_counter() - start))
    print(f"{'path':<40}{'seconds':>10}{'vs first env, warm':>20}")
    for name, value in rows:
        print(f"{name:<40}{value:>10.2f}{value / warm:>19.1f}×")


if __name__ == "__main__":
    main()
