"""Leak: how many examples stay correctly classified as spurious fuel + fuel release grows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dsdcompile.config import KineticsConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN
from dsdcompile.kinetics.fuel import FuelPlan, fuel_plan
from dsdcompile.kinetics.implementation import build_implementation_crn, simulate_implementation_kinetics

DEFAULT_LEAKS = (0.0, 1.0, 10.0, 100.0, 1000.0)
"""Leak rate constants (/M/s) swept by default; measured DSD leaks are ~0.1-10 /M/s."""


@dataclass(frozen=True)
class LeakSweep:
    """One row per leak rate: examples classified like the network, and the worst output error."""

    leaks: tuple[float, ...]          # /M/s
    correct: tuple[int, ...]
    examples: int
    max_rel_error: tuple[float, ...]

    def rows(self) -> list[dict]:
        return [{"leak_per_M_s": k, "correct": c, "examples": self.examples,
                 "fraction_correct": c / self.examples if self.examples else float("nan"), "max_rel_error": e}
                for k, c, e in zip(self.leaks, self.correct, self.max_rel_error)]


def leak_sweep(formal_crn: CRN, modules: Sequence[ModuleImplementation], x: np.ndarray, nn_outputs: np.ndarray,
               config: KineticsConfig = KineticsConfig(), leaks: Sequence[float] = DEFAULT_LEAKS, *,
               fuel: FuelPlan | Mapping[str, float] | None = None) -> LeakSweep:
    """Simulate the implementation (without trajectories) once per leak rate on the implementation examples.

    The leak model is :func:`dsdcompile.kinetics.implementation.leak_reactions`; fuel defaults
    to :func:`fuel_plan` for the examples.
    """
    leaks = tuple(float(k) for k in leaks)
    if not leaks or any(not np.isfinite(k) or k < 0 for k in leaks):
        raise InputError("leak rates must be a non-empty list of finite non-negative values (/M/s)")
    if fuel is None:
        fuel = fuel_plan(formal_crn, modules, x, config)
    cfg = replace(config, trajectories=False)
    correct, errors, n = [], [], 0
    for k in leaks:
        impl = build_implementation_crn(formal_crn, modules, fuel, unit_nM=config.unit_nM, leak=k)
        res = simulate_implementation_kinetics(impl, x, nn_outputs, cfg)
        n = res.n_examples
        correct.append(int((res.labels[0] == res.nn_labels).sum()))
        errors.append(float(res.rel_errors.max(initial=0.0)))
    return LeakSweep(leaks, tuple(correct), n, tuple(errors))
