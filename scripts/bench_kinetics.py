"""Benchmark kinetics at realistic rates on IRIS-, virus- and MNIST-size random ternary networks.

For each size: a seeded random ternary net, compiled and reduced (``--no-reduce`` keeps the
compiled CRN), random normal inputs; the formal CRN under ``--draws`` rate draws (draw 0 on
the t90 grid), then the implementation CRN of hand-written Soloveichik et al. (2010)
condensed modules (:mod:`support.kinetics_reference`, 1e6 /M/s) with planned fuel on
``--impl-examples`` examples. Prints one JSON object per size: wall time per example,
t90, rate-draw deviation, label agreement, fuel margin.

Example: ``python scripts/bench_kinetics.py --sizes iris,virus --examples 30 --impl-examples 30``
(add ``--sizes mnist --examples 100 --impl-examples 10 --draws 3`` for MNIST size).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from dsdcompile.config import KineticsConfig
from dsdcompile.kinetics import (
    build_implementation_crn,
    fuel_plan,
    kinetics_summary,
    simulate_formal_kinetics,
    simulate_implementation_kinetics,
    soloveichik_modules,
)
from dsdcompile.kinetics.units import device_name
from dsdcompile.passes import compile_network, reduce_crn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support: random networks, the browser
from support.random_nets import random_ternary_network  # noqa: E402

SIZES = {"iris": (4, 8, 3), "virus": (10, 32, 4), "mnist": (196, 512, 512, 10)}


def bench(name: str, args: argparse.Namespace) -> dict:
    sizes = SIZES[name]
    net = random_ternary_network(sizes, seed=args.seed, zero_fraction=0.5)
    crn = compile_network(net)
    if not args.no_reduce:
        crn = reduce_crn(crn)
    x = np.random.default_rng(args.seed + 1).normal(size=(args.examples, sizes[0]))
    nn = net.forward(x)
    cfg = replace(KineticsConfig(), rate_draws=args.draws, device=args.device, t_max_hours=args.t_max_hours,
                  implementation_examples=args.impl_examples, unit_nM=args.unit_nM)
    t = time.perf_counter()
    modules = soloveichik_modules(crn)
    plan = fuel_plan(crn, modules, x, cfg)
    t_plan = time.perf_counter() - t
    formal = simulate_formal_kinetics(crn, x, nn, cfg, fuel_nM=plan)
    impl = None
    t_build = 0.0
    if args.impl_examples:
        t = time.perf_counter()
        impl_crn = build_implementation_crn(crn, modules, plan, unit_nM=cfg.unit_nM)
        t_build = time.perf_counter() - t
        impl = simulate_implementation_kinetics(impl_crn, x, nn, cfg)
    s = kinetics_summary(formal, impl, plan)
    out = {"size": name, "layers": "-".join(map(str, sizes)), "device": device_name(cfg),
           "formal_crn": crn.stats(), "examples": args.examples,
           "formal_wall_s_per_example_per_draw": formal.wall_s / (args.examples * args.draws),
           "fuel_plan_s": round(t_plan, 3)}
    if impl is not None:
        out["implementation_crn"] = impl_crn.stats()
        out["implementation_build_s"] = round(t_build, 3)
        out["implementation_wall_s_per_example"] = impl.wall_s / impl.n_examples
    out.update(s)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="iris,virus", help="comma-separated: iris, virus, mnist")
    p.add_argument("--examples", type=int, default=30)
    p.add_argument("--impl-examples", type=int, default=30)
    p.add_argument("--draws", type=int, default=5)
    p.add_argument("--t-max-hours", type=float, default=KineticsConfig.t_max_hours)
    p.add_argument("--unit-nM", type=float, default=KineticsConfig.unit_nM)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-reduce", action="store_true")
    args = p.parse_args()
    for name in args.sizes.split(","):
        print(json.dumps(bench(name.strip(), args)), flush=True)


if __name__ == "__main__":
    main()
