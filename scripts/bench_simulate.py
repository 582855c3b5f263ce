"""Benchmark dsdcompile.sim.engine against scipy's stiff solvers on an MNIST-size random ternary network.

All methods run in this process on the same seeded network (``--sizes``, default
196-512-512-10; compiled, not reduced) and the same inputs, with the same tolerances and
steady-state test:

1. ``simulate`` (batched Ros3 over the block-triangular Jacobian);
2. ``simulate`` with ``backend="bdf"`` (scipy's BDF, plain polynomial, one input at a time,
   scipy's default COLAMD ordering, no hint where to stop) on ``--bdf-inputs`` inputs (default
   0: its LU factors fill in, and one input of the default network takes many minutes): the
   back end that CRNs with large strongly connected components get;
3. the careful user's baseline: ``solve_ivp(method="BDF")`` with the analytic sparse
   Jacobian, species in level order and SuperLU's natural ordering (so the Newton matrix
   factors without fill-in), one input at a time, on ``--baseline-inputs`` inputs;
4. the naive user's ``solve_ivp(method="LSODA")`` without a Jacobian on one input, stopped
   after ``--naive-cap`` seconds (``--skip-naive`` to skip).

The scipy runs stop at the steady-state event or, generously, at the time our simulator
found steady state for that input, whichever comes first; without that hint BDF's
solution never meets the steady-state test and runs on to ``t_max``.

Example: ``python scripts/bench_simulate.py --inputs 64 --baseline-inputs 3``; Rosenbrock
against the BDF back end: ``python scripts/bench_simulate.py --sizes 196,128,128,10 --inputs 16
--baseline-inputs 2 --bdf-inputs 2 --skip-naive --hundred 0``
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.integrate._ivp.bdf as bdf_module
import torch
from scipy.integrate import solve_ivp
from scipy.sparse.linalg import splu

from dsdcompile.config import SimulationConfig
from dsdcompile.crn.evaluate import ExactEvaluator
from dsdcompile.ir import CRN
from dsdcompile.passes import compile_network
from dsdcompile.sim.rosenbrock import species_levels

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support: random networks, the browser
from support.random_nets import random_ternary_network  # noqa: E402

from dsdcompile.sim.engine import mass_action, simulate


class _OutOfTime(Exception):
    pass


def _rel_err(out: np.ndarray, ref: np.ndarray) -> float:
    return float((np.abs(out - ref) / np.maximum(1.0, np.abs(ref).max(axis=1, keepdims=True))).max())


def _scipy_one(crn: CRN, c0: np.ndarray, cfg: SimulationConfig, method: str, jac: bool, t_end: float,
               cap: float | None = None) -> tuple[np.ndarray | None, float, float]:
    """Final state, wall time and reached time of one scipy run with the simulator's steady-state stop."""
    f, j = mass_action(crn, crn.rate_constants(cfg.rate))
    start = time.perf_counter()

    def fun(t: float, c: np.ndarray) -> np.ndarray:
        if cap is not None and time.perf_counter() - start > cap:
            raise _OutOfTime(t)
        return f(t, c)

    def steady(t: float, c: np.ndarray) -> float:
        return float(np.max(np.abs(f(t, c)) / np.maximum(np.abs(c), cfg.atol))) - cfg.steady_rtol

    steady.terminal = True  # type: ignore[attr-defined]
    steady.direction = -1  # type: ignore[attr-defined]
    try:
        sol = solve_ivp(fun, (0.0, t_end), c0, method=method, jac=j if jac else None,
                        rtol=cfg.rtol, atol=cfg.atol, events=steady)
    except _OutOfTime as e:
        return None, time.perf_counter() - start, float(e.args[0])
    return np.maximum(sol.y[:, -1], 0.0), time.perf_counter() - start, float(sol.t[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=64, help="inputs for our simulator (default 64)")
    ap.add_argument("--hundred", type=int, default=100, help="also time ours on this many inputs (0: skip)")
    ap.add_argument("--baseline-inputs", type=int, default=3, help="inputs for the BDF baseline (default 3)")
    ap.add_argument("--bdf-inputs", type=int, default=0, help="inputs for simulate's BDF back end (default 0)")
    ap.add_argument("--sizes", default="196,512,512,10", help="layer sizes of the random ternary network")
    ap.add_argument("--skip-naive", action="store_true", help="skip the LSODA-without-Jacobian run")
    ap.add_argument("--naive-cap", type=float, default=300.0, help="seconds before LSODA is stopped")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--rtol", type=float, default=SimulationConfig.rtol)
    ap.add_argument("--atol", type=float, default=SimulationConfig.atol)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = SimulationConfig(rtol=args.rtol, atol=args.atol)

    sizes = tuple(int(v) for v in args.sizes.split(","))
    net = random_ternary_network(sizes, seed=args.seed)
    crn = compile_network(net)
    rng = np.random.default_rng(args.seed)
    n_all = max(args.inputs, args.hundred, args.baseline_inputs, 1)
    x_all = rng.random((n_all, sizes[0]))  # pixel-like inputs in [0, 1)
    x = x_all[: args.inputs]
    exact_all = ExactEvaluator(crn).outputs(x_all)
    exact = exact_all[: args.inputs]
    print(f"network {'-'.join(map(str, sizes))} seed {args.seed}: {crn.n_species} species, "
          f"{crn.n_reactions} reactions, {crn.product_matrix.nnz} product nonzeros; "
          f"|outputs| up to {np.abs(exact).max():.0f}")
    print(f"rtol {cfg.rtol:g}, atol {cfg.atol:g}, steady_rtol {cfg.steady_rtol:g}, t_max {cfg.t_max:g}, "
          f"torch threads {torch.get_num_threads()}")

    rows = []
    t0 = time.perf_counter()
    simulate(crn, crn.initial_state(x[:1]), SimulationConfig(max_steps=1))  # builds and caches the plan
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = simulate(crn, crn.initial_state(x), cfg)
    ours_time = time.perf_counter() - t0
    ours_out = crn.output_values(ours.final)
    per_ours = ours_time / len(x)
    print(f"ours: {ours_time:.1f} s for {len(x)} inputs (plan setup {setup:.2f} s once), steps median "
          f"{np.median(ours.steps):.0f}, t_final median {np.median(ours.t_final):.0f} max {ours.t_final.max():.0f}, "
          f"converged {ours.converged.mean():.0%}", flush=True)
    rows.append(("ours: batched Ros3, block-triangular", len(x), per_ours, _rel_err(ours_out, exact)))

    nf = min(args.bdf_inputs, len(x))
    if nf:
        t0 = time.perf_counter()
        bdf = simulate(crn, crn.initial_state(x[:nf]), replace(cfg, backend="bdf"))
        per_bdf = (time.perf_counter() - t0) / nf
        bdf_out = crn.output_values(bdf.final)
        print(f"simulate(backend='bdf'): {per_bdf:.1f} s per input, t_final median {np.median(bdf.t_final):.0f}, "
              f"converged {bdf.converged.mean():.0%}; outputs vs ours: max rel. difference "
              f"{_rel_err(ours_out[:nf], bdf_out):.1e}", flush=True)
        rows.append(("simulate(backend='bdf'), plain polynomial", nf, per_bdf, _rel_err(bdf_out, exact[:nf])))

    # baseline: species in level order so that natural ordering leaves no fill-in
    order = np.argsort(species_levels(crn)[2][species_levels(crn)[0]], kind="stable")
    perm = CRN(tuple(crn.species[i] for i in order), crn.reactions, crn.initial, crn.inputs, crn.outputs)
    bdf_module.splu = lambda a: splu(a, permc_spec="NATURAL")
    nb = min(args.baseline_inputs, len(x))
    base_out, base_t = [], []
    c0p = perm.initial_state(x[:nb])
    for i in range(nb):
        final, wall, t_end = _scipy_one(perm, c0p[i], cfg, "BDF", jac=True, t_end=float(ours.t_final[i]))
        base_out.append(perm.output_values(final[None])[0])
        base_t.append(wall)
        print(f"BDF baseline input {i}: {wall:.1f} s, stopped at t = {t_end:.0f} (ours {ours.t_final[i]:.0f})",
              flush=True)
    per_base = float(np.mean(base_t))
    base_out = np.array(base_out)
    rows.append(("scipy BDF, sparse analytic Jacobian", nb, per_base, _rel_err(base_out, exact[:nb])))
    print(f"ours vs BDF baseline outputs: max rel. difference {_rel_err(ours_out[:nb], base_out):.1e}")

    if not args.skip_naive:
        final, wall, t_end = _scipy_one(perm, c0p[0], cfg, "LSODA", jac=False, t_end=float(ours.t_final[0]),
                                        cap=args.naive_cap)
        if final is None:
            print(f"LSODA without Jacobian: stopped after {wall:.0f} s at t = {t_end:.3g}", flush=True)
            rows.append((f"scipy LSODA, no Jacobian (capped, t={t_end:.2g})", 1, -wall, float("nan")))
        else:
            rows.append(("scipy LSODA, no Jacobian", 1, wall, _rel_err(perm.output_values(final[None]), exact[:1])))

    if args.hundred:
        xh = x_all[: args.hundred]
        t0 = time.perf_counter()
        res = simulate(crn, crn.initial_state(xh), cfg)
        hundred = time.perf_counter() - t0
        err = _rel_err(crn.output_values(res.final), exact_all[: args.hundred])
        print(f"ours on {args.hundred} inputs: {hundred:.1f} s ({hundred / args.hundred:.2f} s/input), "
              f"max rel. error vs exact {err:.1e}")

    print()
    print(f"{'method':<48} {'inputs':>6} {'s/input':>9} {'speed-up':>9} {'rel.err':>8}")
    for name, n, per, err in rows:
        capped = per < 0
        per_s = f">{-per:.0f}" if capped else f"{per:.2f}"
        speed = per_base / abs(per)
        speed_s = f"<{speed:.3f}x" if capped else f"{speed:.1f}x"
        print(f"{name:<48} {n:>6} {per_s:>9} {speed_s:>9} {err:>8.1e}")


if __name__ == "__main__":
    main()
