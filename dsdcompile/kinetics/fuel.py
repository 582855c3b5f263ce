"""Finite fuel: how much of each fuel the examples (or every input of a box) consume, and how much to supply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dsdcompile.config import KineticsConfig
from dsdcompile.crn.bounds import CRNBounds
from dsdcompile.crn.evaluate import ExactEvaluator
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.errors import InputError, InternalError
from dsdcompile.ir import CRN


@dataclass(frozen=True, eq=False)
class FuelPlan:
    """Fuel concentrations (nM) that cover the worst example times a safety factor.

    Consumption model: every fuel species of a module is used up once per firing of the
    module's formal reaction (one gate, one translator... per formal event). This is exact
    for the usual gate/translator schemes and conservative for fuels a module releases
    again (e.g. Soloveichik's buffer strand). A fuel shared by several modules needs the
    sum of their firings, taken per example before the worst case. Without modules every
    formal reaction is taken to have one fuel of its own, named ``fuel_r<j>``.
    ``margin`` is min over consumed fuels of supplied / worst-case need (inf if none is used).
    """

    fuel_nM: dict[str, float]          # supplied concentration per fuel
    needed_nM: dict[str, float]        # worst case over the examples
    reaction_fuel_nM: np.ndarray       # (reactions,) the least fuel of each formal reaction's module
    firings_nM: np.ndarray             # (examples, reactions) how far each formal reaction fires
    safety: float
    margin: float

    def scaled(self, factor: float) -> FuelPlan:
        """The same plan with every supplied concentration multiplied by ``factor``."""
        fuel = {f: c * factor for f, c in self.fuel_nM.items()}
        return FuelPlan(fuel, self.needed_nM, self.reaction_fuel_nM * factor, self.firings_nM,
                        self.safety * factor, _margin(fuel, self.needed_nM))


def _margin(fuel: dict[str, float], needed: dict[str, float]) -> float:
    ratios = [fuel[f] / n for f, n in needed.items() if n > 0]
    return float(min(ratios)) if ratios else float("inf")


def reaction_firings(formal_crn: CRN, x: np.ndarray, unit_nM: float) -> np.ndarray:
    """(examples, reactions): how far each formal reaction fires, in nM, from the exact evaluator."""
    c0 = formal_crn.initial_state(x) * unit_nM
    extents = np.zeros((c0.shape[0], formal_crn.n_reactions))
    ExactEvaluator(formal_crn).final_state(c0, extents=extents)
    return extents


def module_fuels(formal_crn: CRN, modules: Sequence[ModuleImplementation] | None) -> list[tuple[str, ...]]:
    """The fuels of each formal reaction (implicit ``fuel_r<j>`` without modules)."""
    if modules is None:
        return [(f"fuel_r{j}",) for j in range(formal_crn.n_reactions)]
    fuels: list[tuple[str, ...]] = [() for _ in range(formal_crn.n_reactions)]
    for m in modules:
        if not 0 <= m.index < formal_crn.n_reactions:
            raise InternalError(f"module for reaction {m.index} is out of range for {formal_crn.n_reactions} reactions")
        fuels[m.index] = fuels[m.index] + tuple(m.fuels)
    return fuels


def _fuel_use(formal_crn: CRN, modules: Sequence[ModuleImplementation] | None):
    """(per-reaction fuels, sorted fuel names, reactions × fuels 0/1 use matrix)."""
    per_reaction = module_fuels(formal_crn, modules)
    names = sorted({f for fs in per_reaction for f in fs})
    col = {f: i for i, f in enumerate(names)}
    use = np.zeros((formal_crn.n_reactions, len(names)))
    for j, fs in enumerate(per_reaction):
        for f in set(fs):
            use[j, col[f]] = 1.0
    return per_reaction, names, use


def _safety(config: KineticsConfig, safety: float | None) -> float:
    safety = config.fuel_safety if safety is None else float(safety)
    if not (np.isfinite(safety) and safety > 0):
        raise InputError(f"fuel safety factor must be positive, got {safety}")
    return safety


def _plan(worst: np.ndarray, names: list[str], per_reaction, firings: np.ndarray, config: KineticsConfig,
          safety: float) -> FuelPlan:
    supplied = np.maximum(safety * worst, config.fuel_min_units * config.unit_nM)
    fuel = {f: float(supplied[i]) for i, f in enumerate(names)}
    needed = {f: float(worst[i]) for i, f in enumerate(names)}
    default = config.fuel_units * config.unit_nM
    reaction_fuel = np.array([min((fuel[f] for f in fs), default=default) for fs in per_reaction])
    return FuelPlan(fuel, needed, reaction_fuel, firings, safety, _margin(fuel, needed))


def bound_fuel_plan(formal_crn: CRN, modules: Sequence[ModuleImplementation] | None, bounds: CRNBounds,
                    config: KineticsConfig = KineticsConfig(), *, safety: float | None = None) -> FuelPlan:
    """Plan fuel for every input of a box: each fuel covers the worst case of its modules' firings over the box.

    ``bounds`` are :func:`dsdcompile.crn.bounds.bound_crn` of ``formal_crn`` over the box (network
    units). A fuel's need is the bound of the sum of its modules' firings
    (:meth:`~dsdcompile.crn.bounds.CRNBounds.sum_bound`), times one unit; the supply is
    max(safety × need, ``fuel_min_units`` units) as in :func:`fuel_plan`. ``firings_nM`` holds one
    row: every reaction's extent bound in nM.
    """
    safety = _safety(config, safety)
    if bounds.crn is not formal_crn and bounds.crn.n_reactions != formal_crn.n_reactions:
        raise InternalError("the bounds were computed for another CRN")
    per_reaction, names, use = _fuel_use(formal_crn, modules)
    worst = np.array([bounds.sum_bound(use[:, i]) for i in range(len(names))]) * config.unit_nM
    return _plan(worst, names, per_reaction, bounds.extents[None, :] * config.unit_nM, config, safety)


def fuel_plan(formal_crn: CRN, modules: Sequence[ModuleImplementation] | None, x: np.ndarray,
              config: KineticsConfig = KineticsConfig(), *, safety: float | None = None) -> FuelPlan:
    """Plan fuel concentrations for the examples ``x`` (network units, examples × inputs).

    Each fuel gets max(safety × worst-case need, ``fuel_min_units`` units): the floor keeps
    fuels of reactions that no example fires from vanishing from the design.
    """
    safety = _safety(config, safety)
    firings = reaction_firings(formal_crn, x, config.unit_nM)
    per_reaction, names, use = _fuel_use(formal_crn, modules)
    demand = firings @ use  # (examples, fuels), summed over the modules sharing a fuel
    worst = demand.max(axis=0) if demand.shape[0] else np.zeros(len(names))
    return _plan(worst, names, per_reaction, firings, config, safety)
