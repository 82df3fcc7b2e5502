"""The latent bank: latents of several encoders for the same samples, labels, split, heads.

File format (``.npz``, read with ``allow_pickle=False``), format version
:data:`FORMAT_VERSION`:

=========================  ==============================  ==========================
key                        shape / dtype                   meaning
=========================  ==============================  ==========================
``latents__<encoder>``     ``(n_samples, d_e)`` float32    one per encoder
``labels``                 ``(n_samples,)`` int64          class of each sample
``train_index``            ``(n_train,)`` int64            rows of the train split
``test_index``             ``(n_test,)`` int64             rows of the test split
``head_weight__<encoder>`` ``(n_classes, d_e)`` float32    optional receiver head
``head_bias__<encoder>``   ``(n_classes,)`` float32        optional receiver head
``meta``                   0-d unicode string              JSON object
=========================  ==============================  ==========================

Encoder names match ``[A-Za-z0-9_.-]+``. Heads missing from a file are trained on load.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from semgym._files import (
    atomic_write,
    checksum_path,
    exclusive,
    read_checksum,
    sha256_file,
    write_checksum,
)

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Version of the bank file format and of the build recipes (part of every recipe hash)."""

_ENCODER_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_LATENT_PREFIX = "latents__"
_WEIGHT_PREFIX = "head_weight__"
_BIAS_PREFIX = "head_bias__"


@dataclass(frozen=True)
class LinearHead:
    """Softmax-linear classifier ``argmax(latent @ weight.T + bias)``.

    Input standardization is folded into ``weight`` and ``bias``, so the head takes
    raw latents.

    Attributes:
        weight: ``(n_classes, d)`` float32.
        bias: ``(n_classes,)`` float32.
    """

    weight: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        weight = np.asarray(self.weight, dtype=np.float32)
        bias = np.asarray(self.bias, dtype=np.float32)
        if weight.ndim != 2 or bias.shape != (weight.shape[0],):
            raise ValueError(
                f"head weight must be (n_classes, d) and bias (n_classes,), got "
                f"{weight.shape} and {bias.shape}"
            )
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise ValueError("head weight and bias must be finite")
        weight.setflags(write=False)
        bias.setflags(write=False)
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "bias", bias)

    @property
    def dim(self) -> int:
        """Input width ``d``."""
        return int(self.weight.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes ``C``."""
        return int(self.weight.shape[0])

    def logits(self, latents: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Class scores ``(..., C)`` of latents ``(..., d)``; torch stays torch (same device)."""
        if isinstance(latents, torch.Tensor):
            dtype = latents.dtype if latents.is_floating_point() else torch.float32
            weight = torch.tensor(self.weight, device=latents.device, dtype=dtype)
            bias = torch.tensor(self.bias, device=latents.device, dtype=dtype)
            return latents.to(dtype) @ weight.T + bias
        array = np.asarray(latents)
        dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float32
        return array.astype(dtype, copy=False) @ self.weight.T.astype(dtype) + self.bias

    def predict(self, latents: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Predicted class ``(...,)`` int64 of latents ``(..., d)``."""
        scores = self.logits(latents)
        if isinstance(scores, torch.Tensor):
            return scores.argmax(dim=-1)
        return scores.argmax(axis=-1).astype(np.int64)


def train_head(
    train_latents: np.ndarray, train_labels: np.ndarray, *, c: float = 0.05, max_iter: int = 300
) -> LinearHead:
    """Fit a multinomial logistic-regression head on standardized latents (deterministic).

    Args:
        train_latents: ``(n_train, d)`` latents of the train split.
        train_labels: ``(n_train,)`` int labels.
        c: inverse L2 regularization strength (scikit-learn's ``C``).
        max_iter: L-BFGS iterations.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(train_latents, dtype=np.float64)
    y = np.asarray(train_labels, dtype=np.int64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std = np.where(std > 1e-8 * max(float(std.max(initial=0.0)), 1e-30), std, 1.0)
    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit((x - mean) / std, y)
    n_classes = int(y.max()) + 1
    weight = np.zeros((n_classes, x.shape[1]))
    bias = np.full(n_classes, -1e4)  # classes absent from the train split are never chosen
    classes = model.classes_.astype(np.int64)
    coef, intercept = model.coef_, model.intercept_
    if len(classes) == 2:  # scikit-learn stores one row for binary problems
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    weight[classes] = coef / std
    bias[classes] = intercept - (coef / std) @ mean
    return LinearHead(weight=weight, bias=bias)


def _frozen_array(array: np.ndarray, dtype: type) -> np.ndarray:
    out = np.ascontiguousarray(array, dtype=dtype)
    if out is array:
        out = out.copy()
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class LatentBank:
    """Latents of several encoders for the same samples, with labels, split and heads.

    Attributes:
        name: bank name (``"mnist5k"``, ``"digits"``, ``"synthetic"``, a file stem, ...).
        latents: encoder name -> ``(n_samples, d_e)`` float32.
        labels: ``(n_samples,)`` int64 class labels.
        train_index: ``(n_train,)`` int64 rows of the train split (pilots, head training).
        test_index: ``(n_test,)`` int64 rows of the test split (every reported accuracy).
        heads: encoder name -> :class:`LinearHead` trained on that encoder's train latents.
        native_accuracy: encoder name -> test accuracy of its head on its own latents
            (the ceiling of any link ending at that receiver).
        meta: dataset, encoder descriptions, build seconds, format version, recipe hash.

    Arrays are read-only. Construct through :func:`make_bank` (which trains missing
    heads and computes native accuracies) or :func:`semgym.latents.load_bank`.
    """

    name: str
    latents: Mapping[str, np.ndarray]
    labels: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray
    heads: Mapping[str, LinearHead]
    native_accuracy: Mapping[str, float]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        latents = {str(k): _frozen_array(v, np.float32) for k, v in self.latents.items()}
        labels = _frozen_array(self.labels, np.int64)
        train = _frozen_array(self.train_index, np.int64)
        test = _frozen_array(self.test_index, np.int64)
        _validate(latents, labels, train, test)
        heads = dict(self.heads)
        for enc, head in heads.items():
            if enc not in latents:
                raise ValueError(f"head for unknown encoder {enc!r}")
            if head.dim != latents[enc].shape[1]:
                raise ValueError(
                    f"head of encoder {enc!r} takes width {head.dim}, latents have "
                    f"{latents[enc].shape[1]}"
                )
        missing = sorted(set(latents) - set(heads))
        if missing:
            raise ValueError(f"heads missing for encoders {missing}; build with make_bank")
        object.__setattr__(self, "latents", MappingProxyType(latents))
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "train_index", train)
        object.__setattr__(self, "test_index", test)
        object.__setattr__(self, "heads", MappingProxyType(heads))
        object.__setattr__(self, "native_accuracy", MappingProxyType(dict(self.native_accuracy)))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of the bank's content (latents, labels, split, heads): what a result
        computed from the bank is keyed by. For a bank read from a checksummed file, the
        file's verified sha256 (``file:`` prefix), which changes whenever the file does."""
        digest = hashlib.sha256(json.dumps(sorted(self.latents)).encode())
        for array in (self.labels, self.train_index, self.test_index):
            digest.update(array.tobytes())
        for enc in self.encoders:
            digest.update(self.latents[enc].tobytes())
            digest.update(self.heads[enc].weight.tobytes() + self.heads[enc].bias.tobytes())
        return "content:" + digest.hexdigest()

    @property
    def encoders(self) -> tuple[str, ...]:
        """Encoder names, in bank order."""
        return tuple(self.latents)

    @property
    def n_samples(self) -> int:
        """Number of samples (rows)."""
        return int(self.labels.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes of the heads."""
        return next(iter(self.heads.values())).n_classes

    def _check(self, encoder: str) -> str:
        if encoder not in self.latents:
            raise ValueError(
                f"unknown encoder {encoder!r} in bank {self.name!r}; choose one of "
                f"{', '.join(map(repr, self.encoders))}"
            )
        return encoder

    def dim(self, encoder: str) -> int:
        """Latent width ``d_e`` of ``encoder``."""
        return int(self.latents[self._check(encoder)].shape[1])

    def train(self, encoder: str) -> np.ndarray:
        """``(n_train, d_e)`` latents of the train split."""
        return self.latents[self._check(encoder)][self.train_index]

    def test(self, encoder: str) -> np.ndarray:
        """``(n_test, d_e)`` latents of the test split."""
        return self.latents[self._check(encoder)][self.test_index]

    @property
    def train_labels(self) -> np.ndarray:
        """``(n_train,)`` labels of the train split."""
        return self.labels[self.train_index]

    @property
    def test_labels(self) -> np.ndarray:
        """``(n_test,)`` labels of the test split."""
        return self.labels[self.test_index]

    def predict(
        self, encoder: str, latents: np.ndarray | torch.Tensor
    ) -> np.ndarray | torch.Tensor:
        """Labels ``(...,)`` predicted by ``encoder``'s head from latents ``(..., d_e)``.

        numpy in, numpy out; a torch tensor stays a torch tensor on its device.
        """
        head = self.heads[self._check(encoder)]
        if latents.shape[-1] != head.dim:
            raise ValueError(
                f"latents for encoder {encoder!r} must have last dimension {head.dim}, "
                f"got shape {tuple(latents.shape)}"
            )
        return head.predict(latents)

    def accuracy(
        self, encoder: str, latents: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor
    ) -> float:
        """Fraction of ``latents`` ``(..., d_e)`` that ``encoder``'s head labels correctly."""
        predicted = self.predict(encoder, latents)
        if isinstance(predicted, torch.Tensor):
            truth = torch.as_tensor(labels, device=predicted.device)
            if truth.shape != predicted.shape:
                raise ValueError(f"labels must have shape {tuple(predicted.shape)}")
            return float((predicted == truth).float().mean().item())
        truth = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
        if truth.shape != predicted.shape:
            raise ValueError(f"labels must have shape {tuple(predicted.shape)}")
        return float(np.mean(predicted == truth))


def _validate(
    latents: Mapping[str, np.ndarray], labels: np.ndarray, train: np.ndarray, test: np.ndarray
) -> None:
    if not latents:
        raise ValueError("latents must hold at least one encoder")
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-d array, got shape {labels.shape}")
    if labels.min() < 0:
        raise ValueError("labels must be non-negative class indices")
    n = labels.shape[0]
    for enc, array in latents.items():
        if not _ENCODER_NAME.match(enc):
            raise ValueError(f"encoder name {enc!r} must match [A-Za-z0-9_.-]+")
        if array.ndim != 2 or array.shape[0] != n or array.shape[1] < 1:
            raise ValueError(
                f"latents of encoder {enc!r} must have shape (n_samples={n}, d), got {array.shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"latents of encoder {enc!r} contain NaN or inf")
    for split, index in (("train_index", train), ("test_index", test)):
        if index.ndim != 1 or index.size == 0:
            raise ValueError(f"{split} must be a non-empty 1-d array, got shape {index.shape}")
        if index.min() < 0 or index.max() >= n:
            raise ValueError(f"{split} must index rows 0..{n - 1}")
        if np.unique(index).size != index.size:
            raise ValueError(f"{split} has repeated rows")
    if np.intersect1d(train, test).size:
        raise ValueError("train_index and test_index must be disjoint")


def _integers(name: str, values: object) -> np.ndarray:
    """``values`` as int64 if they are integers (integral floats included), else a
    ``ValueError`` naming ``name`` (0.5 does not become row 0)."""
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.int64)
    raise ValueError(f"{name} must hold integers, got dtype {array.dtype} ({array.ravel()[:3]}…)")


def make_bank(
    name: str,
    latents: Mapping[str, np.ndarray],
    labels: np.ndarray,
    train_index: np.ndarray,
    test_index: np.ndarray,
    *,
    heads: Mapping[str, LinearHead] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> LatentBank:
    """Assemble a :class:`LatentBank`, training the heads that are missing.

    Shapes are checked (``ValueError`` naming the offending field); native accuracies are
    computed on the test split.
    """
    latents = {str(k): np.asarray(v, dtype=np.float32) for k, v in latents.items()}
    labels = _integers("labels", labels)
    train = _integers("train_index", train_index)
    test = _integers("test_index", test_index)
    _validate(latents, labels, train, test)
    unseen = sorted(set(np.unique(labels[test]).tolist()) - set(np.unique(labels[train]).tolist()))
    if unseen:
        raise ValueError(
            f"labels of the test split include classes {unseen} that the train split (the "
            "heads' classes) never shows: no head could predict them"
        )
    heads = dict(heads or {})
    for enc, array in latents.items():
        if enc not in heads:
            logger.info("training head for encoder %s (d=%d)", enc, array.shape[1])
            heads[enc] = train_head(array[train], labels[train])
    accuracy = {
        enc: float(np.mean(heads[enc].predict(latents[enc][test]) == labels[test]))
        for enc in latents
    }
    meta = dict(meta or {})
    meta.setdefault("format_version", FORMAT_VERSION)
    meta["native_accuracy"] = accuracy
    return LatentBank(
        name=name,
        latents=latents,
        labels=labels,
        train_index=train,
        test_index=test,
        heads=heads,
        native_accuracy=accuracy,
        meta=meta,
    )


def save_bank(bank: LatentBank, path: str | os.PathLike[str]) -> Path:
    """Write ``bank`` to ``path`` (``.npz``, see the module docstring) atomically.

    The sha256 of the file is written beside it (``<path>.sha256``); loading checks it. Two
    processes saving one path take turns (a file lock), so the file and its checksum always
    come from one writer. Returns the path written.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"bank path must end in .npz, got {str(path)!r}")
    with exclusive(path):
        return write_bank(bank, path)


def write_bank(bank: LatentBank, path: Path) -> Path:
    """:func:`save_bank` for a caller that already holds ``path``'s lock
    (:func:`semgym._files.exclusive`)."""
    arrays: dict[str, np.ndarray] = {
        "labels": bank.labels,
        "train_index": bank.train_index,
        "test_index": bank.test_index,
    }
    for enc in bank.encoders:
        arrays[_LATENT_PREFIX + enc] = bank.latents[enc]
        arrays[_WEIGHT_PREFIX + enc] = bank.heads[enc].weight
        arrays[_BIAS_PREFIX + enc] = bank.heads[enc].bias
    meta = dict(bank.meta)
    meta["name"] = bank.name
    meta["encoders"] = list(bank.encoders)
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True, default=str))
    digest = atomic_write(path, lambda handle: np.savez(handle, **arrays))
    write_checksum(path, digest)
    logger.info("wrote latent bank %s (%s)", path, digest[:12])
    return path


class BankFileError(ValueError):
    """A bank file that cannot be used: unreadable, checksum mismatch or malformed."""


def verify_checksum(path: str | os.PathLike[str], *, required: bool) -> str:
    """Raise :class:`BankFileError` if ``path``'s sha256 differs from the one kept beside it
    (``<path>.sha256``, see :mod:`semgym._files`); returns the file's sha256.

    A missing checksum file is an error only when ``required``; a damaged one (not a hex
    digest) is a mismatch.
    """
    actual = sha256_file(path)
    sidecar = checksum_path(path)
    if not sidecar.exists():
        if required:
            raise BankFileError(f"checksum file {sidecar} is missing")
        return actual
    expected = read_checksum(path)
    if expected != actual:
        raise BankFileError(
            f"checksum mismatch for {path}: expected {expected or 'a hex sha256'}, got {actual}"
        )
    return actual


def read_bank(path: str | os.PathLike[str], *, name: str | None = None) -> LatentBank:
    """Read a bank file (no checksum check; see :func:`semgym.latents.load_bank`).

    Missing heads are trained. Raises :class:`BankFileError` (a ``ValueError``) when the
    file is unreadable or malformed.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError) as error:
        raise BankFileError(f"cannot read bank file {path}: {error}") from error
    except Exception as error:  # zipfile.BadZipFile, zlib.error, ...
        raise BankFileError(f"cannot read bank file {path}: {error}") from error
    for key in ("labels", "train_index", "test_index"):
        if key not in arrays:
            raise BankFileError(f"bank file {path} lacks the key {key!r}")
    meta: dict[str, Any] = {}
    if "meta" in arrays:
        try:
            meta = json.loads(str(arrays["meta"]))
        except json.JSONDecodeError as error:
            raise BankFileError(f"meta of bank file {path} is not JSON: {error}") from error
        if not isinstance(meta, dict):
            raise BankFileError(f"meta of bank file {path} must be a JSON object")
    latents = {
        key[len(_LATENT_PREFIX) :]: value
        for key, value in arrays.items()
        if key.startswith(_LATENT_PREFIX)
    }
    if not latents:
        raise BankFileError(f"bank file {path} has no latents__<encoder> arrays")
    order = [enc for enc in meta.get("encoders", []) if enc in latents]
    latents = {enc: latents[enc] for enc in order + sorted(set(latents) - set(order))}
    heads = {}
    for enc in latents:
        weight = arrays.get(_WEIGHT_PREFIX + enc)
        bias = arrays.get(_BIAS_PREFIX + enc)
        if weight is not None and bias is not None:
            heads[enc] = LinearHead(weight=weight, bias=bias)
    bank_name = name or str(meta.get("name") or path.stem)
    return make_bank(
        bank_name,
        latents,
        arrays["labels"],
        arrays["train_index"],
        arrays["test_index"],
        heads=heads,
        meta=meta,
    )
