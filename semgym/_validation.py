"""Argument checks shared by every module: each raises a ``ValueError`` naming the field."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np
import torch

#: Errors numpy/torch raise when an input cannot become an array of numbers at all.
_CONVERSION_ERRORS = (TypeError, ValueError, OverflowError, RuntimeError)


def _is_real_number(value: object) -> bool:
    """A real scalar: Python or NumPy integers and floats (what sweeps and config files hand
    over), not booleans (Python or NumPy) and not tensors."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def check_positive_int(name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer ``>= minimum`` (an integral float or NumPy
    scalar included), else raise ``ValueError``."""
    if not _is_real_number(value) or not math.isfinite(value) or int(value) != value:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if finite and > 0 (or >= 0), else raise ``ValueError``."""
    bound = ">= 0" if allow_zero else "> 0"
    if not _is_real_number(value):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return v


def check_finite(name: str, value: object) -> float:
    """Return ``value`` as float if it is a finite real number, else raise ``ValueError``."""
    if not _is_real_number(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a real boolean (Python's or NumPy's), else raise ``ValueError``
    (``"False"``, 0 or None are not booleans)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


#: Seeds are integers in [0, SEED_LIMIT): what every generator semgym seeds (NumPy's, torch's)
#: accepts, with room for the per-env offsets s + i of the vector envs.
SEED_LIMIT = 2**62


def check_seed(name: str, value: object) -> int:
    """Return ``value`` as int if it is an integer (Python's or NumPy's, not a boolean) in
    [0, SEED_LIMIT), else raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer in [0, 2**62), got {value!r}")
    if not 0 <= int(value) < SEED_LIMIT:
        raise ValueError(f"{name} must be an integer in [0, 2**62), got {value!r}")
    return int(value)


def check_mask(name: str, value: object, size: int) -> np.ndarray:
    """``value`` as a (size,) bool array if it holds booleans (a list of bools, a bool array or
    tensor on any device), else raise ``ValueError`` naming ``name`` (numbers such as 0.1, -1
    or NaN are not booleans)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except _CONVERSION_ERRORS as error:
        raise ValueError(f"{name} must be an array of booleans, got {error}") from None
    if array.dtype != np.bool_:
        raise ValueError(
            f"{name} must hold booleans (True: that env resets), got {type(value).__name__} "
            f"of dtype {array.dtype}"
        )
    if array.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {array.shape}")
    return array


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError`` listing them."""
    allowed = tuple(choices)
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(repr, allowed))}")
    return str(value)


def real_array(name: str, value: object) -> np.ndarray:
    """``value`` as a float64 array if it holds real numbers (bool, integer or floating point),
    else raise ``ValueError`` naming ``name`` (complex numbers, strings, objects, ragged lists).
    The shape is not checked."""
    try:
        array = np.asarray(value)
    except _CONVERSION_ERRORS as error:
        raise ValueError(f"{name} must be an array of real numbers, got {error}") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must be an array of real numbers, got {type(value).__name__} of dtype "
            f"{array.dtype}"
        )
    return array.astype(np.float64)


def real_tensor(name: str, value: object) -> torch.Tensor:
    """``value`` as a tensor (same device, no copy when it already is one) if it holds real
    numbers, else raise ``ValueError`` naming ``name``. Reads only metadata (no device sync)."""
    try:
        tensor = torch.as_tensor(value)
    except _CONVERSION_ERRORS as error:
        raise ValueError(f"{name} must be an array of real numbers, got {error}") from None
    if tensor.is_complex():
        raise ValueError(f"{name} must be an array of real numbers, got dtype {tensor.dtype}")
    return tensor
