"""Proofs that an implementation is wrong: reachable behaviour that no interpretation of its species can match.

Let m be any interpretation of the implementation species that keeps every signal species'
formal meaning and maps fuels to nothing (fuels are removed from the implementation CRN
before it gets here), and suppose m satisfies the delimiting and permissive conditions of
CRN bisimulation (Johnson, Dong & Winfree 2019) against the formal CRN. Start the
implementation in S_X, one signal strand per formal molecule of a formal state X, so that
m(S_X) = X. Then, for every implementation state T reachable from S_X:

1. *overflow*: m(T) is formally reachable from X (every implementation reaction
   interprets as a formal or a trivial reaction) and m(T) ≥ sig(T), the formal species of
   T's signals alone (interpretations are multisets). So some formally reachable state must
   cover sig(T); if none does, no such m exists.
2. *deadlock*: if no implementation reaction is enabled in T, the permissive condition
   forces m(T) to enable no formal reaction. If every formally reachable state that covers
   sig(T) enables a formal reaction, no such m exists.
3. *clean state* (modular bisimulation only): the modularity condition forces every
   non-signal species that no reaction consumes to mean nothing, so a state made of signals
   and such species means exactly sig(T), which must then be formally reachable.
4. *return*: if the implementation can go on from T back to S_X itself, then m(T) →* m(S_X) = X
   formally (delimiting), so some formally reachable state covering sig(T) must reach X again.
   A gate that releases a product's signal and can still be undone back to its reactant's signal
   (a fork whose first step is reversible while a later one already released an output) fails
   this: X is consumed by every formal path that makes the product.

Each finding is therefore a proof of "not equivalent" for any CRN bisimulation (3: any
modular one) with the signals' meaning fixed, whatever crnverifier's search does; not
finding one proves nothing. The search is a bounded breadth-first search from small
formal states; formal coverability is decided exactly (a Karp–Miller coverability set) where an
explicit search of the formal CRN does not finish.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dsdcompile.verify.reachability import State, coverability_set, covers, explore, fire, reachable, state
from dsdcompile.verify.system import Rxn, fmt_multiset, fmt_rxn


@dataclass(frozen=True)
class Refutation:
    """A reachable implementation state that no interpretation can explain, and how it was reached."""

    kind: str  # overflow / deadlock / clean / return
    start: State  # the formal start state X
    state: State  # the implementation state T
    path: tuple[Rxn, ...]
    message: str
    back: tuple[Rxn, ...] = ()  # return: the reactions from T back to the start state S_X


def _can_fire(fcrn: Sequence[Rxn], start: State) -> list[Rxn]:
    """The formal reactions whose reactant species can all appear from ``start`` (a large CRN shrinks to a few)."""
    present = set(start)
    left = list(fcrn)
    kept: list[Rxn] = []
    grew = True
    while grew:
        grew = False
        rest = []
        for r, p in left:
            if set(r) <= present:
                kept.append((r, p))
                if not set(p) <= present:
                    present |= set(p)
                grew = True
            else:
                rest.append((r, p))
        left = rest
    return kept


class _Formal:
    """Formal reachability from one start state, searched once and queried many times."""

    def __init__(self, fcrn: Sequence[Rxn], start: State, max_states: int) -> None:
        fcrn = _can_fire(fcrn, start)
        self.fcrn, self.start = fcrn, start
        self.states, self.dead, self.complete = reachable(fcrn, start, max_states)
        self.bounds = None if self.complete else potential_bounds(fcrn, start)
        self._cover: dict[State, bool | None] = {}
        self._karp_miller: list[dict] | None = None
        self._back: set[State] | None = None

    def covered(self, sig: Counter) -> bool | None:
        """Is there a reachable formal state ≥ sig? (None: undecided)"""
        key = state(sig.elements())
        if key not in self._cover:
            if key in self.states:
                self._cover[key] = True
            elif self.bounds is not None:  # acyclic: Karp–Miller would list the same too many states again
                self._cover[key] = False if any(c > self.bounds.get(x, 0) for x, c in sig.items()) else None
            elif self.complete:
                self._cover[key] = any(covers(Counter(y), sig) for y in self.states)
            else:  # exact: the Karp–Miller set, computed once per start state
                if self._karp_miller is None:
                    self._karp_miller = coverability_set(self.fcrn, self.start) or []
                if self._karp_miller:
                    self._cover[key] = any(all(m.get(x, 0) >= c for x, c in sig.items()) for m in self._karp_miller)
                else:
                    self._cover[key] = None
        return self._cover[key]

    def dead_cover(self, sig: Counter) -> bool | None:
        if not self.complete:
            return None
        return any(covers(Counter(y), sig) for y in self.dead)

    def returns(self, sig: Counter) -> bool | None:
        """Does some reachable formal state ≥ sig reach the start state again? (None: undecided)"""
        if not covers(Counter(self.start), sig) and not any(x in self.start for _, p in self.fcrn for x in p):
            # no reaction that can fire from the start makes a start species again, and the first step away
            # from the start consumes one: counts that only fall cannot come back (feed-forward networks,
            # whose reachable states are too many to list)
            return False
        if not self.complete:
            return None
        if self._back is None:  # the reachable states (all of them: complete) that lead back to the start
            self._back = _returning(self.fcrn, list(self.states), self.start)[0]
        return any(covers(Counter(y), sig) for y in self._back)

    def exact(self, sig: Counter) -> bool | None:
        if state(sig.elements()) in self.states:
            return True
        return False if self.complete else None


def potential_bounds(fcrn: Sequence[Rxn], start: State) -> dict[str, int] | None:
    """For each formal species f, an upper bound on its count in every state reachable from ``start``, or None.

    ``fcrn``: the reactions that can fire from ``start``. With their species graph acyclic (no species can be
    made again from what it turns into) and no reaction without reactants, let U(s, f) = max([s = f], max over
    the reactions r consuming s of the sum of U(p, f) over r's products). Every reaction then turns molecules
    of total potential Σ U(reactant, f) into molecules of total potential at most that (each reactant alone
    already bounds the products), and a state holds at most its potential of f. So the start's potential is a
    bound: exact for fork trees, an over-estimate where a join's products are counted for both reactants
    (sound for a proof of overflow either way). Feed-forward networks whose reachable states are too many to
    list (the virus network: 10 inputs fanning out to 32 hidden units and 4 outputs) get exact enough bounds."""
    if any(not r for r, _ in fcrn):
        return None
    consumers: dict[str, list[Rxn]] = {}
    for r, p in fcrn:
        for x in set(r):
            consumers.setdefault(x, []).append((r, p))
    memo: dict[str, Counter] = {}
    active: set[str] = set()

    def potential(x: str) -> Counter | None:  # U(x, ·) for every f at once
        if x in memo:
            return memo[x]
        if x in active:  # a cycle: x can be made again from what it turns into
            return None
        active.add(x)
        best = Counter({x: 1})
        for _, p in consumers.get(x, ()):
            made = summed(p)
            if made is None:
                return None
            best = best | made  # the larger count of each f: x either stays or reacts once
        active.discard(x)
        memo[x] = best
        return best

    def summed(xs: Iterable[str]) -> Counter | None:
        total = Counter()
        for y in xs:
            u = potential(y)
            if u is None:
                return None
            total.update(u)
        return total

    try:
        total = summed(start)
    except RecursionError:  # a chain of species deeper than Python's stack: no bound, no proof from it
        return None
    return None if total is None else dict(total)


def _returning(icrn: Sequence[Rxn], states: Sequence[State], start: State
               ) -> tuple[set[State], dict[State, tuple[State, Rxn]]]:
    """The ``states`` (explored ones, or all the reachable ones) from which ``start`` is reachable within them, and
    the next step on a shortest way there."""
    known = set(states)
    preds: dict[State, list[tuple[State, Rxn]]] = {}
    for t in states:
        held = Counter(t)
        for rxn in icrn:
            nxt = fire(held, rxn)
            if nxt is not None:
                key = state(nxt.elements())
                if key in known:
                    preds.setdefault(key, []).append((t, rxn))
    step: dict[State, tuple[State, Rxn]] = {}
    seen, todo = {start}, [start]
    while todo:
        u = todo.pop(0)
        for t, rxn in preds.get(u, ()):
            if t not in seen:
                seen.add(t)
                step[t] = (u, rxn)
                todo.append(t)
    return seen, step


def _return_proof(icrn: Sequence[Rxn], signals: Mapping[str, str], formal: _Formal, x: State, start: State,
                  visited: Sequence[State], found) -> Refutation | None:
    """A *return* refutation among the ``visited`` states of one start (see the module docstring)."""
    back_to, step = _returning(icrn, visited, start)
    for t in visited:
        if t == start or t not in back_to:
            continue
        sig = Counter(signals[y] for y in t if y in signals)
        if formal.returns(sig) is not False:
            continue
        back, u = [], t
        while u != start:
            u, rxn = step[u]
            back.append(rxn)
        path = tuple(found.path(t))
        message = (f"from {fmt_multiset(start)} (meaning {fmt_multiset(x)}) the implementation reaches "
                   f"{fmt_multiset(t)}, whose signals mean {fmt_multiset(sig.elements())}, and can go back to "
                   f"{fmt_multiset(start)} from there, but no formal state that the formal CRN reaches from "
                   f"{fmt_multiset(x)} and that holds {fmt_multiset(sig.elements())} can reach {fmt_multiset(x)} "
                   "again; path: " + ("; ".join(fmt_rxn(r) for r in path) or "none") + "; back: "
                   + "; ".join(fmt_rxn(r) for r in back))
        return Refutation("return", x, t, path, message, tuple(back))
    return None


def default_starts(fcrn: Sequence[Rxn], limit: int = 12) -> list[State]:
    """Small formal states to start from: each formal reactant multiset, its sub-multisets, and two copies of it."""
    out: dict[State, None] = {}
    for r, _ in fcrn:
        twice = Counter(r) + Counter(r)
        species = sorted(twice)
        for counts in itertools.product(*(range(twice[x] + 1) for x in species)):
            s = state(x for x, c in zip(species, counts) for _ in range(c))
            if s:
                out[s] = None
    for r, p in fcrn:
        if not r and p:  # a source: start from one copy of what it makes as well
            out[state(p)] = None
    starts = sorted(out, key=lambda s: (len(s), s))
    return starts[:limit]


def refute(icrn: Sequence[Rxn], signals: Mapping[str, str], fcrn: Sequence[Rxn], *,
           starts: Iterable[State] | None = None, modular: bool = False,
           kinds: tuple[str, ...] = ("overflow", "deadlock", "clean", "return"), max_states: int = 20_000,
           max_formal_states: int = 2_000, seconds: float | None = 10.0) -> Refutation | None:
    """A proof that no interpretation of ``icrn`` (signals fixed, fuels removed) is a CRN bisimulation
    of ``fcrn`` (``modular``: a modular one), or None when the bounded search finds none.

    ``kinds`` limits the proofs looked for: only "overflow" stays valid when ``icrn`` is part of a
    larger implementation (other modules may react in a state that is dead here).
    ``max_states`` implementation states are explored in all (shared by the start states), within
    ``seconds``. ``signals`` maps implementation species to formal species; the start states use, per
    formal species, the first signal species in name order that stands for it.
    """
    deadline = None if seconds is None else time.perf_counter() + seconds
    rep: dict[str, str] = {}
    for s, f in sorted(signals.items()):
        rep.setdefault(f, s)
    consumed = {x for r, _ in icrn for x in r}
    fcrn = [(state(r), state(p)) for r, p in fcrn]
    weaker: Refutation | None = None  # a clean-state proof needs modularity: keep looking for the others
    starts = [x for x in (starts if starts is not None else default_starts(fcrn)) if all(f in rep for f in x)]
    per_start = max(100, max_states // max(1, len(starts)))  # the state budget is shared by the start states
    for x in starts:
        formal = _Formal(fcrn, state(x), max_formal_states)
        start = state(rep[f] for f in x)
        visited: list[State] = []
        found = None
        for t, dead, found in explore(list(icrn), start, per_start):
            if deadline is not None and time.perf_counter() > deadline:
                return weaker
            visited.append(t)
            sig = Counter(signals[y] for y in t if y in signals)
            kind = None
            if "overflow" in kinds and formal.covered(sig) is False:
                kind = "overflow"
                why = (f"its signals alone mean {fmt_multiset(sig.elements())}, more than any state the formal CRN "
                       f"reaches from {fmt_multiset(x)}")
            elif "deadlock" in kinds and dead and formal.dead_cover(sig) is False:
                kind = "deadlock"
                why = (f"no implementation reaction can fire there, but every formal state reachable from "
                       f"{fmt_multiset(x)} that holds {fmt_multiset(sig.elements())} can still react")
            elif (modular and "clean" in kinds and weaker is None and all(y in signals or y not in consumed for y in t)
                  and formal.exact(sig) is False):
                kind = "clean"
                why = (f"it holds only signals and species that never react, so (modular condition) it means "
                       f"exactly {fmt_multiset(sig.elements())}, which the formal CRN cannot reach from "
                       f"{fmt_multiset(x)}")
            if kind is not None:
                path = tuple(found.path(t))
                message = (f"from {fmt_multiset(start)} (meaning {fmt_multiset(x)}) the implementation reaches "
                           f"{fmt_multiset(t)}: {why}; path: " + ("; ".join(fmt_rxn(r) for r in path) or "none"))
                found_one = Refutation(kind, state(x), t, path, message)
                if kind != "clean":
                    return found_one
                weaker = found_one
        if "return" in kinds and found is not None:
            proof = _return_proof(icrn, signals, formal, state(x), start, visited, found)
            if proof is not None:
                return proof
    return weaker
