"""Mass-action ODE simulation of a CRN to steady state, batched over many initial states.

The ODEs are dc/dt = Nᵀ v(c) with v_r = k_r Π_s c_s^{R_rs} (N = P - R the stoichiometry,
reactions × species). Their Jacobian is J = Nᵀ D with D = ∂v/∂c, which has one entry per
reactant of each reaction; J is never formed.

Method. Species are grouped into the strongly connected components (SCCs) of their
dependency graph (t depends on s when a reaction consuming s changes t) and the SCCs into
topological levels. For the feed-forward CRNs that :func:`dsdcompile.passes.compile_network`
builds, SCCs have 1-3 species ({M, I-} for ``M + I- -> H-``; {I+, I-, M} with annihilation)
and there are about three levels per network layer, so I - γhJ is block lower triangular
and each linear solve is a forward substitution over the levels: solve the small diagonal
blocks (closed-form inverses, vectorized over blocks and examples), then push the level's
solution into later levels through the stoichiometry rows of its reactions. Those rows are
stored per level as a dense core (the fan-out reactions of a layer, multiplied with BLAS)
plus a sparse rest, and the same structure evaluates dc/dt.

Time stepping is the L-stable Rosenbrock method Ros3 (Sandu et al. 1997: 3 stages, order 3,
embedded order-2 error estimate, two right-hand sides and one Jacobian per step), with a
step size per example and the RMS error norm of ``atol + rtol·|c|``. Concentrations are
clipped at 0 after each step (the clipped amounts are below the error tolerance). An
example stops at steady state, when max_s |dc_s/dt| / max(|c_s|, atol) < ``steady_rtol``,
or at ``t_max`` or ``max_steps``; finished examples leave the batch and waiting ones take
their place. All of this runs in float64 torch on ``config.device`` ("cpu" or "cuda").

Sample times. With ``times`` every example's steps are shortened to land on each sample
time (the controller's proposed step size is kept for the step after), so the states of
the whole batch come back on one grid at the cost of about one extra step per sample.

The BDF back end. CRNs with an SCC of more than :data:`MAX_BLOCK` species (general CRNs
with long cycles, DSD implementations whose gates bind reversibly) go to scipy's BDF with
the analytic sparse Jacobian instead, one example per task (over an executor when given
one), stopped by the same steady-state test and sampled at ``times`` from BDF's
interpolating polynomial. It integrates the plain mass-action polynomial, which is smooth
through zero and has an exact Jacobian there, and falls back to rates clipped at zero only
for an example whose polynomial run fails (see :func:`mass_action`). Unclipped, a used-up
species lingers at small values within ``atol`` of zero (where the error control stops
looking) with a relative rate of change far above ``steady_rtol``, so the steady-state test
seldom passes and BDF runs often go on to ``t_max``.
``config.backend`` chooses: "auto" (Rosenbrock where it applies), "rosenbrock" or "bdf".

Accuracy. Rosenbrock steps preserve every linear conservation law, so for feed-forward CRNs
the steady state is fixed by the conservation laws and reached up to the clipped amounts
and what is left unconverged; with the default tolerances (rtol 1e-3, atol 1e-6) outputs
agree with the exact limit (:class:`dsdcompile.crn.evaluate.ExactEvaluator`) to 1e-6 relative
to max(1, |output|) or better (3e-7 measured on a 196-512-512-10 network), well inside
``AgreementConfig.ode_rtol`` = 1e-3. Examples whose ReLU inputs nearly cancel approach
their limit like 1/t and may stop unconverged at ``t_max``, still within that tolerance.

Speed (scripts/bench_simulate.py, 2 shared CPU cores, one torch thread): 0.34-0.41 s per
input for that network, 16x faster than scipy's BDF with the analytic sparse Jacobian.
Multithreaded torch helps only on an otherwise idle machine; inputs of small CRNs always
run on one thread. The BDF back end is for the CRNs Rosenbrock cannot take: on a
196-128-128-10 network it took 13.5 s per input against Rosenbrock's 0.24 s, 56x (``python
scripts/bench_simulate.py --sizes 196,128,128,10 --inputs 16 --baseline-inputs 2
--bdf-inputs 2 --skip-naive --hundred 0``, loaded machine): its LU factors fill in under
scipy's column ordering, and it ran on to t = 7,900 (median) where Rosenbrock stopped at 260.
On the 21-species formal CRN of IRIS anderson2021 at rtol 1e-6, 3 examples, BDF took
0.37-0.67x Rosenbrock's time (scripts/bench_rate_kinetics.py), which is why
:mod:`dsdcompile.kinetics.rate_kinetics` asks for it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import torch
from scipy.integrate import BDF

from dsdcompile.config import SimulationConfig
from dsdcompile.errors import InputError, SimulationError
from dsdcompile.ir import CRN
from dsdcompile.sim.rosenbrock import MAX_BLOCK, Plan, integrate, reactant_table

if TYPE_CHECKING:
    from dsdcompile.runtime.executors import Executor

__all__ = ["MAX_BLOCK", "SimulationResult", "mass_action", "simulate", "simulate_outputs"]

_plans: weakref.WeakKeyDictionary[CRN, dict[str, Plan]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Final states and convergence information of a batch of simulations.

    ``method`` is the back end that ran: "rosenbrock" (the batched block-triangular solver)
    or "bdf". ``grid``/``states`` are there when :func:`simulate` was given ``times``.
    """

    final: np.ndarray               # (batch, n_species) concentrations at the end
    t_final: np.ndarray             # (batch,) time each example reached steady state (or stopped)
    converged: np.ndarray           # (batch,) steady state reached before t_max / max_steps
    steps: np.ndarray               # (batch,) accepted steps
    times: np.ndarray | None        # (T,) times of the recorded example's states
    trajectory: np.ndarray | None   # (T, n_species) the recorded example's states
    method: str = "rosenbrock"
    grid: np.ndarray | None = None    # (G,) the requested sample times
    states: np.ndarray | None = None  # (G, batch, n_species) every example's states at those times
    clipped: np.ndarray | None = None  # (batch,) BDF: the plain polynomial failed, clipped rates ran instead


def _plan(crn: CRN, device: torch.device) -> Plan:
    cache = _plans.setdefault(crn, {})
    if str(device) not in cache:
        cache[str(device)] = Plan(crn, device)
    return cache[str(device)]


def _device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise InputError(f"unknown simulation device {name!r}") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"simulation device {name!r} requested but no CUDA GPU is available")
    return device


def _check(crn: CRN, c0: np.ndarray, config: SimulationConfig, rates: np.ndarray | None,
           record: int | None, times: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    c0 = np.asarray(c0, dtype=np.float64)
    if c0.ndim == 1:
        c0 = c0[None]
    if c0.ndim != 2 or c0.shape[1] != crn.n_species:
        raise InputError(f"initial state must be (batch, {crn.n_species}), got shape {c0.shape}")
    if not np.isfinite(c0).all() or (c0 < 0).any():
        raise InputError("initial concentrations must be finite and non-negative")
    k = crn.rate_constants(config.rate) if rates is None else np.asarray(rates, dtype=np.float64)
    if k.shape != (crn.n_reactions,):
        raise InputError(f"expected {crn.n_reactions} rate constants, got shape {k.shape}")
    if not np.isfinite(k).all() or (k < 0).any():
        raise InputError("rate constants must be finite and non-negative")
    if record is not None and not 0 <= record < c0.shape[0]:
        raise InputError(f"record index {record} out of range for a batch of {c0.shape[0]}")
    for name in ("t_max", "rtol", "atol", "steady_rtol"):
        if not getattr(config, name) > 0:
            raise InputError(f"simulation {name} must be positive, got {getattr(config, name)}")
    if config.batch_size < 1 or config.max_steps < 1:
        raise InputError("simulation batch_size and max_steps must be at least 1")
    if times is not None:
        times = np.asarray(times, dtype=np.float64)
        if times.ndim != 1 or not np.isfinite(times).all() or (times < 0).any() or (np.diff(times) < 0).any():
            raise InputError("sample times must be a sorted 1-D array of finite times at or after 0")
        if times.size and times[-1] > config.t_max * (1 + 1e-12):
            raise InputError(f"sample time {times[-1]:g} is past the end of the run (t_max {config.t_max:g})")
    return c0, k, times


def simulate(crn: CRN, c0: np.ndarray, config: SimulationConfig = SimulationConfig(), *,
             rates: np.ndarray | None = None, record: int | None = None,
             progress: Callable[[int], None] | None = None, times: np.ndarray | None = None,
             executor: Executor | None = None) -> SimulationResult:
    """Integrate the mass-action ODEs of ``crn`` from each row of ``c0`` to steady state.

    Parameters
    ----------
    crn : the CRN.
    c0 : (batch, n_species) initial concentrations, e.g. ``crn.initial_state(x)``.
    config : tolerances, time limits, batch size, device and back end (``config.backend``:
        "auto" takes Rosenbrock where every SCC has at most :data:`MAX_BLOCK` species, else BDF).
    rates : per-reaction rate constants; default ``crn.rate_constants(config.rate)``.
    record : index of one example whose states at every accepted step are returned.
    progress : called with n as n more examples finish.
    times : sorted sample times in [0, ``config.t_max``]; the result's ``states`` holds every
        example's state at each of them (an example that stops early, at steady state or at
        ``max_steps``, keeps its final state). The run itself stops as without them.
    executor : runs the BDF back end's examples, one per task (e.g.
        :func:`dsdcompile.runtime.executors.make_executor`); without one they run here. The
        Rosenbrock back end runs its batch in this process and ignores it.
    """
    c0, k, times = _check(crn, c0, config, rates, record, times)
    if crn.n_species == 0 or c0.shape[0] == 0:
        n = c0.shape[0]
        states = None if times is None else np.broadcast_to(c0, (times.size, *c0.shape)).copy()
        return SimulationResult(c0.copy(), np.zeros(n), np.ones(n, dtype=bool), np.zeros(n, dtype=np.int64),
                                None, None, grid=times, states=states)
    if config.backend == "bdf":
        return _simulate_bdf(crn, c0, k, config, record, progress, times, executor)
    plan = _plan(crn, _device(config.device))
    if plan.max_block > MAX_BLOCK:
        if config.backend == "rosenbrock":
            raise InputError(f"the Rosenbrock back end takes strongly connected components of at most {MAX_BLOCK} "
                             f"species; this CRN has one of {plan.max_block} (use backend 'bdf' or 'auto')")
        return _simulate_bdf(crn, c0, k, config, record, progress, times, executor)
    with torch.no_grad():
        out = integrate(plan, c0, k, config, record, progress, times)
    return SimulationResult(out.final, out.t_final, out.converged, out.steps, out.times, out.trajectory,
                            grid=times, states=out.states)


def simulate_outputs(crn: CRN, x: np.ndarray, config: SimulationConfig = SimulationConfig(),
                     **kwargs) -> tuple[np.ndarray, SimulationResult]:
    """Simulate from network inputs ``x`` (batch × inputs); returns (outputs, result)."""
    result = simulate(crn, crn.initial_state(x), config, **kwargs)
    return crn.output_values(result.final), result


# -- BDF back end -----------------------------------------------------------------------------
def mass_action(crn: CRN, rates: np.ndarray, *, clip: bool = True) -> tuple[Callable, Callable]:
    """``f(t, c)`` and the analytic sparse Jacobian ``jac(t, c)`` (CSC) for scipy's solvers.

    With ``clip`` the rates see max(c, 0). Without it ``f`` is the plain polynomial, smooth
    through zero, and the Jacobian is exact there too: with clipping, a species a step pushes
    slightly negative has a flat rate but a Jacobian that says otherwise, and BDF drops to
    order 1. On IRIS anderson2021's fuel-excess implementation (1,727 species with its fuel
    counters, 3 examples, ``python scripts/bench_rate_kinetics.py``, three runs on a loaded
    2-core machine) the BDF back end with the plain polynomial took 0.46-0.74 s per example
    and BDF on clipped rates (this module's former generic path) 29-45 s, 39-74x longer; at
    the end of the run the plain polynomial's outputs were 1e-7 units from a strict-tolerance
    run, the clipped ones 3e-4 to 1e-3, whose raw solution went down to -0.03 nM.
    """
    cols, coefs = reactant_table(crn)
    n_s, width = crn.n_species, cols.shape[1]
    nt = crn.stoichiometry.T.tocsr()
    real = cols < n_s
    r_idx = np.repeat(np.arange(crn.n_reactions), width).reshape(cols.shape)[real]

    def powers(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = np.append(np.maximum(c, 0.0) if clip else c, 1.0)[cols]
        return g, g**coefs

    def f(t: float, c: np.ndarray) -> np.ndarray:
        return nt @ (rates * powers(c)[1].prod(axis=1))

    def jac(t: float, c: np.ndarray) -> sp.csc_matrix:
        g, p = powers(c)
        d = np.empty_like(g)
        for j in range(width):
            others = np.delete(p, j, axis=1).prod(axis=1)
            d[:, j] = rates * coefs[:, j] * g[:, j] ** (coefs[:, j] - 1.0) * others
        dm = sp.csr_matrix((d[real], (r_idx, cols[real])), shape=(crn.n_reactions, n_s))
        return (nt @ dm).tocsc()

    return f, jac


@dataclass(frozen=True, eq=False)
class _Run:
    """One example's BDF run (see :func:`_bdf_one`)."""

    final: np.ndarray
    t_final: float
    converged: bool
    steps: int
    times: np.ndarray | None        # every accepted step, when the trajectory was asked for
    trajectory: np.ndarray | None
    states: np.ndarray | None       # (T, species) at the sample times
    clipped: bool                   # the plain polynomial failed and the clipped rates ran


def _bdf_one(task: tuple) -> _Run:
    """One example with scipy's BDF: top level, so that process pools can run it.

    The plain mass-action polynomial first (smooth through zero, exact Jacobian, far faster:
    see :func:`mass_action`); where that run fails, the rates clipped at zero. The polynomial
    can run away once species are used up and pushed below zero (virus anderson2021, finite
    fuel at a fuel margin of 0.03: "required step size is less than spacing between
    numbers"), which clipping cannot.
    """
    crn, rates, c0, cfg, times, keep = task
    message = ""
    for clip in (False, True):
        run, message = _bdf_run(crn, rates, c0, cfg, times, keep, clip)
        if run is not None:
            return run
    raise SimulationError(f"BDF integration failed, with and without clipped rates: {message}")


def _bdf_run(crn: CRN, rates: np.ndarray, c0: np.ndarray, cfg: SimulationConfig, times: np.ndarray | None,
             keep: bool, clip: bool) -> tuple[_Run | None, str]:
    """Step BDF from c0 until steady state, ``cfg.t_max`` or ``cfg.max_steps``; (None, why) if it fails.

    Sample times inside a step are read from the step's interpolating polynomial, as
    ``solve_ivp(t_eval=...)`` does.
    """
    f, jac = mass_action(crn, rates, clip=clip)

    def steady(c: np.ndarray) -> bool:
        return float(np.max(np.abs(f(0.0, c)) / np.maximum(np.abs(c), cfg.atol))) < cfg.steady_rtol

    n_t = 0 if times is None else times.size
    states = np.empty((n_t, c0.size))
    filled = 0 if times is None else int(np.searchsorted(times, 0.0, side="right"))
    states[:filled] = c0
    step_t, step_c = [0.0], [c0]
    t, c, steps, converged = 0.0, c0, 0, steady(c0)
    if not converged:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # its first step size is a trial too
            solver = BDF(f, 0.0, c0, cfg.t_max, rtol=cfg.rtol, atol=cfg.atol, jac=jac)
        while solver.status == "running" and steps < cfg.max_steps:
            # a run that diverges makes inf/NaN inside scipy's step: stop it here (the caller retries with
            # clipped rates) rather than print numpy's warnings or carry NaN into the results
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                try:
                    message = solver.step()
                except (ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError) as e:  # singular LU
                    return None, f"{type(e).__name__}: {e}"
            if solver.status == "failed":
                return None, message or "BDF failed"
            if not np.all(np.isfinite(solver.y)):
                return None, f"the state became non-finite at t = {solver.t:.4g}"
            steps += 1
            t, c = solver.t, solver.y
            due = int(np.searchsorted(times, t, side="right")) if n_t else 0
            if due > filled:
                states[filled:due] = solver.dense_output()(times[filled:due]).T
                filled = due
            if keep:
                step_t.append(t)
                step_c.append(c.copy())
            if steady(c):
                converged = True
                break
    states[filled:] = c
    run = _Run(np.maximum(c, 0.0), t, converged, steps,
               np.asarray(step_t) if keep else None, np.maximum(np.stack(step_c), 0.0) if keep else None,
               np.maximum(states, 0.0) if times is not None else None, clip)
    return run, ""


def _simulate_bdf(crn: CRN, c0: np.ndarray, k: np.ndarray, cfg: SimulationConfig, record: int | None,
                  progress: Callable[[int], None] | None, times: np.ndarray | None,
                  executor: Executor | None) -> SimulationResult:
    tasks = [(crn, k, c0[i], cfg, times, i == record) for i in range(c0.shape[0])]
    if executor is None:
        runs = []
        for i, task in enumerate(tasks):
            try:
                runs.append(_bdf_one(task))
            except SimulationError as e:
                raise SimulationError(f"simulation, example {i}: {e}") from e
            if progress is not None:
                progress(1)
    else:
        runs = []
        for i, outcome in enumerate(executor.map(_bdf_one, tasks, progress=progress)):
            if not outcome.ok:
                last = (outcome.error or "").strip().splitlines()[-1:] or ["timed out"]
                raise SimulationError(f"simulation, example {i}: {last[0]}")
            runs.append(outcome.value)
    rec = runs[record] if record is not None else None
    return SimulationResult(
        np.stack([r.final for r in runs]), np.array([r.t_final for r in runs]),
        np.array([r.converged for r in runs], dtype=bool), np.array([r.steps for r in runs], dtype=np.int64),
        None if rec is None else rec.times, None if rec is None else rec.trajectory, method="bdf", grid=times,
        states=None if times is None else np.stack([r.states for r in runs], axis=1),
        clipped=np.array([r.clipped for r in runs], dtype=bool))
