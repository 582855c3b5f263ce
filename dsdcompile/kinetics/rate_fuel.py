"""Rate-setting fuel for rate-dependent constructions: τ and the fuel that gives every module its rate constant.

**Units.** An anderson2021 CRN is dimensionless. With concentrations in units of
u = ``RateFuelConfig.unit_nM`` and time in units of τ (``time_unit_s``), y_real = u·y and
t_real = τ·t, so a reaction with n reactant molecules and formal rate constant k must run at

    k_real = k · u^(1−n) / τ      n = 2: k/(u·τ) /M/s (u in M),  n = 1: k/τ /s,  n = 0: k·u/τ M/s

for d y_real / d t_real = (u/τ) · dy/dt. A uniform change of τ rescales time only and moves no
fixed point, so τ is a free design choice (below).

**Rate per module.** :class:`~dsdcompile.kinetics.module_rate.ModuleKinetics` solves each
enumerated module's quasi-steady state (fuels held, formal species at 1 unit) and gives its
effective rate constant k_eff and d ln k_eff / d ln [fuel] per fuel. The fuel with the
largest exponent (+1: the gate, Soloveichik's L) sets the rate; fuels with exponent near −1
lower it (the buffer strand that makes the join's first step reversible); the rest are in
excess (exponent 0: forks). With the buffer at its level the gate is solved for, by
iterating [gate] ← [gate]·(target/k_eff)^(1/exponent), until k_eff is the target to 1e-9
(or to 1e-6 where the QSS rate itself jitters, for signals far below one unit).
For Soloveichik's join this is [L] ≈ [B]·k_real/k_2 (QSS, [B] ≫ signals; the saturation
term k_2·[signal] ≪ k_r·[B] is kept by the QSS, not assumed away).

**Catalysts the gates hold.** Inputs and helper catalysts (species no reaction changes)
have conserved totals, but a join whose first reactant they are holds some of them bound
to its gate (about [L]/[B] per free unit). Free = total / (1 + φ), φ summed over the modules.
Helper catalysts are supplied at (1 + φ) times their level; the totals of inputs are the
experimenter's, so the modules that consume an input get their targets × (1 + φ) instead.
Signals that the CRN does change (hidden and output units) are held too, but reversibly,
which slows them and moves no fixed point.

**τ.** The held share of an input grows like 1/τ and the fuel a run needs like τ + const
(the run lasts a fixed number of τ, slowed by what gates hold), so τ is the smallest value
at which no input is held by more than ``max_input_held`` of its total and no gate
exceeds ``fuel_max_nM``. ``time_unit_s`` > 0 fixes τ instead.

**Fuel sizing** (:func:`size_fuel`, after a fuel-excess run has measured what each fuel
gives up by the readout time): the gate and buffer of a module scale together (their ratio
sets the rate) so that every gate holds the same multiple s of what it gives up, s =
``fuel_safety`` where the caps allow. Equal multiples make every rate constant decay
by the same factor as the gates are used up, which slows the CRN down without moving its
fixed point. anderson2021 keeps its catalytic and 2Y → Y reactions firing at the fixed
point, so fuel is used for as long as the tube runs; what is left of the drift (modules
that cannot keep the common multiple, released buffer strands, gates' held shares that
shift) :mod:`~dsdcompile.kinetics.rate_kinetics` measures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from dsdcompile.config import RateFuelConfig
from dsdcompile.dsd.implementation import ModuleImplementation
from dsdcompile.errors import DesignInfeasible, InternalError
from dsdcompile.ir import CRN, Role
from dsdcompile.kinetics.implementation import merge_signal_carriers
from dsdcompile.kinetics.module_rate import ModuleKinetics

GATE, BUFFER, EXCESS = "gate", "buffer", "excess"
_GATE_RTOL = 1e-9
# The module QSS rate is itself a numerical solve: for a signal far below one unit (virus
# anderson2021, module '2 Y1_11 -> Y1_11' at 0.002 nM) its k_eff jitters by ~1e-7 relative
# from one gate level to the next, so the iteration cannot reach _GATE_RTOL; the closest
# level within _GATE_ACCEPT is used (float32 weights carry ~1e-7 relative error anyway).
_GATE_ACCEPT = 1e-6
_GATE_LIMIT = 1e3  # × fuel_max_nM: a gate solve past this has no plan at this τ
_TAU_ROUNDS = 6


@dataclass(frozen=True)
class FuelRole:
    """What one fuel does in its module: ``gate`` sets the rate, ``buffer`` lowers it, ``excess`` neither."""

    fuel: str
    module: int
    role: str
    exponent: float  # d ln k_eff / d ln [fuel]


@dataclass(frozen=True, eq=False)
class RateFuelPlan:
    """Time unit, fuel and helper concentrations of a rate-dependent DSD design.

    ``target`` is each formal reaction's rate constant in real units (nM, s) before the
    compensation for held inputs; ``k_eff`` what the module gives at QSS with the plan's fuels.
    ``consumed_nM`` (what each fuel gives up by ``readout_s`` in the fuel-excess run) is empty
    until :func:`size_fuel`.
    """

    time_unit_s: float
    unit_nM: float
    fuel_nM: dict[str, float]
    helper_nM: dict[str, float]        # total supplied per helper catalyst (formal species)
    roles: dict[str, FuelRole]
    target: np.ndarray                 # (reactions,)
    k_eff: np.ndarray                  # (reactions,)
    compensation: np.ndarray           # (reactions,) the (1 + φ) factors applied to the targets
    held: dict[str, float]             # φ per conserved catalyst
    consumed_nM: dict[str, float] = field(default_factory=dict)
    readout_s: float = float("nan")

    @property
    def margin(self) -> float:
        """min over consumed fuels of supplied / consumed by the readout time (inf before sizing)."""
        ratios = [self.fuel_nM[f] / c for f, c in self.consumed_nM.items() if c > 0]
        return float(min(ratios)) if ratios else float("inf")


def real_rate_constants(crn: CRN, unit_nM: float, tau_s: float) -> np.ndarray:
    """k·u^(1−n)/τ per reaction in nM^(1−n)/s (the formal CRN at real units)."""
    order = np.array([r.order for r in crn.reactions], dtype=np.float64)
    return crn.rate_constants(1.0) * unit_nM ** (1.0 - order) / tau_s


def conserved_catalysts(crn: CRN) -> set[str]:
    """Species that some reaction consumes and no reaction changes (inputs, helper catalysts)."""
    net = np.asarray(abs(crn.stoichiometry).sum(axis=0)).ravel()
    used = np.asarray(crn.reactant_matrix.sum(axis=0)).ravel()
    return {s.name for s, n, u in zip(crn.species, net, used) if n == 0 and u > 0}


class _Planner:
    """Per-module QSS solvers, fuel roles and the gate solve with compensation for held catalysts."""

    def __init__(self, crn: CRN, modules: Sequence[ModuleImplementation], config: RateFuelConfig,
                 operating_point: Mapping[str, float] | None = None):
        self.crn, self.config = crn, config
        merged = merge_signal_carriers(modules)
        by_index = {m.index: m for m in merged}
        missing = sorted(set(range(crn.n_reactions)) - set(by_index))
        if missing:
            raise InternalError(f"{len(missing)} formal reactions have no module, e.g. reaction {missing[0]}")
        self.catalysts = conserved_catalysts(crn)
        self.helpers = {s.name for s in crn.species if s.name in self.catalysts and s.role != Role.INPUT}
        if self.helpers - {n for n, _ in crn.initial}:
            raise DesignInfeasible(f"catalysts {sorted(self.helpers - {n for n, _ in crn.initial})} are neither "
                                   "inputs nor initially present")
        self.level = {n: v for n, v in crn.initial}
        cats = frozenset(self.catalysts)
        self.kin = [ModuleKinetics(by_index[j], cats) for j in range(crn.n_reactions)]
        self.signals = {s.name: config.unit_nM for s in crn.species}
        if operating_point is not None:
            self.signals.update({n: v * config.unit_nM for n, v in operating_point.items() if v > 0})
        self.roles: dict[str, FuelRole] = {}

    def assign_roles(self, levels: dict[str, float]) -> None:
        """Classify every fuel by its exponent at ``levels``: the largest positive one is the module's gate."""
        for j, mk in enumerate(self.kin):
            exps = mk.fuel_exponents(levels, self.signals)
            gate = max(mk.fuels, key=lambda f: exps[f])  # ties: the first listed fuel
            if exps[gate] < 0.5:
                raise DesignInfeasible(f"module {j} ('{mk.module.formal}'): no fuel raises its rate (exponents {exps})")
            for f in mk.fuels:
                role = GATE if f == gate else BUFFER if exps[f] < -0.5 else EXCESS
                self.roles[f] = FuelRole(f, j, role, exps[f])

    def gate(self, j: int) -> str:
        return next(f for f in self.kin[j].fuels if self.roles[f].role == GATE)

    def solve_gates(self, tau: float, levels: dict[str, float], max_rounds: int = 30) -> dict:
        """Gates for time unit ``tau`` with the other fuels at ``levels``, targets compensated for held inputs.

        Gates hold about [L]/[B] of an input per module, linear in the target, so with the
        compensation c the held φ = s·c and the fixed point is c = 1/(1 − s): each round
        sets c from s = φ/c of the round before, which converges in a few rounds.
        """
        levels = dict(levels)
        target = real_rate_constants(self.crn, self.config.unit_nM, tau)
        inputs = sorted(self.catalysts - self.helpers)
        comp = {c: 1.0 for c in inputs}
        for _ in range(max_rounds):
            k_eff = np.empty(self.crn.n_reactions)
            factor = self._factors(comp)
            held = {c: 0.0 for c in self.catalysts}
            for j in range(self.crn.n_reactions):
                q = self._solve_gate(j, target[j] * factor[j], levels)
                k_eff[j] = q.k_eff
                for c, h in q.held.items():
                    held[c] += h
            s = {c: held[c] / comp[c] for c in inputs}
            if any(v >= 1.0 for v in s.values()):
                raise DesignInfeasible(f"time unit {tau:.3g} s: gates would hold all of an input; choose a larger τ")
            new = {c: 1.0 / (1.0 - s[c]) for c in inputs}
            done = all(abs(new[c] / comp[c] - 1.0) <= 1e-9 for c in inputs)
            comp = new
            if done:
                break
        return {"levels": levels, "target": target, "k_eff": k_eff, "compensation": factor, "held": held}

    def _factors(self, comp: Mapping[str, float]) -> np.ndarray:
        """Per reaction, the product of (1 + φ) over the inputs it consumes."""
        factor = np.ones(self.crn.n_reactions)
        for j, r in enumerate(self.crn.reactions):
            for name, c in r.reactants:
                if name in comp:
                    factor[j] *= comp[name] ** c
        return factor

    def _solve_gate(self, j: int, target: float, levels: dict[str, float]):
        mk, gate = self.kin[j], self.gate(j)
        exponent = self.roles[gate].exponent
        signals = dict(self.signals)
        best = None  # (relative miss, gate level, qss)
        for _ in range(60):
            q = mk.qss(levels, signals)
            ratio = target / q.k_eff
            if best is None or abs(ratio - 1.0) < best[0]:
                best = (abs(ratio - 1.0), levels[gate], q)
            if abs(ratio - 1.0) <= _GATE_RTOL:
                return q
            levels[gate] = levels[gate] * ratio ** (1.0 / exponent)
            if not levels[gate] <= _GATE_LIMIT * self.config.fuel_max_nM:  # also NaN
                raise DesignInfeasible(f"module {j} ('{mk.module.formal}'): gate {gate} would need over "
                                 f"{_GATE_LIMIT:g}x fuel_max_nM to reach its target rate; choose a larger τ")
        if best[0] <= _GATE_ACCEPT:
            levels[gate] = best[1]
            return best[2]
        raise InternalError(f"module {j} ('{mk.module.formal}'): the gate solve for {gate} did not converge to its "
                            f"target rate (closest: {best[0]:.2g} relative)")

    def inputs_held(self, held: Mapping[str, float]) -> float:
        """The largest share of an input's total that gates hold: φ/(1 + φ)."""
        shares = [h / (1.0 + h) for c, h in held.items() if c not in self.helpers]
        return max(shares, default=0.0)


def _reference_levels(planner: _Planner, config: RateFuelConfig) -> dict[str, float]:
    levels = {}
    for mk in planner.kin:
        for f in mk.fuels:
            role = planner.roles.get(f)
            if role is None or role.role == BUFFER:
                levels[f] = config.fuel_max_nM
            elif role.role == GATE:
                levels[f] = config.fuel_max_nM * 1e-2
            else:
                levels[f] = max(config.excess_min_nM, config.fuel_max_nM * 0.1)
    return levels


def choose_time_unit(planner: _Planner, levels: dict[str, float], config: RateFuelConfig) -> tuple[float, dict]:
    """The smallest τ at which inputs are held by at most ``max_input_held`` and gates stay under the cap.

    Both the held share s of an input and the gates scale like 1/τ (the held share is s, not
    φ, after compensation), so τ·(largest ratio to its limit) is the answer; starting from a
    long τ, where nothing is near a limit, it is reached in one or two rounds.
    """
    if config.time_unit_s > 0:
        return config.time_unit_s, planner.solve_gates(config.time_unit_s, levels)
    tau = 1.0e7
    for _ in range(_TAU_ROUNDS):
        sol = planner.solve_gates(tau, levels)
        share = planner.inputs_held(sol["held"])
        gate_max = max(sol["levels"][planner.gate(j)] for j in range(len(planner.kin)))
        over = max(share / config.max_input_held, gate_max / config.fuel_max_nM)
        new = tau * over
        if abs(new / tau - 1.0) <= 1e-3:
            return tau, sol
        tau = new
    return tau, planner.solve_gates(tau, levels)


def operating_point(crn: CRN, x: np.ndarray) -> dict[str, float]:
    """Mean concentration (units) of every species at the formal CRN's fixed point over the examples ``x``.

    The QSS of a join depends a little on its second reactant (the k_2·[signal] term next
    to k_r·[buffer]); evaluating every module at the mean fixed point centres that error.
    """
    from dsdcompile.config import SimulationConfig
    from dsdcompile.sim.engine import simulate

    res = simulate(crn, crn.initial_state(x), SimulationConfig(t_max=1e4, steady_rtol=1e-9, atol=1e-10))
    mean = res.final.mean(axis=0)
    return {s.name: float(v) for s, v in zip(crn.species, mean)}


def plan_rates(crn: CRN, modules: Sequence[ModuleImplementation], config: RateFuelConfig = RateFuelConfig(), *,
               x: np.ndarray | None = None) -> tuple[RateFuelPlan, _Planner]:
    """Roles, τ and gates with every other fuel at its reference level (buffers at the cap): a plan to size.

    Modules are evaluated with every formal species at its mean fixed-point concentration
    over the examples ``x`` (1 unit without examples, or where that mean is 0).
    """
    planner = _Planner(crn, modules, config, None if x is None else operating_point(crn, x))
    levels = _reference_levels(planner, config)
    planner.assign_roles(levels)
    levels = _reference_levels(planner, config)
    tau, sol = choose_time_unit(planner, levels, config)
    return _plan(planner, tau, sol), planner


def _plan(planner: _Planner, tau: float, sol: dict, **extra) -> RateFuelPlan:
    helper_nM = {h: planner.level[h] * planner.config.unit_nM * (1.0 + sol["held"].get(h, 0.0))
                 for h in sorted(planner.helpers)}
    return RateFuelPlan(tau, planner.config.unit_nM, dict(sol["levels"]), helper_nM, dict(planner.roles),
                        sol["target"], sol["k_eff"], sol["compensation"], dict(sol["held"]), **extra)


def size_fuel(plan: RateFuelPlan, planner: _Planner, consumed_nM: Mapping[str, float], readout_s: float
              ) -> RateFuelPlan:
    """Scale every module's gate to the same multiple s of what it consumed by ``readout_s``.

    Gate and buffer scale together, so each module keeps its rate. The multiple is the same
    for every module because rate constants that all decay by the same factor g(t) only
    slow the whole CRN down, dy/dt = g(t)·f(y), which moves no fixed point: with equal
    multiples, gates used up by the same fraction leave the outputs in place (at the fixed
    point every module's flux is steady, so what it has used grows in step). s is
    ``fuel_safety``, raised where a buffer would fall below ``buffer_min_units``
    (k_r·[buffer] must stay well above k_2·[signal]) and lowered where one would pass
    ``fuel_max_nM``; where floor and cap cannot both hold, the cap wins and the modules
    on the floor use up a smaller fraction. Fuels in excess get s × their consumption, at
    least ``excess_min_nM``.
    """
    cfg = planner.config
    levels = dict(plan.fuel_nM)
    scalable = []  # (gate, rate fuels, consumption of the gate)
    for j, mk in enumerate(planner.kin):
        rate_fuels = [f for f in mk.fuels if plan.roles[f].role != EXCESS]
        # k_eff depends on the ratio of gate and buffer only (degree 0): they can scale together
        if abs(sum(plan.roles[f].exponent for f in rate_fuels)) < 0.1:
            gate = planner.gate(j)
            scalable.append((gate, rate_fuels, consumed_nM.get(gate, 0.0)))
    floor = cfg.buffer_min_units * cfg.unit_nM
    # s between the largest multiple the floor forces on some module and the smallest the cap allows
    low, high = 0.0, float("inf")
    for gate, rate_fuels, used in scalable:
        if used > 0:
            ratio = levels[gate] / max(levels[f] for f in rate_fuels)  # gate / buffer
            low = max(low, floor * ratio / used)
            high = min(high, cfg.fuel_max_nM * ratio / used)
    safety = min(max(cfg.fuel_safety, low), high)
    for gate, rate_fuels, used in scalable:
        top = max(levels[f] for f in rate_fuels)
        scale = min(max(safety * used / levels[gate], floor / top), cfg.fuel_max_nM / top)
        for f in rate_fuels:
            levels[f] *= scale
    for mk in planner.kin:
        for f in mk.fuels:
            if plan.roles[f].role == EXCESS:
                levels[f] = min(max(safety * consumed_nM.get(f, 0.0), cfg.excess_min_nM), cfg.fuel_max_nM)
    sol = planner.solve_gates(plan.time_unit_s, levels)
    return _plan(planner, plan.time_unit_s, sol, consumed_nM=dict(consumed_nM), readout_s=readout_s)


def with_fuel(plan: RateFuelPlan, fuel_nM: Mapping[str, float]) -> RateFuelPlan:
    """The plan with other fuel concentrations (e.g. a deliberately wrong plan, to see the check fail)."""
    return replace(plan, fuel_nM=dict(fuel_nM))


__all__ = ["BUFFER", "EXCESS", "GATE", "FuelRole", "RateFuelPlan", "choose_time_unit",
           "conserved_catalysts", "operating_point", "plan_rates", "real_rate_constants", "size_fuel", "with_fuel"]
