"""Sequence design of a whole DSD design: draw, minimise symmetry, repair with ViennaRNA, check.

:func:`design_sequences` is the library entry point; :func:`write_sequences` puts the result
into a design folder (see :mod:`dsdcompile.sequences.outputs`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from dsdcompile.progress import Progress
from dsdcompile.sequences import checks, energy
from dsdcompile.sequences.constraints import SequenceConstraints
from dsdcompile.sequences.problem import SequenceProblem
from dsdcompile.sequences.search import Designer, SearchStats

TRIES = {"strand": 30, "complex": 24, "crosstalk": 8}


@dataclass(frozen=True, eq=False)
class SequenceDesign:
    """Designed domain sequences with the final checks."""

    problem: SequenceProblem
    constraints: SequenceConstraints
    domains: dict[str, str]
    strands: list[checks.StrandResult]
    complexes: list[checks.ComplexResult]
    crosstalk: checks.CrosstalkResult
    stats: SearchStats
    seconds: dict[str, float]

    def strand_sequences(self) -> dict[str, str]:
        """Strand name → sequence, for every strand of the design."""
        return {s.name: checks.strand_sequence(s.domains, self.domains) for s in self.problem.strands}

    def failing(self) -> dict[str, int]:
        c = self.constraints
        return {"strands": sum(s.paired > c.max_paired for s in self.strands),
                "complexes": sum(not r.passed(c) for r in self.complexes),
                "crosstalk_pairs": len(self.crosstalk.failing)}

    def summary(self) -> dict:
        """The ``sequences`` block of summary.json (no wall-clock times: those vary between runs)."""
        c = self.constraints
        long = [d for d in self.problem.domains if d.long]
        gc = [(self.domains[d.name].count("G") + self.domains[d.name].count("C")) / d.length for d in long]
        toe = [energy.toehold_dG(self.domains[d.name], c.temperature_C) for d in self.problem.domains if not d.long]
        fuels = [r for r in self.complexes if r.role == "fuel"]
        x = self.crosstalk
        return {
            "domains": len(self.domains),
            "distinct_strands": len(self.strands),
            "complexes_checked": len(self.complexes),
            "fuel_complexes_mfe_fraction":
                (sum(r.check.intended_is_mfe for r in fuels) / len(fuels)) if fuels else None,
            "complexes_passed_fraction": (sum(r.passed(c) for r in self.complexes) / len(self.complexes))
            if self.complexes else None,
            "max_ensemble_defect": max((r.check.ensemble_defect for r in self.complexes), default=None),
            "strands_max_paired": max((s.paired for s in self.strands), default=0),
            "crosstalk_pairs_total": x.pairs_total,
            "crosstalk_pairs_vienna": x.pairs_vienna,
            "worst_crosstalk_dG": float(x.vienna_dG.min()) if len(x.vienna_dG) else None,
            "worst_crosstalk_pair": list(x.worst[0][:2]) if x.worst else None,
            "gc_range": [round(min(gc), 4), round(max(gc), 4)] if gc else None,
            "toehold_dG_range": [round(min(toe), 3), round(max(toe), 3)] if toe else None,
            "ssm": {"kmer": c.kmer, "initial": self.stats.ssm_initial, "final": self.stats.ssm_final,
                    "steps": self.stats.ssm_steps},
            "repair": {"steps": self.stats.repair_steps, "kept": self.stats.repairs_kept},
            "toehold_pool": self.stats.toehold_pool,
            "toehold_centre_dG": self.stats.toehold_centre,
            "toeholds_reused": self.stats.toeholds_reused,
            "failing": self.failing(),
            "passed": not any(self.failing().values()),
            "constraints": c.to_dict(),
            "energy_model": f"ViennaRNA {energy.version()}, DNA parameters (Mathews 2004), {c.temperature_C} °C, "
                            "1.021 M Na+, no G·T pairs",
        }


def _sites(strands: list[tuple[str, ...]], lengths: Mapping[str, int]) -> list[tuple[str, int]]:
    """(domain, position in the domain's top sequence) of every nucleotide of the strands, in order."""
    out = []
    for doms in strands:
        for x in doms:
            name, n = x.rstrip("*"), lengths[x.rstrip("*")]
            out += [(name, n - 1 - p) if x.endswith("*") else (name, p) for p in range(n)]
    return out


def _targets(strands: list[tuple[str, ...]], lengths: Mapping[str, int], bad: list[bool]) -> dict[str, list[int]]:
    """Domain → its positions at the nucleotides flagged in ``bad``."""
    out: dict[str, set[int]] = {}
    for (name, p), flag in zip(_sites(strands, lengths), bad):
        if flag:
            out.setdefault(name, set()).add(p)
    return {k: sorted(v) for k, v in out.items()}


def _strand_cost(doms: tuple[str, ...], seqs: Mapping[str, str], c: SequenceConstraints) -> float:
    structure, _ = energy.mfe(checks.strand_sequence(doms, seqs), c.temperature_C)
    return max(0, len(structure) - structure.count(".") - c.max_paired)


def design_sequences(problem: SequenceProblem, constraints: SequenceConstraints = SequenceConstraints(),
                     progress: Progress | None = None) -> SequenceDesign:
    """Design and check sequences for every domain of ``problem``."""
    progress = progress or Progress(quiet=True)
    c = constraints
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with progress.stage("sequences: draw"):
        d = Designer(problem, c)
    with progress.stage("sequences: symmetry minimisation"):
        with progress.bar(c.max_iterations, f"SSM (k={c.kmer})", unit="step") as update:
            last = [0]

            def tick(_score: int) -> None:
                update(d.stats.ssm_steps - last[0])
                last[0] = d.stats.ssm_steps

            d.ssm(c.max_iterations, tick)
    progress.log(f"sequences: SSM score {d.stats.ssm_initial} -> {d.stats.ssm_final} in {d.stats.ssm_steps} steps "
                 f"(k = {c.kmer})")
    seconds["ssm"] = time.perf_counter() - t0
    specs = d.specs

    def names_of(doms) -> list[str]:
        return sorted({x.rstrip("*") for x in doms})

    strand_doms = {s.name: s.domains for s in problem.strands}
    lengths = {x.name: x.length for x in problem.domains}
    for rnd in range(c.repair_rounds):
        t = time.perf_counter()
        with progress.stage(f"sequences: repair round {rnd + 1}"):
            bad_strands = [s for s in checks.fold_strands(problem, d.seqs, c) if s.paired > c.max_paired]
            for s in bad_strands:
                where = _targets([s.domains], lengths, [ch != "." for ch in s.mfe_structure])
                d.repair(sorted(where), lambda s=s: _strand_cost(s.domains, d.seqs, c), TRIES["strand"], where)
            bad_cx = [r for r in checks.check_complexes(problem, d.seqs, c) if not r.passed(c)]
            for r in bad_cx:
                cx = next(x for x in problem.complexes if x.name == r.name)
                doms = [x for s in cx.strands for x in strand_doms[s]]

                def cost(name=r.name) -> float:
                    (res,) = checks.check_complexes(problem, d.seqs, c, names={name})
                    return 0.0 if res.passed(c) else 1.0 + res.check.ensemble_defect

                where = _targets([strand_doms[s] for s in cx.strands], lengths,
                                 [a != b for a, b in zip(r.check.mfe_structure, r.intended)])
                d.repair(sorted(where) or names_of(doms), cost, TRIES["complex"], where)
            xt = checks.check_crosstalk(problem, d.seqs, c)
            distinct, _ = checks.non_partner_pairs(problem)
            for i, j in xt.failing:
                a, b = distinct[i], distinct[j]

                def xcost(a=a, b=b) -> float:
                    dg = energy.duplex_dG(checks.strand_sequence(a, d.seqs), checks.strand_sequence(b, d.seqs),
                                          c.temperature_C)
                    return max(0.0, c.crosstalk_dG - dg)

                d.repair([n for n in names_of(a + b) if specs[n].long] or names_of(a + b), xcost, TRIES["crosstalk"])
        seconds[f"repair_{rnd + 1}"] = time.perf_counter() - t
        progress.log(f"sequences: repair round {rnd + 1}: {len(bad_strands)} strands, {len(bad_cx)} complexes, "
                     f"{len(xt.failing)} crosstalk pairs failing before repair")
        if not (bad_strands or bad_cx or xt.failing):
            break
    t = time.perf_counter()
    with progress.stage("sequences: final checks"):
        strands = checks.fold_strands(problem, d.seqs, c)
        n_cx = sum(len(x.strands) > 1 for x in problem.complexes)
        with progress.bar(n_cx, "fold complexes (ViennaRNA)", unit="complex") as update:
            complexes = checks.check_complexes(problem, d.seqs, c, tick=update)
        crosstalk = checks.check_crosstalk(problem, d.seqs, c)
    seconds["checks"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    return SequenceDesign(problem, c, dict(d.seqs), strands, complexes, crosstalk, d.stats, seconds)


__all__ = ["SequenceDesign", "design_sequences"]
