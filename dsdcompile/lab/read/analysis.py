"""Calibrate every dye, read every sample's rails at the protocol's read time, and call its class.

Protocol step 12, done by the tool: per well group and dye, the calibration wells' readings at
the read time give the calibration curve (:mod:`dsdcompile.lab.read.calibrate`); a rail's
amount is its reading through the curve; a class's value is its plus rail minus its minus rail
over one unit; the predicted class is the largest value. Every reading is also converted at
every time point (with that time point's calibration) for the tube-model fit and the plots.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsdcompile.lab.read.calibrate import SMOOTH_LOG_WINDOW, DyeCalibration, fit_calibration, smooth_log
from dsdcompile.lab.read.design import Design, Traces

LOW_MARGIN_UNITS = 0.5  # a call whose two largest class values differ by less is flagged


def value_at(t: np.ndarray, v: np.ndarray, at: float) -> float:
    """The reading at time ``at`` (linear between reads; the last read when ``at`` is past it)."""
    return float(np.interp(at, t, v))


@dataclass
class Analysis:
    design: Design
    read_time_s: float
    read_early: bool                 # the reading ends before the protocol's read time
    times: np.ndarray                # (T,) common time grid of the traces (s)
    calibrations: dict               # (group, dye) -> DyeCalibration
    per_time: dict                   # (group, dye) -> (intercept (T,), slope (T,))
    amounts: dict                    # sample -> (rails,) nM at the read time
    traces_nM: dict                  # sample -> (T, rails) nM at every time (calibrated per time)
    values: dict                     # sample -> (classes,) network units
    predicted: dict                  # sample -> class
    flags: dict = field(default_factory=dict)  # sample -> [flag]
    standards: dict = field(default_factory=dict)  # (group, dye) -> (L,) levels, (L, T) readings (log-time smoothed)
    raw: dict = field(default_factory=dict)        # sample -> (T, rails) readings on the time grid

    def correct(self) -> int:
        return sum(self.predicted[s] == self.design.expected_class[s] for s in self.design.samples)


def _window_at(t: np.ndarray, v: np.ndarray, at: float) -> float:
    """A standard's reading at ``at``: the line through its reads from at/(1 + window) to ``at``, taken at ``at``
    (drift taken along, noise averaged)."""
    j = int(np.searchsorted(t, at, side="right"))
    lo = int(np.searchsorted(t, at / (1.0 + SMOOTH_LOG_WINDOW), side="left"))
    if j - lo < 3:
        return value_at(t, v, at)
    slope, icpt = np.polyfit(t[lo:j], v[lo:j], 1)
    return float(icpt + slope * at)


def common_times(traces: Traces, design: Design) -> np.ndarray:
    """The read times of the plate: the median, per cycle, over the wells the design uses."""
    series = []
    for sw in design.sample_wells + design.calibration_wells:
        for dye in (sw.expected_nM if hasattr(sw, "expected_nM") else sw.level_nM):
            series.append(traces.by_dye[dye][design.key(sw)][0])
    n = min(len(t) for t in series)
    return np.median(np.stack([t[:n] for t in series]), axis=0)


def analyse(design: Design, traces: Traces) -> Analysis:
    times = common_times(traces, design)
    t_read = design.read_time_s
    early = bool(times[-1] < t_read - 1e-6 * max(t_read, 1.0))
    t_at = min(t_read, float(times[-1]))
    cals, per_time, standards = {}, {}, {}
    for g in sorted({cw.group for cw in design.calibration_wells}):
        wells = [cw for cw in design.calibration_wells if cw.group == g]
        for dye in sorted({d for cw in wells for d in cw.level_nM}):
            mine = [cw for cw in wells if dye in cw.level_nM]
            levels = np.array([cw.level_nM[dye] for cw in mine])
            series = [traces.by_dye[dye][design.key(cw)] for cw in mine]
            at_read = np.array([_window_at(t, v, t_at) for t, v in series])
            cal = fit_calibration(dye, g, levels, at_read)
            order = np.argsort(levels)
            grid = np.stack([np.interp(times, t, v) for t, v in series])[order]
            standards[g, dye] = (levels[order], np.stack([smooth_log(times, row) for row in grid]))
            cals[g, dye] = cal
            per_time[g, dye] = cal.per_time(times, grid)
    rail_of = {(r.group, r.dye): k for k, r in enumerate(design.rails)}
    n_r = len(design.rails)
    amounts = {s: np.full(n_r, np.nan) for s in design.samples}
    traces_nM = {s: np.full((times.size, n_r), np.nan) for s in design.samples}
    raw = {s: np.full((times.size, n_r), np.nan) for s in design.samples}
    flags: dict = {s: [] for s in design.samples}
    for sw in design.sample_wells:
        for dye in sw.expected_nM:
            k = rail_of.get((sw.group, dye))
            cal: DyeCalibration | None = cals.get((sw.group, dye))
            if k is None or cal is None:
                continue
            t, v = traces.by_dye[dye][design.key(sw)]
            reading = value_at(t, v, t_at)
            amounts[sw.sample][k] = float(cal.amounts(reading))
            a, b = per_time[sw.group, dye]
            raw[sw.sample][:, k] = np.interp(times, t, v)
            traces_nM[sw.sample][:, k] = cal.amounts(raw[sw.sample][:, k], a, b)
            if not cal.ok:
                flags[sw.sample].append(f"bad_calibration:{dye}@group{sw.group}")
            top_signal = cal.readings.max(initial=0.0)
            if reading > top_signal * 1.1 + abs(cal.intercept) * 0.1:
                flags[sw.sample].append(f"above_top_standard:{dye}@{sw.well}")
    matrix = np.zeros((n_r, len(design.class_names)))
    for k, r in enumerate(design.rails):
        matrix[k, design.class_names.index(r.class_name)] = r.sign
    values, predicted = {}, {}
    for s in design.samples:
        if np.isnan(amounts[s]).any():
            flags[s].append("missing_rail")
        val = np.nan_to_num(amounts[s]) @ matrix / design.unit_nM
        values[s] = val
        top = np.argsort(val)[::-1]
        predicted[s] = design.class_names[int(top[0])]
        if len(top) > 1 and val[top[0]] - val[top[1]] < LOW_MARGIN_UNITS:
            flags[s].append("low_margin")
        if early:
            flags[s].append("read_before_read_time")
        if design.expected_class.get(s) and predicted[s] != design.expected_class[s]:
            flags[s].append("differs_from_expected")
    return Analysis(design, t_at, early, times, cals, per_time, amounts, traces_nM, values, predicted, flags,
                    standards, raw)


__all__ = ["Analysis", "LOW_MARGIN_UNITS", "analyse", "common_times", "value_at"]
