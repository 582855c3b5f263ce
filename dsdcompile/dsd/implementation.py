"""The enumerated implementation of one formal reaction: the contract between enumeration and verification."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from dsdcompile.ir import Reaction


class ImplReaction(NamedTuple):
    """A condensed implementation reaction between resting complexes, as peppercorn enumerates it.

    ``reactants`` and ``products`` are complex names with repeats; ``rate`` is peppercorn's
    rate constant (per molar per second for two reactants, per second for one). A tuple, so
    ``r, p, k = reaction`` and ``reaction[:2]`` work as they do for a plain triple.
    """

    reactants: tuple[str, ...]
    products: tuple[str, ...]
    rate: float


@dataclass(frozen=True)
class ModuleImplementation:
    """What enumerating one formal reaction's module produced.

    ``signals`` maps each implementation species that stands for a formal species (a signal
    complex) to that formal species' name. ``fuels`` are present in excess and interpreted
    as nothing; every other species in ``reactions`` is an intermediate or a waste whose
    interpretation verification has to find. ``shape`` is a canonical key: modules with the
    same shape are isomorphic up to renaming of species (same scheme, same reactant and
    product counts and multiplicities), so verifying one representative covers them all.
    """

    index: int  # position of the reaction in the split CRN (verified.crn)
    formal: Reaction
    shape: str
    reactions: tuple[ImplReaction, ...]
    signals: tuple[tuple[str, str], ...]  # (implementation species, formal species)
    fuels: tuple[str, ...]
    wastes: tuple[str, ...] = ()
    formal_index: int | None = None  # the reaction of the translated CRN (formal.crn) this module comes from

    def renamed(self, rename: Mapping[str, str]) -> ModuleImplementation:
        """The module with its species renamed; names the renaming merges appear once, and a waste that became
        a fuel is a fuel."""
        def r(xs):
            return tuple(rename.get(x, x) for x in xs)
        fuels = tuple(dict.fromkeys(r(self.fuels)))
        return replace(self, reactions=tuple(ImplReaction(r(a), r(b), k) for a, b, k in self.reactions), fuels=fuels,
                       wastes=tuple(w for w in dict.fromkeys(r(self.wastes)) if w not in fuels),
                       signals=tuple((rename.get(i, i), f) for i, f in self.signals))
