"""The DSD stage: translate the CRN with a scheme, enumerate its modules with peppercorn, verify the design."""

from __future__ import annotations

import gc
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
from dsdcompile.verify.result import Verdict, VerificationResult

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


def _translate(target: CRN, config: RunConfig, crn: CRNResult, update, reorder) -> DSDSystem:
    """translate(), its refusals naming the file they come from: a reaction the model's or CRN file's, a scheme's
    failure the scheme file's (a plugin's)."""
    from dsdcompile.dsd.translate import translate

    try:
        return translate(target, config.scheme, config.dsd, progress=update, reorder=reorder)
    except InputError as e:
        if e.path is not None:
            raise
        if type(e) is InputError:
            raise InputError(e.message, path=str(crn.source), line=e.line, column=e.column) from None
        if isinstance(e, SchemeError) and str(config.scheme).endswith(".py") and str(config.scheme) not in e.message:
            raise SchemeError(e.message, path=str(config.scheme)) from None
        raise


def run_dsd_stage(crn: CRNResult, config: RunConfig, progress: Progress, *, executor: Executor | None = None,
                  reorder: Mapping[int, tuple[str, ...]] | None = None, settle: bool = True) -> DSDResult:
    """Translate the chosen CRN with ``config.scheme``, enumerate it module by module, build the readout
    reporters and verify the design (:func:`dsdcompile.verify.design.verify_system` runs the checks).

    ``executor`` (one per design run) runs the enumeration and verification tasks; without one
    they run here. Raising on a not-equivalent verdict is left to the caller, so that the
    design folder with its counterexample is written first.

    A design the modular checks leave unsettled (a module wrong alone, an interacting pair) is
    decided at the level of the system (:func:`dsdcompile.verify.decide.decide_system`); under
    ``--reactant-order search`` other binding orders of the reactions involved are tried first
    (:func:`search_orders`, which calls this function again with ``reorder`` and ``settle=False``).
    """
    from dsdcompile.dsd.enumerate import instantiate
    from dsdcompile.verify.design import verify_system

    # peppercorn clears its object registry with gc.collect() before and after every
    # enumeration; with the long-lived objects of the run (modules, the CRNs) moved out of the
    # collector's view, each collection scans only what peppercorn itself made (0.54 s per
    # module enumeration before, 0.11 s after, on a one-reaction CRN)
    gc.freeze()

    source = dsd_input_crn(crn, config.dsd_crn)
    target = source if crn.construction is None else crn.construction.prepare_dsd(source)
    with progress.stage("translate"):
        with progress.bar(target.n_reactions, "translate", unit="rxn") as update:
            system = _translate(target, config, crn, update, reorder)
    progress.log(f"translated with {system.scheme}: {system.n_modules} modules, {len(system.templates)} shapes, "
                 f"K = {system.max_products} products per module")
    with progress.stage("enumerate"):
        with progress.bar(len(system.used_templates), "enumerate (peppercorn)", unit="shape") as update:
            enumerated, unchecked = _enumerate(system, config, executor, update, progress)
        modules = [instantiate(system, i, enumerated[int(system.module_template[i])]) for i in range(system.n_modules)]
    checked = verify_system(system, enumerated, modules, verification=config.verification,
                            enumeration=config.enumeration, execution=config.execution, whole=config.verify_whole,
                            reporters=config.dsd.reporters, progress=progress, executor=executor, unchecked=unchecked)
    result, reporters = checked.result, checked.reporters
    system = replace(system, reporters=reporters.complexes)
    result = replace(result, config={**result.config, "reactant_order": config.dsd.reactant_order})
    searching = reorder is None and config.dsd.reactant_order == "search"
    if settle and not searching:
        result = _settled(system, result, modules, config, progress)
    out = DSDResult(system, modules, result, config.dsd_crn,
                    crn.rate_dependent, tuple(s.name for s in target.species if s.name not in source.index),
                    crn.construction.dsd_note if crn.construction is not None else None, reporters=reporters,
                    extra={"enumeration_stopped": _stopped(system, unchecked)} if unchecked else {})
    if searching and result.verdict != Verdict.EQUIVALENT:
        out = search_orders(out, lambda r: run_dsd_stage(crn, config, progress, executor=executor, reorder=r,
                                                         settle=False),
                            lambda d: replace(d, verification=_settled(d.system, d.verification, d.modules, config,
                                                                       progress)))
    result = out.verification
    c = out.counts
    progress.log(f"DSD: {c['strands']} strands, {c['nucleotides']} nt (longest {c['longest_strand_nt']} nt); "
                 f"verification ({result.method}): {result.verdict}")
    return out


def _enumerate(system: DSDSystem, config: RunConfig, executor, update, progress: Progress):
    """Every shape's enumeration, and the shapes left out (template → why): none, unless the smallest shapes,
    enumerated first, hold a proof that the design is wrong (dsdcompile.verify.screen; off with
    ``VerificationConfig.first_error`` False, ``--check-every-shape``). A shape left out gets an empty
    enumeration, which nothing checks or counts as its reactions (``dsd.enumeration_stopped`` says so)."""
    from dsdcompile.dsd.enumerate import enumerate_templates, instantiate
    from dsdcompile.dsd.system import EnumeratedTemplate
    from dsdcompile.verify.screen import first_error, screen_templates

    def run(only=None):
        return enumerate_templates(system, config.enumeration, execution=config.execution, executor=executor,
                                   progress=update, only=only)

    screen = screen_templates(system, config.dsd.reactant_order) if config.verification.first_error else []
    if not screen:
        return run(), {}
    first = run([t for t, _ in screen])
    found = first_error(system, [instantiate(system, rep, first[t]) for t, rep in screen],
                        config.verification.max_states)
    used = system.used_templates
    rest = [t for t in used if t not in first]
    if found is None:
        return {**first, **run(rest)}, {}
    index, _ = found
    why = (f"module #{index} ({system.reaction(index)}) is proven wrong by a counterexample in its own reactions, "
           "confirmed against the whole formal CRN (--check-every-shape enumerates and checks every shape)")
    progress.log(f"stopped at the first proven error: {why}; {len(rest)} of {len(used)} shapes not enumerated")
    empty = EnumeratedTemplate(reactions=(), complexes=(), signals=())
    return {**first, **{t: empty for t in rest}}, {t: why for t in rest}


def _stopped(system: DSDSystem, unchecked: Mapping[int, str]) -> str:
    """summary.json's ``dsd.enumeration_stopped``: why the counts hold only some shapes' reactions."""
    used = len(system.used_templates)
    return (f"{len(unchecked)} of {used} module shapes were not enumerated or checked, so enumerated_reactions "
            f"counts the other {used - len(unchecked)} only: {next(iter(unchecked.values()))}")


def _settled(system: DSDSystem, result: VerificationResult, modules, config: RunConfig,
             progress: Progress) -> VerificationResult:
    """``result``, decided at the level of the system where the modular checks left it unsettled."""
    if result.verdict == Verdict.EQUIVALENT:
        return result
    from dsdcompile.verify.decide import decide_system  # a failing module or interacting pair: the system

    with progress.stage("verify system"):
        return decide_system(system, result, config.enumeration, config.verification, config.execution, config.dsd,
                             modules, enumerate_system=config.verify_whole)


MAX_TRIES = 8  # designs the search builds beyond the as-written one


def search_orders(first, build, settle):
    """``search``: the as-written design ``first`` (a DSDResult that did not verify), or the first design with
    other reactant orders for the reactions of its failing modules and interacting pairs that verifies.

    ``build(reorder)`` makes and verifies the design with ``reorder`` (split reaction → reactant order);
    ``settle(design)`` decides a design at the level of the system (dsdcompile.verify.decide), which is
    done only when no order verifies, on the as-written design.
    At most ``MAX_TRIES`` designs are built, nearest to as-written first (fewest reactions reordered).
    The design returned records, in ``extra["reactant_order"]``, what was tried and why.
    """
    from dataclasses import replace
    from itertools import combinations, islice, product
    from math import prod

    from dsdcompile.dsd.order import AS_WRITTEN, SEARCH, alternatives, describe
    from dsdcompile.verify.decide import open_modules, refuted_in_any_order

    system = first.system
    opened, why = open_modules(first.verification, system.n_modules)
    reactions = system.split_crn.reactions
    choices = {i: alternatives(reactions[i])[1:] for i in sorted(opened) if len(alternatives(reactions[i])) > 1}
    fixed = refuted_in_any_order(system, first.verification, first.modules) if choices else None
    if fixed is not None:  # no order of the other reactions can help: build no other design
        choices, why = {}, f"{why}; {fixed}"
    tried: list[str] = []
    record = {"policy": SEARCH, "start": AS_WRITTEN, "why": why, "reordered": {}}
    best = first
    # nearest to as-written first; generated lazily: a design whose every module is open (an inconclusive
    # interaction check) has thousands of reactions with two orders, and 2**n combinations
    every = (dict(zip(subset, picks)) for k in range(1, len(choices) + 1)
             for subset in combinations(sorted(choices), k) for picks in product(*(choices[i] for i in subset)))
    candidates = list(islice(every, MAX_TRIES))
    n_candidates = prod(1 + len(c) for c in choices.values()) - 1
    for reorder in candidates:
        out = build(reorder)
        text = ", ".join(f"reaction {i} ({reactions[i]}) as {describe(o)}" for i, o in reorder.items())
        tried.append(f"{text}: {out.verification.verdict}")
        if out.verification.verdict == Verdict.EQUIVALENT:
            best = out
            record["reordered"] = {str(i): {"reaction": str(reactions[i]), "order": describe(o),
                                            "why": f"as written, {why}"} for i, o in reorder.items()}
            break
    record["tried"] = tried
    if best is first:
        best = settle(first)
    if n_candidates > len(candidates):
        record["left"] = f"{n_candidates - len(candidates)} more order combination(s) not tried"
    if not candidates:
        record["left"] = ("no other order tried: a module with one order is proven wrong" if fixed is not None
                          else "no reaction involved has another reactant order")
    note = ("reactant orders: " + ("; ".join(f"{v['reaction']} bound as {v['order']} ({v['why']})"
                                              for v in record["reordered"].values()) if record["reordered"] else
                                   f"as written; no other order of the reactions involved verified ({why}): "
                                   + ("; ".join(tried) or record.get("left", ""))))
    verification = replace(best.verification, basis=f"{best.verification.basis}; {note}",
                           config={**best.verification.config, "reactant_order": SEARCH})
    system = replace(best.system, reordered=tuple((int(i), f"{v['order']} because, {v['why']}")
                                                  for i, v in record["reordered"].items()))
    return replace(best, system=system, verification=verification, extra={**best.extra, "reactant_order": record})


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


__all__ = ["DSD_FILES", "DSDResult", "dsd_input_crn", "run_dsd_stage", "search_orders", "write_dsd_files"]
