"""Kinetics of a rate-dependent DSD design: plan rate-setting fuel, check the implementation's quasi-steady outputs.

For anderson2021 output preservation is a kinetic property (the weights are rate
constants), so the check is by simulation, in real units (nM, s):

1. the formal CRN at the plan's real rate constants (:func:`~.rate_fuel.real_rate_constants`),
   as a reference, to its fixed point (σ_ε forward pass);
2. the enumerated implementation with every fuel held constant (fuel excess): its outputs
   settle to a quasi-steady state, which fixes the **readout time** (every output within
   ``rate_readout_rtol`` of its value at the end of the run, worst example) and how much of
   each fuel the run gives up by then; the fuel is sized from that (:func:`.rate_fuel.size_fuel`)
   and this run is repeated with the final plan;
3. the implementation with finite fuel, which is what a tube does: fuel is consumed for
   as long as the tube runs (anderson2021's fixed point has continuous flux), so it has a
   quasi-steady state only, read at 1×, 2× and 5× the readout time to show the drift.

Every run goes through :func:`dsdcompile.sim.engine.simulate` with its BDF back end (one
example per task, the analytic sparse Jacobian, the plain mass-action polynomial with a
clipped fallback): the systems are stiff (gate steps take seconds, the computation hours),
an implementation's gates form strongly connected components far larger than the
Rosenbrock back end takes, and on the formal CRN, where Rosenbrock would apply, BDF is the
faster of the two at these tolerances (see :mod:`dsdcompile.sim.engine`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from dsdcompile.config import RateFuelConfig, SimulationConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.errors import DsdCompileError
from dsdcompile.ir import CRN, Reaction, Role, Species
from dsdcompile.kinetics.formal import select_examples
from dsdcompile.kinetics.implementation import ImplementationCRN, build_implementation_crn
from dsdcompile.kinetics.rate_fuel import RateFuelPlan, plan_rates, real_rate_constants, size_fuel
from dsdcompile.kinetics.result import relative_scale
from dsdcompile.kinetics.t90 import t90_batch
from dsdcompile.runtime.executors import Executor
from dsdcompile.runtime.progress import Progress
from dsdcompile.sim.engine import simulate

READOUT_MULTIPLES = (1.0, 2.0, 5.0)
_PER_DECADE = 12
# BDF tolerances (concentrations in nM): RateFuelConfig.integrate_rtol / integrate_atol_nM. On
# IRIS anderson2021's fuel-excess run (1 nM per unit, 3 examples, scripts/bench_rate_kinetics.py)
# the outputs on the grid differ from rtol 1e-7 / atol 1e-9 by 3.3e-5 units, far inside the 1e-3
# readout tolerance; those strict tolerances take 1.3-2.1x the time (three runs, loaded machine).
RTOL = RateFuelConfig.integrate_rtol
ATOL_NM = RateFuelConfig.integrate_atol_nM


@dataclass(frozen=True, eq=False)
class Trajectories:
    """Outputs (network units) of every example on a time grid (seconds), and the full states at the grid."""

    grid: np.ndarray           # (G,)
    outputs: np.ndarray        # (G, n, k)
    states: np.ndarray         # (G, n, species)


@dataclass(frozen=True, eq=False)
class RateKinetics:
    """Everything a rate-dependent kinetics run produced."""

    plan: RateFuelPlan
    formal_crn: CRN                     # the split CRN the modules implement
    impl_crn: ImplementationCRN
    nn: np.ndarray                      # (n, k) σ_ε forward pass
    formal: Trajectories
    excess: Trajectories                # fuel held constant, final plan
    finite: Trajectories                # finite fuel, final plan
    readout_s: float
    fuel_left: dict[str, float]         # finite run: remaining / supplied at the readout time (worst example)
    wall_s: float

    def at(self, run: Trajectories, t: float) -> np.ndarray:
        """(n, k) outputs at grid time t."""
        return run.outputs[int(np.argmin(np.abs(run.grid - t)))]

    def rel_errors(self, outputs: np.ndarray) -> np.ndarray:
        """(n,) max_k |y_k − σ_ε_k| / max(1, max_k |σ_ε_k|), as dsdcompile's agreement checks."""
        return (np.abs(outputs - self.nn) / relative_scale(self.nn)).max(axis=1)

    def label_agreement(self, outputs: np.ndarray) -> float:
        return float((outputs.argmax(axis=1) == self.nn.argmax(axis=1)).mean())


def log_grid(t_end: float, t_start: float, extra: Sequence[float] = ()) -> np.ndarray:
    """Log-spaced times from t_start to t_end with the ``extra`` times merged in."""
    n = max(int(np.ceil(np.log10(t_end / t_start) * _PER_DECADE)), 1) + 1
    return np.unique(np.concatenate([np.geomspace(t_start, t_end, n), np.asarray(extra, dtype=np.float64)]))


def integrate(crn: CRN, rates: np.ndarray, c0: np.ndarray, grid: np.ndarray, *, rtol: float = RTOL,
              atol: float = ATOL_NM, progress: Progress | None = None, desc: str = "kinetics",
              executor: Executor | None = None) -> np.ndarray:
    """States (G, n, species) at the grid times (seconds, sorted, from 0 on), with the BDF back end of simulate.

    ``executor`` (:func:`dsdcompile.runtime.executors.make_executor`) runs the examples in
    parallel; without one they run here, one after another. ``progress`` shows a bar named
    ``desc``, updated per example. The run ends at ``grid[-1]``, or earlier for an example
    whose relative rate of change falls below ``rtol / grid[-1]`` per second (it then moves
    by less than about ``rtol`` in what is left of the run).
    """
    progress = progress or Progress(quiet=True)
    t_end = float(grid[-1])
    config = SimulationConfig(t_max=t_end, rtol=rtol, atol=atol, steady_rtol=rtol / t_end, backend="bdf")
    with progress.bar(c0.shape[0], desc) as tick:
        try:
            res = simulate(crn, c0, config, rates=rates, times=grid, progress=tick, executor=executor)
        except DsdCompileError as e:
            raise DsdCompileError(f"kinetics ({desc}): {e}") from e
    stopped = ~res.converged & (res.t_final < t_end * (1 - 1e-12))
    if stopped.any():
        raise DsdCompileError(f"kinetics ({desc}): example {int(np.argmax(stopped))} stopped at "
                              f"{res.t_final[stopped][0]:.4g} s of {t_end:.4g} s after {config.max_steps} steps")
    return res.states


def fuel_excess_crn(impl: ImplementationCRN) -> tuple[ImplementationCRN, dict[str, tuple[int, int]]]:
    """The implementation with every fuel held constant, plus counters of what each fuel gives up.

    A fuel a reaction consumes is given back as a product and counted in ``used:<fuel>``; a
    fuel it releases is dropped and counted in ``released:<fuel>``. Returns the CRN and, per
    fuel, the species indices of its (used, released) counters.
    """
    fuels = [s.name for s in impl.species if s.role == Role.FUEL]
    fuel_set = set(fuels)
    counters = {f: (f"used:{f}", f"released:{f}") for f in fuels}
    reactions = []
    for r in impl.reactions:
        products = {n: c for n, c in r.products if n not in fuel_set}
        for n, c in r.reactants:
            if n in fuel_set:
                products[n] = products.get(n, 0) + c
                products[counters[n][0]] = products.get(counters[n][0], 0) + c
        for n, c in r.products:
            if n in fuel_set:
                products[counters[n][1]] = products.get(counters[n][1], 0) + c
        reactions.append(Reaction.make(dict(r.reactants), products, r.rate))
    species = impl.species + tuple(Species(c, Role.WASTE) for pair in counters.values() for c in pair)
    crn = replace(impl, species=species, reactions=tuple(reactions))
    idx = crn.index
    return crn, {f: (idx[u], idx[r]) for f, (u, r) in counters.items()}


def _implementation(crn: CRN, modules: Sequence[ModuleImplementation], plan: RateFuelPlan) -> ImplementationCRN:
    impl = build_implementation_crn(crn, modules, plan.fuel_nM, unit_nM=plan.unit_nM)
    initial = [(name, plan.helper_nM.get(name, v)) for name, v in impl.initial]
    return replace(impl, initial=tuple(initial))


def _run(crn: ImplementationCRN, x: np.ndarray, grid: np.ndarray, config: RateFuelConfig, progress: Progress,
         desc: str, executor: Executor | None) -> Trajectories:
    u = config.unit_nM
    states = integrate(crn, crn.rate_constants(1.0), crn.initial_state(x * u), grid, rtol=config.integrate_rtol,
                       atol=config.integrate_atol_nM, progress=progress, desc=desc, executor=executor)
    return Trajectories(grid, crn.output_values(states) / u, states)


def settle_time(run: Trajectories, reference: np.ndarray, rtol: float) -> np.ndarray:
    """(n,) the grid time after which every output stays within rtol·max(|ref|, 1) of ``reference`` (n, k)."""
    return t90_batch(run.grid, run.outputs, reference, fraction=rtol, floor=1.0)


def run_rate_kinetics(crn: CRN, modules: Sequence[ModuleImplementation], x: np.ndarray, nn: np.ndarray,
                      config: RateFuelConfig = RateFuelConfig(), *, examples: int = -1,
                      plan: RateFuelPlan | None = None, progress: Progress | None = None,
                      executor: Executor | None = None) -> RateKinetics:
    """Plan rate-setting fuel for ``crn`` (the split CRN the modules implement) and check it by simulation.

    ``x`` are network inputs (examples × inputs; the first ``examples`` run, all if negative),
    ``nn`` the σ_ε forward pass. With ``plan``
    given (already sized, e.g. deliberately wrong), planning is skipped and its readout time used.
    ``progress`` takes the stage messages and a bar per run; ``executor`` runs the examples of
    each run in parallel (see :func:`integrate`).
    """
    progress = progress or Progress(quiet=True)
    log = progress.log
    start = time.perf_counter()
    x, nn = select_examples(x, nn, examples)
    u = config.unit_nM
    if plan is None:
        plan, planner = plan_rates(crn, modules, config, x=x)
        log(f"rate fuel: time unit τ = {plan.time_unit_s:.4g} s; inputs held by gates at most "
            f"{max((h / (1 + h) for c, h in plan.held.items() if c not in plan.helper_nM), default=0):.3g}")
    else:
        planner = None
    tau = plan.time_unit_s

    formal_rates = real_rate_constants(crn, u, tau)
    grid = log_grid(config.formal_span * tau, tau / 100.0)
    states = integrate(crn, formal_rates, crn.initial_state(x) * u, grid, rtol=config.integrate_rtol,
                       atol=config.integrate_atol_nM, progress=progress, desc="formal CRN (real rates)",
                       executor=executor)
    formal = Trajectories(grid, crn.output_values(states) / u, states)
    t_formal = float(settle_time(formal, nn, config.readout_rtol).max(initial=tau))

    for round_ in range(config.plan_rounds if planner is not None else 0):
        # what the plan's fuel-excess run consumes by its readout time sizes the fuel; sizing
        # changes how much the gates hold and so the readout time: a second round settles it
        excess_crn, counters = fuel_excess_crn(_implementation(crn, modules, plan))
        grid = log_grid(config.excess_span * t_formal, tau / 100.0)
        excess = _run(excess_crn, x, grid, config, progress, f"fuel plan, round {round_ + 1}/{config.plan_rounds}",
                      executor)
        readout = float(settle_time(excess, excess.outputs[-1], config.readout_rtol).max(initial=tau))
        if readout > grid[-1] / 2:
            log(f"rate fuel: the fuel-excess run settles late ({readout / 3600:.3g} h of {grid[-1] / 3600:.3g} h)")
        plan = size_fuel(plan, planner, _consumed(excess, counters, readout), readout)
        log(f"rate fuel: readout {readout / 3600:.3g} h; {len(plan.fuel_nM)} fuels, "
            f"{sum(plan.fuel_nM.values()) / 1000:.4g} µM in all, margin {plan.margin:.3g}")
    readout = plan.readout_s
    impl = _implementation(crn, modules, plan)
    excess_crn, counters = fuel_excess_crn(impl)
    times = [m * readout for m in READOUT_MULTIPLES]
    grid = log_grid(max(times), tau / 100.0, times)
    excess = _run(excess_crn, x, grid, config, progress, "implementation, fuel excess", executor)
    finite = _run(impl, x, grid, config, progress, "implementation, finite fuel", executor)
    at = int(np.argmin(np.abs(grid - readout)))
    idx = impl.index
    left = {f: float(finite.states[at, :, idx[f]].min() / c) for f, c in plan.fuel_nM.items() if c > 0}
    return RateKinetics(plan, crn, impl, nn, formal, excess, finite, readout, left, time.perf_counter() - start)


def _consumed(run: Trajectories, counters: dict[str, tuple[int, int]], t: float) -> dict[str, float]:
    """nM of each fuel given up by time t, worst example (used − released, at least 0)."""
    at = int(np.searchsorted(run.grid, t))
    at = min(at, run.grid.size - 1)
    return {f: float(max((run.states[at, :, u] - run.states[at, :, r]).max(initial=0.0), 0.0))
            for f, (u, r) in counters.items()}


__all__ = ["READOUT_MULTIPLES", "RateKinetics", "Trajectories", "fuel_excess_crn", "integrate",
           "log_grid", "run_rate_kinetics", "settle_time"]
