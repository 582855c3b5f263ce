"""Optional pass adding ``S+ + S- -> ∅`` for every dual-rail pair (Vasic et al. 2020, appendix).

Without it both rails of a value can grow large while their difference stays small;
annihilation keeps concentrations bounded and leaves every difference, hence every output,
unchanged.
"""

from __future__ import annotations

from dsdcompile.ir import CRN, Reaction


def add_annihilation(crn: CRN) -> CRN:
    existing = {r.reactants for r in crn.reactions if not r.products}
    extra = []
    for plus, minus in crn.pairs:
        reactants = Reaction.make([plus, minus], []).reactants
        if reactants not in existing:
            extra.append(Reaction(reactants, ()))
    return crn.with_reactions(crn.reactions + tuple(extra))
