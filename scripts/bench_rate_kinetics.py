"""Benchmark the simulator's back ends on the rate-dependent (anderson2021) kinetics of a shipped design.

Builds the design's DNA implementation (soloveichik2010, real peppercorn enumeration, helper
catalysts) and plans rate-setting fuel on the first ``--examples`` test examples at 1 nM per
unit, as :func:`dsdcompile.kinetics.rate_kinetics.run_rate_kinetics` does. Then, in this process:

1. the plan's fuel-excess implementation (every fuel held constant, the run that sizes the
   fuel; its gates form strongly connected components too large for Rosenbrock, so only
   BDF runs it), out to 20× the formal settling time:

   - ``bdf``: ``simulate(backend="bdf")`` at rate_kinetics' tolerances, sampled on its grid
     (the plain mass-action polynomial, clipped only where that fails: what dsdcompile runs);
   - ``old-clipped-bdf``: the generic path simulate had before, kept here as the baseline:
     ``solve_ivp(BDF)`` on rates clipped at zero with the steady-state event, same tolerances;
   - ``bdf-strict``: ``bdf`` at rtol 1e-7 / atol 1e-9 nM, the reference for the outputs;

2. the formal CRN at the plan's real rate constants (feed-forward, small components), out to
   500 τ on rate_kinetics' grid, with ``simulate(backend="rosenbrock")`` and ``backend="bdf"``
   at rate_kinetics' tolerances, and ``bdf-strict`` as the reference.

Prints one JSON object per run: seconds per example, the ratio to the first run of its
group, the most negative concentration of the old path's raw solution (nM; simulate returns
states clipped at 0, so null there) and the largest output difference from the reference
(network units) at the end of the run and, for runs sampled on the grid, at every grid time. With
``--units 1,10`` it then also runs the whole rate-dependent check on one example per unit
size and prints τ and the fuel margin.

Example: ``python scripts/bench_rate_kinetics.py --design iris_anderson2021 --examples 3 --units 1,10``
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

from dsdcompile.config import EnumerationConfig, RateFuelConfig, RunConfig, SimulationConfig
from dsdcompile.dsd.enumerate import enumerate_modules
from dsdcompile.dsd.translate import translate
from dsdcompile.kinetics.formal import select_examples
from dsdcompile.kinetics.rate_fuel import plan_rates, real_rate_constants
from dsdcompile.kinetics.rate_kinetics import (
    ATOL_NM,
    RTOL,
    Trajectories,
    _implementation,
    fuel_excess_crn,
    integrate,
    log_grid,
    run_rate_kinetics,
    settle_time,
)
from dsdcompile.passes.helper_catalysts import add_helper_catalysts
from dsdcompile.sim.engine import mass_action, simulate
from dsdcompile.sim.rosenbrock import species_levels
from dsdcompile.stages.crn import compile_model, load_examples

DESIGNS = Path(__file__).resolve().parents[1] / "designs"
STRICT = dict(rtol=1e-7, atol=1e-9)


def _old_clipped_bdf(crn, rates, c0, cfg: SimulationConfig) -> tuple[np.ndarray, float]:
    """Final states and the most negative value of simulate's former generic path (clipped rates, BDF)."""
    f, jac = mass_action(crn, rates)

    def steady(t: float, c: np.ndarray) -> float:
        return float(np.max(np.abs(f(0.0, c)) / np.maximum(np.abs(c), cfg.atol))) - cfg.steady_rtol

    steady.terminal = True  # type: ignore[attr-defined]
    steady.direction = -1  # type: ignore[attr-defined]
    final, lowest = np.empty_like(c0), 0.0
    for i, y0 in enumerate(c0):
        sol = solve_ivp(f, (0.0, cfg.t_max), y0, method="BDF", jac=jac, rtol=cfg.rtol, atol=cfg.atol, events=steady)
        if sol.status < 0:
            raise RuntimeError(f"example {i}: {sol.message}")
        final[i], lowest = np.maximum(sol.y[:, -1], 0.0), min(lowest, float(sol.y.min()))
    return final, lowest


def _timed(fn) -> tuple[object, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _diff(crn, a: np.ndarray | None, b: np.ndarray, unit: float) -> float | None:
    return None if a is None else float(np.abs(crn.output_values(a) - crn.output_values(b)).max() / unit)


def _group(label: str, crn, runs: dict, reference, unit: float, n: int, extra: dict) -> None:
    """Print one JSON line per run of a group.

    ``runs`` maps a name to (result, seconds, lowest): a SimulationResult, or the final states
    of the old path; ``reference`` is the strict run's SimulationResult, sampled on the grid.
    """
    base = None
    for name, (res, seconds, lowest) in runs.items():
        base = base or seconds
        final, states = (res, None) if isinstance(res, np.ndarray) else (res.final, res.states)
        print(json.dumps({**extra, "crn": label, "species": crn.n_species, "variant": name, "examples": n,
                          "seconds_per_example": round(seconds / n, 3), "ratio_to_first": round(seconds / base, 3),
                          "most_negative_nM": lowest,
                          "final_output_diff_vs_strict": _diff(crn, final, reference.final, unit),
                          "grid_output_diff_vs_strict": _diff(crn, states, reference.states, unit)}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default="iris_anderson2021")
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--units", default="", help="comma-separated nM per unit for the τ / margin check")
    args = ap.parse_args()

    folder = DESIGNS / args.design
    run = RunConfig()
    compiled = compile_model(folder / "model.pt", run)
    ex = load_examples(folder / "test.csv", compiled)
    crn = add_helper_catalysts(compiled.formal)
    system = translate(crn, "soloveichik2010")
    modules = enumerate_modules(system, EnumerationConfig())
    split = system.split_crn
    x, nn = select_examples(ex.x, compiled.forward(ex.x), args.examples)
    n = x.shape[0]
    info = {"design": args.design}

    config = RateFuelConfig(unit_nM=1.0)
    plan, _ = plan_rates(split, modules, config, x=x)
    tau, u = plan.time_unit_s, plan.unit_nM

    # the formal CRN at real rates, as run_rate_kinetics runs it first
    formal_rates = real_rate_constants(split, u, tau)
    grid = log_grid(config.formal_span * tau, tau / 100.0)
    c0 = split.initial_state(x) * u
    cfg = SimulationConfig(t_max=float(grid[-1]), rtol=RTOL, atol=ATOL_NM, steady_rtol=RTOL / grid[-1])
    runs = {}
    for name, c in (("rosenbrock", replace(cfg, backend="rosenbrock")), ("bdf", replace(cfg, backend="bdf")),
                    ("bdf-strict", replace(cfg, backend="bdf", **STRICT))):
        res, seconds = _timed(lambda c=c: simulate(split, c0, c, rates=formal_rates, times=grid))
        runs[name] = (res, seconds, None)
    strict = runs["bdf-strict"][0]
    _group("formal", split, runs, strict, u, n, {**info, "max_block": int(species_levels(split)[1].max())})

    # the fuel-excess implementation out to 20x the formal settling time, as run_rate_kinetics sizes fuel
    states = integrate(split, formal_rates, c0, grid)
    formal = Trajectories(grid, split.output_values(states) / u, states)
    t_formal = float(settle_time(formal, nn, config.readout_rtol).max(initial=tau))
    excess, _ = fuel_excess_crn(_implementation(split, modules, plan))
    grid = log_grid(config.excess_span * t_formal, tau / 100.0)
    rates = excess.rate_constants(1.0)
    c0 = excess.initial_state(x * u)
    cfg = SimulationConfig(t_max=float(grid[-1]), rtol=RTOL, atol=ATOL_NM, steady_rtol=RTOL / grid[-1],
                           backend="bdf")
    res, seconds = _timed(lambda: simulate(excess, c0, cfg, rates=rates, times=grid))
    runs = {"bdf": (res, seconds, None)}
    (final, lowest), seconds = _timed(lambda: _old_clipped_bdf(excess, rates, c0, cfg))
    runs["old-clipped-bdf"] = (final, seconds, lowest)
    strict, seconds = _timed(lambda: simulate(excess, c0, replace(cfg, **STRICT), rates=rates, times=grid))
    runs["bdf-strict"] = (strict, seconds, None)
    _group("fuel-excess implementation", excess, runs, strict, u, n,
           {**info, "max_block": int(species_levels(excess)[1].max()), "clipped_fallbacks": int(res.clipped.sum())})

    for unit in [float(v) for v in args.units.split(",") if v]:
        res = run_rate_kinetics(split, modules, x[:1], nn[:1], replace(config, unit_nM=unit))
        print(json.dumps({**info, "unit_nM": unit, "examples": 1, "time_unit_s": res.plan.time_unit_s,
                          "readout_h": res.readout_s / 3600.0, "fuel_margin": res.plan.margin}))


if __name__ == "__main__":
    main()
