"""Writes a rate-dependent kinetics run: per-example outputs and drift, the rate each fuel sets, the summary block."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dsdcompile.kinetics.rate_fuel import BUFFER, GATE
from dsdcompile.kinetics.rate_kinetics import READOUT_MULTIPLES, RateKinetics
from dsdcompile.kinetics.units import NM_PER_M, SECONDS_PER_HOUR
from dsdcompile.runtime.files import number, write_csv

RATE_NOTE = ("rate-dependent construction: each module's gate/buffer ratio sets its rate constant k·u^(1-n)/τ "
             "(u = unit_nM, τ = time_unit_s); outputs are read at readout_h from the implementation with finite "
             "fuel and compared with the smoothed-ReLU forward pass; fuel is used for as long as the tube runs, "
             "so the outputs drift after the readout (max_rel_error_2x, _5x)")



def _tag(m: float) -> str:
    return "" if m == 1.0 else f"_{m:g}x"


def rate_unit(order: int) -> tuple[float, str]:
    """Factor from nM^(1-n)/s to the usual unit, and its name."""
    return {0: (1.0 / NM_PER_M, "M/s"), 1: (1.0, "/s"), 2: (NM_PER_M, "/M/s")}.get(order, (1.0, f"/nM^{order - 1}/s"))


def rate_summary(res: RateKinetics) -> dict:
    """The ``kinetics`` block of summary.json for a rate-dependent design."""
    plan = res.plan
    out: dict = {"rate_dependent": True, "note": RATE_NOTE, "time_unit_s": plan.time_unit_s,
                 "readout_h": res.readout_s / SECONDS_PER_HOUR, "unit_nM": plan.unit_nM,
                 "examples": int(res.nn.shape[0])}
    for m in READOUT_MULTIPLES:
        y = res.at(res.finite, m * res.readout_s)
        out[f"max_rel_error{_tag(m)}"] = float(res.rel_errors(y).max(initial=0.0))
        out[f"label_agreement{_tag(m)}"] = res.label_agreement(y)
    for name, run in (("fuel_excess", res.excess), ("formal", res.formal)):
        y = res.at(run, res.readout_s)
        out[f"{name}_max_rel_error"] = float(res.rel_errors(y).max(initial=0.0))
        out[f"{name}_label_agreement"] = res.label_agreement(y)
    left = res.fuel_left
    out.update({
        # the keys the rate-independent path also has, with the same meaning
        "implementation_label_agreement": out["label_agreement"],
        "implementation_max_rel_error": out["max_rel_error"],
        "implementation_examples": out["examples"],
        "fuel_consumed_fraction": float(max((1.0 - v for v in left.values()), default=0.0)),
        "fuel_margin": None if not np.isfinite(plan.margin) else float(plan.margin),
        "fuel_total_uM": float(sum(plan.fuel_nM.values()) / 1000.0),
        "fuels": len(plan.fuel_nM),
        "inputs_held_max": float(max((h / (1.0 + h) for c, h in plan.held.items() if c not in plan.helper_nM),
                                     default=0.0)),
        "helper_nM": {h: float(v) for h, v in plan.helper_nM.items()},
        "implementation_reactions": res.impl_crn.n_reactions,
        "implementation_species": res.impl_crn.n_species,
    })
    return out



def write_rate_outputs(res: RateKinetics, class_names: tuple[str, ...], out_dir: str | Path) -> list[str]:
    """kinetics.csv (per example: network, formal, fuel-excess and finite-fuel outputs with drift), fuel.csv, plot."""
    from dsdcompile.kinetics.plots import plot_rate_trajectories

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(class_names)
    nn_cls = res.nn.argmax(axis=1)
    header = ["example", "network_class"] + [f"network_{c}" for c in names]
    columns = []
    for prefix, run, m in ([("formal", res.formal, 1.0), ("fuel_excess", res.excess, 1.0)]
                           + [(f"implementation{_tag(m)}", res.finite, m) for m in READOUT_MULTIPLES]):
        y = res.at(run, m * res.readout_s)
        header += [f"{prefix}_{c}" for c in names] + [f"{prefix}_class", f"{prefix}_rel_error"]
        columns.append((y, res.rel_errors(y)))
    rows = []
    for e in range(res.nn.shape[0]):
        row = [e, names[nn_cls[e]]] + [number(v) for v in res.nn[e]]
        for y, err in columns:
            row += [number(v) for v in y[e]] + [names[int(y[e].argmax())], number(err[e])]
        rows.append(row)
    write_csv(out / "kinetics.csv", header, rows)

    plan = res.plan
    fuel_rows = []
    for f in sorted(plan.fuel_nM):
        role = plan.roles[f]
        j = role.module
        reaction = res.formal_crn.reactions[j]
        factor, unit = rate_unit(reaction.order)
        target = plan.target[j] * plan.compensation[j] * factor
        if role.role == GATE:
            sets = f"k_eff = {target:.4g} {unit} (formal k = {reaction.rate:g})"
        elif role.role == BUFFER:
            sets = "k_eff with the gate (gate/buffer ratio)"
        else:
            sets = "none (in excess)"
        consumed = plan.consumed_nM.get(f, 0.0)
        fuel_rows.append([f, j, str(reaction), role.role, number(role.exponent), sets, number(plan.fuel_nM[f]),
                          number(consumed), number(plan.fuel_nM[f] / consumed) if consumed > 0 else "",
                          number(res.fuel_left.get(f))])
    write_csv(out / "fuel.csv", ["fuel", "module", "reaction", "role", "rate_exponent", "sets", "supplied_nM",
                                  "consumed_at_readout_nM", "margin", "left_at_readout"], fuel_rows)
    written = [out / "kinetics.csv", out / "fuel.csv"]
    if plot_rate_trajectories(res, names, out / "kinetics_trajectories.png"):
        written.append(out / "kinetics_trajectories.png")
    return [str(p) for p in written]


__all__ = ["RATE_NOTE", "rate_summary", "rate_unit", "write_rate_outputs"]
