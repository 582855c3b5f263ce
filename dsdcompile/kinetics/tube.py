"""The tube as planned: implementation CRN with readout reporters, free strands and leak, read as fluorescence.

The implementation kinetics (:mod:`dsdcompile.kinetics.implementation`) simulate the
enumerated modules with their planned fuel. The tube a lab pipettes holds more: a reporter for
every output rail (:mod:`dsdcompile.dsd.reporters`), the strands that annealing and
purification leave free (a fraction ``residual`` of every strand of every multi-stranded
complex, enumerated with :mod:`dsdcompile.dsd.impurities`), and leak. :func:`build_tube_crn`
puts them into one CRN whose readout is the free fluorophore strands, one per rail.

Leak follows :func:`~dsdcompile.kinetics.implementation.leak_reactions` (each module's first and
last fuel release its products without an input) at ``LabConfig.planned_leak``
(:data:`dsdcompile.config.PLANNED_LEAK_PER_M_S`) unless set:
1 /M/s is the order of magnitude Zhang & Winfree (JACS 2009) measured for strand displacement
without a toehold, which Thachuk, Winfree & Soloveichik (DNA 21, 2015) identify as the leak
pathway of toehold-sequestering gates (Soloveichik et al. 2010; Chen et al. 2013 report leak as
a spurious release of output from gate pairs of the same kind). Reporters are not given a leak
reaction: their background is what the calibration wells measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from dsdcompile.crn.evaluate import ExactEvaluator
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.impurities import ImpurityModules
from dsdcompile.dsd.reporters import ReporterSet, reporter_crn
from dsdcompile.errors import InternalError
from dsdcompile.ir import CRN
from dsdcompile.kinetics.implementation import (
    ImplementationCRN,
    build_implementation_crn,
    leak_reactions,
    merge_signal_carriers,
)


@dataclass(frozen=True, eq=False)
class TubeCRN(ImplementationCRN):
    """An implementation CRN with reporters; ``fluor[r]`` is the fluorophore strand species of readout rail r."""

    fluor: tuple[str, ...] = ()

    @cached_property
    def fluor_index(self) -> np.ndarray:
        return np.array([self.index[f] for f in self.fluor], dtype=np.int64)

    def rail_values(self, c: np.ndarray) -> np.ndarray:
        """Free fluorophore strand per rail (nM), shape (..., rails)."""
        return np.asarray(c)[..., self.fluor_index]



def initial_signals_nM(crn: CRN, unit_nM: float, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The signals ``crn`` starts with (biases, helper catalysts) in nM: value × ``unit_nM``, or ``overrides[name]``
    (rate-setting helper catalysts); none at zero. What the tube plan and the lab tables both pipette."""
    initial: dict[str, float] = {}
    for name, v in crn.initial:
        initial[name] = initial.get(name, 0.0) + v
    return {name: float(overrides[name]) if overrides and name in overrides else v * unit_nM
            for name, v in initial.items() if v > 0}


def worst_rails_nM(split_crn: CRN, reporters: ReporterSet, x: np.ndarray, unit_nM: float) -> dict[str, float]:
    """Per reporter, the largest amount (nM) of its rail that an example makes (the exact CRN limit)."""
    final = ExactEvaluator(split_crn).final_state(split_crn.initial_state(np.atleast_2d(x)) * unit_nM)
    idx = split_crn.index
    return {r.name: float(final[:, idx[r.species]].max(initial=0.0)) for r in reporters.reporters}


def reporter_nM(worst: Mapping[str, float], unit_nM: float, safety: float, min_units: float) -> dict[str, float]:
    """Reporter concentrations: ``safety`` × the worst case of its rail, at least ``min_units`` units.

    In excess every signal molecule finds a reporter at a rate that hardly changes over the
    run, so the fluorescence follows the rail's amount.
    """
    return {name: max(safety * w, min_units * unit_nM) for name, w in worst.items()}


def _combined(split_crn: CRN, extra_initial: Mapping[str, float], unit_nM: float) -> CRN:
    """The split CRN with one ``Y -> ∅`` per output rail appended (the reporters' formal reactions)."""
    rep = reporter_crn(split_crn)
    initial = split_crn.initial + tuple((n, v / unit_nM) for n, v in sorted(extra_initial.items()) if v > 0)
    return CRN(split_crn.species, split_crn.reactions + rep.reactions, initial, split_crn.inputs, split_crn.outputs)


def build_tube_crn(split_crn: CRN, modules: Sequence[ModuleImplementation], reporters: ReporterSet,
                   fuel_nM: Mapping[str, float], unit_nM: float, *, leak: float = 0.0,
                   impurities: ImpurityModules | None = None, reporter_impurities: ImpurityModules | None = None,
                   residual: float = 0.0) -> TubeCRN:
    """The tube as one CRN (nM, s): modules, reporters, free strands at ``residual`` of their complex, leak.

    ``fuel_nM`` holds every fuel and reporter concentration. With ``residual`` > 0 the modules
    are replaced by their free-strand enumerations (``impurities``, ``reporter_impurities``):
    free signal strands add to their species, the rest start at ``residual`` × their complex.
    """
    n = split_crn.n_reactions
    fuel = dict(fuel_nM)
    extra_signals: dict[str, float] = {}
    main, rep = list(modules), list(reporters.modules)
    if residual > 0:
        if impurities is None or reporter_impurities is None:
            raise InternalError("free strands need the modules enumerated with them")
        for imp in (impurities, reporter_impurities):
            extra, signals = imp.amounts(fuel, residual)
            for name, v in extra.items():
                fuel[name] = fuel.get(name, 0.0) + v
            for name, v in signals.items():
                extra_signals[name] = extra_signals.get(name, 0.0) + v
        main, rep = list(impurities.modules), list(reporter_impurities.modules)
    combined = _combined(split_crn, extra_signals, unit_nM)
    all_modules = main + [replace(m, index=n + k) for k, m in enumerate(rep)]
    impl = build_implementation_crn(combined, all_modules, fuel, unit_nM=unit_nM)
    reactions = impl.reactions
    if leak > 0:
        merged = merge_signal_carriers(modules)
        reactions = reactions + tuple(leak_reactions(merged, {s.name: s.name for s in split_crn.species}, fuel, leak))
    fluor = tuple(r.fluorophore for r in reporters.reporters)
    missing = [f for f in fluor if f not in impl.index]
    if missing:
        raise InternalError(f"reporter fluorophore species {missing[0]!r} is not in the tube CRN")
    return TubeCRN(impl.species, reactions, impl.initial, impl.inputs, impl.outputs, signal_map=impl.signal_map,
                   fluor=fluor)


def calibration_crn(reporters: ReporterSet, fuel_nM: Mapping[str, float], unit_nM: float, *,
                    reporter_impurities: ImpurityModules | None = None, residual: float = 0.0) -> TubeCRN:
    """A calibration well: the reporters (and their free strands) alone; fluorophore standards are added per run."""
    if reporters.system is None:
        raise InternalError("no reporters to calibrate")
    crn = reporters.system.split_crn
    fuel = dict(fuel_nM)
    mods = list(reporters.modules)
    if residual > 0 and reporter_impurities is not None:
        extra, _ = reporter_impurities.amounts(fuel, residual)  # free signal strands: a reporter has none
        for name, v in extra.items():
            fuel[name] = fuel.get(name, 0.0) + v
        mods = list(reporter_impurities.modules)
    impl = build_implementation_crn(crn, mods, fuel, unit_nM=unit_nM)
    return TubeCRN(impl.species, impl.reactions, impl.initial, impl.inputs, impl.outputs, signal_map=impl.signal_map,
                   fluor=tuple(r.fluorophore for r in reporters.reporters))


__all__ = ["initial_signals_nM", "TubeCRN", "build_tube_crn", "calibration_crn", "reporter_nM", "worst_rails_nM"]
