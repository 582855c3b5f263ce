"""Helper catalysts for zero- and first-order reactions, so that every module of a rate-dependent CRN is a join.

A DSD gate runs a first-order formal reaction ``X -> P`` as ``X + gate -> ...`` at
pseudo-first-order rate k_gate·[gate], one gate used up per firing, and a source ``0 -> P``
as ``F + gate -> ...`` with two fuels used up. A rate-dependent CRN (anderson2021) keeps
these reactions firing for as long as it runs, at rates of order 1/τ with τ of an hour or
so. With toehold rates near 10^6 /M/s the gate would have to sit at about 1/(τ·k_gate),
below a nanomolar, and would be used up within minutes. Two-reactant modules do not have
this problem: Soloveichik's join makes its first step reversible with a buffer strand, so
its rate constant is about k·[gate]/[buffer] (:mod:`dsdcompile.kinetics.rate_fuel`), and gate
and buffer can both be far above what the run consumes.

So before translation every reaction gets helper catalysts up to two reactants::

    0 -> P [k]   becomes   H0 + H1 -> H0 + H1 + P [k]
    X -> P [k]   becomes   H0 + X -> H0 + P [k]

H0 and H1 are new species (role helper) that start at 1 unit. They are catalysts in every
reaction they appear in, so [H0] = [H1] = 1 for all time and the mass-action ODE of every
other species is unchanged: same trajectories, same fixed points. Reactions with two or
more reactants are kept as they are.
"""

from __future__ import annotations

from dsdcompile.ir import CRN, Reaction, Role, Species


def _helper_names(crn: CRN) -> tuple[str, str]:
    prefix = "Hc"
    while any(s.name.startswith(prefix) for s in crn.species):
        prefix += "_"
    return f"{prefix}0", f"{prefix}1"


def add_helper_catalysts(crn: CRN) -> CRN:
    """The CRN with zero- and first-order reactions made bimolecular through constant helper catalysts."""
    if all(r.order >= 2 for r in crn.reactions):
        return crn
    h0, h1 = _helper_names(crn)
    used: set[str] = set()
    reactions = []
    for r in crn.reactions:
        if r.order >= 2:
            reactions.append(r)
            continue
        helpers = (h0, h1) if r.order == 0 else (h0,)
        used.update(helpers)
        reactants = dict(r.reactants)
        products = dict(r.products)
        for h in helpers:
            reactants[h] = reactants.get(h, 0) + 1
            products[h] = products.get(h, 0) + 1
        reactions.append(Reaction.make(reactants, products, r.rate))
    helpers = [h for h in (h0, h1) if h in used]
    species = crn.species + tuple(Species(h, Role.HELPER) for h in helpers)
    initial = crn.initial + tuple((h, 1.0) for h in helpers)
    return CRN(species, tuple(reactions), initial, crn.inputs, crn.outputs)


__all__ = ["add_helper_catalysts"]
