"""The tube model's uncertain parameters fitted to the measured traces, with confidence intervals.

Three parameters are uncertain on the day the plate comes off the reader (as in Visual DSD's
parameter inference, which fits a model's rates to measured traces): the leak rate constant
(/M/s), the fraction of every annealed complex's excess strands that purification left free,
and one scale on every strand-displacement rate (temperature, buffer, sequence). They are
fitted in log10 by least squares (scipy's trust-region reflective solver) to the calibrated
traces of a subset of the sample wells at up to :data:`FIT_TIMES` read times, as free
fluorophore (nM): the simulated tube's directly, the plate's through its standards at their
simulated free amounts (:class:`_Model`). The confidence intervals are Wald intervals from the
Jacobian at the optimum (covariance s²·(JᵀJ)⁻¹, s² the residual variance, Student t at 95 %),
in log10 and so asymmetric in the parameter; where the cluster-robust (sandwich) interval
with one cluster per read time (the calibration wells' noise is shared by every well read at
that time; Student t with clusters − 3 degrees of freedom) is wider, that is used instead.
The fitted tube then re-predicts every sample:
the wells it was not fitted to test it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import t as student_t

from dsdcompile.lab.read.analysis import Analysis
from dsdcompile.lab.read.calibrate import fit_calibration

FIT_TIMES = 14
MAX_FIT_SAMPLES = 10
FIT_TOLERANCES = (3e-3, 1e-4)
"""ODE tolerances (rtol, atol nM) of the fit's simulations: 3x fewer steps than the design's 1e-4, and on the
IRIS tube within 1e-3 nM of them (the plate's noise is ~1 nM; a parameter step of the Jacobian moves ~2 nM)."""
PARAMS = ("leak_per_M_s", "residual_free_fraction", "rate_scale")
BOUNDS = ((1e-3, 1e4), (1e-4, 0.3), (0.03, 30.0))


@dataclass
class FitResult:
    values: dict                      # parameter -> fitted value
    intervals: dict                   # parameter -> (low, high), 95 %
    start: dict                       # parameter -> the design's planned value
    fit_samples: list
    held_out: list
    rmse_fit_nM: float
    rmse_held_out_nM: float
    rmse_planned_held_out_nM: float   # the planned parameters' error on the held-out wells
    predicted_values: dict            # sample -> class values of the fitted tube at the read time
    predicted_traces: dict            # sample -> ((T, rails) simulated, (T, rails) measured) free nM
    times: np.ndarray
    evaluations: int
    message: str
    notes: list = field(default_factory=list)

    def predicted_class(self, names) -> dict:
        return {s: names[int(np.argmax(v))] for s, v in self.predicted_values.items()}


def _pick_times(times: np.ndarray, t_at: float, n: int) -> np.ndarray:
    """Up to n indices of the read times, log-spaced up to the read time (the early reads carry the kinetics)."""
    last = int(np.searchsorted(times, t_at, side="right")) - 1
    pos = times[1:last + 1]
    if pos.size == 0:
        return np.arange(last + 1)
    targets = np.geomspace(pos[0], times[last], n)
    idx = sorted({0, last, *(int(np.argmin(np.abs(times - t))) for t in targets)})
    return np.array(idx)


class _Model:
    """For parameters in log10: the simulated free fluorophore of the sample wells and the measured one, both
    (T, samples, rails) nM.

    The plate's readings become free fluorophore through the plate's own standards, but with the
    standards' *simulated* free fluorophore at each time (free quencher strands left by
    purification take up a few nM of every standard, so the standards are not their nominal
    levels): per time and rail, reading = a + b·f/(1 + f/s) fitted over the standards (s from the
    read-time calibration), inverted for the sample wells.
    """

    def __init__(self, model, analysis: Analysis, samples: list, idx: np.ndarray):
        d = analysis.design
        self.model, self.design = model, d
        self.times = analysis.times[idx]
        self.x = np.stack([d.x[s] for s in samples])
        self.raw = np.stack([analysis.raw[s][idx] for s in samples], axis=1)  # (T, S, rails)
        self.groups = []  # (levels (L, rails), [(rail, standards' readings (L, T), inverse saturation)])
        for g in sorted({cw.group for cw in d.calibration_wells}):
            rails = [k for k, r in enumerate(d.rails) if r.group == g and (g, r.dye) in analysis.standards]
            if not rails:
                continue
            levels_1d = analysis.standards[g, d.rails[rails[0]].dye][0]
            lv = np.zeros((levels_1d.size, len(d.rails)))
            per_rail = []
            for k in rails:
                lev, readings = analysis.standards[g, d.rails[k].dye]
                lv[:, k] = lev
                per_rail.append((k, readings[:, idx], d.rails[k].dye))
            self.groups.append((lv, per_rail))
        read_i = int(np.searchsorted(analysis.times, analysis.read_time_s, side="right")) - 1
        self.read_col = int(np.argmin(np.abs(np.asarray(idx) - read_i)))
        self.calls = 0

    def __call__(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        leak, residual, scale = (10.0 ** float(v) for v in p)
        self.calls += 1
        free = self.model.simulate_samples(self.x, self.times, leak=leak, residual=residual, rate_scale=scale)
        measured = np.full_like(free, np.nan)
        for lv, per_rail in self.groups:
            cal = self.model.simulate_calibration(lv, self.times, residual=residual, rate_scale=scale)
            for k, readings, dye in per_rail:
                f = cal[:, :, k]                                   # (T, L) simulated free standard
                q = fit_calibration(dye, 0, f[self.read_col], readings[:, self.read_col]).inv_saturation
                u = f / (1.0 + f * q)
                um, rm = u.mean(axis=1), readings.T.mean(axis=1)  # per time
                b = ((u - um[:, None]) * (readings.T - rm[:, None])).sum(axis=1) / \
                    np.maximum(((u - um[:, None]) ** 2).sum(axis=1), 1e-30)
                a = rm - b * um
                v = (self.raw[:, :, k] - a[:, None]) / b[:, None]
                if q > 0:
                    v = np.minimum(v, 0.999 / q)
                    v = v / (1.0 - q * v)
                measured[:, :, k] = v
        return free, measured


def planned_parameters(design) -> dict:
    kin = design.summary.get("kinetics") or {}
    return {"leak_per_M_s": float(kin.get("planned_leak_per_M_s") or 1.0),
            "residual_free_fraction": float(kin.get("residual_free_fraction") or 0.01), "rate_scale": 1.0}


def fit_tube(model, analysis: Analysis, *, max_samples: int = MAX_FIT_SAMPLES, n_times: int = FIT_TIMES
             ) -> FitResult:
    """Fit (see module docstring); the subset is every k-th sample so that at most ``max_samples`` are fitted."""
    d = analysis.design
    samples = [s for s in d.samples if d.x.get(s) is not None]
    step = max(1, math.ceil(len(samples) / max(1, max_samples)))
    fit_s = samples[::step]
    held = [s for s in samples if s not in fit_s]
    idx = _pick_times(analysis.times, analysis.read_time_s, n_times)
    saved = model.tolerances
    model.tolerances = FIT_TOLERANCES
    try:
        return _fit(model, analysis, samples, fit_s, held, idx)
    finally:
        model.tolerances = saved


def _fit(model, analysis, samples, fit_s, held, idx) -> FitResult:
    d = analysis.design
    sim = _Model(model, analysis, fit_s, idx)
    mask = np.isfinite(sim.raw)
    unit = d.unit_nM

    def resid(p):
        free, measured = sim(p)
        r = (free - measured)[mask] / unit
        return np.where(np.isfinite(r), r, 1e3)

    start = planned_parameters(d)
    lo = np.log10([b[0] for b in BOUNDS])
    hi = np.log10([b[1] for b in BOUNDS])
    p0 = np.clip(np.log10([start[k] for k in PARAMS]), lo + 1e-6, hi - 1e-6)
    sol = least_squares(resid, p0, bounds=(lo, hi), diff_step=0.02, x_scale=1.0, xtol=1e-4, ftol=1e-6,
                        max_nfev=60)
    m, n = sol.fun.size, len(PARAMS)
    dof = max(m - n, 1)
    s2 = 2.0 * sol.cost / dof
    J = sol.jac
    bread = np.linalg.pinv(J.T @ J)
    cov = s2 * bread
    # errors that the wells share at one read time (the calibration wells' noise) are not independent:
    # the cluster-robust (sandwich) covariance with one cluster per read time accounts for them; the
    # wider of the two is reported
    cluster = np.broadcast_to(np.arange(mask.shape[0])[:, None, None], mask.shape)[mask]
    meat = np.zeros((n, n))
    for c in np.unique(cluster):
        g = J[cluster == c].T @ sol.fun[cluster == c]
        meat += np.outer(g, g)
    k_c = np.unique(cluster).size
    robust = bread @ meat @ bread * (k_c / max(k_c - 1, 1))
    q_iid = float(student_t.ppf(0.975, dof))
    q_robust = float(student_t.ppf(0.975, max(k_c - n, 1)))  # few clusters: t with G - p degrees of freedom
    values, intervals, notes = {}, {}, []
    for i, k in enumerate(PARAMS):
        half = q_iid * math.sqrt(max(cov[i, i], 0.0))
        if np.all(np.isfinite(robust)):
            half = max(half, q_robust * math.sqrt(max(robust[i, i], 0.0)))
        a, b = sol.x[i] - half, sol.x[i] + half
        if a <= lo[i] + 1e-3 or b >= hi[i] - 1e-3:
            notes.append(f"{k}: the interval reaches the search bound [{BOUNDS[i][0]:g}, {BOUNDS[i][1]:g}]; the "
                         "plate does not pin it down")
        values[k] = float(10.0 ** sol.x[i])
        intervals[k] = (float(10.0 ** max(a, lo[i])), float(10.0 ** min(b, hi[i])))
    rmse_fit = float(math.sqrt(np.mean(sol.fun ** 2))) * unit
    # re-predict every sample on the full time grid
    full = _Model(model, analysis, samples, np.arange(analysis.times.size))
    pred, meas_fit = full(sol.x)
    planned, meas_plan = full(np.log10([start[k] for k in PARAMS]))
    t_at = analysis.read_time_s
    matrix = np.zeros((len(d.rails), len(d.class_names)))
    for k, r in enumerate(d.rails):
        matrix[k, d.class_names.index(r.class_name)] = r.sign
    predicted_values, predicted_traces = {}, {}
    err_fit, err_plan = [], []
    for i, s in enumerate(samples):
        at = np.array([np.interp(t_at, analysis.times, pred[:, i, k]) for k in range(pred.shape[2])])
        predicted_values[s] = at @ matrix / unit
        predicted_traces[s] = (pred[:, i, :], meas_fit[:, i, :])
        if s in held:
            ok = np.isfinite(meas_fit[:, i, :])
            err_fit.append(((pred[:, i, :] - meas_fit[:, i, :])[ok]) ** 2)
            err_plan.append(((planned[:, i, :] - meas_plan[:, i, :])[ok]) ** 2)
    rmse_held = float(math.sqrt(np.mean(np.concatenate(err_fit)))) if err_fit else float("nan")
    rmse_plan = float(math.sqrt(np.mean(np.concatenate(err_plan)))) if err_plan else float("nan")
    return FitResult(values, intervals, start, fit_s, held, rmse_fit, rmse_held, rmse_plan, predicted_values,
                     predicted_traces, analysis.times, sim.calls + full.calls, str(sol.message), notes)


__all__ = ["BOUNDS", "FitResult", "PARAMS", "fit_tube", "planned_parameters"]
