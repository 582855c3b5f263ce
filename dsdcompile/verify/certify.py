"""Check an interpretation that crnverifier returned against the definition of CRN bisimulation, independently.

crnverifier's search is trusted to find interpretations, not to be right about them: an
"equivalent" verdict is what a user takes to the bench, so every bisimulation it returns is
checked here again, condition by condition (Johnson, Dong & Winfree 2019, Definition 2):

* atomic: every formal species is the exact meaning of some implementation species;
* delimiting: every implementation reaction means a formal reaction or a trivial one;
* permissive: from every implementation state whose meaning enables a formal reaction r,
  trivial reactions can lead to a state where an implementation reaction meaning r can fire.
  It suffices to check the minimal implementation states whose meaning covers r's reactants
  (adding molecules never disables a reaction), and "trivial reactions can lead to a state
  covering the reactants of some r'" is a coverability question, decided exactly by
  backward coverability (:mod:`dsdcompile.verify.reachability`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from dsdcompile.verify.reachability import backward_basis, covers
from dsdcompile.verify.system import Rxn, fmt_multiset, fmt_rxn


def _meaning(names, inter: Mapping[str, Sequence[str]]) -> Counter:
    out: Counter = Counter()
    for x in names:
        out.update(inter.get(x, ()))
    return out


def _minimal_states(need: Counter, inter: Mapping[str, Sequence[str]], limit: int) -> list[Counter] | None:
    """Minimal multisets of implementation species whose meaning covers ``need`` (None past ``limit``)."""
    carriers = {f: sorted(x for x, v in inter.items() if f in v) for f in need}
    found: set[tuple[str, ...]] = set()

    def grow(chosen: list[str], left: Counter) -> bool:
        if len(found) > limit:
            return False
        short = sorted(f for f, c in left.items() if c > 0)
        if not short:
            found.add(tuple(sorted(chosen)))
            return True
        for x in carriers[short[0]]:
            rest = left - Counter(inter[x])
            if not grow(chosen + [x], rest):
                return False
        return True

    if not grow([], Counter(need)):
        return None
    out = []
    for s in found:
        c = Counter(s)
        if all(not covers(_meaning((c - Counter([x])).elements(), inter), need) for x in c):
            out.append(c)
    return out


def certify(fcrn: Sequence[Rxn], icrn: Sequence[Rxn], inter: Mapping[str, Sequence[str]], formals: set[str], *,
            max_basis: int = 20_000, max_minimal: int = 20_000) -> str | None:
    """None if ``inter`` is a CRN bisimulation of ``icrn`` against ``fcrn``, else the violated condition.

    ``inter`` must give every implementation species a meaning (a possibly empty list of
    formal species); "undecided: ..." comes back when a search bound was hit.
    """
    species = {x for r, p in icrn for x in r + p}
    missing = sorted(species - set(inter))
    if missing:
        return f"no meaning for {', '.join(missing[:5])}"
    atoms = {v[0] for v in inter.values() if len(v) == 1}
    lonely = sorted(f for f in formals if f not in atoms)
    if lonely:
        return f"atomic condition fails: no implementation species means exactly {', '.join(lonely)}"
    fkeys = {(tuple(sorted(r)), tuple(sorted(p))) for r, p in fcrn}
    trivial: list[Rxn] = []
    implements: dict[tuple, list[Rxn]] = {k: [] for k in fkeys}
    for r, p in icrn:
        mr, mp = _meaning(r, inter), _meaning(p, inter)
        if mr == mp:
            trivial.append((tuple(r), tuple(p)))
            continue
        key = (tuple(sorted(mr.elements())), tuple(sorted(mp.elements())))
        if key not in fkeys:
            return (f"delimiting condition fails: {fmt_rxn((tuple(r), tuple(p)))} means "
                    f"{fmt_multiset(mr.elements())} -> {fmt_multiset(mp.elements())}")
        implements[key].append((tuple(r), tuple(p)))
    for key, rxns in implements.items():
        if not rxns:
            return f"formal reaction {fmt_rxn(key)} has no implementation reaction"
        basis = backward_basis(trivial, [r for r, _ in rxns], max_basis)
        minimal = _minimal_states(Counter(key[0]), inter, max_minimal)
        if basis is None or minimal is None:
            return f"undecided: the permissive check of {fmt_rxn(key)} outgrew its search bound"
        for s in minimal:
            if not any(covers(s, b) for b in basis):
                return (f"permissive condition fails: from {fmt_multiset(s.elements())} (meaning "
                        f"{fmt_multiset(key[0])}) no trivial reactions lead to an implementation of {fmt_rxn(key)}")
    return None
