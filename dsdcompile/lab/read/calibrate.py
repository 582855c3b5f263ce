"""Dye calibration from the calibration wells: reading = a + b·c / (1 + c/s), fitted per dye and well group.

``a`` is the background (intercept), ``b`` the response at low concentration and ``s`` the
concentration at which the response has fallen to half of linear (saturation: detector,
inner filter); ``s = ∞`` is the protocol's straight line. With four standards the three
parameters leave one degree of freedom; a fit is reported bad when the standards do not
increase, the line explains less than :data:`MIN_R2` of their spread, or the worst standard
misses the curve by more than :data:`MAX_REL_RESIDUAL` of the top standard's signal.

Readings at every time point are calibrated with that time point's own background and
response (``s`` kept from the read time): a drift or photobleaching that the calibration
wells share with the sample wells is taken out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

MIN_R2 = 0.99
MAX_REL_RESIDUAL = 0.05


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

    def per_time(self, readings_LT: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(intercept (T,), slope (T,)) from the standards' readings at every time (L, T), s fixed."""
        X = np.stack([np.ones_like(self.levels_nM), self.shape(self.levels_nM)], axis=1)
        coef, *_ = np.linalg.lstsq(X, readings_LT, rcond=None)
        return coef[0], coef[1]


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
        def resid(p):
            return p[0] + p[1] * levels / (1.0 + levels * p[2]) - readings

        try:
            sol = least_squares(resid, [a0, b0, 0.0], bounds=([-np.inf, 0.0, 0.0], [np.inf, np.inf, 10.0 / top]),
                                x_scale=[max(abs(b0) * top, 1.0), max(abs(b0), 1e-12), 1.0 / top])
            a, b, q = (float(v) for v in sol.x)
        except (ValueError, np.linalg.LinAlgError):
            problems.append("the saturating fit failed; a straight line is used")
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
