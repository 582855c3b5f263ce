"""The lab stage: what to pipette — every species of the DSD design at its planned concentration, per example inputs.

It runs after the kinetics stage (which plans the fuel) and the sequence stage (whose
nucleotide sequences the tables then carry), and writes concentrations.csv/.md,
annealing.csv, inputs.csv, readout.csv and plate.xlsx (:mod:`dsdcompile.lab.tables`). A
design whose DNA does not fit the tube (:class:`~dsdcompile.errors.DesignInfeasible`) is a
finding: the tables are not written and the reason is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dsdcompile.config import LabConfig
from dsdcompile.dsd.outputs import domain_table
from dsdcompile.dsd.system import Complex, DSDSystem
from dsdcompile.errors import DesignInfeasible
from dsdcompile.lab.tables import LabExamples, LabSpecies, LabStrand, lab_examples, lab_tables, write_lab_tables
from dsdcompile.progress import Progress
from dsdcompile.stages.kinetics import KineticsStageResult


@dataclass(frozen=True, eq=False)
class LabResult:
    """The species and examples the tables list, or why no tables could be planned."""

    config: LabConfig
    unit_nM: float
    species: tuple[LabSpecies, ...] = ()
    examples: LabExamples | None = None
    skipped: str | None = None

    @property
    def written(self) -> bool:
        return self.skipped is None

    def to_summary(self) -> dict:
        """summary.json's ``lab`` block."""
        out: dict = {"volume_uL": self.config.volume_uL if self.written else None, "unit_nM": self.unit_nM,
                     "species": len(self.species) if self.written else None}
        if self.skipped is not None:
            out["skipped"] = self.skipped
        return out


def _strands(c: Complex, lengths: dict[str, int]) -> tuple[LabStrand, ...]:
    """The strands of a complex, named as in strands.csv (``complex.k``)."""
    return tuple(LabStrand(f"{c.name}.{k}", " ".join(s), sum(lengths[d.rstrip("*")] for d in s))
                 for k, s in enumerate(c.strands))


def lab_species(system: DSDSystem, fuel_nM: Mapping[str, float], unit_nM: float, *,
                initial_nM: Mapping[str, float] | None = None) -> list[LabSpecies]:
    """LabSpecies rows of a DSD system: input signals, initially present signals (role helper, e.g. biases)
    at unit_nM × their value (or ``initial_nM[name]``), every fuel complex at its planned concentration
    ``fuel_nM``, and output signals to read."""
    crn = system.split_crn
    lengths = {d: n for d, n, _ in domain_table(system)}

    def signal(name: str, role: str, conc: float = 0.0) -> LabSpecies:
        doms = system.signal_domains(name)
        return LabSpecies(name, role, _strands(Complex(name, (doms,), "." * len(doms), "signal"), lengths), conc)

    rows: dict[str, LabSpecies] = {}
    for sig in crn.inputs:
        for name in sig.species:
            rows.setdefault(name, signal(name, "input"))
    initial: dict[str, float] = {}
    for name, v in crn.initial:
        initial[name] = initial.get(name, 0.0) + v
    for name, v in initial.items():
        if name not in rows and v > 0:
            conc = v * unit_nM if initial_nM is None or name not in initial_nM else float(initial_nM[name])
            rows[name] = signal(name, "helper", conc)
    for _, c in system.iter_fuels():
        rows[c.name] = LabSpecies(c.name, "fuel", _strands(c, lengths), float(fuel_nM[c.name]))
    for sig in crn.outputs:
        for name in sig.species:
            rows.setdefault(name, signal(name, "output"))
    return list(rows.values())


def plan_lab(system: DSDSystem, kinetics: KineticsStageResult, config: LabConfig, progress: Progress) -> LabResult:
    """The lab tables' species and examples; a design that does not fit the tube is recorded, not raised."""
    unit = kinetics.unit_nM
    if "lab_tables" in kinetics.skipped or kinetics.plan is None:
        return LabResult(config, unit, skipped=kinetics.skipped.get("lab_tables", "no fuel plan"))
    with progress.stage("lab tables"):
        examples = lab_examples(system.split_crn, kinetics.x, expected=kinetics.nn.argmax(axis=1))
        species = lab_species(system, kinetics.plan.fuel_nM, unit, initial_nM=kinetics.helper_nM or None)
        try:
            lab_tables(species, examples, config, unit_nM=unit)
        except DesignInfeasible as e:
            # a design whose DNA does not fit the tube is a finding to report, not a failed run
            progress.log(f"lab tables: not written: {e}")
            return LabResult(config, unit, skipped=str(e))
    return LabResult(config, unit, tuple(species), examples)


def write_lab_files(lab: LabResult, folder: Path, progress: Progress, *,
                    strand_sequences: Mapping[str, str] | None = None) -> list[str]:
    """The wet-lab tables, with nucleotide sequences where they were designed."""
    if not lab.written:
        return []
    written = write_lab_tables(lab.species, lab.examples, folder, lab.config, unit_nM=lab.unit_nM,
                               sequences=strand_sequences)
    files = [Path(p).name for p in written]
    if files and "plate.xlsx" not in files:
        progress.log("lab tables: plate.xlsx not written (pip install 'dsdcompile[lab]' for openpyxl)")
    return files


__all__ = ["LabResult", "lab_species", "plan_lab", "write_lab_files"]
