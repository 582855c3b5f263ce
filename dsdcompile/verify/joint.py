"""Interacting module pairs, enumerated together and verified against their reactions and the whole formal CRN."""

from __future__ import annotations

import time
from dataclasses import dataclass

from dsdcompile.dsd.system import Complex
from dsdcompile.errors import EnumerationLimit
from dsdcompile.verify.interaction import ImplRxn, PairTask, module_keys


@dataclass(frozen=True)
class JointOutcome:
    """A pair enumerated jointly: what it has beyond its two modules, and its condensed CRN."""

    findings: tuple[str, ...]
    reactions: tuple[ImplRxn, ...]
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
    for v in task.views:
        complexes = dict(v.complexes)
        for name in v.inputs:
            c = complexes[name]
            species = task.signals.species(c.strands[0]) or name
            given.setdefault(species, Complex(species, c.strands, c.structure, "signal"))
        for name in v.fuels:
            c = complexes[name]
            given[f"m{v.index}-{name}"] = Complex(f"m{v.index}-{name}", c.strands, c.structure, "fuel")
    initial = list(given.values())
    try:
        res = adapter.enumerate_complexes(initial, dict(task.lengths), task.config, label=task.label)
    except EnumerationLimit as e:
        return str(e)
    joint = {c.name: norm(c) for c in res.complexes}
    known = set(ki.values()) | set(kj.values())
    findings = [f"new complex {c.kernel()}" for c in res.complexes if joint[c.name] not in known]
    union = ri | rj
    for r, p, _ in res.reactions:
        key = (tuple(sorted(joint[x] for x in r)), tuple(sorted(joint[x] for x in p)))
        if key not in union:
            findings.append("new reaction " + " + ".join(r) + " -> " + (" + ".join(p) or "∅"))
    signals = {}
    for c in res.complexes:
        if c.role == "signal":
            signals[c.name] = c.name
        elif len(c.strands) == 1 and set(c.structure) == {"."} and task.signals.species(c.strands[0]):
            signals[c.name] = task.signals.species(c.strands[0])
    fuels = tuple(c.name for c in initial if c.role == "fuel")
    return JointOutcome(tuple(findings), res.reactions, tuple(sorted(signals.items())), fuels,
                        time.perf_counter() - start)


@dataclass(frozen=True)
class JointTask:
    """Verify an interacting pair's joint enumeration against its two formal reactions (and the whole CRN)."""

    label: str
    outcome: JointOutcome
    pair: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # the two formal reactions
    whole: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # every formal reaction of the system
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
            return {"verdict": "not-equivalent", "detail": proof.message, "proof": proof.kind}
    out = check_modular(list(task.pair), icrn, signals, task.permissive, task.max_states)
    return {"verdict": out["verdict"], "detail": out.get("counterexample"), "proof": out.get("proof")}
