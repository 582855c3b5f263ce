"""Explain a failed module check with a concrete counterexample found by a bounded state-space search."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence

from dsdcompile.verify.system import PreparedModule, Rxn, fmt_multiset, fmt_rxn

State = tuple[str, ...]  # a sorted multiset of implementation species


def _interpret(names: Sequence[str], signals: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(sorted(signals[x] for x in names if x in signals))


def _formally_reachable(state: Counter, start: Counter, delta: Counter) -> bool:
    """Is ``state`` = start + k·delta for some k ≥ 0 (what repeating the one formal reaction reaches)?"""
    diff = Counter(state)
    diff.subtract(start)
    if all(v == 0 for v in diff.values()):
        return True
    keys = set(diff) | set(delta)
    k = None
    for s in keys:
        d = delta.get(s, 0)
        if d == 0:
            if diff.get(s, 0):
                return False
            continue
        if diff.get(s, 0) % d:
            return False
        kk = diff.get(s, 0) // d
        if kk <= 0 or (k is not None and kk != k):
            return False
        k = kk
    return k is not None


def _path(parents: dict[State, tuple[State, Rxn] | None], state: State) -> list[Rxn]:
    steps: list[Rxn] = []
    while parents[state] is not None:
        prev, rxn = parents[state]  # type: ignore[misc]
        steps.append(rxn)
        state = prev
    return steps[::-1]


def explain(module: PreparedModule, max_states: int = 20_000) -> str | None:
    """A human-readable reason why ``module`` does not implement its formal reaction, or None.

    Looks, in order, for: a formal species no signal stands for; a fully interpreted
    implementation reaction that is neither the formal reaction nor trivial; a reachable state
    without reactive intermediates whose signals are no state the formal reaction can reach;
    the products never appearing; a deadlock with intermediates left. The search starts from
    one copy of the formal reactants' signals. An explanation, not a proof: the verdict comes
    from the checks (bisimulation, refutation, pathway decomposition).
    """
    signals = module.signal_map
    return _reaction_reason(module, signals) or _search_reason(module, signals, max_states)


def _reaction_reason(module: PreparedModule, signals: Mapping[str, str]) -> str | None:
    """A reason visible without a search: a formal species without a signal, or a wrongly interpreted reaction."""
    reactants, products = module.formal
    missing = sorted(f for f in set(reactants) | set(products) if f not in signals.values())
    if missing:
        return f"no signal species stands for formal species {', '.join(missing)}"
    for rxn in module.icrn:
        if all(x in signals for x in rxn[0] + rxn[1]):
            ir, ip = _interpret(rxn[0], signals), _interpret(rxn[1], signals)
            if Counter(ir) != Counter(ip) and (ir, ip) != (tuple(sorted(reactants)), tuple(sorted(products))):
                return (f"implementation reaction {fmt_rxn(rxn)} interprets as {fmt_multiset(ir)} -> "
                        f"{fmt_multiset(ip)}, which is neither the formal reaction nor trivial")
    return None


def _search_reason(module: PreparedModule, signals: Mapping[str, str], max_states: int) -> str | None:
    """A reason found by a breadth-first search from one copy of the reactants' signals (at most ``max_states``)."""
    reactants, _ = module.formal
    # One implementation species per formal reactant (the first signal in name order).
    rep: dict[str, str] = {}
    for s, f in sorted(signals.items()):
        rep.setdefault(f, s)
    start: State = tuple(sorted(rep[f] for f in reactants))
    consumed = {x for r, _ in module.icrn for x in r}
    f_start, f_delta = Counter(reactants), Counter(module.formal[1])
    f_delta.subtract(Counter(reactants))

    parents: dict[State, tuple[State, Rxn] | None] = {start: None}
    queue: deque[State] = deque([start])
    products_seen = False
    stuck: State | None = None
    complete = True
    while queue:
        state = queue.popleft()
        held = Counter(state)
        # Non-signal species that can still react make the state's interpretation unknown.
        clean = all(x in signals or x not in consumed for x in held)
        if clean:
            interp = Counter(_interpret(state, signals))
            if interp != f_start and _formally_reachable(interp, f_start, f_delta):
                products_seen = True
            if not _formally_reachable(interp, f_start, f_delta):
                steps = _path(parents, state)
                leftovers = [x for x in state if x not in signals]
                return (f"from {fmt_multiset(start)} (interpreted {fmt_multiset(reactants)}) the implementation "
                        f"reaches {fmt_multiset(state)}, interpreted {fmt_multiset(interp.elements())}"
                        + (f" plus inert {fmt_multiset(leftovers)}" if leftovers else "")
                        + ", which the formal reaction cannot reach; path: "
                        + "; ".join(fmt_rxn(r) for r in steps))
        successors = 0
        for rxn in module.icrn:
            need = Counter(rxn[0])
            if any(held[x] < c for x, c in need.items()):
                continue
            successors += 1
            nxt = held - need
            nxt.update(rxn[1])
            key: State = tuple(sorted(nxt.elements()))
            if key in parents:
                continue
            if len(parents) >= max_states:
                complete = False
                continue
            parents[key] = (state, rxn)
            queue.append(key)
        if successors == 0 and not clean and stuck is None:
            stuck = state

    if complete and not products_seen:
        return (f"formal reaction {fmt_rxn(module.formal)} is not implemented: from {fmt_multiset(start)} "
                f"(with fuels in excess) no reachable state holds the products' signals without reactive "
                f"intermediates ({len(parents)} states searched)")
    if stuck is not None:
        return (f"from {fmt_multiset(start)} the implementation can get stuck in {fmt_multiset(stuck)} with "
                f"intermediates that never react again; path: " + "; ".join(fmt_rxn(r) for r in _path(parents, stuck)))
    return None
