"""Annealing pools: which complexes can be annealed (and purified) together in one tube.

Complexes are pooled when they would migrate as one band in native PAGE (same role in the
scheme and the same strand lengths, so the pool's complexes are purified together and
excess single strands run apart) and when no strand of one is complementary to a long
(branch-migration or history) domain of another: such a pair would hybridise wrongly while
cooling (a join gate annealed with the fork gate it triggers would come out already fired).
Toehold-only complementarity (5 nt) is allowed: the intended 15-20 bp duplexes win. Pools are
filled greedily in the complexes' order, which keeps the plan reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PoolMember:
    """A complex to anneal: name, group key (co-migrating kind), strands as domain lists, final concentration."""

    name: str
    group: str
    strands: tuple[tuple[str, ...], ...]
    concentration_nM: float


def _sides(strands: Iterable[tuple[str, ...]], long_domains: set[str]) -> tuple[set[str], set[str]]:
    plain, star = set(), set()
    for s in strands:
        for d in s:
            base = d.rstrip("*")
            if base in long_domains:
                (star if d.endswith("*") else plain).add(base)
    return plain, star


def plan_pools(members: Sequence[PoolMember], long_domains: set[str], *, prefix: str = "P") -> list[list[PoolMember]]:
    """Pools of complexes: per group key, greedy first fit into pools without conflicts."""
    groups: dict[str, list[PoolMember]] = {}
    for m in members:
        groups.setdefault(m.group, []).append(m)
    pools: list[list[PoolMember]] = []
    for key in groups:
        mine: list[list[PoolMember]] = []
        sides: list[tuple[set[str], set[str]]] = []
        for m in groups[key]:
            p, s = _sides(m.strands, long_domains)
            for pool, (pp, ps) in zip(mine, sides):
                if not (p & ps or s & pp):
                    pool.append(m)
                    pp |= p
                    ps |= s
                    break
            else:
                mine.append([m])
                sides.append((set(p), set(s)))
        pools += mine
    return pools


__all__ = ["PoolMember", "plan_pools"]
