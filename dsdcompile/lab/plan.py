"""The tube as a wet lab makes it: species rows of a DSD system, readout, pipetting plan, and the unit that fits.

Domain logic of the lab stage (:mod:`dsdcompile.stages.lab` only wires it): what goes into the
tube (:func:`lab_species`), how it is read (:func:`readout_plan`), the pipetting plan
(:func:`tube_design`), and the largest unit concentration whose tube can be pipetted
(:func:`fit_unit`, run by the pipeline before the kinetics stage, whose fuel plan it hands on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from dsdcompile.config import KineticsConfig, LabConfig
from dsdcompile.dsd.outputs import domain_table
from dsdcompile.dsd.reporters import ReporterSet
from dsdcompile.dsd.system import Complex, DSDSystem
from dsdcompile.errors import DesignInfeasible
from dsdcompile.kinetics.tube import initial_signals_nM
from dsdcompile.lab.dyes import RailReadout, assign_dyes
from dsdcompile.lab.tables import LabDesign, LabSpecies, LabStrand, lab_examples, plan_design

if TYPE_CHECKING:
    from dsdcompile.kinetics.fuel import FuelPlan
    from dsdcompile.runtime.progress import Progress

UNIT_STEPS = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01)  # fractions of --unit-nM tried by fit_unit, 1-2-5 steps


def _strands(c: Complex, lengths: dict[str, int]) -> tuple[LabStrand, ...]:
    """The strands of a complex, named as in strands.csv (``complex.k``)."""
    return tuple(LabStrand(f"{c.name}.{k}", " ".join(s), sum(lengths[d.rstrip("*")] for d in s))
                 for k, s in enumerate(c.strands))


def lab_species(system: DSDSystem, fuel_nM: Mapping[str, float], unit_nM: float, *,
                initial_nM: Mapping[str, float] | None = None,
                reporter_nM: Mapping[str, float] | None = None) -> list[LabSpecies]:
    """LabSpecies rows of a DSD system: input signals, initially present signals (role helper, e.g. biases)
    at unit_nM × their value (or ``initial_nM[name]``), every fuel complex at its planned concentration
    ``fuel_nM``, the reporters at ``reporter_nM``, and output signals to read."""
    from dsdcompile.dsd.impurities import binding_strands, excess_strands

    crn = system.split_crn
    table = list(domain_table(system))
    lengths = {d: n for d, n, _ in table}
    toeholds = {d for d, _, kind in table if kind == "toehold"}

    def annealed(c: Complex, role: str, conc: float) -> LabSpecies:
        return LabSpecies(c.name, role, _strands(c, lengths), conc, c.part if role == "fuel" else role,
                          excess_strands(c, toeholds), binding_strands(c, toeholds))

    def signal(name: str, role: str, conc: float = 0.0) -> LabSpecies:
        doms = system.signal_domains(name)
        return LabSpecies(name, role, _strands(Complex(name, (doms,), "." * len(doms), "signal"), lengths), conc)

    rows: dict[str, LabSpecies] = {}
    for sig in crn.inputs:
        for name in sig.species:
            rows.setdefault(name, signal(name, "input"))
    for name, conc in initial_signals_nM(crn, unit_nM, initial_nM).items():
        if name not in rows:
            rows[name] = signal(name, "helper", conc)
    for _, c in system.iter_fuels():
        rows[c.name] = annealed(c, "fuel", float(fuel_nM[c.name]))
    for c in system.reporters:
        if reporter_nM is not None and c.name in reporter_nM:
            rows[c.name] = annealed(c, "reporter", float(reporter_nM[c.name]))
    for sig in crn.outputs:
        for name in sig.species:
            rows.setdefault(name, signal(name, "output"))
    return list(rows.values())


def readout_plan(reporters: ReporterSet | None, lab: LabConfig) -> tuple[RailReadout, ...]:
    """Dyes and wells of every reporter (:func:`dsdcompile.lab.dyes.assign_dyes`); empty without reporters."""
    if reporters is None or not reporters.reporters:
        return ()
    return assign_dyes([(r.species, r.output, r.rail, r.name) for r in reporters.reporters], lab.dyes)


def long_domains(system: DSDSystem) -> set[str]:
    """The names of the system's long (not toehold) domains."""
    return {name for name, _, kind in domain_table(system) if kind != "toehold"}


def tube_design(system: DSDSystem, reporters: ReporterSet | None, fuel_nM: Mapping[str, float],
                reporter_nM: Mapping[str, float], x: np.ndarray, expected: np.ndarray | None, unit_nM: float,
                lab: LabConfig, *, initial_nM: Mapping[str, float] | None = None, calibration_top_nM: float = 0.0,
                read_time_h: float | None = None, expected_nM: np.ndarray | None = None,
                notes: Sequence[str] = ()) -> LabDesign:
    """Species and pipetting plan of the tube at ``unit_nM`` (DesignInfeasible when it cannot be pipetted)."""
    species = lab_species(system, fuel_nM, unit_nM, initial_nM=initial_nM, reporter_nM=reporter_nM)
    examples = lab_examples(system.split_crn, x, expected=expected)
    readout = readout_plan(reporters, lab)
    return plan_design(species, examples, lab, unit_nM=unit_nM, readout=readout,
                       calibration_top_nM=calibration_top_nM or max(reporter_nM.values(), default=0.0) / 2,
                       long_domains=long_domains(system), read_time_h=read_time_h, expected_nM=expected_nM,
                       notes=notes)


def planned_reporter_nM(system: DSDSystem, reporters: ReporterSet, x: np.ndarray, unit_nM: float, safety: float,
                        min_units: float, *, bounds=None) -> dict[str, float]:
    """Every reporter's concentration: the worst example's rail × ``safety`` (or, with ``bounds``, the rail's bound
    over the input box, :func:`bound_rails_nM`), at least ``min_units`` units."""
    if not reporters.reporters:
        return {}
    from dsdcompile.kinetics.tube import reporter_nM, worst_rails_nM

    worst = (bound_rails_nM(reporters, bounds, unit_nM) if bounds is not None
             else worst_rails_nM(system.split_crn, reporters, x, unit_nM))
    return reporter_nM(worst, unit_nM, safety, min_units)


def bound_rails_nM(reporters: ReporterSet, bounds, unit_nM: float) -> dict[str, float]:
    """Per reporter, the bound (nM) of its output rail over the input box (:mod:`dsdcompile.crn.bounds`)."""
    return {r.name: bounds.of(r.species) * unit_nM for r in reporters.reporters}


@dataclass(frozen=True, eq=False)
class UnitFit:
    """The kinetics settings to simulate with (their ``unit_nM`` the one that fits), why it was lowered (None when
    not), and the fuel plan at that unit, which the kinetics stage uses rather than plan it again."""

    kinetics: KineticsConfig
    note: str | None = None
    plan: FuelPlan | None = None

    def plan_for(self, kinetics: KineticsConfig) -> FuelPlan | None:
        """The fuel plan made here, when ``kinetics`` plans fuel the same way (None otherwise)."""
        k = self.kinetics
        same = (kinetics.unit_nM, kinetics.fuel_safety, kinetics.fuel_min_units, kinetics.fuel_units) == (
            k.unit_nM, k.fuel_safety, k.fuel_min_units, k.fuel_units)
        return self.plan if same else None


def fit_unit(dsd, x: np.ndarray, kcfg: KineticsConfig, lab: LabConfig, progress: Progress, *,
             bounds=None) -> UnitFit:
    """The largest unit concentration (``kcfg.unit_nM`` × :data:`UNIT_STEPS`) whose tube can be pipetted.

    Fuel and reporters scale with the unit, so a design whose DNA does not fit the tube at
    ``unit_nM`` may fit at a lower one (its kinetics are then slower: bimolecular rates scale
    with concentration). When no step fits, the config is unchanged (with its fuel plan) and the
    lab stage reports why. With ``bounds`` (:func:`dsdcompile.crn.bounds.bound_crn` of the split CRN over an input
    box) fuel and reporters cover every input of the box (:func:`~dsdcompile.kinetics.fuel.bound_fuel_plan`).
    """
    from dsdcompile.kinetics.fuel import bound_fuel_plan, fuel_plan

    last = first = None
    for step in UNIT_STEPS:
        k = replace(kcfg, unit_nM=kcfg.unit_nM * step)
        plan = (bound_fuel_plan(dsd.system.split_crn, dsd.modules, bounds, k) if bounds is not None
                else fuel_plan(dsd.system.split_crn, dsd.modules, x, k))
        first = first or plan
        reps = planned_reporter_nM(dsd.system, dsd.reporters, x, k.unit_nM, k.fuel_safety, k.fuel_min_units,
                                   bounds=bounds)
        try:
            tube_design(dsd.system, dsd.reporters, plan.fuel_nM, reps, x, None, k.unit_nM, lab)
        except DesignInfeasible as e:
            last = e
            continue
        if step == 1.0:
            return UnitFit(kcfg, None, plan)
        note = (f"one unit lowered from {kcfg.unit_nM:g} nM to {k.unit_nM:g} nM so that the tube can be pipetted "
                f"(at {kcfg.unit_nM:g} nM: {str(last).split(';')[0]})")
        progress.log(f"lab: {note}")
        return UnitFit(k, note, plan)
    progress.log(f"lab: no unit down to {kcfg.unit_nM * UNIT_STEPS[-1]:g} nM gives a tube that can be pipetted: {last}")
    return UnitFit(kcfg, None, first)


def expected_readings(tube) -> np.ndarray:
    """(examples, rails) planned tube's fluorophore (nM) at the read time, rails in the reporters' order."""
    from dsdcompile.kinetics.readout import at_time

    run = tube.runs["planned"]
    return at_time(run.grid, run.rails, tube.read_time_s)


__all__ = ["UNIT_STEPS", "UnitFit", "expected_readings", "fit_unit", "lab_species", "long_domains",
           "planned_reporter_nM", "readout_plan", "tube_design"]
