"""Peppercorn enumeration of DSD systems: modular (each shape once, renamed per module, in parallel) or whole."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from dsdcompile.config import EnumerationConfig, ExecutionConfig
from dsdcompile.dsd import peppercorn_adapter as adapter
from dsdcompile.dsd.implementation import ImplReaction, ModuleImplementation
from dsdcompile.dsd.system import Complex, ComplexRole, DSDSystem, EnumeratedTemplate, ModuleTemplate
from dsdcompile.errors import EnumerationError, EnumerationLimit
from dsdcompile.ir import CRN, Reaction, Role, Species


@dataclass(frozen=True)
class TemplateTask:
    """What a worker needs to enumerate one template (plain, picklable values)."""

    label: str
    complexes: tuple[Complex, ...]
    lengths: tuple[tuple[str, int], ...]
    signal_keys: tuple[tuple[tuple[str, ...], int], ...]  # (domains after any history, local species)
    history: bool
    config: EnumerationConfig
    wildcard_fuels: tuple[tuple[tuple[str, ...], str], ...] = ()  # (domains after a wildcard history, fuel)
    fallback: tuple[tuple[str, object], ...] = ()  # the scheme's settings for shapes that hit a limit


def scheme_fallback(scheme: str) -> tuple[tuple[str, object], ...]:
    """The enumeration settings a built-in scheme declares for shapes whose full enumeration hits a limit."""
    from translation_schemes import ENUMERATION_FALLBACK

    return tuple(sorted(ENUMERATION_FALLBACK.get(scheme, {}).items()))


def fallback_note(fallback: tuple[tuple[str, object], ...], reason: str) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in fallback)
    return (f"enumerated with {settings} (the scheme's declared fallback, as nuskell enumerates it) because "
            f"peppercorn's full enumeration stopped: {reason}")


def _enumerate_with_fallback(complexes, lengths, config: EnumerationConfig, fallback, label: str,
                             known: str = ""):
    """peppercorn's enumeration, and with the scheme's fallback settings where the full one hits a limit:
    (result, note). ``known``: why the full one is known to hit it (a part of the system did), so it is not
    tried. A limit hit by the fallback too raises."""
    reason = known
    if not (known and fallback):
        try:
            return adapter.enumerate_complexes(complexes, lengths, config, label=label), ""
        except EnumerationLimit as e:
            if not fallback:
                raise
            reason = str(e)
    return (adapter.enumerate_complexes(complexes, lengths, replace(config, **dict(fallback)), label=label),
            fallback_note(fallback, reason))


def _signal_of(c: Complex, keys: dict[tuple[str, ...], int], history: bool) -> int | None:
    """The species a single unpaired strand stands for, if its domains are that species' signal layout."""
    if len(c.strands) != 1 or set(c.structure) != {"."}:
        return None
    return keys.get(c.strands[0][1:] if history else c.strands[0])


def enumerate_template(task: TemplateTask) -> EnumeratedTemplate | str:
    """Worker entry point: enumerate one template; a hit limit comes back as its message (a str)."""
    try:
        res, note = _enumerate_with_fallback(task.complexes, dict(task.lengths), task.config, task.fallback,
                                             task.label)
    except EnumerationLimit as e:
        return str(e)
    given = {c.name for c in task.complexes}
    keys = dict(task.signal_keys)
    rename = {c.name: c.name for c in task.complexes}
    wild = dict(task.wildcard_fuels)
    for c in res.complexes:  # a released copy of a wildcard fuel with another history is that fuel
        fuel = wild.get(_tail(c))
        if fuel is not None and c.name not in given:
            rename[c.name] = fuel
    new = sorted((c for c in res.complexes if c.name not in rename), key=lambda c: c.kernel())
    out, signals = [], []
    for c in new:
        k = _signal_of(c, keys, task.history)
        local = f"o{len(signals)}" if k is not None else f"w{len(out) - len(signals)}"
        if k is not None:
            signals.append((local, k))
        rename[c.name] = local
        out.append(Complex(local, c.strands, c.structure, ComplexRole.SIGNAL if k is not None else ComplexRole.WASTE))
    reactions = tuple(sorted(ImplReaction(tuple(rename[x] for x in r), tuple(rename[x] for x in p), k)
                             for r, p, k in res.reactions))
    return EnumeratedTemplate(reactions, tuple(out), tuple(signals), res.seconds, note)


def _tail(c: Complex) -> tuple[str, ...] | None:
    """The domains after the first of a single unpaired strand (None for anything else)."""
    if len(c.strands) != 1 or set(c.structure) != {"."}:
        return None
    return tuple(c.strands[0][1:])


def template_task(system: DSDSystem, t: int, config: EnumerationConfig) -> TemplateTask:
    tpl = system.templates[t]
    first = int(system.modules_of(t)[0])
    label = f"module {first} ({system.reaction(first)}; shape {tpl.shape})"
    return TemplateTask(label, tpl.inputs + tpl.fuels, tuple((d.name, d.length) for d in tpl.domains),
                        tuple(tpl.signal_keys(system_history(tpl))), system_history(tpl), config,
                        tuple(tpl.wildcard_fuels().items()), scheme_fallback(system.scheme))


def system_history(tpl: ModuleTemplate) -> bool:
    """Whether the template's signals have a history domain (a fuel's wildcard history does not count)."""
    return any(d.kind == "history" and d.name not in tpl.private for d in tpl.domains)


def _value_or_raise(outcome, label: str, limit: str, timeout: float | None):
    """The value of a finished enumeration task; a timeout or a hit peppercorn limit (a message) raises."""
    if outcome.timed_out:
        raise EnumerationLimit(f"{label}: enumeration took longer than {limit}={timeout:g} s")
    if outcome.error is not None:
        raise EnumerationError(f"{label}: enumeration failed: {outcome.error.strip().splitlines()[-1]}")
    if isinstance(outcome.value, str):
        raise EnumerationLimit(outcome.value)
    return outcome.value


def _limit(seconds: float) -> float | None:
    return seconds if seconds and seconds > 0 else None


def enumerate_templates(system: DSDSystem, config: EnumerationConfig, *, execution: ExecutionConfig | None = None,
                        executor=None, progress: Callable[[int], None] | None = None,
                        only: Iterable[int] | None = None) -> dict[int, EnumeratedTemplate]:
    """Enumerate every template that some module uses (or those in ``only``), once each; ``progress(1)`` per
    template.

    ``executor`` runs the templates (in this process without one), each under
    ``execution.module_timeout`` seconds.
    """
    from dsdcompile.runtime.executors import SerialExecutor

    execution = execution or ExecutionConfig()
    used = system.used_templates
    if only is not None:
        used = [t for t in used if t in set(only)]
    tasks = [template_task(system, t, config) for t in used]
    timeout = _limit(execution.module_timeout)
    outcomes = (executor or SerialExecutor()).map(enumerate_template, tasks, timeout=timeout, progress=progress)
    out = {}
    for t, task, o in zip(used, tasks, outcomes):
        out[t] = _value_or_raise(o, task.label, "module_timeout", timeout)
    return out


def _content_name(c: Complex) -> str:
    # Complexes made only of signal domains are the same molecule in every module: name them by content.
    return "c" + hashlib.blake2b(c.canonical().kernel().encode(), digest_size=6).hexdigest()


def instantiate(system: DSDSystem, i: int, enumerated: EnumeratedTemplate) -> ModuleImplementation:
    """Module i's implementation: the template's enumeration renamed to module i's species and domains."""
    tpl = system.template(i)
    species = system.species_of(i)
    domains = tpl.rename_map(species, i)
    private = set(tpl.private)
    names = {c.name: species[int(c.name[1:])] for c in tpl.inputs}
    names.update({f.name: f"m{i}-{f.name}" for f in tpl.fuels})
    signal_of = dict(enumerated.signals)
    for c in enumerated.complexes:
        if any(d.rstrip("*") in private for d in c.domains):
            names[c.name] = f"m{i}-{c.name}"
        elif c.name in signal_of and c.domains == tpl.inputs[signal_of[c.name]].strands[0]:
            names[c.name] = species[signal_of[c.name]]
        else:
            names[c.name] = _content_name(c.renamed("", domains))
    reactions = tuple(ImplReaction(tuple(names[x] for x in r), tuple(names[x] for x in p), k)
                      for r, p, k in enumerated.reactions)
    signals = {names[c.name]: species[int(c.name[1:])] for c in tpl.inputs}
    signals.update({names[n]: species[k] for n, k in enumerated.signals})
    fuels = tuple(names[f.name] for f in tpl.fuels)
    wastes = tuple(dict.fromkeys(names[c.name] for c in enumerated.complexes if c.name not in signal_of))
    return ModuleImplementation(index=i, formal=system.reaction(i), shape=tpl.shape, reactions=reactions,
                                signals=tuple(signals.items()), fuels=fuels, wastes=wastes,
                                formal_index=int(system.origin[i]) if system.origin is not None else None)


def enumerate_modules(system: DSDSystem, config: EnumerationConfig, *, execution: ExecutionConfig | None = None,
                      executor=None, progress: Callable[[int], None] | None = None) -> list[ModuleImplementation]:
    """One ModuleImplementation per reaction of ``system.split_crn``; each shape is enumerated once."""
    enumerated = enumerate_templates(system, config, execution=execution, executor=executor, progress=progress)
    return [instantiate(system, i, enumerated[int(system.module_template[i])]) for i in range(system.n_modules)]


@dataclass(frozen=True)
class WholeImplementation:
    """The condensed implementation CRN of a whole system, with signal interpretation and fuels."""

    reactions: tuple[ImplReaction, ...]
    signals: tuple[tuple[str, str], ...]
    fuels: tuple[str, ...]
    wastes: tuple[str, ...]
    seconds: float
    note: str = ""  # how it was enumerated where that differs from the configuration (a scheme's fallback)

    def to_crn(self) -> CRN:
        """As a CRN (rates as peppercorn gives them: /M/s and /s)."""
        roles = dict.fromkeys(self.fuels, Role.FUEL) | dict.fromkeys(self.wastes, Role.WASTE)
        names = dict.fromkeys(n for r, p, _ in self.reactions for n in r + p)
        species = tuple(Species(n, roles.get(n, Role.INTERMEDIATE)) for n in names)
        return CRN(species, tuple(Reaction.make(r, p, k) for r, p, k in self.reactions))


def _whole_task(args: tuple) -> tuple[adapter.Enumerated, str] | str:
    complexes, lengths, config, fallback, known = args
    try:
        return _enumerate_with_fallback(complexes, lengths, config, fallback, "whole system", known)
    except EnumerationLimit as e:
        return str(e)


def system_complexes(system: DSDSystem) -> tuple[list[Complex], dict[str, int]]:
    """Every initially present complex (fuels; signals of inputs and initially present species) and domain lengths."""
    from dsdcompile.dsd.outputs import domain_table, initial_signals

    fuels = [c for _, c in system.iter_fuels()]
    return initial_signals(system) + fuels, {d: n for d, n, _ in domain_table(system)}


def enumerate_whole(system: DSDSystem, config: EnumerationConfig, *, execution: ExecutionConfig | None = None,
                    known_limit: str = "") -> WholeImplementation:
    """Enumerate the whole system at once (small systems only), within ``execution.whole_enumeration_timeout``.

    ``known_limit``: why a module of it hit an enumeration limit, so that the scheme's fallback settings (if
    it declares any) are used at once: a system holding that module's complexes hits the limit too."""
    from dsdcompile.runtime.executors import call_with_timeout

    execution = execution or ExecutionConfig()
    complexes, lengths = system_complexes(system)
    # two modules may need the same fuel (a translator both bind through, e.g. the written orders of X + Y -> X + B
    # and X + Y -> Y + B): one molecule in the tube, and peppercorn refuses two names for it
    seen: set[str] = set()
    unique = []
    for c in complexes:
        form = c.canonical().kernel()
        if c.role == "fuel" and form in seen:
            continue
        seen.add(form)
        unique.append(c)
    complexes = unique
    timeout = _limit(execution.whole_enumeration_timeout)
    out = call_with_timeout(_whole_task, (complexes, lengths, config, scheme_fallback(system.scheme), known_limit),
                            timeout)
    res, note = _value_or_raise(out, "whole system", "whole_enumeration_timeout", timeout)
    fuels = tuple(c.name for c in complexes if c.role == ComplexRole.FUEL)
    history = system.history
    keys = {system.signal_domains(s.name)[1 if history else 0:]: s.name for s in system.split_crn.species}
    wild = system.wildcard_fuel_tails()
    signals, wastes = {}, []
    for c in res.complexes:
        if c.role == ComplexRole.SIGNAL:
            signals[c.name] = c.part
        elif c.role != ComplexRole.FUEL and wild and _tail(c) in wild:
            fuels += (c.name,)  # a released copy of a wildcard fuel (another history) is that fuel, in excess
        elif c.role != ComplexRole.FUEL:
            sp = _signal_of(c, keys, history)
            if sp is not None:
                signals[c.name] = sp
            else:
                wastes.append(c.name)
    return WholeImplementation(res.reactions, tuple(signals.items()), fuels, tuple(wastes), res.seconds, note)
