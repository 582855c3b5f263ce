"""Thermodynamic checks of designed sequences with ViennaRNA: strands, complexes, crosstalk.

- **Strands.** Every distinct strand is folded alone; it passes with at most
  ``max_paired`` paired bases in its MFE structure.
- **Complexes.** Every multi-stranded complex is folded in its strand order; it passes when
  the intended structure is the MFE structure, or when its equilibrium probability is at
  least ``complex_probability``. The ensemble defect is reported too.
- **Crosstalk.** Two strands *should bind* when one carries a domain and the other its
  complement; every other pair (a strand with itself included) should not. Pairs are taken
  among the strands free in solution (:func:`free_strands`); all such pairs are screened with
  the stack model of :mod:`dsdcompile.sequences.energy` (vectorised, exact runs of 3 or more
  base pairs: :func:`~dsdcompile.sequences.energy.screen_runs`), and ViennaRNA's duplex energy
  is computed for the ``crosstalk_pairs`` pairs the screen ranks worst. A pair fails when its
  duplex free energy is below ``crosstalk_dG``.
- **Gate crosstalk.** Every free strand against every single-stranded region of every
  multi-stranded complex (:func:`gate_regions`: maximal runs of unpaired nucleotides on one
  strand, e.g. a gate's toehold or a fork's tails), for spurious binding there. Each region is
  taken with the paired nucleotide on either side: a strand that binds a toehold also stacks on
  the helix the toehold abuts, which ViennaRNA's duplex energy of the isolated region would
  miss (so the screen errs on the strong side). The nucleotides of domains the free strand is
  *meant* to bind (it carries their complement) are cut out of the region first, so an
  intended toehold binding is not crosstalk, but the rest of the region still is. Screened and
  evaluated like free-strand pairs (``gate_crosstalk_pairs`` to ViennaRNA), with the same bound
  ``crosstalk_dG``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.dsd.system import strand_nucleotides
from dsdcompile.sequences import energy
from dsdcompile.sequences.junctions import Site, sites_sequence, strand_sites
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
        structure, dG = energy.mfe(s, c.temperature_C, c.salt_M)
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
        check = energy.check_complex([strand_sequence(d, seqs) for d in doms], intended, c.temperature_C,
                                     c.salt_M)
        out.append(ComplexResult(cx.name, cx.role, len(cx.strands), intended, check))
        if tick:
            tick(1)
    return out


FREE_ROLES = ("signal", "helper")
# shortest run of base pairs the screens count (energy.screen_runs): a 3-bp run is about
# -3 kcal/mol and a 4-bp one -5, far from the -9 kcal/mol bound; gate regions are up to 100 nt
# long and more numerous, where 4 keeps the join small
STRAND_SEED, GATE_SEED = 3, 4


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


@functools.lru_cache(maxsize=4)
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


def _screen_then_fold(first: list[str], second: list[str], pairs: np.ndarray, c: SequenceConstraints, seed: int,
                      limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Screen every pair (first[i], second[j]) by runs of at least ``seed`` complementary bases, fold the ``limit``
    worst with ViennaRNA; (screen, the folded pairs' indices, their duplex dG, the folded pairs from worst)."""
    screen = energy.screen_runs(first, second, pairs, energy.stack_model(c.temperature_C, c.salt_M), k=seed)
    order = np.lexsort((np.arange(len(pairs)), screen))[:limit]
    vienna = np.array([energy.duplex_dG(first[i], second[j], c.temperature_C, c.salt_M) for i, j in pairs[order]])
    return screen, order, vienna, np.lexsort((np.arange(len(vienna)), vienna))


def check_crosstalk(problem: SequenceProblem, seqs: Mapping[str, str], c: SequenceConstraints,
                    worst: int = 20) -> CrosstalkResult:
    distinct, pairs = non_partner_pairs(problem)
    names = problem.distinct_strands()
    strand_seqs = [strand_sequence(d, seqs) for d in distinct]
    screen, order, vienna, rank = _screen_then_fold(strand_seqs, strand_seqs, pairs, c, STRAND_SEED,
                                                    c.crosstalk_pairs)
    top = tuple((names[distinct[pairs[order[r]][0]]][0], names[distinct[pairs[order[r]][1]]][0],
                 float(vienna[r]), float(screen[order[r]])) for r in rank[:worst])
    failing = tuple((int(pairs[order[r]][0]), int(pairs[order[r]][1])) for r in rank if vienna[r] < c.crosstalk_dG)
    return CrosstalkResult(len(pairs), len(order), top, vienna, screen, failing)


@dataclass(frozen=True)
class GateRegion:
    """Single-stranded nucleotides of one strand of a complex (with the paired nucleotide on either side)."""

    complex: str
    strand: str
    start: int                       # first nucleotide (0-based, in the strand) of the region with its flanks
    sites: tuple[Site, ...]

    def label(self) -> str:
        return f"{self.complex}:{self.strand}[{self.start}:{self.start + len(self.sites)}]"


def gate_regions(problem: SequenceProblem, min_nt: int = 4) -> list[GateRegion]:
    """Maximal unpaired runs of every strand of every multi-stranded complex, each with its flanking
    paired nucleotides; deduplicated by their sites (a gate design repeats in many complexes)."""
    strands = {s.name: s.domains for s in problem.strands}
    lengths = {d.name: d.length for d in problem.domains}
    seen: dict[tuple[Site, ...], GateRegion] = {}
    for cx in problem.complexes:
        if len(cx.strands) < 2:
            continue
        for sname, part in zip(cx.strands, cx.structure.split("+")):
            doms = strands[sname]
            dots = nucleotide_structure(part, [doms], lengths)
            sites = strand_sites(doms, lengths)
            i = 0
            while i < len(dots):
                if dots[i] != ".":
                    i += 1
                    continue
                j = i
                while j < len(dots) and dots[j] == ".":
                    j += 1
                lo, hi = max(0, i - 1), min(len(dots), j + 1)
                if j - i >= min_nt:
                    key = tuple(sites[lo:hi])
                    seen.setdefault(key, GateRegion(cx.name, sname, lo, key))
                i = j
    return list(seen.values())


def _unmasked_runs(region: GateRegion, partner: set[tuple[str, bool]], min_nt: int) -> list[tuple[Site, ...]]:
    """The region's nucleotides outside domains the strand is meant to bind, as runs of ``min_nt`` or more."""
    runs, cur = [], []
    for x in region.sites:
        if (x[0], x[2]) in partner:
            if len(cur) >= min_nt:
                runs.append(tuple(cur))
            cur = []
        else:
            cur.append(x)
    if len(cur) >= min_nt:
        runs.append(tuple(cur))
    return runs


@dataclass(frozen=True)
class GateCrosstalkResult:
    pairs_total: int                       # (free strand, region part) pairs screened
    pairs_vienna: int                      # evaluated with ViennaRNA
    regions: int                           # single-stranded gate regions
    worst: tuple[tuple[str, str, float, float], ...]   # (strand, region label, ViennaRNA dG, screen dG)
    vienna_dG: np.ndarray
    failing: tuple[tuple[tuple[str, ...], tuple[Site, ...], str], ...]   # (free strand domains, sites, label)


@functools.lru_cache(maxsize=4)
def gate_pairs(problem: SequenceProblem, min_nt: int = 4):
    """Free strands, region parts and the (strand, part) pairs to screen, with each part's region label.

    A part is a region with the nucleotides of the strand's intended partner domains cut out;
    parts shared by several strands (most strands are meant to bind nothing of a region) are
    listed once.
    """
    distinct = free_strands(problem)
    regions = gate_regions(problem, min_nt)
    parts: dict[tuple[Site, ...], int] = {}
    labels: list[str] = []
    pairs = []
    for region in regions:
        names = {(x[0], x[2]) for x in region.sites}
        for fi, doms in enumerate(distinct):
            # (name, complemented) of region sites this strand pairs with by design
            partner = {(d.rstrip("*"), not d.endswith("*")) for d in doms} & names
            for run in _unmasked_runs(region, partner, min_nt) if partner else [region.sites]:
                if run not in parts:
                    parts[run] = len(parts)
                    labels.append(region.label())
                pairs.append((fi, parts[run]))
    return distinct, regions, list(parts), labels, np.array(pairs, dtype=np.int64).reshape(-1, 2)


def check_gate_crosstalk(problem: SequenceProblem, seqs: Mapping[str, str], c: SequenceConstraints,
                         worst: int = 20) -> GateCrosstalkResult:
    distinct, regions, parts, labels, pairs = gate_pairs(problem)
    if len(pairs) == 0:
        return GateCrosstalkResult(0, 0, len(regions), (), np.zeros(0), ())
    names = problem.distinct_strands()
    strand_seqs = [strand_sequence(d, seqs) for d in distinct]
    part_seqs = [sites_sequence(p, seqs) for p in parts]
    screen, order, vienna, rank = _screen_then_fold(strand_seqs, part_seqs, pairs, c, GATE_SEED,
                                                    c.gate_crosstalk_pairs)
    top = tuple((names[distinct[pairs[order[r]][0]]][0], labels[pairs[order[r]][1]], float(vienna[r]),
                 float(screen[order[r]])) for r in rank[:worst])
    failing = tuple((distinct[pairs[order[r]][0]], parts[pairs[order[r]][1]], labels[pairs[order[r]][1]])
                    for r in rank if vienna[r] < c.crosstalk_dG)
    return GateCrosstalkResult(len(pairs), len(order), len(regions), top, vienna, failing)


__all__ = ["ComplexResult", "CrosstalkResult", "GateCrosstalkResult", "GateRegion", "StrandResult",
           "check_complexes", "check_crosstalk", "check_gate_crosstalk", "domain_level_to_nt", "fold_strands",
           "gate_pairs", "gate_regions", "non_partner_pairs", "strand_sequence"]
