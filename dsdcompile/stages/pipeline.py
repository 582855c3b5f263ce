"""The pipeline behind ``dsdcompile MODEL``: every stage in order, one executor, one folder written whole.

    model ─ load/compile/reduce ─► CRNResult ─ check ─► Agreement
          ─ translate/enumerate/verify ─► DSDResult ─ kinetics ─► KineticsStageResult
          ─ sequences ─► SequenceResult ─ lab ─► LabResult ─ write ─► design folder + summary.json

The destination is checked and a locked staging folder made beside it before any stage runs
(:class:`~dsdcompile.stages.folder.Destination`). Stages compute in memory and return typed
results; only after the last one has run are the files written, into the staging folder,
which replaces the destination when everything succeeded, so a failure at any stage leaves
nothing behind. The orchestrator owns the stage order, the progress callback and the
executor (made on first use, shared by enumeration, verification and kinetics).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsdcompile.config import RunConfig
from dsdcompile.report.folder import INDEX_NAME
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.agreement import Agreement, check_agreement, write_agreement_files
from dsdcompile.stages.crn import CRNResult, compile_model, load_examples, write_crn_files, write_json
from dsdcompile.stages.folder import SUMMARY, Destination, planned_files
from dsdcompile.stages.summary import design_summary

FRONT_PAGE = "README.md"

if TYPE_CHECKING:
    from dsdcompile.stages.dsd import DSDResult
    from dsdcompile.stages.kinetics import KineticsStageResult
    from dsdcompile.stages.lab import LabResult
    from dsdcompile.stages.sequences import SequenceResult


@dataclass(frozen=True, eq=False)
class DesignResult(Mapping):
    """Every stage's result for one design run, and summary.json's content (indexing reads the summary)."""

    out_dir: Path
    summary: dict
    crn: CRNResult
    agreement: Agreement | None = None
    dsd: DSDResult | None = None
    kinetics: KineticsStageResult | None = None
    lab: LabResult | None = None
    sequences: SequenceResult | None = None
    backup: Path | None = None  # where --force kept the folder this run replaced

    def __getitem__(self, key: str) -> Any:
        return self.summary[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.summary)

    def __len__(self) -> int:
        return len(self.summary)


class _LazyExecutor:
    """The run's one executor, made when a stage first asks for it and closed at the end."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self._executor = None

    def get(self):
        if self._executor is None:
            from dsdcompile.runtime.executors import make_executor

            self._executor = make_executor(self.config.execution)
        return self._executor

    def close(self, *, kill: bool = False) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            executor.close(kill=kill)


def build_design(model: str | Path, out_dir: str | Path, *, inputs: str | Path | None = None,
                 config: RunConfig = RunConfig(), progress: Progress | None = None,
                 force: bool = False) -> DesignResult:
    """Run every stage for ``model`` and write the design folder ``out_dir``; nothing is written unless all succeed.

    The destination is checked and its staging folder made before any stage runs
    (:class:`~dsdcompile.stages.folder.Destination`): an existing folder holding files this run
    would not write is refused unless ``force``, which keeps the old folder as
    ``<out>.backup-<date>-<time>``. A verdict of not-equivalent raises
    :class:`~dsdcompile.errors.NotEquivalent` (exit code 3) after the folder, with its
    counterexample, has been written; an inconclusive one raises
    :class:`~dsdcompile.errors.Inconclusive` (exit code 4) unless ``config.allow_inconclusive``,
    and failing sequence checks :class:`~dsdcompile.errors.SequenceChecksFailed` (exit code 5)
    unless ``config.allow_sequence_failures``.
    """
    progress = progress or Progress(quiet=config.quiet)
    model, out_dir = Path(model), Path(out_dir)
    with Destination(out_dir, planned=planned_files(config, inputs=inputs is not None), force=force) as dest:
        started = _dt.datetime.now(_dt.timezone.utc)
        executor = _LazyExecutor(config)
        try:
            if config.dsd_enabled and config.execution.executor == "dask":
                executor.get()  # connect now: an unreachable scheduler fails in seconds, not after the CRN stages
            crn = compile_model(model, config, progress)
            examples = load_examples(inputs, crn, max_memory=config.max_memory) if inputs is not None else None
            agreement = None
            if examples is not None and len(examples):
                agreement = check_agreement(crn, examples.x, examples.labels, config, progress)

            dsd = kinetics = lab = seqs = None
            if config.dsd_enabled:
                from dsdcompile.stages.dsd import run_dsd_stage

                dsd = run_dsd_stage(crn, config, progress, executor=executor.get())
                if config.run_kinetics:
                    kinetics = _kinetics(dsd, agreement, config, progress, executor)
                if config.sequences is not None:
                    from dsdcompile.stages.sequences import run_sequence_stage

                    seqs = run_sequence_stage(crn, dsd, config.sequences, progress)
                if kinetics is not None and kinetics.ran:
                    from dsdcompile.stages.lab import plan_lab

                    lab = plan_lab(dsd, kinetics, config.lab, progress)
        except BaseException:
            executor.close(kill=True)  # an error or Ctrl-C: stop the workers now rather than let them finish
            raise
        executor.close()

        tmp = dest.path
        files = [SUMMARY] + write_crn_files(crn, tmp, crn_json=config.crn_json)
        if agreement is not None:
            files += write_agreement_files(agreement, tmp, crn)
        seq_block = None
        if dsd is not None:
            from dsdcompile.stages.dsd import write_dsd_files

            with progress.stage("write dsd"):
                dsd_files = write_dsd_files(dsd, tmp, domain_sequences=seqs.domain_sequences if seqs else None,
                                            kinetics=kinetics)
            files += dsd_files
            if kinetics is not None:
                from dsdcompile.stages.kinetics import write_kinetics_files

                with progress.stage("kinetics write"):
                    files += write_kinetics_files(kinetics, tmp, config.plot_example)
            lab_files: list[str] = []
            if lab is not None:
                from dsdcompile.stages.lab import write_lab_files

                lab_files = write_lab_files(lab, tmp, progress,
                                            strand_sequences=seqs.strand_sequences() if seqs else None,
                                            kinetics_block=kinetics.block if kinetics is not None else None)
                if lab.written:
                    from dsdcompile.stages.mix import write_lab_plan

                    lab_files.append(write_lab_plan(lab, dsd, kinetics, crn, tmp))
                files += lab_files
            if seqs is not None:
                from dsdcompile.stages.sequences import write_sequence_files

                carrying = [f for f in dsd_files if f in ("strands.csv", "dsd.pil")] + [
                    f for f in lab_files if f in ("concentrations.csv", "concentrations.md", "plate.xlsx")]
                seq_block, seq_files = write_sequence_files(seqs, tmp, progress, carrying,
                                                            annotations=_order_annotations(lab))
                files += seq_files
        if dsd is not None:
            files.append(FRONT_PAGE)
        files.append(INDEX_NAME)  # written last, from the other files
        run = {"started": started.isoformat(timespec="seconds"), "seconds": dict(progress.timings)}
        summary = design_summary(config, crn, agreement, files, dsd=dsd, kinetics=kinetics, lab=lab,
                                 sequences=seq_block, run=run)
        write_json(tmp / SUMMARY, summary)
        if dsd is not None:
            from dsdcompile.lab.frontpage import write_front_page

            write_front_page(tmp, summary)
        from dsdcompile.report import write_index

        with progress.stage("report"):
            write_index(tmp)
        backup = dest.commit()
    if backup is not None:
        progress.log(f"kept the old {out_dir}/ as {backup}/")
    progress.log(f"wrote {out_dir}/ ({len(files)} files)")
    if dsd is not None:
        # the folder, with the counterexample in its report, is written before this exit (code 3, or 4)
        dsd.verification.raise_if_not_equivalent()
        if not config.allow_inconclusive:
            dsd.verification.raise_if_inconclusive()
    if seqs is not None and not seqs.passed and not config.allow_sequence_failures:
        seqs.raise_failed(out_dir)  # exit 5, after the folder with sequence_report.md is written
    return DesignResult(out_dir, summary, crn, agreement, dsd, kinetics, lab, seqs, backup)


def _order_annotations(lab: LabResult | None) -> dict | None:
    """Reporter strands' dye/quencher modifications and purification for the order sheets."""
    if lab is None or not lab.written:
        return None
    from dsdcompile.lab.protocol import order_annotations

    return order_annotations(lab.design)


def _kinetics(dsd: DSDResult, agreement: Agreement | None, config: RunConfig, progress: Progress,
              executor: _LazyExecutor) -> KineticsStageResult:
    """The kinetics stage when there are examples and reference outputs to check against."""
    from dsdcompile.stages.kinetics import KineticsStageResult, run_kinetics_stage

    if agreement is None or not agreement.n_examples:
        progress.log("kinetics, the tube and the lab tables skipped: no --inputs examples (fuel is planned for the "
                     "examples a design must compute; give --inputs, e.g. the model's test set)")
        return KineticsStageResult.not_run("no --inputs examples")
    if agreement.reference is None:
        progress.log("kinetics skipped: neither network outputs nor the exact CRN limit are known")
        return KineticsStageResult.not_run("no reference outputs (no network and no exact CRN limit)")
    with progress.stage("kinetics"):
        return run_kinetics_stage(dsd, agreement.x, agreement.reference, config, progress, executor=executor.get())


__all__ = ["DesignResult", "build_design"]
