"""Fuels must mean nothing: no fuel may be, contain or release on its own a formal species' signal.

Verification removes fuels from the implementation CRN because they are present in excess
and interpreted as nothing. That is sound only if they really are nothing: a fuel that is a
free signal strand (or holds one with its toehold and branch domains unpaired, ready to
act) puts that formal species into the tube from the start, and a fuel that releases a
signal without any input does so later. Neither shows in the condensed CRN once fuels are
removed, and the signal's consumers may sit in another module, so each module's fuels are
checked here directly:

* *is / contains*: a strand of the fuel has a species' signal layout (any history domain)
  and every domain after the history domain is unpaired;
* *releases*: starting from the module's fuels alone, the reactions of its enumeration
  that need nothing but what is already there produce a signal of a formal species. The
  source fuel of a ``0 -> X`` module is the one exception: standing for nothing, it exists to
  make X.
"""

from __future__ import annotations

from collections.abc import Mapping

from dsdcompile.dsd.system import DSDSystem, EnumeratedTemplate, ModuleTemplate
from dsdcompile.verify.result import EQUIVALENT, NOT_EQUIVALENT


def _free_signal(tpl: ModuleTemplate, history: bool) -> dict[str, list[str]]:
    """Per fuel name: the local species whose signal strand the fuel carries with its active domains unpaired."""
    rests = {}
    for k in range(tpl.n_species):
        doms = tuple(d.name for d in tpl.domains if d.name.startswith(f"S{k}-"))
        rests[doms[1:] if history else doms] = f"S{k}"
    out: dict[str, list[str]] = {}
    for f in tpl.fuels:
        flat = f.structure.replace("+", "")
        pos = 0
        for s in f.strands:
            key = tuple(s[1:]) if history else tuple(s)
            active = flat[pos + (1 if history else 0):pos + len(s)]
            if key in rests and set(active) == {"."}:
                out.setdefault(f.name, []).append(rests[key])
            pos += len(s)
    return out


def _released(tpl: ModuleTemplate, enumerated: EnumeratedTemplate) -> dict[str, list[int]]:
    """Signals (local species) that the fuels make on their own, with the fuels involved."""
    fuels = {f.name for f in tpl.fuels if not (tpl.source_fuel and f.name == "f0")}
    present = set(fuels)
    grew = True
    while grew:
        grew = False
        for r, p, _ in enumerated.reactions:
            if set(r) <= present and not set(p) <= present:
                present |= set(p)
                grew = True
    signal_of = dict(enumerated.signals)
    made = sorted({signal_of[x] for x in present if x in signal_of})
    return {", ".join(sorted(fuels)): made} if made else {}


def check_fuels(system: DSDSystem, enumerated: Mapping[int, EnumeratedTemplate]) -> dict:
    """The fuel check over every template in use; a finding names a fuel of a representative module."""
    findings = []
    for t, tpl in enumerate(system.templates):
        modules = system.modules_of(t)
        if not len(modules):
            continue
        i = int(modules[0])
        species = system.species_of(i)
        for fuel, carried in _free_signal(tpl, system.history).items():
            for s in carried:
                findings.append(f"fuel m{i}-{fuel} of module {i} ({system.reaction(i)}; shape {tpl.shape}, "
                                f"{len(modules)} module(s)) is or holds a free signal strand of "
                                f"{species[int(s[1:])]}")
        if t in enumerated:
            for fuels, made in _released(tpl, enumerated[t]).items():
                names = ", ".join(f"m{i}-{f}" for f in fuels.split(", "))
                findings.append(f"fuels {names} of module {i} ({system.reaction(i)}; shape {tpl.shape}) release "
                                f"the signal of {', '.join(species[k] for k in made)} without any input")
    verdict = NOT_EQUIVALENT if findings else EQUIVALENT
    detail = "; ".join(findings) if findings else "no fuel is, holds or releases a formal species' signal"
    return {"verdict": verdict, "detail": detail, "findings": findings}
