"""Compare the vasic2020 and anderson2021 designs on IRIS and virus: accuracy, size, speed and rate sensitivity.

For each design (designs/iris, designs/virus: vasic2020, ternary weights; designs/iris_anderson2021,
designs/virus_anderson2021: real weights, smoothed ReLU) on its test set:

- test accuracy of the network (for anderson2021 σ_ε after every layer) and of the simulated CRN;
- formal reactions and species (vasic2020 also the reduced CRN);
- convergence time, as the pipeline reports it (``dsdcompile.stages.agreement.check_agreement``): vasic2020 the
  ODE time to steady state (relative rate of change < 1e-8) from the standard initial state, median
  over the test examples, every rate constant 1; anderson2021 the median time for the outputs to
  settle within 1e-3 of the fixed point from 20 random initial states of one example
  (``dsdcompile.sim.convergence.random_start_convergence``) -- its time to steady state at the fixed
  point check's 1e-12 tolerance is not a speed measure (most runs stop at t_max);
- for both, the same settle time (outputs within 1e-3·max(1, |y|) of their final values for good)
  from the standard initial state, median over the test examples;
- sensitivity to rates: every rate constant × U(0.8, 1.2) (seeded, ``--draws`` draws), the same CRN
  simulated from the same initial states; reported are the largest change of an output relative to
  the example's largest unperturbed output (the largest and the median over examples, each example's
  worst draw), and the fraction of (draw, example) pairs whose argmax
  label equals the unperturbed one.

    python scripts/compare_constructions.py [--draws 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsdcompile.config import AgreementConfig, RunConfig  # noqa: E402
from dsdcompile.sim.convergence import settle_time  # noqa: E402
from dsdcompile.sim.engine import simulate  # noqa: E402
from dsdcompile.stages.agreement import check_agreement  # noqa: E402
from dsdcompile.stages.crn import compile_model, load_examples  # noqa: E402

DESIGNS = [("IRIS", "iris"), ("IRIS", "iris_anderson2021"), ("virus", "virus"), ("virus", "virus_anderson2021")]


def perturbation(crn, x: np.ndarray, base: np.ndarray, sim_config, draws: int, seed: int) -> dict:
    """Largest relative output change and label agreement when every rate constant is scaled by U(0.8, 1.2)."""
    rng = np.random.default_rng(seed)
    k0 = crn.rate_constants(sim_config.rate)
    scale = np.maximum(np.abs(base).max(axis=1, keepdims=True), 1e-300)
    rel, agree, unconverged = np.zeros(len(x)), [], 0
    for _ in range(draws):
        rates = k0 * rng.uniform(0.8, 1.2, size=k0.shape)
        res = simulate(crn, crn.initial_state(x), sim_config, rates=rates)
        out = crn.output_values(res.final)
        rel = np.maximum(rel, (np.abs(out - base) / scale).max(axis=1))
        agree.append(out.argmax(1) == base.argmax(1))
        unconverged += int((~res.converged).sum())
    return {"max_rel_change": float(rel.max()), "median_rel_change": float(np.median(rel)),
            "label_agreement": float(np.mean(agree)), "unconverged": unconverged}


def standard_start_settle(crn, x: np.ndarray, sim_config, rtol: float = 1e-3) -> np.ndarray:
    """Per example: time after which every output stays within rtol·max(1, |final|) of its final value."""
    c0 = crn.initial_state(x)
    times = np.empty(len(x))
    for i in range(len(x)):
        run = simulate(crn, c0[i : i + 1], sim_config, record=0)
        times[i] = settle_time(run.times, crn.output_values(run.trajectory), crn.output_values(run.final)[0], rtol)
    return times


def measure(name: str, draws: int, seed: int) -> dict:
    folder = ROOT / "designs" / name
    config = RunConfig(agreement=AgreementConfig(ode_examples=-1))
    compiled = compile_model(folder / "model.pt", config)
    ex = load_examples(folder / "test.csv", compiled)
    t = time.perf_counter()
    ag = check_agreement(compiled, ex.x, ex.labels, config.agreement, config.simulation)
    s = ag.summary
    sim_config = compiled.construction.simulation(config.simulation, config.agreement)  # the pipeline's settings
    ode_crn = compiled.reduced if config.agreement.ode_crn == "reduced" else compiled.formal
    pert = perturbation(ode_crn, ex.x, ag.ode, sim_config, draws, seed)
    settle = standard_start_settle(ode_crn, ex.x, sim_config)
    fp = s.get("fixed_point") or {}
    return {
        "construction": compiled.construction.name,
        "network_acc": s["nn_accuracy"],
        "crn_acc": float((ag.ode.argmax(1) == ex.labels).mean()),
        "fixed_point_error": s["ode_max_rel_error"],
        "reactions": compiled.formal.n_reactions,
        "species": compiled.formal.n_species,
        "reduced": (compiled.reduced.n_reactions, compiled.reduced.n_species) if compiled.reduced else None,
        "convergence": (f"{fp['convergence_time_median']:.3g} (random starts)" if fp else
                        f"{s['ode_time_to_steady_state_median']:.3g} (ODE steady state)"),
        "settle_standard": float(np.median(settle)),
        "examples": len(ex.labels),
        "seconds": time.perf_counter() - t,
        **pert,
    }


def table(rows: list[tuple[str, str, dict]], draws: int) -> str:
    head = ["data", "design", "construction", "test acc. (network / CRN ODE)", "reactions", "species",
            "convergence time, median", "settle to 1e-3 from the standard start, median",
            f"±20% rates ({draws} draws): rel. output change, max (median)", "label agreement"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for data, name, r in rows:
        red = f" ({r['reduced'][0]} reduced)" if r["reduced"] else ""
        reds = f" ({r['reduced'][1]} reduced)" if r["reduced"] else ""
        lines.append(
            f"| {data} | designs/{name} | {r['construction']} | {100 * r['network_acc']:.2f}% / "
            f"{100 * r['crn_acc']:.2f}% | {r['reactions']}{red} | {r['species']}{reds} | {r['convergence']} | "
            f"{r['settle_standard']:.3g} | {r['max_rel_change']:.2g} ({r['median_rel_change']:.2g}) | "
            f"{100 * r['label_agreement']:.2f}% |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=5, help="Rate perturbation draws per design.")
    p.add_argument("--seed", type=int, default=0, help="Seed of the rate perturbations.")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for data, name in DESIGNS:
        r = measure(name, args.draws, args.seed)
        print(f"{name}: {r['examples']} test examples, ODE fixed point vs network max rel. error "
              f"{r['fixed_point_error']:.1e}, unconverged perturbed runs {r['unconverged']}, "
              f"{r['seconds']:.0f}s", file=sys.stderr, flush=True)
        rows.append((data, name, r))
    print(table(rows, args.draws))
    print("\nTimes in units of 1/(rate constant) at rate 1 (vasic2020: every reaction; anderson2021: the "
          "weights are the rate constants). Relative output change: |y' - y| / max_k |y_k| per example, "
          "largest over test examples and draws; vasic2020 is rate-independent, so its change is the ODE "
          "solver's tolerance.")


if __name__ == "__main__":
    main()
