"""The enumerated implementation of one formal reaction: the contract between enumeration and verification."""

from __future__ import annotations

from dataclasses import dataclass

from dsdcompile.ir import Reaction

ImplReaction = tuple[tuple[str, ...], tuple[str, ...], float]
"""A condensed implementation reaction: (reactant names with repeats, product names with repeats, rate constant)."""


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
