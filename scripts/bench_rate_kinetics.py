"""Benchmark the rate-dependent (anderson2021) kinetics integrator on a shipped design.

Builds the design's DNA implementation (soloveichik2010, real peppercorn enumeration, helper
catalysts), plans rate-setting fuel on the first ``--examples`` test examples at 1 nM per
unit, and integrates the plan's fuel-excess implementation (every fuel held constant, the
run that sizes the fuel) out to 20× the formal settling time, three ways:

- ``smooth``: the plain mass-action polynomial at the default tolerances (what dsdcompile runs);
- ``clipped``: rates clipped at zero (``mass_action(clip=True)``), same tolerances;
- ``strict``: the polynomial at rtol 1e-7 / atol 1e-9 nM, the reference for the outputs.

Prints one JSON object per variant: seconds per example, ratio to ``smooth``, the most
negative concentration (nM) and the largest output difference from ``strict`` (network
units). With ``--units 1,10`` it then also runs the whole rate-dependent check on one
example per unit size and prints τ and the fuel margin.

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

from dsdcompile.config import EnumerationConfig, RateFuelConfig, RunConfig
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
from dsdcompile.simulate import mass_action
from dsdcompile.stages.crn import compile_model, load_examples

DESIGNS = Path(__file__).resolve().parents[1] / "designs"


def _states(crn, rates, c0, grid, *, clip: bool, rtol: float, atol: float) -> tuple[np.ndarray, float, float]:
    """(G, n, species) states, seconds per example and the most negative value of the raw solution."""
    f, jac = mass_action(crn, rates, clip=clip)
    out = np.empty((grid.size, c0.shape[0], crn.n_species))
    lowest = 0.0
    start = time.perf_counter()
    for i, y0 in enumerate(c0):
        sol = solve_ivp(f, (0.0, float(grid[-1])), y0, method="BDF", jac=jac, t_eval=grid, rtol=rtol, atol=atol)
        if sol.status != 0:
            raise RuntimeError(f"example {i}: {sol.message}")
        lowest = min(lowest, float(sol.y.min()))
        out[:, i, :] = sol.y.T
    return out, (time.perf_counter() - start) / c0.shape[0], lowest


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

    config = RateFuelConfig(unit_nM=1.0)
    plan, _ = plan_rates(split, modules, config, x=x)
    tau, u = plan.time_unit_s, plan.unit_nM
    # the fuel-excess run's span, as run_rate_kinetics sets it: 20x the formal CRN's settling time
    grid = log_grid(config.formal_span * tau, tau / 100.0)
    states = integrate(split, real_rate_constants(split, u, tau), split.initial_state(x) * u, grid)
    formal = Trajectories(grid, split.output_values(states) / u, states)
    t_formal = float(settle_time(formal, nn, config.readout_rtol).max(initial=tau))
    excess, _ = fuel_excess_crn(_implementation(split, modules, plan))
    grid = log_grid(config.excess_span * t_formal, tau / 100.0)
    rates = excess.rate_constants(1.0)
    c0 = excess.initial_state(x * u)

    strict, _, _ = _states(excess, rates, c0, grid, clip=False, rtol=1e-7, atol=1e-9)
    reference = excess.output_values(strict) / u
    variants = {"smooth": dict(clip=False, rtol=RTOL, atol=ATOL_NM),
                "clipped": dict(clip=True, rtol=RTOL, atol=ATOL_NM),
                "strict": dict(clip=False, rtol=1e-7, atol=1e-9)}
    base = None
    for name, kw in variants.items():
        states, per_example, lowest = _states(excess, rates, c0, grid, **kw)
        outputs = excess.output_values(states) / u
        base = base or per_example
        print(json.dumps({"design": args.design, "variant": name, "species": excess.n_species,
                          "examples": int(x.shape[0]), "seconds_per_example": round(per_example, 3),
                          "ratio_to_smooth": round(per_example / base, 2), "most_negative_nM": lowest,
                          "max_output_diff_vs_strict": float(np.abs(outputs - reference).max())}))

    for unit in [float(v) for v in args.units.split(",") if v]:
        res = run_rate_kinetics(split, modules, x[:1], nn[:1], replace(config, unit_nM=unit))
        print(json.dumps({"design": args.design, "unit_nM": unit, "examples": 1, "time_unit_s": res.plan.time_unit_s,
                          "readout_h": res.readout_s / 3600.0, "fuel_margin": res.plan.margin}))


if __name__ == "__main__":
    main()
