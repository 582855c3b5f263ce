"""The sequence stage of a design run: sequences for the in-memory DSD system, before any file is written.

Designing here, rather than on the written folder, keeps compile + sequences all-or-nothing:
the DSD and lab stages then write strands.csv, dsd.pil and the wet-lab tables with the
sequences already in them, and nothing is rewritten afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.crn import CRNResult
from dsdcompile.stages.dsd import DSDResult


@dataclass(frozen=True, eq=False)
class SequenceResult:
    """Designed domain sequences with their checks, and the feasibility report."""

    design: Any  # dsdcompile.sequences.run.SequenceDesign (ViennaRNA is imported only when sequences run)
    feasibility: Any = None
    order: bool = True

    @property
    def domain_sequences(self) -> dict[str, str]:
        return dict(self.design.domains)

    def strand_sequences(self) -> dict[str, str]:
        return self.design.strand_sequences()

    @property
    def passed(self) -> bool:
        return self.design.passed

    def raise_failed(self, folder: Path) -> None:
        """SequenceChecksFailed (exit 5): what fails and what to try."""
        raise self.design.checks_failed(folder)


def design_counts(crn: CRNResult, dsd: DSDResult) -> dict:
    """What the feasibility report scales its suggestion with."""
    out = {"modules": dsd.system.n_modules, "species": crn.formal.n_species}
    if crn.network is not None:
        out["layers"] = crn.network.sizes
    return out


def run_sequence_stage(crn: CRNResult, dsd: DSDResult, constraints: SequenceConstraints, progress: Progress, *,
                       order: bool = True) -> SequenceResult:
    """Design, repair and check sequences for every domain of ``dsd.system``."""
    from dsdcompile.sequences.api import check_feasibility
    from dsdcompile.sequences.problem import SequenceProblem
    from dsdcompile.sequences.run import design_sequences

    problem = SequenceProblem.from_system(dsd.system, three_letter=constraints.three_letter)
    with progress.stage("sequences: feasibility"):
        feas = check_feasibility(problem, constraints, design_counts(crn, dsd))
    if feas is not None:
        progress.log(f"feasibility: {feas.to_dict().get('verdict')}")
    design = design_sequences(problem, constraints, progress)
    return SequenceResult(design, feas, order)


def write_sequence_files(seqs: SequenceResult, folder: Path, progress: Progress,
                         carrying: list[str], *, annotations: dict | None = None) -> tuple[dict, list[str]]:
    """sequences.csv, the sequence report and the order sheets; returns the ``sequences`` block and the names.

    ``carrying`` names the files other stages wrote with sequences in them (strands.csv,
    dsd.pil, the lab tables): the block's ``files`` lists them too. ``annotations`` maps strand
    names to (5' modification, 3' modification, purification) for the order sheets (reporters).
    """
    from dsdcompile.stages.sequence_files import write_sequence_reports

    with progress.stage("sequences: write"):
        block, written = write_sequence_reports(seqs.design, folder, feasibility=seqs.feasibility, order=seqs.order,
                                                annotations=annotations)
    block["files"] = sorted(set(written) | set(carrying))
    return block, written


__all__ = ["SequenceResult", "design_counts", "run_sequence_stage", "write_sequence_files"]
