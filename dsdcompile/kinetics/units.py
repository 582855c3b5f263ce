"""Physical units of the kinetics: nM and seconds, rate constants converted from the usual /M/s."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from dsdcompile.config import KineticsConfig, SimulationConfig
from dsdcompile.errors import InputError

NM_PER_M = 1.0e9
SECONDS_PER_HOUR = 3600.0


def per_nM(rate: float | np.ndarray, order: int | np.ndarray) -> float | np.ndarray:
    """A mass-action rate constant of the given molecularity from /M^(n-1)/s to /nM^(n-1)/s."""
    return rate * NM_PER_M ** (1.0 - np.asarray(order, dtype=np.float64))


def log_uniform(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """n values drawn log-uniformly from [low, high]."""
    if not 0 < low <= high:
        raise InputError(f"rate range must satisfy 0 < min <= max, got [{low}, {high}]")
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=n)


def device_name(config: KineticsConfig) -> str:
    """The torch device the simulator runs on: "auto" picks the GPU when there is one."""
    if config.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return config.device


def simulation_config(config: KineticsConfig) -> SimulationConfig:
    """The simulator's settings for a kinetics run (times in seconds, concentrations in nM)."""
    return replace(SimulationConfig(), t_max=config.t_max_hours * SECONDS_PER_HOUR, rtol=config.rtol,
                   atol=config.atol, steady_rtol=config.steady_rtol, max_steps=config.max_steps,
                   batch_size=config.batch_size, device=device_name(config))


def time_grid(config: KineticsConfig) -> np.ndarray:
    """0 followed by log-spaced times from ``grid_start_s`` to the end of the run, in seconds."""
    t_max = config.t_max_hours * SECONDS_PER_HOUR
    start = min(config.grid_start_s, t_max)
    n = max(int(np.ceil(np.log10(t_max / start) * config.grid_per_decade)), 0) + 1
    return np.concatenate([[0.0], np.geomspace(start, t_max, n)])
