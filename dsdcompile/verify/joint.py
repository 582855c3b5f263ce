"""Interacting module pairs, enumerated together and verified against their reactions and the whole formal CRN.

What a joint check establishes (:func:`check_joint`; the interaction check in
:mod:`dsdcompile.verify.interaction` turns it into the design's interaction verdict):

* an *overflow* found against the whole formal CRN (a reachable state whose signals alone
  exceed every formal state reachable from the start; :mod:`dsdcompile.verify.refute`) proves
  the whole design wrong: the other modules are present too, but no interpretation can explain
  signals that are already there;
* otherwise the pair's joint CRN is checked by modular bisimulation against its two formal
  reactions. "equivalent" shows that the pair implements its two reactions together; it
  settles the design only when the pair is the whole system. "not-equivalent" shows that the
  pair does not implement its own two reactions together, so the per-module verdicts do not
  compose; it is not by itself a proof against the whole formal CRN (another formal reaction
  could explain the pair's extra behaviour), although the interaction check reports it as
  not-equivalent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from dsdcompile.dsd.implementation import ImplReaction
from dsdcompile.dsd.system import Complex, ComplexRole
from dsdcompile.errors import EnumerationLimit
from dsdcompile.verify.pairs import PairTask, module_keys
from dsdcompile.verify.result import Verdict
from dsdcompile.verify.system import Rxn


@dataclass(frozen=True)
class JointOutcome:
    """A pair enumerated jointly: what it has beyond its two modules, and its condensed CRN."""

    findings: tuple[str, ...]
    reactions: tuple[ImplReaction, ...]
    signals: tuple[tuple[str, str], ...]  # joint complex → formal species
    fuels: tuple[str, ...]
    seconds: float = 0.0


def enumerate_pair(task: PairTask) -> JointOutcome | str:
    """Worker entry point: enumerate the pair jointly and compare with its modules (a hit limit: a str)."""
    from dsdcompile.dsd import peppercorn_adapter as adapter

    start = time.perf_counter()
    norm = task.signals.normal_form
    (ki, ri, _, _), (kj, rj, _, _) = module_keys(task.views[0], norm), module_keys(task.views[1], norm)
    given: dict[str, Complex] = {}
    forms: set[str] = set()  # a fuel made only of domains every species shares is one molecule in both modules
    every: dict[str, Complex] = {}  # every fuel of both modules, the ones listed once included
    for v in task.views:
        complexes = dict(v.complexes)
        for name in v.inputs:
            c = complexes[name]
            species = task.signals.species(c.strands[0]) or name
            given.setdefault(species, Complex(species, c.strands, c.structure, ComplexRole.SIGNAL))
        for name in v.fuels:
            c = complexes[name]
            every[f"m{v.index}-{name}"] = c
            form = c.canonical().kernel()
            if form not in forms:
                forms.add(form)
                given[f"m{v.index}-{name}"] = Complex(f"m{v.index}-{name}", c.strands, c.structure, ComplexRole.FUEL)
    initial = list(given.values())
    try:
        res = adapter.enumerate_complexes(initial, dict(task.lengths), task.config, label=task.label)
    except EnumerationLimit as e:
        return str(e)
    wild = dict(task.wildcard_fuels)
    alias = {}  # a released copy of a wildcard fuel (another history) is that fuel, as in each module's enumeration
    for c in res.complexes:
        tail = tuple(c.strands[0][1:]) if len(c.strands) == 1 and set(c.structure) == {"."} else None
        if c.role != ComplexRole.FUEL and tail in wild and wild[tail] in every:
            alias[c.name] = every[wild[tail]]
    joint = {c.name: norm(alias.get(c.name, c)) for c in res.complexes}
    known = set(ki.values()) | set(kj.values())
    findings = [f"new complex {c.kernel()}" for c in res.complexes if joint[c.name] not in known]
    union = ri | rj
    for r, p, _ in res.reactions:
        key = (tuple(sorted(joint[x] for x in r)), tuple(sorted(joint[x] for x in p)))
        if key not in union:
            findings.append("new reaction " + " + ".join(r) + " -> " + (" + ".join(p) or "∅"))
    signals = {}
    for c in res.complexes:
        if c.role == ComplexRole.SIGNAL:
            signals[c.name] = c.name
        elif len(c.strands) == 1 and set(c.structure) == {"."} and task.signals.species(c.strands[0]):
            signals[c.name] = task.signals.species(c.strands[0])
    fuels = tuple(c.name for c in initial if c.role == ComplexRole.FUEL) + tuple(alias)
    return JointOutcome(tuple(findings), res.reactions, tuple(sorted(signals.items())), fuels,
                        time.perf_counter() - start)


@dataclass(frozen=True)
class JointTask:
    """Verify an interacting pair's joint enumeration against its two formal reactions (and the whole CRN)."""

    label: str
    outcome: JointOutcome
    pair: tuple[Rxn, ...]  # the two formal reactions
    whole: tuple[Rxn, ...]  # every formal reaction of the system
    is_whole: bool  # the pair is the whole system
    permissive: str
    max_states: int


def check_joint(task: JointTask) -> dict:
    """Worker entry point: refute against the whole formal CRN, then modular bisimulation of the pair."""
    from dsdcompile.verify.bisimulation import check_modular
    from dsdcompile.verify.refute import default_starts, refute
    from dsdcompile.verify.system import condense

    icrn = condense(task.outcome.reactions, task.outcome.fuels)
    signals = dict(task.outcome.signals)
    if not task.is_whole:
        # only an overflow proves the whole system wrong: the other modules may still react with this state
        proof = refute(icrn, signals, task.whole, starts=default_starts(task.pair), kinds=("overflow",),
                       max_states=task.max_states)
        if proof is not None:
            return {"verdict": Verdict.NOT_EQUIVALENT, "detail": proof.message, "proof": proof.kind}
    out = check_modular(list(task.pair), icrn, signals, task.permissive, task.max_states)
    return {"verdict": out["verdict"], "detail": out.get("counterexample"), "proof": out.get("proof")}
