"""Frozen intermediate representations shared by every stage: network, species, reactions, CRN."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from dsdcompile.errors import InputError

Stoich = tuple[tuple[str, int], ...]
"""A multiset of species as ``((name, count), ...)``, names unique, in a fixed order."""


class Role(enum.Enum):
    """What a species is for. Stored explicitly; never inferred from the name."""

    INPUT = "input"
    OUTPUT = "output"
    HIDDEN = "hidden"
    HELPER = "helper"
    FUEL = "fuel"
    WASTE = "waste"
    INTERMEDIATE = "intermediate"


@dataclass(frozen=True)
class Species:
    """A chemical species.

    ``node`` and ``rail`` tie a dual-rail species to the network value it carries:
    the value is ``[node, rail=+1] - [node, rail=-1]``. ``rail`` is 0 for single-rail species.
    """

    name: str
    role: Role = Role.INTERMEDIATE
    node: str | None = None
    rail: int = 0


@dataclass(frozen=True)
class Reaction:
    """A reaction ``reactants -> products`` with an optional rate constant (None: the default)."""

    reactants: Stoich
    products: Stoich
    rate: float | None = None

    @staticmethod
    def make(reactants: Mapping[str, int] | Iterable[str], products: Mapping[str, int] | Iterable[str],
             rate: float | None = None) -> Reaction:
        """Build a reaction from name lists (repeats count) or name→count mappings."""
        return Reaction(as_stoich(reactants), as_stoich(products), rate)

    @property
    def order(self) -> int:
        """Molecularity: the number of reactant molecules."""
        return sum(c for _, c in self.reactants)

    def __str__(self) -> str:
        return f"{format_side(self.reactants) or '0'} -> {format_side(self.products)}".rstrip()


def as_stoich(side: Mapping[str, int] | Iterable[str]) -> Stoich:
    """Normalise a side of a reaction to a Stoich, merging repeats and dropping zero counts."""
    counts: dict[str, int] = {}
    if isinstance(side, Mapping):
        for name, c in side.items():
            counts[name] = counts.get(name, 0) + int(c)
    else:
        for name in side:
            counts[name] = counts.get(name, 0) + 1
    for name, c in counts.items():
        if c < 0:
            raise InputError(f"negative stoichiometry {c} for species {name!r}")
    return tuple((n, c) for n, c in counts.items() if c)


def format_side(side: Stoich) -> str:
    return " + ".join(name if c == 1 else f"{c} {name}" for name, c in side)


@dataclass(frozen=True)
class Signal:
    """A network value held on two rails, ``value = [plus] - [minus]``, or on one (``minus`` None)."""

    name: str
    plus: str
    minus: str | None = None

    @property
    def species(self) -> tuple[str, ...]:
        return (self.plus,) if self.minus is None else (self.plus, self.minus)


@dataclass(frozen=True, eq=False)
class CRN:
    """A chemical reaction network with its network interface.

    ``initial`` holds the constant initial concentrations (the biases); input values are
    placed on the ``inputs`` signals per example and outputs are read off ``outputs``.
    The stoichiometry matrices are built once, on first use, as scipy sparse matrices so
    that CRNs with 10^5-10^6 species stay cheap to evaluate and simulate.
    """

    species: tuple[Species, ...]
    reactions: tuple[Reaction, ...]
    initial: tuple[tuple[str, float], ...] = ()
    inputs: tuple[Signal, ...] = ()
    outputs: tuple[Signal, ...] = ()

    def __post_init__(self) -> None:
        names = [s.name for s in self.species]
        known = set(names)
        if len(known) != len(names):
            dup = sorted(n for n, c in Counter(names).items() if c > 1)[:5]
            raise InputError(f"duplicate species names: {', '.join(dup)}")
        for r in self.reactions:
            for name, _ in r.reactants + r.products:
                if name not in known:
                    raise InputError(f"reaction '{r}' uses undeclared species {name!r}")
        for name, _ in self.initial:
            if name not in known:
                raise InputError(f"initial concentration for undeclared species {name!r}")
        for sig in self.inputs + self.outputs:
            for name in sig.species:
                if name not in known:
                    raise InputError(f"signal {sig.name!r} names undeclared species {name!r}")

    # -- lookups -------------------------------------------------------------------------
    @cached_property
    def index(self) -> dict[str, int]:
        """Species name → column index."""
        return {s.name: i for i, s in enumerate(self.species)}

    @cached_property
    def by_name(self) -> dict[str, Species]:
        return {s.name: s for s in self.species}

    @property
    def n_species(self) -> int:
        return len(self.species)

    @property
    def n_reactions(self) -> int:
        return len(self.reactions)

    @cached_property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Dual-rail pairs ``(plus, minus)``: species sharing a node with opposite rails."""
        rails: dict[str, dict[int, str]] = {}
        for s in self.species:
            if s.node is not None and s.rail in (1, -1):
                rails.setdefault(s.node, {})[s.rail] = s.name
        return tuple((r[1], r[-1]) for r in rails.values() if 1 in r and -1 in r)

    # -- matrices ------------------------------------------------------------------------
    def _side_matrix(self, side: str) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        idx = self.index
        for j, r in enumerate(self.reactions):
            for name, c in getattr(r, side):
                rows.append(j)
                cols.append(idx[name])
                vals.append(c)
        return sp.csr_matrix(
            (np.asarray(vals, dtype=np.float64), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
            shape=(self.n_reactions, self.n_species),
        )

    @cached_property
    def reactant_matrix(self) -> sp.csr_matrix:
        """R[r, s]: how many molecules of s reaction r consumes (reactions × species)."""
        return self._side_matrix("reactants")

    @cached_property
    def product_matrix(self) -> sp.csr_matrix:
        """P[r, s]: how many molecules of s reaction r produces (reactions × species)."""
        return self._side_matrix("products")

    @cached_property
    def stoichiometry(self) -> sp.csr_matrix:
        """Net change N = P - R, reactions × species."""
        return (self.product_matrix - self.reactant_matrix).tocsr()

    def rate_constants(self, default: float = 1.0) -> np.ndarray:
        return np.array([default if r.rate is None else r.rate for r in self.reactions], dtype=np.float64)

    def initial_vector(self) -> np.ndarray:
        c = np.zeros(self.n_species)
        for name, v in self.initial:
            c[self.index[name]] += v
        return c

    def initial_state(self, x: np.ndarray) -> np.ndarray:
        """Initial concentrations for a batch of input vectors x (batch × inputs), dual-rail encoded."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[1] != len(self.inputs):
            raise InputError(f"expected {len(self.inputs)} input values per example, got {x.shape[1]}")
        c = np.tile(self.initial_vector(), (x.shape[0], 1))
        idx = self.index
        plus = np.array([idx[s.plus] for s in self.inputs], dtype=np.int64)
        np.add.at(c, (slice(None), plus), np.maximum(x, 0.0))
        dual = np.array([s.minus is not None for s in self.inputs], dtype=bool)
        if (~dual).any() and (x[:, ~dual] < 0).any():
            k = int(np.flatnonzero(~dual & (x < 0).any(axis=0))[0])
            raise InputError(f"input {self.inputs[k].name!r} is single-rail and cannot take negative values")
        minus = np.array([idx[s.minus] for s in self.inputs if s.minus is not None], dtype=np.int64)
        np.add.at(c, (slice(None), minus), np.maximum(-x[:, dual], 0.0))
        return c

    def output_values(self, c: np.ndarray) -> np.ndarray:
        """Read the outputs ([plus] - [minus], or [plus] alone) off concentrations (batch × species)."""
        idx = self.index
        out = c[..., [idx[s.plus] for s in self.outputs]].copy()
        dual = [k for k, s in enumerate(self.outputs) if s.minus is not None]
        if dual:
            out[..., dual] -= c[..., [idx[self.outputs[k].minus] for k in dual]]
        return out

    def with_reactions(self, reactions: Sequence[Reaction], *, species: Sequence[Species] | None = None,
                       initial: Sequence[tuple[str, float]] | None = None) -> CRN:
        """A copy with new reactions (and optionally species and initial concentrations)."""
        return CRN(
            species=tuple(self.species if species is None else species),
            reactions=tuple(reactions),
            initial=tuple(self.initial if initial is None else initial),
            inputs=self.inputs,
            outputs=self.outputs,
        )

    def stats(self) -> dict[str, int]:
        return {
            "species": self.n_species,
            "reactions": self.n_reactions,
            "unimolecular": sum(1 for r in self.reactions if r.order == 1),
            "bimolecular": sum(1 for r in self.reactions if r.order == 2),
            "max_products": max((sum(c for _, c in r.products) for r in self.reactions), default=0),
        }


@dataclass(frozen=True, eq=False)
class Dense:
    """A fully connected layer y = W x + b, optionally followed by ReLU. W is (out × in), float64."""

    weight: np.ndarray
    bias: np.ndarray
    relu: bool

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.weight.shape)  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class Network:
    """A feed-forward ReLU network with the metadata needed to present it to users.

    ``preprocessing`` is a list of steps (see :mod:`dsdcompile.nn.preprocess`) mapping raw
    measurements to the network's input; ``meta`` keeps whatever else the model file carried.
    """

    layers: tuple[Dense, ...]
    input_names: tuple[str, ...]
    class_names: tuple[str, ...]
    preprocessing: tuple[Mapping, ...] = ()
    meta: Mapping = field(default_factory=dict)

    @property
    def sizes(self) -> list[int]:
        return [self.layers[0].shape[1]] + [layer.shape[0] for layer in self.layers]

    @property
    def n_inputs(self) -> int:
        return self.layers[0].shape[1]

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].shape[0]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The network's output for preprocessed inputs x (batch × inputs), in float64."""
        h = np.atleast_2d(np.asarray(x, dtype=np.float64))
        for layer in self.layers:
            h = h @ layer.weight.T + layer.bias
            if layer.relu:
                h = np.maximum(h, 0.0)
        return h

    def nonzero_weights(self) -> int:
        return int(sum(np.count_nonzero(layer.weight) for layer in self.layers))
