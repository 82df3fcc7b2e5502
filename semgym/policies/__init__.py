"""Reference and learned policies; every policy answers ``act(observation) -> action``."""

from semgym.policies.evaluation import evaluate
from semgym.policies.reference import BestResponse, RandomPolicy, Uniform
from semgym.policies.scenario import MuiAgnosticADMM, MuiLess

__all__ = ["BestResponse", "MuiAgnosticADMM", "MuiLess", "RandomPolicy", "Uniform", "evaluate"]
