"""Seeded, stratified train/test splits."""

from __future__ import annotations

import numpy as np


def stratified_split(
    labels: np.ndarray, *, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split rows into (train, test) index arrays, sorted int64, ``test_fraction`` per class.

    Deterministic in ``(labels, test_fraction, seed)``; every class keeps at least one
    row on each side when it has two or more.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rows = rows[rng.permutation(rows.size)]
        n_test = round(test_fraction * rows.size)
        if rows.size >= 2:
            n_test = min(max(n_test, 1), rows.size - 1)
        test.append(rows[:n_test])
        train.append(rows[n_test:])
    return (
        np.sort(np.concatenate(train)).astype(np.int64),
        np.sort(np.concatenate(test)).astype(np.int64),
    )


def stratified_subset(labels: np.ndarray, n: int, *, seed: int = 0) -> np.ndarray:
    """Sorted int64 rows of a class-balanced subset of ``n`` samples (all if ``n`` >= size)."""
    labels = np.asarray(labels)
    if n >= labels.size:
        return np.arange(labels.size, dtype=np.int64)
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    rows = []
    for i, label in enumerate(classes):
        members = np.flatnonzero(labels == label)
        take = n // classes.size + (1 if i < n % classes.size else 0)
        rows.append(rng.choice(members, size=min(take, members.size), replace=False))
    return np.sort(np.concatenate(rows)).astype(np.int64)
