"""The tube stage: the tube as planned, simulated and read like the plate (after the kinetics stage).

Wiring only: the free strands are enumerated here (peppercorn, on the run's executor) and the
tube is simulated by :func:`dsdcompile.kinetics.planned_tube.simulate_tube`, with the readout
(dyes, wells) of :func:`dsdcompile.lab.plan.readout_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsdcompile.config import EnumerationConfig, ExecutionConfig, KineticsConfig, LabConfig
from dsdcompile.kinetics.planned_tube import TubeResult
from dsdcompile.runtime.progress import Progress


@dataclass(frozen=True)
class TubeSettings:
    """The config sections the tube stage reads: the lab's plan, peppercorn's limits, how tasks run, and the
    example whose fluorescence is plotted."""

    lab: LabConfig = LabConfig()
    enumeration: EnumerationConfig = EnumerationConfig()
    execution: ExecutionConfig = ExecutionConfig()
    plot_example: int = 0


def run_tube_stage(dsd, fuel_nM, x, nn, kcfg: KineticsConfig, settings: TubeSettings, progress: Progress, *,
                   executor=None, worst_nM=None) -> TubeResult:
    """Enumerate the free strands, then simulate and read the three tube variants on the implementation examples.

    ``worst_nM``: the reporters' worst rail amounts when they are planned from a bound, not from the examples."""
    from dsdcompile.dsd.impurities import impurity_modules
    from dsdcompile.kinetics.formal import select_examples
    from dsdcompile.kinetics.planned_tube import simulate_tube
    from dsdcompile.lab.plan import readout_plan

    system, reporters = dsd.system, dsd.reporters
    with progress.stage("tube: free strands"):
        imp = impurity_modules(system, settings.enumeration, execution=settings.execution, executor=executor)
        rep_imp = impurity_modules(reporters.system, settings.enumeration, execution=settings.execution,
                                   executor=executor, fuel_names=reporters.fuel_names())
    progress.log(f"free strands enumerated: {sum(len(m.reactions) for m in imp.modules)} reactions in "
                 f"{system.n_modules} modules (ideal: {sum(len(m.reactions) for m in dsd.modules)})")
    x, nn = select_examples(x, nn, kcfg.implementation_examples)
    result = simulate_tube(system, dsd.modules, reporters, fuel_nM, x, nn, kcfg, settings.lab, impurities=imp,
                           reporter_impurities=rep_imp, readout=readout_plan(reporters, settings.lab),
                           progress=progress, worst_nM=worst_nM)
    progress.log(result.describe())
    return result


__all__ = ["TubeSettings", "run_tube_stage"]
