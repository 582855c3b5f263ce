"""Reading the tube as a plate reader does: fluorescence per rail, calibration wells, a read time, class values.

A well's channel reads its reporter's free fluorophore strand. Calibration wells hold the
reporter mix with known amounts of each fluorophore strand; read at the same time as the
samples, they give each rail's background (intercept) and response (slope) by a least-squares
line, and a sample's rail amount is (reading - intercept) / slope. A class's value is its plus
rail minus its minus rail over one unit. The read time is the slowest example's t90 in the
ideal tube times a margin (:func:`read_time`); values at that time come from the recorded
log-time grid (linear in log t between grid points, 10 per decade: after t90 the curves are
flat to far better than the 10 % band that defines t90).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dsdcompile.config import KineticsConfig
from dsdcompile.kinetics.formal import simulate_recorded
from dsdcompile.kinetics.t90 import t90_batch
from dsdcompile.kinetics.tube import TubeCRN
from dsdcompile.kinetics.units import SECONDS_PER_HOUR, simulation_config, time_grid
from dsdcompile.sim.engine import simulate

READ_STEP_S = 900.0  # read times are rounded up to a quarter of an hour


def readout_matrix(rail_classes: list[tuple[int, int]], n_classes: int) -> np.ndarray:
    """(rails, classes): +1/-1 where a rail adds to / subtracts from a class's value."""
    m = np.zeros((len(rail_classes), n_classes))
    for r, (k, sign) in enumerate(rail_classes):
        m[r, k] = sign
    return m


@dataclass(frozen=True, eq=False)
class Calibration:
    """Per rail: fluorophore standards (nM), their readings at the read time, and the fitted line."""

    levels_nM: np.ndarray    # (L, rails)
    readings_nM: np.ndarray  # (L, rails)
    intercept: np.ndarray    # (rails,)
    slope: np.ndarray        # (rails,)

    def amounts(self, rails: np.ndarray) -> np.ndarray:
        """Rail readings → released fluorophore (nM) by the calibration line."""
        return (rails - self.intercept) / self.slope

    @classmethod
    def identity(cls, rails: int) -> Calibration:
        z = np.zeros((1, rails))
        return cls(z, z, np.zeros(rails), np.ones(rails))


def calibrate(crn: TubeCRN, levels_nM: np.ndarray, t_read_s: float, config: KineticsConfig) -> Calibration:
    """Simulate calibration wells (``crn``: reporters alone) with fluorophore standards, read at ``t_read_s``."""
    levels = np.atleast_2d(np.asarray(levels_nM, dtype=np.float64))
    c0 = np.tile(crn.initial_vector(), (levels.shape[0], 1))
    c0[:, crn.fluor_index] += levels
    sim = replace(simulation_config(config), t_max=max(float(t_read_s), 1e-9))
    res = simulate(crn, c0, sim, rates=crn.rate_constants(1.0))
    readings = crn.rail_values(res.final)
    slope, intercept = np.empty(levels.shape[1]), np.empty(levels.shape[1])
    for r in range(levels.shape[1]):
        slope[r], intercept[r] = np.polyfit(levels[:, r], readings[:, r], 1)
    return Calibration(levels, readings, intercept, slope)


@dataclass(frozen=True, eq=False)
class TubeRun:
    """One simulated variant of the tube: fluorescence per rail on the time grid, for every example."""

    name: str
    grid: np.ndarray          # (G,) seconds
    rails: np.ndarray         # (G, n, rails) free fluorophore, nM
    t_final: np.ndarray       # (n,)
    converged: np.ndarray     # (n,)
    n_species: int
    n_reactions: int


def run_tube(crn: TubeCRN, x: np.ndarray, config: KineticsConfig, name: str) -> TubeRun:
    """Simulate the tube on every example (inputs in network units), fluorescence recorded on the grid."""
    c0 = crn.initial_state(np.atleast_2d(x) * config.unit_nM)
    grid = time_grid(config)
    _, t_final, converged, rails = simulate_recorded(crn, c0, simulation_config(config), crn.rate_constants(1.0), grid,
                                                     crn.rail_values)
    return TubeRun(name, grid, rails, t_final, converged, crn.n_species, crn.n_reactions)


def read_at(crn: TubeCRN, x: np.ndarray, t_s: float, config: KineticsConfig) -> np.ndarray:
    """Every example's rail readings (n, rails) at time ``t_s`` (no trajectory recorded)."""
    c0 = crn.initial_state(np.atleast_2d(x) * config.unit_nM)
    sim = replace(simulation_config(config), t_max=max(float(t_s), 1e-9))
    return crn.rail_values(simulate(crn, c0, sim, rates=crn.rate_constants(1.0)).final)


def class_values(rails: np.ndarray, matrix: np.ndarray, calibration: Calibration, unit_nM: float) -> np.ndarray:
    """Readings (..., rails) → class values in network units (..., classes)."""
    return calibration.amounts(rails) @ matrix / unit_nM


def at_time(grid: np.ndarray, traj: np.ndarray, t: float) -> np.ndarray:
    """Values (G, n, k) at time t, linear in log time between grid points (linear from t = 0)."""
    grid = np.asarray(grid, dtype=np.float64)
    if t >= grid[-1]:
        return traj[-1]
    j = int(np.searchsorted(grid, t, side="right"))
    t0, t1 = grid[j - 1], grid[j]
    s = (t - t0) / (t1 - t0) if t0 <= 0 else np.log(t / t0) / np.log(t1 / t0)
    return traj[j - 1] + s * (traj[j] - traj[j - 1])


def read_time(grid: np.ndarray, values: np.ndarray, config: KineticsConfig, margin: float) -> tuple[float, np.ndarray]:
    """(read time in s, per-example t90 in s): ``margin`` × the slowest example's t90, up to a quarter hour.

    t90 is taken on the class values (the same band as the implementation kinetics); the read
    time never exceeds the simulated span.
    """
    t90 = t90_batch(grid, values, values[-1], fraction=config.t90_fraction, floor=config.t90_floor_units)
    slowest = float(t90.max(initial=0.0))
    t = float(np.ceil(max(margin * slowest, READ_STEP_S) / READ_STEP_S) * READ_STEP_S)
    return min(t, float(grid[-1])), t90


def hours(seconds: float) -> float:
    return seconds / SECONDS_PER_HOUR


__all__ = ["Calibration", "READ_STEP_S", "TubeRun", "at_time", "calibrate", "class_values", "hours",
           "read_at", "read_time", "readout_matrix", "run_tube"]
