"""Can this design be built? Distinct domains needed against orthogonal domains the constraints admit.

Sequence symmetry minimisation (see :mod:`dsdcompile.sequences.search`) asks every window of
``kmer`` nucleotides to occur at one place only (up to its intended complement). That gives
an upper bound on how many domains fit:

- a four-letter domain of length L uses its L − k + 1 windows and as many on its complement,
  out of 4^k, so at most 4^k / (2 (L − k + 1)) such domains exist;
- three-letter (A/C/T) domains only compete with each other (their complements live among
  A/G/T windows), so at most 3^k / (L − k + 1).

Toeholds are shorter than a window and may be shared (the branch domain behind a toehold
decides what binds), so they are counted but do not limit the design. A seeded greedy
generator gives a constructive lower bound for the most crowded class. Verdict: "buildable"
when the need is within what the greedy generator reached, "doubtful" when it is below the
upper bound only, "not buildable" above the upper bound, with the smallest window length
that would fit and how much smaller a design of the same make-up must be.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from dsdcompile.config.sequences import SequenceConstraints

_COMP = str.maketrans("ACGT", "TGCA")


@dataclass(frozen=True)
class ClassNeed:
    alphabet: str        # "ACT" or "ACGT"
    length: int
    needed: int
    upper_bound: int
    greedy: int | None   # constructed (capped at 2 × needed); None: not tried (need > 5000)


@dataclass(frozen=True, eq=False)
class FeasibilityReport:
    classes: tuple[ClassNeed, ...]
    toeholds: int
    kmer: int
    verdict: str
    message: str
    suggestion: str

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "message": self.message, "suggestion": self.suggestion, "kmer": self.kmer,
                "toeholds": self.toeholds,
                "classes": [{"alphabet": c.alphabet, "length_nt": c.length, "needed": c.needed,
                             "upper_bound": c.upper_bound, "greedy_lower_bound": c.greedy} for c in self.classes]}

    def markdown(self) -> str:
        lines = ["## Feasibility", "", f"**{self.verdict}** — {self.message}", "",
                 "| long domains | length | needed | greedy (constructed) | upper bound |", "|---|---|---|---|---|"]
        lines += [f"| {c.alphabet} | {c.length} | {c.needed} | {'not tried' if c.greedy is None else c.greedy} | "
                  f"{c.upper_bound} |" for c in self.classes]
        lines += ["", f"Toeholds: {self.toeholds} (may be shared; not a limit). Window counting looks at "
                  "windows inside domains only; junction windows, shared toeholds and folding are what the "
                  "sequence checks above measure, so a 'buildable' verdict is necessary, not sufficient.", ""]
        if self.suggestion:
            lines += [self.suggestion, ""]
        return "\n".join(lines)


def upper_bound(length: int, alphabet: str, k: int) -> int:
    windows = max(1, length - k + 1)
    if alphabet == "ACGT":
        return (4 ** k) // (2 * windows)
    return (3 ** k) // windows


def greedy(length: int, alphabet: str, k: int, want: int, c: SequenceConstraints, tries: int = 20000) -> int:
    """How many domains a seeded greedy draw places with no window shared (nor complemented)."""
    from dsdcompile.sequences.problem import DomainSpec
    from dsdcompile.sequences.search import local_ok

    rng = random.Random(c.seed)
    spec = DomainSpec("g", length, "branch", alphabet)
    used: set[str] = set()
    placed = fails = 0
    while placed < want and fails < tries:
        s = "".join(rng.choice(alphabet) for _ in range(length))
        if not local_ok(s, spec, c):
            continue
        ws = {s[i:i + k] for i in range(length - k + 1)}
        if alphabet == "ACGT":
            rc = s.translate(_COMP)[::-1]
            ws |= {rc[i:i + k] for i in range(length - k + 1)}
        if len(ws) < (length - k + 1) * (2 if alphabet == "ACGT" else 1) or ws & used:
            fails += 1
            continue
        used |= ws
        placed += 1
        fails = 0
    return placed


def feasibility(domains: Sequence[tuple[str, int, str]], signal_domains: set[str],
                constraints: SequenceConstraints = SequenceConstraints(), *,
                design_counts: dict | None = None) -> FeasibilityReport:
    """Feasibility of a design whose domains are (name, length, kind) rows as in domains.csv."""
    c = constraints
    k = c.kmer
    need: dict[tuple[str, int], int] = {}
    toeholds = 0
    for name, length, kind in domains:
        if kind == "toehold":
            toeholds += 1
            continue
        alpha = "ACT" if c.three_letter and name in signal_domains else "ACGT"
        need[(alpha, length)] = need.get((alpha, length), 0) + 1
    classes = []
    for (alpha, length), n in sorted(need.items()):
        ub = upper_bound(length, alpha, k)
        g = greedy(length, alpha, k, min(2 * n, 5000), c) if n <= 5000 else None
        classes.append(ClassNeed(alpha, length, n, ub, g))
    if all(x.greedy is not None and x.needed <= x.greedy for x in classes):
        verdict = "buildable"
    elif all(x.needed <= x.upper_bound for x in classes):
        verdict = "doubtful"
    else:
        verdict = "not buildable"
    worst = max(classes, key=lambda x: x.needed / max(1, x.upper_bound), default=None)
    msg, sug = "no long domains", ""
    if worst is not None:
        msg = (f"the design needs {worst.needed} distinct {worst.length}-nt {worst.alphabet} domains; at k = {k} the "
               f"constraints admit at most {worst.upper_bound}"
               + ("" if worst.greedy is None else f" (a greedy draw placed {worst.greedy})"))
        if verdict != "buildable":
            ratio = min((x.greedy or x.upper_bound) / x.needed for x in classes if x.needed)
            kk = k
            while any(upper_bound(x.length, x.alphabet, kk) < x.needed for x in classes) and kk < 15:
                kk += 1
            sug = (f"To fit, the design must shrink to about {100 * ratio:.3g} % of its domains "
                   f"(fewer nonzero weights or narrower layers: domains grow with modules, one per fan-out "
                   f"product); or relax the window to k = {kk} (weaker guarantee against accidental binding), "
                   f"or use --four-letter for non-signal domains.")
            if design_counts and "modules" in design_counts:
                m = design_counts["modules"]
                sug += f" This design has {m} modules; about {int(m * min(ratio, 1.0))} would fit."
    return FeasibilityReport(tuple(classes), toeholds, k, verdict, msg, sug)


__all__ = ["ClassNeed", "FeasibilityReport", "feasibility", "greedy", "upper_bound"]
