"""Reachability in CRNs seen as Petri nets: bounded forward search and exact backward coverability."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from dsdcompile.verify.system import Rxn

State = tuple[str, ...]
"""A multiset of species as a sorted tuple with repeats."""


def state(names: Iterable[str]) -> State:
    return tuple(sorted(names))


def covers(big: Counter | dict, small: Counter | dict) -> bool:
    """Multiset inclusion: small ≤ big."""
    return all(big.get(k, 0) >= v for k, v in small.items())


def fire(s: Counter, rxn: Rxn) -> Counter | None:
    """The state after ``rxn`` fires in ``s``, or None when it is not enabled."""
    need = Counter(rxn[0])
    if not covers(s, need):
        return None
    out = s - need
    out.update(rxn[1])
    return out


@dataclass
class Explored:
    """States found by a forward search, each with the reaction and parent it was reached by."""

    parents: dict[State, tuple[State, Rxn] | None]
    complete: bool  # every reachable state was visited (the search stopped by itself, not at its bound)

    def path(self, s: State) -> list[Rxn]:
        steps: list[Rxn] = []
        while self.parents[s] is not None:
            prev, rxn = self.parents[s]  # type: ignore[misc]
            steps.append(rxn)
            s = prev
        return steps[::-1]


def explore(reactions: Sequence[Rxn], start: State, max_states: int) -> Iterator[tuple[State, bool, Explored]]:
    """Breadth-first search over the states reachable from ``start``; yields (state, dead, search so far).

    ``dead`` says that no reaction is enabled in the state. At most ``max_states`` states are
    kept; the yielded ``Explored`` says whether the search was complete once it ends.
    """
    by_species: dict[str, list[int]] = {}
    for k, (r, _) in enumerate(reactions):
        for x in set(r):
            by_species.setdefault(x, []).append(k)
    sources = [k for k, (r, _) in enumerate(reactions) if not r]
    found = Explored({start: None}, True)
    queue: deque[State] = deque([start])
    while queue:
        s = queue.popleft()
        held = Counter(s)
        candidates = sorted(set(sources).union(*(by_species.get(x, ()) for x in held)))
        enabled = 0
        for k in candidates:
            nxt = fire(held, reactions[k])
            if nxt is None:
                continue
            enabled += 1
            key = state(nxt.elements())
            if key in found.parents:
                continue
            if len(found.parents) >= max_states:
                found.complete = False
                continue
            found.parents[key] = (s, reactions[k])
            queue.append(key)
        yield s, enabled == 0, found


def reachable(reactions: Sequence[Rxn], start: State, max_states: int) -> tuple[set[State], set[State], bool]:
    """(every reachable state, the dead ones among them, whether the search was complete)."""
    states, dead = set(), set()
    search = explore(reactions, start, max_states)
    complete = True
    for s, is_dead, found in search:
        states.add(s)
        if is_dead:
            dead.add(s)
        complete = found.complete
    return states, dead, complete


def _leq(a: Counter, b: Counter) -> bool:
    return covers(b, a)


def backward_basis(reactions: Sequence[Rxn], targets: Iterable[Iterable[str]], max_basis: int) -> list[Counter] | None:
    """The minimal states from which some target (a multiset, upward closed) can be covered.

    Backward coverability: starting from the targets, add for every basis element b and
    reaction R -> P the least state that covers b after firing, (b - P)+ + R, keeping only
    minimal elements. It terminates because ≤ is a well-quasi-order on multisets (Dickson's
    lemma); None when the basis outgrows ``max_basis``.
    """
    basis: list[Counter] = []

    def add(c: Counter) -> bool:
        if any(_leq(b, c) for b in basis):
            return False
        basis[:] = [b for b in basis if not _leq(c, b)]
        basis.append(c)
        return True

    work = []
    for t in targets:
        c = Counter(t)
        if add(c):
            work.append(c)
    while work:
        b = work.pop()
        if not any(_leq(b, x) and _leq(x, b) for x in basis):  # b was superseded meanwhile
            continue
        for r, p in reactions:
            if not any(b.get(x, 0) for x in set(p)):
                continue  # firing it cannot help towards b
            pre = b - Counter(p)
            pre.update(r)
            if add(pre):
                if len(basis) > max_basis:
                    return None
                work.append(pre)
    return basis


OMEGA = float("inf")


def coverability_set(reactions: Sequence[Rxn], start: Iterable[str], max_nodes: int = 5_000) -> list[dict] | None:
    """The Karp–Miller coverability set from ``start``: markings with ω (infinity) entries such that a
    state is coverable iff some marking covers it. None past ``max_nodes`` tree nodes.

    Each new marking is compared with its ancestors: where it strictly exceeds one, the growing
    components are set to ω (the same reactions can pump them without bound).
    """
    root = dict(Counter(start))
    nodes: list[dict] = []
    stack: list[tuple[dict, tuple[dict, ...]]] = [(root, ())]
    seen: set[tuple] = set()
    while stack:
        m, ancestors = stack.pop()
        key = tuple(sorted(m.items()))
        if key in seen:
            continue
        seen.add(key)
        nodes.append(m)
        if len(nodes) > max_nodes:
            return None
        for r, p in reactions:
            need = Counter(r)
            if any(m.get(x, 0) < c for x, c in need.items()):
                continue
            nxt = dict(m)
            for x, c in need.items():
                nxt[x] = nxt[x] - c
            for x in p:
                nxt[x] = nxt.get(x, 0) + 1
            nxt = {x: c for x, c in nxt.items() if c}
            for a in ancestors + (m,):
                if all(nxt.get(x, 0) >= c for x, c in a.items()) and nxt != a:
                    for x, c in nxt.items():
                        if c > a.get(x, 0):
                            nxt[x] = OMEGA
            stack.append((nxt, ancestors + (m,)))
    return nodes
