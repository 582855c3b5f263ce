"""Verify a whole DSD design: which checks run, in which order, and what their conjunction proves.

:func:`verify_system` is the one place that runs the checks of a design, in this order:

1. **modules** (:mod:`dsdcompile.verify.modular`): each module shape, one representative per
   shape, by modular CRN bisimulation (Johnson, Dong & Winfree 2019) against its split
   reaction, and by pathway decomposition when configured. Proves that each module alone
   implements its reaction, with the modularity condition that lets verdicts compose.
2. **fuels** (:mod:`dsdcompile.verify.fuels`): no fuel is, holds or releases on its own a
   formal species' signal. Justifies removing fuels (interpreted as nothing) from every
   condensed CRN the other checks look at.
3. **module interactions** (:mod:`dsdcompile.verify.interaction`): no complex reachable in one
   module reacts with a complex reachable in another (pairs suffice; the argument is there).
   Justifies composing the per-module verdicts into one for the whole design. Classes holding a
   module that step 1 proved wrong are not screened.
4. **whole system** (:mod:`dsdcompile.verify.whole`, optional, on a time budget): every fuel
   and one signal strand of every species enumerated together and checked by CRN
   bisimulation. Needs no composition argument; skipped when it would not fit its budget.
5. **readout reporters** (when asked for): one fluorophore/quencher reporter per output rail is
   built and enumerated (:mod:`dsdcompile.dsd.reporters`) and checked
   (:mod:`dsdcompile.verify.reporters`): each is a correct ``Y -> ∅`` module and reads a species
   no reaction consumes, so the readout cannot change the computation.

:func:`dsdcompile.verify.result.conclude` turns their verdicts into the one verdict: any check
that proves the design wrong makes it not-equivalent; equivalent needs the modules, fuels,
interactions and reporters all equivalent (or the whole system verified, with the fuels and
reporters); anything else is inconclusive. A design of one module has nothing to interact
with (equivalent); without the interaction check (``VerificationConfig.interactions`` off)
the per-module verdicts are not shown to compose, so that check counts as inconclusive.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dsdcompile.config import EnumerationConfig, ExecutionConfig, VerificationConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.reporters import ReporterSet, build_reporters
from dsdcompile.dsd.system import DSDSystem, EnumeratedTemplate
from dsdcompile.runtime.executors import Executor
from dsdcompile.runtime.progress import Progress
from dsdcompile.verify.decide import with_fallback
from dsdcompile.verify.fuels import check_fuels
from dsdcompile.verify.interaction import InteractionResult, check_interactions
from dsdcompile.verify.modular import verify_modules
from dsdcompile.verify.reporters import verify_reporters
from dsdcompile.verify.result import Verdict, VerificationResult, conclude
from dsdcompile.verify.screen import unchecked_verdicts
from dsdcompile.verify.whole import check_whole_system


@dataclass(frozen=True, eq=False)
class DesignVerification:
    """What :func:`verify_system` produced: the verification result and the readout reporters it built."""

    result: VerificationResult
    reporters: ReporterSet = field(default_factory=ReporterSet)


def verify_system(system: DSDSystem, enumerated: Mapping[int, EnumeratedTemplate],
                  modules: Sequence[ModuleImplementation], *, verification: VerificationConfig | None = None,
                  enumeration: EnumerationConfig | None = None, execution: ExecutionConfig | None = None,
                  whole: bool = True, reporters: bool = True, progress: Progress | None = None,
                  executor: Executor | None = None, unchecked: Mapping[int, str] | None = None
                  ) -> DesignVerification:
    """Every check of a design, in order (modules, fuels, interactions, whole system, reporters), and the verdict.

    ``enumerated`` holds each used template's enumeration (``modules`` are their instances);
    ``whole`` runs the whole-system check when it fits ``verification.whole_budget``;
    ``reporters`` builds a readout reporter for every output rail and verifies them (without
    it the result has no reporter block and the ReporterSet says why). ``executor`` runs the
    checks' tasks (here without one). Raising on the verdict is the caller's business, so that
    the report with its counterexample can be written first. ``unchecked`` (template → why) names shapes
    left out once the design was proven wrong (:mod:`dsdcompile.verify.screen`): they are recorded as not
    checked, and the checks that need every module (interactions, whole system) are not run.
    """
    vcfg = verification or VerificationConfig()
    enumeration = enumeration or EnumerationConfig()
    execution = execution or ExecutionConfig()
    progress = progress or Progress(quiet=True)
    unchecked = dict(unchecked or {})
    checked = [m for m in modules if int(system.module_template[m.index]) not in unchecked]
    with progress.stage("verify"):
        with progress.bar(len(system.templates) - len(unchecked), "verify (per shape)", unit="shape") as update:
            result = verify_modules(checked, vcfg, execution=execution, executor=executor, progress=update)
    if unchecked:
        result = dataclasses.replace(result, modules=result.modules + tuple(
            unchecked_verdicts(system, unchecked, vcfg.method)))
    result = _enumeration_notes(result, system, enumerated)
    started = time.perf_counter()
    fuels = check_fuels(system, enumeration, skip=unchecked)
    if unchecked:
        interaction = InteractionResult(Verdict.INCONCLUSIVE, 0, 0, 0, detail=f"not checked: {len(unchecked)} "
                                        "shape(s) were not enumerated (the design was already proven wrong)").to_dict()
    else:
        interaction = _interactions(system, enumerated, result, vcfg, enumeration, execution, progress, executor)
    whole_block = None
    if whole and not unchecked:
        with progress.stage("verify whole"):
            whole_block = check_whole_system(system, enumerated, enumeration, vcfg, execution)
    built, reporter_block = ReporterSet(skipped="reporters disabled (--no-reporters)"), None
    if reporters:
        with progress.stage("reporters"):
            built = build_reporters(system, enumeration, execution=execution, executor=executor)
            reporter_block = verify_reporters(built, system.split_crn, vcfg, execution=execution, executor=executor)
        progress.log(f"reporters: {reporter_block.get('reporters', 0)} "
                     f"({reporter_block.get('skipped') or reporter_block['verdict']})")
    result = conclude(result, fuels=fuels, interaction=interaction, whole=whole_block, reporters=reporter_block,
                      seconds=time.perf_counter() - started)
    result = with_fallback(result)
    return DesignVerification(result, built)


def _enumeration_notes(result: VerificationResult, system: DSDSystem,
                       enumerated: Mapping[int, EnumeratedTemplate]) -> VerificationResult:
    """Each shape's verdict says how its module was enumerated where that differs from the configuration (a
    scheme's declared fallback); the result's config lists those shapes."""
    noted = {int(t): e.note for t, e in enumerated.items() if e.note}
    if not noted:
        return result
    shapes, modules = [], []
    for mv in result.modules:
        note = noted.get(int(system.module_template[mv.representative]))
        if note:
            shapes.append(mv.shape)
            mv = dataclasses.replace(mv, note=f"{mv.note}; {note}" if mv.note else note)
        modules.append(mv)
    return dataclasses.replace(result, modules=tuple(modules),
                               config={**result.config, "enumeration_fallback": shapes})


def _interactions(system: DSDSystem, enumerated: Mapping[int, EnumeratedTemplate], modular: VerificationResult,
                  vcfg: VerificationConfig, enumeration: EnumerationConfig, execution: ExecutionConfig,
                  progress: Progress, executor: Executor | None) -> dict:
    """The interaction block: checked, or why it needs no check (one module) or was not checked (disabled)."""
    if system.n_modules < 2:
        return InteractionResult(Verdict.EQUIVALENT, 0, 0, 0,
                                 detail="a single module: nothing to interact with").to_dict()
    if not vcfg.interactions:
        # without the check the modular verdicts are not shown to compose: no proof of equivalence
        return InteractionResult(Verdict.INCONCLUSIVE, 0, 0, 0, detail="not checked (--no-interactions): the "
                                 "per-module verdicts are not shown to hold for the modules together").to_dict()
    refuted = {m for mv in modular.modules if mv.verdict == Verdict.NOT_EQUIVALENT for m in mv.members}
    with progress.stage("verify interactions"):
        with progress.bar(None, "module interactions", unit="class") as update:
            checked = check_interactions(
                system, enumerated, enumeration, permissive=vcfg.permissive, max_states=vcfg.max_states,
                timeout=execution.module_timeout or None, executor=executor, progress=update, refuted=refuted)
    progress.log(f"module interactions: {checked.classes} pair classes ({checked.pairs} pairs), "
                 f"{len(checked.interacting)} interacting: {checked.verdict}")
    return checked.to_dict()


__all__ = ["DesignVerification", "verify_system"]
