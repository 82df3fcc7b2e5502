"""Reference and learned policies; every policy answers ``act(observation) -> action``."""

from semgym.policies.downlink import FederatedADMM, FirstK, MultiLink, TopK
from semgym.policies.evaluation import evaluate
from semgym.policies.learned import Learned
from semgym.policies.reference import (
    BestResponse,
    PricedBestResponse,
    RandomPolicy,
    Uniform,
)
from semgym.policies.scenario import Cooperative, MuiAgnosticADMM, MuiLess

__all__ = [
    "BestResponse",
    "Cooperative",
    "FederatedADMM",
    "FirstK",
    "Learned",
    "MuiAgnosticADMM",
    "MuiLess",
    "MultiLink",
    "PricedBestResponse",
    "RandomPolicy",
    "TopK",
    "Uniform",
    "evaluate",
]
