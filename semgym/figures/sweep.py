"""Sweeps as data: a grid of independent points, cached on disk, run locally or on Ray.

A :class:`Point` is one parameter set of a figure (every parameter but the channel seed) and
the name of the *kind* of computation that evaluates it. A kind is a function registered with
:func:`compute_kind`; it takes the point's parameters and a batch of seeds and returns, per
seed, the tidy rows of that point (dicts of scalars), computing the seeds as one batch where
the solvers are batched.

:func:`run_sweep` evaluates a list of points for a list of seeds:

- every (point, seed) is cached as one JSON file named by a hash of the kind, its version, the
  parameters and the seed (:class:`PointCache`); a rerun loads what is there and computes only
  the missing seeds of each point, so an interrupted sweep resumes and a changed parameter
  recomputes;
- ``backend="local"`` runs the points one after another in this process, ``backend="ray"``
  as Ray tasks (a local Ray instance, or the cluster at ``address``), one task per point;
  Ray is imported only then;
- rows come back in the order of the points, then of the seeds, whatever the backend, so the
  local and the Ray path write the same CSV.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from semgym._files import atomic_write, exclusive
from semgym._validation import check_choice
from semgym.scenarios.latents import PROCESSING, cached_bank

logger = logging.getLogger(__name__)

#: Seeds of the reduced ``--quick`` grids (CI).
QUICK_SEEDS = (27, 42)
#: Transceiver processing a sweep accepts: the papers' complex-linear model or widely linear.
PROCESSING_MODES = PROCESSING
#: Where the points run.
BACKENDS = ("local", "ray")
#: Version of what a cached point holds (its rows' columns and meaning): part of every key, so
#: a change of format never serves old rows.
RESULT_FORMAT = 2

Scalar = str | int | float | bool | None
Row = dict[str, Scalar]
ComputeFn = Callable[[Mapping[str, Any], tuple[int, ...]], dict[int, list[Row]]]


def check_processing(processing: object) -> str:
    """``processing`` if it is one of :data:`PROCESSING_MODES`, else a ``ValueError``."""
    if processing not in PROCESSING_MODES:
        raise ValueError(
            f"processing {processing!r} is not available; choose one of "
            f"{', '.join(map(repr, PROCESSING_MODES))}"
        )
    return str(processing)


@dataclass(frozen=True)
class Kind:
    """A registered computation: ``fn(params, seeds) -> {seed: rows}``; ``version`` enters every
    cache key, so bumping it recomputes the cached points of this kind."""

    name: str
    version: int
    fn: ComputeFn


_KINDS: dict[str, Kind] = {}


def compute_kind(name: str, version: int) -> Callable[[ComputeFn], ComputeFn]:
    """Register ``fn`` as the computation ``name`` (decorator)."""

    def register(fn: ComputeFn) -> ComputeFn:
        if name in _KINDS and _KINDS[name].fn is not fn:
            raise ValueError(f"compute kind {name!r} is already registered")
        _KINDS[name] = Kind(name, int(version), fn)
        return fn

    return register


def get_kind(name: str) -> Kind:
    """The registered kind ``name`` (the figure modules register theirs on import)."""
    import semgym.figures  # noqa: F401  (registers every kind, also in a Ray worker)

    if name not in _KINDS:
        raise ValueError(f"unknown compute kind {name!r}; known: {', '.join(sorted(_KINDS))}")
    return _KINDS[name]


def _freeze(name: str, value: Any) -> Scalar | tuple:
    """A JSON-safe, hashable parameter value (lists become tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(name, v) for v in value)
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"parameter {name} must be finite, got {value!r}")
        return value
    raise ValueError(f"parameter {name} must be a str, int, float, bool or a tuple of them")


@dataclass(frozen=True)
class Point:
    """One grid point: the kind of computation and its parameters (all but the seed).

    Build with :meth:`make`; ``params`` are sorted (name, value) pairs, values JSON scalars or
    tuples of them. Points with equal kind and parameters are the same point (shared between
    figures and cached once).
    """

    kind: str
    params: tuple[tuple[str, Any], ...]

    @classmethod
    def make(cls, kind: str, **params: Any) -> Point:
        """The point of ``kind`` with ``params`` (``processing`` is required and checked)."""
        if "processing" not in params:
            raise ValueError("every point needs a processing mode (parameter 'processing')")
        check_processing(params["processing"])
        frozen = tuple(sorted((k, _freeze(k, v)) for k, v in params.items()))
        return cls(kind, frozen)

    @property
    def param_dict(self) -> dict[str, Any]:
        """The parameters as a dict."""
        return dict(self.params)

    def key(self, seed: int) -> str:
        """Hash of everything the point's rows depend on: the kind and its version, the result
        format, the content of its latent bank (not its name: a replaced or rebuilt bank file
        is another key), the parameters and the seed. The cache file's name."""
        bank = self.param_dict.get("bank")
        blob = json.dumps(
            {
                "kind": self.kind,
                "version": get_kind(self.kind).version,
                "format": RESULT_FORMAT,
                "bank": None if bank is None else cached_bank(str(bank)).fingerprint,
                "params": [[k, v] for k, v in self.params],
                "seed": int(seed),
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


class PointCache:
    """Rows of (point, seed) as JSON files under ``root/<kind>/<key>.json``.

    Written atomically, each with the sha256 of its key and rows inside; read back only when
    the file is a JSON object of this key whose rows match their checksum. A damaged, edited,
    foreign or unreadable file is recomputed with a warning; a cache folder that cannot be
    written to is warned about and the sweep goes on without it.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()

    def path(self, point: Point, seed: int) -> Path:
        """The cache file of ``point`` at ``seed``."""
        return self.root / point.kind / f"{point.key(seed)}.json"

    def claim(self, point: Point) -> contextlib.AbstractContextManager[None]:
        """Hold ``point``'s lock while its missing seeds are computed and stored: a second
        process sweeping the same point waits, then finds the rows instead of computing them
        again."""
        return exclusive(self.root / point.kind / f"{point.key(-1)}.point")

    @staticmethod
    def _digest(key: str, rows: list[Row]) -> str:
        canonical = json.dumps({"key": key, "rows": rows}, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def load(self, point: Point, seed: int) -> list[Row] | None:
        """The cached rows, or None (nothing cached, or nothing that can be trusted)."""
        path, key = self.path(point, seed), point.key(seed)
        try:
            blob = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            logger.warning("recomputing cached point %s: unreadable (%s)", path, error)
            return None
        if not isinstance(blob, dict) or blob.get("key") != key:
            logger.warning("recomputing cached point %s: it belongs to another point", path)
            return None
        rows = blob.get("rows")
        if not isinstance(rows, list) or blob.get("sha256") != self._digest(key, rows):
            logger.warning("recomputing cached point %s: its rows fail their checksum", path)
            return None
        return rows

    def store(self, point: Point, seed: int, rows: list[Row]) -> None:
        """Write the rows of ``point`` at ``seed`` (atomically, checksummed); an unwritable
        cache is logged and skipped."""
        path, key = self.path(point, seed), point.key(seed)
        blob = {
            "key": key,
            "kind": point.kind,
            "params": [[k, v] for k, v in point.params],
            "seed": int(seed),
            "rows": rows,
            "sha256": self._digest(key, rows),
        }
        try:
            atomic_write(path, lambda handle: handle.write(json.dumps(blob).encode()))
        except OSError as error:
            logger.warning("could not cache point %s (%s); going on without it", path, error)


#: Torch threads per point. One: the points' matrices are small, and on a shared CPU
#: multi-threaded BLAS ran them up to 13× slower than one thread (measured on 2 busy cores);
#: parallelism comes from running points side by side (Ray).
THREADS_PER_POINT = 1


@contextlib.contextmanager
def point_threads() -> Iterator[None]:
    """Run the enclosed code with :data:`THREADS_PER_POINT` torch and BLAS threads (numpy's
    BLAS through threadpoolctl, a scikit-learn dependency), restoring them after: BLAS results
    can differ in their last bits with the thread count, so every point computes alike."""
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS_PER_POINT)
    try:
        with threadpool_limits(limits=THREADS_PER_POINT):
            yield
    finally:
        torch.set_num_threads(threads)


def compute_point(kind: str, params: Mapping[str, Any], seeds: Sequence[int]) -> dict[int, list]:
    """Evaluate one point for a batch of seeds (in this process or a Ray worker), under
    :func:`point_threads` (so both paths compute with the same threads)."""
    seeds = tuple(int(s) for s in seeds)
    with point_threads():
        result = get_kind(kind).fn(dict(params), seeds)
    if set(result) != set(seeds):
        raise RuntimeError(f"kind {kind!r} returned seeds {sorted(result)}, expected {seeds}")
    return {s: result[s] for s in seeds}


@dataclass
class SweepStats:
    """What :func:`run_sweep` did: points computed (tasks run), seeds computed, seeds cached."""

    computed_points: int = 0
    computed_seeds: int = 0
    cached_seeds: int = 0
    tasks: list[tuple[Point, tuple[int, ...]]] = field(default_factory=list)


def _unique(points: Sequence[Point]) -> list[Point]:
    seen: dict[Point, None] = {}
    for p in points:
        seen.setdefault(p, None)
    return list(seen)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "--ray needs Ray core: pip install 'semgym[ray]' (or ray==2.60.0)"
        ) from error
    return ray


def _run_on_ray(
    tasks: list[tuple[Point, tuple[int, ...]]],
    done: Callable[[Point, dict[int, list[Row]]], None],
    *,
    address: str | None,
    bar: tqdm,
) -> None:
    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
        if address is not None:
            kwargs["address"] = address
        ray.init(**kwargs)
        started = True
    try:
        remote = ray.remote(num_cpus=1)(compute_point)
        pending = {
            remote.remote(point.kind, point.param_dict, seeds): point for point, seeds in tasks
        }
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                point = pending.pop(ref)
                done(point, ray.get(ref))
                bar.update(1)
    finally:
        if started:
            ray.shutdown()


def run_sweep(
    points: Sequence[Point],
    seeds: Sequence[int],
    cache: PointCache,
    *,
    backend: str = "local",
    address: str | None = None,
    progress: bool = True,
    desc: str = "points",
) -> tuple[list[Row], SweepStats]:
    """Rows of every point at every seed (point order, then seed order) and what was computed.

    Cached (point, seed) pairs are loaded; each point's missing seeds are computed as one batch
    (one task) and stored as soon as that point finishes.
    """
    backend = check_choice("backend", backend, BACKENDS)
    if address is not None and backend != "ray":
        raise ValueError("address is only used with backend='ray'")
    seeds = tuple(dict.fromkeys(int(s) for s in seeds))
    if not seeds:
        raise ValueError("seeds must name at least one channel seed")
    points = _unique(points)
    results: dict[tuple[Point, int], list[Row]] = {}
    stats = SweepStats()
    for point in points:
        missing = []
        for seed in seeds:
            rows = cache.load(point, seed)
            if rows is None:
                missing.append(seed)
            else:
                results[point, seed] = rows
                stats.cached_seeds += 1
        if missing:
            stats.tasks.append((point, tuple(missing)))

    def done(point: Point, by_seed: dict[int, list[Row]]) -> None:
        for seed, rows in by_seed.items():
            cache.store(point, seed, rows)
            results[point, seed] = rows
        stats.computed_points += 1
        stats.computed_seeds += len(by_seed)

    with tqdm(total=len(stats.tasks), desc=desc, disable=not progress, leave=False) as bar:
        if backend == "ray" and stats.tasks:
            _run_on_ray(stats.tasks, done, address=address, bar=bar)
        else:
            for point, missing in stats.tasks:
                with cache.claim(point):
                    ready = {s: rows for s in missing if (rows := cache.load(point, s)) is not None}
                    results.update({(point, s): rows for s, rows in ready.items()})
                    stats.cached_seeds += len(ready)
                    left = tuple(s for s in missing if s not in ready)
                    if left:
                        done(point, compute_point(point.kind, point.param_dict, left))
                bar.update(1)
    rows = [row for point in points for seed in seeds for row in results[point, seed]]
    return rows, stats
