"""Benchmark sequence design on committed design folders (issue targets: IRIS ≤ 1 min, virus ≤ 10 min, 2 cores).

    python scripts/bench_sequences.py                      # iris and virus soloveichik2010 designs
    python scripts/bench_sequences.py --designs designs/iris/dsd_soloveichik2010 --seed 3

Each design folder is copied to a temporary folder first, so nothing committed changes. For
each design it prints the wall time and the CPU time of this process for the whole design (draw,
SSM, repair, checks; the design is single-threaded, so on a machine shared with other jobs the CPU
time is what an idle machine's wall time would be), the worst crosstalk energies (free strands,
gate regions), the fraction of fuel complexes whose intended structure is the MFE, what fails,
and three ratios against baselines run in the same process:

- incremental SSM update vs recounting every window from scratch (per mutation);
- the vectorised stack screen vs ViennaRNA duplexfold (per strand pair);
- the k-mer run screen used for crosstalk (``energy.screen_runs``) vs the dense stack screen
  (``energy.screen_pairs``) on the (free strand, gate region) pairs.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsdcompile.runtime.progress import Progress  # noqa: E402
from dsdcompile.sequences import SequenceConstraints, SequenceProblem, checks, energy  # noqa: E402  # noqa: E402
from dsdcompile.sequences.search import Designer, _Windows  # noqa: E402
from dsdcompile.stages.sequence_files import sequence_design_folder  # noqa: E402

DEFAULT = ["designs/iris/dsd_soloveichik2010", "designs/virus/dsd_soloveichik2010"]
FILES = ("domains.csv", "strands.csv", "complexes.csv", "summary.json", "dsd.pil")


def ssm_ratio(problem: SequenceProblem, c: SequenceConstraints, n: int = 30) -> tuple[float, float]:
    """Seconds per mutation: incremental update, and a fresh window count (the baseline)."""
    d = Designer(problem, c)
    rng = random.Random(0)
    names = [x.name for x in problem.domains]
    t = time.perf_counter()
    for _ in range(n):
        name = rng.choice(names)
        d.windows.set(name, d.mutate(name))
    inc = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(max(3, n // 10)):
        _Windows(problem, dict(d.seqs), c)
    full = (time.perf_counter() - t) / max(3, n // 10)
    return inc, full


def screen_ratio(problem: SequenceProblem, seqs: dict, c: SequenceConstraints, n: int = 300) -> tuple[float, float]:
    """Seconds per pair: stack screen, and ViennaRNA duplexfold (the baseline)."""
    distinct, pairs = checks.non_partner_pairs(problem)
    strands = [checks.strand_sequence(d, seqs) for d in distinct]
    sample = pairs[np.random.default_rng(0).choice(len(pairs), size=min(n * 20, len(pairs)), replace=False)]
    model = energy.stack_model(c.temperature_C, c.salt_M)
    t = time.perf_counter()
    energy.screen_pairs(strands, sample, model)
    screen = (time.perf_counter() - t) / len(sample)
    t = time.perf_counter()
    for i, j in sample[:n]:
        energy.duplex_dG.__wrapped__(strands[i], strands[j], c.temperature_C, c.salt_M)
    vienna = (time.perf_counter() - t) / min(n, len(sample))
    return screen, vienna


def runs_ratio(problem: SequenceProblem, seqs: dict, c: SequenceConstraints, n: int = 20000) -> tuple[float, float]:
    """Seconds per (free strand, gate region) pair: run screen, and the dense screen (the baseline)."""
    from dsdcompile.sequences.junctions import base

    distinct, _, parts, _, pairs = checks.gate_pairs(problem)
    strands = [checks.strand_sequence(d, seqs) for d in distinct]
    part_seqs = ["".join(base(x, seqs) for x in p) for p in parts]
    model = energy.stack_model(c.temperature_C, c.salt_M)
    t = time.perf_counter()
    energy.screen_runs(strands, part_seqs, pairs, model, k=checks.GATE_SEED)
    runs = (time.perf_counter() - t) / len(pairs)
    sample = pairs[np.random.default_rng(0).choice(len(pairs), size=min(n, len(pairs)), replace=False)]
    t = time.perf_counter()
    energy.screen_pairs(strands + part_seqs, sample + np.array([0, len(strands)]), model)
    dense = (time.perf_counter() - t) / len(sample)
    return runs, dense


def scaled_feasibility(summary_path: Path, scale_from: Path, c: SequenceConstraints):
    """Feasibility of a design known only by its summary: module and signal domains per module and
    per species taken from a smaller design of the same scheme."""
    from dsdcompile.sequences.api import check_feasibility
    from dsdcompile.sequences.feasibility import feasibility

    big = json.loads(Path(summary_path).read_text())
    small_summary = json.loads((scale_from / "summary.json").read_text())
    problem = SequenceProblem.from_design(scale_from, three_letter=c.three_letter)
    small = check_feasibility(problem, c).classes
    factor = big["dsd"]["modules"] / small_summary["dsd"]["modules"]
    rows, signal = [], set()
    for cl in small:
        for i in range(int(round(cl.needed * factor))):
            name = f"{cl.alphabet}{cl.length}-{i}"
            rows.append((name, cl.length, "branch"))
            if cl.alphabet == "ACT":
                signal.add(name)
    counts = {"modules": big["dsd"]["modules"]}
    print(f"{summary_path}: {big['dsd']['modules']} modules = {factor:.4g} x {scale_from.name}'s; "
          f"{len(rows)} long domains by scaling", flush=True)
    return feasibility(rows, signal, c, design_counts=counts)


def overrides(items: list[str]) -> dict:
    """FIELD=VALUE strings → typed SequenceConstraints overrides (bools as 0/1, none as None)."""
    base = SequenceConstraints()
    out: dict = {}
    for item in items:
        name, value = item.split("=", 1)
        if isinstance(getattr(base, name), bool):
            out[name] = value not in ("0", "false", "False")
            continue
        for kind in (int, float, str):
            try:
                out[name] = None if value.lower() == "none" else kind(value)
                break
            except ValueError:
                continue
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--designs", nargs="+", default=DEFAULT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE",
                    help="constraint overrides for experiments, e.g. junctions=0 repair_objective=gap")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--feasibility-of", type=Path,
                    help="only the feasibility report of a design whose summary.json is given (e.g. MNIST, whose "
                         "strand files are not committed), scaling the per-module domains of --scale-from")
    ap.add_argument("--scale-from", type=Path, default=ROOT / "designs/virus/dsd_soloveichik2010")
    args = ap.parse_args()
    if args.feasibility_of:
        print(scaled_feasibility(args.feasibility_of, args.scale_from, SequenceConstraints(seed=args.seed)).markdown())
        return
    rows = []
    for path in args.designs:
        src = ROOT / path
        c = replace(SequenceConstraints(seed=args.seed), **overrides(args.set))
        with tempfile.TemporaryDirectory() as tmp:
            for name in FILES:
                if (src / name).is_file():
                    shutil.copy(src / name, Path(tmp) / name)
            t, cpu = time.perf_counter(), time.process_time()
            design, block = sequence_design_folder(tmp, c, progress=Progress(quiet=True))
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        inc, full = ssm_ratio(design.problem, c)
        screen, vienna = screen_ratio(design.problem, design.domains, c)
        runs, dense = runs_ratio(design.problem, design.domains, c)
        gate = block["gate_crosstalk"] or {}
        row = {"design": path, "domains": block["domains"], "strands": block["distinct_strands"],
               "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
               "phases_s": {k: round(v, 1) for k, v in design.seconds.items()},
               "worst_crosstalk_dG": block["worst_crosstalk_dG"], "worst_gate_crosstalk_dG": gate.get("worst_dG"),
               "fuel_complexes_mfe_fraction": block["fuel_complexes_mfe_fraction"],
               "failing": block["failing"], "passed": block["passed"], "ssm_final": block["ssm"]["final"],
               "junctions": block["junctions"], "repair_rounds": block["repair_rounds"],
               "conditions": block["conditions"],
               "ssm_speedup_vs_recount": round(full / inc, 1), "screen_speedup_vs_vienna": round(vienna / screen, 1),
               "run_screen_speedup_vs_dense": round(dense / runs, 1)}
        rows.append(row)
        print(f"{path}: {row['domains']} domains, {row['strands']} strands in {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"({', '.join(f'{k} {v}' for k, v in row['phases_s'].items())}); worst crosstalk "
              f"{row['worst_crosstalk_dG']} kcal/mol (gate regions {row['worst_gate_crosstalk_dG']}); fuel "
              f"complexes with intended MFE {100 * (row['fuel_complexes_mfe_fraction'] or 0):.1f} %; failing "
              f"{row['failing']}; junctions {row['junctions']}; SSM incremental {row['ssm_speedup_vs_recount']}x "
              f"faster than recount; stack screen {row['screen_speedup_vs_vienna']}x faster than ViennaRNA per pair; "
              f"run screen {row['run_screen_speedup_vs_dense']}x faster than the dense screen per gate pair",
              flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
