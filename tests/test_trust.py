"""Caches and inputs that can be trusted: no silently wrong result, no failure that names
nothing. One test per case a careful user tried (damaged and raced caches, wrong types and
sizes, extreme numbers, the command line)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import semgym  # noqa: F401  (registers the ids)
from semgym import broadcast_v0, interference_v0
from semgym.cli import main
from semgym.figures import Point, PointCache, run_sweep
from semgym.latents import load_bank, make_bank, save_bank, synthetic_bank
from semgym.latents.bank import checksum_path, read_bank, verify_checksum
from semgym.policies import Learned
from semgym.scenarios.latents import cached_bank
from semgym.vector import InterferenceVecEnv

SMALL = {"latents": "synthetic", "n_antennas": 2, "channel_uses": 2}


# --- 1, 2. figure points keyed by content, verified ---------------------------------------------
def _point(bank: str) -> Point:
    return Point.make(
        "interference_final",
        bank=bank,
        processing="linear",
        n_antennas=2,
        channel_uses=2,
        alphas=(3.0,),
        iterations=2,
        methods=("game_jacobi",),
    )


def _sweep(point: Point, cache: PointCache) -> tuple[list, object]:
    return run_sweep([point], seeds=(27,), cache=cache, progress=False)


def _new_process_caches() -> None:
    """What a new process starts with: no bank, pair or figure-library memo."""
    from semgym.figures import _library

    cached_bank.cache_clear()
    _library.clear_caches()


def test_replacing_a_bank_file_changes_the_figure(tmp_path: Path) -> None:
    path = tmp_path / "my.npz"
    save_bank(synthetic_bank(seed=0), path)
    cache = PointCache(tmp_path / "points")
    _new_process_caches()
    first, stats = _sweep(_point(str(path)), cache)
    assert stats.computed_seeds == 1
    save_bank(synthetic_bank(seed=1), path)  # another bank behind the same name
    _new_process_caches()
    second, stats = _sweep(_point(str(path)), cache)
    assert stats.computed_seeds == 1 and stats.cached_seeds == 0
    assert [r.get("mse") for r in first] != [r.get("mse") for r in second]
    _new_process_caches()
    _, stats = _sweep(_point(str(path)), cache)  # unchanged file: served from the cache
    assert stats.cached_seeds == 1


def test_a_cached_point_that_was_edited_is_recomputed(tmp_path: Path, caplog) -> None:
    cache = PointCache(tmp_path / "points")
    point = _point("synthetic")
    rows, _ = _sweep(point, cache)
    path = cache.path(point, 27)
    for edit in ("number", "nan", "column", "not an object", "not json"):
        blob = json.loads(path.read_text())
        if edit == "number":
            blob["rows"][0]["mse"] = blob["rows"][0]["mse"] * 0.5
            path.write_text(json.dumps(blob))
        elif edit == "nan":
            blob["rows"][0]["mse"] = float("nan")
            path.write_text(json.dumps(blob))
        elif edit == "column":
            del blob["rows"][0]["mse"]
            path.write_text(json.dumps(blob))
        elif edit == "not an object":
            path.write_text(json.dumps([1, 2, 3]))
        else:
            path.write_text("{not json")
        with caplog.at_level("WARNING", logger="semgym.figures"):
            again, stats = _sweep(point, cache)
        assert stats.computed_seeds == 1, edit
        assert json.dumps(again) == json.dumps(rows), edit
    assert caplog.text.count("recomputing cached point") >= 5


def test_an_unwritable_figure_cache_warns_and_goes_on(tmp_path: Path, caplog) -> None:
    blocked = tmp_path / "points"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level("WARNING", logger="semgym.figures"):
        rows, stats = _sweep(_point("synthetic"), PointCache(blocked))
    assert rows and stats.computed_seeds == 1 and "could not cache" in caplog.text


def test_two_sweeps_of_one_point_compute_it_once(tmp_path: Path, monkeypatch) -> None:
    """Two sweeps of the same point at once (threads here; processes alike: the lock is a
    file lock): one computes it, the other waits and reads its rows."""
    import threading

    from semgym.figures import sweep

    compute = sweep.compute_point
    calls = []

    def slow(*args, **kwargs):
        calls.append(1)
        time.sleep(0.5)
        return compute(*args, **kwargs)

    monkeypatch.setattr(sweep, "compute_point", slow)
    cache, point, out = PointCache(tmp_path / "points"), _point("synthetic"), []
    threads = [threading.Thread(target=lambda: out.append(_sweep(point, cache))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and json.dumps(out[0][0]) == json.dumps(out[1][0])
    assert sorted(stats.computed_seeds for _, stats in out) == [0, 1]


def test_an_unwritable_cache_folder_costs_only_time(tmp_path: Path, monkeypatch, caplog) -> None:
    """Prepared pairs that cannot be cached are computed, with a warning."""
    from semgym.scenarios import latents

    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("SEMGYM_CACHE", str(blocked))
    with caplog.at_level("WARNING", logger="semgym.scenarios"):
        link = latents._prepare("synthetic", "tx", "rx", None, False, "linear")
    assert link.pair.stats.tx_dim > 0 and "could not cache the pair" in caplog.text


def test_a_full_disk_while_caching_a_pair_costs_only_time(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    """A disk that fills up in the middle of a cache write: the pair is computed and returned,
    a warning names it, and no partial file is left behind."""
    import errno

    from semgym import _files
    from semgym.scenarios import latents

    class FullDisk:
        def __init__(self, handle) -> None:
            self.handle, self.room = handle, 4096

        def write(self, data) -> int:
            if len(data) > self.room:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.room -= len(data)
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

    real_fdopen = os.fdopen
    monkeypatch.setattr(_files.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    monkeypatch.setenv("SEMGYM_CACHE", str(tmp_path))
    with caplog.at_level("WARNING", logger="semgym.scenarios"):
        link = latents._prepare("synthetic", "tx", "rx", None, False, "linear")
    assert link.pair.stats.tx_dim > 0 and "No space left" in caplog.text
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".lock"]


# --- 3. wrong types and values are named -------------------------------------------------------
@pytest.mark.parametrize("value", ["False", 0, 1, None, "yes"])
def test_info_accuracy_must_be_a_real_boolean(value) -> None:
    with pytest.raises(ValueError, match="info_accuracy"):
        interference_v0.parallel_env(**SMALL, info_accuracy=value)


@pytest.mark.parametrize("seed", ["12", [1.9, 2.2], 1.5, 2**64, -1, True, {"a": 1}])
def test_vector_env_seeds_must_be_integers(seed) -> None:
    venv = InterferenceVecEnv(2, **SMALL)
    with pytest.raises(ValueError, match="seed"):
        venv.reset(seed=seed)


@pytest.mark.parametrize("seed", ["12", 1.5, 2**64, -1, True])
def test_single_env_seeds_must_be_integers(seed) -> None:
    with pytest.raises(ValueError, match="seed"):
        interference_v0.parallel_env(**SMALL).reset(seed=seed)
    import gymnasium as gym

    with pytest.raises(ValueError, match="seed"):
        gym.make("semgym/Interference-v0", **SMALL).reset(seed=seed)


@pytest.mark.parametrize("mask", [[0.1, 0.0], [-1, 0], [float("nan"), 0.0], [1, 0], "10"])
def test_reset_masks_must_hold_booleans(mask) -> None:
    venv = InterferenceVecEnv(2, **SMALL)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="reset_mask"):
        venv.reset(options={"reset_mask": mask})
    venv.reset(options={"reset_mask": [True, False]})
    venv.reset(options={"reset_mask": torch.tensor([False, True])})


def _bank_arrays(seed: int = 0) -> dict:
    bank = synthetic_bank(seed=seed)
    return {
        "latents": dict(bank.latents),
        "labels": bank.labels,
        "train_index": bank.train_index,
        "test_index": bank.test_index,
    }


def test_a_user_bank_with_fractional_rows_or_unseen_test_classes_is_refused() -> None:
    arrays = _bank_arrays()
    fractional = arrays["train_index"].astype(np.float64)
    fractional[0] += 0.5
    with pytest.raises(ValueError, match="train_index"):
        make_bank("mine", arrays["latents"], arrays["labels"], fractional, arrays["test_index"])
    labels = arrays["labels"].copy()
    labels[arrays["test_index"][0]] = int(labels.max()) + 5  # a class the train split lacks
    with pytest.raises(ValueError, match="test split"):
        make_bank("mine", arrays["latents"], labels, arrays["train_index"], arrays["test_index"])
    integral = arrays["train_index"].astype(np.float64)  # integers stored as floats are fine
    make_bank("mine", arrays["latents"], arrays["labels"], integral, arrays["test_index"])


# --- 4, 8. concurrent writers, killed writers ----------------------------------------------------
def _save_rounds(path: str, rounds: int, seed: int, barrier, done) -> None:
    bank = synthetic_bank(seed=seed, n_samples=200)
    for _ in range(rounds):
        barrier.wait()
        save_bank(bank, path)
        done.wait()


def test_two_processes_saving_one_bank_leave_it_consistent(tmp_path: Path) -> None:
    """200 rounds of two processes saving different banks to one path at the same moment:
    after every round the file and its checksum come from the same writer."""
    context = multiprocessing.get_context("fork")
    path, rounds = str(tmp_path / "shared.npz"), 200
    start, done = context.Barrier(3), context.Barrier(3)
    writers = [
        context.Process(target=_save_rounds, args=(path, rounds, seed, start, done))
        for seed in (0, 1)
    ]
    for w in writers:
        w.start()
    try:
        for _ in range(rounds):
            start.wait(timeout=60)
            done.wait(timeout=60)
            verify_checksum(path, required=True)  # raises on a mixed pair
            read_bank(path)
    finally:
        for w in writers:
            w.join(timeout=60)
    assert all(w.exitcode == 0 for w in writers)
    assert not list(tmp_path.glob("*.tmp"))


def _write_big_bank(path: str) -> None:
    bank = synthetic_bank(seed=0, n_samples=20_000, tx_dim=512, rx_dim=512)
    save_bank(bank, path)


def test_killed_writers_leave_no_temporary_files_after_the_next_run(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    path = tmp_path / "killed.npz"
    killed = 0
    for _ in range(8):
        writer = context.Process(target=_write_big_bank, args=(str(path),))
        writer.start()
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".killed.npz.*.tmp")) and time.monotonic() < deadline:
            if not writer.is_alive():
                break
            time.sleep(0.005)
        if writer.is_alive():
            os.kill(writer.pid, signal.SIGKILL)
            killed += 1
        writer.join()
    assert killed >= 6  # the writers were killed while writing
    save_bank(synthetic_bank(seed=2, n_samples=200), path)  # the next run
    assert not list(tmp_path.glob("*.tmp")), list(tmp_path.iterdir())
    verify_checksum(path, required=True)


# --- 5. failures name what failed --------------------------------------------------------------
def test_a_damaged_checksum_file_rebuilds_instead_of_crashing(tmp_path: Path, caplog) -> None:
    bank = load_bank("digits", cache_dir=tmp_path, encoders=["mlp"], progress=False)
    path = next((tmp_path / "latents").glob("digits-*.npz"))
    checksum_path(path).write_bytes(b"\xff\xfe not a digest")
    with caplog.at_level("WARNING", logger="semgym.latents"):
        again = load_bank("digits", cache_dir=tmp_path, encoders=["mlp"], progress=False)
    assert "corrupt" in caplog.text
    np.testing.assert_array_equal(again.latents["mlp"], bank.latents["mlp"])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["figures", "interference-fig2", "--convention", "noise_shrinks_with_K"], "convention"),
        (["figures", "interference-fig2", "--convention", "transmit_f"], "offered"),
        (["figures", "report", "--out", "FILE"], "--out"),
        (["figures", "report", "--report", "DIR"], "--report"),
        (["figures", "nope"], "unknown figure"),
        (["figures", "report", "--out", "DIR", "--report", "DIR/report.md"], "no figure CSVs"),
        (["latents", "ceilings", "nope"], "unknown bank"),
        (["latents", "info", "nope"], "unknown bank"),
    ],
)
def test_cli_mistakes_are_one_line_naming_the_argument(argv, words, tmp_path, capsys) -> None:
    (tmp_path / "FILE").write_text("")
    (tmp_path / "DIR").mkdir()
    argv = [str(tmp_path / a) if a.startswith(("FILE", "DIR")) else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "Traceback" not in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize(
    "argv",
    [
        ["latents", "ceilings", "--rank", "0"],
        ["demo", "--n-antennas", "0"],
        ["demo", "--alpha", "-1"],
        ["demo", "--seed", "1.5"],
        ["figures", "all", "--seeds", "x"],
    ],
)
def test_cli_bad_numbers_are_refused_by_the_parser(argv, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err


def test_cli_debug_shows_the_traceback() -> None:
    with pytest.raises(ValueError, match="unknown bank"):
        main(["--debug", "latents", "ceilings", "nope"])


@pytest.mark.parametrize("payload", ["list", "missing", "format", "garbage"])
def test_malformed_checkpoints_name_the_file(payload: str, tmp_path: Path) -> None:
    name = Learned.available()[0]
    shipped = Learned._root() / f"{name}.pt"
    path = tmp_path / "policy.pt"
    path.with_suffix(".json").write_text(shipped.with_suffix(".json").read_text())
    stored = torch.load(shipped, weights_only=True)
    if payload == "list":
        torch.save([1, 2, 3], path)
    elif payload == "missing":
        torch.save({k: v for k, v in stored.items() if k != "weights"}, path)
    elif payload == "format":
        torch.save({**stored, "format": 99}, path)
    else:
        path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"policy\.pt"):
        Learned.load(path)
    path.with_suffix(".json").write_text("[1, 2]")
    torch.save(stored, path)
    with pytest.raises(ValueError, match=r"policy\.json"):
        Learned.load(path)


# --- 6. numbers beyond what a dtype computes exactly, and absurd values -------------------------
def test_signals_beyond_the_dtype_range_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match=r"snr_db.*float32.*float64"):
        InterferenceVecEnv(2, **SMALL, snr_db=80.0)
    with pytest.raises(ValueError, match=r"snr_db.*float32"):
        interference_v0.parallel_env(**SMALL, snr_db=90.0, dtype="float32")
    with pytest.raises(ValueError, match=r"snr_db.*float64"):
        interference_v0.parallel_env(**SMALL, snr_db=180.0)
    with pytest.raises(ValueError, match="tx_power_w"):
        interference_v0.parallel_env(**SMALL, tx_power_w=1e9, dtype="float32")
    with pytest.raises(ValueError, match=r"snr_db.*float32"):
        broadcast_v0.parallel_env(latents="synthetic", snr_db=80.0, dtype="float32")
    for bad in ({"alpha": 1e308}, {"tx_power_w": 1e300}, {"snr_db": 1e6}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            interference_v0.parallel_env(**SMALL, **bad)


def test_the_largest_allowed_signal_steps_finely() -> None:
    """At the limit the step is exact: finite observations and rewards, float32 and float64,
    with close interferers (the hardest case measured)."""
    for dtype, snr in (("float32", 60.0), ("float64", 140.0)):
        venv = InterferenceVecEnv(
            3,
            latents="synthetic",
            n_antennas=8,
            channel_uses=10,
            alpha=0.5,
            snr_db=snr,
            dtype=dtype,
        )
        venv.reset(seed=0)
        for _ in range(3):
            obs, rewards, *_ = venv.step(venv.best_response_actions())
            assert torch.isfinite(obs).all() and torch.isfinite(rewards).all()


# --- 7. sizes are refused before anything is allocated -----------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: interference_v0.parallel_env(latents="synthetic", n_links=10_000),
        lambda: interference_v0.parallel_env(latents="synthetic", n_rx_antennas=10_000),
        lambda: interference_v0.parallel_env(latents="synthetic", primary_users=10**6),
        lambda: InterferenceVecEnv(10**6),
        lambda: InterferenceVecEnv(1e12),
    ],
    ids=["links", "antennas", "primaries", "envs", "1e12-envs"],
)
def test_absurd_sizes_are_refused_at_once_with_the_estimate(make) -> None:
    cached_bank("synthetic"), cached_bank("mnist5k")  # the banks are not what is timed
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"need about [\d.e+]+ GB .*SEMGYM_MEMORY_LIMIT_GB"):
        make()
    assert time.perf_counter() - start < 1.0


def test_the_memory_limit_can_be_raised_and_lowered(monkeypatch) -> None:
    monkeypatch.setenv("SEMGYM_MEMORY_LIMIT_GB", "0.000001")
    with pytest.raises(ValueError, match="SEMGYM_MEMORY_LIMIT_GB"):
        InterferenceVecEnv(4, **SMALL)
    monkeypatch.setenv("SEMGYM_MEMORY_LIMIT_GB", "nope")
    with pytest.raises(ValueError, match="SEMGYM_MEMORY_LIMIT_GB"):
        InterferenceVecEnv(4, **SMALL)
    monkeypatch.setenv("SEMGYM_MEMORY_LIMIT_GB", "100")
    InterferenceVecEnv(4, **SMALL)


def test_a_closed_vector_env_refuses_to_step() -> None:
    venv = InterferenceVecEnv(2, **SMALL)
    venv.reset(seed=0)
    actions = venv.best_response_actions()
    venv.close()
    with pytest.raises(RuntimeError, match="closed"):
        venv.step(actions)
    with pytest.raises(RuntimeError, match="closed"):
        venv.reset(seed=0)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_the_estimate_is_within_a_small_factor_of_what_a_step_uses() -> None:
    """The memory estimate against the resident memory a batch of 1,024 paper-size envs adds
    in a fresh process (its peak, after a reset and two steps)."""
    probe = """
import torch
from semgym.scenarios.latents import cached_bank
from semgym.vector import InterferenceVecEnv


def status(key):  # kB
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(key))


torch.set_num_threads(1)
cached_bank("synthetic")
before = status("VmRSS:")
venv = InterferenceVecEnv(1024, latents="synthetic")
venv.reset(seed=0)
for _ in range(2):
    venv.step(venv.best_response_actions())
print((status("VmHWM:") - before) * 1024, venv.config.bytes_per_env() * 1024)
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=600
    )
    used, estimated = (float(x) for x in out.stdout.split())
    assert used / 4 <= estimated <= used * 4, (used, estimated)
