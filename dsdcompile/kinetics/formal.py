"""Formal CRN kinetics at realistic DNA rates, over several random rate draws."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from dsdcompile.config import KineticsConfig
from dsdcompile.errors import InputError
from dsdcompile.ir import CRN
from dsdcompile.kinetics.fuel import FuelPlan
from dsdcompile.kinetics.result import KineticsResult
from dsdcompile.kinetics.t90 import t90_batch
from dsdcompile.kinetics.units import log_uniform, per_nM, simulation_config, time_grid
from dsdcompile.sim.engine import simulate

# bytes of recorded states (grid × examples × species, float64) per simulate call: examples
# beyond that run in further calls, so that a large CRN on many examples does not hold every state
_STATE_BYTES = 1 << 28


def reaction_fuel(crn: CRN, config: KineticsConfig, fuel_nM: float | np.ndarray | FuelPlan | None) -> np.ndarray:
    """(reactions,) the fuel concentration (nM) behind each formal reaction's pseudo-first-order rate."""
    if fuel_nM is None:
        return np.full(crn.n_reactions, config.fuel_units * config.unit_nM)
    if isinstance(fuel_nM, FuelPlan):
        fuel = np.asarray(fuel_nM.reaction_fuel_nM, dtype=np.float64)
    else:
        fuel = np.broadcast_to(np.asarray(fuel_nM, dtype=np.float64), (crn.n_reactions,)).copy()
    if fuel.shape != (crn.n_reactions,) or not np.isfinite(fuel).all() or (fuel < 0).any():
        raise InputError(f"fuel concentrations must be {crn.n_reactions} finite non-negative values (nM)")
    return fuel


def formal_rates(crn: CRN, config: KineticsConfig, draw: int, fuel: np.ndarray) -> np.ndarray:
    """Rate constants (nM, s) of one seeded draw.

    k_r is log-uniform in [rate_min, rate_max] /M/s, times the reaction's own rate if it has
    one (constructions whose rates matter). A DSD gate runs X -> ... as X + fuel -> ..., so
    a unimolecular reaction gets k·[fuel] /s; a zero-order one k·[fuel]² nM/s (fuel + fuel
    leak); bimolecular and higher are plain mass action in /nM^(n-1)/s.
    """
    rng = np.random.default_rng([config.seed, draw])
    k = log_uniform(rng, crn.n_reactions, config.rate_min, config.rate_max)
    k = k * crn.rate_constants(1.0)
    order = np.array([r.order for r in crn.reactions], dtype=np.int64)
    k_nm = per_nM(k, np.maximum(order, 2))
    return k_nm * fuel ** np.maximum(2 - order, 0)


def select_examples(x: np.ndarray, nn: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``limit`` examples (all if negative) of inputs and network outputs, checked to match."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    nn = np.atleast_2d(np.asarray(nn, dtype=np.float64))
    if x.shape[0] != nn.shape[0]:
        raise InputError(f"{x.shape[0]} examples but {nn.shape[0]} network outputs")
    if limit >= 0:
        x, nn = x[:limit], nn[:limit]
    return x, nn


def simulate_recorded(crn: CRN, c0: np.ndarray, sim, rates: np.ndarray, times: np.ndarray | None,
                      readout: Callable[[np.ndarray], np.ndarray], progress: Callable[[int], None] | None = None):
    """Final states, stop times, convergence and ``readout`` of every example's states at ``times``.

    Examples go in chunks so that the recorded states stay under ``_STATE_BYTES`` per call;
    ``readout`` maps states (..., species) to what is kept (..., k); ``progress(n)`` as n examples finish. Returns
    (final (n, species), t_final (n,), converged (n,), recorded (T, n, k) or None).
    """
    per_example = 8 * crn.n_species * (0 if times is None else times.size)
    chunk = max(sim.batch_size, _STATE_BYTES // per_example) if per_example else max(len(c0), 1)
    runs = [simulate(crn, c0[i:i + chunk], sim, rates=rates, times=times, progress=progress)
            for i in range(0, max(len(c0), 1), chunk)]
    recorded = None if times is None else np.concatenate([readout(r.states) for r in runs], axis=1)
    return (np.concatenate([r.final for r in runs]), np.concatenate([r.t_final for r in runs]),
            np.concatenate([r.converged for r in runs]), recorded)


def run_kinetics(crn: CRN, c0: np.ndarray, nn: np.ndarray, rates: list[np.ndarray], config: KineticsConfig,
                 kind: str, progress: Callable[[int], None] | None = None) -> KineticsResult:
    """Simulate c0 (nM) under each rate vector; draw 0 on the time grid when trajectories are on.

    ``progress(n)`` as n more examples finish, over every draw (len(rates) × len(c0) in all).
    """
    if nn.shape[1] != len(crn.outputs):
        raise InputError(f"network has {nn.shape[1]} outputs but the CRN has {len(crn.outputs)}")
    sim = simulation_config(config)
    start = time.perf_counter()
    outputs, t_final, converged = [], [], []
    grid = trajectories = t90 = None
    for d, k in enumerate(rates):
        times = time_grid(config) if d == 0 and config.trajectories else None
        states, stop, conv, recorded = simulate_recorded(crn, c0, sim, k, times, crn.output_values, progress)
        final = crn.output_values(states) / config.unit_nM
        outputs.append(final)
        t_final.append(stop)
        converged.append(conv)
        if times is not None:
            grid = times
            trajectories = recorded / config.unit_nM
            t90 = t90_batch(grid, trajectories, final, fraction=config.t90_fraction, floor=config.t90_floor_units)
    names = tuple(s.name for s in crn.outputs)
    return KineticsResult(kind, names, nn, np.stack(outputs), np.stack(t_final), np.stack(converged), grid,
                          trajectories, t90, time.perf_counter() - start, config.unit_nM)


def simulate_formal_kinetics(crn: CRN, x: np.ndarray, nn_outputs: np.ndarray,
                             config: KineticsConfig = KineticsConfig(), *,
                             fuel_nM: float | np.ndarray | FuelPlan | None = None,
                             progress: Callable[[int], None] | None = None) -> KineticsResult:
    """Simulate the formal CRN on inputs x (network units) under ``config.rate_draws`` rate draws.

    Inputs, biases and outputs are scaled by ``config.unit_nM``. ``fuel_nM`` sets the fuel
    behind each reaction's pseudo-first-order rate: a FuelPlan, one value, one per reaction,
    or None for ``config.fuel_units`` units. Only the first ``config.examples`` examples run;
    ``progress(n)`` as n more of the draws × examples runs finish.
    """
    x, nn = select_examples(x, nn_outputs, config.examples)
    fuel = reaction_fuel(crn, config, fuel_nM)
    c0 = crn.initial_state(x) * config.unit_nM
    rates = [formal_rates(crn, config, d, fuel) for d in range(config.rate_draws)]
    return run_kinetics(crn, c0, nn, rates, config, "formal", progress)
