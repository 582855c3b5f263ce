"""Frozen verification results: per-shape verdicts, the whole-system verdict and their plain-dict forms."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dsdcompile.errors import NotEquivalent

EQUIVALENT = "equivalent"
NOT_EQUIVALENT = "not-equivalent"
INCONCLUSIVE = "inconclusive"
VERDICTS = (EQUIVALENT, NOT_EQUIVALENT, INCONCLUSIVE)

MODULAR_BISIMULATION = "modular-bisimulation"
BISIMULATION = "bisimulation"
PATHWAY_DECOMPOSITION = "pathway-decomposition"
METHODS = (MODULAR_BISIMULATION, BISIMULATION, PATHWAY_DECOMPOSITION)


def combine(verdicts) -> str:
    """Not-equivalent if any is, else inconclusive if any is, else equivalent (also for none)."""
    verdicts = list(verdicts)
    if NOT_EQUIVALENT in verdicts:
        return NOT_EQUIVALENT
    if INCONCLUSIVE in verdicts:
        return INCONCLUSIVE
    return EQUIVALENT


@dataclass(frozen=True)
class Check:
    """One method's check of one representative module."""

    method: str
    verdict: str
    seconds: float
    detail: str | None = None  # counterexample, error or timeout note


@dataclass(frozen=True)
class ModuleVerdict:
    """The verdict for one module shape, checked on a representative and reused for its instances.

    ``representative`` is the formal-reaction index of the module that was checked;
    ``instances`` counts the modules the verdict covers (the representative included) and
    ``members`` lists their formal-reaction indices. ``interpretation`` maps every species of
    the representative's condensed implementation (fuels removed) to a formal multiset such
    as "A + B" or "∅"; it holds only the signal species when no bisimulation was found.
    """

    shape: str
    representative: int
    instances: int
    verdict: str
    method: str
    interpretation: dict[str, str]
    counterexample: str | None
    seconds: float
    formal: str = ""
    reactions: tuple[str, ...] = ()  # the representative's condensed reactions, fuels removed
    fuels: tuple[str, ...] = ()
    members: tuple[int, ...] = ()
    checks: tuple[Check, ...] = ()
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["members"] = compress_indices(self.members)
        return d


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of verifying a DSD implementation against its formal CRN."""

    method: str
    verdict: str
    seconds: float
    modules: tuple[ModuleVerdict, ...] = ()
    whole_system: dict | None = None
    tools: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    reporters: dict | None = None  # readout reporters' check (dsdcompile.verify.reporters)

    @property
    def n_modules(self) -> int:
        return sum(m.instances for m in self.modules)

    def count(self, verdict: str) -> int:
        """How many modules (instances, not shapes) have ``verdict``."""
        return sum(m.instances for m in self.modules if m.verdict == verdict)

    def summary(self) -> dict[str, Any]:
        """The flat keys that summary.json stores under ``verification``."""
        return {
            "method": self.method,
            "verdict": self.verdict,
            "seconds": round(self.seconds, 3),
            "modules": self.n_modules,
            "shapes": len(self.modules),
            "equivalent": self.count(EQUIVALENT),
            "not_equivalent": self.count(NOT_EQUIVALENT),
            "inconclusive": self.count(INCONCLUSIVE),
            **({"reporters": self.reporters.get("reporters", 0), "reporter_verdict": self.reporters.get("verdict")}
               if self.reporters is not None else {}),
        }

    def failures(self) -> list[ModuleVerdict]:
        return [m for m in self.modules if m.verdict == NOT_EQUIVALENT]

    def raise_if_not_equivalent(self) -> None:
        """Raise NotEquivalent (exit code 3) when verification proved the implementation wrong."""
        if self.verdict != NOT_EQUIVALENT:
            return
        bad = self.failures()
        if not bad and self.reporters is not None and self.reporters.get("verdict") == NOT_EQUIVALENT:
            raise NotEquivalent("a readout reporter is not a correct Y -> 0 module or reads a species the CRN "
                                f"consumes: {self.reporters.get('consumed_outputs') or self.reporters.get('modules')}")
        if bad:
            m = bad[0]
            more = f" (and {len(bad) - 1} more shape(s))" if len(bad) > 1 else ""
            raise NotEquivalent(f"module shape {m.shape!r} for formal reaction #{m.representative} ({m.formal}) "
                                f"is not a correct implementation{more}: {m.counterexample}")
        detail = (self.whole_system or {}).get("counterexample")
        raise NotEquivalent(f"the implementation is not {self.method}-equivalent to the formal CRN"
                            + (f": {detail}" if detail else ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "method": self.method,
            "verdict": self.verdict,
            "seconds": self.seconds,
            "tools": dict(self.tools),
            "config": dict(self.config),
            "whole_system": self.whole_system,
            "modules": [m.to_dict() for m in self.modules],
            **({"reporters": self.reporters} if self.reporters is not None else {}),
        }


def compress_indices(indices: tuple[int, ...] | list[int]) -> str:
    """Write sorted indices as ranges, "0-99,105", so that 10^6 members stay small in JSON."""
    xs = sorted(set(indices))
    parts: list[str] = []
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[j] + 1:
            j += 1
        parts.append(str(xs[i]) if i == j else f"{xs[i]}-{xs[j]}")
        i = j + 1
    return ",".join(parts)
