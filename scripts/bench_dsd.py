"""Benchmark the DSD stage on random ternary networks: translate, enumerate modules, write outputs (and time them)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from dsdcompile.config import DSDConfig, EnumerationConfig
from dsdcompile.dsd.enumerate import enumerate_modules
from dsdcompile.dsd.outputs import dsd_counts, write_dsd_outputs
from dsdcompile.dsd.translate import translate
from dsdcompile.passes import compile_network, reduce_crn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/support: random networks, the browser
from support.random_nets import random_ternary_network  # noqa: E402


def nuskell_like_nt(crn) -> dict:
    """Strands and nt of the same scheme without splitting or absorbing (nuskell's soloveichik2010 output)."""
    system = translate(crn, "soloveichik2010", DSDConfig(max_products=10_000, compact=False))
    with tempfile.TemporaryDirectory() as d:
        write_dsd_outputs(system, Path(d))
    s = dsd_counts(system, None)
    return {"strands": s["strands"] - len(crn.inputs) * 2 - len(crn.initial), "fuel_nt": s["fuel_nucleotides"],
            "longest_strand_nt": s["longest_strand_nt"]}


def run(sizes, form: str, scheme: str, enumerate_: bool, seed: int, config: DSDConfig) -> dict:
    net = random_ternary_network(sizes, seed=seed)
    t0 = time.perf_counter()
    crn = compile_network(net)
    if form == "reduced":
        crn = reduce_crn(crn)
    t1 = time.perf_counter()
    system = translate(crn, scheme, config)
    t2 = time.perf_counter()
    modules = enumerate_modules(system, EnumerationConfig()) if enumerate_ else None
    t3 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        write_dsd_outputs(system, Path(d))
    summary = dsd_counts(system, modules)
    t4 = time.perf_counter()
    return {"sizes": list(sizes), "form": form, "scheme": scheme, "reactions": crn.n_reactions,
            "split_reactions_total": system.split_crn.n_reactions, **summary,
            "seconds": {"compile": round(t1 - t0, 2), "translate": round(t2 - t1, 2),
                        "enumerate": round(t3 - t2, 2), "write": round(t4 - t3, 2), "total": round(t4 - t0, 2)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="4,8,3", help="layer sizes, e.g. 4,8,3 (IRIS) or 10,8,4 (virus)")
    ap.add_argument("--form", choices=("formal", "reduced"), default="formal")
    ap.add_argument("--scheme", default="soloveichik2010")
    ap.add_argument("--no-enumerate", action="store_true")
    ap.add_argument("--no-compact", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nuskell", action="store_true", help="also count the unsplit nuskell-style design")
    a = ap.parse_args()
    sizes = tuple(int(x) for x in a.sizes.split(","))
    out = run(sizes, a.form, a.scheme, not a.no_enumerate, a.seed, DSDConfig(compact=not a.no_compact))
    if a.nuskell:
        crn = compile_network(random_ternary_network(sizes, seed=a.seed))
        out["nuskell_style_formal"] = nuskell_like_nt(crn)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
