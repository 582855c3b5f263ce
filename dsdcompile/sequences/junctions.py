"""Helix-end constraints: the two nucleotides just beyond every end of an intended helix must not pair.

ViennaRNA folded 16 of the virus design's 20 failing fork gates one base pair away from the
intended structure: a top strand's helix grew by one pair into its single-stranded tail,
taking the pair of the neighbouring strand across the nick (the two strands compete for the
same bottom-strand base because the tail base and the neighbour's first base are equal).
Such a shift is decided by the bases at domain boundaries, which symmetry minimisation does
not look at, so these constraints name them explicitly.

For every intended pair (i, j) and each of its two neighbours (i+1, j-1) and (i-1, j+1) that
lie on the same strands as i and j and are not themselves an intended pair, the neighbour is
a *junction* when at most one of its two nucleotides is paired in the intended structure
(both unpaired: the helix could grow; one paired elsewhere: the helix could slide). A
junction is violated when its two bases are Watson-Crick complementary (G·T is not a pair in
the DNA model used here). A junction both of whose nucleotides are one domain position and
its own complement can never be satisfied; it is reported, not scored.

Each nucleotide is a *site* (domain, position in the domain's top sequence, complemented?),
so a constraint holds wherever those domains occur, and :class:`JunctionScore` updates the
violation count incrementally when one domain changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dsdcompile.dsd.notation import pair_table
from dsdcompile.sequences.problem import SequenceProblem, nucleotide_structure

Site = tuple[str, int, bool]   # (domain, position in its top sequence, complemented)
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


@dataclass(frozen=True)
class Junction:
    a: Site
    b: Site
    complex: str      # the first complex that has this junction (for reports)

    def violated(self, seqs: Mapping[str, str]) -> bool:
        return base(self.a, seqs) == COMPLEMENT[base(self.b, seqs)]

    @property
    def satisfiable(self) -> bool:
        return not (self.a[:2] == self.b[:2] and self.a[2] != self.b[2])


def base(site: Site, seqs: Mapping[str, str]) -> str:
    b = seqs[site[0]][site[1]]
    return COMPLEMENT[b] if site[2] else b


def sites_sequence(sites, seqs: Mapping[str, str]) -> str:
    """The nucleotides at ``sites``, in order."""
    return "".join(base(x, seqs) for x in sites)


def strand_sites(doms: tuple[str, ...], lengths: Mapping[str, int]) -> list[Site]:
    """Every nucleotide of a strand with domains ``doms``, 5' to 3', as a site of its domain's top sequence."""
    out: list[Site] = []
    for x in doms:
        name, n = x.rstrip("*"), lengths[x.rstrip("*")]
        out += [(name, n - 1 - p, True) if x.endswith("*") else (name, p, False) for p in range(n)]
    return out


def find_junctions(problem: SequenceProblem) -> list[Junction]:
    """Every junction of every multi-stranded complex of ``problem`` (deduplicated by its two sites)."""
    strand_doms = {s.name: s.domains for s in problem.strands}
    lengths = {d.name: d.length for d in problem.domains}
    seen: dict[frozenset, Junction] = {}
    for cx in problem.complexes:
        if len(cx.strands) < 2 or "(" not in cx.structure:
            continue
        doms = [strand_doms[s] for s in cx.strands]
        pt = [-1 if p is None else p for p in pair_table(nucleotide_structure(cx.structure, doms, lengths))]
        sites = [s for d in doms for s in strand_sites(d, lengths)]
        strand = [k for k, d in enumerate(doms) for _ in strand_sites(d, lengths)]
        n = len(pt)
        for i in range(n):
            j = pt[i]
            if j < i:
                continue
            for a, b in ((i + 1, j - 1), (i - 1, j + 1)):
                if not (0 <= a < n and 0 <= b < n) or strand[a] != strand[i] or strand[b] != strand[j]:
                    continue
                if pt[a] == b or (pt[a] >= 0 and pt[b] >= 0):
                    continue
                if strand[a] == strand[b] and abs(b - a) < 4:   # no hairpin loop shorter than 3
                    continue
                key = frozenset((sites[a], sites[b]))
                if key not in seen:
                    seen[key] = Junction(sites[a], sites[b], cx.name)
    return list(seen.values())


class JunctionScore:
    """How many junctions are violated, updated per changed domain."""

    def __init__(self, junctions: list[Junction], seqs: Mapping[str, str]) -> None:
        self.junctions = [j for j in junctions if j.satisfiable]
        self.unsatisfiable = [j for j in junctions if not j.satisfiable]
        self.seqs = seqs
        self.touching: dict[str, list[int]] = {}
        for k, j in enumerate(self.junctions):
            for name in {j.a[0], j.b[0]}:
                self.touching.setdefault(name, []).append(k)
        self.bad = {k for k, j in enumerate(self.junctions) if j.violated(seqs)}

    @property
    def score(self) -> int:
        return len(self.bad)

    def update(self, name: str) -> int:
        """Re-evaluate the junctions that touch domain ``name`` (after its sequence changed)."""
        for k in self.touching.get(name, ()):
            if self.junctions[k].violated(self.seqs):
                self.bad.add(k)
            else:
                self.bad.discard(k)
        return len(self.bad)

    def violated(self) -> list[Junction]:
        return [self.junctions[k] for k in sorted(self.bad)]


__all__ = ["Junction", "JunctionScore", "Site", "base", "find_junctions"]
