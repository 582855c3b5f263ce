"""The agreement stage: the network's outputs against the CRN's exact limit and its simulated ODEs, per example."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dsdcompile.config import AgreementConfig, SimulationConfig
from dsdcompile.errors import NotFeedForward
from dsdcompile.runtime.files import CsvWriter
from dsdcompile.runtime.progress import Progress
from dsdcompile.stages.crn import CRNResult

if TYPE_CHECKING:
    from dsdcompile.sim.convergence import Convergence


@dataclass(frozen=True, eq=False)
class Agreement:
    """Per-example outputs of the network, the exact CRN limit and the ODE simulation, and their summary."""

    class_names: tuple[str, ...]
    labels: np.ndarray | None
    nn: np.ndarray | None            # (n, outputs) network outputs
    exact: dict[str, np.ndarray]     # CRN name → (n, outputs) exact limit outputs
    ode_index: np.ndarray            # which examples were simulated
    ode: np.ndarray | None           # (m, outputs)
    ode_t: np.ndarray | None         # (m,) time to steady state
    ode_converged: np.ndarray | None
    trajectory: tuple[np.ndarray, np.ndarray] | None  # (times, outputs over time) for the plotted example
    summary: dict = field(default_factory=dict)
    convergence: Convergence | None = None  # rate-dependent CRNs: settle times from random initial states
    n_examples: int = 0
    plot_example: int = 0
    ode_crn: str = "formal"
    x: np.ndarray | None = None  # the examples' network inputs

    @property
    def reference(self) -> np.ndarray | None:
        """What the CRN must compute: the network's outputs, else (a CRN file) the exact limit."""
        return self.nn if self.nn is not None else self.exact.get("formal")

    def to_summary(self) -> dict:
        """summary.json's ``agreement`` block."""
        return dict(self.summary)

    def describe(self) -> list[str]:
        """Lines for the command line."""
        a, lines = self.summary, []
        if a.get("max_abs_error") is not None:
            lines.append(f"exact CRN = NN on {a['examples']} examples: label agreement "
                         f"{a.get('exact_label_agreement')}, max |error| {a['max_abs_error']:.3g}")
        if "ode_label_agreement" in a:
            lines.append(f"ODE on {a['ode_examples']} examples: label agreement {a['ode_label_agreement']}, "
                         f"max relative error {a['ode_max_rel_error']:.3g}")
        if "nn_accuracy" in a:
            lines.append(f"NN accuracy {a['nn_accuracy']:.4f}")
        return lines


def _scale(reference: np.ndarray) -> np.ndarray:
    return np.maximum(1.0, np.abs(reference).max(axis=1, keepdims=True))


def check_agreement(crn: CRNResult, x: np.ndarray, labels: np.ndarray | None, agreement: AgreementConfig,
                    simulation: SimulationConfig, progress: Progress | None = None, *, plot_example: int = 0,
                    simulate_fn: Callable | None = None) -> Agreement:
    """Compare network, exact CRN limit and ODE simulation on examples ``x`` (network inputs).

    ``agreement`` sets the tolerances and the ODE examples, ``simulation`` the simulator;
    ``plot_example`` is the example whose trajectory is recorded.
    """
    progress = progress or Progress(quiet=True)
    n = x.shape[0]
    nn = crn.forward(x)
    construction = crn.construction
    exact = _exact_limits(crn, x, progress)
    reference = nn if nn is not None else exact.get("formal")
    cfg = agreement
    sim_config = simulation if construction is None else construction.simulation(simulation, cfg)
    m = n if cfg.ode_examples < 0 else min(n, cfg.ode_examples)
    plot_i = min(max(plot_example, 0), n - 1) if n else 0
    ode = ode_t = ode_conv = trajectory = None
    with progress.stage("ode"):
        if n:
            ode, ode_t, ode_conv, trajectory = _ode(crn, x, m, plot_i, cfg, sim_config, progress, simulate_fn)

    summary: dict = {"examples": int(n), "construction": construction.name if construction is not None else None}
    if reference is not None and n:
        summary.update(_exact_summary(exact, reference, cfg))
    summary["ode_examples"] = int(m)
    summary["ode_crn"] = cfg.ode_crn
    if ode is not None and reference is not None and m:
        ode_tol = construction.ode_tolerance(cfg) if construction is not None else cfg.ode_rtol
        summary.update(_ode_summary(ode, ode_t, ode_conv, reference[:m], ode_tol))
    convergence = None
    if crn.rate_dependent and n:
        from dsdcompile.sim.convergence import random_start_convergence

        with progress.stage("convergence"):
            convergence = random_start_convergence(crn.formal, x[plot_i], sim_config, starts=cfg.random_starts,
                                                   seed=cfg.random_start_seed)
        summary["fixed_point"] = convergence.summary()
    if labels is not None and n:
        if nn is not None:
            summary["nn_accuracy"] = float((nn.argmax(axis=1) == labels).mean())
        for name, out in exact.items():
            summary[f"{name}_crn_accuracy"] = float((out.argmax(axis=1) == labels).mean())
    return Agreement(crn.class_names, labels, nn, exact, np.arange(m), ode, ode_t, ode_conv, trajectory, summary,
                     convergence, int(n), plot_i, cfg.ode_crn, x)


def _exact_limits(crn: CRNResult, x: np.ndarray, progress: Progress) -> dict[str, np.ndarray]:
    """Every CRN's exact limit outputs (a rate-dependent CRN has none: only its ODE fixed point is checked)."""
    from dsdcompile.crn.evaluate import ExactEvaluator

    exact: dict[str, np.ndarray] = {}
    with progress.stage("exact"):
        for name, c in ({} if crn.rate_dependent else crn.crns()).items():
            try:
                ev = ExactEvaluator(c)
            except NotFeedForward as e:
                progress.log(f"exact evaluation of the {name} CRN skipped: {e}")
                continue
            with progress.bar(x.shape[0], f"exact limit ({name})") as update:
                exact[name] = ev.outputs(x, progress=update)
    return exact


def _ode(crn: CRNResult, x: np.ndarray, m: int, plot_i: int, cfg: AgreementConfig, sim_config, progress: Progress,
         simulate_fn: Callable | None):
    """(outputs, times to steady state, converged, trajectory) of the first ``m`` examples' ODEs; the trajectory
    is the plotted example's (simulated too when it is not among the first ``m``)."""
    if simulate_fn is None:
        from dsdcompile.sim.engine import simulate as simulate_fn
    ode_crn = crn.crns().get(cfg.ode_crn, crn.formal)
    in_batch = plot_i < m
    index = np.arange(m) if in_batch else np.append(np.arange(m), plot_i)
    c0 = ode_crn.initial_state(x[index])
    with progress.bar(len(index), f"ODE ({cfg.ode_crn} CRN)") as update:
        result = simulate_fn(ode_crn, c0, sim_config, record=plot_i if in_batch else len(index) - 1, progress=update)
    outs = ode_crn.output_values(result.final)
    trajectory = None
    if result.trajectory is not None:
        trajectory = (result.times, ode_crn.output_values(result.trajectory))
    return outs[:m], result.t_final[:m], result.converged[:m], trajectory


def _exact_summary(exact: dict[str, np.ndarray], reference: np.ndarray, cfg: AgreementConfig) -> dict:
    ref_cls = reference.argmax(axis=1)
    agree = [float((out.argmax(axis=1) == ref_cls).mean()) for out in exact.values()]
    errs = [float(np.abs(out - reference).max()) for out in exact.values()]
    rel = [float((np.abs(out - reference) / _scale(reference)).max()) for out in exact.values()]
    return {
        "exact_label_agreement": min(agree) if agree else None,
        "max_abs_error": max(errs) if errs else None,
        "max_rel_error": max(rel) if rel else None,
        "exact_within_tolerance": bool(rel and max(rel) <= cfg.exact_rtol),
        "exact_rtol": cfg.exact_rtol,
    }


def _ode_summary(ode: np.ndarray, ode_t: np.ndarray, ode_conv: np.ndarray, ref: np.ndarray, ode_tol: float) -> dict:
    ode_rel = np.abs(ode - ref) / _scale(ref)
    return {
        "ode_label_agreement": float((ode.argmax(axis=1) == ref.argmax(axis=1)).mean()),
        "ode_max_abs_error": float(np.abs(ode - ref).max()),
        "ode_max_rel_error": float(ode_rel.max()),
        "ode_within_tolerance": bool(ode_rel.max() <= ode_tol),
        "ode_rtol": ode_tol,
        "ode_converged": int(ode_conv.sum()),
        "ode_time_to_steady_state_median": float(np.median(ode_t)),
        "ode_time_to_steady_state_max": float(np.max(ode_t)),
    }


def write_examples_table(path: Path, agreement: Agreement) -> None:
    """One row per example: label, predicted classes and every output of NN, exact CRN and ODE."""
    names = list(agreement.class_names)
    ode_pos = {int(i): k for k, i in enumerate(agreement.ode_index)}
    header = ["example", "label"]
    if agreement.nn is not None:
        header += ["nn_class"] + [f"nn_{c}" for c in names]
    for crn_name in agreement.exact:
        header += [f"{crn_name}_class"] + [f"{crn_name}_{c}" for c in names]
    header += ["ode_class"] + [f"ode_{c}" for c in names] + ["ode_time_to_steady_state", "ode_converged"]

    def fmt(v: float) -> str:
        return f"{v:.10g}"

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = CsvWriter(f)
        w.writerow(header)
        for i in range(agreement.n_examples):
            row: list[str] = [str(i), names[agreement.labels[i]] if agreement.labels is not None else ""]
            if agreement.nn is not None:
                row += [names[int(agreement.nn[i].argmax())]] + [fmt(v) for v in agreement.nn[i]]
            for out in agreement.exact.values():
                row += [names[int(out[i].argmax())]] + [fmt(v) for v in out[i]]
            k = ode_pos.get(i)
            if k is not None and agreement.ode is not None:
                row += [names[int(agreement.ode[k].argmax())]] + [fmt(v) for v in agreement.ode[k]]
                row += [fmt(agreement.ode_t[k]), str(bool(agreement.ode_converged[k]))]
            else:
                row += [""] * (len(names) + 3)
            w.writerow(row)


def write_agreement_files(agreement: Agreement, folder: Path, crn: CRNResult) -> list[str]:
    """examples.csv, trajectory.png (the plotted example) and, for rate-dependent CRNs, convergence.png."""
    from dsdcompile.runtime.plots import plot_convergence_times, plot_output_trajectories

    write_examples_table(folder / "examples.csv", agreement)
    files = ["examples.csv"]
    i = agreement.plot_example
    if agreement.trajectory is not None:
        times, outs = agreement.trajectory
        expected = agreement.nn[i] if agreement.nn is not None else None
        label = f", label {agreement.class_names[agreement.labels[i]]}" if agreement.labels is not None else ""
        plot_output_trajectories(times, outs, agreement.class_names, folder / "trajectory.png", expected=expected,
                                 title=f"Example {i}{label}: {agreement.ode_crn} CRN, mass action")
        files.append("trajectory.png")
    if agreement.convergence is not None:
        name = crn.construction.name if crn.construction is not None else "CRN"
        plot_convergence_times(agreement.convergence.times, folder / "convergence.png",
                               title=f"{name}: example {i}, {len(agreement.convergence.times)} random initial states")
        files.append("convergence.png")
    return files


__all__ = ["Agreement", "check_agreement", "write_agreement_files", "write_examples_table"]
