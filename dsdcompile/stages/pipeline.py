"""The pipeline behind ``dsdcompile MODEL``: every stage in order, one executor, one folder written whole.

    model ─ load/compile/reduce ─► CRNResult ─ check ─► Agreement
          ─ translate/enumerate/verify ─► DSDResult ─ unit fit ─► UnitFit ─ kinetics ─► KineticsStageResult
          ─ tube ─► TubeResult ─ lab ─► LabResult ─ sequences ─► SequenceResult
          ─ write ─► design folder + summary.json

The pipeline is declared (:data:`STAGES`), as a staged pass manager: each :class:`Stage` says
whether it runs for this config (:meth:`Stage.runs`), takes its own config section
(:meth:`Stage.section`), runs on a small :class:`Context` holding the typed results so far,
and names the files it writes (the table :mod:`dsdcompile.runtime.outputs`, under its name).

The destination is checked and a locked staging folder made beside it before any stage runs
(:class:`~dsdcompile.stages.folder.Destination`). Stages compute in memory and return typed
results; only after the last one has run are the files written, into the staging folder,
which replaces the destination when everything succeeded, so a failure at any stage leaves
nothing behind. The orchestrator owns the stage order, the progress callback and the
executor (made on first use, shared by enumeration, verification and kinetics).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsdcompile.config import RunConfig
from dsdcompile.report.folder import INDEX_NAME
from dsdcompile.runtime.files import Destination, write_json
from dsdcompile.runtime.outputs import stage_files
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.agreement import Agreement, check_agreement, write_agreement_files
from dsdcompile.stages.crn import CRNResult, compile_model, load_examples, write_crn_files
from dsdcompile.stages.folder import SUMMARY, planned_files
from dsdcompile.stages.summary import design_summary
from dsdcompile.verify.result import Verdict

FRONT_PAGE = "README.md"
SEQUENCE_CARRIERS = ("strands.csv", "dsd.pil", "concentrations.csv", "concentrations.md", "plate.xlsx")
"""Files other stages write with the designed sequences in them (the sequences block lists them too)."""

if TYPE_CHECKING:
    from dsdcompile.kinetics.planned_tube import TubeResult
    from dsdcompile.lab.plan import UnitFit
    from dsdcompile.stages.box import BoxBasis
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


@dataclass(eq=False)
class Context:
    """What the stages share: the run's inputs, its progress and executor, and the typed results so far."""

    model: Path
    inputs: Path | None
    progress: Progress
    executor: _LazyExecutor
    crn: CRNResult | None = None
    agreement: Agreement | None = None
    dsd: DSDResult | None = None
    box: BoxBasis | None = None  # without --inputs: the input box, its bound and inputs drawn from it
    unit: UnitFit | None = None
    kinetics: KineticsStageResult | None = None
    tube: TubeResult | None = None
    lab: LabResult | None = None
    sequences: SequenceResult | None = None
    sequence_block: dict | None = None  # summary.json's sequences block, known once its files are written
    files: list[str] = field(default_factory=list)  # written so far, in the staging folder

    def reference_ready(self) -> bool:
        """Examples with reference outputs (the network's or the exact limit's) to plan and check kinetics with."""
        a = self.agreement
        return a is not None and bool(a.n_examples) and a.reference is not None

    def kinetics_examples(self):
        """(network inputs, reference outputs, bounds or None) the kinetics plan with: the --inputs examples, else
        inputs drawn from the input box with the bound of the CRN over it; None when there are neither."""
        if self.reference_ready():
            return self.agreement.x, self.agreement.reference, None
        if self.box is not None:
            return self.box.x, self.box.nn, self.box.bounds
        return None


class Stage:
    """One declared step of the pipeline.

    ``name`` keys its files in the output table (:func:`dsdcompile.runtime.outputs.stage_files`).
    :meth:`runs` decides from the config (and the results so far) whether it runs; :meth:`run`
    computes in memory from its config section; :meth:`write` writes its files once every stage
    has run, and returns their names.
    """

    name = ""

    @property
    def files(self) -> tuple[str, ...]:
        """The names (and patterns) this stage may write."""
        return stage_files(self.name)

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        return True

    def section(self, config: RunConfig) -> Any:
        """The part of the run's config this stage reads."""
        return config

    def run(self, ctx: Context, section: Any) -> None:
        raise NotImplementedError

    def write(self, ctx: Context, section: Any, folder: Path) -> list[str]:
        return []


class CRNStage(Stage):
    """Load the model (or CRN file), compile it with its construction, reduce it."""

    name = "crn"

    def section(self, config: RunConfig) -> RunConfig:
        return config  # compile settings, the memory limit, crn_json; the summary records the whole config

    def run(self, ctx: Context, section: RunConfig) -> None:
        ctx.crn = compile_model(ctx.model, section, ctx.progress)

    def write(self, ctx: Context, section: RunConfig, folder: Path) -> list[str]:
        return [SUMMARY] + write_crn_files(ctx.crn, folder, crn_json=section.crn_json)


@dataclass(frozen=True)
class AgreementSettings:
    agreement: Any
    simulation: Any
    plot_example: int
    max_memory: int | None


class AgreementStage(Stage):
    """The network against the CRN's exact limit and simulated ODEs, on the --inputs examples."""

    name = "agreement"

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        return ctx.inputs is not None

    def section(self, config: RunConfig) -> AgreementSettings:
        return AgreementSettings(config.agreement, config.simulation, config.plot_example, config.max_memory)

    def run(self, ctx: Context, section: AgreementSettings) -> None:
        examples = load_examples(ctx.inputs, ctx.crn, max_memory=section.max_memory)
        if len(examples):
            ctx.agreement = check_agreement(ctx.crn, examples.x, examples.labels, section.agreement,
                                            section.simulation, ctx.progress, plot_example=section.plot_example)

    def write(self, ctx: Context, section: AgreementSettings, folder: Path) -> list[str]:
        return write_agreement_files(ctx.agreement, folder, ctx.crn) if ctx.agreement is not None else []


class DSDStage(Stage):
    """Translate with the scheme, enumerate with peppercorn, verify (:mod:`dsdcompile.stages.dsd`)."""

    name = "dsd"

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        return config.dsd_enabled

    def run(self, ctx: Context, section: RunConfig) -> None:
        from dsdcompile.stages.dsd import run_dsd_stage

        ctx.dsd = run_dsd_stage(ctx.crn, section, ctx.progress, executor=ctx.executor.get())

    def write(self, ctx: Context, section: RunConfig, folder: Path) -> list[str]:
        from dsdcompile.stages.dsd import write_dsd_files

        seqs = ctx.sequences
        with ctx.progress.stage("write dsd"):
            return write_dsd_files(ctx.dsd, folder, domain_sequences=seqs.domain_sequences if seqs else None,
                                   kinetics=ctx.kinetics)


class BoxStage(Stage):
    """Without --inputs: the model's input box, the bound of the split CRN over it, and inputs drawn from it, so that
    fuel, the tube and the lab tables cover every input the model can be given (:mod:`dsdcompile.stages.box`)."""

    name = "box"

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        from dsdcompile.stages.kinetics import is_large

        return (ctx.inputs is None and ctx.dsd is not None and config.run_kinetics and not ctx.dsd.rate_dependent
                and not is_large(ctx.dsd, config.kinetics)
                and ctx.dsd.verification.verdict != Verdict.NOT_EQUIVALENT)  # the counterexample comes first (exit 3)

    def run(self, ctx: Context, section: RunConfig) -> None:
        from dsdcompile.stages.box import resolve_box_basis

        ctx.box = resolve_box_basis(ctx.crn, ctx.dsd, ctx.model, ctx.progress)


@dataclass(frozen=True)
class UnitSettings:
    kinetics: Any
    lab: Any


class UnitStage(Stage):
    """The largest unit concentration whose tube can be pipetted, with its fuel plan (:func:`~dsdcompile.lab.plan.
    fit_unit`), before the kinetics stage simulates at it."""

    name = "unit"

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        from dsdcompile.stages.kinetics import is_large

        return (ctx.dsd is not None and config.run_kinetics and config.lab.fit_unit
                and ctx.kinetics_examples() is not None and not ctx.dsd.rate_dependent
                and not is_large(ctx.dsd, config.kinetics))

    def section(self, config: RunConfig) -> UnitSettings:
        return UnitSettings(config.kinetics, config.lab)

    def run(self, ctx: Context, section: UnitSettings) -> None:
        from dsdcompile.lab.plan import fit_unit

        x, _, bounds = ctx.kinetics_examples()
        with ctx.progress.stage("kinetics unit"):
            ctx.unit = fit_unit(ctx.dsd, x, section.kinetics, section.lab, ctx.progress, bounds=bounds)


@dataclass(frozen=True)
class KineticsSettings:
    kinetics: Any
    rate_fuel: Any
    plot_example: int


class KineticsStage(Stage):
    """Formal and DNA kinetics at realistic rates, fuel plan, leak sweep (:mod:`dsdcompile.stages.kinetics`)."""

    name = "kinetics"

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        return ctx.dsd is not None and config.run_kinetics

    def section(self, config: RunConfig) -> KineticsSettings:
        return KineticsSettings(config.kinetics, config.rate_fuel, config.plot_example)

    def run(self, ctx: Context, section: KineticsSettings) -> None:
        from dsdcompile.stages.kinetics import KineticsStageResult, run_kinetics_stage

        progress, agreement = ctx.progress, ctx.agreement
        if ctx.box is not None and not ctx.reference_ready():
            x, nn, bounds = ctx.kinetics_examples()
            with progress.stage("kinetics"):
                ctx.kinetics = run_kinetics_stage(ctx.dsd, x, nn, section.kinetics, progress,
                                                  rate_fuel=section.rate_fuel, unit=ctx.unit,
                                                  executor=ctx.executor.get(), bounds=bounds)
        elif agreement is None or not agreement.n_examples:
            progress.log("kinetics, the tube and the lab tables skipped: no --inputs examples (fuel is planned for "
                         "the examples a design must compute; give --inputs, e.g. the model's test set)")
            ctx.kinetics = KineticsStageResult.not_run("no --inputs examples")
        elif agreement.reference is None:
            progress.log("kinetics skipped: neither network outputs nor the exact CRN limit are known")
            ctx.kinetics = KineticsStageResult.not_run("no reference outputs (no network and no exact CRN limit)")
        else:
            with progress.stage("kinetics"):
                ctx.kinetics = run_kinetics_stage(ctx.dsd, agreement.x, agreement.reference, section.kinetics,
                                                  progress, rate_fuel=section.rate_fuel, unit=ctx.unit,
                                                  executor=ctx.executor.get())

    def write(self, ctx: Context, section: KineticsSettings, folder: Path) -> list[str]:
        from dsdcompile.stages.kinetics import write_kinetics_files

        with ctx.progress.stage("kinetics write"):
            return write_kinetics_files(ctx.kinetics, folder, section.plot_example)


class TubeStage(Stage):
    """The tube as planned: reporters, free strands, leak, calibration, read time (:mod:`dsdcompile.stages.tube`)."""

    name = "tube"

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        return ctx.kinetics is not None and ctx.kinetics.implemented and bool(ctx.dsd.reporters.reporters)

    def section(self, config: RunConfig):
        from dsdcompile.stages.tube import TubeSettings

        return TubeSettings(config.lab, config.enumeration, config.execution, config.plot_example)

    def run(self, ctx: Context, section) -> None:
        from dsdcompile.stages.tube import run_tube_stage

        k = ctx.kinetics
        worst = None
        if k.bounds is not None:  # reporters and calibration cover the bound of every output rail over the box
            from dsdcompile.lab.plan import bound_rails_nM

            worst = bound_rails_nM(ctx.dsd.reporters, k.bounds, k.unit_nM)
        with ctx.progress.stage("kinetics tube"):
            ctx.tube = run_tube_stage(ctx.dsd, k.plan.fuel_nM, k.x, k.nn, k.config, section, ctx.progress,
                                      executor=ctx.executor.get(), worst_nM=worst)
        ctx.kinetics = k.with_tube(ctx.tube)

    def write(self, ctx: Context, section, folder: Path) -> list[str]:
        from dsdcompile.kinetics.planned_tube import write_tube_files

        return write_tube_files(ctx.tube, folder, section.plot_example)


class LabStage(Stage):
    """The wet-lab protocol and tables (:mod:`dsdcompile.stages.lab`), and lab_plan.json for ``dsdcompile mix``."""

    name = "lab"

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        return ctx.kinetics is not None and ctx.kinetics.ran

    def section(self, config: RunConfig):
        return config.lab

    def run(self, ctx: Context, section) -> None:
        from dsdcompile.stages.box import PROBE_NOTE, basis_summary
        from dsdcompile.stages.lab import plan_lab

        notes = [PROBE_NOTE.format(n=len(ctx.box.x), source=ctx.box.box.source)] if ctx.box is not None else []
        lab = plan_lab(ctx.dsd, ctx.kinetics, section, ctx.progress, notes=notes)
        ctx.lab = lab.with_basis(basis_summary(ctx.box, ctx.dsd, ctx.kinetics, lab))

    def write(self, ctx: Context, section, folder: Path) -> list[str]:
        from dsdcompile.stages.lab import write_lab_files, write_lab_plan

        seqs = ctx.sequences
        files = write_lab_files(ctx.lab, folder, ctx.progress,
                                strand_sequences=seqs.strand_sequences() if seqs else None,
                                kinetics_block=ctx.kinetics.block)
        return files + write_lab_plan(ctx.lab, ctx.dsd, ctx.kinetics, ctx.crn, folder)


class SequenceStage(Stage):
    """Nucleotide sequences for the DSD system, their checks and the order sheets (:mod:`dsdcompile.stages.sequences`).

    Written last: its block lists the other stages' files that carry the sequences."""

    name = "sequences"

    def runs(self, config: RunConfig, ctx: Context) -> bool:
        return ctx.dsd is not None and config.sequences is not None

    def section(self, config: RunConfig):
        return config.sequences

    def run(self, ctx: Context, section) -> None:
        from dsdcompile.stages.sequences import run_sequence_stage

        ctx.sequences = run_sequence_stage(ctx.crn, ctx.dsd, section, ctx.progress)

    def write(self, ctx: Context, section, folder: Path) -> list[str]:
        from dsdcompile.stages.sequences import write_sequence_files

        carrying = [f for f in ctx.files if f in SEQUENCE_CARRIERS]
        block, files = write_sequence_files(ctx.sequences, folder, ctx.progress, carrying,
                                            annotations=_order_annotations(ctx.lab))
        ctx.sequence_block = block
        return files


STAGES: tuple[Stage, ...] = (CRNStage(), AgreementStage(), DSDStage(), BoxStage(), UnitStage(), KineticsStage(),
                             TubeStage(), LabStage(), SequenceStage())
"""The pipeline, in the order its stages run and write."""


def build_design(model: str | Path, out_dir: str | Path, *, inputs: str | Path | None = None,
                 config: RunConfig = RunConfig(), progress: Progress | None = None,
                 force: bool = False) -> DesignResult:
    """Run every stage for ``model`` and write the design folder ``out_dir``; nothing is written unless all succeed.

    The destination is checked and its staging folder made before any stage runs
    (:class:`~dsdcompile.runtime.files.Destination`): an existing folder holding files this run
    would not write is refused unless ``force``, which keeps the old folder as
    ``<out>.backup-<date>-<time>``. A verdict of not-equivalent raises
    :class:`~dsdcompile.errors.NotEquivalent` (exit code 3) after the folder, with its
    counterexample, has been written; an inconclusive one raises
    :class:`~dsdcompile.errors.Inconclusive` (exit code 4) unless ``config.allow_inconclusive``,
    and failing sequence checks :class:`~dsdcompile.errors.SequenceChecksFailed` (exit code 5)
    unless ``config.allow_sequence_failures``.
    """
    progress = progress or Progress(quiet=config.quiet)
    out_dir = Path(out_dir)
    ctx = stage_context(model, inputs, config, progress)
    with Destination(out_dir, planned=planned_files(config, inputs=inputs is not None), force=force) as dest:
        started = _dt.datetime.now(_dt.timezone.utc)
        ran = run_stages(config, ctx)
        summary = _write_folder(config, ctx, ran, dest.path, started)
        backup = dest.commit()
    if backup is not None:
        progress.log(f"kept the old {out_dir}/ as {backup}/")
    progress.log(f"wrote {out_dir}/ ({len(ctx.files)} files)")
    _raise_findings(config, ctx, out_dir)
    return DesignResult(out_dir, summary, ctx.crn, ctx.agreement, ctx.dsd, ctx.kinetics, ctx.lab, ctx.sequences,
                        backup)


def stage_context(model: str | Path, inputs: str | Path | None, config: RunConfig, progress: Progress,
                  **results: Any) -> Context:
    """A fresh :class:`Context` for ``config`` (its executor made on first use), holding ``results`` already
    computed (e.g. ``crn=``, ``agreement=``: ``dsdcompile schemes`` compiles once and runs the later stages per
    scheme)."""
    return Context(Path(model), Path(inputs) if inputs is not None else None, progress, _LazyExecutor(config),
                   **results)


def run_stages(config: RunConfig, ctx: Context, stages: tuple[Stage, ...] = STAGES,
               after_each: Callable[[Stage], None] | None = None) -> list[Stage]:
    """Run those of ``stages`` that run for ``config``, in order, on one executor; return them. ``after_each(stage)``
    is called after each of ``stages``, run or skipped (a progress bar)."""
    ran = []
    try:
        if config.dsd_enabled and config.execution.executor == "dask":
            ctx.executor.get()  # connect now: an unreachable scheduler fails in seconds, not after the CRN stages
        for stage in stages:
            if stage.runs(config, ctx):
                stage.run(ctx, stage.section(config))
                ran.append(stage)
            if after_each is not None:
                after_each(stage)
    except BaseException:
        ctx.executor.close(kill=True)  # an error or Ctrl-C: stop the workers now rather than let them finish
        raise
    ctx.executor.close()
    return ran


def _write_folder(config: RunConfig, ctx: Context, ran: list[Stage], folder: Path, started) -> dict:
    """Every stage's files, then summary.json, the front page and index.html (from the other files)."""
    for stage in ran:
        ctx.files += stage.write(ctx, stage.section(config), folder)
    if ctx.dsd is not None:
        ctx.files.append(FRONT_PAGE)
    ctx.files.append(INDEX_NAME)  # written last, from the other files
    run = {"started": started.isoformat(timespec="seconds"), "seconds": dict(ctx.progress.timings)}
    summary = design_summary(config, ctx.crn, ctx.agreement, ctx.files, dsd=ctx.dsd, kinetics=ctx.kinetics,
                             lab=ctx.lab, sequences=ctx.sequence_block, run=run)
    write_json(folder / SUMMARY, summary)
    if ctx.dsd is not None:
        from dsdcompile.lab.frontpage import write_front_page

        write_front_page(folder, summary)
    from dsdcompile.report import write_index

    with ctx.progress.stage("report"):
        write_index(folder)
    return summary


def _raise_findings(config: RunConfig, ctx: Context, out_dir: Path) -> None:
    """Exit codes 3, 4 and 5, raised after the folder (with the counterexample or sequence report) is written."""
    if ctx.dsd is not None:
        ctx.dsd.verification.raise_if_not_equivalent()
        if not config.allow_inconclusive:
            ctx.dsd.verification.raise_if_inconclusive()
    seqs = ctx.sequences
    if seqs is not None and not seqs.passed and not config.allow_sequence_failures:
        seqs.raise_failed(out_dir)


def _order_annotations(lab: LabResult | None) -> dict | None:
    """Reporter strands' dye/quencher modifications and purification for the order sheets."""
    if lab is None or not lab.written:
        return None
    from dsdcompile.lab.protocol import order_annotations

    return order_annotations(lab.design)


__all__ = ["STAGES", "Context", "DesignResult", "Stage", "build_design", "run_stages", "stage_context"]
