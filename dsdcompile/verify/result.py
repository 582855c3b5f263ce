"""Frozen verification results: per-shape verdicts, the whole-system verdict and their plain-dict forms."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from dsdcompile.errors import Inconclusive, NotEquivalent


class Verdict(str, enum.Enum):
    """The outcome of a check, and of verification as a whole.

    A ``str`` enum: each member equals, formats and serialises as the string that
    verification.json and summary.json hold (``Verdict.NOT_EQUIVALENT == "not-equivalent"``), so a
    verdict read back from a file compares equal to the member.

    * ``EQUIVALENT``: the check proved what it checks (see that check's module for what that is).
    * ``NOT_EQUIVALENT``: the check proved the implementation wrong (exit code 3).
    * ``INCONCLUSIVE``: the check could not decide (a limit, a time-out, a failed worker, or a
      check that was needed but not run); it never counts as a proof either way (exit code 4).
    * ``SKIPPED``: an optional check that was not run (the whole-system check over its budget); it
      changes nothing.
    * ``NONE``: nothing to check (no readout reporters were added); it changes nothing.
    """

    EQUIVALENT = "equivalent"
    NOT_EQUIVALENT = "not-equivalent"
    INCONCLUSIVE = "inconclusive"
    SKIPPED = "skipped"
    NONE = "none"

    def __str__(self) -> str:  # the value, as for a plain string, on every Python version
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


# The members under their module-level names (part of the public API of dsdcompile.verify).
EQUIVALENT = Verdict.EQUIVALENT
NOT_EQUIVALENT = Verdict.NOT_EQUIVALENT
INCONCLUSIVE = Verdict.INCONCLUSIVE

MODULAR_BISIMULATION = "modular-bisimulation"
BISIMULATION = "bisimulation"
PATHWAY_DECOMPOSITION = "pathway-decomposition"


def combine(verdicts) -> Verdict:
    """Not-equivalent if any is, else inconclusive if any is, else equivalent (also for none)."""
    verdicts = list(verdicts)
    if Verdict.NOT_EQUIVALENT in verdicts:
        return Verdict.NOT_EQUIVALENT
    if Verdict.INCONCLUSIVE in verdicts:
        return Verdict.INCONCLUSIVE
    return Verdict.EQUIVALENT


@dataclass(frozen=True)
class Check:
    """One method's check of one representative module."""

    method: str
    verdict: Verdict
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
    representative: int  # index of the checked module (= reaction of verified.crn, the split CRN)
    instances: int
    verdict: Verdict
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
    formal_index: int | None = None  # the representative's reaction in the translated CRN (formal.crn)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["members"] = compress_indices(self.members)
        return d


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of verifying a DSD implementation against its formal CRN.

    ``verdict`` is the conjunction of every check that ran (:func:`conclude`): the modules
    (``modules``: modular bisimulation and pathway decomposition per shape), the fuels
    (``fuels``), the module interactions (``interaction``) and the whole system
    (``whole_system``, possibly skipped); ``basis`` says in words what decided it.
    """

    method: str
    verdict: Verdict
    seconds: float
    modules: tuple[ModuleVerdict, ...] = ()
    whole_system: dict | None = None
    tools: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    reporters: dict | None = None  # readout reporters' check (dsdcompile.verify.reporters)
    fuels: dict | None = None
    interaction: dict | None = None
    basis: str = ""

    @property
    def n_modules(self) -> int:
        return sum(m.instances for m in self.modules)

    @property
    def modular_verdict(self) -> Verdict:
        return combine(m.verdict for m in self.modules)

    def count(self, verdict: Verdict) -> int:
        """How many modules (instances, not shapes) have ``verdict``."""
        return sum(m.instances for m in self.modules if m.verdict == verdict)

    def summary(self) -> dict[str, Any]:
        """The flat keys that summary.json stores under ``verification``."""
        out = {
            "method": self.method,
            "verdict": self.verdict,
            "seconds": round(self.seconds, 3),
            "modules": self.n_modules,
            "shapes": len(self.modules),
            "equivalent": self.count(Verdict.EQUIVALENT),
            "not_equivalent": self.count(Verdict.NOT_EQUIVALENT),
            "inconclusive": self.count(Verdict.INCONCLUSIVE),
            **({"reporters": self.reporters.get("reporters", 0), "reporter_verdict": self.reporters.get("verdict")}
               if self.reporters is not None else {}),
        }
        if self.fuels is not None:
            out["fuel_check"] = self.fuels["verdict"]
        if self.interaction is not None:
            out["interaction_check"] = self.interaction["verdict"]
            out["pair_classes"] = self.interaction["classes"]
            out["interacting_pairs"] = self.interaction["interacting_pairs"]
        if self.whole_system is not None:
            out["whole_system"] = self.whole_system.get("verdict")
        return out

    def failures(self) -> list[ModuleVerdict]:
        return [m for m in self.modules if m.verdict == Verdict.NOT_EQUIVALENT]

    def first_problem(self) -> str:
        """One sentence naming the first check that proved the implementation wrong (or left it open)."""
        w = self.whole_system or {}
        if w.get("decides") and w.get("verdict") == self.verdict:  # settled on the system (verify.decide)
            first = replace(self, whole_system=None, basis="").first_problem()
            return (f"{first}; " if first else "") + f"{self.basis}: {w.get('counterexample')}"
        bad = self.failures() or [m for m in self.modules if m.verdict == Verdict.INCONCLUSIVE]
        for verdict in (Verdict.NOT_EQUIVALENT, Verdict.INCONCLUSIVE):
            for m in (x for x in bad if x.verdict == verdict):
                more = sum(1 for x in bad if x.verdict == verdict) - 1
                where = f"formal reaction {m.formal_index}, " if m.formal_index is not None else ""
                return (f"module shape {m.shape!r} for module #{m.representative} ({where}{m.formal}) is "
                        f"{'not a correct implementation' if verdict == Verdict.NOT_EQUIVALENT else 'undecided'}"
                        + (f" (and {more} more shape(s))" if more else "") + f": {m.counterexample}")
            if self.fuels is not None and self.fuels["verdict"] == verdict:
                return f"fuel check: {self.fuels['detail']}"
            if self.interaction is not None and self.interaction["verdict"] == verdict:
                rows = [r for r in self.interaction["interacting"] if r["verdict"] == verdict] or \
                    self.interaction["interacting"]
                if rows:
                    r = rows[0]
                    return (f"modules {r['modules'][0]} ({r['reactions'][0]}) and {r['modules'][1]} "
                            f"({r['reactions'][1]}) interact ({'; '.join(r['findings'][:2])}): "
                            f"{r['detail'] or self.interaction['detail']}")
                return f"interaction check: {self.interaction['detail']}"
            if self.whole_system is not None and self.whole_system.get("verdict") == verdict:
                return f"whole-system check: {self.whole_system.get('counterexample')}"
            if self.reporters is not None and self.reporters.get("verdict") == verdict:
                return ("readout reporters: not a correct Y -> 0 module, or reading a species the CRN consumes: "
                        f"{self.reporters.get('consumed_outputs') or self.reporters.get('modules')}")
        return self.basis

    def raise_if_not_equivalent(self) -> None:
        """Raise NotEquivalent (exit code 3) when verification proved the implementation wrong."""
        if self.verdict == Verdict.NOT_EQUIVALENT:
            raise NotEquivalent(f"the implementation is not a correct implementation of the CRN: "
                                f"{self.first_problem()}")

    def raise_if_inconclusive(self) -> None:
        """Raise Inconclusive (exit code 4) when verification could not decide."""
        if self.verdict == Verdict.INCONCLUSIVE:
            raise Inconclusive(f"verification is inconclusive (use --allow-inconclusive to exit 0): "
                               f"{self.first_problem()}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "method": self.method,
            "verdict": self.verdict,
            "basis": self.basis,
            "seconds": self.seconds,
            "tools": dict(self.tools),
            "config": dict(self.config),
            "fuels": self.fuels,
            "interaction": self.interaction,
            "whole_system": self.whole_system,
            "modules": [m.to_dict() for m in self.modules],
            **({"reporters": self.reporters} if self.reporters is not None else {}),
        }


def conclude(result: VerificationResult, *, fuels: dict | None = None, interaction: dict | None = None,
             whole: dict | None = None, reporters: dict | None = None, seconds: float = 0.0) -> VerificationResult:
    """The one verdict: not-equivalent if any check proved it, equivalent if the modular, fuel,
    interaction and readout-reporter checks all did (or the whole system was verified and the
    reporters were), inconclusive otherwise."""
    modular = result.modular_verdict
    parts = {"modules": modular}
    if fuels is not None:
        parts["fuels"] = fuels["verdict"]
    if interaction is not None:
        parts["interaction"] = interaction["verdict"]
    if reporters is not None and reporters.get("verdict") not in (None, Verdict.NONE):
        parts["readout reporters"] = reporters["verdict"]
    whole_verdict = (whole or {}).get("verdict")
    if Verdict.NOT_EQUIVALENT in parts.values() or whole_verdict == Verdict.NOT_EQUIVALENT:
        verdict = Verdict.NOT_EQUIVALENT
        failed = [k for k, v in parts.items() if v == Verdict.NOT_EQUIVALENT] + (
            ["whole system"] if whole_verdict == Verdict.NOT_EQUIVALENT else [])
        basis = "proven wrong by the " + " and ".join(f"{k} check" for k in failed)
    elif all(v == Verdict.EQUIVALENT for v in parts.values()):
        verdict = Verdict.EQUIVALENT
        checked = ["every module"] + ["the fuels"] * (fuels is not None) + ["the module interactions"] * (
            interaction is not None) + ["the readout reporters"] * ("readout reporters" in parts)
        basis = (", ".join(checked[:-1]) + " and " if len(checked) > 1 else "") + checked[-1] + " verified"
    elif (whole_verdict == Verdict.EQUIVALENT and parts.get("fuels", Verdict.EQUIVALENT) == Verdict.EQUIVALENT
          and parts.get("readout reporters", Verdict.EQUIVALENT) == Verdict.EQUIVALENT):
        verdict = Verdict.EQUIVALENT
        basis = "the whole system verified by CRN bisimulation (the modular checks left it open)"
    else:
        verdict = Verdict.INCONCLUSIVE
        basis = "undecided: " + ", ".join(f"{k} check {v}" for k, v in parts.items() if v != Verdict.EQUIVALENT)
    return replace(result, verdict=verdict, basis=basis, fuels=fuels, interaction=interaction,
                   whole_system=whole if whole is not None else result.whole_system,
                   reporters=dict(reporters) if reporters is not None else result.reporters,
                   seconds=result.seconds + seconds)


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
