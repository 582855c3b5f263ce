"""The kinetics stage inside a design run: realistic-rate kinetics of the DSD design and wet-lab tables.

After the DSD stage (translate, enumerate, verify) and with test examples, a design run

1. simulates the *formal* CRN the modules implement (``system.split_crn``: the translated CRN
   after unimolecular absorption and splitting to K products, one module per reaction) at
   realistic rates, ``rate_draws`` seeded log-uniform draws (rate independence);
2. plans fuel from the exact evaluator's reaction firings (worst example × ``fuel_safety``);
3. builds the implementation CRN from the enumerated modules (peppercorn's condensed rates,
   finite fuels, optional leak) and simulates it;
4. with ``leak`` > 0, sweeps leak rates;
5. writes kinetics.csv, kinetics_draws.csv, fuel.csv (leak.csv), plots, and the wet-lab tables
   concentrations.csv/.md, annealing.csv, inputs.csv, readout.csv (plate.xlsx with openpyxl).

Simulating ``split_crn`` rather than the CRN handed to the DSD stage makes formal and
implementation kinetics, and the fuel plan, describe the same reactions. Steps 2-5 (but not
formal kinetics) are skipped, with the reason in summary.json, for systems of more than
``KineticsConfig.max_modules`` modules and, for implementation kinetics, when verification
found the modules not equivalent. Wall-clock times go to ``progress.timings`` only, so the
files written here are identical between runs.

Rate-dependent constructions (anderson2021) take another path,
:func:`run_rate_dependent_stage`: random rate draws would change their weights and the exact
evaluator cannot plan their fuel, so fuel concentrations are chosen to set every module's
rate constant (:mod:`dsdcompile.kinetics.rate_fuel`) and the outputs are checked by
simulating formal CRN and implementation in real units (:mod:`dsdcompile.kinetics.rate_kinetics`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dsdcompile.config import KineticsConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.dsd.outputs import domain_table
from dsdcompile.dsd.system import Complex, DSDSystem
from dsdcompile.errors import InputError
from dsdcompile.kinetics import (
    FuelPlan,
    LabSpecies,
    LabStrand,
    build_implementation_crn,
    fuel_plan,
    kinetics_summary,
    lab_examples,
    leak_sweep,
    simulate_formal_kinetics,
    simulate_implementation_kinetics,
    write_kinetics_outputs,
    write_lab_tables,
)
from dsdcompile.kinetics.leak import DEFAULT_LEAKS
from dsdcompile.kinetics.rate_fuel import RateFuelPlan
from dsdcompile.kinetics.rate_kinetics import run_rate_kinetics
from dsdcompile.kinetics.rate_report import rate_summary, write_rate_outputs
from dsdcompile.progress import Progress
from dsdcompile.verify.executors import Executor

FORMAL_CRN_NOTE = ("formal kinetics simulate the split CRN the DSD modules implement (after unimolecular "
                   "absorption and splitting to K products), so fuel plan and implementation line up")
WALL_KEYS = ("formal_wall_s", "implementation_wall_s")


@dataclass(frozen=True, eq=False)
class KineticsStage:
    """The ``kinetics`` block of summary.json and the names of the files written."""

    summary: dict
    files: list[str]


def _strands(c: Complex, lengths: dict[str, int]) -> tuple[LabStrand, ...]:
    """The strands of a complex, named as in strands.csv (``complex.k``)."""
    return tuple(LabStrand(f"{c.name}.{k}", " ".join(s), sum(lengths[d.rstrip("*")] for d in s))
                 for k, s in enumerate(c.strands))


def lab_species(system: DSDSystem, plan: FuelPlan | RateFuelPlan, unit_nM: float, *,
                initial_nM: Mapping[str, float] | None = None) -> list[LabSpecies]:
    """LabSpecies rows of a DSD system: input signals, initially present signals (role helper, e.g. biases)
    at unit_nM × their value (or ``initial_nM[name]``), every fuel complex at its planned concentration,
    and output signals to read."""
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
        rows[c.name] = LabSpecies(c.name, "fuel", _strands(c, lengths), float(plan.fuel_nM[c.name]))
    for sig in crn.outputs:
        for name in sig.species:
            rows.setdefault(name, signal(name, "output"))
    return list(rows.values())


def _examples_limit(config: KineticsConfig, large: bool, progress: Progress) -> KineticsConfig:
    if large and config.examples < 0:
        progress.log(f"kinetics: large system, formal kinetics on the first {config.large_system_examples} examples "
                     "(set --kinetics-examples to change)")
        return replace(config, examples=config.large_system_examples)
    return config


def run_kinetics_stage(system: DSDSystem, modules: Sequence[ModuleImplementation], x: np.ndarray, nn: np.ndarray,
                       config: KineticsConfig, out_dir: Path, progress: Progress, *,
                       verdict: str | None = None, rate_dependent: bool = False,
                       executor: Executor | None = None) -> KineticsStage:
    """Run formal kinetics, fuel plan, implementation kinetics, leak sweep and lab tables into ``out_dir``.

    ``x`` are the examples' network inputs and ``nn`` the reference outputs (the network's, or
    the exact CRN limit's). ``verdict`` is the verification verdict: implementation kinetics
    are skipped for "not-equivalent" modules.
    """
    out_dir = Path(out_dir)
    crn = system.split_crn
    large = system.n_modules > config.max_modules
    if rate_dependent and not large:
        return run_rate_dependent_stage(system, modules, x, nn, config, out_dir, progress, verdict=verdict,
                                        executor=executor)
    skipped: dict[str, str] = {}
    if large:
        skipped["implementation"] = skipped["lab_tables"] = (
            f"{system.n_modules} modules > max_modules {config.max_modules}: fuel plan, implementation kinetics "
            "and wet-lab tables skipped")
    config = _examples_limit(config, large, progress)

    plan = None
    if "implementation" not in skipped:
        with progress.stage("kinetics fuel plan"):
            plan = fuel_plan(crn, modules, x, config)
        progress.log(f"fuel plan: {len(plan.fuel_nM)} fuels, {sum(plan.fuel_nM.values()) / 1000:.3g} µM in all, "
                     f"margin {plan.margin:.3g} (safety {plan.safety:g})")
        if verdict == "not-equivalent":
            skipped["implementation"] = "verification verdict not-equivalent: implementation kinetics skipped"

    with progress.stage("kinetics formal"):
        formal = simulate_formal_kinetics(crn, x, nn, config, fuel_nM=plan)
    progress.log(f"formal kinetics ({formal.n_examples} examples × {formal.draws} rate draws): label agreement "
                 f"{formal.label_agreement.min():.4g}")

    impl = sweep = impl_crn = None
    if "implementation" in skipped:
        progress.log(f"kinetics: {skipped['implementation']}")
    else:
        with progress.stage("kinetics implementation"):
            impl_crn = build_implementation_crn(crn, modules, plan, unit_nM=config.unit_nM, leak=config.leak)
            impl = simulate_implementation_kinetics(impl_crn, x, nn, config)
        progress.log(f"implementation kinetics ({impl_crn.n_reactions} reactions, {impl_crn.n_species} species, "
                     f"{impl.n_examples} examples): label agreement {impl.label_agreement.min():.4g}")
        if config.leak > 0:
            with progress.stage("kinetics leak sweep"):
                leaks = sorted(set(DEFAULT_LEAKS) | {config.leak})
                sweep = leak_sweep(crn, modules, x, nn, config, leaks, fuel=plan)

    files: list[str] = []
    with progress.stage("kinetics write"):
        files += [Path(p).name for p in write_kinetics_outputs(formal, impl, out_dir, fuel_plan=plan, leak=sweep)]
    if "lab_tables" not in skipped and plan is not None:
        files += _lab_tables(system, plan, x, nn, config, out_dir, progress, skipped)

    block = kinetics_summary(formal, impl, plan)
    for key in WALL_KEYS:  # wall-clock times live in summary["run"]["seconds"] only
        block.pop(key, None)
    block.update({
        "formal_crn": "split",
        "formal_crn_note": FORMAL_CRN_NOTE,
        "formal_reactions": crn.n_reactions,
        "modules": system.n_modules,
        "leak_per_M_s": config.leak,
        "volume_uL": config.volume_uL if "lab_tables" not in skipped else None,
        "sequences": None,  # domain-level sequences until sequence design exists
    })
    if impl_crn is not None:
        block["implementation_reactions"] = impl_crn.n_reactions
        block["implementation_species"] = impl_crn.n_species
    if plan is not None:
        block["fuels"] = len(plan.fuel_nM)
        block["fuel_plan_examples"] = int(np.atleast_2d(x).shape[0])
    if sweep is not None:
        block["leak_sweep"] = sweep.rows()
    if skipped:
        block["skipped"] = skipped
    return KineticsStage(block, files)


def _lab_tables(system: DSDSystem, plan: FuelPlan | RateFuelPlan, x: np.ndarray, nn: np.ndarray,
                config: KineticsConfig, out_dir: Path, progress: Progress, skipped: dict[str, str], *,
                initial_nM: Mapping[str, float] | None = None) -> list[str]:
    """Write the wet-lab tables; a design whose DNA does not fit the tube is recorded in ``skipped``."""
    with progress.stage("lab tables"):
        examples = lab_examples(system.split_crn, x, expected=nn.argmax(axis=1))
        try:
            written = write_lab_tables(lab_species(system, plan, config.unit_nM, initial_nM=initial_nM), examples,
                                       out_dir, config, sequences=None)
        except InputError as e:
            # a design whose DNA does not fit the tube is a finding to report, not a failed run
            skipped["lab_tables"] = str(e)
            progress.log(f"lab tables: not written: {e}")
            return []
    files = [Path(p).name for p in written]
    if files and "plate.xlsx" not in files:
        progress.log("lab tables: plate.xlsx not written (pip install 'dsdcompile[lab]' for openpyxl)")
    return files


def run_rate_dependent_stage(system: DSDSystem, modules: Sequence[ModuleImplementation], x: np.ndarray,
                             nn: np.ndarray, config: KineticsConfig, out_dir: Path, progress: Progress, *,
                             verdict: str | None = None, executor: Executor | None = None) -> KineticsStage:
    """Kinetics of a rate-dependent design: rate-setting fuel plan, formal / fuel-excess / finite-fuel runs, tables.

    ``nn`` is the smoothed-ReLU forward pass; ``executor`` simulates the examples in parallel.
    One unit of network value is ``config.rate_unit_nM``. See :mod:`dsdcompile.kinetics.rate_kinetics`.
    """
    config = replace(config, unit_nM=config.rate_unit_nM)
    crn = system.split_crn
    block: dict = {"formal_crn": "split", "formal_crn_note": FORMAL_CRN_NOTE, "formal_reactions": crn.n_reactions,
                   "modules": system.n_modules, "rate_dependent": True, "sequences": None}
    if verdict == "not-equivalent":
        block["skipped"] = {"implementation": "verification verdict not-equivalent: implementation kinetics skipped",
                            "lab_tables": "no fuel plan"}
        progress.log(f"kinetics: {block['skipped']['implementation']}")
        return KineticsStage(block, [])
    try:
        with progress.stage("kinetics rate-dependent"):
            res = run_rate_kinetics(crn, modules, x, nn, config, progress=progress, executor=executor)
    except InputError as e:
        # no fuel plan sets every rate (e.g. gates would hold all of an input): a finding about
        # this design at these settings, reported in summary.json, not a failed run
        block["skipped"] = {"implementation": f"no rate-setting fuel plan: {e}", "lab_tables": "no fuel plan"}
        progress.log(f"kinetics: {block['skipped']['implementation']}")
        return KineticsStage(block, [])
    summary = rate_summary(res)
    progress.log(f"rate-dependent kinetics ({summary['examples']} examples, τ = {res.plan.time_unit_s:.4g} s, "
                 f"readout {summary['readout_h']:.3g} h): max rel. error {summary['max_rel_error']:.3g} "
                 f"(fuel excess {summary['fuel_excess_max_rel_error']:.3g}), label agreement "
                 f"{summary['label_agreement']:.4g}; fuel {summary['fuel_total_uM']:.4g} µM, "
                 f"{summary['fuel_consumed_fraction']:.3g} of the most used fuel gone at readout")
    class_names = tuple(s.name for s in crn.outputs)
    with progress.stage("kinetics write"):
        files = [Path(p).name for p in write_rate_outputs(res, class_names, out_dir)]
    skipped: dict[str, str] = {}
    files += _lab_tables(system, res.plan, x[:summary["examples"]], nn[:summary["examples"]], config, out_dir,
                         progress, skipped, initial_nM=res.plan.helper_nM)
    block.update(summary)
    block["volume_uL"] = config.volume_uL if "lab_tables" not in skipped else None
    block["config"] = {k: getattr(config, k) for k in ("rate_unit_nM", "rate_time_unit_s", "rate_fuel_max_nM",
                                                      "rate_buffer_min_units", "rate_excess_min_nM",
                                                      "rate_fuel_safety", "rate_max_input_held",
                                                      "rate_readout_rtol")}
    if skipped:
        block["skipped"] = skipped
    return KineticsStage(block, files)


__all__ = ["FORMAL_CRN_NOTE", "KineticsStage", "lab_species", "run_kinetics_stage", "run_rate_dependent_stage"]
