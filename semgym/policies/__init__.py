"""Reference and learned policies; every policy answers ``act(observation) -> action``."""

from semgym.policies.evaluation import evaluate
from semgym.policies.reference import BestResponse, RandomPolicy, Uniform

__all__ = ["BestResponse", "RandomPolicy", "Uniform", "evaluate"]
