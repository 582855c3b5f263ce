"""Thermodynamic checks of designed sequences with ViennaRNA: strands, complexes, crosstalk.

- **Strands.** Every distinct strand is folded alone; it passes with at most
  ``max_paired`` paired bases in its MFE structure.
- **Complexes.** Every multi-stranded complex is folded in its strand order; it passes when
  the intended structure is the MFE structure, or when its equilibrium probability is at
  least ``complex_probability``. The ensemble defect is reported too.
- **Crosstalk.** Two strands *should bind* when one carries a domain and the other its
  complement; every other pair (a strand with itself included) should not. Pairs are taken
  among the strands free in solution (:func:`free_strands`); all such pairs are
  screened with the stack model of :mod:`dsdcompile.sequences.energy` (vectorised, exact runs
  only), and ViennaRNA's duplex energy is computed for the ``crosstalk_pairs`` pairs the screen
  ranks worst. A pair fails when its duplex free energy is below ``crosstalk_dG``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from dsdcompile.dsd.system import strand_nucleotides
from dsdcompile.sequences import energy
from dsdcompile.sequences.constraints import SequenceConstraints
from dsdcompile.sequences.problem import SequenceProblem, nucleotide_structure


def strand_sequence(domains: tuple[str, ...], seqs: Mapping[str, str]) -> str:
    return strand_nucleotides(domains, seqs)


def domain_level_to_nt(text: str, seqs: Mapping[str, str]) -> str:
    """'a b* + c' → nucleotide sequences, strands joined with ' + '."""
    return " + ".join(strand_sequence(tuple(part.split()), seqs) for part in text.split("+"))


@dataclass(frozen=True)
class StrandResult:
    domains: tuple[str, ...]
    names: tuple[str, ...]
    sequence: str
    mfe_structure: str
    mfe_dG: float

    @property
    def paired(self) -> int:
        return len(self.mfe_structure) - self.mfe_structure.count(".")


@dataclass(frozen=True)
class ComplexResult:
    name: str
    role: str
    n_strands: int
    intended: str
    check: energy.ComplexCheck

    def passed(self, c: SequenceConstraints) -> bool:
        return self.check.intended_is_mfe or self.check.probability >= c.complex_probability


@dataclass(frozen=True)
class CrosstalkResult:
    pairs_total: int                        # non-partner pairs of distinct strands (self-pairs included)
    pairs_vienna: int                       # evaluated with ViennaRNA
    worst: tuple[tuple[str, str, float, float], ...]   # (strand, strand, ViennaRNA dG, screen dG), worst first
    vienna_dG: np.ndarray                   # every ViennaRNA energy computed
    screen_dG: np.ndarray                   # every screen estimate
    failing: tuple[tuple[int, int], ...]    # indices into the distinct strands


def fold_strands(problem: SequenceProblem, seqs: Mapping[str, str], c: SequenceConstraints,
                 only: set[tuple[str, ...]] | None = None) -> list[StrandResult]:
    out = []
    for doms, names in problem.distinct_strands().items():
        if only is not None and doms not in only:
            continue
        s = strand_sequence(doms, seqs)
        structure, dG = energy.mfe(s, c.temperature_C)
        out.append(StrandResult(doms, tuple(names), s, structure, dG))
    return out


def check_complexes(problem: SequenceProblem, seqs: Mapping[str, str], c: SequenceConstraints,
                    names: set[str] | None = None,
                    tick: Callable[[int], None] | None = None) -> list[ComplexResult]:
    """Fold every multi-stranded complex (or those in ``names``)."""
    strands = {s.name: s.domains for s in problem.strands}
    lengths = {d.name: d.length for d in problem.domains}
    out = []
    for cx in problem.complexes:
        if len(cx.strands) < 2 or (names is not None and cx.name not in names):
            continue
        doms = [strands[s] for s in cx.strands]
        intended = nucleotide_structure(cx.structure, doms, lengths)
        check = energy.check_complex([strand_sequence(d, seqs) for d in doms], intended, c.temperature_C)
        out.append(ComplexResult(cx.name, cx.role, len(cx.strands), intended, check))
        if tick:
            tick(1)
    return out


FREE_ROLES = ("signal", "helper")


def free_strands(problem: SequenceProblem) -> list[tuple[str, ...]]:
    """Distinct strands that float free in solution: signals, helpers and one-strand complexes.

    A strand inside a multi-stranded fuel is held in its intended duplex (the complex check
    covers it); free strands are the ones that can meet any other strand.
    """
    single = {cx.strands[0] for cx in problem.complexes if len(cx.strands) == 1}
    out: dict[tuple[str, ...], None] = {}
    for s in problem.strands:
        if s.role in FREE_ROLES or s.name in single:
            out.setdefault(s.domains)
    return list(out)


def non_partner_pairs(problem: SequenceProblem) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """Free strands and the (i, j), i <= j, pairs of them that share no complementary domain."""
    distinct = free_strands(problem)
    by_domain: dict[str, list[int]] = {}
    by_comp: dict[str, list[int]] = {}
    for i, doms in enumerate(distinct):
        for d in set(doms):
            (by_comp if d.endswith("*") else by_domain).setdefault(d.rstrip("*"), []).append(i)
    n = len(distinct)
    partner = np.zeros((n, n), dtype=bool)
    for d, tops in by_domain.items():
        comps = by_comp.get(d, [])
        if comps:
            t, cc = np.array(tops), np.array(comps)
            partner[np.ix_(t, cc)] = True
            partner[np.ix_(cc, t)] = True
    iu, ju = np.triu_indices(n)
    keep = ~partner[iu, ju]
    return distinct, np.stack([iu[keep], ju[keep]], axis=1)


def check_crosstalk(problem: SequenceProblem, seqs: Mapping[str, str], c: SequenceConstraints,
                    worst: int = 20) -> CrosstalkResult:
    distinct, pairs = non_partner_pairs(problem)
    names = problem.distinct_strands()
    strand_seqs = [strand_sequence(d, seqs) for d in distinct]
    screen = energy.screen_pairs(strand_seqs, pairs, energy.stack_model(c.temperature_C))
    order = np.lexsort((np.arange(len(pairs)), screen))[:c.crosstalk_pairs]
    vienna = np.array([energy.duplex_dG(strand_seqs[i], strand_seqs[j], c.temperature_C) for i, j in pairs[order]])
    rank = np.lexsort((np.arange(len(vienna)), vienna))
    top = tuple((names[distinct[pairs[order[r]][0]]][0], names[distinct[pairs[order[r]][1]]][0],
                 float(vienna[r]), float(screen[order[r]])) for r in rank[:worst])
    failing = tuple((int(pairs[order[r]][0]), int(pairs[order[r]][1])) for r in rank if vienna[r] < c.crosstalk_dG)
    return CrosstalkResult(len(pairs), len(order), top, vienna, screen, failing)


__all__ = ["ComplexResult", "CrosstalkResult", "StrandResult", "check_complexes", "check_crosstalk",
           "domain_level_to_nt", "fold_strands", "non_partner_pairs", "strand_sequence"]
