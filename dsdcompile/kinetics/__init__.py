"""Kinetics at realistic rates: formal vs DNA implementation, finite fuel, leak, rate-setting fuel."""

from dsdcompile.kinetics.formal import formal_rates, simulate_formal_kinetics
from dsdcompile.kinetics.fuel import FuelPlan, fuel_plan, reaction_firings
from dsdcompile.kinetics.implementation import (
    ImplementationCRN,
    build_implementation_crn,
    leak_reactions,
    simulate_implementation_kinetics,
)
from dsdcompile.kinetics.leak import LeakSweep, leak_sweep
from dsdcompile.kinetics.report import write_kinetics_outputs
from dsdcompile.kinetics.result import KineticsResult, kinetics_summary
from dsdcompile.kinetics.t90 import t90, t90_batch

__all__ = [
    "FuelPlan", "ImplementationCRN", "KineticsResult", "LeakSweep",
    "build_implementation_crn", "formal_rates", "fuel_plan", "kinetics_summary",
    "leak_reactions", "leak_sweep", "reaction_firings", "simulate_formal_kinetics",
    "simulate_implementation_kinetics", "t90", "t90_batch",
    "write_kinetics_outputs",
]
