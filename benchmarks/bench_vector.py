"""Agent-steps per second of the interference game, every path side by side in one run.

Paper setting: L = 3 links, N_T = N_R = 8, K = 10 channel uses (M = 80 modes per link), every
link playing its best response (the actions a trained policy would send; the policy's cost is
not counted). Rows:

- ``PettingZoo env``: ``interference_v0.parallel_env`` (one env, float64, NumPy dicts).
- ``dense path``: the straightforward batched torch step (one 80×80 eigenproblem per link,
  ``GameOperator(structure="dense")``), B = 64 on the CPU.
- ``vector env``: :class:`semgym.vector.InterferenceVecEnv` (float32) on the CPU for
  num_envs ∈ {1, 64, 1024}, and on CUDA (when present) from 1,024 envs doubling up to
  ``--max-gpu-envs`` or the largest that fits; at 1,024 envs also with
  ``processing="widely_linear"`` (2M = 160 real modes: 16 × 16 real eigenproblems per channel
  use instead of 8 × 8 complex ones), with its ratio to the linear row; and with time-varying
  channels (a new fading block every step; CSI one block late, or two blocks late from noisy
  pilots), with their ratios to the static row (on CUDA too).

An agent-step is one link acting once: a step of B envs counts B·L. Ratios are against the
PettingZoo env and the dense path measured in the same run. The "floor" rows time only the
per-matrix LAPACK work of a step: its B·L·K Hermitian 8 × 8 eigendecompositions (split over
the CPU threads), then those plus its two Cholesky factorizations and two triangular solves of
as many 8 × 8 matrices; no CPU step built on torch's LAPACK can beat them. The widely-linear
floors time the same work on the real-composite (16 × 16 real) form of those matrices.

The last lines count the minor page faults per timed step of the 1,024-env CPU rows in both
modes (system time the step spends on memory the allocator returned to the kernel), then time
those two rows again with glibc told to keep freed memory (``mallopt``: no ``mmap`` for large
blocks, no trimming; the same as starting Python with ``MALLOC_MMAP_THRESHOLD_=268435456
MALLOC_TRIM_THRESHOLD_=1073741824``), where the C library is glibc.

    python benchmarks/bench_vector.py [--seconds 3] [--latents mnist5k] [--max-gpu-envs 262144]
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from semgym import interference_v0
from semgym.envs.interference import InterferenceEnvConfig
from semgym.policies import BestResponse
from semgym.vector import InterferenceVecEnv

SETTING = {"n_links": 3, "n_antennas": 8, "channel_uses": 10}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def pettingzoo_rate(latents: str, seconds: float) -> float:
    env = interference_v0.parallel_env(**SETTING, latents=latents, max_cycles=10**9)
    policy = BestResponse.for_env(env)
    obs, _ = env.reset(seed=27)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        obs, *_ = env.step({a: policy.act(obs[a]) for a in env.agents})
        steps += 1
    return steps * len(env.possible_agents) / (time.perf_counter() - start)


def dense_rate(latents: str, num_envs: int, seconds: float) -> float:
    """The straightforward path: the same batch on the dense structure (80×80 eigh)."""
    config = InterferenceEnvConfig.from_kwargs(
        **SETTING, latents=latents, action_mode="power", dtype="float32"
    )
    batch = config.batch(num_envs, structure="dense")
    batch.reset(list(range(num_envs)))
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 2:
        batch.step(batch.best_response_actions())
        batch.observations()
        steps += 1
    return steps * num_envs * config.scenario.n_links / (time.perf_counter() - start)


def _minor_faults() -> float:
    """Minor page faults of this process so far (Unix), NaN where the count is not available."""
    try:
        import resource
    except ImportError:
        return float("nan")
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)


def keep_freed_memory() -> bool:
    """Tell glibc's allocator to keep freed memory in the process (large blocks from the heap
    instead of ``mmap``, no trimming), so a step's temporaries reuse mapped pages instead of
    faulting fresh ones in; False where the C library has no ``mallopt`` (not glibc) or refuses
    the settings."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, 1 << 28)) and bool(mallopt(m_trim_threshold, 1 << 30))


#: The time-varying channels timed beside the static one: (row label, env keywords).
DYNAMIC = (
    ("dynamic, 30 km/h, CSI 1 block late", {"speed_kmh": 30.0}),
    (
        "dynamic, 60 km/h, CSI 2 blocks late, 10 dB pilots",
        {"speed_kmh": 60.0, "csi_delay": 2, "pilot_snr_db": 10.0},
    ),
    (
        "dynamic, 60 km/h, moving receivers, CSI 1 block late",
        {"speed_kmh": 60.0, "moving_receivers": True},
    ),
)


def vector_rate(
    latents: str,
    num_envs: int,
    device: str,
    seconds: float,
    processing: str = "linear",
    **dynamics: float | bool,
) -> tuple[float, float]:
    """(agent-steps/s, minor page faults per step) of the vector env over the timed steps. The
    faults are the kernel mapping fresh pages for temporaries the allocator handed back to it,
    system time on top of the arithmetic (meaningful on the CPU)."""
    venv = InterferenceVecEnv(
        num_envs,
        device=device,
        **SETTING,
        latents=latents,
        max_cycles=10**9,
        processing=processing,
        **dynamics,
    )
    venv.reset(seed=0)
    actions = venv.best_response_actions()
    for _ in range(2):  # warm-up
        venv.step(actions)
        actions = venv.best_response_actions()
    _sync(venv.device)
    faults = _minor_faults()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        venv.step(actions)
        actions = venv.best_response_actions()
        steps += 1
    _sync(venv.device)
    rate = steps * num_envs * venv.n_links / (time.perf_counter() - start)
    return rate, (_minor_faults() - faults) / steps


def lapack_floor_rates(
    num_envs: int, seconds: float, widely_linear: bool = False
) -> tuple[float, float]:
    """Agent-steps/s if a step cost nothing but its per-matrix LAPACK work on the CPU
    (complex64): (the num_envs·L·K Hermitian 8 × 8 eigendecompositions alone, those plus the
    step's two Cholesky factorizations and two triangular solves of the same count — R_n for
    the whitened channel and I + A for the closed-form MSE). Torch runs these one matrix at a
    time; no batching of the rest of the step removes them. ``widely_linear``: the same
    matrices in real-composite form (16 × 16 real, float32), as that processing solves them."""
    from semgym.core import real_composite
    from semgym.core.linalg import cholesky, hermitian_eigh  # the step's LAPACK routines

    gen = torch.Generator().manual_seed(0)
    count = num_envs * SETTING["n_links"] * SETTING["channel_uses"]
    n = SETTING["n_antennas"]
    raw = torch.complex(
        torch.randn(count, n, n, generator=gen), torch.randn(count, n, n, generator=gen)
    )
    matrices = raw @ raw.mH + torch.eye(n)
    if widely_linear:
        raw, matrices = real_composite(raw), real_composite(matrices)

    def eigh_only() -> None:
        hermitian_eigh(matrices)

    def all_lapack() -> None:
        hermitian_eigh(matrices)
        for _ in range(2):
            factor = cholesky(matrices)
            torch.linalg.solve_triangular(factor, raw, upper=False)

    rates = []
    for work in (eigh_only, all_lapack):
        work()
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds or steps < 3:
            work()
            steps += 1
        rates.append(steps * num_envs * SETTING["n_links"] / (time.perf_counter() - start))
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--latents", default="mnist5k")
    parser.add_argument("--max-gpu-envs", type=int, default=262_144)
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [line.split(":", 1)[1].strip() for line in info if "model name" in line]
        cpu = f"{names[0]} ({len(names)} cores)" if names else cpu
    except OSError:
        pass
    print(f"CPU: {cpu}, torch threads: {torch.get_num_threads()}; torch {torch.__version__}")
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name()}")
    print("L=3, N=8, K=10 (M=80), best-response actions; agent-steps/s\n")
    rows: list[tuple[str, float]] = []
    pz = pettingzoo_rate(args.latents, args.seconds)
    rows.append(("PettingZoo env (1 env, float64)", pz))
    dense = dense_rate(args.latents, 64, args.seconds)
    rows.append(("dense path (64 envs, CPU, complex64)", dense))
    for n in (1, 64, 1024):
        rate, linear_faults = vector_rate(args.latents, n, "cpu", args.seconds)
        rows.append((f"vector env ({n} envs, CPU)", rate))
    linear = rows[-1][1]
    dynamic = []
    for label, kwargs in DYNAMIC:
        rate = vector_rate(args.latents, 1024, "cpu", args.seconds, **kwargs)[0]
        rows.append((f"vector env (1024 envs, CPU, {label})", rate))
        dynamic.append((f"{label}, CPU", rate, linear))
    wide, wide_faults = vector_rate(args.latents, 1024, "cpu", args.seconds, "widely_linear")
    rows.append(("vector env (1024 envs, CPU, widely linear)", wide))
    eigh_floor, lapack_floor = lapack_floor_rates(1024, args.seconds)
    rows.append(("(floor: the 8×8 eigensolves alone, 1024 envs, CPU)", eigh_floor))
    rows.append(("(floor: eigensolves + Cholesky + triangular solves, 1024 envs)", lapack_floor))
    wide_eigh_floor, wide_lapack_floor = lapack_floor_rates(1024, args.seconds, widely_linear=True)
    rows.append(("(floor: the 16×16 real eigensolves alone, widely linear)", wide_eigh_floor))
    rows.append(("(floor: those + Cholesky + triangular solves, widely linear)", wide_lapack_floor))
    if torch.cuda.is_available():
        n = 1024
        while n <= args.max_gpu_envs:
            try:
                rate, _ = vector_rate(args.latents, n, "cuda", args.seconds)
            except torch.cuda.OutOfMemoryError:
                print(f"(stopped at {n} envs: out of GPU memory)")
                break
            except ValueError as error:  # the env's own estimate refuses what cannot fit
                print(f"(stopped at {n} envs: {error})")
                break
            rows.append((f"vector env ({n} envs, CUDA)", rate))
            if n == 1024:
                for label, kwargs in DYNAMIC:
                    fading = vector_rate(args.latents, n, "cuda", args.seconds, **kwargs)[0]
                    rows.append((f"vector env ({n} envs, CUDA, {label})", fading))
                    dynamic.append((f"{label}, CUDA", fading, rate))
            if n == 1024:
                wide_gpu, _ = vector_rate(args.latents, n, "cuda", args.seconds, "widely_linear")
                rows.append((f"vector env ({n} envs, CUDA, widely linear)", wide_gpu))
            torch.cuda.empty_cache()
            n *= 4
    else:
        print("(no CUDA device: GPU rows skipped)\n")
    width = max(len(name) for name, _ in rows)
    print(f"{'path':<{width}}  {'agent-steps/s':>14}  {'vs PettingZoo':>13}  {'vs dense':>9}")
    for name, rate in rows:
        print(f"{name:<{width}}  {rate:>14,.0f}  {rate / pz:>12.1f}×  {rate / dense:>8.1f}×")
    print(f"\nwidely linear / linear at 1,024 envs on the CPU: {wide / linear:.2f}×")
    for label, rate, static in dynamic:
        print(f"{label} / static at 1,024 envs: {rate / static:.2f}×")
    print(
        "floors, widely linear / linear: "
        f"{wide_eigh_floor / eigh_floor:.2f}× (eigensolves alone), "
        f"{wide_lapack_floor / lapack_floor:.2f}× (with Cholesky and triangular solves)"
    )
    print(
        "minor page faults per step at 1,024 envs on the CPU: "
        f"{linear_faults:,.0f} linear, {wide_faults:,.0f} widely linear"
    )
    if not keep_freed_memory():
        print("(no glibc mallopt, or it refused: the freed-memory rows are skipped)")
        return
    kept, kept_faults = vector_rate(args.latents, 1024, "cpu", args.seconds)
    kept_wide, kept_wide_faults = vector_rate(
        args.latents, 1024, "cpu", args.seconds, "widely_linear"
    )
    print("\nfreed memory kept (mallopt), 1,024 envs on the CPU:")
    for name, rate, before, faults in (
        ("linear", kept, linear, kept_faults),
        ("widely linear", kept_wide, wide, kept_wide_faults),
    ):
        print(
            f"  {name:<14} {rate:>8,.0f} agent-steps/s  ({rate / before:.2f}× the default"
            f" allocator; {faults:,.0f} minor page faults per step)"
        )
    print(f"  widely linear / linear: {kept_wide / kept:.2f}×")


if __name__ == "__main__":
    main()
