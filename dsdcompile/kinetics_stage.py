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
``KineticsConfig.max_modules`` modules, for rate-dependent constructions (the exact
evaluator cannot plan their fuel) and, for implementation kinetics, when verification found
the modules not equivalent. Wall-clock times go to ``progress.timings`` only, so the files
written here are identical between runs.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from dsdcompile.progress import Progress

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


def lab_species(system: DSDSystem, plan: FuelPlan, unit_nM: float) -> list[LabSpecies]:
    """LabSpecies rows of a DSD system: input signals, initially present signals (role helper, e.g. biases)
    at unit_nM × their value, every fuel complex at its planned concentration, and output signals to read."""
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
            rows[name] = signal(name, "helper", v * unit_nM)
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
                       verdict: str | None = None, rate_dependent: bool = False) -> KineticsStage:
    """Run formal kinetics, fuel plan, implementation kinetics, leak sweep and lab tables into ``out_dir``.

    ``x`` are the examples' network inputs and ``nn`` the reference outputs (the network's, or
    the exact CRN limit's). ``verdict`` is the verification verdict: implementation kinetics
    are skipped for "not-equivalent" modules.
    """
    out_dir = Path(out_dir)
    crn = system.split_crn
    large = system.n_modules > config.max_modules
    skipped: dict[str, str] = {}
    if large:
        skipped["implementation"] = skipped["lab_tables"] = (
            f"{system.n_modules} modules > max_modules {config.max_modules}: fuel plan, implementation kinetics "
            "and wet-lab tables skipped")
    elif rate_dependent:
        skipped["implementation"] = skipped["lab_tables"] = (
            "rate-dependent construction: the exact evaluator cannot plan fuel, and fuel sets each module's rate")
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
        with progress.stage("lab tables"):
            expected = nn.argmax(axis=1)
            examples = lab_examples(crn, x, expected=expected)
            try:
                written = write_lab_tables(lab_species(system, plan, config.unit_nM), examples, out_dir, config,
                                           sequences=None)
            except InputError as e:
                # a design whose DNA does not fit the tube is a finding to report, not a failed run
                skipped["lab_tables"] = str(e)
                progress.log(f"lab tables: not written: {e}")
                written = []
            files += [Path(p).name for p in written]
        if written and "plate.xlsx" not in files:
            progress.log("lab tables: plate.xlsx not written (pip install 'dsdcompile[lab]' for openpyxl)")

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


__all__ = ["FORMAL_CRN_NOTE", "KineticsStage", "lab_species", "run_kinetics_stage"]
