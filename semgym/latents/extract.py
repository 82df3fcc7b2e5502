"""The papers' setting: CIFAR-10 encoded by pretrained timm backbones, saved as a bank.

The real path (:func:`cifar10_splits` + :func:`timm_encoder` with ``pretrained=True``)
needs a network on first use (CIFAR-10 and the weights are downloaded to their usual
caches). Everything else is dataset- and model-agnostic, so tests run the same
:func:`extract_bank` offline on generated images with random-init models.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from semgym.latents.bank import FORMAT_VERSION, LatentBank, make_bank

logger = logging.getLogger(__name__)

DEFAULT_ENCODERS = (
    "vit_small_patch32_224",
    "vit_small_patch16_224",
    "levit_128s",
    "vit_base_patch16_224",
    "vit_tiny_patch16_224",
)
"""The papers' frozen timm backbones (ImageNet-pretrained)."""

Transform = Callable[[Any], torch.Tensor]


def timm_encoder(
    name: str, *, pretrained: bool = True, **model_kwargs: Any
) -> tuple[nn.Module, Transform]:
    """A timm backbone with its pooled features as latent, and its eval transform.

    ``num_classes=0`` removes the classifier; the transform comes from timm's data
    config of the model (resize, crop, normalization).
    """
    import timm
    from timm.data import create_transform, resolve_data_config

    model = timm.create_model(name, pretrained=pretrained, num_classes=0, **model_kwargs)
    config = resolve_data_config({}, model=model)
    return model.eval(), create_transform(**config, is_training=False)


def cifar10_splits(root: str, *, download: bool = True) -> tuple[Any, Any]:
    """torchvision CIFAR-10 ``(train, test)`` datasets of PIL images (no transform)."""
    from torchvision.datasets import CIFAR10

    return (
        CIFAR10(root, train=True, download=download),
        CIFAR10(root, train=False, download=download),
    )


def _take(dataset: Any, limit: int | None) -> list[int]:
    n = len(dataset)
    return list(range(n if limit is None else min(n, limit)))


def labels_of(dataset: Any, rows: Sequence[int]) -> np.ndarray:
    """``(len(rows),)`` int64 labels (``dataset.targets`` when present, else items)."""
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return np.asarray(targets, dtype=np.int64)[list(rows)]
    return np.asarray([int(dataset[i][1]) for i in rows], dtype=np.int64)


@torch.inference_mode()
def encode_dataset(
    model: nn.Module,
    transform: Transform,
    dataset: Any,
    rows: Sequence[int],
    *,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = True,
    desc: str = "",
) -> np.ndarray:
    """``(len(rows), d)`` float32 latents of ``dataset[rows]`` (items are ``(image, label)``)."""
    model = model.to(device).eval()
    out = []
    starts = range(0, len(rows), batch_size)
    for start in tqdm(starts, desc=desc, disable=not progress, leave=False):
        batch = torch.stack([transform(dataset[i][0]) for i in rows[start : start + batch_size]])
        out.append(model(batch.to(device)).float().cpu())
    return torch.cat(out).numpy().astype(np.float32)


def extract_bank(
    train_set: Any,
    test_set: Any,
    encoders: Mapping[str, tuple[nn.Module, Transform]],
    *,
    name: str = "cifar10",
    dataset: str = "CIFAR-10 (torchvision)",
    limit: int | None = None,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> LatentBank:
    """Encode both splits with every encoder and assemble a bank (heads trained here).

    Args:
        train_set, test_set: datasets of ``(image, label)`` (PIL images for timm transforms).
        encoders: encoder name -> ``(model, transform)``, e.g. from :func:`timm_encoder`.
        name: bank name.
        dataset: description stored in the meta.
        limit: at most this many samples from each split (the first ones).
        batch_size: images per forward pass.
        device: torch device of the models.
        progress: tqdm bars.

    The train split (rows ``0..n_train-1``) trains the heads; the test split is the rest.
    """
    if not encoders:
        raise ValueError("encoders must name at least one model")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    train_rows, test_rows = _take(train_set, limit), _take(test_set, limit)
    labels = np.concatenate([labels_of(train_set, train_rows), labels_of(test_set, test_rows)])
    latents: dict[str, np.ndarray] = {}
    info: dict[str, Any] = {}
    started = time.perf_counter()
    for enc, (model, transform) in encoders.items():
        tic = time.perf_counter()
        parts = [
            encode_dataset(
                model,
                transform,
                split,
                rows,
                batch_size=batch_size,
                device=device,
                progress=progress,
                desc=f"{enc} {part}",
            )
            for part, split, rows in (
                ("train", train_set, train_rows),
                ("test", test_set, test_rows),
            )
        ]
        latents[enc] = np.concatenate(parts)
        info[enc] = {
            "kind": "timm",
            "arch": type(model).__name__,
            "width": int(latents[enc].shape[1]),
            "seconds": round(time.perf_counter() - tic, 2),
        }
        logger.info("encoded %s with %s in %.1f s", name, enc, info[enc]["seconds"])
    n_train = len(train_rows)
    meta = {
        "dataset": dataset,
        "format_version": FORMAT_VERSION,
        "encoders_info": info,
        "limit": limit,
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    return make_bank(
        name,
        latents,
        labels,
        np.arange(n_train),
        np.arange(n_train, labels.size),
        meta=meta,
    )


def extract_cifar10(
    encoders: Sequence[str] = DEFAULT_ENCODERS,
    *,
    root: str,
    pretrained: bool = True,
    download: bool = True,
    limit: int | None = None,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> LatentBank:
    """CIFAR-10 through timm backbones (the papers' setting); needs a network on first use."""
    train_set, test_set = cifar10_splits(root, download=download)
    models = {enc: timm_encoder(enc, pretrained=pretrained) for enc in encoders}
    bank = extract_bank(
        train_set,
        test_set,
        models,
        name="cifar10",
        limit=limit,
        batch_size=batch_size,
        device=device,
        progress=progress,
    )
    return bank
