"""Plain, picklable forms of what verification checks: a formal reaction and its condensed implementation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.ir import Reaction, Stoich

Rxn = tuple[tuple[str, ...], tuple[str, ...]]
"""An irreversible reaction as (sorted reactant names with repeats, sorted product names with repeats)."""


def expand(side: Stoich) -> tuple[str, ...]:
    """A Stoich as a sorted name tuple with repeats."""
    return tuple(sorted(n for n, c in side for _ in range(c)))


def fmt_multiset(names: Iterable[str]) -> str:
    """"2 A + B" for ["A", "A", "B"], "∅" for nothing."""
    counts = Counter(names)
    if not counts:
        return "∅"
    return " + ".join(n if c == 1 else f"{c} {n}" for n, c in sorted(counts.items()))


def fmt_rxn(rxn: Rxn) -> str:
    return f"{fmt_multiset(rxn[0])} -> {fmt_multiset(rxn[1])}"


def condense(reactions: Iterable[Sequence], fuels: Iterable[str]) -> tuple[Rxn, ...]:
    """Drop fuels from both sides (they are in excess, so they never limit a reaction), then
    drop reactions that became no-ops and duplicates; the order of first appearance is kept."""
    fuels = set(fuels)
    out: list[Rxn] = []
    seen: set[Rxn] = set()
    for r in reactions:
        reactants = tuple(sorted(x for x in r[0] if x not in fuels))
        products = tuple(sorted(x for x in r[1] if x not in fuels))
        key = (reactants, products)
        if reactants == products or key in seen:
            continue
        seen.add(key)
        out.append(key)
    return tuple(out)


@dataclass(frozen=True)
class PreparedModule:
    """One formal reaction with its condensed implementation and the fixed interpretation of its signals."""

    index: int
    shape: str
    formal: Rxn
    icrn: tuple[Rxn, ...]
    signals: tuple[tuple[str, str], ...]  # (implementation species, formal species)
    fuels: tuple[str, ...]
    raw_reactions: int = 0

    @property
    def signal_map(self) -> dict[str, str]:
        return dict(self.signals)

    @property
    def formal_species(self) -> set[str]:
        return set(self.formal[0]) | set(self.formal[1]) | {f for _, f in self.signals}

    @property
    def species(self) -> set[str]:
        return {x for r, p in self.icrn for x in r + p}


def prepare(module: ModuleImplementation) -> PreparedModule:
    return PreparedModule(
        index=module.index,
        shape=module.shape,
        formal=(expand(module.formal.reactants), expand(module.formal.products)),
        icrn=condense(((r, p) for r, p, *_ in module.reactions), module.fuels),
        signals=tuple(module.signals),
        fuels=tuple(module.fuels),
        raw_reactions=len(module.reactions),
    )


def shape_signature(module: ModuleImplementation) -> tuple:
    """A cheap isomorphism invariant: the reaction count and the multiset of reaction arities,
    each side counted as (signals, fuels, others). It runs once per module, 10^6 times for big
    networks, hence the plain loops."""
    signals = {s for s, _ in module.signals}
    fuels = set(module.fuels)
    arities = []
    for r, p, *_ in module.reactions:
        code = []
        for side in (r, p):
            ns = nf = 0
            for x in side:
                if x in signals:
                    ns += 1
                elif x in fuels:
                    nf += 1
            code.append((ns, nf, len(side) - ns - nf))
        arities.append(tuple(code))
    arities.sort()
    return (len(module.reactions), len(signals), len(fuels), tuple(arities))


def formal_pairs(reactions: Iterable[Reaction]) -> list[Rxn]:
    """Formal reactions as (reactants, products) sorted name tuples with repeats (dsdcompile's own searches)."""
    return [(expand(r.reactants), expand(r.products)) for r in reactions]


def formal_rxns(reactions: Iterable[Reaction]) -> list[list[list[str]]]:
    """Formal reactions in crnverifier's list form."""
    return [[list(expand(r.reactants)), list(expand(r.products))] for r in reactions]


def as_lists(icrn: Iterable[Rxn]) -> list[list[list[str]]]:
    """crnverifier edits reactant lists in place (list.remove), so it needs fresh lists."""
    return [[list(r), list(p)] for r, p in icrn]


def interpretation_strings(inter: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {k: fmt_multiset(v) for k, v in sorted(inter.items())}
