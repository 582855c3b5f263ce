"""Stop at the first proven error: a wrong design is proven wrong from its smallest module shapes.

A design under a scheme that is wrong (cardelli2011_FJ's fork gates, the literature two-domain schemes) is wrong
in most of its shapes, and on a network as large as the virus classifier's enumerating and checking every one of
them takes minutes (cardelli2011_FJ: 26 shapes, up to 60 products, 103 s of enumeration and 81 s of checks). The
verdict needs one proof. So :func:`screen_templates` picks the few smallest shapes, they are enumerated first,
and :func:`first_error` looks in each representative module's own reactions for a counterexample against the
*whole* formal CRN, re-checked independently (:func:`dsdcompile.verify.decide._module_counterexample`: a module's
condensed reactions are reactions of every system that holds it, so such a path is a whole-system
counterexample). When one is found the design is not equivalent whatever the other shapes do, and the DSD stage
skips their enumeration and checks (:func:`unchecked_verdicts` records them as not checked, with the reason);
``VerificationConfig.first_error`` off (``--check-every-shape``) checks them all.

Under the ``search`` reactant-order policy only modules with one reactant order are screened: another order of
a failing bimolecular reaction might verify, and the order search must be free to try it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dsdcompile.dsd.order import alternatives
from dsdcompile.verify.result import INCONCLUSIVE, ModuleVerdict
from dsdcompile.verify.system import fmt_rxn, formal_pairs

SCREENED_SHAPES = 4  # the smallest shapes enumerated first; the proof usually needs one


def screen_templates(system, policy: str, k: int = SCREENED_SHAPES) -> list[tuple[int, int]]:
    """(template, representative module) of the ``k`` smallest shapes that may be screened, smallest first; empty
    when the design has no more than ``k`` shapes (screening them first would save nothing)."""
    used = system.used_templates
    if len(used) <= k:
        return []
    reactions = system.split_crn.reactions
    out = []
    for t in used:
        rep = int(system.modules_of(t)[0])
        if policy == "search" and len(alternatives(reactions[rep])) > 1:
            continue
        tpl = system.templates[t]
        size = (len(tpl.reactants) + len(tpl.products), sum(len(f.strands) for f in tpl.fuels), t)
        out.append((size, t, rep))
    return [(t, rep) for _, t, rep in sorted(out)[:k]]


def first_error(system, modules: Sequence, max_states: int) -> tuple[int, str] | None:
    """(module index, the confirmed whole-system counterexample in its own reactions) for the first of
    ``modules`` that holds one, or None."""
    from dsdcompile.verify.decide import _module_counterexample

    fcrn = formal_pairs(system.split_crn.reactions)
    for module in modules:
        found = _module_counterexample(module, fcrn, min(max_states, 4_000), False)
        if found is not None:
            return module.index, found[1]
    return None


def unchecked_verdicts(system, templates: Mapping[int, str], method: str) -> list[ModuleVerdict]:
    """One inconclusive verdict per shape in ``templates`` (template → why it was not checked)."""
    out = []
    for t, why in sorted(templates.items()):
        members = tuple(int(i) for i in system.modules_of(t))
        rep = members[0]
        out.append(ModuleVerdict(
            shape=system.templates[t].shape, representative=rep, instances=len(members), verdict=INCONCLUSIVE,
            method=method, interpretation={}, counterexample=None, seconds=0.0,
            formal=fmt_rxn(formal_pairs([system.reaction(rep)])[0]), members=members, note=f"not checked: {why}",
            formal_index=int(system.origin[rep]) if system.origin is not None else None))
    return out


__all__ = ["SCREENED_SHAPES", "first_error", "screen_templates", "unchecked_verdicts"]
