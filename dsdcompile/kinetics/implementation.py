"""The implementation CRN (union of the modules' condensed reactions, with finite fuels) and its kinetics."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from dsdcompile.config import KineticsConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.errors import InputError, InternalError
from dsdcompile.ir import CRN, Reaction, Role, Signal, Species
from dsdcompile.kinetics.formal import run_kinetics, select_examples
from dsdcompile.kinetics.fuel import FuelPlan
from dsdcompile.kinetics.result import KineticsResult
from dsdcompile.kinetics.units import per_nM


@dataclass(frozen=True, eq=False)
class ImplementationCRN(CRN):
    """A CRN of implementation species (nM, seconds) that reads formal values through its signals.

    ``signal_map`` lists (implementation species, formal species). A formal species may be
    carried by several implementation species (e.g. signal strands with different history
    domains); its concentration is their sum, and outputs are read that way. Inputs and
    biases are placed on one of them, the one the consuming module reacts with.
    """

    signal_map: tuple[tuple[str, str], ...] = ()

    @cached_property
    def _readout(self) -> tuple[list[list[int]], list[list[int]]]:
        carriers: dict[str, list[int]] = {}
        for impl, formal in self.signal_map:
            carriers.setdefault(formal, []).append(self.index[impl])
        formal_of = {impl: formal for impl, formal in self.signal_map}
        plus, minus = [], []
        for sig in self.outputs:
            plus.append(carriers.get(formal_of.get(sig.plus, ""), [self.index[sig.plus]]))
            minus.append([] if sig.minus is None else carriers.get(formal_of.get(sig.minus, ""),
                                                                   [self.index[sig.minus]]))
        return plus, minus

    def output_values(self, c: np.ndarray) -> np.ndarray:
        plus, minus = self._readout
        out = np.stack([c[..., p].sum(axis=-1) for p in plus], axis=-1)
        neg = np.stack([c[..., m].sum(axis=-1) if m else np.zeros(c.shape[:-1]) for m in minus], axis=-1)
        return out - neg


def _carriers(formal_crn: CRN, modules: Sequence[ModuleImplementation]) -> tuple[dict[str, str], dict[str, str]]:
    """impl → formal for every signal, and formal → the implementation species that carries its amount."""
    formal_of: dict[str, str] = {}
    for m in modules:
        for impl, formal in m.signals:
            if formal not in formal_crn.index:
                raise InternalError(f"module {m.index} maps {impl!r} to unknown formal species {formal!r}")
            if formal_of.setdefault(impl, formal) != formal:
                raise InternalError(f"species {impl!r} stands for both {formal_of[impl]!r} and {formal!r}")
    consumed = {s for m in modules for r in m.reactions for s in r[0]}
    canonical: dict[str, str] = {}
    for impl, formal in formal_of.items():
        # the consumed carrier is the one a downstream gate reacts with; inputs and biases go there
        if formal not in canonical or (impl in consumed and canonical[formal] not in consumed):
            canonical[formal] = impl
    for s in formal_crn.species:
        canonical.setdefault(s.name, s.name)
    return formal_of, canonical


def merge_signal_carriers(modules: Sequence[ModuleImplementation]) -> list[ModuleImplementation]:
    """The modules with every signal carrier renamed to the formal species it stands for.

    Schemes with history domains release a module-specific variant of each product signal
    (``m3-o0`` for I1_1p, say) whose non-history domains are those of the canonical signal
    strand, so in the tube it reacts with the downstream gate exactly like the canonical
    strand. Modular enumeration only sees the canonical strand as the downstream module's
    input; without this renaming the implementation CRN would never consume the variants.

    A module whose products include its own reactants (the catalyst X of ``X + Y -> X + 2Y``)
    is enumerated with its released variants binding its own gate again, in reactions of
    their own at the canonical strand's rate constants. Renamed, those reactions would
    consume the merged species a second (third, ...) time and multiply its rate, so
    reactions that consume a variant are dropped, and with them the intermediates only they
    made: the canonical carrier's reactions already cover every molecule of the species.
    """
    out = []
    for m in modules:
        rename = dict(m.signals)
        variants = {impl for impl, formal in m.signals if impl != formal}
        kept = [r for r in m.reactions if not variants & set(r[0])]
        while True:  # drop the reactions of intermediates that only dropped reactions made
            made = {s for r in kept for s in r[1]} | set(m.fuels) | set(rename)
            reachable = [r for r in kept if set(r[0]) <= made]
            if len(reachable) == len(kept):
                break
            kept = reachable
        reactions = tuple((tuple(rename.get(s, s) for s in r), tuple(rename.get(s, s) for s in p), k)
                          for r, p, k in kept)
        signals = tuple((f, f) for f in dict.fromkeys(f for _, f in m.signals))
        wastes = tuple(w for w in m.wastes if w not in rename)
        out.append(replace(m, reactions=reactions, signals=signals, wastes=wastes))
    return out


def build_implementation_crn(formal_crn: CRN, modules: Sequence[ModuleImplementation], fuel_nM: Mapping[str, float]
                             | FuelPlan, *, unit_nM: float = KineticsConfig.unit_nM, leak: float = 0.0
                             ) -> ImplementationCRN:
    """The implementation CRN of ``modules`` in nM and seconds.

    Condensed rates convert from peppercorn's units (/M/s bimolecular, /s unimolecular) to
    /nM/s. Fuels start at ``fuel_nM`` (a dict or a FuelPlan; every fuel needs a finite value);
    biases start at ``unit_nM`` × their formal value on the carrier of their species. With
    ``leak`` > 0 (/M/s) each module gets a spurious reaction (see :func:`leak_reactions`).
    Every formal reaction must have a module. Released signal variants are first read as the
    formal species they stand for (:func:`merge_signal_carriers`).
    """
    modules = merge_signal_carriers(modules)
    if isinstance(fuel_nM, FuelPlan):
        fuel_nM = fuel_nM.fuel_nM
    missing = sorted(set(range(formal_crn.n_reactions)) - {m.index for m in modules})
    if missing:
        raise InternalError(f"{len(missing)} formal reactions have no module, e.g. reaction {missing[0]}: "
                         f"'{formal_crn.reactions[missing[0]]}'")
    formal_of, canonical = _carriers(formal_crn, modules)
    fuels = list(dict.fromkeys(f for m in modules for f in m.fuels))
    wastes = set(w for m in modules for w in m.wastes)
    for f in fuels:
        v = fuel_nM.get(f)
        if v is None or not np.isfinite(v) or v < 0:
            raise InputError(f"fuel {f!r} needs a finite non-negative concentration (nM), got {v}")
        if f in formal_of:
            raise InternalError(f"species {f!r} is declared both a fuel and a signal")

    species: dict[str, Species] = {}
    for impl, formal in formal_of.items():
        s = formal_crn.by_name[formal]
        species[impl] = Species(impl, s.role, s.node, s.rail)
    # formal species no module mentions still need a home if they carry an input, a bias or an output
    interface = {n for sig in formal_crn.inputs + formal_crn.outputs for n in sig.species}
    for name in interface | {n for n, _ in formal_crn.initial}:
        if canonical[name] not in species:
            species[name] = formal_crn.by_name[name]
    for f in fuels:
        species[f] = Species(f, Role.FUEL)
    reactions = []
    for m in modules:
        for reactants, products, rate in m.reactions:
            for name in (*reactants, *products):
                if name not in species:
                    species[name] = Species(name, Role.WASTE if name in wastes else Role.INTERMEDIATE)
            reactions.append(Reaction.make(reactants, products, float(per_nM(rate, len(reactants)))))
    initial = [(f, float(fuel_nM[f])) for f in fuels]
    initial += [(canonical[name], v * unit_nM) for name, v in formal_crn.initial]
    if leak > 0:
        reactions += leak_reactions(modules, canonical, fuel_nM, leak)
    inputs = tuple(Signal(s.name, canonical[s.plus], None if s.minus is None else canonical[s.minus])
                   for s in formal_crn.inputs)
    outputs = tuple(Signal(s.name, canonical[s.plus], None if s.minus is None else canonical[s.minus])
                    for s in formal_crn.outputs)
    return ImplementationCRN(tuple(species.values()), tuple(reactions), tuple(initial), inputs, outputs,
                             signal_map=tuple(formal_of.items()))


def leak_reactions(modules: Sequence[ModuleImplementation], canonical: Mapping[str, str],
                   fuel_nM: Mapping[str, float], leak: float) -> list[Reaction]:
    """Spurious release: per module, first fuel + last fuel -> the module's formal products.

    Gate and translator (the first and last fuel of the usual schemes) react without their
    input and release the outputs, at ``leak`` /M/s. The products are the module's own
    carriers of its formal products (their canonical carriers if it names none). A module
    with one fuel leaks as ``fuel -> products`` at leak·[fuel]₀ /s, the same initial flux.
    """
    out = []
    for m in modules:
        if not m.fuels:
            continue
        produced = {s for r in m.reactions for s in r[1]}
        mine = {formal: impl for impl, formal in m.signals if impl in produced}
        products = [mine.get(name, canonical[name]) for name, c in m.formal.products for _ in range(c)]
        first, last = m.fuels[0], m.fuels[-1]
        if first == last:
            out.append(Reaction.make([first], products, float(per_nM(leak, 2)) * fuel_nM[first]))
        else:
            out.append(Reaction.make([first, last], products, float(per_nM(leak, 2))))
    return out


def simulate_implementation_kinetics(impl_crn: CRN, x: np.ndarray, nn_outputs: np.ndarray,
                                     config: KineticsConfig = KineticsConfig(),
                                     progress: Callable[[int], None] | None = None) -> KineticsResult:
    """Simulate the implementation CRN (rates as built) on the first ``config.implementation_examples``
    (``progress(n)`` as n more examples finish)."""
    x, nn = select_examples(x, nn_outputs, config.implementation_examples)
    c0 = impl_crn.initial_state(x * config.unit_nM)
    return run_kinetics(impl_crn, c0, nn, [impl_crn.rate_constants(1.0)], config, "implementation", progress)
