"""The DSD stage: translate the CRN with a scheme, enumerate its modules with peppercorn, verify them."""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from dsdcompile.config import RunConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.reporters import ReporterSet
from dsdcompile.dsd.system import DSDSystem
from dsdcompile.errors import InputError, SchemeError
from dsdcompile.ir import CRN
from dsdcompile.runtime.executors import Executor
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.crn import CRNResult
from dsdcompile.verify.result import VerificationResult

DSD_FILES = ("dsd.pil", "strands.csv", "complexes.csv", "domains.csv", "verified.crn")


@dataclass(frozen=True, eq=False)
class DSDResult:
    """What the DSD stage produced: the translated system, one enumerated module per split reaction, the verdict.

    ``modules`` implement the reactions of ``system.split_crn`` (the kinetics stage simulates
    that CRN). ``crn_form`` names the CRN that was translated ("formal" or "reduced");
    ``helper_catalysts`` the species the construction added before translation.
    """

    system: DSDSystem
    modules: list[ModuleImplementation]
    verification: VerificationResult
    crn_form: str
    rate_dependent: bool = False
    helper_catalysts: tuple[str, ...] = ()
    note: str | None = None
    extra: Mapping = field(default_factory=dict)
    reporters: ReporterSet = field(default_factory=ReporterSet)  # readout reporters (dsdcompile.dsd.reporters)

    @cached_property
    def counts(self) -> dict:
        from dsdcompile.dsd.outputs import dsd_counts

        return dsd_counts(self.system, self.modules)

    def describe(self) -> list[str]:
        """Lines for the command line."""
        c, v = self.counts, self.verification
        return [f"DSD ({c['scheme']}, {self.crn_form} CRN): {c['strands']} strands, {c['nucleotides']} nt, "
                f"longest strand {c['longest_strand_nt']} nt; {c['enumerated_reactions']} enumerated reactions",
                f"verification ({v.method}): {v.verdict} in {round(v.seconds, 3)} s"]

    def to_summary(self) -> dict:
        """summary.json's ``dsd`` and ``verification`` blocks."""
        dsd = {**self.counts, "crn": self.crn_form}
        if self.rate_dependent:
            # the weights are rate constants, so bisimulation (which ignores rates) cannot show that
            # outputs are preserved; the kinetics stage has to
            dsd["rate_dependent"] = True
            dsd["helper_catalysts"] = list(self.helper_catalysts)
            dsd["note"] = self.note
        dsd.update(self.extra)
        return {"dsd": dsd, "verification": self.verification.summary()}


def dsd_input_crn(crn: CRNResult, form: str) -> CRN:
    """The CRN the DSD stage translates: ``formal`` or ``reduced``."""
    if form == "reduced":
        if crn.reduced is None:
            raise InputError("--dsd-crn reduced: this CRN has no reduced form (not feed-forward or rate-dependent)")
        return crn.reduced
    return crn.formal


def _translate(target: CRN, config: RunConfig, crn: CRNResult, update) -> DSDSystem:
    """translate(), its refusals naming the file they come from: a reaction the model's or CRN file's, a scheme's
    failure the scheme file's (a plugin's)."""
    from dsdcompile.dsd.translate import translate

    try:
        return translate(target, config.scheme, config.dsd, progress=update)
    except InputError as e:
        if e.path is not None:
            raise
        if type(e) is InputError:
            raise InputError(e.message, path=str(crn.source), line=e.line, column=e.column) from None
        if isinstance(e, SchemeError) and str(config.scheme).endswith(".py") and str(config.scheme) not in e.message:
            raise SchemeError(e.message, path=str(config.scheme)) from None
        raise


def run_dsd_stage(crn: CRNResult, config: RunConfig, progress: Progress, *, executor: Executor | None = None
                  ) -> DSDResult:
    """Translate the chosen CRN with ``config.scheme``, enumerate it module by module and verify it.

    ``executor`` (one per design run) runs the enumeration and verification tasks; without one
    they run here. Raising on a not-equivalent verdict is left to the caller, so that the
    design folder with its counterexample is written first.
    """
    from dsdcompile.dsd.enumerate import enumerate_templates, instantiate
    from dsdcompile.verify import verify_modules
    from dsdcompile.verify.fuels import check_fuels
    from dsdcompile.verify.interaction import InteractionResult, check_interactions
    from dsdcompile.verify.result import EQUIVALENT, INCONCLUSIVE, conclude
    from dsdcompile.verify.whole import check_whole_system

    # peppercorn clears its object registry with gc.collect() before and after every
    # enumeration; with the long-lived objects of the run (modules, the CRNs) moved out of the
    # collector's view, each collection scans only what peppercorn itself made (0.54 s per
    # module enumeration before, 0.11 s after, on a one-reaction CRN)
    gc.freeze()

    source = dsd_input_crn(crn, config.dsd_crn)
    target = source if crn.construction is None else crn.construction.prepare_dsd(source)
    with progress.stage("translate"):
        with progress.bar(target.n_reactions, "translate", unit="rxn") as update:
            system = _translate(target, config, crn, update)
    progress.log(f"translated with {system.scheme}: {system.n_modules} modules, {len(system.templates)} shapes, "
                 f"K = {system.max_products} products per module")
    with progress.stage("enumerate"):
        with progress.bar(len(set(system.module_template.tolist())), "enumerate (peppercorn)", unit="shape") as update:
            enumerated = enumerate_templates(system, config.enumeration, execution=config.execution,
                                             executor=executor, progress=update)
        modules = [instantiate(system, i, enumerated[int(system.module_template[i])]) for i in range(system.n_modules)]
    vcfg = config.verification
    with progress.stage("verify"):
        with progress.bar(len(system.templates), "verify (per shape)", unit="shape") as update:
            result = verify_modules(modules, vcfg, execution=config.execution, executor=executor, progress=update)
    started = time.perf_counter()
    fuels = check_fuels(system, config.enumeration)
    if system.n_modules < 2:
        interaction = InteractionResult(EQUIVALENT, 0, 0, 0, detail="a single module: nothing to interact with"
                                        ).to_dict()
    elif not vcfg.interactions:
        # without the check the modular verdicts are not shown to compose: no proof of equivalence
        interaction = InteractionResult(INCONCLUSIVE, 0, 0, 0, detail="not checked (--no-interactions): the "
                                        "per-module verdicts are not shown to hold for the modules together").to_dict()
    else:
        with progress.stage("verify interactions"):
            with progress.bar(None, "module interactions", unit="class") as update:
                refuted = {m for mv in result.modules if mv.verdict == "not-equivalent" for m in mv.members}
                checked = check_interactions(
                    system, enumerated, config.enumeration, permissive=vcfg.permissive, max_states=vcfg.max_states,
                    timeout=config.execution.module_timeout or None, executor=executor, progress=update,
                    refuted=refuted)
            interaction = checked.to_dict()
            progress.log(f"module interactions: {checked.classes} pair classes ({checked.pairs} pairs), "
                         f"{len(checked.interacting)} interacting: {checked.verdict}")
    whole = None
    if config.verify_whole:
        with progress.stage("verify whole"):
            whole = check_whole_system(system, enumerated, config.enumeration, vcfg, config.execution)
    reporters, system, reporter_block = _reporters(system, config, progress, executor)
    result = conclude(result, fuels=fuels, interaction=interaction, whole=whole, reporters=reporter_block,
                      seconds=time.perf_counter() - started)
    rate_dependent = crn.rate_dependent
    helpers = tuple(s.name for s in target.species if s.name not in source.index)
    out = DSDResult(system, modules, result, config.dsd_crn, rate_dependent, helpers,
                    crn.construction.dsd_note if crn.construction is not None else None, reporters=reporters)
    c = out.counts
    progress.log(f"DSD: {c['strands']} strands, {c['nucleotides']} nt (longest {c['longest_strand_nt']} nt); "
                 f"verification ({result.method}): {result.verdict}")
    return out


def _reporters(system: DSDSystem, config: RunConfig, progress: Progress,
               executor: Executor | None) -> tuple[ReporterSet, DSDSystem, dict | None]:
    """Readout reporters for every output rail, enumerated and verified like the modules (none if disabled)."""
    if not config.dsd.reporters:
        return ReporterSet(skipped="reporters disabled (--no-reporters)"), system, None
    from dsdcompile.dsd.reporters import build_reporters
    from dsdcompile.verify.reporters import verify_reporters

    with progress.stage("reporters"):
        reporters = build_reporters(system, config.enumeration, execution=config.execution, executor=executor)
        block = verify_reporters(reporters, system.split_crn, config.verification, execution=config.execution,
                                 executor=executor)
    progress.log(f"reporters: {block.get('reporters', 0)} ({block.get('skipped') or block['verdict']})")
    return reporters, replace(system, reporters=reporters.complexes), block


def write_dsd_files(dsd: DSDResult, folder: Path, *, domain_sequences: Mapping[str, str] | None = None,
                    kinetics=None) -> list[str]:
    """dsd.pil, strands.csv, complexes.csv, domains.csv (with sequences when designed), verified.crn and the
    verification reports. With a kinetics stage result that planned the tube, dsd.pil carries its concentrations
    (nM)."""
    from dsdcompile.crn import write_crn
    from dsdcompile.dsd.outputs import write_dsd_outputs
    from dsdcompile.errors import InternalError
    from dsdcompile.verify import write_reports

    planned = kinetics.planned_nM(dsd.system) if kinetics is not None else None
    written = write_dsd_outputs(dsd.system, folder, domain_sequences=domain_sequences,
                                unit_nM=kinetics.unit_nM if planned is not None else 1.0, concentrations_nM=planned)
    # The CRN whose reactions the modules implement, numbered as the report numbers modules.
    write_crn(dsd.system.split_crn, folder / "verified.crn", comments=(
        f"the split CRN that verification checked: reaction k is module #k of verification.md; "
        f"{dsd.system.split_reactions} reaction(s) of the {dsd.crn_form} CRN were split into helper trees",))
    expected = {k: dsd.counts[k] for k in written}
    if written != expected:  # the summary's counts are computed without the files: they must agree
        raise InternalError(f"DSD file counts {written} differ from the counted design {expected}")
    reports = write_reports(dsd.verification, folder)
    return list(DSD_FILES) + [p.name for p in reports]


__all__ = ["DSD_FILES", "DSDResult", "dsd_input_crn", "run_dsd_stage", "write_dsd_files"]
