"""Writes a kinetics run into a design folder: per-example CSV, fuel and leak tables, plots."""

from __future__ import annotations

from pathlib import Path

from dsdcompile.kinetics.fuel import FuelPlan
from dsdcompile.kinetics.leak import LeakSweep
from dsdcompile.kinetics.plots import plot_leak_sweep, plot_rate_draws, plot_t90, plot_trajectories
from dsdcompile.kinetics.result import KineticsResult
from dsdcompile.runtime.files import number, write_csv


def _example_columns(res: KineticsResult | None, e: int, k: int) -> list[str]:
    if res is None or e >= res.n_examples:
        return [""] * (k + 3)
    t90 = "" if res.t90 is None else number(res.t90[e] / 3600.0)
    return ([number(v) for v in res.outputs[0, e]] + [res.class_names[res.labels[0, e]], t90,
                                                   number(res.rel_errors[0, e])])


def write_kinetics_outputs(formal: KineticsResult, impl: KineticsResult | None, out_dir: str | Path, *,
                           fuel_plan: FuelPlan | None = None, leak: LeakSweep | None = None) -> list[str]:
    """Write kinetics.csv (one row per example), kinetics_draws.csv, fuel.csv, leak.csv and PNG plots.

    kinetics.csv columns: example, network class and outputs, then per CRN (``formal_`` for
    rate draw 0, ``implementation_``) its final outputs, class, t90 in hours and relative
    error; ``formal_draw_deviation`` is the spread over the rate draws. Returns the paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(formal.class_names)
    k = len(names)
    written: list[Path] = []

    header = ["example", "network_class"] + [f"network_{c}" for c in names]
    for prefix in ("formal", "implementation"):
        header += [f"{prefix}_{c}" for c in names] + [f"{prefix}_class", f"{prefix}_t90_h", f"{prefix}_rel_error"]
    header.append("formal_draw_deviation")
    deviation = formal.draw_deviation
    rows = []
    for e in range(formal.n_examples):
        rows.append([e, names[formal.nn_labels[e]]] + [number(v) for v in formal.nn[e]]
                    + _example_columns(formal, e, k) + _example_columns(impl, e, k)
                    + [number(deviation[e])])
    write_csv(out / "kinetics.csv", header, rows)
    written.append(out / "kinetics.csv")

    draws = [[d, e, names[j], number(formal.outputs[d, e, j]), number(formal.t_final[d, e] / 3600.0),
              int(formal.converged[d, e])]
             for d in range(formal.draws) for e in range(formal.n_examples) for j in range(k)]
    write_csv(out / "kinetics_draws.csv", ["draw", "example", "class", "output", "t_final_h", "converged"], draws)
    written.append(out / "kinetics_draws.csv")

    if fuel_plan is not None:
        fuel_rows = [[f, number(c), number(fuel_plan.needed_nM[f]),
                      number(c / fuel_plan.needed_nM[f]) if fuel_plan.needed_nM[f] > 0 else ""]
                     for f, c in sorted(fuel_plan.fuel_nM.items())]
        write_csv(out / "fuel.csv", ["fuel", "supplied_nM", "worst_case_need_nM", "margin"], fuel_rows)
        written.append(out / "fuel.csv")
    if leak is not None:
        rows = [[number(r["leak_per_M_s"]), r["correct"], r["examples"], number(r["fraction_correct"]),
                 number(r["max_rel_error"])] for r in leak.rows()]
        write_csv(out / "leak.csv", ["leak_per_M_s", "correct", "examples", "fraction_correct", "max_rel_error"],
                   rows)
        plot_leak_sweep(leak, out / "kinetics_leak.png")
        written += [out / "leak.csv", out / "kinetics_leak.png"]

    if plot_trajectories(formal, impl, out / "kinetics_trajectories.png"):
        written.append(out / "kinetics_trajectories.png")
    if plot_t90(formal, impl, out / "kinetics_t90.png"):
        written.append(out / "kinetics_t90.png")
    if plot_rate_draws(formal, out / "kinetics_rate_draws.png"):
        written.append(out / "kinetics_rate_draws.png")
    return [str(p) for p in written]
