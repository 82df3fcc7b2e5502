"""Latent banks: embedded builds, cache integrity, synthetic and user banks, extraction."""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from semgym.cli import latents as latents_cli
from semgym.core.alignment import least_squares_alignment
from semgym.latents import (
    PAPER_LINKS,
    LatentBank,
    available_banks,
    load_bank,
    make_bank,
    paper_links,
    resolve_cache_dir,
    save_bank,
    synthetic_bank,
)
from semgym.latents.bank import checksum_path
from semgym.latents.embedded import build_embedded


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("semgym-cache")


@pytest.fixture(scope="session")
def digits(cache: Path) -> LatentBank:
    return load_bank("digits", cache_dir=cache, progress=False)


def _pad_or_truncate(x: np.ndarray, width: int) -> np.ndarray:
    if x.shape[1] >= width:
        return x[:, :width]
    return np.pad(x, ((0, 0), (0, width - x.shape[1])))


def _ls_accuracy(bank: LatentBank, tx: str, rx: str) -> float:
    weight, bias = least_squares_alignment(
        torch.from_numpy(bank.train(tx)).double(), torch.from_numpy(bank.train(rx)).double()
    )
    aligned = torch.from_numpy(bank.test(tx)).double() @ weight.T + bias
    return bank.accuracy(rx, aligned, bank.test_labels)


# ---------------------------------------------------------------- embedded digits bank


def test_digits_bank_encoders_shapes_and_split(digits: LatentBank) -> None:
    assert digits.encoders == (
        "effnet_lite0",
        "effnet_lite1",
        "effnet_lite2",
        "levit_128s",
        "resnet10t",
        "mlp",
    )
    widths = {enc: digits.dim(enc) for enc in digits.encoders}
    assert widths == {
        "effnet_lite0": 1280,
        "effnet_lite1": 1280,
        "effnet_lite2": 1280,
        "levit_128s": 384,
        "resnet10t": 192,
        "mlp": 255,
    }
    n = 1797
    assert digits.labels.shape == (n,) and digits.labels.dtype == np.int64
    for enc in digits.encoders:
        assert digits.latents[enc].shape == (n, widths[enc])
        assert digits.latents[enc].dtype == np.float32
        assert digits.train(enc).shape == (digits.train_index.size, widths[enc])
        assert digits.heads[enc].weight.shape == (10, widths[enc])
    train, test = digits.train_index, digits.test_index
    assert np.intersect1d(train, test).size == 0
    assert np.union1d(train, test).size == n
    assert abs(test.size / n - 0.2) < 0.01
    # stratified: every class has ~20 % of its samples in the test split
    for label in range(10):
        share = np.mean(digits.labels[test] == label) / np.mean(digits.labels == label)
        assert abs(share * test.size / n - 0.2) < 0.02
    assert digits.meta["format_version"] == 1 and digits.meta["recipe_hash"]
    assert digits.meta["build_seconds"] > 0


def test_digits_native_accuracy_at_least_90_percent(digits: LatentBank) -> None:
    for enc in digits.encoders:
        accuracy = digits.accuracy(enc, digits.test(enc), digits.test_labels)
        assert accuracy == pytest.approx(digits.native_accuracy[enc])
        assert accuracy >= 0.90, (enc, accuracy)


def test_digits_build_is_deterministic(digits: LatentBank) -> None:
    again = build_embedded("digits", encoders=("effnet_lite0", "mlp"), progress=False)
    assert np.array_equal(again.train_index, digits.train_index)
    assert np.array_equal(again.test_index, digits.test_index)
    for enc in again.encoders:
        np.testing.assert_array_equal(again.latents[enc], digits.latents[enc])
        np.testing.assert_array_equal(again.heads[enc].weight, digits.heads[enc].weight)


def test_predict_numpy_torch_and_batch_shapes(digits: LatentBank) -> None:
    enc = "mlp"
    x = digits.test(enc)[:12]
    numpy_labels = digits.predict(enc, x)
    assert isinstance(numpy_labels, np.ndarray) and numpy_labels.dtype == np.int64
    torch_labels = digits.predict(enc, torch.from_numpy(x))
    assert isinstance(torch_labels, torch.Tensor)
    np.testing.assert_array_equal(torch_labels.numpy(), numpy_labels)
    batched = digits.predict(enc, x.reshape(3, 4, -1))
    assert batched.shape == (3, 4)
    np.testing.assert_array_equal(batched.reshape(-1), numpy_labels)
    if torch.cuda.is_available():
        on_gpu = digits.predict(enc, torch.from_numpy(x).cuda())
        assert on_gpu.is_cuda
        np.testing.assert_array_equal(on_gpu.cpu().numpy(), numpy_labels)


# ---------------------------------------------------------------- the alignment problem


@pytest.mark.parametrize(
    ("tx", "rx", "margin"),
    [
        # frozen pretrained pair: 1,437 pilots for 1,280 dims, the hard regime
        ("effnet_lite0", "effnet_lite1", 0.3),
        ("levit_128s", "resnet10t", 0.08),
        ("mlp", "levit_128s", 0.08),
    ],
)
def test_unaligned_is_chance_and_least_squares_recovers(
    digits: LatentBank, tx: str, rx: str, margin: float
) -> None:
    unaligned = _pad_or_truncate(digits.test(tx), digits.dim(rx))
    chance_accuracy = digits.accuracy(rx, unaligned, digits.test_labels)
    aligned_accuracy = _ls_accuracy(digits, tx, rx)
    assert chance_accuracy < 0.3, chance_accuracy
    assert aligned_accuracy >= digits.native_accuracy[rx] - margin, aligned_accuracy


def test_least_squares_alignment_exact_and_batched() -> None:
    gen = torch.Generator().manual_seed(0)
    tx = torch.randn(2, 50, 6, generator=gen, dtype=torch.float64)
    weight = torch.randn(2, 4, 6, generator=gen, dtype=torch.float64)
    bias = torch.randn(2, 4, generator=gen, dtype=torch.float64)
    rx = tx @ weight.mT + bias[:, None, :]
    fit_weight, fit_bias = least_squares_alignment(tx, rx)
    assert fit_weight.shape == (2, 4, 6) and fit_bias.shape == (2, 4)
    torch.testing.assert_close(fit_weight, weight)
    torch.testing.assert_close(fit_bias, bias)
    with pytest.raises(ValueError, match="leading shape"):
        least_squares_alignment(tx, rx[:, :-1])


def test_paper_links_are_wide_heterogeneous_pairs(digits: LatentBank) -> None:
    assert set(PAPER_LINKS) == {"mnist5k", "digits"}
    for name, links in PAPER_LINKS.items():
        assert len(links) == 3
        assert paper_links(name) == links
        for tx, rx in links:
            assert tx != rx
            assert digits.dim(tx) >= 160 and digits.dim(rx) >= 160
    assert paper_links(digits) == PAPER_LINKS["digits"]


# ---------------------------------------------------------------- cache integrity


def _small(cache: Path, **kwargs: object) -> LatentBank:
    return load_bank("digits", cache_dir=cache, encoders=["mlp"], progress=False, **kwargs)


def _cached_file(cache: Path) -> Path:
    files = sorted((cache / "latents").glob("digits-*.npz"))
    assert len(files) == 1, files
    return files[0]


def test_cache_is_written_atomically_with_checksum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = _small(tmp_path)
    path = _cached_file(tmp_path)
    assert checksum_path(path).exists()
    leftovers = [p.name for p in (tmp_path / "latents").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    import semgym.latents.loading as loading

    monkeypatch.setattr(
        loading, "build_embedded", lambda *a, **k: pytest.fail("rebuilt a valid cached bank")
    )
    again = _small(tmp_path)  # from cache: identical, nothing built
    np.testing.assert_array_equal(again.latents["mlp"], bank.latents["mlp"])
    assert again.meta["build_seconds"] == bank.meta["build_seconds"]


def test_corrupt_cache_is_detected_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bank = _small(tmp_path)
    path = _cached_file(tmp_path)
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="semgym.latents"):
        rebuilt = _small(tmp_path)
    assert "corrupt" in caplog.text
    np.testing.assert_array_equal(rebuilt.latents["mlp"], bank.latents["mlp"])
    _small(tmp_path)  # the rewritten file is valid again
    path.write_bytes(b"not a zip file")
    checksum_path(path).write_text("0" * 64 + "\n")
    with caplog.at_level("WARNING", logger="semgym.latents"):
        _small(tmp_path)
    assert caplog.text.count("corrupt") >= 2


def test_stale_cache_is_detected_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bank = _small(tmp_path)
    path = _cached_file(tmp_path)
    stale_meta = dict(bank.meta, recipe_hash="an-older-recipe")
    stale = dataclasses.replace(bank, latents={"mlp": bank.latents["mlp"] + 1.0}, meta=stale_meta)
    save_bank(stale, path)  # valid checksum, wrong recipe
    with caplog.at_level("WARNING", logger="semgym.latents"):
        rebuilt = _small(tmp_path)
    assert "stale" in caplog.text
    np.testing.assert_array_equal(rebuilt.latents["mlp"], bank.latents["mlp"])


def test_cache_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEMGYM_CACHE", str(tmp_path / "env"))
    assert resolve_cache_dir() == tmp_path / "env"
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("SEMGYM_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_cache_dir() == tmp_path / "xdg" / "semgym"


def test_mnist5k_small_options_path(tmp_path: Path) -> None:
    bank = load_bank(
        "mnist5k", cache_dir=tmp_path, encoders=["mlp"], n_samples=1000, progress=False
    )
    assert bank.encoders == ("mlp",)
    assert bank.latents["mlp"].shape == (1000, 255)
    assert np.bincount(bank.labels).tolist() == [100] * 10
    assert bank.native_accuracy["mlp"] >= 0.85


# ---------------------------------------------------------------- synthetic and user banks


def test_synthetic_bank_dims_rank_and_heads() -> None:
    bank = synthetic_bank(n_samples=600, tx_dim=40, rx_dim=30, rank=5, mismatch=0.0, seed=1)
    assert bank.dim("tx") == 40 and bank.dim("rx") == 30
    tx = bank.latents["tx"] - bank.latents["tx"].mean(0)
    rx = bank.latents["rx"] - bank.latents["rx"].mean(0)
    singular = np.linalg.svd(rx.T @ tx / len(tx), compute_uv=False)
    assert np.sum(singular > 1e-4 * singular[0]) == 5  # rank of P
    assert np.linalg.matrix_rank(tx.T @ tx) == 40  # tx covariance is invertible
    for enc in bank.encoders:
        assert bank.native_accuracy[enc] >= 0.8
    # mismatch 0: rx is an exact affine function of tx
    assert _ls_accuracy(bank, "tx", "rx") == pytest.approx(bank.native_accuracy["rx"], abs=0.02)
    via_load = load_bank("synthetic", n_samples=600, tx_dim=40, rx_dim=30, rank=5, seed=1)
    assert via_load.latents["tx"].shape == (600, 40)
    same = synthetic_bank(n_samples=600, tx_dim=40, rx_dim=30, rank=5, mismatch=0.0, seed=1)
    np.testing.assert_array_equal(same.latents["rx"], bank.latents["rx"])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tx_dim": 0}, "tx_dim"),
        ({"rx_dim": -3}, "rx_dim"),
        ({"rank": 300}, "rank"),
        ({"mismatch": -0.1}, "mismatch"),
        ({"n_classes": 1}, "n_classes"),
        ({"n_samples": 20}, "n_samples"),
        ({"tx_dim": 2.5}, "tx_dim"),
    ],
)
def test_synthetic_bad_sizes(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        synthetic_bank(**kwargs)


def test_user_npz_round_trip_and_missing_heads(tmp_path: Path) -> None:
    bank = synthetic_bank(n_samples=300, tx_dim=16, rx_dim=12, rank=4, seed=2)
    path = save_bank(bank, tmp_path / "mine.npz")
    loaded = load_bank(str(path))
    assert loaded.encoders == bank.encoders
    for enc in bank.encoders:
        np.testing.assert_array_equal(loaded.latents[enc], bank.latents[enc])
        np.testing.assert_array_equal(loaded.heads[enc].weight, bank.heads[enc].weight)
    assert loaded.native_accuracy == bank.native_accuracy
    # a hand-written file without heads or meta: heads are trained on load
    plain = tmp_path / "plain.npz"
    np.savez(
        plain,
        latents__a=bank.latents["tx"],
        labels=bank.labels,
        train_index=bank.train_index,
        test_index=bank.test_index,
    )
    user = load_bank(plain)
    assert user.name == "plain" and user.encoders == ("a",)
    assert user.native_accuracy["a"] == pytest.approx(bank.native_accuracy["tx"], abs=0.02)


def test_bad_input_is_a_value_error(tmp_path: Path, digits: LatentBank) -> None:
    with pytest.raises(ValueError, match=r"unknown bank 'cifar100'.*mnist5k"):
        load_bank("cifar100")
    assert available_banks() == ("mnist5k", "digits", "synthetic")
    with pytest.raises(ValueError, match="unknown encoder 'nope'"):
        digits.dim("nope")
    with pytest.raises(ValueError, match="last dimension 255"):
        digits.predict("mlp", np.zeros((3, 7), dtype=np.float32))
    with pytest.raises(ValueError, match="encoders must be"):
        load_bank("digits", cache_dir=tmp_path, encoders=["nope"])
    with pytest.raises(ValueError, match="unknown options"):
        load_bank("digits", cache_dir=tmp_path, colour=True)
    with pytest.raises(ValueError, match="does not exist"):
        load_bank(str(tmp_path / "missing.npz"))
    labels = np.arange(20) % 2
    with pytest.raises(ValueError, match="latents of encoder 'x'"):
        make_bank("b", {"x": np.zeros((19, 3))}, labels, np.arange(10), np.arange(10, 20))
    with pytest.raises(ValueError, match="disjoint"):
        make_bank("b", {"x": np.zeros((20, 3))}, labels, np.arange(12), np.arange(10, 20))
    with pytest.raises(ValueError, match="test_index"):
        make_bank("b", {"x": np.zeros((20, 3))}, labels, np.arange(10), np.arange(10, 25))
    bad = tmp_path / "bad.npz"
    np.savez(
        bad,
        latents__x=np.zeros((5, 2)),
        labels=np.zeros(4, dtype=np.int64),
        train_index=np.arange(2),
        test_index=np.arange(2, 4),
    )
    with pytest.raises(ValueError, match="n_samples=4"):
        load_bank(bad)


# ---------------------------------------------------------------- the papers' setting, offline


class _TinyImages(torch.utils.data.Dataset):
    """A few generated RGB PIL images with labels, standing in for CIFAR-10."""

    def __init__(self, n: int, seed: int) -> None:
        from PIL import Image

        rng = np.random.default_rng(seed)
        self.targets = (np.arange(n) % 10).tolist()
        self.images = [
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)) for _ in range(n)
        ]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        return self.images[i], self.targets[i]


def test_extract_offline_with_random_init_timm(tmp_path: Path) -> None:
    from semgym.latents.extract import extract_bank, timm_encoder

    encoders = {name: timm_encoder(name, pretrained=False) for name in ("test_vit", "test_resnet")}
    bank = extract_bank(
        _TinyImages(30, 0), _TinyImages(20, 1), encoders, limit=25, batch_size=8, progress=False
    )
    assert bank.encoders == ("test_vit", "test_resnet")
    assert bank.train_index.size == 25 and bank.test_index.size == 20
    for enc in bank.encoders:
        width = bank.dim(enc)
        assert width == encoders[enc][0].num_features
        assert bank.latents[enc].shape == (45, width)
    path = save_bank(bank, tmp_path / "cifar_fake.npz")
    loaded = load_bank(str(path))
    np.testing.assert_array_equal(loaded.latents["test_vit"], bank.latents["test_vit"])
    np.testing.assert_array_equal(loaded.labels, bank.labels)


def test_cli_parser_and_info(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    parser = argparse.ArgumentParser()
    latents_cli.add_subparser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["latents", "extract", "-o", "x.npz", "--limit", "10"])
    assert args.func is latents_cli._extract and args.limit == 10
    assert "vit_small_patch16_224" in args.encoders
    path = save_bank(synthetic_bank(n_samples=200, tx_dim=8, rx_dim=6, rank=3), tmp_path / "s.npz")
    args = parser.parse_args(["latents", "info", str(path)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "tx" in out and "rx" in out and "native acc" in out
    args = parser.parse_args(["latents", "info", "nope"])
    assert args.func(args) == 2
    assert os.fspath(path).endswith(".npz")
