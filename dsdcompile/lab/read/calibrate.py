"""Dye calibration from the calibration wells: reading = a + b·c / (1 + c/s), fitted per dye and well group.

``a`` is the background (intercept), ``b`` the response at low concentration and ``s`` the
concentration at which the response has fallen to half of linear (saturation: detector,
inner filter); ``s = ∞`` is the protocol's straight line. With four standards the three
parameters leave one degree of freedom; a fit is reported bad when the standards do not
increase, the line explains less than :data:`MIN_R2` of their spread, or the worst standard
misses the curve by more than :data:`MAX_REL_RESIDUAL` of the top standard's signal.

Readings at every time point are calibrated with that time point's own background and
response (``s`` kept from the read time, both averaged over the reads within ±15 % in log
time, :func:`smooth_log`): a drift or photobleaching that the calibration wells share with
the sample wells is taken out. The read-time curve itself is fitted to the standards' reads
from read time / 1.15 to the read time (a line through them, taken at the read time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

MIN_R2 = 0.99
MAX_REL_RESIDUAL = 0.05
SMOOTH_LOG_WINDOW = 0.15  # calibration at time t: the reads between t/1.15 and 1.15 t, averaged


@dataclass(frozen=True)
class DyeCalibration:
    dye: str
    group: int
    levels_nM: np.ndarray      # (L,)
    readings: np.ndarray       # (L,) at the read time
    intercept: float
    slope: float               # reader units per nM at low concentration
    inv_saturation: float      # 1/s (per nM); 0 for a straight line
    r2: float
    max_rel_residual: float
    problems: tuple = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def saturation_nM(self) -> float:
        return float("inf") if self.inv_saturation <= 0 else 1.0 / self.inv_saturation

    def shape(self, c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=np.float64)
        return c / (1.0 + c * self.inv_saturation)

    def amounts(self, readings: np.ndarray, intercept=None, slope=None) -> np.ndarray:
        """Readings → nM of free fluorophore (inverse of the curve; intercept/slope may be per time)."""
        a = self.intercept if intercept is None else intercept
        b = self.slope if slope is None else slope
        u = (np.asarray(readings, dtype=np.float64) - a) / b  # = c / (1 + c/s)
        q = self.inv_saturation
        if q <= 0:
            return u
        u = np.minimum(u, 0.999 / q)
        return u / (1.0 - q * u)

    def per_time(self, times: np.ndarray, readings_LT: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(intercept (T,), slope (T,)) from the standards' readings at every time (L, T), s fixed, each
        averaged over the reads within ±:data:`SMOOTH_LOG_WINDOW` in log time (drift and bleaching are slow;
        the noise of four standards is not; the first minutes, where the standards still change, are not
        averaged away)."""
        X = np.stack([np.ones_like(self.levels_nM), self.shape(self.levels_nM)], axis=1)
        coef, *_ = np.linalg.lstsq(X, readings_LT, rcond=None)
        return smooth_log(times, coef[0]), smooth_log(times, coef[1])


def smooth_log(times: np.ndarray, v: np.ndarray, window: float | None = None) -> np.ndarray:
    """Each value replaced by the line fitted through the points whose time is within a factor ``1 + window`` of
    its own, taken at its time (a local linear fit: a linear drift passes unchanged, also at the ends of the run,
    where a moving average would lag)."""
    w = SMOOTH_LOG_WINDOW if window is None else window
    t = np.asarray(times, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    n = np.arange(t.size)
    lo = np.minimum(np.searchsorted(t, t / (1.0 + w), side="left"), n)
    hi = np.maximum(np.searchsorted(t, t * (1.0 + w), side="right"), n + 1)
    tc = t - t.mean()

    def window_sum(x):
        c = np.concatenate([[0.0], np.cumsum(x)])
        return c[hi] - c[lo]

    k, st, stt, sv, stv = (window_sum(x) for x in (np.ones_like(t), tc, tc * tc, v, tc * v))
    var = stt - st * st / k
    slope = np.where(var > 1e-12 * np.maximum(stt, 1e-300), (stv - st * sv / k) / np.where(var > 0, var, 1.0), 0.0)
    slope = np.where(k >= 2, slope, 0.0)
    return sv / k + slope * (tc - st / k)


def fit_calibration(dye: str, group: int, levels: np.ndarray, readings: np.ndarray) -> DyeCalibration:
    """Fit a + b·c/(1 + c/s) to the standards (see module docstring); never raises, reports problems."""
    levels = np.asarray(levels, dtype=np.float64)
    readings = np.asarray(readings, dtype=np.float64)
    order = np.argsort(levels)
    levels, readings = levels[order], readings[order]
    problems = []
    top = float(levels.max(initial=0.0))
    b0, a0 = np.polyfit(levels, readings, 1) if levels.size >= 2 else (1.0, 0.0)
    a, b, q = float(a0), float(b0), 0.0
    if levels.size >= 4 and b0 > 0 and top > 0:
        # for a fixed 1/s the curve is linear in (a, b): profile the sum of squares over 1/s alone
        def linear(q):
            X = np.stack([np.ones_like(levels), levels / (1.0 + levels * q)], axis=1)
            coef, *_ = np.linalg.lstsq(X, readings, rcond=None)
            return coef, float(((X @ coef - readings) ** 2).sum())

        best = minimize_scalar(lambda z: linear(z / top)[1], bounds=(0.0, 10.0), method="bounded",
                               options={"xatol": 1e-9})
        q = float(best.x) / top if linear(float(best.x) / top)[1] < linear(0.0)[1] else 0.0
        (a, b), _ = linear(q)
        a, b = float(a), float(b)
    if np.any(np.diff(readings) <= 0):
        problems.append("the standards' readings do not increase with concentration")
    if b <= 0:
        problems.append("no response to the standards (slope <= 0)")
        b = b if b > 0 else 1e-12
    fitted = a + b * levels / (1.0 + levels * q)
    ss_tot = float(((readings - readings.mean()) ** 2).sum())
    r2 = 1.0 - float(((readings - fitted) ** 2).sum()) / ss_tot if ss_tot > 0 else 0.0
    span = abs(fitted[-1] - fitted[0]) if levels.size else 0.0
    rel = float(np.abs(readings - fitted).max(initial=0.0) / span) if span > 0 else float("inf")
    if r2 < MIN_R2:
        problems.append(f"the curve explains only {r2:.3f} of the standards' spread (R² < {MIN_R2})")
    if rel > MAX_REL_RESIDUAL:
        problems.append(f"a standard misses the curve by {rel:.1%} of the signal range (> {MAX_REL_RESIDUAL:.0%})")
    if q > 0 and 1.0 / q < top:
        problems.append(f"strong saturation: half-linear response at {1.0 / q:.3g} nM, below the top standard")
    return DyeCalibration(dye, group, levels, readings, a, b, q, r2, rel, tuple(problems))


__all__ = ["DyeCalibration", "MAX_REL_RESIDUAL", "MIN_R2", "fit_calibration"]
