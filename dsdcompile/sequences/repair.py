"""Thermodynamic repair: fold, find what fails, mutate the domains of each failing item.

One round checks every distinct strand, every multi-stranded complex, the free-strand pairs and
the (free strand, gate region) pairs the screens rank worst, and gives each failing item a few
mutations of its own domains (:meth:`dsdcompile.sequences.search.Designer.repair`): at the
nucleotides that misfold or bind when known, each kept only if the item's cost drops. Costs are
continuous where the pass rule is not, so a mutation that weakens a misfold without removing it
yet still counts as progress:

- strand: paired bases over ``max_paired``, plus a tenth of the MFE's free energy (a weaker
  hairpin is a step towards none);
- complex: 0 when it passes, else 1 + its ensemble defect (NUPACK's design objective, here from
  ViennaRNA's partition function), so every step towards the intended ensemble counts; or, with
  ``repair_objective="gap"``, 0 when the intended structure is the MFE, else 1 + the free-energy
  gap to the MFE + the fraction of misfolded nucleotides (MFE only, no partition function);
- crosstalk (free or gate): how far the duplex free energy lies below ``crosstalk_dG``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.sequences import checks, energy
from dsdcompile.sequences.junctions import sites_sequence, strand_sites
from dsdcompile.sequences.problem import SequenceProblem
from dsdcompile.sequences.search import Designer

TRIES = {"strand": 30, "complex": 24, "crosstalk": 8, "gate": 8}


@dataclass(frozen=True)
class RoundReport:
    """How many items failed at the start of one repair round."""

    strands: int
    complexes: int
    crosstalk_pairs: int
    gate_crosstalk_pairs: int

    @property
    def clean(self) -> bool:
        return not (self.strands or self.complexes or self.crosstalk_pairs or self.gate_crosstalk_pairs)


def targets(strands: list[tuple[str, ...]], lengths: Mapping[str, int], bad: list[bool]) -> dict[str, list[int]]:
    """Domain → its positions at the nucleotides flagged in ``bad``."""
    out: dict[str, set[int]] = {}
    sites = (site for doms in strands for site in strand_sites(doms, lengths))
    for (name, p, _), flag in zip(sites, bad):
        if flag:
            out.setdefault(name, set()).add(p)
    return {k: sorted(v) for k, v in out.items()}


def strand_cost(doms: tuple[str, ...], seqs: Mapping[str, str], c: SequenceConstraints) -> float:
    structure, dG = energy.mfe(checks.strand_sequence(doms, seqs), c.temperature_C, c.salt_M)
    excess = len(structure) - structure.count(".") - c.max_paired
    return 0.0 if excess <= 0 else excess + 0.1 * max(0.0, -dG)


def repair_round(d: Designer, problem: SequenceProblem, c: SequenceConstraints) -> RoundReport:
    """Check everything once and repair what fails; returns the counts found failing before repair."""
    seqs = d.seqs
    specs = d.specs
    strand_doms = {s.name: s.domains for s in problem.strands}
    lengths = {x.name: x.length for x in problem.domains}

    def names_of(doms) -> list[str]:
        return sorted({x.rstrip("*") for x in doms})

    def long_first(names: list[str]) -> list[str]:
        return [n for n in names if specs[n].long] or names

    bad_strands = [s for s in checks.fold_strands(problem, seqs, c) if s.paired > c.max_paired]
    for s in bad_strands:
        where = targets([s.domains], lengths, [ch != "." for ch in s.mfe_structure])
        d.repair(sorted(where), lambda s=s: strand_cost(s.domains, d.seqs, c), TRIES["strand"], where)

    bad_cx = [r for r in checks.check_complexes(problem, seqs, c) if not r.passed(c)]
    for r in bad_cx:
        cx = next(x for x in problem.complexes if x.name == r.name)
        doms = [x for s in cx.strands for x in strand_doms[s]]

        def cost(name=r.name, cx=cx, intended=r.intended) -> float:
            if c.repair_objective == "gap":
                strands = [checks.strand_sequence(strand_doms[s], d.seqs) for s in cx.strands]
                mfe_s, mfe_dG, dG = energy.complex_mfe(strands, intended, c.temperature_C, c.salt_M)
                if dG <= mfe_dG + 1e-6:
                    return 0.0
                return 1.0 + (dG - mfe_dG) + sum(a != b for a, b in zip(mfe_s, intended)) / len(intended)
            (res,) = checks.check_complexes(problem, d.seqs, c, names={name})
            return 0.0 if res.passed(c) else 1.0 + res.check.ensemble_defect

        where = targets([strand_doms[s] for s in cx.strands], lengths,
                        [a != b for a, b in zip(r.check.mfe_structure, r.intended)])
        d.repair(sorted(where) or names_of(doms), cost, TRIES["complex"], where)

    xt = checks.check_crosstalk(problem, seqs, c)
    distinct, _ = checks.non_partner_pairs(problem)
    for i, j in xt.failing:
        a, b = distinct[i], distinct[j]

        def xcost(a=a, b=b) -> float:
            dg = energy.duplex_dG(checks.strand_sequence(a, d.seqs), checks.strand_sequence(b, d.seqs),
                                  c.temperature_C, c.salt_M)
            return max(0.0, c.crosstalk_dG - dg)

        d.repair(long_first(names_of(a + b)), xcost, TRIES["crosstalk"])

    gx = checks.check_gate_crosstalk(problem, seqs, c)
    for doms, sites, _label in gx.failing:
        def gcost(doms=doms, sites=sites) -> float:
            part = sites_sequence(sites, d.seqs)
            dg = energy.duplex_dG(checks.strand_sequence(doms, d.seqs), part, c.temperature_C, c.salt_M)
            return max(0.0, c.crosstalk_dG - dg)

        where: dict[str, list[int]] = {}
        for name, pos, _ in sites:
            where.setdefault(name, []).append(pos)
        d.repair(long_first(sorted(set(names_of(doms)) | set(where))), gcost, TRIES["gate"], where)
    return RoundReport(len(bad_strands), len(bad_cx), len(xt.failing), len(gx.failing))


__all__ = ["RoundReport", "TRIES", "repair_round", "strand_cost", "targets"]
