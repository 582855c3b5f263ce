"""Free strands left in annealed complexes: what each module does with them, enumerated with peppercorn.

Complexes are annealed with some strands in excess (:func:`excess_strands`: the top strands of
gates, as in Qian & Winfree 2011 and Chen et al. 2013, so that every bottom strand is in a
complex; the quencher strand of reporters, so that no fluorophore strand is free and dark
wells stay dark) and then purified. Purification removes most of the excess but not all: the
tube holds some of every excess strand free. For each module shape this module lists those
free strands and enumerates them together with the shape's fuels and input signals, so the
tube's kinetics include what they do (a free output-carrying top strand triggers the next
gate, a free fork strand is a spurious output, a free quencher strand catches a signal
without lighting up). A free strand is one of three kinds:

- ``signal``: its domains are a signal strand of one of the module's species (e.g. a fork
  gate's product strand): it acts as that species, so its amount adds to the species.
- ``fuel``: the same strand is already a single-stranded fuel of the module (e.g. a join
  gate's top strand that is also its translator): its amount adds to that fuel.
- ``strand``: anything else; enumerated. One without module-private domains is named by its
  content (``c<hash>``), so that the same molecule released elsewhere is the same species.

Interactions between a free strand and other modules' complexes are not enumerated (modular
enumeration, as for the modules themselves).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from dsdcompile.config import EnumerationConfig, ExecutionConfig
from dsdcompile.dsd.enumerate import _content_name, enumerate_modules
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.system import Complex, ComplexRole, DSDSystem, ModuleTemplate


@dataclass(frozen=True)
class FreeStrand:
    """Strand ``strand`` of template fuel ``fuel`` left free: ``kind`` says where its amount goes.

    ``target`` is the local species index (signal), the fuel's local name (fuel) or the free
    strand's own local complex name (strand).
    """

    fuel: str
    strand: int
    kind: str
    target: str | int


def binding_strands(c: Complex, toeholds: set[str]) -> tuple[int, ...]:
    """Strands of ``c`` with an unpaired complemented toehold: where a signal binds the complex."""
    out = []
    for j, s in enumerate(c.strands):
        part = c.structure.split("+")[j]
        if any(ch == "." and d.endswith("*") and d.rstrip("*") in toeholds for ch, d in zip(part, s)):
            out.append(j)
    return tuple(out)


def excess_strands(c: Complex, toeholds: set[str]) -> tuple[int, ...]:
    """The strands a complex is annealed with in excess.

    Gates: every strand but the one a signal binds (its unpaired complemented toehold: the
    bottom strand), so that every bottom strand ends up in a complex, as in Qian & Winfree 2011
    and Chen et al. 2013; purification then removes the excess top strands. Reporters: the
    quencher (bottom) strand, so that no fluorophore strand is left unquenched. Single strands
    are not annealed.
    """
    if len(c.strands) < 2:
        return ()
    binding = binding_strands(c, toeholds)
    if c.role == ComplexRole.REPORTER:
        return binding
    return tuple(k for k in range(len(c.strands)) if k not in binding) or binding


def free_strands(tpl: ModuleTemplate, history: bool) -> tuple[ModuleTemplate, tuple[FreeStrand, ...]]:
    """The template with its enumerated free strands added as fuels (ComplexRole.IMPURITY), and every free strand.

    Free strands are the excess strands of every multi-stranded fuel (:func:`excess_strands`).
    """
    keys = dict(tpl.signal_keys(history))
    single = {f.strands[0]: f.name for f in tpl.fuels if len(f.strands) == 1}
    seen: dict[tuple[str, ...], str] = {}
    extra: list[Complex] = []
    out: list[FreeStrand] = []
    toeholds = {d.name for d in tpl.domains if d.kind == "toehold"}
    for f in tpl.fuels:
        for k in excess_strands(f, toeholds):
            s = f.strands[k]
            key = s[1:] if history else s
            if key in keys:
                out.append(FreeStrand(f.name, k, "signal", keys[key]))
            elif s in single:
                out.append(FreeStrand(f.name, k, "fuel", single[s]))
            else:
                if s not in seen:
                    seen[s] = f"{f.name}s{k}"
                    extra.append(Complex(seen[s], (s,), "." * len(s), ComplexRole.IMPURITY, part="free strand"))
                out.append(FreeStrand(f.name, k, "strand", seen[s]))
    return replace(tpl, fuels=tpl.fuels + tuple(extra)), tuple(out)


@dataclass(frozen=True, eq=False)
class ImpurityModules:
    """Every module re-enumerated with its free strands, and where each free strand's amount goes.

    ``modules[i]`` replaces the ideal module i in the tube's kinetics (it holds the ideal
    reactions and those of the free strands); ``free[t]`` lists template t's free strands and
    ``names[i]`` maps module i's enumerated free strands (local name) to their species names.
    """

    modules: tuple[ModuleImplementation, ...]
    free: dict[int, tuple[FreeStrand, ...]]
    names: tuple[dict[str, str], ...]
    system: DSDSystem

    def amounts(self, fuel_nM: Mapping[str, float], fraction: float) -> tuple[dict[str, float], dict[str, float]]:
        """(fuel or free-strand species → extra nM, formal species → extra nM) for ``fraction`` of every strand free."""
        extra: dict[str, float] = {}
        signals: dict[str, float] = {}
        system = self.system
        for i in range(system.n_modules):
            t = int(system.module_template[i])
            species = system.species_of(i)
            for fs in self.free.get(t, ()):
                amount = fraction * float(fuel_nM[self._fuel_name(i, fs.fuel)])
                if fs.kind == "signal":
                    name = species[int(fs.target)]
                    signals[name] = signals.get(name, 0.0) + amount
                elif fs.kind == "fuel":
                    name = self._fuel_name(i, str(fs.target))
                    extra[name] = extra.get(name, 0.0) + amount
                else:
                    name = self.names[i][str(fs.target)]
                    extra[name] = extra.get(name, 0.0) + amount
        return extra, signals

    def _fuel_name(self, i: int, local: str) -> str:
        return self.names[i].get(local, f"m{i}-{local}")


def impurity_modules(system: DSDSystem, enumeration: EnumerationConfig = EnumerationConfig(), *,
                     execution: ExecutionConfig | None = None, executor=None,
                     fuel_names: Sequence[Mapping[str, str]] | None = None) -> ImpurityModules:
    """Enumerate every module shape of ``system`` with its free strands (one peppercorn run per shape).

    ``fuel_names[i]`` renames module i's fuels (e.g. ``m3-f0`` → ``rep-Y0p`` for reporters);
    free strands without private domains get content names, as released strands do.
    """
    history = system.history
    extended, free = [], {}
    for t, tpl in enumerate(system.templates):
        ext, fs = free_strands(tpl, history)
        extended.append(ext)
        free[t] = fs
    shadow = replace(system, templates=tuple(extended))
    raw = enumerate_modules(shadow, enumeration, execution=execution, executor=executor)
    modules, names = [], []
    for i, m in enumerate(raw):
        t = int(system.module_template[i])
        tpl = extended[t]
        private = set(tpl.private)
        rename = dict(fuel_names[i]) if fuel_names is not None else {}
        local = {f.name: rename.get(f"m{i}-{f.name}", f"m{i}-{f.name}") for f in tpl.fuels}
        domains = tpl.rename_map(system.species_of(i), i)
        for f in tpl.fuels:
            if f.role == ComplexRole.IMPURITY and not any(d.rstrip("*") in private for d in f.domains):
                content = _content_name(f.renamed("", domains))
                local[f.name] = rename.get(content, content)
        full = {f"m{i}-{k}": v for k, v in local.items()}
        full.update(rename)
        modules.append(m.renamed(full))
        names.append(local)
    return ImpurityModules(tuple(modules), free, tuple(names), system)


__all__ = ["FreeStrand", "ImpurityModules", "excess_strands", "free_strands", "impurity_modules"]
