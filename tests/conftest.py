import pytest
import torch


@pytest.fixture
def gen() -> torch.Generator:
    """A seeded CPU generator: every test draws the same numbers on every run."""
    return torch.Generator().manual_seed(1234)


def pytest_configure(config: pytest.Config) -> None:
    """No display in CI: matplotlib draws off-screen."""
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
