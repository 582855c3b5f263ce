"""The DSD stage inside a design run: translate, enumerate, verify, and write strand lists and reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsdcompile.config import RunConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.stage import enumerate_modules, enumerate_whole, translate, write_dsd_outputs
from dsdcompile.dsd.system import DSDSystem
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN
from dsdcompile.passes.helper_catalysts import add_helper_catalysts
from dsdcompile.pipeline import Compiled, is_rate_dependent
from dsdcompile.progress import Progress
from dsdcompile.verify import VerificationResult, verify_modules, verify_whole, write_reports
from dsdcompile.verify.executors import make_executor
from dsdcompile.verify.modular import attach_whole

DSD_FILES = ("dsd.pil", "strands.csv", "complexes.csv", "domains.csv")


@dataclass(frozen=True, eq=False)
class DSDStage:
    """What the DSD stage produced: summary.json sections, the verification result, the system and its modules.

    ``sections`` holds ``dsd``, ``verification`` and ``files`` (the names written). ``modules``
    has one enumerated implementation per reaction of ``system.split_crn``, the CRN they
    implement (the kinetics stage simulates that CRN).
    """

    sections: dict
    verification: VerificationResult
    system: DSDSystem
    modules: list[ModuleImplementation]


def dsd_input_crn(compiled: Compiled, form: str) -> CRN:
    """The CRN the DSD stage translates: ``formal`` or ``reduced``."""
    if form == "reduced":
        if compiled.reduced is None:
            raise InputError("--dsd-crn reduced: this CRN has no reduced form (not feed-forward or rate-dependent)")
        return compiled.reduced
    if form != "formal":
        raise InputError(f"--dsd-crn must be 'formal' or 'reduced', got {form!r}")
    return compiled.formal


def run_dsd_stage(compiled: Compiled, config: RunConfig, out_dir: Path, progress: Progress) -> DSDStage:
    """Translate the chosen CRN with ``config.scheme``, enumerate it module by module, verify it, write files.

    Returns the summary.json sections ``dsd`` and ``verification`` (plus ``files``), the
    verification result, the system and its modules; raising on a not-equivalent verdict is
    left to the caller, so that the design folder with its counterexample is written first.
    """
    crn = dsd_input_crn(compiled, config.dsd_crn)
    rate_dependent = is_rate_dependent(compiled)
    if rate_dependent:
        # fuel sets each module's rate: only buffered joins can run slowly enough in fuel excess
        crn = add_helper_catalysts(crn)
    with progress.stage("translate"):
        with progress.bar(crn.n_reactions, "translate", unit="rxn") as update:
            system = translate(crn, config.scheme, config.dsd, progress=update)
    progress.log(f"translated with {system.scheme}: {system.n_modules} modules, {len(system.templates)} shapes, "
                 f"K = {system.max_products} products per module")
    executor = make_executor(config.enumeration.executor, config.enumeration.workers, config.enumeration.scheduler)
    try:
        with progress.stage("enumerate"):
            with progress.bar(system.n_modules, "enumerate (peppercorn)", unit="module") as update:
                modules = enumerate_modules(system, config.enumeration, executor=executor, progress=update)
        with progress.stage("verify"):
            with progress.bar(len(system.templates), "verify (per shape)", unit="shape") as update:
                result = verify_modules(modules, config.verification, executor=executor, progress=update)
    finally:
        executor.close()
    n_impl = sum(len(m.reactions) for m in modules)
    if config.verify_whole and n_impl <= config.verification.whole_max_reactions:
        with progress.stage("verify whole"):
            whole = enumerate_whole(system, config.enumeration)
            checked = verify_whole(system.split_crn, whole.reactions, whole.signals, whole.fuels,
                                   config.verification)
            result = attach_whole(result, checked)
    with progress.stage("write dsd"):
        dsd = write_dsd_outputs(system, modules, out_dir)
        reports = write_reports(result, out_dir)
    dsd["crn"] = config.dsd_crn
    if rate_dependent:
        # anderson2021: the weights are rate constants, so bisimulation (which ignores rates)
        # cannot show that outputs are preserved; the kinetics stage has to.
        dsd["rate_dependent"] = True
        dsd["helper_catalysts"] = [s.name for s in crn.species if s.name not in compiled.formal.index]
        dsd["note"] = ("rate-dependent construction: zero- and first-order reactions get constant helper "
                       "catalysts (every module a buffered join), bisimulation checks the reactions only, and "
                       "the kinetics stage sets each module's rate constant by fuel concentrations and checks "
                       "the outputs by simulation")
    progress.log(f"DSD: {dsd['strands']} strands, {dsd['nucleotides']} nt (longest {dsd['longest_strand_nt']} nt); "
                 f"verification ({result.method}): {result.verdict}")
    files = list(DSD_FILES) + [p.name for p in reports]
    return DSDStage({"dsd": dsd, "verification": result.summary(), "files": files}, result, system, modules)
