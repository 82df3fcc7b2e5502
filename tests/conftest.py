from collections.abc import Iterator

import pytest
import torch


@pytest.fixture
def gen() -> torch.Generator:
    """A seeded CPU generator: every test draws the same numbers on every run."""
    return torch.Generator().manual_seed(1234)


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread for a module (``pytestmark = pytest.mark.usefixtures(...)``): on a
    2-core machine shared with other jobs, MKL's OpenMP LAPACK (eigh/solve on 100-wide
    matrices) slows down by 100-1000× from contention; the numbers do not depend on it.
    Restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_configure(config: pytest.Config) -> None:
    """No display in CI: matplotlib draws off-screen."""
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
