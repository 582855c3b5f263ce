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


def check_config(config: KineticsConfig) -> None:
    """Reject configurations no run can use, naming the offending field."""
    positive = ("unit_nM", "rate_min", "rate_max", "fuel_units", "fuel_safety", "t_max_hours", "rtol", "atol",
                "steady_rtol", "t90_fraction", "grid_start_s", "volume_uL", "pipette_target_uL", "max_stock_uM")
    for name in positive:
        value = getattr(config, name)
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"kinetics {name} must be positive and finite, got {value}")
    for name in ("fuel_min_units", "leak", "t90_floor_units"):
        if not (np.isfinite(getattr(config, name)) and getattr(config, name) >= 0):
            raise InputError(f"kinetics {name} must be non-negative, got {getattr(config, name)}")
    if config.rate_draws < 1 or config.grid_per_decade < 1 or config.batch_size < 1 or config.max_steps < 1:
        raise InputError("kinetics rate_draws, grid_per_decade, batch_size and max_steps must be at least 1")
    if config.rate_min > config.rate_max:
        raise InputError(f"kinetics rate_min {config.rate_min} exceeds rate_max {config.rate_max}")
    if not 0 < config.input_volume_fraction < 1:
        raise InputError(f"input_volume_fraction must be in (0, 1), got {config.input_volume_fraction}")
    if config.anneal_excess < 1:
        raise InputError(f"anneal_excess must be at least 1, got {config.anneal_excess}")


def device_name(config: KineticsConfig) -> str:
    """The torch device the simulator runs on: "auto" picks the GPU when there is one."""
    if config.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return config.device


def simulation_config(config: KineticsConfig) -> SimulationConfig:
    """The simulator's settings for a kinetics run (times in seconds, concentrations in nM)."""
    check_config(config)
    return replace(SimulationConfig(), t_max=config.t_max_hours * SECONDS_PER_HOUR, rtol=config.rtol,
                   atol=config.atol, steady_rtol=config.steady_rtol, max_steps=config.max_steps,
                   batch_size=config.batch_size, device=device_name(config))


def time_grid(config: KineticsConfig) -> np.ndarray:
    """0 followed by log-spaced times from ``grid_start_s`` to the end of the run, in seconds."""
    t_max = config.t_max_hours * SECONDS_PER_HOUR
    start = min(config.grid_start_s, t_max)
    n = max(int(np.ceil(np.log10(t_max / start) * config.grid_per_decade)), 0) + 1
    return np.concatenate([[0.0], np.geomspace(start, t_max, n)])
