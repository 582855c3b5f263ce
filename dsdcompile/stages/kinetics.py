"""The kinetics stage: realistic-rate kinetics of the DSD design, formal CRN and DNA implementation.

After the DSD stage (translate, enumerate, verify) and with test examples, a design run

1. simulates the *formal* CRN the modules implement (``system.split_crn``: the translated CRN
   after unimolecular absorption and splitting to K products, one module per reaction) at
   realistic rates, ``rate_draws`` seeded log-uniform draws (rate independence);
2. plans fuel from the exact evaluator's reaction firings (worst example × ``fuel_safety``), or
   takes the plan the unit fit made (:func:`dsdcompile.lab.plan.fit_unit`, run just before);
3. builds the implementation CRN from the enumerated modules (peppercorn's condensed rates,
   finite fuels, optional leak) and simulates it;
4. with ``leak`` > 0, sweeps leak rates.

The tube as planned (reporters, free strands, calibration) is the next stage,
:mod:`dsdcompile.stages.tube`, which attaches its result here (:meth:`KineticsStageResult.with_tube`).

Simulating ``split_crn`` rather than the CRN handed to the DSD stage makes formal and
implementation kinetics, and the fuel plan, describe the same reactions. Steps 2-4 (but not
formal kinetics) are skipped, with the reason in summary.json, for systems of more than
``KineticsConfig.max_modules`` modules and, for implementation kinetics, when verification
found the modules not equivalent. Wall-clock times go to ``progress.timings`` only, so the
files written are identical between runs.

Rate-dependent constructions (anderson2021) take another path: random rate draws would
change their weights and the exact evaluator cannot plan their fuel, so fuel concentrations
are chosen to set every module's rate constant (:mod:`dsdcompile.kinetics.rate_fuel`) and the
outputs are checked by simulating formal CRN and implementation in real units
(:mod:`dsdcompile.kinetics.rate_kinetics`). A design for which no fuel plan exists
(:class:`~dsdcompile.errors.DesignInfeasible`) is a finding, recorded in ``kinetics.skipped``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dsdcompile.config import KineticsConfig, RateFuelConfig
from dsdcompile.errors import DesignInfeasible
from dsdcompile.kinetics.tube import initial_signals_nM
from dsdcompile.runtime.executors import Executor
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.crn import write_sbml_if_small
from dsdcompile.stages.dsd import DSDResult
from dsdcompile.verify.result import Verdict

if TYPE_CHECKING:
    from dsdcompile.ir import CRN
    from dsdcompile.kinetics.fuel import FuelPlan
    from dsdcompile.kinetics.leak import LeakSweep
    from dsdcompile.kinetics.planned_tube import TubeResult
    from dsdcompile.kinetics.rate_fuel import RateFuelPlan
    from dsdcompile.kinetics.rate_kinetics import RateKinetics
    from dsdcompile.kinetics.result import KineticsResult
    from dsdcompile.lab.plan import UnitFit

FORMAL_CRN_NOTE = ("formal kinetics simulate the split CRN the DSD modules implement (after unimolecular "
                   "absorption and splitting to K products), so fuel plan and implementation line up")
WALL_KEYS = ("formal_wall_s", "implementation_wall_s")
NOT_EQUIVALENT_SKIP = "verification verdict not-equivalent: implementation kinetics skipped"


@dataclass(frozen=True, eq=False)
class KineticsStageResult:
    """What the kinetics stage simulated, the fuel plan the lab tables need, and the ``kinetics`` block.

    ``values`` holds this stage's own keys of the block and :attr:`block` the whole block known
    after it (with the tube's keys once :meth:`with_tube` attached it, and the unit note);
    ``skipped`` names what was skipped and why (a ``lab_tables`` entry: no tables can be
    planned). ``plan`` is the fuel plan; ``x``/``nn`` are the examples the lab tables list,
    ``unit_nM`` one network unit and ``config`` the settings simulated with (its unit fitted).
    """

    values: dict
    skipped: dict[str, str]
    rate_dependent: bool
    unit_nM: float
    plan: FuelPlan | RateFuelPlan | None = None
    x: np.ndarray | None = None
    nn: np.ndarray | None = None
    formal: KineticsResult | None = None
    implementation: KineticsResult | None = None
    sweep: LeakSweep | None = None
    rate: RateKinetics | None = None
    helper_nM: dict[str, float] = field(default_factory=dict)
    ran: bool = True
    implementation_crn: CRN | None = None  # the DNA implementation simulated (nM, seconds), fuels included
    tube: TubeResult | None = None  # the tube as planned, with reporters (dsdcompile.stages.tube)
    config: KineticsConfig | None = None
    unit_note: str | None = None  # why the unit was lowered (dsdcompile.lab.plan.fit_unit)
    unit_nM_requested: float | None = None
    reporters_skipped: str | None = None
    bounds: object | None = None  # CRNBounds of the split CRN over the input box, when fuel covers the box

    @cached_property
    def block(self) -> dict:
        """The ``kinetics`` block's values known after this stage (and the tube's)."""
        block = dict(self.values)
        if self.tube is not None:
            block.update(self.tube.to_summary())
        elif self.reporters_skipped:
            block["reporters_skipped"] = self.reporters_skipped
        if self.unit_note is not None:
            block["unit_note"] = self.unit_note
            block["unit_nM_requested"] = self.unit_nM_requested
        return block

    @property
    def implemented(self) -> bool:
        """Implementation kinetics ran with a fuel plan (what the tube stage builds on)."""
        return self.ran and not self.rate_dependent and self.implementation is not None and self.plan is not None

    def with_tube(self, tube: TubeResult) -> KineticsStageResult:
        return replace(self, tube=tube)

    def planned_nM(self, system) -> dict[str, float] | None:
        """Every complex of the tube as planned (fuels, reporters, initially present signals) in nM; None unplanned."""
        if not self.ran or self.plan is None:
            return None
        out = dict(self.plan.fuel_nM)
        if self.tube is not None:
            out.update(self.tube.reporter_nM)
        out.update(initial_signals_nM(system.split_crn, self.unit_nM, self.helper_nM))
        return out

    @classmethod
    def not_run(cls, reason: str) -> KineticsStageResult:
        """The stage could not run at all (no examples, no reference outputs)."""
        return cls({}, {"kinetics": reason}, False, 0.0, ran=False)

    def describe(self) -> str | None:
        """One line for the command line (None when the stage did not run)."""
        k, skipped = self.block, self.skipped
        if not self.ran:
            return None
        if self.rate_dependent:
            if self.rate is None:
                return f"kinetics (rate-dependent): skipped: {skipped.get('implementation')}"
            return (f"kinetics (rate-dependent, {k['examples']} examples, {k['unit_nM']:g} nM per unit): readout "
                    f"{k['readout_h']:.3g} h, label agreement {k['label_agreement']:.4g}, max rel. error "
                    f"{k['max_rel_error']:.3g} (fuel in excess {k['fuel_excess_max_rel_error']:.3g}); fuel "
                    f"{k['fuel_total_uM']:.4g} µM, margin {_fmt(k.get('fuel_margin'))}")
        impl = k.get("implementation_label_agreement")
        t90 = k.get("t90_hours_median")
        line = (f"kinetics ({k['rate_draws']} rate draws, {k['formal_examples']} examples, {k['unit_nM']:g} nM per "
                f"unit): formal label agreement {k['formal_label_agreement']:.4g}, implementation "
                f"{'skipped' if impl is None else f'{impl:.4g}'}; median t90 "
                f"{'n/a' if t90 is None else f'{t90:.3g} h'}; fuel margin {_fmt(k.get('fuel_margin'))}")
        return line if self.tube is None else f"{line}\n{self.tube.describe()}"

    def to_summary(self, *, lab_skipped: str | None = None, lab_volume_uL: float | None = None,
                   sequences: bool = False) -> dict:
        """summary.json's ``kinetics`` block; the lab and sequence keys it has always carried are filled in here."""
        if not self.ran:
            return {"skipped": dict(self.skipped)}
        block = dict(self.block)
        skipped = dict(self.skipped)
        if lab_skipped is not None:
            skipped["lab_tables"] = lab_skipped
        block["volume_uL"] = lab_volume_uL if "lab_tables" not in skipped else None
        block["sequences"] = "nucleotide (sequences.csv)" if sequences else None
        if skipped:
            block["skipped"] = skipped
        return block


def _fmt(value) -> str:
    """A figure for a one-line description: three significant digits, or what it is when not a number."""
    return f"{value:.3g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def is_large(dsd: DSDResult, kinetics: KineticsConfig) -> bool:
    """More modules than ``kinetics.max_modules``: formal kinetics only."""
    return dsd.system.n_modules > kinetics.max_modules


def _examples_limit(kinetics: KineticsConfig, large: bool, progress: Progress) -> KineticsConfig:
    if large and kinetics.examples < 0:
        progress.log(f"kinetics: large system, formal kinetics on the first {kinetics.large_system_examples} examples "
                     "(set --kinetics-examples to change)")
        return replace(kinetics, examples=kinetics.large_system_examples)
    return kinetics


def run_kinetics_stage(dsd: DSDResult, x: np.ndarray, nn: np.ndarray, kinetics: KineticsConfig, progress: Progress,
                       *, rate_fuel: RateFuelConfig = RateFuelConfig(), unit: UnitFit | None = None,
                       executor: Executor | None = None, bounds=None) -> KineticsStageResult:
    """Formal kinetics, fuel plan, implementation kinetics and leak sweep of a verified DSD design.

    ``x`` are the examples' network inputs and ``nn`` the reference outputs (the network's,
    or the exact CRN limit's). ``unit`` is the unit fit's result (simulate at its unit, reuse its
    fuel plan). Implementation kinetics are skipped for "not-equivalent" modules. Rate-dependent
    designs follow ``rate_fuel``; ``executor`` runs their examples in parallel. With ``bounds``
    (:func:`dsdcompile.crn.bounds.bound_crn` of the split CRN over the input box) fuel is planned for every
    input of the box (:func:`~dsdcompile.kinetics.fuel.bound_fuel_plan`) and ``x`` are inputs drawn from it.
    """
    large = is_large(dsd, kinetics)
    if dsd.rate_dependent and not large:
        return _rate_dependent(dsd, x, nn, rate_fuel, kinetics, progress, executor)
    kcfg = unit.kinetics if unit is not None else _examples_limit(kinetics, large, progress)
    skipped: dict[str, str] = {}
    if large:
        skipped["implementation"] = skipped["lab_tables"] = (
            f"{dsd.system.n_modules} modules > max_modules {kcfg.max_modules}: fuel plan, implementation kinetics "
            "and wet-lab tables skipped")
    plan = None if large else _fuel_plan(dsd, x, kcfg, unit, progress, bounds)
    if plan is not None and dsd.verification.verdict == Verdict.NOT_EQUIVALENT:
        skipped["implementation"] = NOT_EQUIVALENT_SKIP
    formal = _formal(dsd, x, nn, kcfg, plan, progress)
    impl = sweep = impl_crn = None
    if "implementation" in skipped:
        progress.log(f"kinetics: {skipped['implementation']}")
    else:
        impl_crn, impl, sweep = _implementation(dsd, x, nn, kcfg, plan, progress)
    values = _values(dsd, x, kcfg, formal, impl, plan, impl_crn, sweep)
    return KineticsStageResult(
        values, skipped, False, kcfg.unit_nM, plan=plan, x=x, nn=nn, formal=formal, implementation=impl, sweep=sweep,
        implementation_crn=impl_crn, config=kcfg, unit_note=unit.note if unit is not None else None,
        unit_nM_requested=kinetics.unit_nM, reporters_skipped=dsd.reporters.skipped, bounds=bounds)


def _fuel_plan(dsd: DSDResult, x: np.ndarray, kcfg: KineticsConfig, unit: UnitFit | None, progress: Progress,
               bounds=None):
    """The fuel plan: the unit fit's where it planned the same way, else made here (over the box with ``bounds``)."""
    plan = unit.plan_for(kcfg) if unit is not None else None
    if plan is None:
        from dsdcompile.kinetics import fuel_plan
        from dsdcompile.kinetics.fuel import bound_fuel_plan

        with progress.stage("kinetics fuel plan"):
            plan = (bound_fuel_plan(dsd.system.split_crn, dsd.modules, bounds, kcfg) if bounds is not None
                    else fuel_plan(dsd.system.split_crn, dsd.modules, x, kcfg))
    progress.log(f"fuel plan: {len(plan.fuel_nM)} fuels, {sum(plan.fuel_nM.values()) / 1000:.3g} µM in all, "
                 f"margin {plan.margin:.3g} (safety {plan.safety:g})")
    return plan


def _formal(dsd: DSDResult, x: np.ndarray, nn: np.ndarray, kcfg: KineticsConfig, plan, progress: Progress):
    """Formal kinetics of the split CRN at ``kcfg.rate_draws`` random rate draws."""
    from dsdcompile.kinetics import simulate_formal_kinetics
    from dsdcompile.kinetics.formal import select_examples

    with progress.stage("kinetics formal"):
        n_formal = len(select_examples(x, nn, kcfg.examples)[0])
        with progress.bar(n_formal * kcfg.rate_draws, "formal CRN (real rates)") as update:
            formal = simulate_formal_kinetics(dsd.system.split_crn, x, nn, kcfg, fuel_nM=plan, progress=update)
    progress.log(f"formal kinetics ({formal.n_examples} examples × {formal.draws} rate draws): label agreement "
                 f"{formal.label_agreement.min():.4g}")
    return formal


def _implementation(dsd: DSDResult, x: np.ndarray, nn: np.ndarray, kcfg: KineticsConfig, plan, progress: Progress):
    """(implementation CRN, its kinetics, the leak sweep or None) with the planned fuel."""
    from dsdcompile import kinetics as kin
    from dsdcompile.kinetics.formal import select_examples
    from dsdcompile.kinetics.leak import DEFAULT_LEAKS

    crn, modules = dsd.system.split_crn, dsd.modules
    with progress.stage("kinetics implementation"):
        impl_crn = kin.build_implementation_crn(crn, modules, plan, unit_nM=kcfg.unit_nM, leak=kcfg.leak)
        n_impl = len(select_examples(x, nn, kcfg.implementation_examples)[0])
        with progress.bar(n_impl, "implementation (planned fuel)") as update:
            impl = kin.simulate_implementation_kinetics(impl_crn, x, nn, kcfg, progress=update)
    progress.log(f"implementation kinetics ({impl_crn.n_reactions} reactions, {impl_crn.n_species} species, "
                 f"{impl.n_examples} examples): label agreement {impl.label_agreement.min():.4g}")
    sweep = None
    if kcfg.leak > 0:
        with progress.stage("kinetics leak sweep"):
            sweep = kin.leak_sweep(crn, modules, x, nn, kcfg, sorted(set(DEFAULT_LEAKS) | {kcfg.leak}), fuel=plan)
    return impl_crn, impl, sweep


def _values(dsd: DSDResult, x: np.ndarray, kcfg: KineticsConfig, formal, impl, plan, impl_crn, sweep) -> dict:
    """This stage's keys of the ``kinetics`` block."""
    from dsdcompile.kinetics import kinetics_summary

    crn = dsd.system.split_crn
    block = kinetics_summary(formal, impl, plan)
    for key in WALL_KEYS:  # wall-clock times live in summary["run"]["seconds"] only
        block.pop(key, None)
    block.update({
        "formal_crn": "split",
        "formal_crn_note": FORMAL_CRN_NOTE,
        "formal_reactions": crn.n_reactions,
        "modules": dsd.system.n_modules,
        "leak_per_M_s": kcfg.leak,
    })
    if impl_crn is not None:
        block["implementation_reactions"] = impl_crn.n_reactions
        block["implementation_species"] = impl_crn.n_species
    if plan is not None:
        block["fuels"] = len(plan.fuel_nM)
        block["fuel_plan_examples"] = int(np.atleast_2d(x).shape[0])
    if sweep is not None:
        block["leak_sweep"] = sweep.rows()
    return block


def _rate_dependent(dsd: DSDResult, x: np.ndarray, nn: np.ndarray, rcfg: RateFuelConfig, kinetics: KineticsConfig,
                    progress: Progress, executor: Executor | None) -> KineticsStageResult:
    """Kinetics of a rate-dependent design: rate-setting fuel plan, formal / fuel-excess / finite-fuel runs.

    ``nn`` is the construction's forward pass (σ_ε). One unit of network value is
    ``rcfg.unit_nM``; ``kinetics.implementation_examples`` examples are simulated. See
    :mod:`dsdcompile.kinetics.rate_kinetics`.
    """
    from dsdcompile.kinetics.rate_kinetics import run_rate_kinetics
    from dsdcompile.kinetics.rate_report import rate_summary

    system, modules = dsd.system, dsd.modules
    crn = system.split_crn
    block: dict = {"formal_crn": "split", "formal_crn_note": FORMAL_CRN_NOTE, "formal_reactions": crn.n_reactions,
                   "modules": system.n_modules, "rate_dependent": True}
    if dsd.verification.verdict == Verdict.NOT_EQUIVALENT:
        skipped = {"implementation": NOT_EQUIVALENT_SKIP, "lab_tables": "no fuel plan"}
        progress.log(f"kinetics: {skipped['implementation']}")
        return KineticsStageResult(block, skipped, True, rcfg.unit_nM, config=kinetics)
    try:
        with progress.stage("kinetics rate-dependent"):
            res = run_rate_kinetics(crn, modules, x, nn, rcfg, examples=kinetics.implementation_examples,
                                    progress=progress, executor=executor)
    except DesignInfeasible as e:
        # no fuel plan sets every rate (e.g. gates would hold all of an input): a finding about
        # this design at these settings, reported in summary.json, not a failed run
        skipped = {"implementation": f"no rate-setting fuel plan: {e}", "lab_tables": "no fuel plan"}
        progress.log(f"kinetics: {skipped['implementation']}")
        return KineticsStageResult(block, skipped, True, rcfg.unit_nM, config=kinetics)
    summary = rate_summary(res)
    progress.log(f"rate-dependent kinetics ({summary['examples']} examples, τ = {res.plan.time_unit_s:.4g} s, "
                 f"readout {summary['readout_h']:.3g} h): max rel. error {summary['max_rel_error']:.3g} "
                 f"(fuel excess {summary['fuel_excess_max_rel_error']:.3g}), label agreement "
                 f"{summary['label_agreement']:.4g}; fuel {summary['fuel_total_uM']:.4g} µM, "
                 f"the most used fuel {100 * summary['fuel_consumed_fraction']:.3g}% used up at the readout")
    block.update(summary)
    block["config"] = rcfg.summary()
    n = summary["examples"]
    return KineticsStageResult(block, {}, True, rcfg.unit_nM, plan=res.plan, x=x[:n], nn=nn[:n], rate=res,
                               helper_nM=dict(res.plan.helper_nM), implementation_crn=res.impl_crn, config=kinetics)


def write_kinetics_files(kinetics: KineticsStageResult, folder: Path, plot_example: int = 0) -> list[str]:
    """kinetics.csv and the other per-example tables, fuel.csv (leak.csv), the plots and implementation.sbml.

    The tube's files (fluorescence) are the tube stage's (:func:`dsdcompile.stages.tube.write_tube_files`)."""
    if not kinetics.ran:
        return []
    files = []
    if kinetics.implementation_crn is not None and write_sbml_if_small(
            kinetics.implementation_crn, folder / "implementation.sbml", units="nM", name="dsdcompile_implementation"):
        files.append("implementation.sbml")
    if kinetics.rate_dependent:
        if kinetics.rate is None:
            return files
        from dsdcompile.kinetics.rate_report import write_rate_outputs

        class_names = tuple(s.name for s in kinetics.rate.formal_crn.outputs)
        return files + [Path(p).name for p in write_rate_outputs(kinetics.rate, class_names, folder)]
    from dsdcompile.kinetics import write_kinetics_outputs

    return files + [Path(p).name for p in write_kinetics_outputs(kinetics.formal, kinetics.implementation, folder,
                                                                  fuel_plan=kinetics.plan, leak=kinetics.sweep)]


__all__ = ["FORMAL_CRN_NOTE", "KineticsStageResult", "is_large", "run_kinetics_stage", "write_kinetics_files"]
