"""The tube as planned, simulated and read like the plate: reporters, free strands, leak, calibration, read time.

Three variants of the tube run on the implementation examples, each read through its own
calibration wells:

- ``ideal``: the implementation with the reporters (no free strands, the run's ``--leak``);
  its slowest example's t90 times ``LabConfig.read_margin`` is the read time;
- ``impurities``: plus ``LabConfig.residual_fraction`` of every strand of every annealed
  complex left free (enumerated per module shape with peppercorn);
- ``planned``: plus leak at ``LabConfig.planned_leak`` /M/s: the tube the protocol makes.

Before the last two, the purity sweep reads the planned tube at other free-strand fractions
(:data:`IMPURITY_LEVELS`) and decides the purity the protocol requires (:func:`planned_residual`).

All reporters run in one simulated tube although the plate splits them over wells: a
reporter consumes only a terminal output, so it changes no other species and the reading of
each rail is the same with or without the others' reporters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from dsdcompile.config import KineticsConfig, LabConfig
from dsdcompile.dsd.reporters import ReporterSet

VARIANTS = ("ideal", "impurities", "planned")
CALIBRATION_FRACTIONS = (0.0, 0.25, 0.5, 1.0)
IMPURITY_LEVELS = (0.002, 0.005, 0.01, 0.02, 0.05)
"""Free fractions of every excess strand the tube as planned is also read at, up to the first that loses a label;
the anneal excess itself (no purification) is always read too."""


def nice_stock(needed_uM: float, cap: float) -> float:
    """The smallest 1-2-5 stock concentration (µM) at or above ``needed_uM``, at most ``cap``."""
    if needed_uM <= 0:
        return min(1.0, cap)
    exp = np.floor(np.log10(needed_uM))
    for base in (1.0, 2.0, 5.0, 10.0):
        v = float(base * 10.0 ** exp)
        if v >= needed_uM * (1 - 1e-12):
            return min(v, cap)
    return cap


def nice_ceil(v: float) -> float:
    """The smallest 1-2-5 number at or above v (1 for v <= 0): a stock concentration without a cap."""
    return nice_stock(v, math.inf)


@dataclass(frozen=True, eq=False)
class TubeResult:
    """The tube's simulated fluorescence, calibrations and class values at the read time, per variant."""

    reporters: ReporterSet
    reporter_nM: dict[str, float]
    worst_nM: dict[str, float]
    unit_nM: float
    class_names: tuple[str, ...]
    nn: np.ndarray
    read_time_s: float
    t90_s: np.ndarray
    runs: dict = field(default_factory=dict)          # variant -> TubeRun
    calibrations: dict = field(default_factory=dict)  # variant -> Calibration
    values: dict = field(default_factory=dict)        # variant -> (n, k) class values at the read time
    calibration_units: tuple[float, ...] = ()
    residual: float = 0.0
    leak: float = 0.0
    margin: float = 2.0
    matrix: np.ndarray | None = None
    readout: tuple = ()  # RailReadout per reporter: well group and dye (dsdcompile.lab.dyes)
    sweep: tuple = ()  # (free fraction, label agreement, max rel. error) of the planned tube at other purities
    assumed_residual: float = 0.0  # what one purification is assumed to leave (LabConfig.residual_fraction)
    sweep_values: dict = field(default_factory=dict)  # swept free fraction -> (n, k) class values at the read time

    @property
    def tolerance(self) -> float | None:
        """The largest swept free fraction up to which every label holds (None if not even the smallest)."""
        best = None
        for level, agree, _ in sorted(self.sweep):
            if agree < 1.0:
                break
            best = level
        return best

    @property
    def class_margin(self) -> float | None:
        """The network's smallest class gap (top minus runner-up) over the examples, relative to its largest
        |value|: free strands move class values by amounts that follow the gates, which are planned for the
        largest values, so this is the margin their error must not cross."""
        from dsdcompile.crn.margin import relative_gaps

        if self.nn.shape[0] == 0 or self.nn.shape[1] < 2:
            return None
        return float(relative_gaps(self.nn).min())

    def error_at(self, level: float) -> float | None:
        """The largest |class value - network| of the tube read at swept free fraction ``level``, relative to the
        network's largest |value| (None where the sweep did not read that level)."""
        v = self.sweep_values.get(level)
        if v is None or v.size == 0:
            return None
        return float(np.abs(v - self.nn).max() / max(1.0, float(np.abs(self.nn).max())))

    @property
    def nn_labels(self) -> np.ndarray:
        return self.nn.argmax(axis=1)

    def labels(self, variant: str) -> np.ndarray:
        return self.values[variant].argmax(axis=1)

    def agreement(self, variant: str) -> float:
        return float((self.labels(variant) == self.nn_labels).mean())

    def errors(self, variant: str, reference: str | None = None) -> np.ndarray:
        """(n,) max_k |value - reference| / max(1, max_k |nn|); the reference is the network unless named."""
        from dsdcompile.kinetics.result import relative_scale

        ref = self.nn if reference is None else self.values[reference]
        return (np.abs(self.values[variant] - ref) / relative_scale(self.nn)).max(axis=1)

    def to_summary(self) -> dict:
        """Keys of summary.json's ``kinetics`` block."""
        from dsdcompile.kinetics.readout import hours

        t90 = self.t90_s / 3600.0
        planned = self.runs["planned"]
        return {
            "reporters": len(self.reporters.reporters),
            "reporter_label_agreement": self.agreement("planned"),
            "reporter_max_rel_error": float(self.errors("planned").max(initial=0.0)),
            "reporter_ideal_label_agreement": self.agreement("ideal"),
            "reporter_ideal_max_rel_error": float(self.errors("ideal").max(initial=0.0)),
            "impurity_max_rel_error": float(self.errors("impurities", "ideal").max(initial=0.0)),
            "leak_max_rel_error": float(self.errors("planned", "impurities").max(initial=0.0)),
            "read_time_h": hours(self.read_time_s),
            "read_margin": self.margin,
            "reporter_t90_hours_median": float(np.median(t90)) if t90.size else None,
            "reporter_t90_hours_max": float(t90.max()) if t90.size else None,
            "reporter_examples": int(self.nn.shape[0]),
            "residual_free_fraction": self.residual,
            "residual_free_fraction_assumed": self.assumed_residual,
            "planned_leak_per_M_s": self.leak,
            "tube_species": planned.n_species,
            "tube_reactions": planned.n_reactions,
            "reporter_total_uM": float(sum(self.reporter_nM.values()) / 1000.0),
            "impurity_tolerance": self.tolerance,
            "class_margin": self.class_margin,
            "impurity_error_at_assumed": self.error_at(self.assumed_residual),
            "impurity_sweep": [{"residual_free_fraction": lv, "label_agreement": a, "max_rel_error": e}
                               for lv, a, e in self.sweep],
        }

    def describe(self) -> str:
        s = self.to_summary()
        return (f"tube as planned ({s['reporters']} reporters, {s['residual_free_fraction']:g} free strands, leak "
                f"{s['planned_leak_per_M_s']:g} /M/s): read at {s['read_time_h']:.3g} h, fluorescence labels = NN "
                f"{s['reporter_label_agreement']:.4g}, max rel. error {s['reporter_max_rel_error']:.3g}")


def planned_residual(assumed: float, sweep) -> float:
    """The free-strand fraction the plan requires: the assumed one where every label holds there, else the
    largest swept level below it at which every label holds (the assumed one when none does)."""
    holds = {level: agree >= 1.0 for level, agree, _ in sweep}
    if holds.get(assumed, True):
        return assumed
    better = [level for level, ok in holds.items() if ok and level < assumed]
    return max(better) if better else assumed


def sweep_levels(lab: LabConfig) -> tuple[list[float], float]:
    """The free fractions the purity sweep reads, ascending, and the anneal excess (no purification)."""
    unpurified = round(lab.anneal_excess - 1.0, 9)
    return sorted(set(IMPURITY_LEVELS) | {lab.residual_fraction, unpurified} - {0.0}), unpurified


class _Tubes:
    """The tube's CRNs and calibrations, each built once (the sweep's tube at the planned level serves a run too)."""

    def __init__(self, crn, modules, reporters: ReporterSet, fuel: Mapping[str, float], unit: float, imp, rep_imp,
                 levels: np.ndarray, kcfg: KineticsConfig) -> None:
        self.crn, self.modules, self.reporters, self.fuel, self.unit = crn, modules, reporters, fuel, unit
        self.imp, self.rep_imp, self.levels, self.kcfg = imp, rep_imp, levels, kcfg
        self.t_read = 0.0
        self._tubes: dict[tuple[float, float], object] = {}
        self._calibrations: dict[float, object] = {}

    def ideal(self, leak: float):
        from dsdcompile.kinetics.tube import build_tube_crn

        return build_tube_crn(self.crn, self.modules, self.reporters, self.fuel, self.unit, leak=leak)

    def at(self, level: float, leak: float):
        from dsdcompile.kinetics.tube import build_tube_crn

        if (level, leak) not in self._tubes:
            self._tubes[level, leak] = build_tube_crn(
                self.crn, self.modules, self.reporters, self.fuel, self.unit, leak=leak, impurities=self.imp,
                reporter_impurities=self.rep_imp, residual=level)
        return self._tubes[level, leak]

    def calibration(self, level: float | None):
        """The calibration wells read at the read time: without free strands (None) or at ``level``."""
        from dsdcompile.kinetics.readout import calibrate
        from dsdcompile.kinetics.tube import calibration_crn

        if level not in self._calibrations:
            extra = {} if level is None else {"reporter_impurities": self.rep_imp, "residual": level}
            self._calibrations[level] = calibrate(calibration_crn(self.reporters, self.fuel, self.unit, **extra),
                                                  self.levels, self.t_read, self.kcfg)
        return self._calibrations[level]


def purity_sweep(tubes: _Tubes, x: np.ndarray, nn: np.ndarray, matrix: np.ndarray, lab: LabConfig,
                 values: dict | None = None) -> list[tuple[float, float, float]]:
    """(free fraction, label agreement, max rel. error) of the planned tube read at the sweep's levels.

    Levels above the first that loses a label are skipped, except the assumed residual and the
    unpurified anneal excess, which are always read. ``values``, when given, receives each level's (n, k) class
    values (which examples lose their label, and by how much).
    """
    from dsdcompile.kinetics.readout import class_values, read_at
    from dsdcompile.kinetics.result import relative_scale

    sweep: list[tuple[float, float, float]] = []
    scale = relative_scale(nn)
    failed = False
    levels, unpurified = sweep_levels(lab)
    for level in levels:
        if failed and level < unpurified and level != lab.residual_fraction:
            continue
        v = class_values(read_at(tubes.at(level, lab.planned_leak), x, tubes.t_read, tubes.kcfg), matrix,
                         tubes.calibration(level), tubes.unit)
        if values is not None:
            values[float(level)] = v
        sweep.append((float(level), float((v.argmax(axis=1) == nn.argmax(axis=1)).mean()),
                      float((np.abs(v - nn) / scale).max(initial=0.0))))
        failed = failed or sweep[-1][1] < 1.0
    return sweep


def simulate_tube(system, modules, reporters: ReporterSet, fuel_nM: Mapping[str, float], x: np.ndarray,
                  nn: np.ndarray, kcfg: KineticsConfig, lab: LabConfig, *, impurities, reporter_impurities,
                  readout: Sequence = (), progress=None, worst_nM: Mapping[str, float] | None = None) -> TubeResult:
    """Build the three tube variants, simulate and read them (see the module docstring).

    ``x``/``nn`` are the examples to simulate and their reference outputs; ``impurities`` and
    ``reporter_impurities`` the enumerated free strands
    (:func:`dsdcompile.dsd.impurities.impurity_modules`); ``readout`` the reporters' dyes and
    wells, kept on the result for the lab tables. ``worst_nM`` (reporter -> nM) replaces the examples' worst rail
    amounts that size the reporters and the calibration, e.g. the bound over an input box.
    """
    from dsdcompile.kinetics.readout import Calibration, at_time, class_values, read_time, readout_matrix, run_tube
    from dsdcompile.kinetics.tube import reporter_nM, worst_rails_nM
    from dsdcompile.runtime.progress import Progress

    progress = progress or Progress(quiet=True)
    crn = system.split_crn
    unit = kcfg.unit_nM
    worst = dict(worst_nM) if worst_nM is not None else worst_rails_nM(crn, reporters, x, unit)
    rep_nM = reporter_nM(worst, unit, kcfg.fuel_safety, kcfg.fuel_min_units)
    classes = tuple(s.name for s in crn.outputs)
    class_index = {c: k for k, c in enumerate(classes)}
    matrix = readout_matrix([(class_index[r.output], r.rail) for r in reporters.reporters], len(classes))
    top = nice_ceil(max(worst.values(), default=unit) / unit)
    cal_units = tuple(top * f for f in CALIBRATION_FRACTIONS)
    levels = np.array([[u * unit] * len(reporters.reporters) for u in cal_units])
    tubes = _Tubes(crn, modules, reporters, {**fuel_nM, **rep_nM}, unit, impurities, reporter_impurities, levels,
                   kcfg)

    cfg_t = replace(kcfg, trajectories=True)
    runs = {}
    with progress.stage("tube: ideal"):
        runs["ideal"] = run_tube(tubes.ideal(kcfg.leak), x, cfg_t, "ideal")
    identity = Calibration.identity(len(reporters.reporters))
    ideal_traj = class_values(runs["ideal"].rails, matrix, identity, unit)
    tubes.t_read, t90 = read_time(runs["ideal"].grid, ideal_traj, kcfg, lab.read_margin)

    # The purity sweep first: it decides the purity the protocol requires. Where the assumed
    # residual (what one gel purification leaves) loses a label, the plan requires the least pure
    # swept level at which every label still holds (the protocol's acceptance test: purify again
    # until a pool is that pure), and the tube as planned is simulated at that level.
    with progress.stage("tube: purity sweep"):
        sweep_values: dict = {}
        sweep = purity_sweep(tubes, x, nn, matrix, lab, sweep_values)
    residual = planned_residual(lab.residual_fraction, sweep)
    if residual != lab.residual_fraction:
        progress.log(f"tube: {lab.residual_fraction:g} free strands lose a label; the protocol requires pools "
                     f"purified to {residual:g}")
    with progress.stage("tube: impurities"):
        runs["impurities"] = run_tube(tubes.at(residual, kcfg.leak), x, cfg_t, "impurities")
    with progress.stage("tube: planned"):
        runs["planned"] = run_tube(tubes.at(residual, lab.planned_leak), x, cfg_t, "planned")
    cals = {"ideal": tubes.calibration(None)}
    cals["impurities"] = cals["planned"] = tubes.calibration(residual)
    values = {v: class_values(at_time(runs[v].grid, runs[v].rails, tubes.t_read), matrix, cals[v], unit)
              for v in VARIANTS}
    return TubeResult(reporters=reporters, reporter_nM=rep_nM, worst_nM=worst, unit_nM=unit, class_names=classes,
                      nn=nn, read_time_s=tubes.t_read, t90_s=t90, runs=runs, calibrations=cals, values=values,
                      calibration_units=cal_units, residual=residual, leak=lab.planned_leak, margin=lab.read_margin,
                      matrix=matrix, readout=tuple(readout), sweep=tuple(sweep),
                      assumed_residual=lab.residual_fraction, sweep_values=sweep_values)


def write_tube_files(tube: TubeResult, folder: Path, plot_example: int = 0) -> list[str]:
    """fluorescence.csv (per example: class values at the read time, per variant) and fluorescence.png."""
    from dsdcompile.kinetics.readout import at_time
    from dsdcompile.kinetics.readout_plot import plot_fluorescence
    from dsdcompile.runtime.files import write_csv

    names = list(tube.class_names)
    cols = ["example", "network_class"]
    for v in VARIANTS:
        cols += [f"{v}_{c}" for c in names] + [f"{v}_class", f"{v}_rel_error"]
    cols += [f"reading_nM_{r.name}" for r in tube.reporters.reporters]
    planned = tube.runs["planned"]
    raw = at_time(planned.grid, planned.rails, tube.read_time_s)
    rows = []
    for e in range(tube.nn.shape[0]):
        row: dict = {"example": e, "network_class": names[int(tube.nn_labels[e])]}
        for v in VARIANTS:
            for k, c in enumerate(names):
                row[f"{v}_{c}"] = float(tube.values[v][e, k])
            row[f"{v}_class"] = names[int(tube.labels(v)[e])]
            row[f"{v}_rel_error"] = float(tube.errors(v)[e])
        for r, rep in enumerate(tube.reporters.reporters):
            row[f"reading_nM_{rep.name}"] = float(raw[e, r])
        rows.append(row)
    write_csv(folder / "fluorescence.csv", cols, rows)
    written = ["fluorescence.csv"]
    if plot_fluorescence(tube, folder / "fluorescence.png", min(plot_example, tube.nn.shape[0] - 1)):
        written.append("fluorescence.png")
    return written


__all__ = ["CALIBRATION_FRACTIONS", "IMPURITY_LEVELS", "TubeResult", "VARIANTS", "nice_ceil", "nice_stock",
           "planned_residual", "purity_sweep", "simulate_tube", "sweep_levels", "write_tube_files"]
