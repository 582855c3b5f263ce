"""The lab stage: the protocol a wet lab runs — what to order, anneal, purify, mix, pipette and read.

It runs after the kinetics stage (which plans the fuel, fits the unit concentration and
simulates the tube as planned with its reporters) and the sequence stage (whose nucleotide
sequences the tables then carry), and writes the pipetting plan as tables
(:mod:`dsdcompile.lab.tables`), the ordered ``protocol.md`` (:mod:`dsdcompile.lab.protocol`),
the readout (``reporters.csv``, ``dyes.csv``) and ``lab_plan.json``, which ``dsdcompile mix``
reads to plan new samples. A design whose DNA does not fit the tube
(:class:`~dsdcompile.errors.DesignInfeasible`) is a finding: no tables, and the reason is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dsdcompile.config import KineticsConfig, LabConfig
from dsdcompile.dsd.outputs import domain_table
from dsdcompile.dsd.reporters import ReporterSet
from dsdcompile.dsd.system import Complex, DSDSystem
from dsdcompile.errors import DesignInfeasible
from dsdcompile.lab.dyes import RailReadout, assign_dyes
from dsdcompile.lab.tables import LabDesign, LabSpecies, LabStrand, lab_examples, plan_design
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.kinetics import KineticsStageResult, initial_signals_nM

UNIT_STEPS = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01)  # fractions of --unit-nM tried by fit_unit, 1-2-5 steps


@dataclass(frozen=True, eq=False)
class LabResult:
    """The planned protocol (``design``), or why none could be planned (``skipped``)."""

    config: LabConfig
    unit_nM: float
    design: LabDesign | None = None
    skipped: str | None = None
    reporters: ReporterSet | None = None
    read_time_h: float | None = None
    steps: int = 0

    @property
    def written(self) -> bool:
        return self.skipped is None and self.design is not None

    @property
    def species(self) -> tuple[LabSpecies, ...]:
        return self.design.species if self.design is not None else ()

    @property
    def examples(self):
        return self.design.examples if self.design is not None else None

    def total_dna_uM(self) -> float:
        """Strands in one reaction well (µM), inputs excluded: every complex's strands, single strands, reporters."""
        return sum(sp.concentration_nM * len(sp.strands) for sp in self.species
                   if sp.role not in ("input", "output")) / 1000.0

    def to_summary(self) -> dict:
        """summary.json's ``lab`` block."""
        out: dict = {"volume_uL": self.config.volume_uL if self.written else None, "unit_nM": self.unit_nM,
                     "species": len(self.species) if self.written else None}
        if self.written:
            d = self.design
            plan = d.plan
            out.update({
                "min_volume_uL": round(plan.min_volume(), 4),
                "min_volume_required_uL": self.config.min_volume_uL,
                "steps": self.steps,
                "total_dna_uM": round(self.total_dna_uM(), 4),
                "anneals": len(plan.pools),
                "wells_per_sample": d.groups,
                "wells": len(plan.wells) + len(plan.calibration),
                "reporters": len(d.readout),
                "dyes": list(dict.fromkeys(r.dye.dye for r in d.readout)),
                "read_time_h": self.read_time_h,
                "reaction_temperature_C": self.config.reaction_temperature_C,
                "purification": self.config.purification,
                "residual_free_fraction": self.config.residual_fraction,
                "dilutions": len(plan.dilutions),
                "inputs_left_out": len(plan.omitted_inputs),
            })
        if self.skipped is not None:
            out["skipped"] = self.skipped
        if self.reporters is not None and self.reporters.skipped:
            out["reporters_skipped"] = self.reporters.skipped
        return out


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


def fit_unit(dsd, x: np.ndarray, kcfg: KineticsConfig, lab: LabConfig, progress: Progress
             ) -> tuple[KineticsConfig, str | None]:
    """The largest unit concentration (``kcfg.unit_nM`` × :data:`UNIT_STEPS`) whose tube can be pipetted.

    Fuel and reporters scale with the unit, so a design whose DNA does not fit the tube at
    ``unit_nM`` may fit at a lower one (its kinetics are then slower: bimolecular rates scale
    with concentration). Returns the config to simulate with and a note (None when unchanged);
    when no step fits, the config is unchanged and the lab stage reports why.
    """
    from dsdcompile.kinetics.fuel import fuel_plan
    from dsdcompile.kinetics.tube import reporter_nM, worst_rails_nM

    last = None
    for step in UNIT_STEPS:
        k = replace(kcfg, unit_nM=kcfg.unit_nM * step)
        plan = fuel_plan(dsd.system.split_crn, dsd.modules, x, k)
        reps = {}
        if dsd.reporters.reporters:
            reps = reporter_nM(worst_rails_nM(dsd.system.split_crn, dsd.reporters, x, k.unit_nM), k.unit_nM,
                               k.fuel_safety, k.fuel_min_units)
        try:
            tube_design(dsd.system, dsd.reporters, plan.fuel_nM, reps, x, None, k.unit_nM, lab)
        except DesignInfeasible as e:
            last = e
            continue
        if step == 1.0:
            return kcfg, None
        note = (f"one unit lowered from {kcfg.unit_nM:g} nM to {k.unit_nM:g} nM so that the tube can be pipetted "
                f"(at {kcfg.unit_nM:g} nM: {_first(str(last))})")
        progress.log(f"lab: {note}")
        return k, note
    progress.log(f"lab: no unit down to {kcfg.unit_nM * UNIT_STEPS[-1]:g} nM gives a tube that can be pipetted: {last}")
    return kcfg, None


def _first(text: str) -> str:
    return text.split(";")[0]


def plan_lab(dsd, kinetics: KineticsStageResult, config: LabConfig, progress: Progress) -> LabResult:
    """The protocol's plan; a design that does not fit the tube is recorded, not raised."""
    unit = kinetics.unit_nM
    reporters = dsd.reporters
    if "lab_tables" in kinetics.skipped or kinetics.plan is None:
        return LabResult(config, unit, skipped=kinetics.skipped.get("lab_tables", "no fuel plan"), reporters=reporters)
    from dsdcompile.kinetics.tube import reporter_nM, worst_rails_nM

    tube = kinetics.tube
    with progress.stage("lab plan"):
        x = kinetics.x
        expected = kinetics.nn.argmax(axis=1)
        reps: dict[str, float] = {}
        read_h = expected_nM = None
        top = 0.0
        if tube is not None:
            reps = dict(tube.reporter_nM)
            read_h = tube.read_time_s / 3600.0
            expected_nM = _expected_readings(tube)
            top = tube.calibration_units[-1] * unit
        elif dsd.reporters.reporters:  # tube not simulated (e.g. implementation skipped): plan reporters anyway
            reps = reporter_nM(worst_rails_nM(dsd.system.split_crn, dsd.reporters, x, unit), unit,
                               kinetics.plan.safety, KineticsConfig.fuel_min_units)
        notes = [kinetics.block["unit_note"]] if kinetics.block.get("unit_note") else []
        try:
            design = tube_design(dsd.system, dsd.reporters, kinetics.plan.fuel_nM, reps, x, expected, unit, config,
                                 initial_nM=kinetics.helper_nM or None, calibration_top_nM=top, read_time_h=read_h,
                                 expected_nM=expected_nM, notes=notes)
        except DesignInfeasible as e:
            # a design whose DNA does not fit the tube is a finding to report, not a failed run
            progress.log(f"lab tables: not written: {e}")
            return LabResult(config, unit, skipped=str(e), reporters=reporters)
    from dsdcompile.lab.protocol import protocol_steps

    steps = protocol_steps(design, tube_summary=kinetics.block)
    return LabResult(config, unit, design, reporters=reporters, read_time_h=read_h, steps=len(steps))


def _expected_readings(tube) -> np.ndarray:
    """(examples, rails) planned tube's fluorophore (nM) at the read time, rails in the reporters' order."""
    from dsdcompile.kinetics.readout import at_time

    run = tube.runs["planned"]
    return at_time(run.grid, run.rails, tube.read_time_s)


def write_lab_files(lab: LabResult, folder: Path, progress: Progress, *,
                    strand_sequences: Mapping[str, str] | None = None, kinetics_block: Mapping | None = None
                    ) -> list[str]:
    """The protocol, the wet-lab tables, the readout tables and lab_plan.json, with sequences where designed."""
    if not lab.written:
        return []
    from dsdcompile.lab.dyes import write_dye_table
    from dsdcompile.lab.protocol import (
        PROTOCOL_COLUMNS,
        protocol_markdown,
        protocol_rows,
        protocol_steps,
        reporter_rows,
        write_concentrations_md,
    )
    from dsdcompile.lab.tables import write_lab_tables

    design = lab.design
    steps = protocol_steps(design, tube_summary=kinetics_block or {}, sequences=strand_sequences)
    reps = reporter_rows(design, strand_sequences)
    extra = {"protocol": (PROTOCOL_COLUMNS, protocol_rows(steps))}
    if reps:
        extra["reporters"] = (tuple(reps[0]), reps)
    written = write_lab_tables(design, folder, sequences=strand_sequences, extra_sheets=extra)
    files = [Path(p).name for p in written]
    if files and "plate.xlsx" not in files:
        progress.log("lab tables: plate.xlsx not written (pip install 'dsdcompile[lab]' for openpyxl)")
    (folder / "protocol.md").write_text(protocol_markdown(design, steps, strand_sequences), encoding="utf-8")
    write_concentrations_md(design, folder / "concentrations.md", strand_sequences)
    files += ["protocol.md", "concentrations.md"]
    if reps:
        from dsdcompile.lab.files import write_csv

        write_csv(folder / "reporters.csv", tuple(reps[0]), reps)
        files.append("reporters.csv")
    write_dye_table(folder / "dyes.csv", design.config.dyes)
    files.append("dyes.csv")
    return files


__all__ = ["LabResult", "UNIT_STEPS", "fit_unit", "lab_species", "long_domains", "plan_lab", "readout_plan",
           "tube_design", "write_lab_files"]
