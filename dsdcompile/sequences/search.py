"""Seeded stochastic local search for domain sequences.

1. **Draw.** Every long domain is drawn at random over its alphabet until it meets the local
   constraints (GC window, runs). Toeholds come from the pool of toeholds whose duplex free
   energy lies in the window; distinct toeholds are handed out while the pool lasts, then
   reused (a toehold alone does not bind stably; the branch domain behind it decides).
2. **Sequence symmetry minimisation and helix ends.** Every window of ``kmer`` nucleotides of every distinct
   strand is a *site tuple* (which domain positions it covers, on which strand sense). Two
   windows are complementary by accident when their sequences are reverse complements but
   their site tuples are not mirror images. The score counts such pairs plus windows with a
   forbidden run (runs across domain junctions are caught here). Mutations resample one
   domain of a bad window and are kept when the score does not rise; the score is updated
   incrementally from the windows that touch the mutated domain. Violated helix-end junctions
   (:mod:`dsdcompile.sequences.junctions`) join the score, each weighing ``JUNCTION_WEIGHT``
   windows; a repair never violates a junction.
3. **Thermodynamic repair** (:mod:`dsdcompile.sequences.repair`). ViennaRNA then folds every
   distinct strand, every multi-strand complex and the strand pairs most at risk of crosstalk;
   a failing item gets a few mutations of its own domains (at the nucleotides that misfold,
   mostly), each kept only if the item improves, no helix-end junction becomes violated and,
   when ``repair_ssm_slack`` is set, the SSM score rises by at most that much. By default the
   SSM score is not bounded here: in a crowded three-letter design (the virus design's windows
   fill most of the 3^9 possible ones) almost every mutation makes some accidental window, a
   bound of 4 rejected the repairs the last strands and complexes needed, and the
   thermodynamic checks, crosstalk screens included, are what count.

Everything draws from one ``random.Random(seed)``, and every loop runs in a fixed order, so
the same seed gives the same sequences.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from dsdcompile.config.sequences import SequenceConstraints
from dsdcompile.errors import DsdCompileError
from dsdcompile.sequences import energy
from dsdcompile.sequences.junctions import COMPLEMENT, JunctionScore, find_junctions
from dsdcompile.sequences.problem import DomainSpec, SequenceProblem

JUNCTION_WEIGHT = 8   # SSM windows one violated helix-end junction weighs in the search score


def local_ok(seq: str, spec: DomainSpec, c: SequenceConstraints) -> bool:
    """GC window (long domains) and run limits, on the domain and (by symmetry) its complement."""
    if spec.long:
        gc = (seq.count("G") + seq.count("C")) / len(seq)
        if not c.gc_min <= gc <= c.gc_max:
            return False
    return not has_bad_run(seq, c)


def has_bad_run(seq: str, c: SequenceConstraints) -> bool:
    run, prev = 0, ""
    for ch in seq:
        run = run + 1 if ch == prev else 1
        prev = ch
        if run > c.max_run or (ch in "GC" and run > c.max_g_run):
            return True
    return False


def toehold_choices(length: int, alphabet: str, c: SequenceConstraints) -> tuple[list[str], float]:
    """Toeholds of ``length`` over ``alphabet`` inside the energy window, and the window's centre."""
    pool = {s: g for s, g in energy.toehold_pool(length, c.temperature_C, alphabet, c.salt_M).items()
            if not has_bad_run(s, c)}
    if not pool:
        raise DsdCompileError(f"no toehold of {length} nt over {alphabet} meets the run constraints")
    energies = sorted(pool.values())
    centre = c.toehold_dG if c.toehold_dG is not None else energies[len(energies) // 2]
    half = c.toehold_window / 2
    chosen = sorted(s for s, g in pool.items() if abs(g - centre) <= half + 1e-9)
    if not chosen:
        raise DsdCompileError(f"no toehold of {length} nt over {alphabet} lies within {c.toehold_window} kcal/mol "
                              f"of {centre:.2f} kcal/mol")
    return chosen, centre


class _Windows:
    """Incremental SSM score over the k-windows of the distinct strands."""

    def __init__(self, problem: SequenceProblem, seqs: dict[str, str], c: SequenceConstraints) -> None:
        self.c = c
        self.names = [d.name for d in problem.domains]
        self.index_of = {n: i for i, n in enumerate(self.names)}
        self.seqs = seqs
        k = c.kmer
        labels: dict[tuple[int, ...], int] = {}
        for doms in problem.distinct_strands():
            sites: list[int] = []
            for tok in doms:
                name = tok.rstrip("*")
                i, n = self.index_of[name], len(seqs[name])
                if tok.endswith("*"):
                    sites += [-(i * 4096 + p + 1) for p in reversed(range(n))]
                else:
                    sites += [i * 4096 + p + 1 for p in range(n)]
            for s in range(len(sites) - k + 1):
                labels.setdefault(tuple(sites[s:s + k]), len(labels))
        self.labels = list(labels)
        self.mirror = [labels.get(tuple(-x for x in reversed(lab)), -1) for lab in self.labels]
        self.touching: list[list[int]] = [[] for _ in self.names]
        for li, lab in enumerate(self.labels):
            for d in {(abs(x) - 1) // 4096 for x in lab}:
                self.touching[d].append(li)
        self.seq_of: list[str] = [""] * len(self.labels)
        self.run_bad: list[bool] = [False] * len(self.labels)
        self.index: dict[str, set[int]] = {}
        self.score = 0
        for li in range(len(self.labels)):
            self._add(li)

    def _window(self, li: int) -> str:
        out = []
        for x in self.labels[li]:
            i, p = (abs(x) - 1) // 4096, (abs(x) - 1) % 4096
            b = self.seqs[self.names[i]][p]
            out.append(b if x > 0 else COMPLEMENT[b])
        return "".join(out)

    def _partners(self, li: int) -> int:
        rc = energy.revcomp(self.seq_of[li])
        hits = self.index.get(rc)
        if not hits:
            return 0
        return len(hits) - (1 if self.mirror[li] in hits else 0)

    def _add(self, li: int) -> None:
        w = self._window(li)
        self.seq_of[li] = w
        self.index.setdefault(w, set()).add(li)
        self.score += self._partners(li)
        bad = has_bad_run(w, self.c)
        self.run_bad[li] = bad
        self.score += bad

    def _remove(self, li: int) -> None:
        self.score -= self._partners(li) + self.run_bad[li]
        s = self.index[self.seq_of[li]]
        s.discard(li)
        if not s:
            del self.index[self.seq_of[li]]

    def set(self, name: str, seq: str) -> int:
        """Give domain ``name`` a new sequence; returns the new score."""
        touched = self.touching[self.index_of[name]]
        for li in touched:
            self._remove(li)
        self.seqs[name] = seq
        for li in touched:
            self._add(li)
        return self.score

    def bad_labels(self) -> list[int]:
        out = []
        for li in range(len(self.labels)):
            if self.run_bad[li] or self._partners(li):
                out.append(li)
        return out

    def positions(self, li: int, name: str) -> list[int]:
        """Positions of domain ``name`` that window ``li`` covers."""
        i = self.index_of[name]
        return sorted({(abs(x) - 1) % 4096 for x in self.labels[li] if (abs(x) - 1) // 4096 == i})

    def domains_of(self, li: int) -> list[str]:
        return sorted({self.names[(abs(x) - 1) // 4096] for x in self.labels[li]})


@dataclass
class SearchStats:
    ssm_initial: int = 0
    ssm_final: int = 0
    junctions: int = 0             # helix-end junctions constrained
    junctions_initial: int = 0     # violated after the draw
    junctions_final: int = 0       # violated after the search (and after repair, once it ran)
    junctions_unsatisfiable: int = 0
    ssm_steps: int = 0
    repair_steps: int = 0
    repairs_kept: int = 0
    toehold_pool: dict[str, int] = field(default_factory=dict)
    toehold_centre: dict[str, float] = field(default_factory=dict)
    toeholds_reused: int = 0


class Designer:
    """Holds the current sequences, the SSM index and the random stream."""

    def __init__(self, problem: SequenceProblem, c: SequenceConstraints) -> None:
        self.problem, self.c = problem, c
        self.rng = random.Random(c.seed)
        self.specs = problem.by_name
        self.stats = SearchStats()
        self.pools: dict[tuple[int, str], list[str]] = {}
        seqs: dict[str, str] = {}
        used: dict[tuple[int, str], int] = {}
        for d in problem.domains:
            if d.long:
                seqs[d.name] = self.draw(d)
            else:
                pool = self.pool(d)
                n = used.get((d.length, d.alphabet), 0)
                used[(d.length, d.alphabet)] = n + 1
                if n >= len(pool):
                    self.stats.toeholds_reused += 1
                seqs[d.name] = pool[n % len(pool)]
        self.windows = _Windows(problem, seqs, c)
        self.stats.ssm_initial = self.windows.score
        self.junctions = JunctionScore(find_junctions(problem) if c.junctions else [], self.windows.seqs)
        self.junction_weight = JUNCTION_WEIGHT
        self.stats.junctions = len(self.junctions.junctions)
        self.stats.junctions_unsatisfiable = len(self.junctions.unsatisfiable)
        self.stats.junctions_initial = self.stats.junctions_final = self.junctions.score

    @property
    def seqs(self) -> dict[str, str]:
        return self.windows.seqs

    @property
    def score(self) -> int:
        """SSM score plus the weighted count of violated helix-end junctions."""
        return self.windows.score + self.junction_weight * self.junctions.score

    def set(self, name: str, seq: str) -> int:
        """Give domain ``name`` a new sequence; returns the new score."""
        self.windows.set(name, seq)
        self.junctions.update(name)
        return self.score

    def pool(self, d: DomainSpec) -> list[str]:
        key = (d.length, d.alphabet)
        if key not in self.pools:
            chosen, centre = toehold_choices(d.length, d.alphabet, self.c)
            self.rng.shuffle(chosen)
            self.pools[key] = chosen
            self.stats.toehold_pool[f"{d.length}nt-{d.alphabet}"] = len(chosen)
            self.stats.toehold_centre[f"{d.length}nt-{d.alphabet}"] = round(centre, 3)
        return self.pools[key]

    def draw(self, d: DomainSpec) -> str:
        if not d.long:
            return self.rng.choice(self.pool(d))
        for _ in range(100000):
            s = "".join(self.rng.choice(d.alphabet) for _ in range(d.length))
            if local_ok(s, d, self.c):
                return s
        raise DsdCompileError(f"domain {d.name}: no {d.length}-nt sequence over {d.alphabet} meets GC "
                              f"{self.c.gc_min}-{self.c.gc_max} and the run limits")

    def mutate(self, name: str, positions: list[int] | None = None) -> str:
        """A neighbour of the domain's sequence: 1-3 point changes for long domains (at ``positions``
        when given: those a bad window covers), another toehold else."""
        d = self.specs[name]
        if not d.long:
            return self.draw(d)
        cur = list(self.seqs[name])
        where = positions or list(range(len(cur)))
        for _ in range(1000):
            s = cur[:]
            for _ in range(self.rng.randint(1, 3)):
                s[self.rng.choice(where)] = self.rng.choice(d.alphabet)
            t = "".join(s)
            if t != self.seqs[name] and local_ok(t, d, self.c):
                return t
        return self.draw(d)

    def ssm(self, steps: int, tick: Callable[[int], None] | None = None) -> None:
        """Mutate domains of bad windows and violated junctions while the score does not rise."""
        w, J = self.windows, self.junctions
        bad: list[int] = []
        jbad: list[int] = []
        for step in range(steps):
            if self.score == 0:
                break
            if step % 64 == 0 or not (bad or jbad):
                bad, jbad = w.bad_labels(), sorted(J.bad)
            if not (bad or jbad):
                break
            if jbad and (not bad or self.rng.random() < 0.5):
                # a violated junction: change one of its two bases
                k = self.rng.choice(jbad)
                if k not in J.bad:
                    jbad.remove(k)
                    continue
                name, pos, _ = J.junctions[k].a if self.rng.random() < 0.5 else J.junctions[k].b
                where: list[int] | None = [pos]
            else:
                li = self.rng.choice(bad)
                name = self.rng.choice(w.domains_of(li))
                where = w.positions(li, name) if self.rng.random() < 0.5 else None
            old_score, old = self.score, self.seqs[name]
            if self.set(name, self.mutate(name, where)) > old_score:
                self.set(name, old)
            self.stats.ssm_steps += 1
            if tick and step % 256 == 0:
                tick(self.score)
        self.stats.ssm_final = w.score
        self.stats.junctions_final = J.score

    def repair(self, names: list[str], cost: Callable[[], float], tries: int,
               positions: dict[str, list[int]] | None = None) -> float:
        """Mutate the given domains (at ``positions`` when given) to lower ``cost``, letting no junction
        become violated and the SSM score rise by at most ``repair_ssm_slack`` (when set) per kept
        mutation; returns the final cost."""
        best = cost()
        for _ in range(tries):
            if best <= 0 or not names:
                break
            name = self.rng.choice(names)
            old, old_ssm, old_junctions = self.seqs[name], self.windows.score, self.junctions.score
            where = (positions or {}).get(name) if self.rng.random() < 0.7 else None
            self.set(name, self.mutate(name, where))
            self.stats.repair_steps += 1
            # SSM is a proxy; the thermodynamic item decides, so allow a little slack there; a violated
            # helix end is a misfold we know of, so no repair may add one
            slack = self.c.repair_ssm_slack
            ok = (slack is None or self.windows.score <= old_ssm + slack) and self.junctions.score <= old_junctions
            new = cost() if ok else float("inf")
            if new < best:
                best = new
                self.stats.repairs_kept += 1
            else:
                self.set(name, old)
        self.stats.ssm_final, self.stats.junctions_final = self.windows.score, self.junctions.score
        return best


__all__ = ["Designer", "SearchStats", "has_bad_run", "local_ok", "toehold_choices"]
