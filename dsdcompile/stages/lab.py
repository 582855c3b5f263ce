"""The lab stage: the protocol a wet lab runs — what to order, anneal, purify, mix, pipette and read.

Wiring only: the planning is :mod:`dsdcompile.lab.plan` and the tables :mod:`dsdcompile.lab.tables`.
It runs after the kinetics stage (which plans the fuel at the unit concentration the unit fit
chose), the tube stage (the tube as planned with its reporters) and the sequence stage (whose nucleotide
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

from dsdcompile.config import KineticsConfig, LabConfig
from dsdcompile.dsd.reporters import ReporterSet
from dsdcompile.errors import DesignInfeasible
from dsdcompile.lab.plan import expected_readings, planned_reporter_nM, tube_design
from dsdcompile.lab.tables import LabDesign, LabSpecies
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.kinetics import KineticsStageResult


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
    basis: dict | None = None  # what fuel was planned for (dsdcompile.stages.box.basis_summary)

    def with_basis(self, basis: dict) -> LabResult:
        return replace(self, basis=basis)

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
        if self.basis:
            out.update(self.basis)
        if self.skipped is not None:
            out["skipped"] = self.skipped
        if self.reporters is not None and self.reporters.skipped:
            out["reporters_skipped"] = self.reporters.skipped
        return out


def plan_lab(dsd, kinetics: KineticsStageResult, config: LabConfig, progress: Progress, *,
             notes: Sequence[str] = ()) -> LabResult:
    """The protocol's plan; a design that does not fit the tube is recorded, not raised. ``notes`` go to the
    protocol."""
    unit = kinetics.unit_nM
    reporters = dsd.reporters
    if "lab_tables" in kinetics.skipped or kinetics.plan is None:
        return LabResult(config, unit, skipped=kinetics.skipped.get("lab_tables", "no fuel plan"), reporters=reporters)
    tube = kinetics.tube
    with progress.stage("lab plan"):
        x = kinetics.x
        reps: dict[str, float] = {}
        read_h = expected_nM = None
        top = 0.0
        if tube is not None:
            reps = dict(tube.reporter_nM)
            read_h = tube.read_time_s / 3600.0
            expected_nM = expected_readings(tube)
            top = tube.calibration_units[-1] * unit
        elif reporters.reporters:  # tube not simulated (e.g. implementation skipped): plan reporters anyway
            # at the run's fuel floor (the settings the stage simulated with), not the class default
            min_units = (kinetics.config or KineticsConfig()).fuel_min_units
            reps = planned_reporter_nM(dsd.system, reporters, x, unit, kinetics.plan.safety, min_units,
                                       bounds=kinetics.bounds)
        notes = ([kinetics.block["unit_note"]] if kinetics.block.get("unit_note") else []) + list(notes)
        try:
            design = tube_design(dsd.system, reporters, kinetics.plan.fuel_nM, reps, x, kinetics.nn.argmax(axis=1),
                                 unit, config, initial_nM=kinetics.helper_nM or None, calibration_top_nM=top,
                                 read_time_h=read_h, expected_nM=expected_nM, notes=notes)
        except DesignInfeasible as e:
            # a design whose DNA does not fit the tube is a finding to report, not a failed run
            progress.log(f"lab tables: not written: {e}")
            return LabResult(config, unit, skipped=str(e), reporters=reporters)
    from dsdcompile.lab.protocol import protocol_steps

    steps = protocol_steps(design, tube_summary=kinetics.block)
    return LabResult(config, unit, design, reporters=reporters, read_time_h=read_h, steps=len(steps))


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
    from dsdcompile.lab.tables import lab_tables, write_lab_tables
    from dsdcompile.runtime.files import write_csv

    design = lab.design
    tables = lab_tables(design, sequences=strand_sequences)  # once: the CSVs, plate.xlsx and concentrations.md
    steps = protocol_steps(design, tube_summary=kinetics_block or {}, sequences=strand_sequences)
    reps = reporter_rows(design, strand_sequences)
    extra = {"protocol": (PROTOCOL_COLUMNS, protocol_rows(steps))}
    if reps:
        extra["reporters"] = (tuple(reps[0]), reps)
    written = write_lab_tables(design, folder, sequences=strand_sequences, extra_sheets=extra, tables=tables)
    files = [Path(p).name for p in written]
    if files and "plate.xlsx" not in files:
        progress.log("lab tables: plate.xlsx not written (pip install 'dsdcompile[lab]' for openpyxl)")
    (folder / "protocol.md").write_text(protocol_markdown(design, steps, strand_sequences), encoding="utf-8")
    write_concentrations_md(design, folder / "concentrations.md", strand_sequences, tables=tables)
    files += ["protocol.md", "concentrations.md"]
    if reps:
        write_csv(folder / "reporters.csv", tuple(reps[0]), reps)
        files.append("reporters.csv")
    write_dye_table(folder / "dyes.csv", design.config.dyes)
    files.append("dyes.csv")
    return files


def write_lab_plan(lab: LabResult, dsd, kinetics: KineticsStageResult, crn, folder: Path) -> list[str]:
    """lab_plan.json, which ``dsdcompile mix`` reads (:func:`dsdcompile.lab.mix.write_lab_plan`); [] without tables."""
    if not lab.written:
        return []
    from dsdcompile.lab.mix import write_lab_plan as write_plan

    return [write_plan(lab, dsd, kinetics, crn, folder)]


__all__ = ["LabResult", "plan_lab", "write_lab_files", "write_lab_plan"]
