"""dsdcompile's sequence design against nuad (Doty lab's DNA sequence designer) on the same DSD domains.

    pip install --no-deps nuad && pip install ordered_set pathos tabulate scadnano   # see below
    python scripts/compare_nuad.py                                   # IRIS, both tools, seed 0
    python scripts/compare_nuad.py --nuad-cpu-seconds 600 --json out.json

nuad 0.4.6 lists NUPACK as an install requirement, and NUPACK is not on PyPI (it is
distributed from nupack.org after registration), so ``pip install nuad`` fails to resolve here;
nuad's built-in thermodynamic constraints call NUPACK's Python module (``pfunc``, base-pair
probabilities) or ViennaRNA's command-line programs (RNAduplex, RNAplex, RNAcofold), which the
``viennarna`` wheel does not ship. What runs without either is nuad's search itself: domain pools
with filters and a stochastic local search that re-evaluates only the constraints a changed
domain touches, driven by user constraints written in Python. So nuad is installed without its
dependency resolution and given constraints that call the same ViennaRNA Python bindings, at the
same conditions, as dsdcompile's checks (:mod:`dsdcompile.sequences.energy`):

- domain pools: the same alphabets (three-letter code on signal strands), GC window and run
  limits for long domains; toeholds drawn from dsdcompile's toehold pool (same energy window);
- a strand constraint: at most ``max_paired`` paired bases in each distinct strand's MFE;
- a strand-pair constraint: every non-partner pair of free strands binds more weakly than
  ``crosstalk_dG`` (ViennaRNA duplex energy; nuad evaluates every pair, no screen);
- a complex constraint per fuel complex: intended structure is the MFE or ≥ 0.5 probable
  (excess 1 + ensemble defect otherwise, as dsdcompile's repair uses).

nuad has no sequence-symmetry or helix-end constraint of its own here, and no gate-region
crosstalk constraint; both designs are then judged by dsdcompile's full checks. Each tool runs
single-process in this process (nuad with ``parallel=False``), timed by CPU time (the wall time
is printed too; on a machine shared with other jobs only the CPU time compares).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsdcompile.sequences import SequenceConstraints, SequenceProblem, checks, design_sequences, energy  # noqa: E402
from dsdcompile.sequences.problem import nucleotide_structure  # noqa: E402
from dsdcompile.sequences.search import local_ok, toehold_choices  # noqa: E402


def judge(problem: SequenceProblem, seqs: dict[str, str], c: SequenceConstraints) -> dict:
    """dsdcompile's checks on any domain assignment."""
    strands = checks.fold_strands(problem, seqs, c)
    cx = checks.check_complexes(problem, seqs, c)
    xt = checks.check_crosstalk(problem, seqs, c)
    gx = checks.check_gate_crosstalk(problem, seqs, c)
    fuels = [r for r in cx if r.role == "fuel"]
    return {"fuel_mfe_fraction": sum(r.check.intended_is_mfe for r in fuels) / len(fuels),
            "complexes_failing": sum(not r.passed(c) for r in cx),
            "strands_failing": sum(s.paired > c.max_paired for s in strands),
            "worst_crosstalk_dG": float(xt.vienna_dG.min()),
            "crosstalk_failing": len(xt.failing),
            "worst_gate_crosstalk_dG": float(gx.vienna_dG.min()) if len(gx.vienna_dG) else None,
            "gate_crosstalk_failing": len(gx.failing)}


def run_nuad(problem: SequenceProblem, c: SequenceConstraints, iterations: int,
             cpu_seconds: float) -> tuple[dict[str, str], float, float, int]:
    """nuad's search on ``problem``: stops when every constraint holds, after ``iterations`` iterations or
    after ``cpu_seconds`` of this process's CPU time, whichever comes first. Returns the sequences, wall
    time, CPU time and iterations."""
    import contextlib
    import io

    import nuad.constraints as nc
    import nuad.search as ns

    design = nc.Design()
    distinct = problem.distinct_strands()
    strand_of: dict[tuple[str, ...], object] = {}
    for k, doms in enumerate(distinct):
        strand_of[doms] = design.add_strand(domain_names=list(doms), name=f"s{k}")
    specs = problem.by_name
    pools: dict[tuple, object] = {}
    for dom in design.domains:
        spec = specs[dom.name]
        key = (spec.length, spec.alphabet, spec.long)
        if key not in pools:
            if spec.long:
                pools[key] = nc.DomainPool(
                    f"{spec.alphabet}{spec.length}", spec.length,
                    numpy_filters=[nc.RestrictBasesFilter(bases=list(spec.alphabet))],
                    sequence_filters=[lambda s, spec=spec: local_ok(s, spec, c)])
            else:
                toeholds, _ = toehold_choices(spec.length, spec.alphabet, c)
                pools[key] = nc.DomainPool(f"toehold{spec.length}{spec.alphabet}", possible_sequences=toeholds)
        dom.pool = pools[key]

    def strand_eval(seqs, _strand):
        structure, dG = energy.mfe(seqs[0], c.temperature_C, c.salt_M)
        paired = len(structure) - structure.count(".")
        return nc.Result(excess=max(0.0, paired - c.max_paired), summary=f"{paired} paired")

    free, pairs = checks.non_partner_pairs(problem)

    def pair_eval(seqs, _pair):
        dG = energy.duplex_dG(seqs[0], seqs[1], c.temperature_C, c.salt_M)
        return nc.Result(excess=max(0.0, c.crosstalk_dG - dG), summary=f"{dG:.2f} kcal/mol")

    strand_doms = {s.name: s.domains for s in problem.strands}
    lengths = {d.name: d.length for d in problem.domains}
    constraints = [
        nc.StrandConstraint(description="strand MFE paired bases", short_description="strand",
                            evaluate=strand_eval, strands=tuple(strand_of.values())),
        nc.StrandPairConstraint(description="free-strand crosstalk", short_description="crosstalk",
                                evaluate=pair_eval,
                                pairs=tuple((strand_of[free[i]], strand_of[free[j]]) for i, j in pairs)),
    ]
    for cx in problem.complexes:
        if len(cx.strands) < 2:
            continue
        doms = [strand_doms[s] for s in cx.strands]
        intended = nucleotide_structure(cx.structure, doms, lengths)

        def cx_eval(seqs, _cx, intended=intended):
            chk = energy.check_complex(list(seqs), intended, c.temperature_C, c.salt_M)
            ok = chk.intended_is_mfe or chk.probability >= c.complex_probability
            return nc.Result(excess=0.0 if ok else 1.0 + chk.ensemble_defect, summary=f"P={chk.probability:.2g}")

        constraints.append(nc.ComplexConstraint(description=f"complex {cx.name}", short_description=cx.name,
                                                evaluate=cx_eval,
                                                complexes=(nc.Complex(*[strand_of[d] for d in doms]),)))
    with tempfile.TemporaryDirectory() as out:
        params = ns.SearchParameters(constraints=constraints, max_iterations=iterations, random_seed=c.seed,
                                     out_directory=out, force_overwrite=True, scrolling_output=False,
                                     report_only_violations=True, save_report_for_all_updates=False)
        params.probability_of_keeping_change = ns.default_probability_of_keeping_change_function(params)
        params.never_increase_score = True
        keep = params.probability_of_keeping_change
        count = [0]

        def keep_until_deadline(delta: float) -> float:
            # nuad asks this once per iteration; past the deadline, end the search after this one
            count[0] += 1
            if time.process_time() > deadline:
                params.max_iterations = 0
            return keep(delta)

        params.probability_of_keeping_change = keep_until_deadline
        t, cpu = time.perf_counter(), time.process_time()
        deadline = cpu + cpu_seconds
        with contextlib.redirect_stdout(io.StringIO()):   # nuad prints a table row per iteration
            ns.search_for_sequences(design, params)
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    return {d.name: d.sequence() for d in design.domains}, wall, cpu, count[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--design", default="designs/iris/dsd_soloveichik2010")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nuad-iterations", type=int, default=100000,
                    help="nuad stops after this many iterations, --nuad-seconds, or when every constraint holds")
    ap.add_argument("--nuad-cpu-seconds", type=float, default=120.0,
                    help="CPU-time budget of nuad's search (CPU, not wall, so a shared machine does not shorten it)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    c = SequenceConstraints(seed=args.seed)
    problem = SequenceProblem.from_design(ROOT / args.design, three_letter=c.three_letter)
    rows = []
    t, cpu = time.perf_counter(), time.process_time()
    ours = design_sequences(problem, c)
    rows.append({"tool": "dsdcompile", "seconds": round(time.perf_counter() - t, 1),
                 "cpu_seconds": round(time.process_time() - cpu, 1), **judge(problem, ours.domains, c)})
    print(json.dumps(rows[-1]), flush=True)
    seqs, wall, cpu, its = run_nuad(problem, c, args.nuad_iterations, args.nuad_cpu_seconds)
    rows.append({"tool": f"nuad 0.4.6 search, ViennaRNA constraints ({its} iterations)",
                 "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), **judge(problem, seqs, c)})
    print(json.dumps(rows[-1]), flush=True)
    print("\n| tool | CPU time (s) | wall time (s) | fuel complexes at intended MFE | failing complexes / strands | "
          "worst free-strand crosstalk ΔG | worst gate-region crosstalk ΔG | failing crosstalk (free / gate) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['tool']} | {r['cpu_seconds']} | {r['seconds']} | {100 * r['fuel_mfe_fraction']:.1f} % | "
              f"{r['complexes_failing']} / {r['strands_failing']} | {r['worst_crosstalk_dG']:.2f} | "
              f"{r['worst_gate_crosstalk_dG']:.2f} | "
              f"{r['crosstalk_failing']} / {r['gate_crosstalk_failing']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
