"""Latent pairs of the scenarios: which encoders talk, their statistics and test latents.

Semantic statistics depend on the latent pair only, so they are prepared once per (bank, tx,
rx) (and pilot fraction for the downlink) and shared by every episode: in memory for the
process, and on disk beside the banks (``<cache>/pairs``), so that a new process (a spawned
worker, the next script) reads them instead of computing their SVDs again. A cached pair is
keyed by the bank's content (:attr:`~semgym.latents.LatentBank.fingerprint`), the pair, its
preparation, the file format and torch's version; it is written atomically under a file lock
with its sha256 beside it, verified when read, and recomputed (with a warning) when anything
does not match. An unwritable cache folder only costs the time.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import itertools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from semgym import core
from semgym._files import atomic_write, exclusive, read_checksum, sha256_file, write_checksum
from semgym.latents import LatentBank, load_bank, paper_links, resolve_cache_dir

logger = logging.getLogger(__name__)

_REAL = torch.float64
#: Version of the prepared-pair cache files (part of every key).
PAIR_CACHE_VERSION = 1

#: Default AP and user groups of the embedded banks (federated paper Table I: a 192-d AP,
#: heterogeneous users of different architectures; the homogeneous group runs the first).
EMBEDDED_AP = "resnet10t"
EMBEDDED_USERS = ("levit_128s", "mlp", "effnet_lite0")
#: User groups of the downlink.
USER_GROUPS = ("heterogeneous", "homogeneous")
#: Transceiver processing: the papers' complex-linear F, G on the packed symbols, or
#: widely-linear ones (any real-linear map of the real-composite latent; https://semgym.readthedocs.io/en/latest/design/).
PROCESSING = ("linear", "widely_linear")


@functools.lru_cache(maxsize=8)
def cached_bank(name: str) -> LatentBank:
    """The latent bank ``name`` (the envs' ``latents`` argument), loaded once per process; a
    name or file that is not a bank raises ``ValueError`` naming ``latents``."""
    try:
        return load_bank(name)
    except ValueError as error:
        raise ValueError(f"latents: {error}") from None


@dataclass(frozen=True, eq=False)
class LatentLink:
    """One transmitter → receiver latent pair, prepared.

    Attributes:
        bank: the bank's name. tx, rx: encoder names.
        pair: :class:`~semgym.core.SemanticPair` of the train split (or its pilot share).
        test_symbols: the transmitter's whitened test symbols, (n_test, d_x): complex128
            packed symbols, or float64 real ones for widely-linear processing.
    """

    bank: str
    tx: str
    rx: str
    pair: core.SemanticPair
    test_symbols: Tensor

    @property
    def native_accuracy(self) -> float:
        """The receiver head's test accuracy on its own latents: the ceiling."""
        return float(cached_bank(self.bank).native_accuracy[self.rx])

    def accuracy(self, estimates: Tensor) -> float:
        """Test accuracy of the receiver's head on estimated targets (n_test, d_y), de-whitened
        into its latent space."""
        bank = cached_bank(self.bank)
        return float(bank.accuracy(self.rx, self.pair.rx_latents(estimates), bank.test_labels))


def _prepare(
    bank_name: str, tx: str, rx: str, n_pilots: int | None, whiten: bool, processing: str
) -> LatentLink:
    """The prepared pair: from the disk cache when a valid entry exists, else computed (and
    cached)."""
    bank = cached_bank(bank_name)
    key = {
        "bank": bank.fingerprint,
        "tx": tx,
        "rx": rx,
        "n_pilots": n_pilots,
        "whiten_targets": whiten,
        "processing": processing,
        "version": PAIR_CACHE_VERSION,
        "torch": torch.__version__,
    }
    text = json.dumps(key, sort_keys=True)
    path = resolve_cache_dir() / "pairs" / f"{hashlib.sha256(text.encode()).hexdigest()}.pt"
    with exclusive(path):
        link = _read_pair(path, text, bank_name, tx, rx)
        if link is None:
            link = _compute_pair(bank, bank_name, tx, rx, n_pilots, whiten, processing)
            _write_pair(path, text, link)
    return link


def _compute_pair(
    bank: LatentBank,
    bank_name: str,
    tx: str,
    rx: str,
    n_pilots: int | None,
    whiten: bool,
    processing: str,
) -> LatentLink:
    tx_train = torch.as_tensor(bank.train(tx), dtype=_REAL)
    rx_train = torch.as_tensor(bank.train(rx), dtype=_REAL)
    if n_pilots is not None:
        tx_train, rx_train = tx_train[:n_pilots], rx_train[:n_pilots]
    pair = core.prepare_pair(
        tx_train, rx_train, whiten_targets=whiten, widely_linear=processing == "widely_linear"
    )
    test = pair.tx_symbols(torch.as_tensor(bank.test(tx), dtype=_REAL))
    return LatentLink(bank_name, tx, rx, pair, test)


_STATS = [f.name for f in dataclasses.fields(core.SemanticStatistics)]


def _write_pair(path: Path, key: str, link: LatentLink) -> None:
    """Cache ``link`` at ``path`` (atomic, checksummed); an unwritable folder is logged."""
    pair = link.pair
    content = {
        "key": key,
        "tensors": {
            "tx_mean": pair.tx_whitener.mean,
            "tx_factor": pair.tx_whitener.factor,
            "rx_mean": pair.rx_whitener.mean,
            "rx_factor": pair.rx_whitener.factor,
            "test_symbols": link.test_symbols,
            **{f"stats.{name}": getattr(pair.stats, name) for name in _STATS},
        },
        "flags": [
            pair.tx_whitener.identity,
            pair.rx_whitener.identity,
            pair.widely_linear,
            pair.tx_real_dim,
            pair.rx_real_dim,
        ],
    }
    # serialized in memory first: a full disk then fails the plain write with an OSError
    # (torch.save streaming into the file reports it as an unrelated RuntimeError)
    buffer = io.BytesIO()
    torch.save(content, buffer)
    try:
        write_checksum(path, atomic_write(path, lambda handle: handle.write(buffer.getvalue())))
    except OSError as error:
        logger.warning("could not cache the pair %s → %s at %s: %s", link.tx, link.rx, path, error)


def _read_pair(path: Path, key: str, bank_name: str, tx: str, rx: str) -> LatentLink | None:
    """The cached pair at ``path`` if it is there, intact and of ``key``, else None (logged
    when a file was there but could not be used)."""
    if not path.exists():
        return None
    try:
        if read_checksum(path) != sha256_file(path):
            raise ValueError("checksum mismatch")
        content = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(content, dict) or content.get("key") != key:
            raise ValueError("another pair's entry")
        t = content["tensors"]
        tx_identity, rx_identity, widely_linear, tx_dim, rx_dim = content["flags"]
        stats = core.SemanticStatistics(**{name: t[f"stats.{name}"] for name in _STATS})
        pair = core.SemanticPair(
            core.Whitener(t["tx_mean"], t["tx_factor"], bool(tx_identity)),
            core.Whitener(t["rx_mean"], t["rx_factor"], bool(rx_identity)),
            stats,
            int(tx_dim),
            int(rx_dim),
            bool(widely_linear),
        )
        return LatentLink(bank_name, tx, rx, pair, t["test_symbols"])
    except Exception as error:  # unreadable, foreign or malformed: recompute
        logger.warning("cached pair %s is not usable (%s); recomputing", path, error)
        return None


@functools.lru_cache(maxsize=64)
def latent_link(bank_name: str, tx: str, rx: str, processing: str = "linear") -> LatentLink:
    """An interference link's pair on the whole train split (targets centered)."""
    return _prepare(bank_name, tx, rx, None, whiten=False, processing=processing)


@functools.lru_cache(maxsize=64)
def downlink_user(
    bank_name: str, ap: str, user: str, n_pilots: int, processing: str = "linear"
) -> LatentLink:
    """A downlink user's pair on the first ``n_pilots`` train samples, targets pre-whitened
    (privacy, federated paper §III-B)."""
    return _prepare(bank_name, ap, user, n_pilots, whiten=True, processing=processing)


def check_encoders(bank_name: str, field: str, names: Sequence[str]) -> None:
    """Raise ``ValueError`` naming ``field`` unless every name is an encoder of the bank."""
    bank = cached_bank(bank_name)
    for name in names:
        if name not in bank.encoders:
            raise ValueError(
                f"unknown encoder {name!r} in {field}; bank {bank_name!r} has "
                f"{', '.join(bank.encoders)}"
            )


def interference_links(
    bank_name: str,
    n_links: int,
    tx_encoders: Sequence[str] | None,
    rx_encoders: Sequence[str] | None,
) -> tuple[tuple[str, str], ...]:
    """(tx, rx) encoder names per link: given ones, else the bank's paper links cycled."""
    default = paper_links(cached_bank(bank_name))
    tx = (
        list(tx_encoders)
        if tx_encoders is not None
        else [default[i % 3][0] for i in range(n_links)]
    )
    rx = (
        list(rx_encoders)
        if rx_encoders is not None
        else [default[i % 3][1] for i in range(n_links)]
    )
    for field, names in (("tx_encoders", tx), ("rx_encoders", rx)):
        if isinstance(names, str) or len(names) != n_links:
            raise ValueError(f"{field} must name one encoder per link ({n_links}), got {names!r}")
        check_encoders(bank_name, field, names)
    return tuple(zip(tx, rx, strict=True))


def heterogeneous_pairs(bank_name: str, min_symbols: int = 1) -> tuple[tuple[str, str], ...]:
    """Every ordered (tx, rx) pair of two different encoders of the bank whose transmitter
    carries at least ``min_symbols`` complex symbols (half its latent width), in bank order;
    ``ValueError`` naming ``latents`` when none does."""
    bank = cached_bank(bank_name)
    pairs = tuple(
        (tx, rx)
        for tx, rx in itertools.permutations(bank.encoders, 2)
        if bank.train(tx).shape[-1] // 2 >= min_symbols
    )
    if not pairs:
        raise ValueError(
            f"latents: bank {bank_name!r} has no pair of different encoders whose transmitter "
            f"carries {min_symbols} symbols; lower channel_uses or the number of antennas"
        )
    return pairs


def downlink_encoders(
    bank_name: str,
    n_users: int,
    group: str,
    ap_encoder: str | None = None,
    user_encoders: Sequence[str] | None = None,
) -> tuple[str, tuple[str, ...]]:
    """(AP encoder, user encoders) of a downlink, documented in the broadcast env's manual:
    explicit ones, else the user ``group``'s defaults."""
    bank = cached_bank(bank_name)
    embedded = {*EMBEDDED_USERS, EMBEDDED_AP}
    if ap_encoder is None:
        ap_encoder = EMBEDDED_AP if embedded <= set(bank.encoders) else paper_links(bank)[0][0]
    if embedded <= set(bank.encoders) and ap_encoder not in EMBEDDED_USERS:
        cycle = list(EMBEDDED_USERS)
    else:
        cycle = [e for e in bank.encoders if e != ap_encoder]
        if len(cycle) < 2:
            cycle.append(ap_encoder)
    if group == "homogeneous":
        users = [cycle[0]] * n_users
    else:
        users = [cycle[i % len(cycle)] for i in range(n_users)]
    if user_encoders is not None:
        if isinstance(user_encoders, str) or len(user_encoders) != n_users:
            raise ValueError(
                f"user_encoders must name one encoder per user ({n_users}), got {user_encoders!r}"
            )
        users = list(user_encoders)
    check_encoders(bank_name, "ap_encoder", [ap_encoder])
    check_encoders(bank_name, "user_encoders", users)
    return ap_encoder, tuple(users)


def native_accuracy(links: Sequence[LatentLink]) -> np.ndarray:
    """The receivers' native accuracies (L,): the ceiling of every accuracy figure."""
    return np.array([link.native_accuracy for link in links])
