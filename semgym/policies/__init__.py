"""Reference and learned policies; every policy answers ``act(observation) -> action``."""

from semgym.policies.downlink import FederatedADMM, FirstK, MultiLink, TopK
from semgym.policies.evaluation import evaluate
from semgym.policies.reference import BestResponse, RandomPolicy, Uniform
from semgym.policies.scenario import MuiAgnosticADMM, MuiLess

__all__ = [
    "BestResponse",
    "FederatedADMM",
    "FirstK",
    "MuiAgnosticADMM",
    "MuiLess",
    "MultiLink",
    "RandomPolicy",
    "TopK",
    "Uniform",
    "evaluate",
]
