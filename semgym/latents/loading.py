"""``load_bank``: named banks, the on-disk cache, user files."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from semgym._files import exclusive
from semgym.latents.bank import BankFileError, LatentBank, read_bank, verify_checksum, write_bank
from semgym.latents.embedded import RECIPES, build_embedded, recipe_hash, resolve_recipe
from semgym.latents.synthetic import synthetic_bank

logger = logging.getLogger(__name__)

SYNTHETIC = "synthetic"


def available_banks() -> tuple[str, ...]:
    """Names :func:`load_bank` accepts (besides a path to a ``.npz`` bank file)."""
    return (*RECIPES, SYNTHETIC)


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Folder of cached banks: the argument, else ``$SEMGYM_CACHE``, else
    ``$XDG_CACHE_HOME/semgym``, else ``~/.cache/semgym``."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get("SEMGYM_CACHE"):
        return Path(os.environ["SEMGYM_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "semgym"


def cached_bank_path(name: str, cache: Path, digest: str, options: dict[str, Any]) -> Path:
    """``<cache>/latents/<name>.npz`` for the default recipe, ``<name>-<hash>.npz`` otherwise."""
    stem = name if not options else f"{name}-{digest[:12]}"
    return cache / "latents" / f"{stem}.npz"


def _is_path(name: str) -> bool:
    return name.endswith(".npz") or os.sep in name or (os.altsep or os.sep) in name


def load_bank(
    name: str | os.PathLike[str] = "mnist5k",
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    rebuild: bool = False,
    **options: Any,
) -> LatentBank:
    """Load a latent bank by name or path.

    Args:
        name: ``"mnist5k"`` (default), ``"digits"``, ``"synthetic"``, or a path to a
            ``.npz`` bank file (format in :mod:`semgym.latents.bank`).
        cache_dir: folder of cached banks (see :func:`resolve_cache_dir`).
        rebuild: rebuild an embedded bank even if a valid cached copy exists.
        **options: for embedded banks ``encoders`` (subset of names), ``n_samples``
            (class-balanced subset), ``num_threads``, ``progress``; for ``"synthetic"``
            the arguments of :func:`semgym.latents.synthetic_bank`.

    Embedded banks are built on first use and cached (atomic write, sha256 beside the
    file). A cached file that is unreadable, fails its checksum or was built from a
    different recipe (stale) is logged and rebuilt, never used.
    """
    if isinstance(name, os.PathLike) or (isinstance(name, str) and _is_path(name)):
        if options:
            raise ValueError(f"options {sorted(options)} do not apply to a bank file")
        path = Path(name).expanduser()
        if not path.exists():
            raise ValueError(f"bank file {str(path)!r} does not exist")
        digest = verify_checksum(path, required=False)
        return _known_file(read_bank(path), digest)
    if name == SYNTHETIC:
        return synthetic_bank(**options)
    if name not in RECIPES:
        raise ValueError(
            f"unknown bank {name!r}; choose one of {', '.join(map(repr, available_banks()))} "
            "or give a path to a .npz bank file"
        )
    build_options = {k: options.pop(k) for k in ("num_threads", "progress") if k in options}
    encoders = options.pop("encoders", None)
    n_samples = options.pop("n_samples", None)
    if options:
        raise ValueError(
            f"unknown options {sorted(options)} for bank {name!r}; "
            "allowed: encoders, n_samples, num_threads, progress"
        )
    recipe, recipe_options = resolve_recipe(name, encoders=encoders, n_samples=n_samples)
    digest = recipe_hash(recipe, recipe_options)
    path = cached_bank_path(name, resolve_cache_dir(cache_dir), digest, recipe_options)
    with exclusive(path):  # a second process waits for the first one's bank, then reads it
        if path.exists() and not rebuild:
            bank = _read_cached(path, digest)
            if bank is not None:
                return bank
        bank = build_embedded(name, encoders=encoders, n_samples=n_samples, **build_options)
        try:
            write_bank(bank, path)
        except OSError as error:
            logger.warning("could not cache latent bank %s at %s: %s", name, path, error)
    return bank


def _known_file(bank: LatentBank, file_sha256: str) -> LatentBank:
    """``bank`` read from a file whose sha256 was just computed: that digest is its
    fingerprint (no second pass over its arrays)."""
    bank.__dict__["fingerprint"] = f"file:{file_sha256}"
    return bank


def _read_cached(path: Path, digest: str) -> LatentBank | None:
    """The cached bank at ``path`` if valid and built from recipe ``digest``, else None."""
    try:
        file_sha256 = verify_checksum(path, required=True)
        bank = _known_file(read_bank(path), file_sha256)
    except (BankFileError, OSError) as error:
        logger.warning("cached latent bank %s is corrupt (%s); rebuilding", path, error)
        return None
    found = bank.meta.get("recipe_hash")
    if found != digest:
        logger.warning(
            "cached latent bank %s is stale (recipe %s, expected %s); rebuilding",
            path,
            str(found)[:12],
            digest[:12],
        )
        return None
    logger.info("loaded cached latent bank %s", path)
    return bank
