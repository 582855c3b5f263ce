"""Bound products per reaction: absorb unimolecular reactions where they fit, split the rest through helper trees."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, deque

import numpy as np

from dsdcompile.crn.analysis import annihilation_mask, reaction_levels
from dsdcompile.errors import InputError, NotFeedForward
from dsdcompile.ir import CRN, Reaction, Role, Species, Stoich, as_stoich


def _width(side: Stoich) -> int:
    return sum(c for _, c in side)


def _check_k(max_products: int) -> None:
    if not isinstance(max_products, int) or max_products < 2:
        raise InputError(f"max_products must be an integer >= 2 (a tree needs fan-out), got {max_products!r}")


def absorb_unimolecular(crn: CRN, max_products: int) -> tuple[CRN, np.ndarray]:
    """Substitute ``X -> P`` into every producer of X where each producer then still has <= K products.

    X must be neither an input nor an output, consumed by that one reaction only, and not made
    by it. In the rate-independent limit X -> P converts all X into P, so producing P directly
    (and starting from P where X had an initial concentration) leaves every other species' limit
    unchanged. Downstream reactions go first so chains collapse. Returns the CRN and, per kept
    reaction, the index of the reaction of ``crn`` it descends from. Non-feed-forward CRNs are
    returned unchanged.
    """
    _check_k(max_products)
    try:
        levels = reaction_levels(crn, skip=annihilation_mask(crn))
    except NotFeedForward:
        return crn, np.arange(crn.n_reactions)
    protected = {s for sig in crn.inputs + crn.outputs for s in sig.species}
    products = [dict(r.products) for r in crn.reactions]
    consumers: dict[str, list[int]] = {}
    producers: dict[str, set[int]] = {}
    for j, r in enumerate(crn.reactions):
        for name, _ in r.reactants:
            consumers.setdefault(name, []).append(j)
        for name, _ in r.products:
            producers.setdefault(name, set()).add(j)
    initial: dict[str, float] = {}
    for name, v in crn.initial:
        initial[name] = initial.get(name, 0.0) + v
    alive = np.ones(crn.n_reactions, dtype=bool)
    removed: set[str] = set()
    order = sorted(range(crn.n_reactions), key=lambda j: -levels[j])
    for u in order:
        r = crn.reactions[u]
        if len(r.reactants) != 1 or r.reactants[0][1] != 1:
            continue
        x = r.reactants[0][0]
        if x in protected or len(consumers.get(x, ())) != 1 or x in products[u]:
            continue
        makers = producers.get(x, set())
        if not makers and x not in initial:
            continue
        fan = sum(products[u].values())
        if any(sum(products[p].values()) - products[p][x] + products[p][x] * fan > max_products for p in makers):
            continue
        for p in makers:
            c = products[p].pop(x)
            for name, k in products[u].items():
                products[p][name] = products[p].get(name, 0) + c * k
                producers.setdefault(name, set()).add(p)
        if x in initial:
            v = initial.pop(x)
            for name, k in products[u].items():
                initial[name] = initial.get(name, 0.0) + v * k
        for name in products[u]:
            producers[name].discard(u)
        alive[u] = False
        removed.add(x)
        producers.pop(x, None)
    keep = np.flatnonzero(alive)
    reactions = [Reaction(crn.reactions[j].reactants, as_stoich(products[j]), crn.reactions[j].rate) for j in keep]
    species = [s for s in crn.species if s.name not in removed]
    out = CRN(tuple(species), tuple(reactions), tuple((n, v) for n, v in initial.items() if v),
              crn.inputs, crn.outputs)
    return out, keep


def _interleave(products: Stoich) -> list[str]:
    """All product molecules, round-robin over species (most abundant first), so neighbours differ where possible."""
    ranked = sorted(products, key=lambda nc: -nc[1])
    names = [n for n, _ in ranked]
    neg_counts = [-c for _, c in ranked]  # ascending, for bisect
    items: list[str] = []
    for rnd in range(ranked[0][1] if ranked else 0):
        items.extend(names[:bisect_right(neg_counts, -(rnd + 1))])
    return items


def _helper_prefix(crn: CRN) -> str:
    prefix = "hx"
    while any(s.name.startswith(prefix) for s in crn.species):
        prefix += "_"
    return prefix


def _tree_cost(width: int, k: int) -> float:
    # Proxy for nucleotides: a module costs about 0.6 product slots, a helper a module plus a slot.
    helpers = -(-(width - k) // (k - 1)) if width > k else 0
    return 0.6 + width + 1.6 * helpers


def _share_chunks(crn: CRN, k: int, prefix: str, max_candidates: int) -> tuple[list[Reaction], list[Species],
                                                                                   list[int]]:
    """Factor product chunks that several over-wide reactions share into one helper ``h -> chunk``.

    A chunk (the common products of two reactions) contained in c reactions is produced there as one h each; greedy by
    estimated saving, recomputed after every choice. Only for up to ``max_candidates`` wide
    reactions (pairwise intersections): big CRNs go straight to per-reaction trees.
    """
    reactions = list(crn.reactions)
    origin = list(range(len(reactions)))
    species: list[Species] = []
    wide = [j for j, r in enumerate(reactions) if _width(r.products) > k]
    if len(wide) < 2 or len(wide) > max_candidates:
        return reactions, species, origin
    prods = {j: Counter(dict(reactions[j].products)) for j in wide}
    while True:
        best, best_gain = None, 0.0
        seen: set[tuple] = set()
        for a in range(len(wide)):
            for b in range(a + 1, len(wide)):
                common = prods[wide[a]] & prods[wide[b]]
                if sum(common.values()) < 3:
                    continue
                chunk = tuple(sorted(common.elements()))  # wider than K: split below like any reaction
                if chunk in seen:
                    continue
                seen.add(chunk)
                need = Counter(chunk)
                users = [j for j in wide if not need - prods[j]]
                before = sum(_tree_cost(sum(prods[j].values()), k) for j in users)
                after = sum(_tree_cost(sum(prods[j].values()) - len(chunk) + 1, k) for j in users)
                gain = before - after - _tree_cost(len(chunk), k)
                if gain > best_gain:
                    best, best_gain = (need, users), gain
        if best is None:
            break
        need, users = best
        helper = f"{prefix}s{len(species)}"
        species.append(Species(helper, Role.HELPER))
        for j in users:
            prods[j] = prods[j] - need
            prods[j][helper] += 1
        reactions.append(Reaction(((helper, 1),), as_stoich(dict(need))))
        origin.append(users[0])
        wide = [j for j in wide if sum(prods[j].values()) > k]
        if len(wide) < 2:
            break
    for j, c in prods.items():
        reactions[j] = Reaction(reactions[j].reactants, as_stoich(dict(c)), reactions[j].rate)
    return reactions, species, origin


def split_with_origin(crn: CRN, max_products: int, *, share: bool = True,
                      max_share_candidates: int = 300) -> tuple[CRN, np.ndarray, int]:
    """`split_products`, also giving each new reaction's source index and the number of reactions split."""
    _check_k(max_products)
    prefix = _helper_prefix(crn)
    species = list(crn.species)
    shared_species: list[Species] = []
    source = list(crn.reactions)
    source_origin = list(range(len(source)))
    if share:
        source, shared_species, source_origin = _share_chunks(crn, max_products, prefix, max_share_candidates)
    species += shared_species
    reactions: list[Reaction] = []
    origin: list[int] = []
    n_split = 0
    for j0, r in enumerate(source):
        j = source_origin[j0]
        if _width(r.products) <= max_products:
            reactions.append(r)
            origin.append(j)
            continue
        n_split += 1
        queue = deque(_interleave(r.products))
        tree: list[Reaction] = []
        # Each helper takes K items off the front and rejoins at the back: the fewest helpers
        # (ceil((P - K) / (K - 1))) and a balanced tree of depth about log_K P.
        while len(queue) > max_products:
            group = [queue.popleft() for _ in range(max_products)]
            helper = f"{prefix}{len(species) - crn.n_species - len(shared_species)}"
            species.append(Species(helper, Role.HELPER))
            tree.append(Reaction((( helper, 1),), as_stoich(group)))
            queue.append(helper)
        reactions.append(Reaction(r.reactants, as_stoich(queue), r.rate))
        reactions.extend(tree)
        origin.extend([j] * (len(tree) + 1))
    out = CRN(tuple(species), tuple(reactions), crn.initial, crn.inputs, crn.outputs)
    return out, np.asarray(origin, dtype=np.int64), n_split


def split_products(crn: CRN, max_products: int, *, share: bool = True) -> CRN:
    """Split every reaction with more than K product molecules into a tree through helper species.

    ``A (+ B) -> P1 + ... + Pn`` becomes ``A (+ B) -> h_a + h_b + ...`` and ``h -> <= K items``
    (products or further helpers). Each helper is made once and consumed by one unimolecular
    reaction, so in the rate-independent limit every product appears exactly as often as before.
    Product molecules are interleaved so that a helper's products are distinct species whenever
    the multiset allows (peppercorn is slow on modules with many identical products). With
    ``share``, chunks common to several wide reactions first become one shared helper each
    (made by several reactions, still consumed by one), which saves modules and nucleotides.
    """
    return split_with_origin(crn, max_products, share=share)[0]
