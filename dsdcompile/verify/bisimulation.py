"""CRN bisimulation (Johnson, Dong & Winfree 2019) of one module or of a whole system, via crnverifier.

Three safeguards surround crnverifier 0.3. Before it runs, :func:`~dsdcompile.verify.refute.refute`
looks for reachable behaviour that no interpretation can match (a proof of "not equivalent"
that does not depend on crnverifier's search). crnverifier raises ``TypeError: tuple
indices must be integers or slices, not str`` whenever a species without a fixed meaning
sits on both sides of a reaction (``x + y -> x + z``, as in every ``2 S0 -> S0`` module) — a
signal on both sides is harmless, its meaning being substituted first — because its
row search compares the two sides' candidate meanings by indexing a tuple with a species
name. :func:`bisimulations` therefore hands it an equivalent CRN in which the product-side
copy is a fresh species x' with the reaction x' -> x (an interpretation of one CRN is one of
the other with m(x') = m(x): the extra reaction is then trivial, the others mean the same,
and any trivial path of one maps to a trivial path of the other). Every bisimulation it
returns is checked again by :func:`~dsdcompile.verify.certify.certify`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from crnverifier.crn_bisimulation import crn_bisimulations, passes_modularity_condition

from dsdcompile.verify.certify import certify
from dsdcompile.verify.counterexample import explain
from dsdcompile.verify.refute import refute
from dsdcompile.verify.result import Verdict
from dsdcompile.verify.system import PreparedModule, Rxn, as_lists, fmt_multiset, interpretation_strings

REFUTE_STATES = 4_000  # implementation states the refutation search may visit per check (≈0.4 s)


def _stuck_intermediates(bisim: Mapping[str, list[str]], icrn: list, common: set[str]) -> list[str]:
    """Intermediates that carry formal species but cannot turn back into signals (and species
    interpreted as nothing) by trivial reactions: the usual reason why a bisimulation of one
    module fails the modularity condition. A cheap fixed point, for the message only."""
    def interp(side):
        return sorted(x for s in side for x in bisim.get(s, []))

    trivial = [(r, p) for r, p in icrn if interp(r) == interp(p)]
    good = set(common) | {s for s, v in bisim.items() if not v}
    changed = True
    while changed:
        changed = False
        for r, p in trivial:
            if all(x in good for x in p):
                for s in r:
                    if s not in good:
                        good.add(s)
                        changed = True
    return sorted(s for s in bisim if s not in good)


def _split_catalysts(icrn: list, fixed: set[str]) -> tuple[list, dict[str, str]]:
    """The CRN with every product-side copy of a species without a fixed meaning that is also a reactant
    renamed x'k, plus x'k -> x."""
    out, extra, copies = [], [], {}
    for r, p in icrn:
        both = (set(r) & set(p)) - fixed
        p = list(p)
        for x in sorted(both):
            for k, y in enumerate(p):
                if y == x:
                    name = f"{x}'{len(copies)}"
                    copies[name] = x
                    p[k] = name
                    extra.append([[name], [x]])
        out.append([list(r), p])
    return out + extra, copies


def bisimulations(fcrn: list, icrn: list, partial: dict, formals: set[str], permissive: str):
    """crnverifier's CRN bisimulations of ``icrn``, on the equivalent CRN without catalytic intermediates
    where crnverifier needs it (species with a fixed meaning are substituted before its bug bites)."""
    fixed = set(partial)
    if any((set(r) & set(p)) - fixed for r, p in icrn):
        work, copies = _split_catalysts(icrn, fixed)
    else:
        work, copies = icrn, {}
    for bisim in crn_bisimulations(fcrn, work, interpretation=partial, formals=set(formals), permissive=permissive):
        yield {k: v for k, v in bisim.items() if k not in copies}


def check_modular(fcrn: list, icrn: tuple[Rxn, ...], signals: Mapping[str, str], permissive: str = "default",
                  max_states: int = 20_000, explain_failure: Callable[[], str | None] | None = None) -> dict:
    """Modular CRN bisimulation of an implementation CRN (fuels removed) against formal reactions ``fcrn``.

    The signal species keep their fixed interpretation and crnverifier searches the
    interpretations of all other species, which must satisfy the atomic, delimiting and
    permissive conditions. A bisimulation counts only if it also passes the modularity
    condition with the signals as the species shared with other modules: every intermediate
    must be able to turn back into signals and wastes by trivial reactions, which is what lets
    the per-module verdicts compose into one for the whole system (JDW2019, Theorem 4.2).
    A refutation found first (``proof`` in the result) makes the verdict independent of
    crnverifier's search.
    """
    fcrn = [[list(r), list(p)] for r, p in fcrn]
    lists = as_lists(icrn)
    species = {x for r, p in icrn for x in r + p}
    used = {s: f for s, f in signals.items() if s in species}
    formals = {x for r, p in fcrn for x in r + p} | set(signals.values())
    partial = {s: [f] for s, f in used.items()}
    # Signals that no condensed reaction uses still belong in the reported interpretation.
    unused = {s: [f] for s, f in signals.items() if s not in species}
    shown = interpretation_strings(partial | unused) | {s: "?" for s in species if s not in partial}
    proof = refute(icrn, signals, [(tuple(r), tuple(p)) for r, p in fcrn], modular=True,
                   max_states=min(max_states, REFUTE_STATES))
    if proof is not None:
        return {"verdict": Verdict.NOT_EQUIVALENT, "interpretation": dict(sorted(shown.items())),
                "counterexample": proof.message, "proof": proof.kind}
    tried = 0
    first: dict | None = None
    rejected: str | None = None
    for bisim in bisimulations(fcrn, lists, partial, formals, permissive):
        tried += 1
        if passes_modularity_condition(bisim, lists, set(used), formals):
            problem = certify(fcrn, icrn, bisim, formals)
            if problem is None:
                return {"verdict": Verdict.EQUIVALENT, "interpretation": interpretation_strings(bisim | unused),
                        "counterexample": None}
            rejected = rejected or problem
            continue
        first = first or bisim
    if rejected is not None:
        # crnverifier said yes but the definition says no (or could not be checked): no verdict either way
        return {"verdict": Verdict.INCONCLUSIVE, "interpretation": dict(sorted(shown.items())),
                "counterexample": f"crnverifier returned an interpretation that was not confirmed: {rejected}"}
    reason = explain_failure() if explain_failure is not None else None
    if reason is None and first is not None:
        stuck = _stuck_intermediates(first, lists, set(used))
        reason = (f"{tried} bisimulation(s) found but none is modular; e.g. with "
                  + ", ".join(f"{k} = {fmt_multiset(v)}" for k, v in sorted(first.items()) if k not in used)
                  + (f"; the intermediate(s) {', '.join(stuck)} cannot turn back into signals" if stuck else ""))
    if reason is None:
        reason = ("no interpretation of the intermediates satisfies the atomic, delimiting and permissive "
                  "conditions (exhaustive crnverifier search)")
    # Signals keep their fixed meaning; no interpretation of the other species works, hence "?".
    return {"verdict": Verdict.NOT_EQUIVALENT, "interpretation": dict(sorted(shown.items())), "counterexample": reason}


def check_module(module: PreparedModule, permissive: str = "default", max_states: int = 20_000) -> dict:
    """Modular CRN bisimulation of one module against its formal reaction (see :func:`check_modular`)."""
    return check_modular([module.formal], module.icrn, module.signal_map, permissive, max_states,
                         lambda: explain(module, max_states))


def check_whole(fcrn: list, icrn: tuple[Rxn, ...], signals: Mapping[str, str], formals: set[str],
                permissive: str = "default", max_states: int = 20_000) -> dict:
    """Plain CRN bisimulation of a whole implementation CRN (fuels already removed)."""
    species = {x for r, p in icrn for x in r + p}
    partial = {s: [f] for s, f in signals.items() if s in species}
    # crnverifier only sees species that occur in reactions: a signal that never reacts although
    # its formal species is consumed would otherwise go unnoticed.
    consumed = {x for r, _ in fcrn for x in r}
    inert = sorted(s for s, f in signals.items() if s not in species and f in consumed)
    if inert:
        return {"verdict": Verdict.NOT_EQUIVALENT, "interpretation": interpretation_strings(partial),
                "counterexample": f"signal species {', '.join(inert)} never react, although the formal CRN "
                                  "consumes " + ", ".join(sorted({signals[s] for s in inert}))}
    proof = refute(icrn, signals, [(tuple(r), tuple(p)) for r, p in fcrn], max_states=min(max_states, REFUTE_STATES))
    if proof is not None:
        return {"verdict": Verdict.NOT_EQUIVALENT, "interpretation": interpretation_strings(partial),
                "counterexample": proof.message, "proof": proof.kind}
    rejected = None
    for bisim in bisimulations(fcrn, as_lists(icrn), partial, set(formals), permissive):
        problem = certify(fcrn, icrn, bisim, set(formals))
        if problem is None:
            return {"verdict": Verdict.EQUIVALENT, "interpretation": interpretation_strings(bisim),
                    "counterexample": None}
        rejected = rejected or problem
    if rejected is not None:
        return {"verdict": Verdict.INCONCLUSIVE, "interpretation": interpretation_strings(partial),
                "counterexample": f"crnverifier returned an interpretation that was not confirmed: {rejected}"}
    return {"verdict": Verdict.NOT_EQUIVALENT, "interpretation": interpretation_strings(partial),
            "counterexample": "no CRN bisimulation extends the interpretation of the signal species"}
