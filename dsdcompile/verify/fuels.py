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
* *releases*: enumerated with nothing but the module's fuels, peppercorn finds a complex that
  is or holds such a signal strand (a fuel that falls apart at once is not even a resting
  complex, so the module's own condensed reactions never show what it released). The source
  fuel of a ``0 -> X`` module is the one exception: standing for nothing, it exists to make X.
  Fuels of different modules meeting each other are the interaction check's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dsdcompile.config import EnumerationConfig
from dsdcompile.dsd.system import Complex, DSDSystem, ModuleTemplate
from dsdcompile.errors import EnumerationLimit
from dsdcompile.verify.result import Verdict


def free_signals(c: Complex, rests: Mapping[tuple[str, ...], int], history: bool) -> list[int]:
    """Local species whose signal strand ``c`` holds with every domain after the history domain unpaired."""
    flat = c.structure.replace("+", "")
    out, pos = [], 0
    for s in c.strands:
        key = tuple(s[1:]) if history else tuple(s)
        if key in rests and set(flat[pos + (1 if history else 0):pos + len(s)]) == {"."}:
            out.append(rests[key])
        pos += len(s)
    return out


def _fuels_alone(tpl: ModuleTemplate, config: EnumerationConfig) -> list[tuple[str, Complex]]:
    """The complexes a module's fuels turn into with nothing else present (source fuel excluded): each
    fuel on its own first, so that a finding names the culprit, then all of them together."""
    from dsdcompile.dsd import peppercorn_adapter as adapter

    fuels = [f for f in tpl.fuels if not (tpl.source_fuel and f.name == "f0")]
    lengths = {d.name: d.length for d in tpl.domains}
    out: list[tuple[str, Complex]] = []
    for group in [[f] for f in fuels] + ([fuels] if len(fuels) > 1 else []):
        try:
            res = adapter.enumerate_complexes(group, lengths, config, label=f"fuels of {tpl.shape}")
        except EnumerationLimit as e:
            return out + [("limit", Complex(str(e), (), "", ""))]
        given = {f.name for f in group}
        out += [(", ".join(sorted(given)), c) for c in res.complexes if c.name not in given]
    return out


def check_fuels(system: DSDSystem, config: EnumerationConfig | None = None, skip: Iterable[int] = ()) -> dict:
    """The fuel check over every template in use but those in ``skip`` (shapes not checked at all, the design
    being proven wrong already); a finding names a fuel of a representative module."""
    config = config or EnumerationConfig()
    findings = []
    skip = set(skip)
    for t, tpl in enumerate(system.templates):
        modules = system.modules_of(t)
        if not len(modules) or t in skip:
            continue
        i = int(modules[0])
        species = system.species_of(i)
        rests = dict(tpl.signal_keys(system.history))
        rename = tpl.rename_map(species, i)
        where = f"module {i} ({system.reaction(i)}; shape {tpl.shape}, {len(modules)} module(s))"
        for f in tpl.fuels:
            for k in free_signals(f, rests, system.history):
                findings.append(f"fuel m{i}-{f.name} of {where} is or holds a free signal strand of {species[k]}")
        released = set()
        for fuels, c in _fuels_alone(tpl, config):
            if fuels == "limit":
                findings.append(f"the fuels of {where} could not be enumerated on their own: {c.name}")
                continue
            for k in free_signals(c, rests, system.history):
                if k in released:
                    continue  # named already, by the fuel that releases it on its own
                released.add(k)
                names = ", ".join(f"m{i}-{f}" for f in fuels.split(", "))
                findings.append(f"{'fuel' if ', ' not in fuels else 'fuels'} {names} of {where} release(s) the "
                                f"signal of {species[k]} without any input ({c.renamed('', rename).kernel()})")
    verdict = Verdict.NOT_EQUIVALENT if findings else Verdict.EQUIVALENT
    detail = "; ".join(findings) if findings else "no fuel is, holds or releases a formal species' signal"
    return {"verdict": verdict, "detail": detail, "findings": findings}
