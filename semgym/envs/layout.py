"""Observation layouts: the one owner of what an env's observation holds, and where.

An env declares its observation once, as an :class:`ObservationSpec`: an ordered set of
:class:`ObservationBlock` (name, symbolic size, unit, one-line description, and the function
that computes the block from the env's batch). From it come

- the observation itself (:meth:`ObservationLayout.build`, what the batch returns),
- the spaces' sizes (:attr:`ObservationLayout.size`),
- the record a model card stores and checks (:meth:`ObservationLayout.record`),
- the slices a policy reads by name (:meth:`ObservationLayout.block`),
- the manual's observation table (:meth:`ObservationSpec.table`).

Adding a block is one new :class:`ObservationBlock` in the env's spec.

Every entry is clamped to [LOG_FLOOR, LOG_CEIL] and returned as float32, so observations are
finite whatever the SNR or distance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np
import torch
from torch import Tensor

#: Observed log10 values are clamped to [LOG_FLOOR, LOG_CEIL] (a gain times the budget below
#: 1e-30 is no gain at all); every observation entry lies in this range.
LOG_FLOOR = -30.0
LOG_CEIL = 30.0


def log_gain(values: Tensor) -> Tensor:
    """log10 of non-negative values, floored at 10^LOG_FLOOR (observations stay finite)."""
    return torch.log10(values.clamp_min(10.0**LOG_FLOOR))


def observation_box(size: int) -> gymnasium.spaces.Box:
    """The observation space of ``size`` float32 entries in [LOG_FLOOR, LOG_CEIL]."""
    return gymnasium.spaces.Box(LOG_FLOOR, LOG_CEIL, (size,), np.float32)


# --- symbolic sizes ------------------------------------------------------------------------------
#: A size as a sum of monomials: {"M": 3, "": 3} is 3M + 3 ("" is the constant term).
_Terms = dict[str, int]
_FACTOR = re.compile(r"^(\d+|[A-Za-z]\w*)$")


def _terms(size: str) -> _Terms:
    """The monomial of a block size: "M", "1", "L·M" or "2·M"."""
    factors = size.split("·")
    if not all(_FACTOR.match(f) for f in factors):
        raise ValueError(f"a block size is a product of integers and symbols, got {size!r}")
    coefficient = 1
    symbols = []
    for f in factors:
        if f.isdigit():
            coefficient *= int(f)
        else:
            symbols.append(f)
    return {"·".join(symbols): coefficient}


def _add(a: _Terms, b: _Terms) -> _Terms:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + value
    return out


def _text(terms: _Terms) -> str:
    """3M + 3, L·M + 2: symbols in order of first appearance, the constant last."""
    parts = []
    for key, value in sorted(terms.items(), key=lambda kv: kv[0] == ""):
        if value == 0:
            continue
        if key == "":
            parts.append(str(value))
        else:
            parts.append(key if value == 1 else f"{value}{key}")
    return " + ".join(parts) or "0"


def _value(terms: _Terms, symbols: Mapping[str, int]) -> int:
    total = 0
    for key, coefficient in terms.items():
        product = coefficient
        for name in key.split("·") if key else ():
            if name not in symbols:
                raise ValueError(f"the layout needs the size {name!r}; given {dict(symbols)}")
            product *= int(symbols[name])
        total += product
    return total


# --- blocks and layouts --------------------------------------------------------------------------
@dataclass(frozen=True)
class ObservationBlock:
    """One named block of an observation.

    Attributes:
        name: the block's name (what policies, model cards and the manual call it).
        size: its length in symbols of the env, e.g. ``"M"``, ``"1"``, ``"L·M"``.
        unit: what the numbers are (``"log10"``, ``"share of K·P_max"``, …).
        description: one line for the manual.
        build: the block's values from the env's batch, (..., size) real.
        when: the condition on the env's sizes under which the block is present (None:
            always), and ``condition`` its words in the manual.
    """

    name: str
    size: str
    unit: str
    description: str
    build: Callable[[Any], Tensor] = field(repr=False, compare=False)
    when: Callable[[Mapping[str, int]], bool] | None = field(default=None, compare=False)
    condition: str = ""

    def __post_init__(self) -> None:
        _terms(self.size)  # a valid size expression
        if (self.when is None) != (not self.condition):
            raise ValueError(f"block {self.name!r}: give `when` and `condition` together")


@dataclass(frozen=True)
class ObservationLayout:
    """An env's observation with its sizes resolved: the blocks present and their slices.

    Attributes:
        name: whose observation it is (the spec's name, e.g. ``"interference link"``).
        blocks: the blocks present, in order. sizes: each block's length.
    """

    name: str
    blocks: tuple[ObservationBlock, ...]
    sizes: tuple[int, ...]

    @property
    def size(self) -> int:
        """D, the observation's length."""
        return sum(self.sizes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.blocks)

    @property
    def slices(self) -> dict[str, slice]:
        """Each block's slice of the observation, by name."""
        out, start = {}, 0
        for block, n in zip(self.blocks, self.sizes, strict=True):
            out[block.name] = slice(start, start + n)
            start += n
        return out

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def block(self, observation: Any, name: str) -> Any:
        """Block ``name`` of observations (..., D) (arrays or tensors), (..., size)."""
        slices = self.slices
        if name not in slices:
            raise ValueError(f"the observation has no block {name!r}; it has {list(slices)}")
        if observation.shape[-1] != self.size:
            raise ValueError(
                f"observation must end in {self.size} entries ({self.describe()}), got "
                f"{tuple(observation.shape)}"
            )
        return observation[..., slices[name]]

    def build(self, batch: Any) -> Tensor:
        """The observation of every agent of ``batch``, (..., D) float32: the blocks'
        values concatenated in order and clamped to [LOG_FLOOR, LOG_CEIL]."""
        parts = []
        for block, n in zip(self.blocks, self.sizes, strict=True):
            value = block.build(batch)
            if value.shape[-1] != n:
                raise RuntimeError(
                    f"observation block {block.name!r} built {value.shape[-1]} entries, its "
                    f"layout says {n}"
                )
            parts.append(value)
        return torch.cat(parts, -1).clamp(LOG_FLOOR, LOG_CEIL).to(torch.float32)

    def record(self, repeat: int = 1) -> dict[str, Any]:
        """What a model card stores: the blocks (name, length) in order, how many times they
        repeat (the links of a central controller's state) and the total size."""
        return {
            "blocks": [[b.name, n] for b, n in zip(self.blocks, self.sizes, strict=True)],
            "repeat": int(repeat),
            "size": int(repeat) * self.size,
        }

    def describe(self, repeat: int = 1) -> str:
        """``3 × (log_gain[80] | … ), D = 729``: the layout in one line."""
        return describe_record(self.record(repeat))

    def box(self, repeat: int = 1) -> gymnasium.spaces.Box:
        """The observation space of ``repeat`` such observations side by side."""
        return observation_box(repeat * self.size)


def describe_record(record: Mapping[str, Any]) -> str:
    """A model card's layout record in one line (see :meth:`ObservationLayout.describe`)."""
    blocks = " | ".join(f"{name}[{n}]" for name, n in record["blocks"])
    times = f"{record['repeat']} × " if record["repeat"] > 1 else ""
    return f"{times}({blocks}), D = {record['size']}"


class ObservationSpec:
    """An env's declared observation: its blocks in order, sizes in the env's symbols.

    Arguments:
        blocks: the :class:`ObservationBlock` s, in order; conditional ones (``when``) last.
        name: whose observation it is (e.g. ``"interference link"``).
        symbols: what each size symbol means, for the manual (e.g. ``{"M": "modes per link"}``).
    """

    def __init__(self, *blocks: ObservationBlock, name: str, symbols: Mapping[str, str]) -> None:
        names = [b.name for b in blocks]
        if len(set(names)) != len(names):
            raise ValueError(f"block names must be unique, got {names}")
        seen_conditional = False
        for b in blocks:
            if b.when is None and seen_conditional:
                raise ValueError("conditional blocks come after every unconditional one")
            seen_conditional = seen_conditional or b.when is not None
        self.name = name
        self.blocks = tuple(blocks)
        self.symbols = dict(symbols)

    def layout(self, **sizes: int) -> ObservationLayout:
        """The layout for an env of these sizes (every symbol the blocks use)."""
        present = tuple(b for b in self.blocks if b.when is None or b.when(sizes))
        values = tuple(_value(_terms(b.size), sizes) for b in present)
        return ObservationLayout(self.name, present, values)

    def shape_text(self) -> str:
        """The observation's shape in symbols: ``(3M + 3,); + M with primary users``."""
        total: _Terms = {}
        for b in self.blocks:
            if b.when is None:
                total = _add(total, _terms(b.size))
        parts = [f"({_text(total)},)"]
        parts += [f"+ {_text(_terms(b.size))} {b.condition}" for b in self.blocks if b.when]
        return "; ".join(parts)

    def table(self) -> str:
        """The manual's observation table (Markdown): slice, block, content, unit. A
        conditional block after another conditional one follows whichever are present."""
        rows = [
            "| slice | block | content | unit |",
            "|---|---|---|---|",
        ]
        start: _Terms = {}
        conditional = 0
        for b in self.blocks:
            terms = _terms(b.size)
            end = _add(start, terms)
            where = _text(start) if terms == {"": 1} else f"[{_text(start)}, {_text(end)})"
            if b.when is not None:
                conditional += 1
                if conditional > 1:
                    where = f"next {_text(terms)}"
            content = b.description + (f" ({b.condition})" if b.condition else "")
            rows.append(f"| {where} | ``{b.name}`` | {content} | {b.unit} |")
            start = end
        legend = ", ".join(f"{k}: {v}" for k, v in self.symbols.items())
        return "\n".join(rows) + f"\n\nSizes: {legend}."

    def document(self, doc: str | None) -> str:
        """``doc`` with ``<observation-table>`` and ``<observation-shape>`` filled in (the
        env manual's table and shape, generated from this spec)."""
        doc = doc or ""
        match = re.search(r"^( *)<observation-table>$", doc, re.MULTILINE)
        if match is not None:
            indent = match.group(1)
            table = "\n".join(indent + line if line else line for line in self.table().split("\n"))
            doc = doc.replace(match.group(0), table)
        return doc.replace("<observation-shape>", self.shape_text())
