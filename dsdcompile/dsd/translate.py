"""The translation pass: a CRN becomes a DSD system, one module per reaction, each reaction shape translated once."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from dsdcompile.config import DSDConfig
from dsdcompile.dsd.schemes import load_scheme
from dsdcompile.dsd.system import DSDSystem
from dsdcompile.dsd.templates import auto_max_products, build_template
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN
from dsdcompile.passes.split import absorb_unimolecular, split_with_origin

__all__ = ["translate"]


def _check_coefficients(crn: CRN, limit: int) -> None:
    """Refuse a coefficient above ``limit`` before any work: it would become ~coefficient/K modules."""
    for i, r in enumerate(crn.reactions):
        worst = max((c for _, c in r.reactants + r.products), default=0)
        if worst > limit:
            text = str(r)
            raise InputError(f"reaction {i} ({text[:80] + ' …' if len(text) > 80 else text}) has a stoichiometric "
                             f"coefficient {worst} above DSDConfig.max_coefficient={limit}: the DSD stage would "
                             f"need about {worst} strands for it")


# The most reactant molecules one module may join unless its scheme says otherwise (PRACTICAL_MAX_REACTANTS):
# verifying a join is exponential in its reactants. Measured on 2 cores (`10 A -> B` style reactions,
# whole compile): soloveichik2010 6 → 14 s, 7 → over 60 s; qian2011_3D 6 → 10 s, 10 → over 40 s.
PRACTICAL_MAX_REACTANTS = 6


def _check_reactants(crn: CRN, scheme_name: str, limit: int) -> None:
    """Refuse, before any work, a reaction whose module could not be enumerated and verified in reasonable time."""
    for i, r in enumerate(crn.reactions):
        if r.order > limit:
            text = str(r)
            raise InputError(f"reaction {i} ({text[:80] + ' …' if len(text) > 80 else text}) joins {r.order} "
                             f"reactant molecules; {scheme_name} modules are enumerated and verified in practice "
                             f"for at most {limit} (each more multiplies the verification time about tenfold: 7 "
                             f"take minutes); write it as a cascade of reactions with at most {limit} reactants")


def translate(crn: CRN, scheme: str, config: DSDConfig | None = None, *,
              progress: Callable[[int], None] | None = None,
              reorder: Mapping[int, tuple[str, ...]] | None = None) -> DSDSystem:
    """Translate ``crn`` with the named scheme (or a .py scheme file): absorb and split to K products, one module
    per reaction of the split CRN; every reaction pattern (shape and binding order, ``config.reactant_order``) is
    translated once. ``reorder`` maps a split reaction to the reactant order to bind it with instead.
    ``progress(n)`` counts reactions."""
    from dsdcompile.dsd.order import SORTED, pattern, template_id

    config = config or DSDConfig()
    policy = SORTED if getattr(config, "reactant_order", SORTED) == SORTED else "as-written"
    reorder = reorder or {}
    _check_coefficients(crn, config.max_coefficient)
    sch = load_scheme(scheme, toehold_nt=config.toehold_nt, branch_nt=config.branch_nt)
    limit = getattr(sch.module, "PRACTICAL_MAX_REACTANTS", None)
    _check_reactants(crn, sch.name, limit if isinstance(limit, int) and limit > 0 else PRACTICAL_MAX_REACTANTS)
    max_reactants = max((r.order for r in crn.reactions), default=1)
    k = config.max_products or auto_max_products(sch, max_reactants, config.max_strand_nt)
    work, origin = crn, np.arange(crn.n_reactions)
    if config.compact:
        work, origin = absorb_unimolecular(crn, k)
    split, tree_origin, n_split = split_with_origin(work, k)
    origin = origin[tree_origin]
    templates: dict[tuple, int] = {}
    built = []
    module_template = np.empty(split.n_reactions, dtype=np.int32)
    offsets = np.zeros(split.n_reactions + 1, dtype=np.int64)
    flat: list[int] = []
    index = split.index
    for i, r in enumerate(split.reactions):
        key, order, seq = pattern(r, policy, reorder.get(i))
        tid = template_id(key, seq)
        t = templates.get(tid)
        if t is None:
            t = templates[tid] = len(built)
            built.append(build_template(sch, key, seq))
        module_template[i] = t
        flat.extend(index[n] for n in order)
        offsets[i + 1] = len(flat)
        if progress is not None and (i + 1) % 1000 == 0:
            progress(1000)
    return DSDSystem(
        scheme=sch.name, citation=sch.citation, layout=sch.layout, toehold_nt=sch.toehold_nt,
        branch_nt=sch.branch_nt, crn=crn, split_crn=split, max_products=k,
        fuel_concentration=config.fuel_concentration, templates=tuple(built), module_template=module_template,
        module_offsets=offsets, module_species=np.asarray(flat, dtype=np.int32), origin=origin,
        split_reactions=n_split, reactant_order=policy,
        reordered=tuple((int(i), "reordered") for i in sorted(reorder)), shared=sch.shared,
        global_domains=sch.global_domains)
