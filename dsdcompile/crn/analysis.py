"""Analyses of a CRN's reaction graph: consumers, feed-forward order, substitution order."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dsdcompile.errors import NotFeedForward
from dsdcompile.ir import CRN, Reaction


def is_annihilation(crn: CRN, reaction: Reaction) -> bool:
    """True for ``S+ + S- -> ∅`` where S± are the two rails of one node."""
    if reaction.products or len(reaction.reactants) != 2 or any(c != 1 for _, c in reaction.reactants):
        return False
    a, b = (crn.by_name[name] for name, _ in reaction.reactants)
    return a.node is not None and a.node == b.node and {a.rail, b.rail} == {1, -1}


def annihilation_mask(crn: CRN) -> np.ndarray:
    return np.array([is_annihilation(crn, r) for r in crn.reactions], dtype=bool)


def consumers(crn: CRN, *, skip: np.ndarray | None = None) -> sp.csr_matrix:
    """Species × reactions incidence of consumption (CSR), ignoring reactions where ``skip``."""
    r = crn.reactant_matrix
    if skip is not None and skip.any():
        r = sp.diags((~skip).astype(np.float64)) @ r
    out = r.T.tocsr()
    out.eliminate_zeros()
    return out


def reaction_levels(crn: CRN, *, skip: np.ndarray | None = None) -> np.ndarray:
    """Topological level of every reaction (-1 for skipped ones); raises NotFeedForward.

    A reaction's level is one more than the highest level of any reaction producing one of
    its reactants. Feed-forward means every species is consumed by at most one (non-skipped)
    reaction and this graph has no cycle; then firing the levels in order to exhaustion
    reaches the unique limit state.
    """
    skip = np.zeros(crn.n_reactions, dtype=bool) if skip is None else skip
    cons = consumers(crn, skip=skip)
    per_species = np.diff(cons.indptr)
    if (per_species > 1).any():
        s = int(np.flatnonzero(per_species > 1)[0])
        name = crn.species[s].name
        raise NotFeedForward(f"species {name!r} is consumed by {per_species[s]} reactions; "
                             "rate-independent evaluation needs every species consumed by at most one")
    consumer = np.full(crn.n_species, -1, dtype=np.int64)
    has = per_species == 1
    consumer[has] = cons.indices[cons.indptr[:-1][has]]
    # successor graph r -> consumer(p) for each product p of r
    prod = crn.product_matrix.tocoo()
    succ = consumer[prod.col]
    ok = (succ >= 0) & ~skip[prod.row]
    graph = sp.csr_matrix((np.ones(ok.sum()), (prod.row[ok], succ[ok])), shape=(crn.n_reactions,) * 2)
    graph.sum_duplicates()
    graph.data[:] = 1
    indeg = np.asarray(graph.sum(axis=0)).ravel().astype(np.int64)
    level = np.full(crn.n_reactions, -1, dtype=np.int64)
    frontier = np.flatnonzero((indeg == 0) & ~skip)
    depth = 0
    graph_csc = graph.tocsr()
    while frontier.size:
        level[frontier] = depth
        nxt = graph_csc[frontier]
        if nxt.nnz:
            hit = np.bincount(nxt.indices, minlength=crn.n_reactions)
            indeg -= hit
            frontier = np.flatnonzero((hit > 0) & (indeg == 0))
        else:
            frontier = np.array([], dtype=np.int64)
        depth += 1
    if (level[~skip] < 0).any():
        r = int(np.flatnonzero((level < 0) & ~skip)[0])
        raise NotFeedForward(f"reaction '{crn.reactions[r]}' lies on a cycle of the reaction graph")
    return level


def require_feed_forward(crn: CRN) -> np.ndarray:
    """Reaction levels of a CRN that must be feed-forward with no annihilation reactions."""
    return reaction_levels(crn)


def substitution_generations(crn: CRN, *, protected: set[str]) -> tuple[list[list[str]], dict[str, int]]:
    """Species that the reduce pass can substitute away, grouped into generations.

    A species is substitutable when its only consumer is a unimolecular reaction with one
    reactant molecule and it is not ``protected``. Returns the generations (each only
    depending on earlier ones) and the map species → the reaction that consumes it.
    """
    cons = consumers(crn)
    substitution: dict[str, int] = {}
    for s, sp_ in enumerate(crn.species):
        if sp_.name in protected or cons.indptr[s + 1] - cons.indptr[s] != 1:
            continue
        j = int(cons.indices[cons.indptr[s]])
        if crn.reactions[j].reactants == ((sp_.name, 1),):
            substitution[sp_.name] = j
    # generation = longest chain of substitutable predecessors
    producers: dict[str, list[str]] = {name: [] for name in substitution}
    for name, j in substitution.items():
        for p, _ in crn.reactions[j].products:
            if p in producers:
                producers[p].append(name)
    gen: dict[str, int] = {}

    def depth(name: str) -> int:
        stack = [name]
        while stack:
            top = stack[-1]
            pending = [q for q in producers[top] if q not in gen]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            gen[top] = 1 + max((gen[q] for q in producers[top]), default=-1)
        return gen[name]

    for name in substitution:
        if name not in gen:
            depth(name)
    groups: list[list[str]] = [[] for _ in range(max(gen.values(), default=-1) + 1)]
    for s in crn.species:
        if s.name in gen:
            groups[gen[s.name]].append(s.name)
    return groups, substitution
