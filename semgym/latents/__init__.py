"""Latent banks: where the transmitter and receiver latent spaces come from.

A :class:`LatentBank` holds, for one dataset, the latents several encoders produce
for the same samples, the labels, a fixed train/test split and, per encoder, a
receiver task head trained on that encoder's own train latents.

>>> from semgym.latents import load_bank
>>> bank = load_bank("digits")                      # doctest: +SKIP
>>> bank.accuracy("mlp", bank.test("mlp"), bank.test_labels)  # doctest: +SKIP

Sources: the embedded offline banks ``"mnist5k"`` (default) and ``"digits"``, the
``"synthetic"`` Gaussian bank, user ``.npz`` files (:func:`save_bank`), and CIFAR-10
through pretrained timm backbones (:mod:`semgym.latents.extract`, ``semgym latents
extract``).
"""

from semgym.latents.bank import (
    FORMAT_VERSION,
    LatentBank,
    LinearHead,
    make_bank,
    save_bank,
    train_head,
)
from semgym.latents.embedded import PAPER_LINKS, paper_links
from semgym.latents.loading import available_banks, load_bank, resolve_cache_dir
from semgym.latents.synthetic import synthetic_bank

__all__ = [
    "FORMAT_VERSION",
    "PAPER_LINKS",
    "LatentBank",
    "LinearHead",
    "available_banks",
    "load_bank",
    "make_bank",
    "paper_links",
    "resolve_cache_dir",
    "save_bank",
    "synthetic_bank",
    "train_head",
]
