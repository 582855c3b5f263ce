"""Reactant orders: in which order a module's gate binds its reactants (and releases its products).

Schemes such as soloveichik2010 and srinivas2015 bind a reaction's reactants one after the
other, so ``B + A -> A`` and ``A + B -> A`` are different gates: they may interact differently
with the system's other modules. Three policies (``DSDConfig.reactant_order``):

- ``as-written``: bind reactants, and release products, in the order the reaction is written
  (the schemes' papers and nuskell do this);
- ``sorted``: the shape-canonical order (species consumed most first, ties as written), so that
  every reaction of one shape shares one translation whatever its written order;
- ``search``: start from ``as-written`` and, where a module fails or two modules interact, try
  the other orders of the reactions involved (:func:`alternatives`) until the design verifies.

A module's *pattern* is its shape key together with the binding sequences; modules with the
same pattern share one translation.
"""

from __future__ import annotations

from itertools import permutations

from dsdcompile.ir import Reaction

ORDERS = ("as-written", "sorted", "search")
AS_WRITTEN = "as-written"
SORTED = "sorted"
SEARCH = "search"

Key = tuple[tuple[int, int], ...]
Sequence_ = tuple[tuple[int, ...], tuple[int, ...]]  # (reactants, products) as local species indices



def canonical(reaction: Reaction) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
    """The reaction's shape key (sorted (reactant count, product count) per species) and its species in local order.

    Two reactions are isomorphic up to renaming species iff their keys agree; the species
    order maps placeholder S{k} to a name. Ties keep first appearance, reactants first.
    """
    counts: dict[str, list[int]] = {}
    for name, c in reaction.reactants:
        counts.setdefault(name, [0, 0])[0] += c
    for name, c in reaction.products:
        counts.setdefault(name, [0, 0])[1] += c
    order = sorted(counts, key=lambda n: (-counts[n][0], -counts[n][1]))  # stable: ties keep appearance
    return tuple(tuple(counts[n]) for n in order), tuple(order)


def shape_label(scheme: str, key: tuple[tuple[int, int], ...]) -> str:
    """A readable shape name, e.g. ``soloveichik2010: S0 + S1 -> S2 + 2 S3``."""
    def side(pos: int) -> str:
        terms = [(f"{c[pos]} " if c[pos] > 1 else "") + f"S{k}" for k, c in enumerate(key) if c[pos]]
        return " + ".join(terms) or "0"
    return f"{scheme}: {side(0)} -> {side(1)}".rstrip()


def written(reaction: Reaction) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reaction's reactants and products with repeats, in the order written."""
    return (tuple(n for n, c in reaction.reactants for _ in range(c)),
            tuple(n for n, c in reaction.products for _ in range(c)))


def pattern(reaction: Reaction, order: str, reactants: tuple[str, ...] | None = None
            ) -> tuple[Key, tuple[str, ...], Sequence_ | None]:
    """The shape key, the species in local order (placeholder S{k} is the k-th) and the binding sequences.

    ``reactants`` (a permutation of the written reactants) overrides the order; with ``sorted``
    and no override the sequences are None: the template derives them from the key, as every
    ``sorted`` translation always did.
    """
    if order == SORTED and reactants is None:
        key, names = canonical(reaction)
        return key, names, None
    rs, ps = written(reaction)
    if reactants is not None:
        if sorted(reactants) != sorted(rs):
            raise ValueError(f"{reactants} is not an order of the reactants of {reaction}")
        rs = tuple(reactants)
    names: list[str] = []
    for n in rs + ps:
        if n not in names:
            names.append(n)
    pos = {n: k for k, n in enumerate(names)}
    counts = [[0, 0] for _ in names]
    for n in rs:
        counts[pos[n]][0] += 1
    for n in ps:
        counts[pos[n]][1] += 1
    key = tuple(tuple(c) for c in counts)
    return key, tuple(names), (tuple(pos[n] for n in rs), tuple(pos[n] for n in ps))


def default_sequences(key: Key) -> Sequence_:
    return (tuple(k for k, (rc, _) in enumerate(key) for _ in range(rc)),
            tuple(k for k, (_, pc) in enumerate(key) for _ in range(pc)))


def template_id(key: Key, seq: Sequence_ | None) -> tuple:
    """What modules must have in common to share a translation (the sequences only where they differ
    from what the key implies, so that ``sorted`` keeps its old sharing)."""
    if seq is None or seq == default_sequences(key):
        return (key,)
    return (key, seq)


def label(scheme: str, key: Key, seq: Sequence_ | None) -> str:
    """The shape label: ``shape_label`` when the sequences are the key's own, else the species in binding order
    (e.g. ``soloveichik2010: S1 + S0 -> S1``; still readable as a shape key)."""
    if seq is None or seq == default_sequences(key):
        return shape_label(scheme, key)

    def side(xs: tuple[int, ...]) -> str:
        terms: list[str] = []
        k = 0
        while k < len(xs):
            j = k
            while j + 1 < len(xs) and xs[j + 1] == xs[k]:
                j += 1
            terms.append(("" if j == k else f"{j - k + 1} ") + f"S{xs[k]}")
            k = j + 1
        return " + ".join(terms) or "0"
    return f"{scheme}: {side(seq[0])} -> {side(seq[1])}".rstrip()


def alternatives(reaction: Reaction) -> list[tuple[str, ...]]:
    """Every distinct reactant order of ``reaction``, the written one first."""
    rs, _ = written(reaction)
    out = [rs]
    for p in permutations(rs):
        if p not in out:
            out.append(p)
    return out


def describe(reactants: tuple[str, ...]) -> str:
    return " + ".join(reactants) or "0"


__all__ = ["AS_WRITTEN", "ORDERS", "SEARCH", "SORTED", "alternatives", "canonical", "describe", "label", "pattern",
           "shape_label", "template_id", "written"]
