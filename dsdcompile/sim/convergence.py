"""Convergence of a rate-dependent CRN to its fixed point from random initial states (anderson2021)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsdcompile.config import SimulationConfig
from dsdcompile.ir import CRN, Role
from dsdcompile.sim.engine import simulate


@dataclass(frozen=True, eq=False)
class Convergence:
    """Times for the outputs of one example to settle within ``rtol`` of the fixed point."""

    times: np.ndarray         # (starts,) time until every output stays within rtol of the fixed point
    final_spread: float       # largest relative distance between the fixed points reached
    fixed_point: np.ndarray   # (outputs,) the fixed point from the first start

    def summary(self) -> dict:
        return {
            "random_starts": int(len(self.times)),
            "convergence_time_median": float(np.median(self.times)),
            "convergence_time_max": float(np.max(self.times)),
            "fixed_point_spread": self.final_spread,
        }


def settle_time(times: np.ndarray, outputs: np.ndarray, target: np.ndarray, rtol: float) -> float:
    """First sampled time after which every output stays within rtol·max(1, |target|) of target."""
    tol = rtol * np.maximum(1.0, np.abs(target))
    outside = (np.abs(outputs - target) > tol).any(axis=1)
    if not outside.any():
        return float(times[0])
    last = int(np.flatnonzero(outside)[-1])
    return float(times[min(last + 1, len(times) - 1)])


def random_start_convergence(crn: CRN, x: np.ndarray, config: SimulationConfig, *, starts: int = 20,
                             seed: int = 0, scale: float | None = None, rtol: float = 1e-3) -> Convergence:
    """Simulate one input ``x`` from ``starts`` random states of the non-input species.

    The non-input species start uniformly in [0, scale] (default: twice the largest fixed
    point concentration); uniqueness of the fixed point means every run ends at the same
    outputs, and the settle times measure the paper's fast-convergence claim.
    """
    base = crn.initial_state(np.atleast_2d(x))
    reference = simulate(crn, base, config)
    free = np.array([i for i, s in enumerate(crn.species) if s.role is not Role.INPUT], dtype=np.int64)
    scale = scale if scale is not None else 2.0 * max(1.0, float(reference.final[0, free].max()))
    rng = np.random.default_rng(seed)
    c0 = np.repeat(base, starts, axis=0)
    c0[:, free] = rng.uniform(0.0, scale, size=(starts, len(free)))
    target = crn.output_values(reference.final)[0]
    times, finals = [], []
    for k in range(starts):
        run = simulate(crn, c0[k : k + 1], config, record=0)
        outs = crn.output_values(run.trajectory)
        times.append(settle_time(run.times, outs, target, rtol))
        finals.append(crn.output_values(run.final)[0])
    finals = np.array(finals)
    spread = float((np.abs(finals - target) / np.maximum(1.0, np.abs(target))).max())
    return Convergence(np.array(times), spread, target)
