"""Benchmark sequence design on committed design folders (issue targets: IRIS ≤ 2 min, virus ≤ 10 min, 2 cores).

    python scripts/bench_sequences.py                      # iris and virus soloveichik2010 designs
    python scripts/bench_sequences.py --designs designs/iris/dsd_soloveichik2010 --seed 3

Each design folder is copied to a temporary folder first, so nothing committed changes. For
each design it prints the wall time of the whole design (draw, SSM, repair, checks), the worst
crosstalk energy, the fraction of fuel complexes whose intended structure is the MFE, and two
ratios against baselines run in the same process:

- incremental SSM update vs recounting every window from scratch (per mutation);
- the vectorised stack screen vs ViennaRNA duplexfold (per strand pair).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsdcompile.progress import Progress  # noqa: E402
from dsdcompile.sequences import SequenceConstraints, SequenceProblem, checks, energy  # noqa: E402  # noqa: E402
from dsdcompile.sequences.api import sequence_design_folder  # noqa: E402
from dsdcompile.sequences.search import Designer, _Windows  # noqa: E402

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
    model = energy.stack_model(c.temperature_C)
    t = time.perf_counter()
    energy.screen_pairs(strands, sample, model)
    screen = (time.perf_counter() - t) / len(sample)
    t = time.perf_counter()
    for i, j in sample[:n]:
        energy.duplex_dG.__wrapped__(strands[i], strands[j], c.temperature_C)
    vienna = (time.perf_counter() - t) / min(n, len(sample))
    return screen, vienna


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--designs", nargs="+", default=DEFAULT)
    ap.add_argument("--seed", type=int, default=0)
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
        c = SequenceConstraints(seed=args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            for name in FILES:
                if (src / name).is_file():
                    shutil.copy(src / name, Path(tmp) / name)
            t = time.perf_counter()
            design, block = sequence_design_folder(tmp, c, progress=Progress(quiet=True))
            wall = time.perf_counter() - t
        inc, full = ssm_ratio(design.problem, c)
        screen, vienna = screen_ratio(design.problem, design.domains, c)
        row = {"design": path, "domains": block["domains"], "strands": block["distinct_strands"],
               "seconds": round(wall, 1), "phases_s": {k: round(v, 1) for k, v in design.seconds.items()},
               "worst_crosstalk_dG": block["worst_crosstalk_dG"],
               "fuel_complexes_mfe_fraction": block["fuel_complexes_mfe_fraction"],
               "failing": block["failing"], "ssm_final": block["ssm"]["final"],
               "ssm_speedup_vs_recount": round(full / inc, 1), "screen_speedup_vs_vienna": round(vienna / screen, 1)}
        rows.append(row)
        print(f"{path}: {row['domains']} domains, {row['strands']} strands in {wall:.1f} s "
              f"({', '.join(f'{k} {v}' for k, v in row['phases_s'].items())}); worst crosstalk "
              f"{row['worst_crosstalk_dG']} kcal/mol; fuel complexes with intended MFE "
              f"{100 * (row['fuel_complexes_mfe_fraction'] or 0):.1f} %; failing {row['failing']}; "
              f"SSM incremental {row['ssm_speedup_vs_recount']}x faster than recount; stack screen "
              f"{row['screen_speedup_vs_vienna']}x faster than ViennaRNA per pair", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
